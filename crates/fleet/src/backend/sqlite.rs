//! SQLite: WAL, `synchronous=FULL`, writers serialised by `BEGIN IMMEDIATE`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Error, ErrorKind, Result};

type Db = sqlx::Sqlite;
type StoreTy = SqliteStore;

/// Appended to a SELECT whose rows the transaction will change.
const FOR_UPDATE: &str = "";

/// A host name containing the lower-cased pattern `$1`. SQLite's LIKE
/// already ignores ASCII case (and its LOWER() knows no other), so no
/// per-row LOWER() call.
const NAME_LIKE: &str = "h.name LIKE $1 ESCAPE '\\'";

/// Whether a compliance host page is read status by status in index order
/// (`segmented_hosts_page`) rather than by ranking every host. Not here:
/// SQLite has no statistics (nothing runs ANALYZE), so it walks the hosts
/// in deadline order even for a status few or no hosts have (100k probes
/// per empty status, and a directive page asks for four), and it tests
/// findings per host through `findings_vendor`, every finding of the
/// vendor for each host. Ranking every host is 20-50 ms at 100k hosts.
const SEGMENTED_HOST_PAGES: bool = false;

fn migrator() -> sqlx::migrate::Migrator {
    crate::migrations::migrator(crate::migrations::SQLITE)
}

/// The embedded backend: one SQLite file in WAL mode.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::Pool<Db>,
}

impl SqliteStore {
    fn backend_notices(&self) -> Vec<String> {
        Vec::new()
    }

    /// Opens (creating if missing) `sqlite://PATH` and runs migrations.
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::with(ErrorKind::Open, format!("bad SQLite URL {url}"), e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit that returned is on disk, even in WAL mode.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // The default 2 MB page cache per connection is far smaller
            // than the indexes of a 100k-host fleet; mapped reads and a
            // bigger cache keep dashboard scans out of read() calls, and
            // sorts stay in memory.
            .pragma("cache_size", "-32768")
            .pragma("mmap_size", "268435456")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| Error::with(ErrorKind::Open, format!("cannot open {url}"), e))?;
        migrator().run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Db>> {
        // IMMEDIATE takes the write lock up front, so two writers never
        // deadlock upgrading a read transaction.
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

include!("common.rs");
