//! Binding and running the server, over plain HTTP or TLS.
//!
//! # TLS
//!
//! There are two ways to put the server behind TLS; agents and browsers
//! must never send tokens, enroll secrets or passwords in clear text over
//! a network.
//!
//! **Built in (rustls).** Give a PEM certificate chain and its PEM private
//! key (PKCS#8, PKCS#1 or SEC1):
//!
//! ```text
//! uproot serve --listen 0.0.0.0:8470 --database sqlite:///var/lib/uproot/uproot.db \
//!     --tls-cert /etc/uproot/tls/fullchain.pem --tls-key /etc/uproot/tls/key.pem
//! ```
//!
//! The server speaks TLS 1.2 and 1.3 (rustls, ring provider), HTTP/1.1, and
//! prints `uproot serve: listening on https://ADDR`. The dashboard's
//! session cookie is marked `Secure`. Certificates are read at start:
//! restart the service after renewing them.
//!
//! **Reverse proxy.** Run the server on loopback with plain HTTP and let
//! the proxy terminate TLS:
//!
//! ```text
//! uproot serve --listen 127.0.0.1:8470 --database postgres://uproot@db/uproot
//! ```
//!
//! ```text
//! # nginx
//! server {
//!     listen 443 ssl;
//!     server_name uproot.example.gov;
//!     ssl_certificate     /etc/ssl/uproot/fullchain.pem;
//!     ssl_certificate_key /etc/ssl/uproot/key.pem;
//!     client_max_body_size 16m;          # at least --max-body
//!     location / {
//!         proxy_pass http://127.0.0.1:8470;
//!         proxy_set_header Host $host;
//!         proxy_set_header X-Forwarded-Proto https;
//!         proxy_request_buffering off;   # let the server apply its own limits
//!     }
//! }
//! ```
//!
//! ```text
//! # Caddy
//! uproot.example.gov {
//!     reverse_proxy 127.0.0.1:8470
//! }
//! ```
//!
//! Keep the upstream port unreachable from other hosts (listen on
//! 127.0.0.1 or firewall it), since it carries tokens in clear text. Behind
//! a TLS proxy pass `--secure-cookies` so the session cookie is only sent
//! over HTTPS. Several replicas may sit behind one proxy when they share one
//! PostgreSQL database (`--database postgres://…`); SQLite is for a single
//! server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::{Listener, ListenerExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use uproot_fleet::Store;

use crate::state::ServerCatalog;
use crate::{AppState, Settings};

/// How `uproot serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// PEM certificate chain and private key; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Catalog overlays (TOML) on top of the built-in catalog.
    pub catalog: Vec<PathBuf>,
    /// A file whose content becomes the enrollment secret at start.
    pub enroll_secret_file: Option<PathBuf>,
    /// Limits and policy.
    pub settings: Settings,
    /// Re-match on catalog change and sweep expired waivers in the
    /// background.
    pub background: bool,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            listen: "127.0.0.1:8470".into(),
            tls: None,
            catalog: Vec::new(),
            enroll_secret_file: None,
            settings: Settings::default(),
            background: true,
        }
    }
}

/// PEM files for TLS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The catalog could not be loaded.
    #[error("catalog: {0}")]
    Catalog(String),
    /// Setting up the store failed.
    #[error("{0}")]
    Setup(String),
    /// Serving failed.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Stops a [`Running`] server: it stops accepting, finishes the requests in
/// flight (an ingest waits for its commit) and returns from
/// [`Running::serve`].
#[derive(Clone, Debug)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Begins a graceful shutdown.
    pub fn shutdown(&self) {
        let _ = self.0.send(true);
    }
}

enum Bound {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// A bound server, not yet serving.
pub struct Running {
    local_addr: SocketAddr,
    bound: Bound,
    state: AppState,
    background: bool,
    shutdown: ShutdownHandle,
}

/// Loads the catalog and TLS files, applies `--enroll-secret-file` and binds
/// the socket. Nothing is served until [`Running::serve`].
pub async fn bind(opts: ServeOptions, store: Arc<dyn Store>) -> Result<Running, ServerError> {
    let catalog = ServerCatalog::load(&opts.catalog).map_err(ServerError::Catalog)?;
    let tls = opts.tls.as_ref().map(tls_config).transpose()?;
    if let Some(path) = &opts.enroll_secret_file {
        let secret = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Setup(format!("{}: {e}", path.display())))?;
        crate::admin::set_enroll_secret(store.as_ref(), &secret, "system")
            .await
            .map_err(|e| ServerError::Setup(format!("{}: {e}", path.display())))?;
    }
    let tcp = TcpListener::bind(&opts.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: opts.listen.clone(),
            source,
        })?;
    let local_addr = tcp.local_addr()?;
    let mut settings = opts.settings;
    settings.secure_cookies |= tls.is_some();
    let bound = match tls {
        Some(cfg) => Bound::Tls(TlsListener::start(tcp, TlsAcceptor::from(cfg))),
        None => Bound::Plain(tcp),
    };
    let (tx, _) = watch::channel(false);
    Ok(Running {
        local_addr,
        bound,
        state: AppState::new(store, settings).with_catalog(catalog),
        background: opts.background,
        shutdown: ShutdownHandle(Arc::new(tx)),
    })
}

impl Running {
    /// The bound address (the real port when listening on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = match self.bound {
            Bound::Plain(_) => "http",
            Bound::Tls(_) => "https",
        };
        format!("{scheme}://{}", self.local_addr)
    }

    /// A handle that stops the server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// The shared state (for embedding and tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the [`ShutdownHandle`] fires.
    pub async fn serve(self) -> Result<(), ServerError> {
        let tasks = if self.background {
            spawn_background(&self.state)
        } else {
            Vec::new()
        };
        let app = crate::router(self.state);
        let mut rx = self.shutdown.0.subscribe();
        let signal = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let result = match self.bound {
            Bound::Plain(l) => {
                let l = l.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(l, app).with_graceful_shutdown(signal).await
            }
            Bound::Tls(l) => axum::serve(l, app).with_graceful_shutdown(signal).await,
        };
        for t in tasks {
            t.abort();
        }
        result.map_err(ServerError::Io)
    }
}

fn spawn_background(state: &AppState) -> Vec<JoinHandle<()>> {
    let s = state.clone();
    let rematch = tokio::spawn(async move {
        match crate::tasks::rematch_if_catalog_changed(&s).await {
            Ok(Some(r)) => eprintln!(
                "uproot serve: catalog {} re-matched {} hosts: {} opened, {} resolved, {} reopened",
                r.catalog_version, r.hosts, r.opened, r.resolved, r.reopened
            ),
            Ok(None) => {}
            Err(e) => eprintln!("uproot serve: re-matching with the new catalog failed: {e}"),
        }
    });
    let expiry = tokio::spawn(crate::tasks::expire_waivers_forever(state.clone()));
    vec![rematch, expiry]
}

/// Stops `handle`'s server on Ctrl-C or SIGTERM.
pub fn shutdown_on_signals(handle: ShutdownHandle) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    handle.shutdown();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        handle.shutdown();
    });
}

fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let err =
        |p: &PathBuf, e: &dyn std::fmt::Display| ServerError::Tls(format!("{}: {e}", p.display()));
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| err(&files.cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(err(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| err(&files.key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Tls(format!("certificate and key do not fit: {e}")))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Longest a client may take for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TCP connections and does the TLS handshakes in their own tasks,
/// so one slow client cannot hold up the accept loop; axum gets finished
/// TLS streams.
struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor_task: JoinHandle<()>,
}

impl TlsListener {
    fn start(tcp: TcpListener, acceptor: TlsAcceptor) -> TlsListener {
        let local = tcp
            .local_addr()
            .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
        let (tx, ready) = mpsc::channel(256);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(x) => x,
                    Err(_) => {
                        // Out of file descriptors and the like: wait, retry.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let hs = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    if let Ok(Ok(tls)) = hs {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        TlsListener {
            ready,
            local,
            acceptor_task,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
