//! Versioned migrations, embedded in the binary with `include_str!` and run
//! by sqlx's `Migrator` at open. (Not `sqlx::migrate!`: that macro needs
//! sqlx's `macros` feature, which compiles sqlx and SQLite a second time for
//! the proc-macro host.) A test checks that every file under
//! `migrations/{sqlite,postgres}` is listed here, in order.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;

/// `(version, description, SQL)` for one backend.
type Files = &'static [(i64, &'static str, &'static str)];

pub(crate) const SQLITE: Files = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "builtin directives",
        include_str!("../migrations/sqlite/0002_builtin_directives.sql"),
    ),
    (
        3,
        "server",
        include_str!("../migrations/sqlite/0003_server.sql"),
    ),
    (
        4,
        "dashboard indexes",
        include_str!("../migrations/sqlite/0004_dashboard_indexes.sql"),
    ),
    (
        5,
        "dashboard order",
        include_str!("../migrations/sqlite/0005_dashboard_order.sql"),
    ),
];

pub(crate) const POSTGRES: Files = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "builtin directives",
        include_str!("../migrations/postgres/0002_builtin_directives.sql"),
    ),
    (
        3,
        "server",
        include_str!("../migrations/postgres/0003_server.sql"),
    ),
    (
        4,
        "dashboard indexes",
        include_str!("../migrations/postgres/0004_dashboard_indexes.sql"),
    ),
    (
        5,
        "dashboard order",
        include_str!("../migrations/postgres/0005_dashboard_order.sql"),
    ),
];

pub(crate) fn migrator(files: Files) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_disk(backend: &str) -> Vec<(i64, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut files: Vec<(i64, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .map(|n| {
                let (v, rest) = n.split_once('_').unwrap();
                (
                    v.parse().unwrap(),
                    rest.trim_end_matches(".sql").replace('_', " "),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_migration_file_is_embedded() {
        for (backend, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let listed: Vec<(i64, String)> =
                files.iter().map(|&(v, d, _)| (v, d.to_owned())).collect();
            assert_eq!(
                listed,
                on_disk(backend),
                "migrations/{backend} and src/migrations.rs disagree"
            );
        }
        let versions: Vec<i64> = SQLITE.iter().map(|m| m.0).collect();
        assert_eq!(
            versions,
            POSTGRES.iter().map(|m| m.0).collect::<Vec<_>>(),
            "backends must share versions"
        );
    }
}

/// Migration 3 on a database that already holds data from 1 and 2.
#[cfg(test)]
mod upgrade {
    use std::io::Read;
    use std::str::FromStr;

    use sqlx::Connection;

    use super::*;
    use crate::Store;

    const OLD_DATA: &str = "\
        INSERT INTO hosts (name, machine_id, os, first_seen, last_seen, token_hash) \
          VALUES ('web1', 'm1', 'linux', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 't1'); \
        INSERT INTO reports (report_id, host_id, received_at, generated_at, catalog_version, body) \
          VALUES ('sha256:old', 1, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', 'v1', \
                  '{\"findings\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}'); \
        INSERT INTO waivers (scope_kind, scope_value, justification, approver, created_at, expires_at) \
          VALUES ('vendor', 'kaspersky', 'lab', 'ciso', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z'); \
        INSERT INTO findings (host_id, finding_id, vendor, product, kind, indicator, evidence_source, \
          evidence_key, severity, state, first_seen, last_seen, last_report, resolved_at, resolved_by_report) \
          VALUES (1, 'a', 'kaspersky', 'kesl', 'package', 'i', 's', 'k', 'high', 'resolved', \
                  '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'sha256:old', '2026-01-02T00:00:00Z', 'sha256:old');";

    async fn check(store: &dyn Store) {
        let body = store.report_body("sha256:old").await.unwrap().unwrap();
        let mut json = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut json)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["findings"][1]["id"], "b");
        let reports = store
            .reports_for_host(1, crate::Page::default())
            .await
            .unwrap();
        assert_eq!(reports[0].findings, 2);
        let w = &store.waivers().await.unwrap()[0];
        assert_eq!(w.status, "approved");
        assert_eq!(
            (w.waiver.requested_by.as_str(), w.approver.as_deref()),
            ("ciso", Some("ciso"))
        );
        let days = store
            .burndown(None, "2026-01-01", "2026-01-02")
            .await
            .unwrap();
        assert_eq!((days[0].open, days[0].resolved), (1, 0));
        assert_eq!((days[1].open, days[1].resolved), (0, 1));
        let c = store
            .compliance("bod-17-01", "2026-01-03", 30)
            .await
            .unwrap();
        assert_eq!(c.hosts[0].status, "clean");
    }

    #[tokio::test]
    async fn sqlite_keeps_old_data() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        migrator(&SQLITE[..2]).run(&mut c).await.unwrap();
        sqlx::raw_sql(OLD_DATA).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        let store = crate::SqliteStore::open(&url).await.unwrap();
        check(&store).await;
    }

    #[tokio::test]
    async fn postgres_keeps_old_data() {
        let schema = crate::test_support::PgSchema::new("uproot_upgrade")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut c = schema.connect().await.unwrap();
        migrator(&POSTGRES[..2]).run(&mut c).await.unwrap();
        sqlx::raw_sql(OLD_DATA).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        let store = schema.open().await.unwrap();
        check(&store).await;
        drop(store);
        schema.drop_schema().await.unwrap();
    }
}
