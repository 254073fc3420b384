// Reads: hosts, findings, reports, directives, audit. Included by common.rs.

/// A LIKE pattern matching `s` anywhere, case-insensitively.
fn contains_pattern(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    p.push('%');
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Host listing filter on `hosts h`, with the name pattern bound as `$1`
/// (NULL, and not tested per row, when there is no `name` filter: a plain
/// `LOWER(name) LIKE $1` is what PostgreSQL's trigram index, migration 5,
/// can answer, which `$1 IS NULL OR …` would hide from a generic plan).
/// Status filters are driven from the findings (a few rows per affected
/// host, through `findings(state, host_id)`), not probed once per host:
/// at 100k hosts that is the difference between one small set and 100k
/// index probes for every page and its count.
fn host_filter_sql(status: Option<&str>, by_name: bool) -> Result<String> {
    const LIVE: &str = "SELECT host_id FROM findings WHERE state IN ('open', 'reopened')";
    const WAIVED: &str = "SELECT host_id FROM findings WHERE state = 'waived'";
    const UNRESOLVED: &str = "SELECT host_id FROM findings WHERE state <> 'resolved'";
    let status = match status {
        None | Some("") => String::new(),
        Some("affected") => format!(" AND h.id IN ({LIVE})"),
        Some("waived") => format!(" AND h.id IN ({WAIVED}) AND h.id NOT IN ({LIVE})"),
        Some("clean") => format!(" AND h.id NOT IN ({UNRESOLVED})"),
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("host status must be affected, waived or clean: {other:?}"),
            ))
        }
    };
    let name = if by_name { NAME_LIKE } else { "$1 IS NULL" };
    Ok(format!("{name}{status}"))
}

fn page_binds(page: crate::Page) -> (i64, i64) {
    (
        i64::from(page.limit),
        i64::try_from(page.offset).unwrap_or(i64::MAX),
    )
}

impl StoreTy {
    async fn do_findings(&self, filter: &FindingFilter) -> Result<Vec<TrackedFinding>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR vendor = $2) \
             AND ($3 IS NULL OR host_id = $3) ORDER BY host_id, finding_id"
        )))
        .bind(filter.status.clone())
        .bind(filter.vendor.clone())
        .bind(filter.host)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tracked).collect()
    }

    async fn do_hosts(&self) -> Result<Vec<HostRow>> {
        let rows = sqlx::query(
            "SELECT id, name, machine_id, os, first_seen, last_seen FROM hosts ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(host_row).collect()
    }

    async fn do_host_by_token(&self, token_hash: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM hosts WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    async fn do_directives(&self) -> Result<Vec<Directive>> {
        let rows = sqlx::query(
            "SELECT name, title, issued, vendors, milestones, builtin FROM directives ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let vendors: String = r.try_get("vendors")?;
                let milestones: String = r.try_get("milestones")?;
                let bad =
                    |e| Error::with(ErrorKind::Database, "stored directive is not valid JSON", e);
                Ok(Directive {
                    name: r.try_get("name")?,
                    title: r.try_get("title")?,
                    issued: r.try_get("issued")?,
                    vendors: serde_json::from_str(&vendors).map_err(bad)?,
                    milestones: serde_json::from_str::<Vec<Milestone>>(&milestones).map_err(bad)?,
                    builtin: r.try_get::<i64, _>("builtin")? != 0,
                })
            })
            .collect()
    }

    async fn do_add_directive(&self, d: &Directive, actor: &str) -> Result<i64> {
        if d.name.is_empty() || d.vendors.is_empty() || d.issued.len() != 10 {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a directive needs a name, vendors and an issue date YYYY-MM-DD",
            ));
        }
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let res = sqlx::query(
            "INSERT INTO directives (name, title, issued, vendors, milestones, builtin) \
             VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
        )
        .bind(d.name.clone())
        .bind(d.title.clone())
        .bind(d.issued.clone())
        .bind(serde_json::to_string(&d.vendors).unwrap_or_default())
        .bind(serde_json::to_string(&d.milestones).unwrap_or_default())
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match res {
            Ok(r) => r.try_get(0)?,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("directive {} already exists", d.name),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let detail = serde_json::to_value(d).unwrap_or_default();
        audit_row(
            &mut tx,
            &now,
            actor,
            "directive.add",
            &format!("directive:{}", d.name),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn do_audit(&self, since: &str) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, subject, detail FROM audit WHERE at >= $1 ORDER BY id",
        )
        .bind(since.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get::<Json<serde_json::Value>, _>("detail")?.0,
                })
            })
            .collect()
    }

    async fn do_host(&self, id: i64) -> Result<Option<HostRow>> {
        let row = sqlx::query(
            "SELECT id, name, machine_id, os, first_seen, last_seen FROM hosts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(host_row).transpose()
    }

    async fn do_host_summaries(
        &self,
        filter: &crate::HostFilter,
        page: crate::Page,
    ) -> Result<(Vec<crate::HostSummary>, u64)> {
        let name = filter
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(contains_pattern);
        let cond = host_filter_sql(filter.status.as_deref(), name.is_some())?;
        let (limit, offset) = page_binds(page);
        // The page is cut first, so the per-host counts (index probes on
        // findings(host_id, state)) run only for the rows returned.
        let sql = format!(
            "WITH page AS (SELECT h.id, h.name, h.machine_id, h.os, h.first_seen, h.last_seen, h.last_report_at                FROM hosts h WHERE {cond} ORDER BY h.id LIMIT $2 OFFSET $3)              SELECT p.*,                (SELECT COUNT(*) FROM findings f WHERE f.host_id = p.id AND f.state IN ('open', 'reopened')) AS open_n,                (SELECT COUNT(*) FROM findings f WHERE f.host_id = p.id AND f.state = 'waived') AS waived_n,                (SELECT COUNT(*) FROM findings f WHERE f.host_id = p.id AND f.state = 'resolved') AS resolved_n              FROM page p ORDER BY p.id"
        );
        let total_sql = format!("SELECT COUNT(*) FROM hosts h WHERE {cond}");
        // The page and the count each read the hosts; on two connections
        // at once, a deep page waits for the slower, not for both.
        let (rows, total) = tokio::try_join!(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name.clone())
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool),
            sqlx::query(sqlx::AssertSqlSafe(total_sql))
                .bind(name)
                .fetch_one(&self.pool),
        )?;
        let total: i64 = total.try_get(0)?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(crate::HostSummary {
                    host: host_row(r)?,
                    open: count(r, "open_n")?,
                    waived: count(r, "waived_n")?,
                    resolved: count(r, "resolved_n")?,
                    last_report_at: r.try_get("last_report_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((list, total.max(0) as u64))
    }

    async fn do_findings_page(
        &self,
        filter: &FindingFilter,
        page: crate::Page,
    ) -> Result<(Vec<TrackedFinding>, u64)> {
        const WHERE: &str = "($1 IS NULL OR state = $1) AND ($2 IS NULL OR vendor = $2) \
             AND ($3 IS NULL OR host_id = $3)";
        let (limit, offset) = page_binds(page);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE {WHERE} ORDER BY host_id, finding_id LIMIT $4 OFFSET $5"
        )))
        .bind(filter.status.clone())
        .bind(filter.vendor.clone())
        .bind(filter.host)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let list = rows.iter().map(tracked).collect::<Result<Vec<_>>>()?;
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM findings WHERE {WHERE}"
        )))
        .bind(filter.status.clone())
        .bind(filter.vendor.clone())
        .bind(filter.host)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok((list, total.max(0) as u64))
    }

    async fn do_reports_for_host(
        &self,
        host_id: i64,
        page: crate::Page,
    ) -> Result<Vec<crate::ReportMeta>> {
        let (limit, offset) = page_binds(page);
        let rows = sqlx::query(
            "SELECT report_id, host_id, received_at, generated_at, catalog_version, findings FROM reports \
             WHERE host_id = $1 ORDER BY generated_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(host_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::ReportMeta {
                    report_id: r.try_get("report_id")?,
                    host_id: r.try_get("host_id")?,
                    received_at: r.try_get("received_at")?,
                    generated_at: r.try_get("generated_at")?,
                    catalog_version: r.try_get("catalog_version")?,
                    findings: count(r, "findings")?,
                })
            })
            .collect()
    }

    async fn do_report_body(&self, report_id: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT body FROM report_bodies WHERE report_id = $1")
            .bind(report_id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(tracking::as_gzip(r.try_get(0)?)),
            None => None,
        })
    }

    async fn directive_named(&self, name: &str) -> Result<Directive> {
        self.do_directives()
            .await?
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no directive {name}")))
    }
}
