// API tokens, dashboard users and sessions, settings, free audit rows.
// Included by common.rs.

fn role_of(s: &str) -> Result<crate::Role> {
    crate::Role::parse(s)
        .ok_or_else(|| Error::new(ErrorKind::Database, format!("stored role is not valid: {s:?}")))
}

fn non_empty(what: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::new(ErrorKind::Invalid, format!("{what} must not be empty")));
    }
    Ok(())
}

impl StoreTy {
    async fn do_create_api_token(
        &self,
        role: crate::Role,
        token_hash: &str,
        label: &str,
        actor: &str,
    ) -> Result<i64> {
        non_empty("token hash", token_hash)?;
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let res = sqlx::query(
            "INSERT INTO api_tokens (role, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(role.as_str())
        .bind(label.to_owned())
        .bind(token_hash.to_owned())
        .bind(now.clone())
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match res {
            Ok(r) => r.try_get(0)?,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(Error::new(ErrorKind::Invalid, "token already exists"));
            }
            Err(e) => return Err(e.into()),
        };
        let detail = serde_json::json!({ "role": role.as_str(), "label": label });
        audit_row(&mut tx, &now, actor, "token.create", &format!("token:{id}"), detail).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn do_api_token_role(&self, token_hash: &str) -> Result<Option<crate::Role>> {
        let row = sqlx::query("SELECT role FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(role_of(&r.try_get::<String, _>(0)?)?)),
            None => Ok(None),
        }
    }

    async fn do_put_user(&self, user: &crate::User, actor: &str) -> Result<()> {
        non_empty("username", &user.username)?;
        non_empty("password hash", &user.password_hash)?;
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
        )
        .bind(user.username.clone())
        .bind(user.password_hash.clone())
        .bind(user.role.as_str())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "role": user.role.as_str() });
        let subject = format!("user:{}", user.username);
        audit_row(&mut tx, &now, actor, "user.put", &subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn do_user(&self, username: &str) -> Result<Option<crate::User>> {
        let row = sqlx::query("SELECT username, password_hash, role FROM users WHERE username = $1")
            .bind(username.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(crate::User {
                username: r.try_get(0)?,
                password_hash: r.try_get(1)?,
                role: role_of(&r.try_get::<String, _>(2)?)?,
            })),
            None => Ok(None),
        }
    }

    async fn do_create_session(&self, hash: &str, s: &crate::Session) -> Result<()> {
        non_empty("session hash", hash)?;
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        // Housekeeping: logins are rare enough to sweep expired sessions here.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (session_hash, username, role, csrf, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash.to_owned())
        .bind(s.username.clone())
        .bind(s.role.as_str())
        .bind(s.csrf.clone())
        .bind(s.expires_at.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn do_session(&self, hash: &str, now: &str) -> Result<Option<crate::Session>> {
        let row = sqlx::query(
            "SELECT username, role, csrf, expires_at FROM sessions WHERE session_hash = $1 AND expires_at > $2",
        )
        .bind(hash.to_owned())
        .bind(now.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(crate::Session {
                username: r.try_get(0)?,
                role: role_of(&r.try_get::<String, _>(1)?)?,
                csrf: r.try_get(2)?,
                expires_at: r.try_get(3)?,
            })),
            None => Ok(None),
        }
    }

    async fn do_delete_session(&self, hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
            .bind(hash.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn do_setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }

    async fn do_set_setting(&self, key: &str, value: &str, actor: &str) -> Result<()> {
        non_empty("setting key", key)?;
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key.to_owned())
        .bind(value.to_owned())
        .execute(&mut *tx)
        .await?;
        let subject = format!("setting:{key}");
        audit_row(&mut tx, &now, actor, "setting.set", &subject, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn do_record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        non_empty("audit action", action)?;
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        audit_row(&mut tx, &now, actor, action, subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }
}
