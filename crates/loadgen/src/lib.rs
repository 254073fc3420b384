//! Load generator for the fleet server.
//!
//! Simulated agents enroll with `POST /api/v1/enroll` and post realistic
//! `uproot.report/1` documents (about 1,500 real packages, 290 certificates,
//! 180 services and, on one host in ten, real Kaspersky or Huawei findings)
//! over keep-alive HTTP/1 connections on loopback. Bodies are made before
//! the clock starts, or assembled from pre-deflated pieces when a fill needs
//! more (see [`gen`]), so the generator leaves the CPU to the server.
#![deny(missing_docs)]

pub mod client;
pub mod corpus;
pub mod fault;
pub mod gen;
pub mod run;
pub mod stats;

pub use client::Target;
pub use corpus::Pools;
pub use gen::{Body, Generator, HostSpec, Profile};

/// Load generator errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// The catalog did not load.
    #[error("catalog: {0}")]
    Catalog(String),
    /// Socket error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// HTTP error.
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// An answer that does not follow the API contract.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// A cheap stable pseudo-random number for request `n` (splitmix64).
pub fn gen_rand(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A two-worker Tokio runtime (the server gets the rest of the machine).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
