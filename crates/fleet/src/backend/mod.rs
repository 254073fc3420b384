//! The two backends. The queries are written once, in `common.rs`, in SQL
//! that SQLite and PostgreSQL both accept (`$N` binds, `RETURNING`,
//! `ON CONFLICT`), and included into one module per backend, which supplies
//! the database type, the opening code and the few statements that differ.

mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
