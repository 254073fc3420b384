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
