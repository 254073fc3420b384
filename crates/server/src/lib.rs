//! The fleet server behind `uproot serve`.
//!
//! Agents enroll with a shared secret and post `uproot.report/1` documents
//! to `/api/v1/reports`; admins and auditors read hosts, findings, waivers,
//! directives and compliance through `/api/v1` with bearer tokens, or
//! through the server-rendered dashboard with a login. All state lives in an
//! [`uproot_fleet::Store`], so several replicas can share one PostgreSQL.
//!
//! See [`server`] for TLS and reverse-proxy setups, and `openapi.json` in
//! this crate for the API.
#![deny(missing_docs)]

pub mod admin;
mod api;
pub mod auth;
mod bundle;
pub mod dashboard;
pub mod error;
mod extract;
mod ingest;
pub mod password;
mod routes;
pub mod server;
pub mod state;
pub mod tasks;

pub use api::{compliance_csv, csv_field, CSV_HEADER};
pub use error::ApiError;
pub use ingest::REPORT_SCHEMA;
pub use routes::{router, ROUTES};
pub use server::{
    bind, shutdown_on_signals, Running, ServeOptions, ServerError, ShutdownHandle, TlsFiles,
};
pub use state::{AppState, ServerCatalog, Settings};

/// The OpenAPI 3.1 description of `/api/v1`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// A multi-threaded Tokio runtime for the `uproot` binary, which has no
/// direct Tokio dependency.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
