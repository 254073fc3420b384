//! PostgreSQL: shared by several stateless server replicas.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::Connection;

use crate::{Error, ErrorKind, Result};

type Db = sqlx::Postgres;
type StoreTy = PgStore;

/// Appended to a SELECT whose rows the transaction will change. Locking
/// host rows in id order before touching their findings keeps concurrent
/// batches and waiver changes from deadlocking.
const FOR_UPDATE: &str = " FOR UPDATE";

/// A host name containing the lower-cased pattern `$1`.
const NAME_LIKE: &str = "LOWER(h.name) LIKE $1 ESCAPE '\\'";

/// Whether a compliance host page is read status by status in index order
/// (`segmented_hosts_page`) rather than by ranking every host: yes here,
/// where the planner's statistics keep each status's read near the page's
/// size. At 100k hosts the directive page's host list (four statuses) took
/// under 15 ms warm, against 60-110 ms when ranking every host.
const SEGMENTED_HOST_PAGES: bool = true;

fn migrator() -> sqlx::migrate::Migrator {
    crate::migrations::migrator(crate::migrations::POSTGRES)
}

/// The PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: sqlx::Pool<Db>,
    /// Found at open; see [`crate::Store::notices`].
    notices: Vec<String>,
}

impl PgStore {
    /// Connects to `postgres://…` and runs migrations.
    pub async fn open(url: &str) -> Result<PgStore> {
        let opts = Self::options(url)?;
        Self::open_with(url, opts).await
    }

    /// Like [`PgStore::open`], but keeps every table in `schema` (created if
    /// missing) through the connection's `search_path`. Tests use one fresh
    /// schema per run; deployments may use it to share a database.
    pub async fn open_in_schema(url: &str, schema: &str) -> Result<PgStore> {
        if schema.is_empty()
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("schema name must be [a-z0-9_]+: {schema:?}"),
            ));
        }
        let opts = Self::options(url)?;
        let mut conn = sqlx::PgConnection::connect_with(&opts)
            .await
            .map_err(|e| Error::with(ErrorKind::Open, format!("cannot connect to {url}"), e))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Self::open_with(url, opts.options([("search_path", schema)])).await
    }

    fn options(url: &str) -> Result<PgConnectOptions> {
        PgConnectOptions::from_str(url)
            .map_err(|e| Error::with(ErrorKind::Open, format!("bad PostgreSQL URL {url}"), e))
    }

    async fn open_with(url: &str, opts: PgConnectOptions) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(opts)
            .await
            .map_err(|e| Error::with(ErrorKind::Open, format!("cannot connect to {url}"), e))?;
        migrator().run(&pool).await?;
        // Migration 0005 skips the trigram index when pg_trgm cannot be
        // used; the operator should hear that name search will scan.
        let trgm: Option<(String,)> = sqlx::query_as(
            "SELECT indexname::text FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname = 'hosts_name_trgm'",
        )
        .fetch_optional(&pool)
        .await?;
        let mut notices = Vec::new();
        if trgm.is_none() {
            notices.push(
                "PostgreSQL: no pg_trgm index on host names (the pg_trgm extension is not \
                 available to this role); host name search scans the hosts table"
                    .to_owned(),
            );
        }
        Ok(PgStore { pool, notices })
    }

    fn backend_notices(&self) -> Vec<String> {
        self.notices.clone()
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Db>> {
        Ok(self.pool.begin().await?)
    }
}

include!("common.rs");
