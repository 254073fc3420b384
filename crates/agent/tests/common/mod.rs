//! A tiny HTTP/1.1 server on loopback that the tests script: it can be
//! stopped (connections refused) and restarted on the same port, and a
//! responder closure decides each answer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use uproot_agent::{Log, Options, State};

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub raw: Vec<u8>,
    /// The body after undoing `Content-Encoding: gzip`.
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn report_id(&self) -> String {
        uproot_agent::report_id_of_bytes(&self.body)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (timeout tests).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn error(status: u16, msg: &str) -> Reply {
        Reply::json(status, serde_json::json!({ "error": msg }))
    }

    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
}

type Responder = Box<dyn FnMut(&Request) -> Reply + Send>;

struct Shared {
    responder: Mutex<Responder>,
    seen: Mutex<Vec<Request>>,
}

pub struct TestServer {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// Accepts every report once: 202, `duplicate` on a redelivery.
pub fn accept_reports() -> impl FnMut(&Request) -> Reply + Send {
    let mut stored = std::collections::HashSet::new();
    move |req: &Request| {
        let id = req.report_id();
        let duplicate = !stored.insert(id.clone());
        Reply::json(
            202,
            serde_json::json!({"report_id": id, "duplicate": duplicate, "opened": 0, "resolved": 0, "reopened": 0}),
        )
    }
}

impl TestServer {
    pub fn start(responder: impl FnMut(&Request) -> Reply + Send + 'static) -> TestServer {
        let shared = Arc::new(Shared {
            responder: Mutex::new(Box::new(responder)),
            seen: Mutex::new(Vec::new()),
        });
        let mut s = TestServer {
            port: 0,
            shared,
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
            tls: None,
        };
        s.listen(0);
        s
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set_responder(&self, responder: impl FnMut(&Request) -> Reply + Send + 'static) {
        *self.shared.responder.lock().unwrap() = Box::new(responder);
    }

    pub fn seen(&self) -> Vec<Request> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Closes the listening socket: connections are refused until `restart`.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Listens again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.stop = Arc::new(AtomicBool::new(false));
        self.listen(self.port);
    }

    /// Like `start`, but HTTPS with `tests/data/server.pem` (signed by
    /// `tests/data/ca.pem`).
    pub fn start_tls(responder: impl FnMut(&Request) -> Reply + Send + 'static) -> TestServer {
        let mut s = TestServer::start(responder);
        s.stop();
        s.stop = Arc::new(AtomicBool::new(false));
        s.tls = Some(tls_config());
        s.listen(s.port);
        s
    }

    pub fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn listen(&mut self, port: u16) {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        self.port = listener.local_addr().unwrap().port();
        let shared = self.shared.clone();
        let stop = self.stop.clone();
        let tls = self.tls.clone();
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                        let _ = match &tls {
                            None => serve(stream, &shared),
                            Some(cfg) => rustls::ServerConnection::new(cfg.clone())
                                .map_err(std::io::Error::other)
                                .and_then(|c| serve(rustls::StreamOwned::new(c, stream), &shared)),
                        };
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let certs: Vec<rustls::pki_types::CertificateDer<'static>> =
        ureq::tls::parse_pem(&std::fs::read(data.join("server.pem")).unwrap())
            .filter_map(|i| match i.unwrap() {
                ureq::tls::PemItem::Certificate(c) => Some(c.der().to_vec().into()),
                _ => None,
            })
            .collect();
    let key = ureq::tls::parse_pem(&std::fs::read(data.join("server.key")).unwrap())
        .find_map(|i| match i.unwrap() {
            ureq::tls::PemItem::PrivateKey(k) => Some(k.der().to_vec()),
            _ => None,
        })
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(cfg)
}

fn serve<S: Read + Write>(stream: S, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut raw = vec![0; len];
    reader.read_exact(&mut raw)?;
    let gz = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("content-encoding") && v == "gzip");
    let body = if gz {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        out
    } else {
        raw.clone()
    };
    let req = Request {
        method,
        path,
        headers,
        raw,
        body,
        at: Instant::now(),
    };
    let reply = (shared.responder.lock().unwrap())(&req);
    shared.seen.lock().unwrap().push(req);
    std::thread::sleep(reply.delay);
    let out = reader.get_mut();
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(reply.body.as_bytes())?;
    out.flush()
}

/// A log that the test can read back.
pub fn capture_log() -> (Log, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    let log = Log::new(move |s| {
        eprintln!("agent: {s}");
        l.lock().unwrap().push(s.to_owned());
    });
    (log, lines)
}

/// An enrolled state pointing at `server`, written to `dir`.
pub fn enrolled(dir: &Path, server: &str) -> State {
    let state = State {
        server: server.to_owned(),
        host_id: 7,
        token: "uph_test".to_owned(),
        ca_cert: None,
        enrolled_at: None,
    };
    state.save(dir).unwrap();
    state
}

/// Options for fast tests: millisecond backoff, captured log, one cycle.
pub fn fast_options(dir: &Path, log: Log) -> Options {
    let mut o = Options::new(dir.to_owned());
    o.once = true;
    o.log = log;
    o.backoff.base = Duration::from_millis(5);
    o.backoff.cap = Duration::from_millis(50);
    o.timeouts.connect = Duration::from_secs(2);
    o.timeouts.overall = Duration::from_secs(5);
    o
}

/// A small stand-in for a `uproot.report/1` document.
pub fn fake_report(n: u32) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schema": "uproot.report/1",
        "generated_at": format!("2026-11-29T00:00:{n:02}Z"),
        "host": {"hostname": "h1", "os": "linux", "root": "/", "live": true},
        "n": n,
    }))
    .unwrap()
}
