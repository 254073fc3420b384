//! Test support, not part of the store's API: one fresh PostgreSQL schema
//! per test, so tests share the CI database (`scripts/ci-services`:
//! 127.0.0.1:5432, database `test`) without seeing each other's rows. The
//! fleet, server and workspace tests all create, open, reach and drop their
//! schemas through [`PgSchema`].
//!
//! `UPROOT_TEST_PG` names the server; without it the CI service is tried
//! as `postgres` and then as `root`. An unreachable server is an error
//! (which the tests turn into a failure), never a skip.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::{Error, ErrorKind, PgStore, Result};

/// Schemas made by this process so far (part of each name).
static SEQ: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL URLs to try, in order: `UPROOT_TEST_PG`, or the CI
/// service under its two usual superusers.
pub fn pg_urls() -> Vec<String> {
    match std::env::var("UPROOT_TEST_PG") {
        Ok(url) => vec![url],
        Err(_) => vec![
            "postgres://postgres@127.0.0.1:5432/test".into(),
            "postgres://root@127.0.0.1:5432/test".into(),
        ],
    }
}

/// A fresh, empty schema in the test database.
#[derive(Debug, Clone)]
pub struct PgSchema {
    /// The server URL (without a search path).
    pub url: String,
    /// The schema's name: `{prefix}_{pid}_{n}`.
    pub name: String,
}

impl PgSchema {
    /// Creates schema `{prefix}_{pid}_{n}` on the first reachable server of
    /// [`pg_urls`], dropping a leftover of the same name first (a killed
    /// run of a process with the same id).
    pub async fn new(prefix: &str) -> Result<PgSchema> {
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let mut errors = Vec::new();
        for url in pg_urls() {
            match Self::create(&url, prefix, &name).await {
                Ok(()) => return Ok(PgSchema { url, name }),
                Err(e) => errors.push(format!("{url}: {e}")),
            }
        }
        Err(Error::new(
            ErrorKind::Open,
            format!(
                "PostgreSQL is required for this test and is not reachable ({}); \
                 start it with scripts/ci-services, or set UPROOT_TEST_PG",
                errors.join("; ")
            ),
        ))
    }

    async fn create(url: &str, prefix: &str, name: &str) -> Result<()> {
        let mut c = PgConnection::connect(url)
            .await
            .map_err(|e| Error::with(ErrorKind::Open, format!("cannot connect to {url}"), e))?;
        let mut stale = Self::stale_schemas(&mut c, url, prefix).await?;
        stale.push(name.to_owned());
        let drops = stale
            .iter()
            .map(|s| format!("DROP SCHEMA IF EXISTS {s} CASCADE"));
        for sql in drops.chain([format!("CREATE SCHEMA {name}")]) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await?;
        }
        c.close().await?;
        Ok(())
    }

    /// Schemas `{prefix}_{pid}_{n}` left by test processes that are gone
    /// (a test that keeps its server alive cannot drop its own schema), so
    /// the shared database does not grow run after run. Only for a server
    /// on this machine, where the pids mean something, and only on Linux,
    /// where `/proc` says which processes are alive.
    async fn stale_schemas(c: &mut PgConnection, url: &str, prefix: &str) -> Result<Vec<String>> {
        let local = url.contains("@127.0.0.1") || url.contains("@localhost");
        if !local || !Path::new("/proc/self").exists() {
            return Ok(Vec::new());
        }
        let names: Vec<(String,)> =
            sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
                .bind(format!("{prefix}_"))
                .fetch_all(&mut *c)
                .await?;
        Ok(names
            .into_iter()
            .map(|(n,)| n)
            .filter(|n| {
                let rest = &n[prefix.len() + 1..];
                let pid = rest.split('_').next().and_then(|p| p.parse::<u32>().ok());
                // `{prefix}_{pid}_{n}` exactly, or it is not ours to drop.
                let ours = rest.split('_').count() == 2
                    && rest.bytes().all(|b| b.is_ascii_digit() || b == b'_');
                ours && pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists())
            })
            .collect())
    }

    /// [`PgSchema::new`], then a store in it (migrated).
    pub async fn with_store(prefix: &str) -> Result<(PgSchema, PgStore)> {
        let schema = Self::new(prefix).await?;
        let store = schema.open().await?;
        Ok((schema, store))
    }

    /// Opens a store in the schema, running any pending migrations.
    pub async fn open(&self) -> Result<PgStore> {
        PgStore::open_in_schema(&self.url, &self.name).await
    }

    /// A connection whose `search_path` is the schema, for raw SQL.
    pub async fn connect(&self) -> Result<PgConnection> {
        let opts = PgConnectOptions::from_str(&self.url)
            .map_err(|e| Error::with(ErrorKind::Open, format!("bad URL {}", self.url), e))?
            .options([("search_path", self.name.as_str())]);
        PgConnection::connect_with(&opts).await.map_err(|e| {
            Error::with(
                ErrorKind::Open,
                format!("cannot connect to {}", self.url),
                e,
            )
        })
    }

    /// The URL with the schema as `search_path`, for another process
    /// (`uproot serve --database …`).
    pub fn url_with_search_path(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.url, self.name)
    }

    /// Drops the schema and everything in it.
    pub async fn drop_schema(self) -> Result<()> {
        let mut c = PgConnection::connect(&self.url).await.map_err(|e| {
            Error::with(
                ErrorKind::Open,
                format!("cannot connect to {}", self.url),
                e,
            )
        })?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.name
        )))
        .execute(&mut c)
        .await?;
        c.close().await?;
        Ok(())
    }
}
