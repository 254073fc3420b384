//! `--tls-cert/--tls-key`: the server speaks HTTPS with rustls (ring).

use std::process::Command;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use uproot_server::{ServeOptions, TlsFiles};

fn self_signed(dir: &std::path::Path) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&files.key)
        .arg("-out")
        .arg(&files.cert)
        .output()
        .expect("openssl is needed to make a test certificate (scripts/ci-services installs it)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed(dir.path());
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    let store = uproot_fleet::open(&url).await.unwrap();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".into(),
        tls: Some(tls.clone()),
        background: false,
        ..ServeOptions::default()
    };
    let running = uproot_server::bind(opts, store).await.unwrap();
    let addr = running.local_addr();
    assert_eq!(running.url(), format!("https://{addr}"));
    assert!(running.state().settings.secure_cookies);
    let stop = running.shutdown_handle();
    let server = tokio::spawn(running.serve());

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&tls.cert).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut s = connector.connect(name, tcp).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("ok"), "{text}");

    // Plain HTTP to the TLS port gets nothing useful, and the server lives on.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut junk = Vec::new();
    let _ = plain.read_to_end(&mut junk).await;
    assert!(!String::from_utf8_lossy(&junk).contains("200 OK"));

    stop.shutdown();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_key_that_does_not_fit_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let a = self_signed(&dir.path().join("a").tap_create());
    let b = self_signed(&dir.path().join("b").tap_create());
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    let store = uproot_fleet::open(&url).await.unwrap();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".into(),
        tls: Some(TlsFiles {
            cert: a.cert,
            key: b.key,
        }),
        background: false,
        ..ServeOptions::default()
    };
    let err = uproot_server::bind(opts, store)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().starts_with("TLS:"), "{err}");
}

trait TapCreate {
    fn tap_create(self) -> Self;
}

impl TapCreate for std::path::PathBuf {
    fn tap_create(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
