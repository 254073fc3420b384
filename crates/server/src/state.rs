//! What every handler shares.

use std::sync::{Arc, OnceLock};

use uproot_catalog::CompiledCatalog;
use uproot_fleet::Store;

use crate::ingest::IngestQueue;

/// Server settings fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest request body accepted, compressed or not (bytes).
    pub max_body_bytes: usize,
    /// Largest report after gzip decompression (bytes): the bound that
    /// stops decompression bombs.
    pub max_report_bytes: usize,
    /// Days a host first seen after a directive's deadline has to comply.
    pub grace_days: u32,
    /// Mark the dashboard session cookie `Secure` (behind TLS or a TLS proxy).
    pub secure_cookies: bool,
    /// Reports waiting for the database writer before ingest answers 503.
    pub ingest_queue: usize,
    /// Most reports committed in one transaction.
    pub ingest_batch: usize,
    /// Batches committed concurrently. 1 suits SQLite (one writer at a
    /// time anyway); PostgreSQL gains from a few, since a commit there is
    /// mostly waiting on round trips.
    pub ingest_writers: usize,
    /// The signed catalog bundle served at `GET /api/v1/catalog/bundle`
    /// (`uproot catalog pack`); kept in memory while the file is unchanged,
    /// so replacing the file (by rename) publishes a new one. `None`: that
    /// route answers 404.
    pub catalog_bundle: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_body_bytes: 16 << 20,
            max_report_bytes: 128 << 20,
            grace_days: 30,
            secure_cookies: false,
            ingest_queue: 1024,
            ingest_batch: 128,
            ingest_writers: 1,
            catalog_bundle: None,
        }
    }
}

/// The catalog the server re-matches stored inventories with.
pub struct ServerCatalog {
    /// Compiled patterns.
    pub compiled: CompiledCatalog,
    /// `Catalog::version()` of the built-in catalog plus overlays.
    pub version: String,
}

impl ServerCatalog {
    /// The built-in catalog plus `overlays` (TOML files), compiled.
    pub fn load(overlays: &[std::path::PathBuf]) -> Result<ServerCatalog, String> {
        let mut catalog = uproot_catalog::Catalog::builtin().map_err(|e| e.to_string())?;
        for f in overlays {
            catalog
                .merge_file(f)
                .map_err(|e| format!("{}: {e}", f.display()))?;
        }
        let compiled = catalog.compile().map_err(|e| e.to_string())?;
        Ok(ServerCatalog {
            compiled,
            version: catalog.version(),
        })
    }
}

/// Axum state: cheap to clone. Build it with [`AppState::new`].
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub settings: Arc<Settings>,
    shared: Arc<Shared>,
}

struct Shared {
    catalog: OnceLock<Result<Arc<ServerCatalog>, String>>,
    ingest: OnceLock<IngestQueue>,
    cpu: Arc<tokio::sync::Semaphore>,
    bundle: crate::bundle::BundleCache,
}

impl AppState {
    /// State over `store`. The catalog is the built-in one, compiled on first
    /// use; [`AppState::with_catalog`] sets another. Needs no runtime: the
    /// ingest writer task starts with the first report.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> AppState {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            store,
            settings: Arc::new(settings),
            shared: Arc::new(Shared {
                catalog: OnceLock::new(),
                ingest: OnceLock::new(),
                cpu: Arc::new(tokio::sync::Semaphore::new(cpus * 2)),
                bundle: crate::bundle::BundleCache::default(),
            }),
        }
    }

    /// Uses `catalog` for re-matching instead of the built-in one.
    pub fn with_catalog(self, catalog: ServerCatalog) -> AppState {
        let _ = self.shared.catalog.set(Ok(Arc::new(catalog)));
        self
    }

    /// The server's catalog.
    pub fn catalog(&self) -> Result<Arc<ServerCatalog>, String> {
        self.shared
            .catalog
            .get_or_init(|| ServerCatalog::load(&[]).map(Arc::new))
            .clone()
    }

    /// The ingest queue; starts the writer task on first use (must be called
    /// inside a Tokio runtime).
    pub(crate) fn ingest(&self) -> &IngestQueue {
        self.shared
            .ingest
            .get_or_init(|| IngestQueue::start(self.store.clone(), &self.settings))
    }

    /// Bounds CPU-heavy work (gunzip, hashing, parsing) handed to blocking
    /// threads, so a burst of uploads cannot starve the runtime or the disk
    /// writer of cores.
    pub(crate) fn cpu(&self) -> Arc<tokio::sync::Semaphore> {
        self.shared.cpu.clone()
    }

    /// The published catalog bundle (see [`crate::bundle`]); blocking.
    pub(crate) fn published_bundle(
        &self,
        path: &std::path::Path,
    ) -> Result<Option<crate::bundle::Published>, String> {
        self.shared.bundle.get(path)
    }
}
