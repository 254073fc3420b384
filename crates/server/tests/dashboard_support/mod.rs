//! A real server on loopback with a temporary SQLite database, and a small
//! HTTP/1.1 client, for the dashboard tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uproot_fleet::{Role, Store};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};

pub const ENROLL_SECRET: &str = "upe_dashboard-test-secret-0123456789";
pub const ADMIN: (&str, &str) = ("admin", "correct horse battery staple");
pub const AUDITOR: (&str, &str) = ("auditor", "read only please, 1234");
pub const XSS: &str = "<script>alert(1)</script>";

/// A running server.
pub struct App {
    pub addr: SocketAddr,
    pub url: String,
    pub store: Arc<dyn Store>,
    shutdown: uproot_server::ShutdownHandle,
    _dir: Option<tempfile::TempDir>,
}

impl App {
    /// Starts a server on 127.0.0.1:0 over a fresh SQLite database, with an
    /// enroll secret, an admin and an auditor.
    pub async fn start() -> App {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("uproot.db").display());
        let store = uproot_fleet::open(&url).await.unwrap();
        App::setup(store.as_ref()).await;
        App::serve(store, Some(dir)).await
    }

    /// Creates the enroll secret, the admin and the auditor in `store`.
    pub async fn setup(store: &dyn Store) {
        let admin = uproot_server::admin::create_user;
        admin(store, ADMIN.0, ADMIN.1, Role::Admin).await.unwrap();
        admin(store, AUDITOR.0, AUDITOR.1, Role::Auditor)
            .await
            .unwrap();
        uproot_server::admin::set_enroll_secret(store, ENROLL_SECRET, "test")
            .await
            .unwrap();
    }

    /// Starts a server on 127.0.0.1:0 over `store` (a fresh server has a
    /// fresh dashboard cache; sessions live in the store, so logins carry
    /// over).
    pub async fn serve(store: Arc<dyn Store>, dir: Option<tempfile::TempDir>) -> App {
        let opts = uproot_server::ServeOptions {
            listen: "127.0.0.1:0".into(),
            background: false,
            ..Default::default()
        };
        let running = uproot_server::bind(opts, store.clone()).await.unwrap();
        let addr = running.local_addr();
        let url = running.url();
        let shutdown = running.shutdown_handle();
        tokio::spawn(async move { running.serve().await.unwrap() });
        App {
            addr,
            url,
            store,
            shutdown,
            _dir: dir,
        }
    }

    /// One request; the connection closes after the reply.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        request(self.addr, method, path, headers, body).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let c = cookie.map(|c| format!("uproot_session={c}"));
        let headers: Vec<(&str, &str)> = c.iter().map(|c| ("Cookie", c.as_str())).collect();
        self.request("GET", path, &headers, b"").await
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    pub async fn post_form(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let c = cookie.map(|c| format!("uproot_session={c}"));
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(c) = &c {
            headers.push(("Cookie", c.as_str()));
        }
        self.request("POST", path, &headers, body.as_bytes()).await
    }

    /// Logs in through the form; returns the session cookie's value and the
    /// session's CSRF token (read from a page, as a browser would).
    pub async fn login(&self, user: &str, password: &str) -> Login {
        let r = self
            .post_form(
                "/login",
                None,
                &[("username", user), ("password", password)],
            )
            .await;
        assert_eq!(r.status, 303, "login as {user}: {}", r.body);
        let cookie = r
            .set_cookie("uproot_session")
            .unwrap_or_else(|| panic!("no session cookie: {:?}", r.headers));
        let page = self.get("/waivers", Some(&cookie)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = hidden_csrf(&page.body).expect("a csrf field on the page");
        Login { cookie, csrf }
    }

    /// Enrolls a host through the API; returns (host id, host token).
    pub async fn enroll(&self, name: &str) -> (i64, String) {
        let body = serde_json::json!({
            "secret": ENROLL_SECRET,
            "host": {"name": name, "machine_id": null, "os": "linux"}
        });
        let r = self
            .request(
                "POST",
                "/api/v1/enroll",
                &[("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "enroll: {}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        (
            v["host_id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    }

    /// Posts a report with a host token; asserts 202.
    pub async fn submit(&self, token: &str, report: &Report) {
        let auth = format!("Bearer {token}");
        let r = self
            .request(
                "POST",
                "/api/v1/reports",
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", &auth),
                ],
                &serde_json::to_vec(report).unwrap(),
            )
            .await;
        assert_eq!(r.status, 202, "report: {}", r.body);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

/// The first `name="csrf" value="…"` on a page.
pub fn hidden_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

/// A reply.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value a `Set-Cookie: NAME=…` sets.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// A finding as the matcher would report it for a package.
pub fn finding(vendor: &str, product: &str, product_name: &str, key: &str) -> Finding {
    let indicator = format!("{product}.pkg");
    let mut detail = BTreeMap::new();
    detail.insert("DisplayName".to_string(), key.to_string());
    detail.insert("version".to_string(), "12.0.0.1".to_string());
    Finding {
        id: format!("{indicator}|HKLM\\Uninstall|{key}"),
        vendor: vendor.into(),
        vendor_name: vendor.into(),
        product: product.into(),
        product_name: product_name.into(),
        kind: "package".into(),
        indicator,
        confidence: "high".into(),
        indicator_source: "test".into(),
        summary: format!("{key} is installed"),
        evidence: Evidence {
            source: "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall".into(),
            key: key.into(),
            detail,
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

/// A report for `host` whose inventory has a package named like each
/// finding's evidence key, plus `filler` ordinary packages.
pub fn report(host: &str, at: &str, findings: Vec<Finding>, filler: usize) -> Report {
    let h: uproot_inventory::Host = serde_json::from_value(serde_json::json!({
        "hostname": host, "os": "linux", "root": "/", "live": true,
        "pretty_name": "Debian GNU/Linux 12 (bookworm)"
    }))
    .unwrap();
    use uproot_inventory::{Package, PackageSource};
    let status = "var/lib/dpkg/status";
    let mut packages: Vec<Package> = findings
        .iter()
        .map(|f| Package::new(&f.evidence.key, "12.0.0.1", PackageSource::Dpkg, status))
        .collect();
    for i in 0..filler {
        let mut p = Package::new(
            &format!("lib-filler-{i}"),
            "1.0",
            PackageSource::Dpkg,
            status,
        );
        p.state = Some("installed".into());
        packages.push(p);
    }
    let inventory = uproot_inventory::Inventory {
        packages,
        ..Default::default()
    };
    let catalog = CatalogInfo {
        version: "2026.11.28".into(),
        overlays: vec![],
    };
    Report::new(h, catalog, inventory, findings, vec![], at.into())
}
