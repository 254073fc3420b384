//! End-to-end: `uproot agent` against a real `uproot serve` on loopback.
//! Enrolls, delivers a scan of the dpkg-kesl fixture root, then survives a
//! server outage: the report made while the server is down is spooled and
//! delivered after the restart, each report exactly once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    text
}

/// Kills the server when the test ends, failed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `uproot serve` and returns it with its address (`127.0.0.1:PORT`).
fn serve(db: &str, listen: &str, secret: &Path) -> (Server, String) {
    serve_with(db, listen, secret, &[])
}

fn serve_with(db: &str, listen: &str, secret: &Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(["serve", "--listen", listen, "--database", db])
        .arg("--enroll-secret-file")
        .arg(secret)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start uproot serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("uproot serve: listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (Server(child), addr)
}

/// A bare HTTP/1.1 GET (the root package has no HTTP client dependency).
fn get(addr: &str, path: &str, token: &str) -> Value {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // The server may answer chunked; JSON bodies here are one chunk or plain.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let (_, rest) = body.split_once("\r\n").unwrap();
        rest.rsplit_once("\r\n0\r\n").map_or(rest, |(b, _)| b)
    } else {
        body
    };
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn an_agent_enrolls_delivers_a_scan_and_rides_out_an_outage() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, "e2e-enroll-secret-0123456789\n").unwrap();
    let db = format!("sqlite://{}", tmp.path().join("fleet.db").display());
    let state = tmp.path().join("agent");
    let state_s = state.to_str().unwrap();
    let root = repo().join("fixtures/roots/dpkg-kesl");
    let root_s = root.to_str().unwrap();

    let (server, addr) = serve(&db, "127.0.0.1:0", &secret);
    let url = format!("http://{addr}");
    ok(&uproot(&[
        "agent",
        "enroll",
        "--server",
        &url,
        "--secret-file",
        secret.to_str().unwrap(),
        "--state-dir",
        state_s,
        "--root",
        root_s,
    ]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let run = || {
        // `generated_at` has one-second resolution: two scans of a fixture in
        // the same second are the same report (same id), delivered once.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        uproot(&[
            "agent",
            "run",
            "--once",
            "--state-dir",
            state_s,
            "--root",
            root_s,
        ])
    };
    let text = ok(&run());
    assert!(text.contains("delivered 1"), "{text}");
    assert!(
        !text.contains("ids should match"),
        "agent and server disagree on the report id: {text}"
    );

    let token_out = ok(&uproot(&[
        "serve",
        "admin",
        "create-token",
        "--role",
        "admin",
        "--database",
        &db,
    ]));
    let token = token_out
        .split_whitespace()
        .find(|w| w.starts_with("upa_"))
        .expect("an upa_ token")
        .to_owned();
    let findings = get(&addr, "/api/v1/findings?host=1", &token);
    let findings = findings["findings"].as_array().expect("findings array");
    assert!(
        findings
            .iter()
            .any(|f| f["evidence_key"] == "kesl" && f["state"] == "open"),
        "{findings:?}"
    );

    // Outage: the report is spooled and the run says so with exit 2.
    drop(server);
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    let status = ok(&uproot(&["agent", "status", "--state-dir", state_s]));
    assert!(status.contains("spool:      1 report(s)"), "{status}");

    // Back up on the same address: the backlog and the new report go, once each.
    let (_server, _) = serve(&db, &addr, &secret);
    let text = ok(&run());
    assert!(text.contains("delivered 2"), "{text}");
    let status = ok(&uproot(&["agent", "status", "--state-dir", state_s]));
    assert!(status.contains("spool:      0 report(s)"), "{status}");
    let host = get(&addr, "/api/v1/hosts/1", &token);
    let reports = host["reports"].as_array().map_or(0, Vec::len);
    assert_eq!(reports, 3, "{host}");
}

/// The server publishes a signed catalog bundle; the agent fetches it,
/// verifies it with the key it trusts, installs it and scans with it, so a
/// package only the new catalog covers is reported. A bundle signed by a key
/// the agent does not trust is not installed.
#[test]
fn agents_install_the_catalog_bundle_the_server_publishes() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, "e2e-enroll-secret-0123456789\n").unwrap();
    let db = format!("sqlite://{}", tmp.path().join("fleet.db").display());
    let host = support::host_with_new_package(tmp.path());
    let (bundle, pubkey, _) = support::signed_next_bundle(tmp.path());
    let (_server, addr) = serve_with(
        &db,
        "127.0.0.1:0",
        &secret,
        &["--catalog-bundle", bundle.to_str().unwrap()],
    );
    let url = format!("http://{addr}");
    let agent = |state: &Path, extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_uproot"));
        cmd.env("UPROOT_STATE_DIR", state.join("uproot"))
            .args(["agent", "run", "--once", "--state-dir"])
            .arg(state)
            .arg("--root")
            .arg(&host)
            .args(extra);
        cmd.output().unwrap()
    };
    let enroll = |state: &Path| {
        ok(&uproot(&[
            "agent",
            "enroll",
            "--server",
            &url,
            "--secret-file",
            secret.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
            "--root",
            host.to_str().unwrap(),
        ]));
    };

    // Untrusted: the built-in key did not sign it; nothing is installed.
    let a = tmp.path().join("agent-a");
    enroll(&a);
    let out = agent(&a, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("catalog update skipped"), "{err}");
    assert!(!a.join("uproot/catalog/current.ucb").exists());
    assert!(uproot_agent::known_catalog_etag(&a).is_none());

    // Trusted: installed before the scan, and the scan uses it.
    let b = tmp.path().join("agent-b");
    enroll(&b);
    let out = agent(&b, &["--trusted-key", pubkey.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("catalog {} installed", support::NEXT_VERSION)),
        "{err}"
    );
    assert!(b.join("uproot/catalog/current.ucb").exists());
    // The server's ETag is kept; the next run revalidates, gets a 304 and
    // downloads nothing.
    let tag = uproot_agent::known_catalog_etag(&b).expect("etag kept");
    assert!(tag.etag.starts_with("\"sha256:"), "{tag:?}");
    assert_eq!(
        tag.version.parse::<uproot_bundle::BundleVersion>(),
        support::NEXT_VERSION.parse()
    );
    let out = agent(&b, &["--trusted-key", pubkey.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("catalog bundle unchanged (304)"), "{err}");
    assert!(
        !err.contains("skipped") && !err.contains("installed"),
        "{err}"
    );
    assert_eq!(uproot_agent::known_catalog_etag(&b), Some(tag));
    let scan = Command::new(env!("CARGO_BIN_EXE_uproot"))
        .env("UPROOT_STATE_DIR", b.join("uproot"))
        .args(["scan", "--root"])
        .arg(&host)
        .args([
            "--format",
            "json",
            "--trusted-key",
            pubkey.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert_eq!(r["findings"][0]["indicator"], support::NEW_INDICATOR);
}
