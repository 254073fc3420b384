//! `/api/v1` over real loopback HTTP, against SQLite (temporary directory)
//! and the real PostgreSQL on 127.0.0.1:5432 (one fresh schema per test).
//! PostgreSQL being unreachable is a failure, never a skip;
//! `UPROOT_TEST_PG` overrides its URL.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uproot_fleet::{Role, Store};
use uproot_inventory::{Host, Inventory};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};
use uproot_server::{admin, ServeOptions, Settings, ShutdownHandle};

const SECRET: &str = "test-enroll-secret-0123456789";
const MAX_BODY: usize = 256 << 10;
const MAX_REPORT: usize = 1 << 20;

// --- stores -------------------------------------------------------------------

async fn sqlite() -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    (
        uproot_fleet::open(&url).await.expect("open SQLite store"),
        Some(dir),
    )
}

async fn postgres() -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    // The schema outlives the test, as its server does; a later run of a
    // process with the same id replaces it.
    let (_, store) = uproot_fleet::test_support::PgSchema::with_store("uproot_srv")
        .await
        .unwrap_or_else(|e| panic!("server API tests: {e}"));
    (Arc::new(store), None)
}

// --- a server ---------------------------------------------------------------

struct Srv {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    admin: String,
    auditor: String,
    stop: ShutdownHandle,
    _dir: Option<tempfile::TempDir>,
    /// Where the published catalog bundle lives (absent at start).
    bundle: tempfile::TempDir,
}

impl Drop for Srv {
    fn drop(&mut self) {
        self.stop.shutdown();
    }
}

async fn start((store, dir): (Arc<dyn Store>, Option<tempfile::TempDir>)) -> Srv {
    admin::set_enroll_secret(store.as_ref(), SECRET, "test")
        .await
        .unwrap();
    let admin_token = admin::create_token(store.as_ref(), Role::Admin, "test admin")
        .await
        .unwrap();
    let auditor = admin::create_token(store.as_ref(), Role::Auditor, "test auditor")
        .await
        .unwrap();
    let bundle = tempfile::tempdir().unwrap();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".into(),
        settings: Settings {
            catalog_bundle: Some(bundle.path().join("catalog.ucb")),
            max_body_bytes: MAX_BODY,
            max_report_bytes: MAX_REPORT,
            // More than one writer, so concurrent commits are exercised.
            ingest_writers: 2,
            ..Settings::default()
        },
        background: false,
        ..ServeOptions::default()
    };
    let running = uproot_server::bind(opts, store.clone()).await.unwrap();
    let addr = running.local_addr();
    let stop = running.shutdown_handle();
    tokio::spawn(running.serve());
    Srv {
        addr,
        store,
        admin: admin_token,
        auditor,
        stop,
        _dir: dir,
        bundle,
    }
}

// --- a minimal HTTP/1.1 client ------------------------------------------------

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    // The server may answer (413) and close before reading the whole body.
    let _ = s.write_all(body).await;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 4 + n..];
    }
}

impl Srv {
    async fn get(&self, token: &str, path: &str) -> Resp {
        let auth = format!("Bearer {token}");
        http(self.addr, "GET", path, &[("Authorization", &auth)], b"").await
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> Resp {
        let auth = format!("Bearer {token}");
        let body = serde_json::to_vec(body).unwrap();
        let h = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        http(self.addr, "POST", path, &h, &body).await
    }

    async fn enroll(&self, name: &str) -> (i64, String) {
        let r = self
            .post(
                "",
                "/api/v1/enroll",
                &json!({"secret": SECRET, "host": {"name": name, "machine_id": format!("mid-{name}"), "os": "linux"}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        (
            v["host_id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn submit(&self, token: &str, body: &[u8], gzip: bool) -> Resp {
        let auth = format!("Bearer {token}");
        let mut h = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        if gzip {
            h.push(("Content-Encoding", "gzip"));
        }
        http(self.addr, "POST", "/api/v1/reports", &h, body).await
    }
}

// --- reports ------------------------------------------------------------------

fn finding(vendor: &str, product: &str, key: &str) -> Finding {
    let indicator = format!("{product}.pkg");
    Finding {
        id: format!("{indicator}|/var/lib/dpkg/status|{key}"),
        vendor: vendor.into(),
        vendor_name: vendor.into(),
        product: product.into(),
        product_name: product.into(),
        kind: "package".into(),
        indicator,
        confidence: "high".into(),
        indicator_source: "test".into(),
        summary: format!("{key} is installed"),
        evidence: Evidence {
            source: "/var/lib/dpkg/status".into(),
            key: key.into(),
            detail: BTreeMap::new(),
        },
        remnant: false,
        embedded_in: None,
        severity: "high".into(),
        authorities: vec![],
        condition: None,
        action: "remove".into(),
        also_matched: vec![],
        layer: None,
    }
}

fn report_bytes(host: &str, second: u32, findings: Vec<Finding>) -> Vec<u8> {
    let h = Host {
        hostname: host.into(),
        os: "linux".into(),
        root: "/".into(),
        machine_id: Some(format!("mid-{host}")),
        ..Default::default()
    };
    let catalog = CatalogInfo {
        version: "2026.11.28".into(),
        overlays: vec![],
    };
    let at = format!("2026-11-01T00:{:02}:{:02}Z", second / 60, second % 60);
    let r = Report::new(h, catalog, Inventory::default(), findings, vec![], at);
    serde_json::to_vec(&r).unwrap()
}

fn kesl() -> Finding {
    finding("kaspersky", "kesl", "kesl")
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

// --- the suite ------------------------------------------------------------------

async fn enroll_secret(s: Srv) {
    let (id, token) = s.enroll("web1").await;
    assert!(id > 0);
    assert!(token.starts_with("uph_") && token.len() == 68, "{token}");
    let bad = s
        .post(
            "",
            "/api/v1/enroll",
            &json!({"secret": "nope", "host": {"name": "x", "machine_id": null, "os": "linux"}}),
        )
        .await;
    assert_eq!(bad.status, 401);
    assert!(bad.error().contains("secret"), "{}", bad.error());
    let again = s.enroll("web1").await;
    assert_eq!(again.0, id, "same machine id re-enrolls the same host");
    let missing = s
        .post("", "/api/v1/enroll", &json!({"secret": SECRET}))
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing.error().contains("host"), "{}", missing.error());
}

async fn report_idempotent(s: Srv) {
    let (id, token) = s.enroll("web1").await;
    let body = report_bytes("web1", 1, vec![kesl()]);
    let r = s.submit(&token, &body, false).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let v = r.json();
    assert_eq!(v["report_id"], uproot_fleet::report_id_of_bytes(&body));
    assert_eq!(v["duplicate"], false);
    assert_eq!(v["opened"], 1);
    let again = s.submit(&token, &body, false).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.json()["duplicate"], true);
    let host = s.get(&s.admin, &format!("/api/v1/hosts/{id}")).await;
    assert_eq!(host.status, 200, "{}", host.text());
    let hv = host.json();
    assert_eq!(hv["reports"].as_array().unwrap().len(), 1, "{hv}");
    assert_eq!(hv["findings"].as_array().unwrap().len(), 1);
    let doc = s
        .get(
            &s.auditor,
            &format!("/api/v1/reports/{}", v["report_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body, body, "the stored document is the one sent");
}

async fn gzip_body(s: Srv) {
    let (_, token) = s.enroll("web1").await;
    let body = report_bytes("web1", 2, vec![kesl()]);
    let r = s.submit(&token, &gzip(&body), true).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(
        r.json()["report_id"],
        uproot_fleet::report_id_of_bytes(&body)
    );
    // The same report sent plain is the same report.
    let plain = s.submit(&token, &body, false).await;
    assert_eq!(plain.json()["duplicate"], true);
    let bad = s.submit(&token, b"not gzip at all", true).await;
    assert_eq!(bad.status, 400);
    let auth = format!("Bearer {token}");
    let br = http(
        s.addr,
        "POST",
        "/api/v1/reports",
        &[("Authorization", &auth), ("Content-Encoding", "br")],
        &body,
    )
    .await;
    assert_eq!(br.status, 415);
}

async fn too_large(s: Srv) {
    let (_, token) = s.enroll("web1").await;
    let big = vec![b' '; MAX_BODY + 1];
    let r = s.submit(&token, &big, false).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.error().contains("exceeds"), "{}", r.error());
    // A small gzip body that inflates past max_report_bytes.
    let bomb = gzip(&vec![b' '; 16 * MAX_REPORT]);
    assert!(bomb.len() < MAX_BODY);
    let r = s.submit(&token, &bomb, true).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.error().contains("decompression"), "{}", r.error());
}

async fn bad_documents(s: Srv) {
    let (_, token) = s.enroll("web1").await;
    let r = s
        .submit(&token, b"{\"schema\": \"uproot.report/1\", ", false)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("malformed report:"), "{}", r.error());
    let r = s
        .submit(&token, b"{\"schema\": \"uproot.report/1\"}", false)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("missing field"), "{}", r.error());
    let mut doc: Value = serde_json::from_slice(&report_bytes("web1", 3, vec![])).unwrap();
    doc["schema"] = json!("uproot.report/2");
    let r = s
        .submit(&token, &serde_json::to_vec(&doc).unwrap(), false)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("unsupported schema"), "{}", r.error());
    let r = s
        .post(&s.admin, "/api/v1/waivers", &json!({"scope_kind": "host"}))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("malformed JSON"), "{}", r.error());
}

async fn tokens_and_roles(s: Srv) {
    let (_, host_token) = s.enroll("web1").await;
    let unknown = format!("upa_{}", "0".repeat(64));
    for t in [unknown.as_str(), "garbage", "uph_0000"] {
        let r = s.get(t, "/api/v1/hosts").await;
        assert_eq!(r.status, 401, "{t}: {}", r.text());
    }
    let none = http(s.addr, "GET", "/api/v1/hosts", &[], b"").await;
    assert_eq!(none.status, 401);
    let r = s.submit(&unknown, b"{}", false).await;
    assert_eq!(r.status, 401);
    // A host token reads nothing.
    for path in [
        "/api/v1/hosts",
        "/api/v1/findings",
        "/api/v1/waivers",
        "/api/v1/audit",
    ] {
        let r = s.get(&host_token, path).await;
        assert_eq!(r.status, 403, "{path}");
    }
    // An API token submits nothing.
    let r = s
        .submit(&s.admin, &report_bytes("web1", 4, vec![]), false)
        .await;
    assert_eq!(r.status, 403);
    // An auditor reads but does not write.
    assert_eq!(s.get(&s.auditor, "/api/v1/waivers").await.status, 200);
    let waiver = json!({"scope_kind": "vendor", "scope_value": "kaspersky", "justification": "x", "expires_at": "2099-01-01"});
    let r = s.post(&s.auditor, "/api/v1/waivers", &waiver).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = s
        .post(&s.auditor, "/api/v1/tokens", &json!({"role": "admin"}))
        .await;
    assert_eq!(r.status, 403);
    // An admin mints tokens that work.
    let r = s
        .post(
            &s.admin,
            "/api/v1/tokens",
            &json!({"role": "auditor", "label": "ci"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let minted = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&minted, "/api/v1/directives").await.status, 200);
}

async fn other_machine(s: Srv) {
    let (_, token) = s.enroll("web1").await;
    s.enroll("web2").await;
    let r = s
        .submit(&token, &report_bytes("web2", 5, vec![]), false)
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.error().contains("mid-web2"), "{}", r.error());
}

async fn waiver_flow(s: Srv) {
    let (id, token) = s.enroll("web1").await;
    let r = s
        .submit(&token, &report_bytes("web1", 6, vec![kesl()]), false)
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let waiver = json!({
        "scope_kind": "host", "scope_value": id.to_string(),
        "justification": "air-gapped lab machine; replacement ordered",
        "mitigations": "no network", "directive": "bod-17-01", "expires_at": "2099-01-01",
    });
    let r = s.post(&s.admin, "/api/v1/waivers", &waiver).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let wid = r.json()["id"].as_i64().unwrap();
    let waived = s.get(&s.admin, "/api/v1/findings?status=waived").await;
    assert_eq!(waived.json()["total"], 0, "pending waivers waive nothing");
    let r = s
        .post(
            &s.admin,
            &format!("/api/v1/waivers/{wid}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let waived = s.get(&s.auditor, "/api/v1/findings?status=waived").await;
    let v = waived.json();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["findings"][0]["finding_id"], kesl().id);
    assert_eq!(v["findings"][0]["waiver_id"], wid);
    let list = s.get(&s.auditor, "/api/v1/waivers").await.json();
    assert_eq!(list["waivers"][0]["status"], "approved");
    let r = s
        .post(
            &s.admin,
            &format!("/api/v1/waivers/{wid}/expire"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let open = s
        .get(
            &s.admin,
            &format!("/api/v1/findings?host={id}&status=waived"),
        )
        .await;
    assert_eq!(open.json()["total"], 0);
    let r = s
        .post(&s.admin, "/api/v1/waivers/999999/approve", &json!({}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let audit = s.get(&s.auditor, "/api/v1/audit").await.json();
    let actions: BTreeSet<&str> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(
        actions.iter().any(|a| a.starts_with("waiver")),
        "{actions:?}"
    );
}

async fn compliance_export(s: Srv) {
    let (_, t1) = s.enroll("web1").await;
    let (_, t2) = s.enroll("db,\"primary\"").await;
    assert_eq!(
        s.submit(&t1, &report_bytes("web1", 7, vec![kesl()]), false)
            .await
            .status,
        202
    );
    let body2 = report_bytes("db,\"primary\"", 8, vec![]);
    assert_eq!(s.submit(&t2, &body2, false).await.status, 202);
    let r = s
        .get(&s.auditor, "/api/v1/compliance?directive=bod-17-01")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let c = r.json();
    assert_eq!(c["schema"], "uproot.compliance/1");
    assert_eq!(c["totals"]["hosts"], 2, "{c}");
    let affected = c["totals"]["affected"].as_u64().unwrap();
    assert!(
        affected + c["totals"]["overdue"].as_u64().unwrap() > 0,
        "{c}"
    );
    let csv = s
        .get(
            &s.auditor,
            "/api/v1/export/compliance.csv?directive=bod-17-01&as_of=2099-01-01",
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.headers["content-type"].starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], uproot_server::CSV_HEADER);
    assert_eq!(lines.len(), 3, "{text}");
    assert!(text.contains("\"db,\"\"primary\"\"\""), "{text}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("bod-17-01,2099-01-01T23:59:59Z,")),
        "{text}"
    );
    let js = s
        .get(
            &s.admin,
            "/api/v1/export/compliance.json?directive=bod-17-01",
        )
        .await;
    assert_eq!(js.status, 200);
    assert!(js.headers["content-disposition"].contains("compliance-bod-17-01"));
    let r = s.get(&s.admin, "/api/v1/compliance").await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("bod-17-01"), "{}", r.error());
    let r = s
        .get(
            &s.admin,
            "/api/v1/compliance?directive=bod-17-01&as_of=yesterday",
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("as_of"), "{}", r.error());
    let audit = s.get(&s.admin, "/api/v1/audit").await.json();
    assert!(audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "export.compliance"));
}

async fn listings(s: Srv) {
    let (id, token) = s.enroll("web1").await;
    s.submit(&token, &report_bytes("web1", 9, vec![kesl()]), false)
        .await;
    let r = s
        .get(&s.admin, "/api/v1/hosts?name=web&status=affected&limit=10")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hosts"][0]["id"], id);
    assert_eq!(v["hosts"][0]["open"], 1);
    let r = s.get(&s.admin, "/api/v1/hosts?status=").await;
    assert_eq!(r.status, 200, "an empty parameter is no filter");
    for (path, word) in [
        ("/api/v1/hosts?status=bogus", "status"),
        ("/api/v1/hosts?limit=0", "limit"),
        ("/api/v1/findings?host=abc", "host"),
        ("/api/v1/findings?status=gone", "status"),
        ("/api/v1/audit?since=last-week", "since"),
    ] {
        let r = s.get(&s.admin, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert!(r.error().contains(word), "{path}: {}", r.error());
    }
    let r = s.get(&s.admin, "/api/v1/hosts/424242").await;
    assert_eq!(r.status, 404);
    let r = s.get(&s.admin, "/api/v1/hosts/x").await;
    assert_eq!(r.status, 400);
    let r = s.get(&s.admin, "/api/v1/nothing/here").await;
    assert_eq!(r.status, 404);
    assert!(r.error().contains("/api/v1/nothing/here"), "{}", r.error());
    let r = s.get(&s.admin, "/api/v1/findings?vendor=kaspersky").await;
    assert_eq!(r.json()["total"], 1);
    let d = json!({"name": "site-policy", "title": "Our own", "issued": "2026-01-01",
                   "vendors": ["huawei"], "milestones": [{"name": "remove", "day": 30}]});
    let r = s.post(&s.admin, "/api/v1/directives", &d).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let ds = s.get(&s.auditor, "/api/v1/directives").await.json();
    assert!(ds["directives"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["name"] == "site-policy"));
    assert_eq!(http(s.addr, "GET", "/healthz", &[], b"").await.text(), "ok");
    let r = s.post(&s.admin, "/api/v1/rematch", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["catalog_version"].is_string());
    let stored = s.store.setting("catalog_version").await.unwrap();
    assert_eq!(stored.as_deref(), r.json()["catalog_version"].as_str());
}

async fn session_cookie(s: Srv) {
    let cookie_value = "dashboard-session-cookie-value-0123456789";
    let session = uproot_fleet::Session {
        username: "alice".into(),
        role: Role::Admin,
        csrf: "csrf-token-42".into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    };
    s.store
        .create_session(&uproot_server::auth::hash_token(cookie_value), &session)
        .await
        .unwrap();
    let cookie = format!(
        "theme=dark; {}={cookie_value}",
        uproot_server::auth::SESSION_COOKIE
    );
    let r = http(s.addr, "GET", "/api/v1/hosts", &[("Cookie", &cookie)], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let waiver = serde_json::to_vec(&json!({"scope_kind": "vendor", "scope_value": "zte",
        "justification": "lab", "expires_at": "2099-01-01"}))
    .unwrap();
    let ct = ("Content-Type", "application/json");
    let r = http(
        s.addr,
        "POST",
        "/api/v1/waivers",
        &[("Cookie", &cookie), ct],
        &waiver,
    )
    .await;
    assert_eq!(r.status, 403, "a cookie alone does not authorise a write");
    let h = [
        ("Cookie", cookie.as_str()),
        ct,
        ("X-CSRF-Token", "csrf-token-42"),
    ];
    let r = http(s.addr, "POST", "/api/v1/waivers", &h, &waiver).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let list = s.get(&s.admin, "/api/v1/waivers").await.json();
    assert_eq!(list["waivers"][0]["requested_by"], "alice");
    let stale = format!("{}=nope", uproot_server::auth::SESSION_COOKIE);
    let r = http(s.addr, "GET", "/api/v1/hosts", &[("Cookie", &stale)], b"").await;
    assert_eq!(r.status, 401);
}

/// Many hosts at once, each delivering its report twice concurrently: every
/// request gets a 202, each report is stored once, and exactly one of the
/// two deliveries is the original.
async fn concurrent_ingest(s: Srv) {
    let s = Arc::new(s);
    let mut hosts = Vec::new();
    for i in 0..12 {
        hosts.push(s.enroll(&format!("node{i}")).await);
    }
    let mut tasks = Vec::new();
    for (i, (_, token)) in hosts.iter().enumerate() {
        let body = report_bytes(&format!("node{i}"), 10, vec![kesl()]);
        for copy in 0..2 {
            let (s, token, body) = (s.clone(), token.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                // One delivery plain, the other gzip'd: the same report.
                let r = if copy == 1 {
                    s.submit(&token, &gzip(&body), true).await
                } else {
                    s.submit(&token, &body, false).await
                };
                (i, r.status, r.json())
            }));
        }
    }
    let mut originals = BTreeMap::new();
    for t in tasks {
        let (i, status, v) = t.await.unwrap();
        assert_eq!(status, 202, "{v}");
        if v["duplicate"] == false {
            *originals.entry(i).or_insert(0) += 1;
        }
    }
    assert_eq!(originals.len(), 12, "{originals:?}");
    assert!(originals.values().all(|n| *n == 1), "{originals:?}");
    let hosts = s
        .get(&s.admin, "/api/v1/hosts?status=affected")
        .await
        .json();
    assert_eq!(hosts["total"], 12, "{hosts}");
}

/// `GET /api/v1/catalog/bundle`: host tokens only; 404 until a bundle is
/// published; then the file byte for byte (agents verify it, not the server).
async fn catalog_bundle(s: Srv) {
    let (_, host) = s.enroll("bundle-host").await;
    let r = s.get(&host, "/api/v1/catalog/bundle").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.error().contains("no catalog bundle"), "{}", r.text());
    let bytes = b"{\"format\":\"uproot.catalog-bundle/1\"}\n";
    std::fs::write(s.bundle.path().join("catalog.ucb"), bytes).unwrap();
    let r = s.get(&host, "/api/v1/catalog/bundle").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, bytes);
    assert_eq!(r.headers["content-type"], "application/json");
    // A strong ETag of the bytes: the same tag back gets 304 and no body.
    let etag = r.headers["etag"].clone();
    assert!(etag.starts_with("\"sha256:") && etag.len() == 73, "{etag}");
    assert_eq!(r.headers["cache-control"], "no-cache");
    let auth = format!("Bearer {host}");
    let addr = s.addr;
    let cond = |tag: String| {
        let auth = auth.clone();
        async move {
            let h = [
                ("Authorization", auth.as_str()),
                ("If-None-Match", tag.as_str()),
            ];
            http(addr, "GET", "/api/v1/catalog/bundle", &h, b"").await
        }
    };
    let r = cond(etag.clone()).await;
    assert_eq!(r.status, 304, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(r.headers["etag"], etag);
    // A newer file, published by rename, is served whole with a new tag.
    let newer = b"{\"format\":\"uproot.catalog-bundle/1\",\"v\":2}\n";
    let tmp = s.bundle.path().join("catalog.ucb.new");
    std::fs::write(&tmp, newer).unwrap();
    std::fs::rename(&tmp, s.bundle.path().join("catalog.ucb")).unwrap();
    let r = cond(etag.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, newer);
    assert_ne!(r.headers["etag"], etag);
    assert_eq!(s.get("", "/api/v1/catalog/bundle").await.status, 401);
    assert_eq!(
        s.get("uph_nope", "/api/v1/catalog/bundle").await.status,
        401
    );
    assert_eq!(s.get(&s.admin, "/api/v1/catalog/bundle").await.status, 403);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::start(super::sqlite().await).await).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::start(super::postgres().await).await).await;
                }
            )*
        }
    };
}

both!(
    enroll_secret,
    report_idempotent,
    gzip_body,
    too_large,
    bad_documents,
    tokens_and_roles,
    other_machine,
    waiver_flow,
    compliance_export,
    listings,
    session_cookie,
    concurrent_ingest,
    catalog_bundle,
);

/// The OpenAPI file documents exactly the routes the router registers.
#[test]
fn openapi_matches_routes() {
    let doc: Value =
        serde_json::from_str(uproot_server::OPENAPI_JSON).expect("openapi.json parses");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = uproot_server::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
    // Every $ref resolves.
    let text = uproot_server::OPENAPI_JSON;
    for piece in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}
