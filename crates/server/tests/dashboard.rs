//! The dashboard over real HTTP on loopback, against SQLite: escaping of
//! host data, logins, sessions, CSRF, the auditor role, the waiver flow and
//! page render times.

mod dashboard_support;

use std::time::{Duration, Instant};

use dashboard_support::{finding, report, App, ADMIN, AUDITOR, XSS};

const PAGES: &[&str] = &[
    "/",
    "/directives",
    "/directives/bod-17-01",
    "/hosts",
    "/findings",
    "/waivers",
    "/exports",
];

fn kesl() -> uproot_matcher::Finding {
    finding("kaspersky", "kesl", "Kaspersky Endpoint Security", "kesl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_data_renders_as_text() {
    let app = App::start().await;
    let evil_host = format!("db{XSS}");
    let (id, token) = app.enroll(&evil_host).await;
    let mut evil = finding("kaspersky", "kesl", XSS, XSS);
    evil.summary = format!("{XSS} is installed");
    evil.severity = format!("high{XSS}");
    let r = report(&evil_host, "2026-11-28T10:00:00Z", vec![evil, kesl()], 10);
    app.submit(&token, &r).await;
    let login = app.login(ADMIN.0, ADMIN.1).await;

    let host = app.get(&format!("/hosts/{id}"), Some(&login.cookie)).await;
    assert_eq!(host.status, 200, "{}", host.body);
    assert!(
        host.body
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "the script must appear as escaped text"
    );
    assert!(host.body.contains("&lt;script&gt;"));
    assert!(
        !host.body.contains("<script"),
        "no script element may reach the page"
    );
    // Evidence from the latest report (DisplayName detail) is on the page too.
    assert!(host.body.contains("DisplayName: &lt;script&gt;"));
    let csp = host.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");

    let mut pages: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
    pages.push(format!("/findings?host={id}"));
    pages.push(format!("/hosts?name={}", "db%3Cscript"));
    for path in pages {
        let r = app.get(&path, Some(&login.cookie)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(
            !r.body.contains("<script"),
            "{path} carries a script element"
        );
    }
    let hosts = app.get("/hosts", Some(&login.cookie)).await;
    assert!(hosts.body.contains("db&lt;script&gt;"), "host name escaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_generic_and_audited() {
    let app = App::start().await;
    let wrong = app
        .post_form(
            "/login",
            None,
            &[("username", ADMIN.0), ("password", "not the password")],
        )
        .await;
    let unknown = app
        .post_form(
            "/login",
            None,
            &[("username", "mallory"), ("password", "whatever")],
        )
        .await;
    for r in [&wrong, &unknown] {
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Invalid username or password."));
        assert!(r.set_cookie("uproot_session").is_none());
    }
    // The same page either way, apart from the echoed user name.
    assert_eq!(
        wrong.body.replace(ADMIN.0, "X"),
        unknown.body.replace("mallory", "X")
    );
    let audit = app.store.audit("1970-01-01T00:00:00Z").await.unwrap();
    let failed: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "login.failed")
        .collect();
    assert_eq!(failed.len(), 2, "{audit:#?}");
    assert!(failed.iter().any(|a| a.actor.contains("mallory")));

    let ok = app
        .post_form(
            "/login",
            None,
            &[("username", ADMIN.0), ("password", ADMIN.1)],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/"));
    let cookie = ok
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.clone())
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_redirect_to_login_without_a_session() {
    let app = App::start().await;
    for path in PAGES.iter().chain(&["/hosts/1"]) {
        for cookie in [None, Some("0123abcd")] {
            let r = app.get(path, cookie).await;
            assert_eq!(r.status, 303, "{path}");
            let loc = r.header("location").unwrap();
            assert!(loc.starts_with("/login"), "{path} → {loc}");
        }
    }
    let r = app.get("/hosts?name=web", None).await;
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fhosts%3Fname%3Dweb")
    );
    let r = app
        .post_form("/waivers", None, &[("scope_kind", "vendor")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.get("/login", None).await.status, 200);

    // After logout the cookie is dead.
    let login = app.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(app.get("/", Some(&login.cookie)).await.status, 200);
    let out = app
        .post_form("/logout", Some(&login.cookie), &[("csrf", &login.csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(app.get("/", Some(&login.cookie)).await.status, 303);
}

fn waiver_form<'a>(csrf: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("scope_kind", "finding"),
        ("scope_value", value),
        ("justification", "Lab host, removal scheduled."),
        ("mitigations", "No egress."),
        ("directive", "bod-17-01"),
        ("expires", "2099-01-31"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_the_csrf_token() {
    let app = App::start().await;
    let (_, token) = app.enroll("web1").await;
    app.submit(
        &token,
        &report("web1", "2026-11-28T10:00:00Z", vec![kesl()], 0),
    )
    .await;
    let login = app.login(ADMIN.0, ADMIN.1).await;
    let fid = kesl().id;
    let c = Some(login.cookie.as_str());

    let mut no_token = waiver_form("", &fid);
    no_token.remove(0);
    assert_eq!(app.post_form("/waivers", c, &no_token).await.status, 403);
    let wrong = waiver_form("00ff", &fid);
    let r = app.post_form("/waivers", c, &wrong).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("security token"));
    assert!(app.store.waivers().await.unwrap().is_empty());

    // A cross-site form post is refused even with the right token.
    let form = waiver_form(&login.csrf, &fid);
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&");
    let cookie = format!("uproot_session={}", login.cookie);
    let r = app
        .request(
            "POST",
            "/waivers",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
                ("Origin", "https://evil.example"),
            ],
            body.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 403);

    let r = app.post_form("/waivers", c, &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = app.store.waivers().await.unwrap()[0].id;
    let approve = format!("/waivers/{id}/approve");
    assert_eq!(app.post_form(&approve, c, &[]).await.status, 403);
    assert_eq!(
        app.post_form(&approve, c, &[("csrf", "x")]).await.status,
        403
    );
    assert_eq!(app.post_form("/logout", c, &[]).await.status, 403);
    assert_eq!(app.store.waivers().await.unwrap()[0].status, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_read_but_cannot_write() {
    let app = App::start().await;
    let (id, token) = app.enroll("web1").await;
    app.submit(
        &token,
        &report("web1", "2026-11-28T10:00:00Z", vec![kesl()], 0),
    )
    .await;
    let admin = app.login(ADMIN.0, ADMIN.1).await;
    let r = app
        .post_form(
            "/waivers",
            Some(&admin.cookie),
            &waiver_form(&admin.csrf, &kesl().id),
        )
        .await;
    assert_eq!(r.status, 303);
    let wid = app.store.waivers().await.unwrap()[0].id;

    let auditor = app.login(AUDITOR.0, AUDITOR.1).await;
    let c = Some(auditor.cookie.as_str());
    for path in PAGES
        .iter()
        .map(|p| p.to_string())
        .chain([format!("/hosts/{id}")])
    {
        let r = app.get(&path, c).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(!r.body.contains("waiver-form"), "{path} shows a write form");
        assert!(
            !r.body.contains("/approve"),
            "{path} shows an approve button"
        );
        assert!(!r.body.contains("Waive…"), "{path} shows a waive link");
    }
    let r = app
        .post_form("/waivers", c, &waiver_form(&auditor.csrf, &kesl().id))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("read-only"));
    for action in ["approve", "expire"] {
        let r = app
            .post_form(
                &format!("/waivers/{wid}/{action}"),
                c,
                &[("csrf", &auditor.csrf)],
            )
            .await;
        assert_eq!(r.status, 403, "{action}");
    }
    assert_eq!(app.store.waivers().await.unwrap().len(), 1);
    assert_eq!(app.store.waivers().await.unwrap()[0].status, "pending");
    // Logging out is not a change to the fleet: auditors may.
    let out = app
        .post_form("/logout", c, &[("csrf", &auditor.csrf)])
        .await;
    assert_eq!(out.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiver_flow_and_page_render_times() {
    let app = App::start().await;
    let mut hosts = Vec::new();
    for i in 0..40 {
        let name = format!("web{i:02}");
        let (id, token) = app.enroll(&name).await;
        let findings = if i % 3 == 0 { vec![] } else { vec![kesl()] };
        let r = report(&name, &format!("2026-11-28T10:{i:02}:00Z"), findings, 1500);
        app.submit(&token, &r).await;
        hosts.push(id);
    }
    let login = app.login(ADMIN.0, ADMIN.1).await;
    let c = Some(login.cookie.as_str());
    let host = hosts[1];

    let page = app.get(&format!("/hosts/{host}"), c).await;
    assert!(page.body.contains("data-state=\"open\""));
    assert!(
        page.body.contains("1501 installed"),
        "latest report summary shown"
    );
    // Auto-escaping writes the link's `/` and `&` as entities.
    assert!(
        page.body.contains("scope_kind=finding&amp;scope_value="),
        "a waive link"
    );

    let r = app
        .post_form("/waivers", c, &waiver_form(&login.csrf, &kesl().id))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let wid = app.store.waivers().await.unwrap()[0].id;
    let back = app.get(r.header("location").unwrap(), c).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert!(back.body.contains(&format!("Waiver {wid} requested.")));
    let r = app
        .post_form(
            &format!("/waivers/{wid}/approve"),
            c,
            &[("csrf", &login.csrf)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let back = app.get(r.header("location").unwrap(), c).await;
    assert!(back.body.contains(&format!("Waiver {wid} approved.")));
    assert!(back.body.contains("data-status=\"approved\""));
    let page = app.get(&format!("/hosts/{host}"), c).await;
    assert!(page.body.contains("data-state=\"waived\""), "{}", page.body);
    let overview = app.get("/", c).await;
    assert!(overview.body.contains("<polyline"), "burndown drawn");

    let mut pages: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
    pages.push(format!("/hosts/{host}"));
    pages.push("/findings?status=waived".into());
    for path in &pages {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let r = app.get(path, c).await;
            times.push(t.elapsed());
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "render {path}: median {median:?} max {:?}",
            times[times.len() - 1]
        );
        // Loose, for unoptimised test builds on a busy 2-core machine; the
        // 200 ms p95 target at 100k hosts is measured by the load generator.
        assert!(
            median < Duration::from_millis(300),
            "{path} took {median:?}"
        );
    }

    let r = app
        .post_form(
            &format!("/waivers/{wid}/expire"),
            c,
            &[("csrf", &login.csrf)],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = app.get(&format!("/hosts/{host}"), c).await;
    assert!(
        page.body.contains("data-state=\"reopened\""),
        "expired waiver reopens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_waiver_input_is_explained() {
    let app = App::start().await;
    let login = app.login(ADMIN.0, ADMIN.1).await;
    let c = Some(login.cookie.as_str());
    let mut form = waiver_form(&login.csrf, "x");
    form[3] = ("justification", "   ");
    let r = app.post_form("/waivers", c, &form).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("written justification"));
    let mut form = waiver_form(&login.csrf, "x");
    form[6] = ("expires", "2001-01-01");
    let r = app.post_form("/waivers", c, &form).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("in the future"));
    assert_eq!(app.get("/hosts/999", c).await.status, 404);
    assert_eq!(app.get("/hosts/abc", c).await.status, 404);
    assert_eq!(app.get("/directives/nope", c).await.status, 404);
    assert_eq!(app.get("/findings?status=bogus", c).await.status, 400);
}
