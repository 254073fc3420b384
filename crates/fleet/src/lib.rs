//! Fleet server storage.
//!
//! One [`Store`] trait with two real backends: [`SqliteStore`]
//! (`sqlite://PATH`, WAL, `synchronous=FULL`) and [`PgStore`]
//! (`postgres://…`). [`open`] picks one from a URL and runs the versioned
//! migrations under `migrations/{sqlite,postgres}` before returning.
//!
//! Findings are tracked across reports by a stable identity: the host plus
//! the finding `id` a report carries (itself a hash of indicator, evidence
//! source and key). Ingest runs in one transaction and is idempotent by the
//! report's id; every state change writes an append-only audit row, and the
//! database itself rejects UPDATE and DELETE on `audit`.
#![deny(missing_docs)]

mod backend;
mod error;
mod migrations;
mod model;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod tracking;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use backend::{PgStore, SqliteStore};
pub use error::{Error, ErrorKind};
pub use model::*;

/// A boxed future, so that [`Store`] can be used as `dyn Store`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Result of every store operation.
pub type Result<T> = std::result::Result<T, Error>;

/// Fleet storage. Every method is one transaction; a method that returns
/// `Ok` has made its change durable.
pub trait Store: Send + Sync {
    /// What the operator should know about this store as opened (e.g. an
    /// index the database could not create); empty when all is well.
    fn notices(&self) -> Vec<String>;
    /// Registers a host (or re-enrolls the host with the same machine id)
    /// and stores the hash of its token. Returns the host id.
    fn enroll_host<'a>(
        &'a self,
        facts: &'a HostFacts,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<i64>>;
    /// The host whose token hashes to `token_hash`.
    fn host_by_token_hash<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, Result<Option<i64>>>;
    /// Stores a report for `host_id` and updates the host's findings, in one
    /// transaction. Idempotent by [`report_id`]: a second delivery stores
    /// nothing and returns `duplicate`.
    fn ingest_report<'a>(
        &'a self,
        host_id: i64,
        report: &'a uproot_report::Report,
    ) -> BoxFuture<'a, Result<Ingest>>;
    /// Tracked findings matching `filter`, ordered by host and id.
    fn findings<'a>(
        &'a self,
        filter: &'a FindingFilter,
    ) -> BoxFuture<'a, Result<Vec<TrackedFinding>>>;
    /// All hosts, ordered by id.
    fn hosts(&self) -> BoxFuture<'_, Result<Vec<HostRow>>>;
    /// Adds a `pending` waiver; it waives nothing until approved.
    fn add_waiver<'a>(&'a self, waiver: &'a NewWaiver) -> BoxFuture<'a, Result<i64>>;
    /// Approves a pending waiver and waives the open findings it covers.
    fn approve_waiver<'a>(
        &'a self,
        id: i64,
        approver: &'a str,
        at: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
    /// Expires one waiver now and reopens its findings.
    fn expire_waiver<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        at: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
    /// All waivers, ordered by id.
    fn waivers(&self) -> BoxFuture<'_, Result<Vec<Waiver>>>;
    /// Expires waivers whose `expires_at <= now` and reopens their findings.
    /// Returns the number of waivers expired.
    fn expire_waivers<'a>(&'a self, now: &'a str) -> BoxFuture<'a, Result<u64>>;
    /// All directives (built-in and user-added), ordered by id.
    fn directives(&self) -> BoxFuture<'_, Result<Vec<Directive>>>;
    /// Adds a user directive.
    fn add_directive<'a>(
        &'a self,
        directive: &'a Directive,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<i64>>;
    /// Audit rows with `at >= since`, oldest first.
    fn audit<'a>(&'a self, since: &'a str) -> BoxFuture<'a, Result<Vec<AuditRow>>>;

    // --- server (issue 5) -------------------------------------------------

    /// Stores a batch of submissions in ONE transaction (one fsync), each
    /// idempotent by report id, and returns one result per submission in
    /// order. The HTTP layer replies 202 only after this returns `Ok`.
    fn ingest_batch<'a>(
        &'a self,
        batch: &'a [Submission],
    ) -> BoxFuture<'a, Result<Vec<Result<Ingest>>>>;
    /// One host.
    fn host(&self, id: i64) -> BoxFuture<'_, Result<Option<HostRow>>>;
    /// Hosts with finding counts, ordered by id; and the total matching.
    fn host_summaries<'a>(
        &'a self,
        filter: &'a HostFilter,
        page: Page,
    ) -> BoxFuture<'a, Result<(Vec<HostSummary>, u64)>>;
    /// Tracked findings matching `filter`, one page; and the total matching.
    fn findings_page<'a>(
        &'a self,
        filter: &'a FindingFilter,
        page: Page,
    ) -> BoxFuture<'a, Result<(Vec<TrackedFinding>, u64)>>;
    /// A host's reports, newest first.
    fn reports_for_host(&self, host_id: i64, page: Page) -> BoxFuture<'_, Result<Vec<ReportMeta>>>;
    /// A stored report's gzip-compressed body.
    fn report_body<'a>(&'a self, report_id: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// Compliance with `directive` as it stood at `as_of` (RFC 3339),
    /// reconstructed from the finding history, so a past date gives the same
    /// answer tomorrow as today.
    fn compliance<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
    ) -> BoxFuture<'a, Result<Compliance>>;
    /// [`Store::compliance`] without the per-host rows (`hosts` is empty):
    /// the same milestones and totals from one grouped query, which stays
    /// fast at 100k hosts (dashboard overviews).
    fn compliance_summary<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
    ) -> BoxFuture<'a, Result<Compliance>> {
        Box::pin(async move {
            let mut c = self.compliance(directive, as_of, grace_days).await?;
            c.hosts.clear();
            Ok(c)
        })
    }
    /// One page of [`Store::compliance`]'s host rows, worst first
    /// (overdue, affected, not-scanned, waived, clean; then by deadline and
    /// id): hosts whose status is `status`, or every host that is not clean
    /// when `status` is `None`. How many there are is in
    /// [`Store::compliance_summary`]'s totals. Only the page is decoded, so
    /// it stays fast at 100k hosts.
    fn compliance_hosts<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
        status: Option<&'a str>,
        page: Page,
    ) -> BoxFuture<'a, Result<Vec<HostCompliance>>> {
        Box::pin(async move {
            let c = self.compliance(directive, as_of, grace_days).await?;
            let mut hosts: Vec<HostCompliance> = c
                .hosts
                .into_iter()
                .filter(|h| status.map_or(h.status != "clean", |s| h.status == s))
                .collect();
            hosts.sort_by(|a, b| {
                let key =
                    |h: &HostCompliance| (status_rank(&h.status), h.deadline.clone(), h.host_id);
                key(a).cmp(&key(b))
            });
            let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
            Ok(hosts
                .into_iter()
                .skip(offset)
                .take(page.limit as usize)
                .collect())
        })
    }
    /// Daily finding counts from `from` to `to` (`YYYY-MM-DD`, inclusive),
    /// optionally only the vendors of one directive.
    fn burndown<'a>(
        &'a self,
        directive: Option<&'a str>,
        from: &'a str,
        to: &'a str,
    ) -> BoxFuture<'a, Result<Vec<BurndownPoint>>>;
    /// Re-matches every host's latest stored inventory against `catalog`
    /// and applies the difference as a `rematch` by `actor`.
    fn rematch<'a>(
        &'a self,
        catalog: &'a uproot_catalog::CompiledCatalog,
        catalog_version: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<Rematch>>;
    /// Stores a new API token's hash; returns its id.
    fn create_api_token<'a>(
        &'a self,
        role: Role,
        token_hash: &'a str,
        label: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<i64>>;
    /// The role of the API token whose hash is `token_hash`.
    fn api_token_role<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, Result<Option<Role>>>;
    /// Creates or replaces a dashboard user.
    fn put_user<'a>(&'a self, user: &'a User, actor: &'a str) -> BoxFuture<'a, Result<()>>;
    /// One dashboard user.
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, Result<Option<User>>>;
    /// Stores a session under the hash of its cookie value.
    fn create_session<'a>(
        &'a self,
        session_hash: &'a str,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<()>>;
    /// The unexpired session whose cookie hashes to `session_hash`.
    fn session<'a>(
        &'a self,
        session_hash: &'a str,
        now: &'a str,
    ) -> BoxFuture<'a, Result<Option<Session>>>;
    /// Ends a session.
    fn delete_session<'a>(&'a self, session_hash: &'a str) -> BoxFuture<'a, Result<()>>;
    /// A server setting (`enroll_secret_hash`, `catalog_version`, …).
    fn setting<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>>>;
    /// Sets a server setting; audited as `setting.set` by `actor` (the value
    /// itself is not written to the audit trail: it may be a secret's hash).
    fn set_setting<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
    /// Appends an audit row for an action outside the store (a login, an
    /// export).
    fn record<'a>(
        &'a self,
        actor: &'a str,
        action: &'a str,
        subject: &'a str,
        detail: serde_json::Value,
    ) -> BoxFuture<'a, Result<()>>;
}

/// Worst first: the order of [`Store::compliance_hosts`].
pub fn status_rank(status: &str) -> u8 {
    match status {
        "overdue" => 0,
        "affected" => 1,
        "not-scanned" => 2,
        "waived" => 3,
        _ => 4,
    }
}

/// Re-exported: the one definition lives in `uproot-report`.
pub use uproot_report::report_id_of_bytes;

/// The id a report is stored under: `sha256:` and the hex SHA-256 of its
/// JSON serialisation. A redelivered report has the same id; two scans never
/// do, because `generated_at` differs.
pub fn report_id(report: &uproot_report::Report) -> String {
    report_id_of_bytes(&serde_json::to_vec(report).unwrap_or_default())
}

/// Opens the store named by `url` (`sqlite://PATH` or `postgres://…`) and
/// runs pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        Err(Error::new(
            ErrorKind::Invalid,
            format!("unsupported database URL (want sqlite:// or postgres://): {url}"),
        ))
    }
}
