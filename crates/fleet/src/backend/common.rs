// The store's queries, written once. Included by `sqlite.rs` and
// `postgres.rs`, which define `Db`, `StoreTy`, `FOR_UPDATE` and `begin()`.
// The rest of the queries live in the files included at the bottom.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::types::Json;
use sqlx::Row;

use crate::model::{state, waiver_status, SCOPE_KINDS};
use crate::tracking::{self, placeholders, ActiveWaiver};
use crate::{
    AuditRow, BoxFuture, Directive, FindingFilter, HostFacts, HostRow, Ingest, Milestone,
    NewWaiver, Submission, TrackedFinding, Waiver,
};

type Tx = sqlx::Transaction<'static, Db>;
type DbRow = <Db as sqlx::Database>::Row;

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

/// One finding state change: written to the history (`finding_events`,
/// which compliance and the burndown replay) and to the audit trail.
struct Change<'a> {
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    host_id: i64,
    finding_id: &'a str,
    vendor: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    report_id: Option<&'a str>,
    waiver_id: Option<i64>,
    detail: serde_json::Value,
}

async fn record_change(tx: &mut Tx, c: Change<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO finding_events (host_id, finding_id, vendor, at, state, prev_state, report_id, waiver_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.host_id)
    .bind(c.finding_id.to_owned())
    .bind(c.vendor.to_owned())
    .bind(c.at.to_owned())
    .bind(c.to.to_owned())
    .bind(c.from.map(str::to_owned))
    .bind(c.report_id.map(str::to_owned))
    .bind(c.waiver_id)
    .execute(&mut **tx)
    .await?;
    let subject = finding_subject(c.host_id, c.finding_id);
    audit_row(tx, c.at, c.actor, c.action, &subject, c.detail).await
}

/// Approved waivers in force at `now`, lowest id first.
async fn active_waivers(tx: &mut Tx, now: &str) -> Result<Vec<ActiveWaiver>> {
    let rows = sqlx::query(
        "SELECT id, scope_kind, scope_value FROM waivers \
         WHERE status = 'approved' AND expires_at > $1 ORDER BY id",
    )
    .bind(now.to_owned())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ActiveWaiver {
                id: r.try_get(0)?,
                scope_kind: r.try_get(1)?,
                scope_value: r.try_get(2)?,
            })
        })
        .collect()
}

/// Locks the given hosts in id order (PostgreSQL; SQLite's `BEGIN
/// IMMEDIATE` already serialises writers) and returns those that exist.
async fn lock_hosts(tx: &mut Tx, ids: &[i64]) -> Result<BTreeSet<i64>> {
    let ids: Vec<i64> = ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let rows = select_in(tx, &ids, |list| {
        format!("SELECT id FROM hosts WHERE id IN ({list}) ORDER BY id{FOR_UPDATE}")
    })
    .await?;
    rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
}

/// Runs `sql` (given the `$1, $2, …` list for one chunk of `keys`) once per
/// chunk and returns every row: SQLite caps the parameters one statement
/// may bind, and a batch can name more hosts or reports than that.
async fn select_in<T>(tx: &mut Tx, keys: &[T], sql: impl Fn(&str) -> String) -> Result<Vec<DbRow>>
where
    T: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Clone + Send + 'static,
{
    let mut rows = Vec::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql(&placeholders(1, chunk.len()))));
        for k in chunk {
            q = q.bind(k.clone());
        }
        rows.extend(q.fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

fn finding_subject(host_id: i64, finding_id: &str) -> String {
    format!("finding:{host_id}/{finding_id}")
}

fn tracked(r: &DbRow) -> Result<TrackedFinding> {
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

fn host_row(r: &DbRow) -> Result<HostRow> {
    Ok(HostRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        machine_id: r.try_get("machine_id")?,
        os: r.try_get("os")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
    })
}

fn count(r: &DbRow, col: &str) -> Result<u64> {
    Ok(r.try_get::<Option<i64>, _>(col)?.unwrap_or(0).max(0) as u64)
}

/// Where one ingest's findings come from and who is applying them.
struct Apply<'a> {
    host_id: i64,
    report_id: &'a str,
    now: &'a str,
    actor: &'a str,
    waivers: &'a [ActiveWaiver],
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

    /// The single-report path: the same code as a batch of one.
    async fn do_ingest(&self, host_id: i64, report: &uproot_report::Report) -> Result<Ingest> {
        let json = serde_json::to_vec(report)
            .map_err(|e| Error::with(ErrorKind::Invalid, "report does not serialise", e))?;
        let sub = Submission {
            host_id,
            report_id: crate::report_id_of_bytes(&json),
            generated_at: report.generated_at.clone(),
            catalog_version: report.catalog.version.clone(),
            findings: report.findings.clone(),
            summary: report.summary.clone(),
            body_gz: tracking::gzip(&json),
        };
        let mut out = self.do_ingest_batch(std::slice::from_ref(&sub)).await?;
        out.pop()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Database, "empty batch result")))
    }

    async fn do_ingest_batch(&self, batch: &[Submission]) -> Result<Vec<Result<Ingest>>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // A savepoint per submission costs two round trips each, and a
        // submission that fails inside the database is rare: try the batch
        // without them, and only when one fails redo it with them, so the
        // failure is rolled back alone and the rest still commits.
        if let Some(out) = self.run_batch(batch, false).await? {
            return Ok(out);
        }
        Ok(self.run_batch(batch, true).await?.unwrap_or_default())
    }

    /// One transaction for the whole batch. Without `isolate`, the batch is
    /// written with a fixed number of multi-row statements
    /// ([`ingest_bulk`]) and `None` is returned (having rolled back) if
    /// anything failed in the database; with it, each submission is
    /// written alone under a savepoint, so one failure is rolled back alone.
    async fn run_batch(
        &self,
        batch: &[Submission],
        isolate: bool,
    ) -> Result<Option<Vec<Result<Ingest>>>> {
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = batch.iter().map(|s| s.host_id).collect();
        let known = lock_hosts(&mut tx, &ids).await?;
        let waivers = active_waivers(&mut tx, &now).await?;
        if !isolate {
            return match ingest_bulk(&mut tx, batch, &known, &now, &waivers).await {
                Ok(out) => {
                    tx.commit().await?;
                    Ok(Some(out))
                }
                Err(_) => {
                    tx.rollback().await?;
                    Ok(None)
                }
            };
        }
        let mut out = Vec::with_capacity(batch.len());
        for sub in batch {
            if let Err(e) = check_submission(sub, &known) {
                out.push(Err(e));
                continue;
            }
            sqlx::query("SAVEPOINT submission")
                .execute(&mut *tx)
                .await?;
            let res = self.ingest_one(&mut tx, sub, &now, &waivers).await;
            if res.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT submission")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT submission")
                .execute(&mut *tx)
                .await?;
            out.push(res);
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// One submission alone: the savepoint fallback of [`ingest_bulk`].
    async fn ingest_one(
        &self,
        tx: &mut Tx,
        sub: &Submission,
        now: &str,
        waivers: &[ActiveWaiver],
    ) -> Result<Ingest> {
        let host_id = sub.host_id;
        // RETURNING also reads the host's newest other report, saving a round
        // trip (the subquery excludes this report on both backends).
        let inserted = sqlx::query(
            "INSERT INTO reports (report_id, host_id, received_at, generated_at, catalog_version, findings) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (report_id) DO NOTHING \
             RETURNING (SELECT MAX(r.generated_at) FROM reports r WHERE r.host_id = $2 AND r.report_id <> $1)",
        )
        .bind(sub.report_id.clone())
        .bind(host_id)
        .bind(now.to_owned())
        .bind(sub.generated_at.clone())
        .bind(sub.catalog_version.clone())
        .bind(sub.findings.len() as i64)
        .fetch_optional(&mut **tx)
        .await?;
        let mut out = Ingest::default();
        let newest: Option<String> = match inserted {
            Some(row) => row.try_get(0)?,
            None => {
                out.duplicate = true;
                return Ok(out);
            }
        };
        sqlx::query("INSERT INTO report_bodies (report_id, body) VALUES ($1, $2)")
            .bind(sub.report_id.clone())
            .bind(sub.body_gz.clone())
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE hosts SET last_seen = $1, last_report_at = $1, \
             first_report_at = COALESCE(first_report_at, $1) WHERE id = $2",
        )
        .bind(now.to_owned())
        .bind(host_id)
        .execute(&mut **tx)
        .await?;
        // A report generated before one already stored (a late spool flush) is
        // kept, but must not move findings backwards.
        let stale = newest.is_some_and(|n| n > sub.generated_at);
        let actor = format!("host:{host_id}");
        if !stale {
            let ctx = Apply {
                host_id,
                report_id: &sub.report_id,
                now,
                actor: &actor,
                waivers,
            };
            apply_findings(tx, &ctx, &sub.findings, &mut out).await?;
        }
        let detail = serde_json::json!({
            "report_id": sub.report_id, "generated_at": sub.generated_at, "catalog": sub.catalog_version,
            "findings": sub.findings.len(), "stale": stale,
            "opened": out.opened, "resolved": out.resolved, "reopened": out.reopened,
        });
        audit_row(
            tx,
            now,
            &actor,
            "report.ingest",
            &format!("host:{host_id}"),
            detail,
        )
        .await?;
        Ok(out)
    }
}

/// Most rows one multi-row statement carries (SQLite bounds the number of
/// bound parameters per statement).
const ROWS_PER_STATEMENT: usize = 500;

fn check_submission(sub: &Submission, known: &BTreeSet<i64>) -> Result<()> {
    if !known.contains(&sub.host_id) {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("no host {}", sub.host_id),
        ));
    }
    if !sub.report_id.starts_with("sha256:") || sub.generated_at.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            "a submission needs a sha256: report id and generated_at",
        ));
    }
    Ok(())
}

/// A host's tracked findings: id → (state, vendor).
type Current = HashMap<String, (String, String)>;

/// Writes that can wait until the next finding change or the end of the
/// batch, so the common case (no change) costs one statement per batch
/// rather than one per report. Flushing before every change keeps the
/// audit trail in the order the reports were processed and each host's
/// `last_seen` update ordered against its next report's changes.
#[derive(Default)]
struct Pending {
    /// `report.ingest` rows: (actor = subject, detail).
    audit: Vec<(String, serde_json::Value)>,
    /// Host → the report whose findings it was last seen with.
    seen_by: BTreeMap<i64, String>,
}

impl Pending {
    async fn flush(&mut self, tx: &mut Tx, now: &str) -> Result<()> {
        for chunk in self.audit.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "($1, ${}, 'report.ingest', ${}, ${})",
                        3 * i + 2,
                        3 * i + 3,
                        3 * i + 4
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit (at, actor, action, subject, detail) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_owned());
            for (actor, detail) in chunk {
                q = q
                    .bind(actor.clone())
                    .bind(actor.clone())
                    .bind(Json(detail.clone()));
            }
            q.execute(&mut **tx).await?;
        }
        self.audit.clear();
        let seen: Vec<(i64, String)> = std::mem::take(&mut self.seen_by).into_iter().collect();
        for chunk in seen.chunks(ROWS_PER_STATEMENT) {
            let cases: String = (0..chunk.len())
                .map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 2, 2 * i + 3))
                .collect();
            let first = 2 * chunk.len() + 2;
            let sql = format!(
                "UPDATE findings SET last_seen = $1, last_report = CASE host_id{cases} END \
                 WHERE state <> 'resolved' AND host_id IN ({})",
                placeholders(first, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_owned());
            for (host, report) in chunk {
                q = q.bind(*host).bind(report.clone());
            }
            for (host, _) in chunk {
                q = q.bind(*host);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// What a batch's submissions find already stored: report ids among
/// theirs (duplicates) and each host's newest `generated_at`.
async fn prior_reports(
    tx: &mut Tx,
    subs: &[&Submission],
) -> Result<(HashSet<String>, HashMap<i64, String>)> {
    let ids: Vec<String> = subs.iter().map(|s| s.report_id.clone()).collect();
    let rows = select_in(tx, &ids, |list| {
        format!("SELECT report_id FROM reports WHERE report_id IN ({list})")
    })
    .await?;
    let existing = rows
        .iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect::<Result<HashSet<_>>>()?;
    let hosts: Vec<i64> = subs
        .iter()
        .map(|s| s.host_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = select_in(tx, &hosts, |list| {
        format!("SELECT host_id, MAX(generated_at) FROM reports WHERE host_id IN ({list}) GROUP BY host_id")
    })
    .await?;
    let mut newest = HashMap::new();
    for r in rows {
        if let Some(at) = r.try_get::<Option<String>, _>(1)? {
            newest.insert(r.try_get::<i64, _>(0)?, at);
        }
    }
    Ok((existing, newest))
}

/// Inserts the `reports` and `report_bodies` rows of `subs` (none stored
/// yet) and marks their hosts as having reported at `now`.
async fn insert_reports(tx: &mut Tx, subs: &[(&Submission, bool)], now: &str) -> Result<()> {
    for chunk in subs.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 5 * i + 2;
                format!("(${b}, ${}, $1, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO reports (report_id, host_id, received_at, generated_at, catalog_version, findings) \
             VALUES {} ON CONFLICT (report_id) DO NOTHING RETURNING report_id",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_owned());
        for (s, _) in chunk {
            q = q
                .bind(s.report_id.clone())
                .bind(s.host_id)
                .bind(s.generated_at.clone())
                .bind(s.catalog_version.clone())
                .bind(s.findings.len() as i64);
        }
        // A report stored meanwhile by another writer (PostgreSQL): the
        // caller redoes the batch one submission at a time.
        if q.fetch_all(&mut **tx).await?.len() != chunk.len() {
            return Err(Error::new(
                ErrorKind::Database,
                "report stored concurrently",
            ));
        }
        let sql = format!(
            "INSERT INTO report_bodies (report_id, body) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (s, _) in chunk {
            q = q.bind(s.report_id.clone()).bind(s.body_gz.clone());
        }
        q.execute(&mut **tx).await?;
    }
    let hosts: Vec<i64> = subs
        .iter()
        .map(|(s, _)| s.host_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in hosts.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE hosts SET last_seen = $1, last_report_at = $1, \
             first_report_at = COALESCE(first_report_at, $1) WHERE id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_owned());
        for h in chunk {
            q = q.bind(*h);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The tracked findings of `hosts`, each host present (empty if none).
async fn current_findings(tx: &mut Tx, hosts: &BTreeSet<i64>) -> Result<HashMap<i64, Current>> {
    let mut out: HashMap<i64, Current> = hosts.iter().map(|h| (*h, Current::new())).collect();
    let hosts: Vec<i64> = hosts.iter().copied().collect();
    let rows = select_in(tx, &hosts, |list| {
        format!("SELECT host_id, finding_id, state, vendor FROM findings WHERE host_id IN ({list})")
    })
    .await?;
    for r in rows {
        let host: i64 = r.try_get(0)?;
        out.entry(host)
            .or_default()
            .insert(r.try_get(1)?, (r.try_get(2)?, r.try_get(3)?));
    }
    Ok(out)
}

/// The whole batch with a fixed number of statements when no finding
/// changes state: the same outcome, row for row, as ingesting the
/// submissions one after another. Any database error fails the whole call.
async fn ingest_bulk(
    tx: &mut Tx,
    batch: &[Submission],
    known: &BTreeSet<i64>,
    now: &str,
    waivers: &[ActiveWaiver],
) -> Result<Vec<Result<Ingest>>> {
    let mut out: Vec<Result<Ingest>> = Vec::with_capacity(batch.len());
    let mut valid = Vec::with_capacity(batch.len());
    for sub in batch {
        match check_submission(sub, known) {
            Ok(()) => {
                valid.push(sub);
                out.push(Ok(Ingest::default()));
            }
            Err(e) => out.push(Err(e)),
        }
    }
    let (existing, mut newest) = prior_reports(tx, &valid).await?;
    // Decided in batch order, as one-by-one ingests would: a repeat of an
    // earlier submission is a duplicate, and a report generated before one
    // already stored or earlier in the batch is stale.
    let mut seen: HashSet<&str> = HashSet::with_capacity(valid.len());
    let mut plan: Vec<Option<bool>> = Vec::with_capacity(batch.len());
    let mut fresh: Vec<(&Submission, bool)> = Vec::with_capacity(valid.len());
    for (sub, res) in batch.iter().zip(out.iter_mut()) {
        let Ok(ingest) = res else {
            plan.push(None);
            continue;
        };
        if existing.contains(&sub.report_id) || !seen.insert(sub.report_id.as_str()) {
            ingest.duplicate = true;
            plan.push(None);
            continue;
        }
        let newest = newest.entry(sub.host_id).or_default();
        let stale = !newest.is_empty() && newest.as_str() > sub.generated_at.as_str();
        if !stale {
            newest.clone_from(&sub.generated_at);
        }
        plan.push(Some(stale));
        fresh.push((sub, stale));
    }
    if fresh.is_empty() {
        return Ok(out);
    }
    insert_reports(tx, &fresh, now).await?;
    let applying: BTreeSet<i64> = fresh
        .iter()
        .filter(|(_, stale)| !stale)
        .map(|(s, _)| s.host_id)
        .collect();
    let mut current = current_findings(tx, &applying).await?;
    let mut pending = Pending::default();
    for ((sub, res), stale) in batch.iter().zip(out.iter_mut()).zip(plan) {
        let (Some(stale), Ok(ingest)) = (stale, res) else {
            continue;
        };
        let actor = format!("host:{}", sub.host_id);
        if !stale {
            let ctx = Apply {
                host_id: sub.host_id,
                report_id: &sub.report_id,
                now,
                actor: &actor,
                waivers,
            };
            let cur = current.entry(sub.host_id).or_default();
            apply_bulk(tx, &ctx, &sub.findings, cur, ingest, &mut pending).await?;
        }
        let detail = serde_json::json!({
            "report_id": sub.report_id, "generated_at": sub.generated_at, "catalog": sub.catalog_version,
            "findings": sub.findings.len(), "stale": stale,
            "opened": ingest.opened, "resolved": ingest.resolved, "reopened": ingest.reopened,
        });
        pending.audit.push((actor, detail));
    }
    pending.flush(tx, now).await?;
    Ok(out)
}

/// [`apply_findings`] against `current` (kept up to date, for the host's
/// next report in the batch), deferring the `last_seen` update to `pending`.
async fn apply_bulk(
    tx: &mut Tx,
    ctx: &Apply<'_>,
    findings: &[uproot_matcher::Finding],
    current: &mut Current,
    out: &mut Ingest,
    pending: &mut Pending,
) -> Result<()> {
    let mut present: HashSet<&str> = HashSet::with_capacity(findings.len());
    let mut appear = Vec::new();
    for f in findings {
        if !present.insert(f.id.as_str()) {
            continue;
        }
        match current.get(&f.id).map(|c| c.0.as_str()) {
            None => appear.push((f, false)),
            Some(state::RESOLVED) => appear.push((f, true)),
            Some(_) => {}
        }
    }
    // In finding id order, so the history does not depend on hashing.
    let mut gone: Vec<(String, String, String)> = current
        .iter()
        .filter(|(fid, (st, _))| st != state::RESOLVED && !present.contains(fid.as_str()))
        .map(|(fid, (st, vendor))| (fid.clone(), st.clone(), vendor.clone()))
        .collect();
    gone.sort_unstable();
    if !appear.is_empty() || !gone.is_empty() {
        pending.flush(tx, ctx.now).await?;
    }
    for (f, seen_before) in appear {
        let waived =
            tracking::covering(ctx.waivers, ctx.host_id, &f.id, &f.product, &f.vendor).is_some();
        if seen_before {
            reopen_finding(tx, ctx, f).await?;
            out.reopened += 1;
            let st = if waived {
                state::WAIVED
            } else {
                state::REOPENED
            };
            if let Some(c) = current.get_mut(&f.id) {
                c.0 = st.to_owned();
            }
        } else {
            open_finding(tx, ctx, f).await?;
            out.opened += 1;
            let st = if waived { state::WAIVED } else { state::OPEN };
            current.insert(f.id.clone(), (st.to_owned(), f.vendor.clone()));
        }
    }
    for (fid, from, vendor) in gone {
        resolve_finding(tx, ctx, &fid, &from, &vendor).await?;
        out.resolved += 1;
        if let Some(c) = current.get_mut(&fid) {
            c.0 = state::RESOLVED.to_owned();
        }
    }
    if !present.is_empty() {
        pending
            .seen_by
            .insert(ctx.host_id, ctx.report_id.to_owned());
    }
    Ok(())
}

/// A live finding absent from the host's newest report resolves.
async fn resolve_finding(
    tx: &mut Tx,
    ctx: &Apply<'_>,
    fid: &str,
    from: &str,
    vendor: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE findings SET state = 'resolved', resolved_at = $1, resolved_by_report = $2, waiver_id = NULL \
         WHERE host_id = $3 AND finding_id = $4",
    )
    .bind(ctx.now.to_owned())
    .bind(ctx.report_id.to_owned())
    .bind(ctx.host_id)
    .bind(fid.to_owned())
    .execute(&mut **tx)
    .await?;
    let detail =
        serde_json::json!({ "report_id": ctx.report_id, "from": from, "to": state::RESOLVED });
    record_change(
        tx,
        Change {
            at: ctx.now,
            actor: ctx.actor,
            action: "finding.resolve",
            host_id: ctx.host_id,
            finding_id: fid,
            vendor,
            from: Some(from),
            to: state::RESOLVED,
            report_id: Some(ctx.report_id),
            waiver_id: None,
            detail,
        },
    )
    .await
}

/// The finding lifecycle for one host given the findings of its newest
/// report (or of a re-match): new ones open, resolved ones seen again
/// reopen, live ones absent resolve. The host's current findings are read
/// once into a map.
async fn apply_findings(
    tx: &mut Tx,
    ctx: &Apply<'_>,
    findings: &[uproot_matcher::Finding],
    out: &mut Ingest,
) -> Result<()> {
    let host_id = ctx.host_id;
    let rows = sqlx::query("SELECT finding_id, state, vendor FROM findings WHERE host_id = $1")
        .bind(host_id)
        .fetch_all(&mut **tx)
        .await?;
    let mut current: HashMap<String, (String, String)> = HashMap::with_capacity(rows.len());
    for r in rows {
        current.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
    }
    let mut present: HashSet<&str> = HashSet::with_capacity(findings.len());
    for f in findings {
        if !present.insert(f.id.as_str()) {
            continue;
        }
        match current.get(&f.id).map(|c| c.0.as_str()) {
            None => {
                open_finding(tx, ctx, f).await?;
                out.opened += 1;
            }
            Some(state::RESOLVED) => {
                reopen_finding(tx, ctx, f).await?;
                out.reopened += 1;
            }
            Some(_) => {}
        }
    }
    for (fid, (from, vendor)) in &current {
        if from == state::RESOLVED || present.contains(fid.as_str()) {
            continue;
        }
        sqlx::query(
            "UPDATE findings SET state = 'resolved', resolved_at = $1, resolved_by_report = $2, waiver_id = NULL \
             WHERE host_id = $3 AND finding_id = $4",
        )
        .bind(ctx.now.to_owned())
        .bind(ctx.report_id.to_owned())
        .bind(host_id)
        .bind(fid.clone())
        .execute(&mut **tx)
        .await?;
        out.resolved += 1;
        let detail =
            serde_json::json!({ "report_id": ctx.report_id, "from": from, "to": state::RESOLVED });
        record_change(
            tx,
            Change {
                at: ctx.now,
                actor: ctx.actor,
                action: "finding.resolve",
                host_id,
                finding_id: fid,
                vendor,
                from: Some(from),
                to: state::RESOLVED,
                report_id: Some(ctx.report_id),
                waiver_id: None,
                detail,
            },
        )
        .await?;
    }
    // Every live finding is now exactly one present in this report.
    if !present.is_empty() {
        sqlx::query(
            "UPDATE findings SET last_seen = $1, last_report = $2 WHERE host_id = $3 AND state <> 'resolved'",
        )
        .bind(ctx.now.to_owned())
        .bind(ctx.report_id.to_owned())
        .bind(host_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn open_finding(tx: &mut Tx, ctx: &Apply<'_>, f: &uproot_matcher::Finding) -> Result<()> {
    let waiver = tracking::covering(ctx.waivers, ctx.host_id, &f.id, &f.product, &f.vendor);
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
    .bind(ctx.host_id)
    .bind(f.id.clone())
    .bind(f.vendor.clone())
    .bind(f.product.clone())
    .bind(f.kind.clone())
    .bind(f.indicator.clone())
    .bind(f.evidence.source.clone())
    .bind(f.evidence.key.clone())
    .bind(f.severity.clone())
    .bind(st)
    .bind(ctx.now.to_owned())
    .bind(ctx.report_id.to_owned())
    .bind(waiver)
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({
        "report_id": ctx.report_id, "state": st, "waiver": waiver, "vendor": f.vendor, "product": f.product,
        "indicator": f.indicator, "evidence": { "source": f.evidence.source, "key": f.evidence.key },
    });
    record_change(
        tx,
        Change {
            at: ctx.now,
            actor: ctx.actor,
            action: "finding.open",
            host_id: ctx.host_id,
            finding_id: &f.id,
            vendor: &f.vendor,
            from: None,
            to: st,
            report_id: Some(ctx.report_id),
            waiver_id: waiver,
            detail,
        },
    )
    .await
}

async fn reopen_finding(tx: &mut Tx, ctx: &Apply<'_>, f: &uproot_matcher::Finding) -> Result<()> {
    let waiver = tracking::covering(ctx.waivers, ctx.host_id, &f.id, &f.product, &f.vendor);
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
    .bind(ctx.now.to_owned())
    .bind(ctx.report_id.to_owned())
    .bind(waiver)
    .bind(ctx.host_id)
    .bind(f.id.clone())
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({ "report_id": ctx.report_id, "from": state::RESOLVED, "to": st, "waiver": waiver });
    record_change(
        tx,
        Change {
            at: ctx.now,
            actor: ctx.actor,
            action: "finding.reopen",
            host_id: ctx.host_id,
            finding_id: &f.id,
            vendor: &f.vendor,
            from: Some(state::RESOLVED),
            to: st,
            report_id: Some(ctx.report_id),
            waiver_id: waiver,
            detail,
        },
    )
    .await
}

include!("waivers.rs");
include!("reads.rs");
include!("compliance.rs");
include!("admin.rs");
include!("store_impl.rs");
