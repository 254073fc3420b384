// The store's queries, written once. Included by `sqlite.rs` and
// `postgres.rs`, which define `Db`, `StoreTy`, `LOCK_HOST` and `begin()`.

use std::collections::BTreeSet;

use sqlx::types::Json;
use sqlx::Row;

use crate::model::{state, SCOPE_KINDS};
use crate::{
    AuditRow, BoxFuture, Directive, FindingFilter, HostFacts, HostRow, Ingest, Milestone,
    NewWaiver, TrackedFinding, Waiver,
};

type Tx = sqlx::Transaction<'static, Db>;

const FINDING_COLUMNS: &str =
    "host_id, finding_id, vendor, product, kind, indicator, evidence_source, evidence_key, \
     severity, state, first_seen, last_seen, resolved_at, resolved_by_report, waiver_id";

async fn audit_row(
    tx: &mut Tx,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at.to_owned())
    .bind(actor.to_owned())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(Json(detail))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The first unexpired waiver covering a finding, if any.
async fn active_waiver(
    tx: &mut Tx,
    now: &str,
    host_id: i64,
    finding_id: &str,
    product: &str,
    vendor: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT id FROM waivers WHERE expired_at IS NULL AND expires_at > $1 AND (\
           (scope_kind = 'finding' AND scope_value = $2) OR (scope_kind = 'host' AND scope_value = $3) OR \
           (scope_kind = 'product' AND scope_value = $4) OR (scope_kind = 'vendor' AND scope_value = $5)) \
         ORDER BY id LIMIT 1",
    )
    .bind(now.to_owned())
    .bind(finding_id.to_owned())
    .bind(host_id.to_string())
    .bind(product.to_owned())
    .bind(vendor.to_owned())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<i64, _>(0)?),
        None => None,
    })
}

fn finding_subject(host_id: i64, finding_id: &str) -> String {
    format!("finding:{host_id}/{finding_id}")
}

fn tracked(r: &<Db as sqlx::Database>::Row) -> Result<TrackedFinding> {
    Ok(TrackedFinding {
        host_id: r.try_get("host_id")?,
        finding_id: r.try_get("finding_id")?,
        vendor: r.try_get("vendor")?,
        product: r.try_get("product")?,
        kind: r.try_get("kind")?,
        indicator: r.try_get("indicator")?,
        evidence_source: r.try_get("evidence_source")?,
        evidence_key: r.try_get("evidence_key")?,
        severity: r.try_get("severity")?,
        state: r.try_get("state")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by_report: r.try_get("resolved_by_report")?,
        waiver_id: r.try_get("waiver_id")?,
    })
}

impl StoreTy {
    async fn do_enroll(&self, facts: &HostFacts, token_hash: &str) -> Result<i64> {
        if facts.name.is_empty() || token_hash.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                "host name and token hash must not be empty",
            ));
        }
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let existing = match &facts.machine_id {
            Some(mid) => sqlx::query("SELECT id FROM hosts WHERE machine_id = $1")
                .bind(mid.clone())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?,
            None => None,
        };
        let (id, action) = match existing {
            Some(id) => {
                sqlx::query("UPDATE hosts SET name = $1, os = $2, last_seen = $3, token_hash = $4 WHERE id = $5")
                    .bind(facts.name.clone())
                    .bind(facts.os.clone())
                    .bind(now.clone())
                    .bind(token_hash.to_owned())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                (id, "host.reenroll")
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO hosts (name, machine_id, os, first_seen, last_seen, token_hash) \
                     VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
                )
                .bind(facts.name.clone())
                .bind(facts.machine_id.clone())
                .bind(facts.os.clone())
                .bind(now.clone())
                .bind(token_hash.to_owned())
                .fetch_one(&mut *tx)
                .await?;
                (row.try_get::<i64, _>(0)?, "host.enroll")
            }
        };
        let detail = serde_json::json!({ "name": facts.name, "machine_id": facts.machine_id, "os": facts.os });
        audit_row(
            &mut tx,
            &now,
            &format!("host:{id}"),
            action,
            &format!("host:{id}"),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn do_ingest(&self, host_id: i64, report: &uproot_report::Report) -> Result<Ingest> {
        let rid = crate::report_id(report);
        let now = uproot_report::rfc3339_now();
        let actor = format!("host:{host_id}");
        let mut tx = self.begin().await?;
        if sqlx::query(LOCK_HOST)
            .bind(host_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no host {host_id}"),
            ));
        }
        let inserted = sqlx::query(
            "INSERT INTO reports (report_id, host_id, received_at, generated_at, catalog_version, body) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (report_id) DO NOTHING RETURNING id",
        )
        .bind(rid.clone())
        .bind(host_id)
        .bind(now.clone())
        .bind(report.generated_at.clone())
        .bind(report.catalog.version.clone())
        .bind(Json(report))
        .fetch_optional(&mut *tx)
        .await?;
        let mut out = Ingest::default();
        if inserted.is_none() {
            tx.rollback().await?;
            out.duplicate = true;
            return Ok(out);
        }
        sqlx::query("UPDATE hosts SET last_seen = $1 WHERE id = $2")
            .bind(now.clone())
            .bind(host_id)
            .execute(&mut *tx)
            .await?;
        // A report generated before one already stored (a late spool flush) is
        // kept, but must not move findings backwards.
        let newest: Option<String> = sqlx::query(
            "SELECT MAX(generated_at) FROM reports WHERE host_id = $1 AND report_id <> $2",
        )
        .bind(host_id)
        .bind(rid.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let stale = newest.is_some_and(|n| n > report.generated_at);
        if !stale {
            self.apply_findings(&mut tx, host_id, &rid, &now, &actor, report, &mut out)
                .await?;
        }
        let detail = serde_json::json!({
            "report_id": rid, "generated_at": report.generated_at, "catalog": report.catalog.version,
            "findings": report.findings.len(), "stale": stale,
            "opened": out.opened, "resolved": out.resolved, "reopened": out.reopened,
        });
        audit_row(
            &mut tx,
            &now,
            &actor,
            "report.ingest",
            &format!("host:{host_id}"),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_findings(
        &self,
        tx: &mut Tx,
        host_id: i64,
        rid: &str,
        now: &str,
        actor: &str,
        report: &uproot_report::Report,
        out: &mut Ingest,
    ) -> Result<()> {
        let mut present = BTreeSet::new();
        for f in &report.findings {
            if !present.insert(f.id.clone()) {
                continue;
            }
            let current: Option<String> =
                sqlx::query("SELECT state FROM findings WHERE host_id = $1 AND finding_id = $2")
                    .bind(host_id)
                    .bind(f.id.clone())
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            let subject = finding_subject(host_id, &f.id);
            match current.as_deref() {
                None => {
                    let waiver =
                        active_waiver(tx, now, host_id, &f.id, &f.product, &f.vendor).await?;
                    let st = if waiver.is_some() {
                        state::WAIVED
                    } else {
                        state::OPEN
                    };
                    sqlx::query(
                        "INSERT INTO findings (host_id, finding_id, vendor, product, kind, indicator, evidence_source, \
                           evidence_key, severity, state, first_seen, last_seen, last_report, waiver_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13)",
                    )
                    .bind(host_id)
                    .bind(f.id.clone())
                    .bind(f.vendor.clone())
                    .bind(f.product.clone())
                    .bind(f.kind.clone())
                    .bind(f.indicator.clone())
                    .bind(f.evidence.source.clone())
                    .bind(f.evidence.key.clone())
                    .bind(f.severity.clone())
                    .bind(st)
                    .bind(now.to_owned())
                    .bind(rid.to_owned())
                    .bind(waiver)
                    .execute(&mut **tx)
                    .await?;
                    out.opened += 1;
                    let detail = serde_json::json!({
                        "report_id": rid, "state": st, "waiver": waiver, "vendor": f.vendor, "product": f.product,
                        "indicator": f.indicator, "evidence": { "source": f.evidence.source, "key": f.evidence.key },
                    });
                    audit_row(tx, now, actor, "finding.open", &subject, detail).await?;
                }
                Some(state::RESOLVED) => {
                    let waiver =
                        active_waiver(tx, now, host_id, &f.id, &f.product, &f.vendor).await?;
                    let st = if waiver.is_some() {
                        state::WAIVED
                    } else {
                        state::REOPENED
                    };
                    sqlx::query(
                        "UPDATE findings SET state = $1, last_seen = $2, last_report = $3, resolved_at = NULL, \
                           resolved_by_report = NULL, waiver_id = $4 WHERE host_id = $5 AND finding_id = $6",
                    )
                    .bind(st)
                    .bind(now.to_owned())
                    .bind(rid.to_owned())
                    .bind(waiver)
                    .bind(host_id)
                    .bind(f.id.clone())
                    .execute(&mut **tx)
                    .await?;
                    out.reopened += 1;
                    let detail = serde_json::json!({ "report_id": rid, "from": state::RESOLVED, "to": st, "waiver": waiver });
                    audit_row(tx, now, actor, "finding.reopen", &subject, detail).await?;
                }
                Some(_) => {
                    sqlx::query(
                        "UPDATE findings SET last_seen = $1, last_report = $2 WHERE host_id = $3 AND finding_id = $4",
                    )
                    .bind(now.to_owned())
                    .bind(rid.to_owned())
                    .bind(host_id)
                    .bind(f.id.clone())
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
        let live = sqlx::query(
            "SELECT finding_id, state FROM findings WHERE host_id = $1 AND state <> 'resolved'",
        )
        .bind(host_id)
        .fetch_all(&mut **tx)
        .await?;
        for row in live {
            let fid: String = row.try_get(0)?;
            if present.contains(&fid) {
                continue;
            }
            let from: String = row.try_get(1)?;
            sqlx::query(
                "UPDATE findings SET state = 'resolved', resolved_at = $1, resolved_by_report = $2, waiver_id = NULL \
                 WHERE host_id = $3 AND finding_id = $4",
            )
            .bind(now.to_owned())
            .bind(rid.to_owned())
            .bind(host_id)
            .bind(fid.clone())
            .execute(&mut **tx)
            .await?;
            out.resolved += 1;
            let detail =
                serde_json::json!({ "report_id": rid, "from": from, "to": state::RESOLVED });
            audit_row(
                tx,
                now,
                actor,
                "finding.resolve",
                &finding_subject(host_id, &fid),
                detail,
            )
            .await?;
        }
        Ok(())
    }

    async fn do_add_waiver(&self, w: &NewWaiver) -> Result<i64> {
        if !SCOPE_KINDS.contains(&w.scope_kind.as_str()) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("waiver scope must be one of {SCOPE_KINDS:?}"),
            ));
        }
        if w.justification.trim().is_empty()
            || w.approver.trim().is_empty()
            || w.scope_value.is_empty()
        {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a waiver needs a scope value, a justification and an approver",
            ));
        }
        if w.expires_at <= w.created_at {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a waiver must expire after it is created",
            ));
        }
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO waivers (scope_kind, scope_value, justification, approver, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(w.scope_kind.clone())
        .bind(w.scope_value.clone())
        .bind(w.justification.clone())
        .bind(w.approver.clone())
        .bind(w.created_at.clone())
        .bind(w.expires_at.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit_row(
            &mut tx,
            &w.created_at,
            &w.approver,
            "waiver.add",
            &format!("waiver:{id}"),
            serde_json::to_value(w).unwrap_or_default(),
        )
        .await?;
        let covered = sqlx::query(match w.scope_kind.as_str() {
            "finding" => "SELECT host_id, finding_id FROM findings WHERE state IN ('open', 'reopened') AND finding_id = $1",
            "product" => "SELECT host_id, finding_id FROM findings WHERE state IN ('open', 'reopened') AND product = $1",
            "vendor" => "SELECT host_id, finding_id FROM findings WHERE state IN ('open', 'reopened') AND vendor = $1",
            _ => "SELECT host_id, finding_id FROM findings WHERE state IN ('open', 'reopened') AND CAST(host_id AS TEXT) = $1",
        })
        .bind(w.scope_value.clone())
        .fetch_all(&mut *tx)
        .await?;
        for row in covered {
            let host_id: i64 = row.try_get(0)?;
            let fid: String = row.try_get(1)?;
            sqlx::query("UPDATE findings SET state = 'waived', waiver_id = $1 WHERE host_id = $2 AND finding_id = $3")
                .bind(id)
                .bind(host_id)
                .bind(fid.clone())
                .execute(&mut *tx)
                .await?;
            let detail = serde_json::json!({ "waiver": id, "to": state::WAIVED });
            audit_row(
                &mut tx,
                &w.created_at,
                &w.approver,
                "finding.waive",
                &finding_subject(host_id, &fid),
                detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn do_waivers(&self) -> Result<Vec<Waiver>> {
        let rows = sqlx::query(
            "SELECT id, scope_kind, scope_value, justification, approver, created_at, expires_at, expired_at \
             FROM waivers ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Waiver {
                    id: r.try_get("id")?,
                    waiver: NewWaiver {
                        scope_kind: r.try_get("scope_kind")?,
                        scope_value: r.try_get("scope_value")?,
                        justification: r.try_get("justification")?,
                        approver: r.try_get("approver")?,
                        created_at: r.try_get("created_at")?,
                        expires_at: r.try_get("expires_at")?,
                    },
                    expired_at: r.try_get("expired_at")?,
                })
            })
            .collect()
    }

    async fn do_expire(&self, now: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let due = sqlx::query(
            "SELECT id FROM waivers WHERE expired_at IS NULL AND expires_at <= $1 ORDER BY id",
        )
        .bind(now.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        let mut n = 0;
        for row in due {
            let wid: i64 = row.try_get(0)?;
            sqlx::query("UPDATE waivers SET expired_at = $1 WHERE id = $2")
                .bind(now.to_owned())
                .bind(wid)
                .execute(&mut *tx)
                .await?;
            audit_row(
                &mut tx,
                now,
                "system",
                "waiver.expire",
                &format!("waiver:{wid}"),
                serde_json::json!({}),
            )
            .await?;
            n += 1;
            let waived = sqlx::query(
                "SELECT host_id, finding_id, product, vendor FROM findings WHERE waiver_id = $1 AND state = 'waived'",
            )
            .bind(wid)
            .fetch_all(&mut *tx)
            .await?;
            for f in waived {
                let host_id: i64 = f.try_get(0)?;
                let fid: String = f.try_get(1)?;
                let product: String = f.try_get(2)?;
                let vendor: String = f.try_get(3)?;
                // Another unexpired waiver may still cover it.
                let other = active_waiver(&mut tx, now, host_id, &fid, &product, &vendor).await?;
                let st = if other.is_some() {
                    state::WAIVED
                } else {
                    state::REOPENED
                };
                sqlx::query("UPDATE findings SET state = $1, waiver_id = $2 WHERE host_id = $3 AND finding_id = $4")
                    .bind(st)
                    .bind(other)
                    .bind(host_id)
                    .bind(fid.clone())
                    .execute(&mut *tx)
                    .await?;
                let detail =
                    serde_json::json!({ "expired_waiver": wid, "to": st, "waiver": other });
                let action = if other.is_some() {
                    "finding.waive"
                } else {
                    "finding.reopen"
                };
                audit_row(
                    &mut tx,
                    now,
                    "system",
                    action,
                    &finding_subject(host_id, &fid),
                    detail,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

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
        rows.iter()
            .map(|r| {
                Ok(HostRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    machine_id: r.try_get("machine_id")?,
                    os: r.try_get("os")?,
                    first_seen: r.try_get("first_seen")?,
                    last_seen: r.try_get("last_seen")?,
                })
            })
            .collect()
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
}

impl crate::Store for StoreTy {
    fn enroll_host<'a>(
        &'a self,
        facts: &'a HostFacts,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_enroll(facts, token_hash))
    }
    fn host_by_token_hash<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, Result<Option<i64>>> {
        Box::pin(self.do_host_by_token(token_hash))
    }
    fn ingest_report<'a>(
        &'a self,
        host_id: i64,
        report: &'a uproot_report::Report,
    ) -> BoxFuture<'a, Result<Ingest>> {
        Box::pin(self.do_ingest(host_id, report))
    }
    fn findings<'a>(
        &'a self,
        filter: &'a FindingFilter,
    ) -> BoxFuture<'a, Result<Vec<TrackedFinding>>> {
        Box::pin(self.do_findings(filter))
    }
    fn hosts(&self) -> BoxFuture<'_, Result<Vec<HostRow>>> {
        Box::pin(self.do_hosts())
    }
    fn add_waiver<'a>(&'a self, waiver: &'a NewWaiver) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_add_waiver(waiver))
    }
    fn waivers(&self) -> BoxFuture<'_, Result<Vec<Waiver>>> {
        Box::pin(self.do_waivers())
    }
    fn expire_waivers<'a>(&'a self, now: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.do_expire(now))
    }
    fn directives(&self) -> BoxFuture<'_, Result<Vec<Directive>>> {
        Box::pin(self.do_directives())
    }
    fn add_directive<'a>(
        &'a self,
        directive: &'a Directive,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_add_directive(directive, actor))
    }
    fn audit<'a>(&'a self, since: &'a str) -> BoxFuture<'a, Result<Vec<AuditRow>>> {
        Box::pin(self.do_audit(since))
    }
}
