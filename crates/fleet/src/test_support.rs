//! Test support, not part of the store's API: one fresh PostgreSQL schema
//! per test, so tests share the CI database (`scripts/ci-services`:
//! 127.0.0.1:5432, database `test`) without seeing each other's rows. The
//! fleet, server and workspace tests all create, open, reach and drop their
//! schemas through [`PgSchema`].
//!
//! `UPROOT_TEST_PG` names the server; without it the CI service is tried
//! as `postgres` and then as `root`. An unreachable server is an error
//! (which the tests turn into a failure), never a skip.

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
            match Self::create(&url, &name).await {
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

    async fn create(url: &str, name: &str) -> Result<()> {
        let mut c = PgConnection::connect(url)
            .await
            .map_err(|e| Error::with(ErrorKind::Open, format!("cannot connect to {url}"), e))?;
        for sql in [
            format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
            format!("CREATE SCHEMA {name}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await?;
        }
        c.close().await?;
        Ok(())
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
