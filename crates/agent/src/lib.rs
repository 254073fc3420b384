//! The fleet agent behind `uproot agent`: enrollment, an on-disk spool that
//! survives outages, and delivery with jittered exponential backoff.
//!
//! Every report is written to the spool (`<state dir>/spool/<id>.json.gz`,
//! temp file + fsync + rename) before any network attempt and deleted only
//! after the server's 202, so no report is lost to a crash or an outage.
//! The collectors stay out of this crate: [`run`] takes a scan callback.
#![deny(missing_docs)]

mod backoff;
mod catalog;
mod client;
mod error;
mod fsutil;
mod log;
mod run;
mod spool;
mod state;

use std::path::{Path, PathBuf};

pub use backoff::{jitter_interval, parse_duration, Backoff};
pub use catalog::{
    catalog_etag_path, fetch_catalog_bundle, known_catalog_etag, remember_catalog_etag,
    CatalogFetch, FetchedBundle, KnownBundle,
};
pub use client::{BundleResponse, Client, HostFacts, Outcome, Timeouts};
pub use error::{Error, Result};
pub use log::Log;
pub use run::{deliver, flush, run, Delivery, Options, ScanResult, Summary};
pub use spool::{report_id_of_bytes, Entry, Pushed, Spool, SpoolLimits};
pub use state::{default_state_dir, State, STATE_FILE};

/// What enrolling needs.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The server's base URL.
    pub server: String,
    /// The enrollment secret.
    pub secret: String,
    /// A PEM file with a private CA to trust besides the webpki roots.
    pub ca_cert: Option<PathBuf>,
    /// This host.
    pub facts: HostFacts,
    /// HTTP timeouts.
    pub timeouts: Timeouts,
}

/// `POST /api/v1/enroll`, then writes the state file (0600) in `state_dir`.
pub fn enroll(req: &Enrollment, state_dir: &Path) -> Result<State> {
    let client = Client::new(&req.server, req.ca_cert.as_deref(), req.timeouts)?;
    let (host_id, token) = client.enroll(&req.secret, &req.facts)?;
    let ca_cert = match &req.ca_cert {
        // The service may run from another working directory.
        Some(p) => Some(std::path::absolute(p).map_err(|e| Error::io(p, e))?),
        None => None,
    };
    let state = State {
        server: client.server().to_owned(),
        host_id,
        token,
        ca_cert,
        enrolled_at: Some(uproot_report::rfc3339_now()),
    };
    state.save(state_dir)?;
    Ok(state)
}
