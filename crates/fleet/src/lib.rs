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
    /// Adds a waiver and waives the open findings it covers.
    fn add_waiver<'a>(&'a self, waiver: &'a NewWaiver) -> BoxFuture<'a, Result<i64>>;
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
}

/// The id a report is stored under: `sha256:` and the hex SHA-256 of its
/// JSON serialisation. A redelivered report has the same id; two scans never
/// do, because `generated_at` differs.
pub fn report_id(report: &uproot_report::Report) -> String {
    use sha2::{Digest, Sha256};
    let body = serde_json::to_vec(report).unwrap_or_default();
    let digest = Sha256::digest(&body);
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
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
