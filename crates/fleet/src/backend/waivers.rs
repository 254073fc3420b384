// Waivers: requested (pending), approved (waives the findings in scope),
// expired (reopens them). Included by common.rs.

/// The findings a waiver scope covers, as a condition on `findings` with
/// the scope value bound as `$1`.
fn scope_condition(kind: &str) -> &'static str {
    match kind {
        "finding" => "finding_id = $1",
        "product" => "product = $1",
        "vendor" => "vendor = $1",
        _ => "host_id = CAST($1 AS BIGINT)",
    }
}

const WAIVER_COLUMNS: &str = "id, scope_kind, scope_value, justification, mitigations, directive, \
     requested_by, created_at, expires_at, status, approver, approved_at, expired_at";

fn waiver_row(r: &DbRow) -> Result<Waiver> {
    Ok(Waiver {
        id: r.try_get("id")?,
        waiver: NewWaiver {
            scope_kind: r.try_get("scope_kind")?,
            scope_value: r.try_get("scope_value")?,
            justification: r.try_get("justification")?,
            mitigations: r.try_get("mitigations")?,
            directive: r.try_get("directive")?,
            requested_by: r.try_get("requested_by")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
        },
        status: r.try_get("status")?,
        approver: r.try_get("approver")?,
        approved_at: r.try_get("approved_at")?,
        expired_at: r.try_get("expired_at")?,
    })
}

fn validate_waiver(w: &NewWaiver) -> Result<()> {
    let invalid = |m: String| Err(Error::new(ErrorKind::Invalid, m));
    if !SCOPE_KINDS.contains(&w.scope_kind.as_str()) {
        return invalid(format!("waiver scope must be one of {SCOPE_KINDS:?}"));
    }
    if w.justification.trim().is_empty()
        || w.requested_by.trim().is_empty()
        || w.scope_value.is_empty()
    {
        return invalid("a waiver needs a scope value, a justification and a requester".into());
    }
    if w.scope_kind == "host" && w.scope_value.parse::<i64>().is_err() {
        return invalid(format!("a host waiver's scope is a host id: {:?}", w.scope_value));
    }
    if w.expires_at <= w.created_at {
        return invalid("a waiver must expire after it is created".into());
    }
    Ok(())
}

impl StoreTy {
    async fn do_add_waiver(&self, w: &NewWaiver) -> Result<i64> {
        validate_waiver(w)?;
        let mut tx = self.begin().await?;
        if let Some(d) = &w.directive {
            let known = sqlx::query("SELECT id FROM directives WHERE name = $1")
                .bind(d.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(Error::new(ErrorKind::Invalid, format!("no directive {d}")));
            }
        }
        let id: i64 = sqlx::query(
            "INSERT INTO waivers (scope_kind, scope_value, justification, mitigations, directive, \
               requested_by, created_at, expires_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') RETURNING id",
        )
        .bind(w.scope_kind.clone())
        .bind(w.scope_value.clone())
        .bind(w.justification.clone())
        .bind(w.mitigations.clone())
        .bind(w.directive.clone())
        .bind(w.requested_by.clone())
        .bind(w.created_at.clone())
        .bind(w.expires_at.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit_row(
            &mut tx,
            &w.created_at,
            &w.requested_by,
            "waiver.request",
            &format!("waiver:{id}"),
            serde_json::to_value(w).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn waiver_in(&self, tx: &mut Tx, id: i64) -> Result<Waiver> {
        let sql = format!("SELECT {WAIVER_COLUMNS} FROM waivers WHERE id = $1{FOR_UPDATE}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no waiver {id}")))?;
        waiver_row(&row)
    }

    async fn do_approve(&self, id: i64, approver: &str, at: &str) -> Result<()> {
        if approver.trim().is_empty() {
            return Err(Error::new(ErrorKind::Invalid, "an approval needs an approver"));
        }
        let mut tx = self.begin().await?;
        let w = self.waiver_in(&mut tx, id).await?;
        if w.status != waiver_status::PENDING {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("waiver {id} is {}, not pending", w.status),
            ));
        }
        if w.waiver.expires_at.as_str() <= at {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("waiver {id} expired at {}", w.waiver.expires_at),
            ));
        }
        sqlx::query(
            "UPDATE waivers SET status = 'approved', approver = $1, approved_at = $2 WHERE id = $3",
        )
        .bind(approver.to_owned())
        .bind(at.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let subject = format!("waiver:{id}");
        audit_row(&mut tx, at, approver, "waiver.approve", &subject, serde_json::json!({}))
            .await?;
        let cond = scope_condition(&w.waiver.scope_kind);
        let hosts_sql = format!(
            "SELECT id FROM hosts WHERE id IN (SELECT host_id FROM findings WHERE {cond} \
             AND state IN ('open', 'reopened')) ORDER BY id{FOR_UPDATE}"
        );
        sqlx::query(sqlx::AssertSqlSafe(hosts_sql))
            .bind(w.waiver.scope_value.clone())
            .fetch_all(&mut *tx)
            .await?;
        let covered_sql = format!(
            "SELECT host_id, finding_id, vendor, state FROM findings WHERE {cond} \
             AND state IN ('open', 'reopened') ORDER BY host_id, finding_id"
        );
        let covered = sqlx::query(sqlx::AssertSqlSafe(covered_sql))
            .bind(w.waiver.scope_value.clone())
            .fetch_all(&mut *tx)
            .await?;
        for row in covered {
            let host_id: i64 = row.try_get(0)?;
            let fid: String = row.try_get(1)?;
            let vendor: String = row.try_get(2)?;
            let from: String = row.try_get(3)?;
            sqlx::query("UPDATE findings SET state = 'waived', waiver_id = $1 WHERE host_id = $2 AND finding_id = $3")
                .bind(id)
                .bind(host_id)
                .bind(fid.clone())
                .execute(&mut *tx)
                .await?;
            record_change(
                &mut tx,
                Change {
                    at,
                    actor: approver,
                    action: "finding.waive",
                    host_id,
                    finding_id: &fid,
                    vendor: &vendor,
                    from: Some(&from),
                    to: state::WAIVED,
                    report_id: None,
                    waiver_id: Some(id),
                    detail: serde_json::json!({ "waiver": id, "to": state::WAIVED }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn do_waivers(&self) -> Result<Vec<Waiver>> {
        let sql = format!("SELECT {WAIVER_COLUMNS} FROM waivers ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(waiver_row).collect()
    }

    /// Expires one waiver (an admin's decision, before its expiry).
    async fn do_expire_one(&self, id: i64, actor: &str, at: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let w = self.waiver_in(&mut tx, id).await?;
        if w.status == waiver_status::EXPIRED {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("waiver {id} has already expired"),
            ));
        }
        mark_expired(&mut tx, id, actor, at).await?;
        let active = active_waivers(&mut tx, at).await?;
        unwaive(&mut tx, id, actor, at, &active).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Expires every waiver (approved or still pending) past its expiry.
    async fn do_expire(&self, now: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let due = sqlx::query(
            "SELECT id FROM waivers WHERE status <> 'expired' AND expires_at <= $1 ORDER BY id",
        )
        .bind(now.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        let mut n = 0;
        for row in &due {
            mark_expired(&mut tx, row.try_get(0)?, "system", now).await?;
            n += 1;
        }
        // Every due waiver has `expires_at <= now`, so none is in `active`.
        let active = active_waivers(&mut tx, now).await?;
        for row in &due {
            unwaive(&mut tx, row.try_get(0)?, "system", now, &active).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}

async fn mark_expired(tx: &mut Tx, id: i64, actor: &str, at: &str) -> Result<()> {
    sqlx::query("UPDATE waivers SET status = 'expired', expired_at = $1 WHERE id = $2")
        .bind(at.to_owned())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    audit_row(
        tx,
        at,
        actor,
        "waiver.expire",
        &format!("waiver:{id}"),
        serde_json::json!({}),
    )
    .await
}

/// Reopens the findings an expired waiver covered, unless another waiver
/// in force still covers them.
async fn unwaive(
    tx: &mut Tx,
    wid: i64,
    actor: &str,
    at: &str,
    active: &[ActiveWaiver],
) -> Result<()> {
    let hosts_sql = format!(
        "SELECT id FROM hosts WHERE id IN (SELECT host_id FROM findings WHERE waiver_id = $1 \
         AND state = 'waived') ORDER BY id{FOR_UPDATE}"
    );
    sqlx::query(sqlx::AssertSqlSafe(hosts_sql))
        .bind(wid)
        .fetch_all(&mut **tx)
        .await?;
    let waived = sqlx::query(
        "SELECT host_id, finding_id, product, vendor FROM findings \
         WHERE waiver_id = $1 AND state = 'waived' ORDER BY host_id, finding_id",
    )
    .bind(wid)
    .fetch_all(&mut **tx)
    .await?;
    for f in waived {
        let host_id: i64 = f.try_get(0)?;
        let fid: String = f.try_get(1)?;
        let product: String = f.try_get(2)?;
        let vendor: String = f.try_get(3)?;
        let other = tracking::covering(active, host_id, &fid, &product, &vendor);
        let (st, action) = match other {
            Some(_) => (state::WAIVED, "finding.waive"),
            None => (state::REOPENED, "finding.reopen"),
        };
        sqlx::query("UPDATE findings SET state = $1, waiver_id = $2 WHERE host_id = $3 AND finding_id = $4")
            .bind(st)
            .bind(other)
            .bind(host_id)
            .bind(fid.clone())
            .execute(&mut **tx)
            .await?;
        record_change(
            tx,
            Change {
                at,
                actor,
                action,
                host_id,
                finding_id: &fid,
                vendor: &vendor,
                from: Some(state::WAIVED),
                to: st,
                report_id: None,
                waiver_id: other,
                detail: serde_json::json!({ "expired_waiver": wid, "to": st, "waiver": other }),
            },
        )
        .await?;
    }
    Ok(())
}
