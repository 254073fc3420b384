//! One suite, run against both backends: SQLite in a temporary directory and
//! the real PostgreSQL on 127.0.0.1:5432 (database `test`, one fresh schema
//! per test). PostgreSQL being unreachable is a failure, never a skip.
//! `UPROOT_TEST_PG` overrides the PostgreSQL URL.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::Connection;
use uproot_fleet::test_support::PgSchema;
use uproot_fleet::{
    report_id, report_id_of_bytes, state, waiver_status, Directive, ErrorKind, FindingFilter,
    HostFacts, HostFilter, Milestone, NewWaiver, Page, Role, Session, Store, Submission, User,
};
use uproot_inventory::{Host, Inventory};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};

enum Raw {
    Sqlite(String),
    Pg(PgSchema),
}

struct Env {
    store: Arc<dyn Store>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    let store = uproot_fleet::open(&url).await.expect("open SQLite store");
    Env {
        store,
        raw: Raw::Sqlite(url),
        _dir: Some(dir),
    }
}

async fn postgres() -> Env {
    let (schema, store) = PgSchema::with_store("uproot_test")
        .await
        .unwrap_or_else(|e| panic!("fleet store tests: {e}"));
    // Debian's PostgreSQL ships pg_trgm (contrib): the name index exists,
    // so nothing is reported.
    assert_eq!(uproot_fleet::Store::notices(&store), Vec::<String>::new());
    Env {
        store: Arc::new(store),
        raw: Raw::Pg(schema),
        _dir: None,
    }
}

impl Env {
    /// Runs `sql` on a separate raw connection (bypassing the store's API).
    async fn raw_exec(&self, sql: &str) -> Result<u64, String> {
        match &self.raw {
            Raw::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            }
            Raw::Pg(schema) => {
                let mut c = schema.connect().await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            }
        }
    }

    async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.raw {
            Raw::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
            }
            Raw::Pg(schema) => {
                let mut c = schema.connect().await.unwrap();
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
            }
        }
    }

    /// Makes storing the body of a report with catalog version `poison`
    /// fail inside the database, after its `reports` row was written.
    async fn poison_bodies(&self) {
        let stmts: &[&str] = match &self.raw {
            Raw::Sqlite(_) => &["CREATE TRIGGER poison BEFORE INSERT ON report_bodies \
                 WHEN NEW.report_id IN (SELECT report_id FROM reports WHERE catalog_version = 'poison') \
                 BEGIN SELECT RAISE(ABORT, 'poisoned'); END"],
            Raw::Pg(_) => &[
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                   IF EXISTS (SELECT 1 FROM reports WHERE report_id = NEW.report_id AND catalog_version = 'poison') \
                   THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$",
                "CREATE TRIGGER poison BEFORE INSERT ON report_bodies FOR EACH ROW EXECUTE FUNCTION poison()",
            ],
        };
        for sql in stmts {
            self.raw_exec(sql).await.unwrap();
        }
    }

    /// Drops the PostgreSQL schema; the SQLite tempdir goes on drop.
    async fn finish(self) {
        if let Raw::Pg(schema) = self.raw {
            drop(self.store);
            schema.drop_schema().await.unwrap();
        }
    }
}

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

fn report(host: &str, second: u32, findings: Vec<Finding>) -> Report {
    let h = Host {
        hostname: host.into(),
        os: "linux".into(),
        root: "/".into(),
        ..Default::default()
    };
    let catalog = CatalogInfo {
        version: "2026.11.28".into(),
        overlays: vec![],
    };
    let at = format!("2026-11-01T00:{:02}:{:02}Z", second / 60, second % 60);
    Report::new(h, catalog, Inventory::default(), findings, vec![], at)
}

async fn enroll(s: &dyn Store, name: &str) -> i64 {
    let facts = HostFacts {
        name: name.into(),
        machine_id: Some(format!("mid-{name}")),
        os: "linux".into(),
    };
    s.enroll_host(&facts, &format!("hash-{name}"))
        .await
        .unwrap()
}

fn kesl() -> Finding {
    finding("kaspersky", "kesl", "kesl")
}

fn agent() -> Finding {
    finding("kaspersky", "klnagent", "klnagent64")
}

fn hisuite() -> Finding {
    finding("huawei", "hisuite", "hisuite")
}

async fn idempotent_ingest(env: Env) {
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    let r = report("web1", 1, vec![kesl()]);
    let first = s.ingest_report(h, &r).await.unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.opened, 1);
    let second = s.ingest_report(h, &r).await.unwrap();
    assert!(second.duplicate, "same report twice must be a duplicate");
    assert_eq!((second.opened, second.resolved, second.reopened), (0, 0, 0));
    assert_eq!(env.count("reports").await, 1);
    assert_eq!(
        s.findings(&FindingFilter::default()).await.unwrap().len(),
        1
    );
    env.finish().await;
}

async fn finding_lifecycle(env: Env) {
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    let r1 = report("web1", 1, vec![kesl(), agent()]);
    let r2 = report("web1", 2, vec![agent()]);
    let r3 = report("web1", 3, vec![kesl(), agent()]);
    let i1 = s.ingest_report(h, &r1).await.unwrap();
    assert_eq!((i1.opened, i1.resolved, i1.reopened), (2, 0, 0));
    let i2 = s.ingest_report(h, &r2).await.unwrap();
    assert_eq!((i2.opened, i2.resolved, i2.reopened), (0, 1, 0));
    let resolved = s
        .findings(&FindingFilter {
            status: Some(state::RESOLVED.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].finding_id, kesl().id);
    assert_eq!(
        resolved[0].resolved_by_report.as_deref(),
        Some(report_id(&r2).as_str())
    );
    assert!(resolved[0].resolved_at.is_some());
    let i3 = s.ingest_report(h, &r3).await.unwrap();
    assert_eq!((i3.opened, i3.resolved, i3.reopened), (0, 0, 1));
    let all = s
        .findings(&FindingFilter {
            host: Some(h),
            ..Default::default()
        })
        .await
        .unwrap();
    let by_id: BTreeMap<_, _> = all.iter().map(|f| (f.finding_id.clone(), f)).collect();
    assert_eq!(by_id[&kesl().id].state, state::REOPENED);
    assert!(by_id[&kesl().id].resolved_at.is_none());
    assert_eq!(by_id[&agent().id].state, state::OPEN);
    // A report generated before the newest one is stored but changes nothing.
    let late = report("web1", 0, vec![]);
    let i4 = s.ingest_report(h, &late).await.unwrap();
    assert!(!i4.duplicate);
    assert_eq!((i4.opened, i4.resolved, i4.reopened), (0, 0, 0));
    let actions: Vec<String> = s
        .audit("")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for want in [
        "host.enroll",
        "report.ingest",
        "finding.open",
        "finding.resolve",
        "finding.reopen",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "no {want} in audit: {actions:?}"
        );
    }
    env.finish().await;
}

fn waiver(kind: &str, value: &str) -> NewWaiver {
    NewWaiver {
        scope_kind: kind.into(),
        scope_value: value.into(),
        justification: "air-gapped lab; written response filed".into(),
        mitigations: "no network egress".into(),
        directive: Some("bod-17-01".into()),
        requested_by: "ops@example.gov".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    }
}

async fn states(s: &dyn Store, host: i64) -> BTreeMap<String, (String, Option<i64>)> {
    s.findings(&FindingFilter {
        host: Some(host),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|f| (f.finding_id, (f.state, f.waiver_id)))
    .collect()
}

async fn waiver_scope_and_expiry(env: Env) {
    let s = env.store.as_ref();
    let h1 = enroll(s, "web1").await;
    let h2 = enroll(s, "web2").await;
    s.ingest_report(h1, &report("web1", 1, vec![kesl(), hisuite()]))
        .await
        .unwrap();
    let w = waiver("vendor", "kaspersky");
    let wid = s.add_waiver(&w).await.unwrap();
    // Pending: waives nothing.
    assert_eq!(states(s, h1).await[&kesl().id].0, state::OPEN);
    let listed = s.waivers().await.unwrap();
    assert_eq!(listed[0].status, waiver_status::PENDING);
    assert_eq!(listed[0].approver, None);
    assert_eq!(listed[0].waiver, w);
    s.approve_waiver(wid, "ciso@example.gov", "2026-01-02T00:00:00Z")
        .await
        .unwrap();
    let listed = s.waivers().await.unwrap();
    assert_eq!(listed[0].status, waiver_status::APPROVED);
    assert_eq!(listed[0].approver.as_deref(), Some("ciso@example.gov"));
    assert_eq!(
        listed[0].approved_at.as_deref(),
        Some("2026-01-02T00:00:00Z")
    );
    assert_eq!(
        s.approve_waiver(wid, "ciso@example.gov", "2026-01-02T00:00:00Z")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid,
        "approving twice"
    );
    assert_eq!(
        s.approve_waiver(wid + 100, "ciso", "2026-01-02T00:00:00Z")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let st = states(s, h1).await;
    assert_eq!(st[&kesl().id], (state::WAIVED.to_string(), Some(wid)));
    assert_eq!(st[&hisuite().id].0, state::OPEN);
    // A finding first seen while an approved waiver covers it starts waived.
    s.ingest_report(h2, &report("web2", 1, vec![agent()]))
        .await
        .unwrap();
    assert_eq!(states(s, h2).await[&agent().id].0, state::WAIVED);
    // A host-scope waiver covers only that host's findings.
    let hid = s
        .add_waiver(&waiver("host", &h1.to_string()))
        .await
        .unwrap();
    s.approve_waiver(hid, "ciso@example.gov", "2026-01-03T00:00:00Z")
        .await
        .unwrap();
    let st = states(s, h1).await;
    assert_eq!(st[&hisuite().id], (state::WAIVED.to_string(), Some(hid)));
    // A pending waiver that is never approved changes nothing, not even for
    // a finding first seen after it was requested.
    s.add_waiver(&waiver("product", "hisuite")).await.unwrap();
    s.ingest_report(h2, &report("web2", 2, vec![agent(), hisuite()]))
        .await
        .unwrap();
    assert_eq!(
        states(s, h2).await[&hisuite().id],
        (state::OPEN.to_string(), None)
    );
    // Bad scopes are refused.
    for bad in [waiver("everything", "x"), waiver("host", "web1")] {
        assert_eq!(
            s.add_waiver(&bad).await.unwrap_err().kind(),
            ErrorKind::Invalid
        );
    }
    // Expiring the vendor waiver by hand: web1's kesl stays waived under the
    // host waiver, web2's agent reopens.
    s.expire_waiver(wid, "admin", "2026-06-01T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        states(s, h1).await[&kesl().id],
        (state::WAIVED.to_string(), Some(hid))
    );
    assert_eq!(
        states(s, h2).await[&agent().id],
        (state::REOPENED.to_string(), None)
    );
    assert_eq!(
        s.expire_waiver(wid, "admin", "2026-06-01T00:00:00Z")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid,
        "expiring twice"
    );
    // Not yet due.
    assert_eq!(s.expire_waivers("2098-12-31T00:00:00Z").await.unwrap(), 0);
    // The host waiver and the pending product waiver are due.
    assert_eq!(s.expire_waivers("2099-01-02T00:00:00Z").await.unwrap(), 2);
    let all = s.findings(&FindingFilter::default()).await.unwrap();
    assert!(
        all.iter().all(|f| f.waiver_id.is_none()
            && (f.state == state::REOPENED || (f.host_id == h2 && f.product == "hisuite"))),
        "{all:#?}"
    );
    let ws = s.waivers().await.unwrap();
    assert!(ws
        .iter()
        .all(|w| w.status == waiver_status::EXPIRED && w.expired_at.is_some()));
    let audit = s.audit("").await.unwrap();
    let n = |action: &str| audit.iter().filter(|a| a.action == action).count();
    assert_eq!(n("waiver.request"), 3);
    assert_eq!(n("waiver.approve"), 2);
    assert_eq!(n("waiver.expire"), 3);
    // kesl (vendor waiver), hisuite (host waiver), kesl again on expiry
    assert_eq!(n("finding.waive"), 3);
    // web2's agent, then web1's kesl and hisuite
    assert_eq!(n("finding.reopen"), 3);
    env.finish().await;
}

async fn audit_is_append_only(env: Env) {
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    s.ingest_report(h, &report("web1", 1, vec![kesl()]))
        .await
        .unwrap();
    let rows = s.audit("").await.unwrap();
    assert!(rows.len() >= 3, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r.action == "finding.open" && r.detail["evidence"]["key"] == "kesl"));
    let before = env.count("audit").await;
    let upd = env.raw_exec("UPDATE audit SET actor = 'mallory'").await;
    assert!(
        upd.as_ref().is_err_and(|e| e.contains("append-only")),
        "UPDATE on audit was not rejected: {upd:?}"
    );
    let del = env.raw_exec("DELETE FROM audit").await;
    assert!(
        del.as_ref().is_err_and(|e| e.contains("append-only")),
        "DELETE on audit was not rejected: {del:?}"
    );
    assert_eq!(env.count("audit").await, before);
    let events = env.count("finding_events").await;
    assert!(events >= 1);
    for sql in [
        "UPDATE finding_events SET state = 'resolved'",
        "DELETE FROM finding_events",
    ] {
        let res = env.raw_exec(sql).await;
        assert!(
            res.as_ref().is_err_and(|e| e.contains("append-only")),
            "{sql} was not rejected: {res:?}"
        );
    }
    assert_eq!(env.count("finding_events").await, events);
    env.finish().await;
}

async fn concurrent_ingests(env: Env) {
    let mut hosts = Vec::new();
    for i in 0..4 {
        hosts.push(enroll(env.store.as_ref(), &format!("host{i}")).await);
    }
    let mut tasks = Vec::new();
    for t in 0..8u32 {
        let store = env.store.clone();
        let host = hosts[t as usize % 4];
        tasks.push(tokio::spawn(async move {
            let mut dups = 0;
            let mut first = None;
            for n in 0..5u32 {
                let f = if n % 2 == 0 {
                    vec![kesl(), hisuite()]
                } else {
                    vec![agent()]
                };
                let r = report(&format!("host{}", t % 4), t * 10 + n, f);
                let out = store.ingest_report(host, &r).await.unwrap();
                assert!(!out.duplicate);
                first.get_or_insert(r);
            }
            if store
                .ingest_report(host, first.as_ref().unwrap())
                .await
                .unwrap()
                .duplicate
            {
                dups += 1;
            }
            dups
        }));
    }
    let mut dups = 0;
    for t in tasks {
        dups += t.await.unwrap();
    }
    assert_eq!(dups, 8);
    assert_eq!(env.count("reports").await, 40);
    let findings = env.store.findings(&FindingFilter::default()).await.unwrap();
    assert_eq!(
        findings.len(),
        12,
        "three distinct findings on each of four hosts"
    );
    env.finish().await;
}

async fn directives_and_hosts(env: Env) {
    let s = env.store.as_ref();
    let d = s.directives().await.unwrap();
    let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["bod-17-01", "ndaa-fy19-889", "bis-2024-kaspersky"]);
    let days: Vec<u32> = d[0].milestones.iter().map(|m| m.day).collect();
    assert_eq!(days, [30, 60, 90]);
    assert!(d.iter().all(|d| d.builtin));
    let mine = Directive {
        name: "agency-2027-01".into(),
        title: "Agency memo".into(),
        issued: "2027-01-04".into(),
        vendors: vec!["hikvision".into()],
        milestones: vec![Milestone {
            name: "remove".into(),
            day: 45,
        }],
        builtin: false,
    };
    s.add_directive(&mine, "admin").await.unwrap();
    assert_eq!(
        s.add_directive(&mine, "admin").await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    assert_eq!(s.directives().await.unwrap().last().unwrap(), &mine);
    // Re-enrolling the same machine keeps its id and replaces the token.
    let h = enroll(s, "web1").await;
    let facts = HostFacts {
        name: "web1-renamed".into(),
        machine_id: Some("mid-web1".into()),
        os: "linux".into(),
    };
    assert_eq!(s.enroll_host(&facts, "hash-new").await.unwrap(), h);
    assert_eq!(s.host_by_token_hash("hash-new").await.unwrap(), Some(h));
    assert_eq!(s.host_by_token_hash("hash-web1").await.unwrap(), None);
    let hosts = s.hosts().await.unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].name, "web1-renamed");
    assert_eq!(
        s.ingest_report(h + 100, &report("x", 1, vec![]))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    env.finish().await;
}

fn submission(host_id: i64, r: &Report) -> Submission {
    use std::io::Write;
    let json = serde_json::to_vec(r).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json).unwrap();
    Submission {
        host_id,
        report_id: report_id_of_bytes(&json),
        generated_at: r.generated_at.clone(),
        catalog_version: r.catalog.version.clone(),
        findings: r.findings.clone(),
        summary: r.summary.clone(),
        body_gz: gz.finish().unwrap(),
    }
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn today() -> String {
    uproot_report::rfc3339_now()[..10].to_owned()
}

fn day(offset: i64) -> String {
    uproot_assess::add_days(&today(), offset).unwrap()
}

/// Waits until the clock (1 s resolution) has moved past `t`.
async fn after(t: &str) {
    while uproot_report::rfc3339_now().as_str() <= t {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn batch_ingest_is_idempotent(env: Env) {
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    let r1 = report("web1", 1, vec![kesl(), agent()]);
    let r2 = report("web1", 2, vec![agent()]);
    let (s1, s2) = (submission(h, &r1), submission(h, &r2));
    assert_eq!(s1.report_id, report_id(&r1), "one report id for both paths");
    let out = s
        .ingest_batch(&[s1.clone(), s1.clone(), s2.clone()])
        .await
        .unwrap();
    let out: Vec<_> = out.into_iter().map(Result::unwrap).collect();
    assert!(!out[0].duplicate && out[1].duplicate && !out[2].duplicate);
    assert_eq!((out[0].opened, out[2].resolved), (2, 1));
    assert_eq!(env.count("reports").await, 2);
    assert_eq!(env.count("report_bodies").await, 2);
    // Across batches, and through the single-report path.
    let again = s.ingest_batch(std::slice::from_ref(&s2)).await.unwrap();
    assert!(again[0].as_ref().unwrap().duplicate);
    assert!(s.ingest_report(h, &r1).await.unwrap().duplicate);
    assert_eq!(env.count("reports").await, 2);
    assert!(s.ingest_batch(&[]).await.unwrap().is_empty());
    // The stored body is the gzip of the document.
    let body = s.report_body(&s1.report_id).await.unwrap().unwrap();
    let doc: Report = serde_json::from_slice(&gunzip(&body)).unwrap();
    assert_eq!(doc, r1);
    assert_eq!(s.report_body("sha256:nope").await.unwrap(), None);
    let metas = s.reports_for_host(h, Page::default()).await.unwrap();
    let ids: Vec<&str> = metas.iter().map(|m| m.report_id.as_str()).collect();
    assert_eq!(ids, [s2.report_id.as_str(), s1.report_id.as_str()]);
    assert_eq!((metas[0].findings, metas[1].findings), (1, 2));
    assert_eq!(metas[1].generated_at, r1.generated_at);
    let page = Page {
        limit: 1,
        offset: 1,
    };
    let second = s.reports_for_host(h, page).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].report_id, s1.report_id);
    let audit = s.audit("").await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "report.ingest").count(),
        2
    );
    env.finish().await;
}

async fn unknown_host_does_not_sink_the_batch(env: Env) {
    let s = env.store.as_ref();
    let h1 = enroll(s, "web1").await;
    let h2 = enroll(s, "web2").await;
    let batch = [
        submission(h1, &report("web1", 1, vec![kesl()])),
        submission(h2 + 1000, &report("ghost", 1, vec![kesl()])),
        submission(h2, &report("web2", 1, vec![hisuite()])),
    ];
    let out = s.ingest_batch(&batch).await.unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].as_ref().unwrap().opened, 1);
    assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(out[2].as_ref().unwrap().opened, 1);
    assert_eq!(env.count("reports").await, 2);
    assert_eq!(
        s.findings(&FindingFilter::default()).await.unwrap().len(),
        2
    );
    // A submission that fails inside the database is rolled back alone.
    env.poison_bodies().await;
    let mut poisoned = submission(h1, &report("web1", 5, vec![agent()]));
    poisoned.catalog_version = "poison".into();
    let good = submission(h2, &report("web2", 5, vec![agent()]));
    let out = s
        .ingest_batch(&[poisoned.clone(), good.clone()])
        .await
        .unwrap();
    assert_eq!(out[0].as_ref().unwrap_err().kind(), ErrorKind::Database);
    assert_eq!(out[1].as_ref().unwrap().opened, 1);
    assert_eq!(env.count("reports").await, 3);
    assert_eq!(s.report_body(&poisoned.report_id).await.unwrap(), None);
    let h1_findings = states(s, h1).await;
    assert_eq!(h1_findings.len(), 1, "{h1_findings:?}");
    assert_eq!(h1_findings[&kesl().id].0, state::OPEN);
    env.finish().await;
}

async fn compliance_as_of_is_reproducible(env: Env) {
    let s = env.store.as_ref();
    let h1 = enroll(s, "web1").await;
    let h2 = enroll(s, "web2").await;
    let h3 = enroll(s, "never-scanned").await;
    s.ingest_report(h1, &report("web1", 1, vec![kesl(), hisuite()]))
        .await
        .unwrap();
    s.ingest_report(h2, &report("web2", 1, vec![hisuite()]))
        .await
        .unwrap();
    let t1 = uproot_report::rfc3339_now();
    let c1 = compliance(s, "bod-17-01", &t1, 30).await;
    assert_eq!(c1.schema, "uproot.compliance/1");
    assert_eq!(c1.as_of, t1);
    let status: Vec<(&str, &str)> = c1
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.status.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("web1", "affected"),
            ("web2", "clean"),
            ("never-scanned", "not-scanned")
        ]
    );
    assert_eq!(
        c1.hosts[0].open, 1,
        "only kaspersky is in BOD 17-01's scope"
    );
    assert_eq!(c1.hosts[2].host_id, h3);
    let t = &c1.totals;
    assert_eq!(
        (
            t.hosts,
            t.scanned,
            t.clean,
            t.affected,
            t.overdue,
            t.findings_open
        ),
        (3, 2, 1, 1, 0, 1)
    );
    assert_eq!(c1.milestones.len(), 3);
    assert_eq!(c1.milestones[2].due, "2017-12-12");
    assert!(c1.milestones.iter().all(|m| m.passed));
    let frozen = serde_json::to_string(&c1).unwrap();
    // Things change after T1...
    after(&t1).await;
    s.ingest_report(h1, &report("web1", 2, vec![hisuite()]))
        .await
        .unwrap();
    s.ingest_report(h2, &report("web2", 2, vec![agent()]))
        .await
        .unwrap();
    s.ingest_report(h3, &report("never-scanned", 1, vec![]))
        .await
        .unwrap();
    let wid = s.add_waiver(&waiver("vendor", "kaspersky")).await.unwrap();
    s.approve_waiver(wid, "ciso", &uproot_report::rfc3339_now())
        .await
        .unwrap();
    // ...but T1 still reads the same.
    let again = compliance(s, "bod-17-01", &t1, 30).await;
    assert_eq!(serde_json::to_string(&again).unwrap(), frozen);
    let now = compliance(s, "bod-17-01", &day(0), 30).await;
    let status: Vec<&str> = now.hosts.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(status, ["clean", "waived", "clean"]);
    assert_eq!(now.hosts[0].resolved, 1);
    assert_eq!(
        s.compliance("no-such", &t1, 30).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        s.compliance("bod-17-01", "yesterday", 30)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    env.finish().await;
}

/// Compliance, checked against the summary (totals from one grouped query).
async fn compliance(
    s: &dyn Store,
    name: &str,
    as_of: &str,
    grace: u32,
) -> uproot_fleet::Compliance {
    let full = s.compliance(name, as_of, grace).await.unwrap();
    let summary = s.compliance_summary(name, as_of, grace).await.unwrap();
    assert!(summary.hosts.is_empty());
    assert_eq!(summary.totals, full.totals, "{name} at {as_of}");
    assert_eq!(summary.milestones, full.milestones);
    // Each page of compliance_hosts is the full rows, filtered and worst first.
    for status in [
        None,
        Some("overdue"),
        Some("affected"),
        Some("not-scanned"),
        Some("waived"),
        Some("clean"),
    ] {
        let mut want: Vec<_> = full
            .hosts
            .iter()
            .filter(|h| status.map_or(h.status != "clean", |st| h.status == st))
            .cloned()
            .collect();
        want.sort_by_key(|h| {
            (
                uproot_fleet::status_rank(&h.status),
                h.deadline.clone(),
                h.host_id,
            )
        });
        let all = uproot_fleet::Page {
            limit: 1000,
            offset: 0,
        };
        let got = s
            .compliance_hosts(name, as_of, grace, status, all)
            .await
            .unwrap();
        assert_eq!(got, want, "{name} at {as_of}, status {status:?}");
        let tail = uproot_fleet::Page {
            limit: 2,
            offset: 1,
        };
        let got = s
            .compliance_hosts(name, as_of, grace, status, tail)
            .await
            .unwrap();
        assert_eq!(
            got,
            want.iter().skip(1).take(2).cloned().collect::<Vec<_>>()
        );
        // Walking every page gives every row once, in order, whatever the
        // page size (pages are cut across status and deadline groups).
        for limit in [1, 2, 3] {
            let mut walked = Vec::new();
            loop {
                let page = uproot_fleet::Page {
                    limit,
                    offset: walked.len() as u64,
                };
                let got = s
                    .compliance_hosts(name, as_of, grace, status, page)
                    .await
                    .unwrap();
                let last = got.len() < limit as usize;
                walked.extend(got);
                if last {
                    break;
                }
            }
            assert_eq!(walked, want, "{name} at {as_of}, {status:?} by {limit}");
        }
    }
    assert!(s
        .compliance_hosts(
            name,
            as_of,
            grace,
            Some("bogus"),
            uproot_fleet::Page {
                limit: 1,
                offset: 0
            }
        )
        .await
        .is_err());
    full
}

async fn overdue_and_grace_period(env: Env) {
    let s = env.store.as_ref();
    // Deadline long past when the host is first seen: the grace period decides.
    let old = Directive {
        name: "old-memo".into(),
        title: "Old memo".into(),
        issued: day(-100),
        vendors: vec!["kaspersky".into()],
        milestones: vec![Milestone {
            name: "remove".into(),
            day: 30,
        }],
        builtin: false,
    };
    // Deadline after the host was first seen: the directive decides.
    let fresh = Directive {
        name: "fresh-memo".into(),
        title: "Fresh memo".into(),
        issued: day(-10),
        milestones: vec![Milestone {
            name: "remove".into(),
            day: 20,
        }],
        ..old.clone()
    };
    s.add_directive(&old, "admin").await.unwrap();
    s.add_directive(&fresh, "admin").await.unwrap();
    let h = enroll(s, "late").await;
    s.ingest_report(h, &report("late", 1, vec![kesl()]))
        .await
        .unwrap();
    let status =
        |c: &uproot_fleet::Compliance| (c.hosts[0].status.clone(), c.hosts[0].deadline.clone());
    let c = compliance(s, "old-memo", &day(0), 30).await;
    assert_eq!(status(&c), ("affected".into(), day(30)));
    assert!(c.milestones[0].passed);
    let c = compliance(s, "old-memo", &day(30), 30).await;
    assert_eq!(status(&c), ("affected".into(), day(30)));
    let c = compliance(s, "old-memo", &day(31), 30).await;
    assert_eq!(status(&c), ("overdue".into(), day(30)));
    assert_eq!((c.totals.overdue, c.totals.affected), (1, 0));
    let c = compliance(s, "old-memo", &day(1), 0).await;
    assert_eq!(status(&c), ("overdue".into(), day(0)));
    let c = compliance(s, "fresh-memo", &day(10), 5).await;
    assert_eq!(status(&c), ("affected".into(), day(10)));
    assert!(!c.milestones[0].passed);
    let c = compliance(s, "fresh-memo", &day(11), 5).await;
    assert_eq!(status(&c), ("overdue".into(), day(10)));
    assert!(c.milestones[0].passed);
    // A host that did not exist yet is not listed.
    let c = compliance(s, "fresh-memo", &day(-1), 5).await;
    assert!(c.hosts.is_empty());
    env.finish().await;
}

/// Hosts in every status, on both sides of the directive's deadline, first
/// seen in an order unrelated to their ids: every page of
/// `compliance_hosts` (the helper walks them 1, 2 and 3 rows at a time)
/// must be the full listing's, filtered and worst first.
async fn compliance_pages_across_groups(env: Env) {
    let s = env.store.as_ref();
    // Deadline day -30; with 20 days' grace, hosts first seen after day -50
    // get their own (later) deadline, and open ones first seen before day
    // -20 are overdue.
    let memo = Directive {
        name: "mid-memo".into(),
        title: "Mid memo".into(),
        issued: day(-60),
        vendors: vec!["kaspersky".into()],
        milestones: vec![Milestone {
            name: "remove".into(),
            day: 30,
        }],
        builtin: false,
    };
    s.add_directive(&memo, "admin").await.unwrap();
    let offsets = [
        -90, -10, -55, -45, -5, -70, -25, -15, -51, -49, -2, -35, -80, -21, -19, -60, -50, -20,
    ];
    for (i, off) in offsets.into_iter().enumerate() {
        let name = format!("h{i:02}");
        let h = enroll(s, &name).await;
        let findings = match i % 4 {
            0 => vec![kesl()],
            1 => vec![],
            2 => vec![kesl(), hisuite()],
            _ => vec![agent()],
        };
        if i % 5 != 4 {
            s.ingest_report(h, &report(&name, 1, findings))
                .await
                .unwrap();
        }
        if i % 6 == 0 {
            s.ingest_report(h, &report(&name, 2, vec![])).await.unwrap();
        }
        env.raw_exec(&format!(
            "UPDATE hosts SET first_seen = '{}T06:00:00Z' WHERE id = {h}",
            day(off)
        ))
        .await
        .unwrap();
    }
    let wid = s.add_waiver(&waiver("finding", &agent().id)).await.unwrap();
    s.approve_waiver(wid, "ciso", &uproot_report::rfc3339_now())
        .await
        .unwrap();
    let c = compliance(s, "mid-memo", &day(0), 20).await;
    let seen: std::collections::BTreeSet<&str> =
        c.hosts.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["affected", "clean", "not-scanned", "overdue", "waived"]
    );
    // Deadlines differ within a status and do not follow the ids, so a
    // page is not simply the next ids.
    let clean: Vec<(&str, i64)> = c
        .hosts
        .iter()
        .filter(|h| h.status == "clean")
        .map(|h| (h.deadline.as_str(), h.host_id))
        .collect();
    assert!(
        clean
            .iter()
            .any(|a| clean.iter().any(|b| a.0 < b.0 && a.1 > b.1)),
        "{clean:?}"
    );
    // Before the deadline nobody is overdue; the grouping still holds.
    compliance(s, "mid-memo", &day(-31), 20).await;
    // The same hosts against a deadline still ahead, read as of today (the
    // current-state path, which PostgreSQL pages segment by segment).
    let ahead = Directive {
        name: "ahead-memo".into(),
        title: "Ahead memo".into(),
        issued: day(-10),
        ..memo.clone()
    };
    s.add_directive(&ahead, "admin").await.unwrap();
    let c = compliance(s, "ahead-memo", &day(0), 20).await;
    let seen: std::collections::BTreeSet<&str> =
        c.hosts.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["affected", "clean", "not-scanned", "waived"]
    );
    env.finish().await;
}

async fn burndown_counts(env: Env) {
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    s.ingest_report(h, &report("web1", 1, vec![kesl(), agent(), hisuite()]))
        .await
        .unwrap();
    s.ingest_report(h, &report("web1", 2, vec![agent(), hisuite()]))
        .await
        .unwrap();
    let wid = s.add_waiver(&waiver("finding", &agent().id)).await.unwrap();
    s.approve_waiver(wid, "ciso", &format!("{}T12:00:00Z", day(1)))
        .await
        .unwrap();
    let points = s.burndown(None, &day(-1), &day(2)).await.unwrap();
    let got: Vec<(String, u64, u64, u64)> = points
        .into_iter()
        .map(|p| (p.date, p.open, p.waived, p.resolved))
        .collect();
    assert_eq!(
        got,
        [
            (day(-1), 0, 0, 0),
            (day(0), 2, 0, 1),
            (day(1), 1, 1, 1),
            (day(2), 1, 1, 1),
        ]
    );
    let bod = s
        .burndown(Some("bod-17-01"), &day(0), &day(1))
        .await
        .unwrap();
    assert_eq!(
        bod.iter()
            .map(|p| (p.open, p.waived, p.resolved))
            .collect::<Vec<_>>(),
        [(1, 0, 1), (0, 1, 1)]
    );
    assert_eq!(
        s.burndown(None, &day(1), &day(0)).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    env.finish().await;
}

const OVERLAY: &str = r#"
[[vendor]]
id = "kaspersky"
name = "AO Kaspersky Lab"
action = "Remove it."

[[vendor.indicator]]
id = "kaspersky.kesl.lab-build"
product = "kesl"
kind = "package"
match = { name = ["kesl-lab-build"] }
confidence = "official"
source = "test overlay"
"#;

async fn rematch_opens_new_indicators(env: Env) {
    use uproot_inventory::{Package, PackageSource};
    let s = env.store.as_ref();
    let h = enroll(s, "web1").await;
    let mut inv = Inventory::default();
    for name in ["kesl", "kesl-lab-build", "bash"] {
        let mut p = Package::new(name, "1.0", PackageSource::Dpkg, "/var/lib/dpkg/status");
        p.state = Some("installed".into());
        inv.packages.push(p);
    }
    let stock = uproot_catalog::Catalog::builtin().unwrap();
    let compiled = stock.compile().unwrap();
    let findings = uproot_matcher::match_inventory(&compiled, &inv);
    assert_eq!(findings.len(), 1, "the stock catalog knows only kesl");
    let host = Host {
        hostname: "web1".into(),
        os: "linux".into(),
        root: "/".into(),
        ..Default::default()
    };
    let catalog = CatalogInfo {
        version: stock.version(),
        overlays: vec![],
    };
    let r = Report::new(
        host,
        catalog,
        inv,
        findings,
        vec![],
        "2026-11-01T00:00:00Z".into(),
    );
    s.ingest_report(h, &r).await.unwrap();
    let mut updated = uproot_catalog::Catalog::builtin().unwrap();
    updated.merge_str("overlay.toml", OVERLAY).unwrap();
    let compiled = updated.compile().unwrap();
    let out = s.rematch(&compiled, "2026.12.01", "admin").await.unwrap();
    assert_eq!(
        (out.hosts, out.opened, out.resolved, out.reopened),
        (1, 1, 0, 0)
    );
    assert_eq!(out.catalog_version, "2026.12.01");
    let all = s.findings(&FindingFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let new = all
        .iter()
        .find(|f| f.indicator == "kaspersky.kesl.lab-build")
        .expect("the new indicator found the host without a rescan");
    assert_eq!(new.state, state::OPEN);
    let audit = s.audit("").await.unwrap();
    let open = audit
        .iter()
        .find(|a| a.action == "finding.open" && a.actor == "admin")
        .unwrap();
    assert_eq!(
        open.detail["report_id"],
        format!("rematch:2026.12.01:{}", report_id(&r))
    );
    assert!(audit.iter().any(|a| a.action == "catalog.rematch"));
    // Matching again changes nothing; the stock catalog resolves it.
    let again = s.rematch(&compiled, "2026.12.01", "admin").await.unwrap();
    assert_eq!((again.hosts, again.opened, again.resolved), (1, 0, 0));
    let stock = uproot_catalog::Catalog::builtin()
        .unwrap()
        .compile()
        .unwrap();
    let back = s.rematch(&stock, "2026.11.28", "admin").await.unwrap();
    assert_eq!((back.opened, back.resolved), (0, 1));
    env.finish().await;
}

async fn listings_and_pages(env: Env) {
    let s = env.store.as_ref();
    let a = enroll(s, "Web-Affected").await;
    let w = enroll(s, "web-waived").await;
    let c = enroll(s, "db-clean").await;
    s.ingest_report(a, &report("a", 1, vec![kesl(), hisuite()]))
        .await
        .unwrap();
    s.ingest_report(w, &report("w", 1, vec![agent()]))
        .await
        .unwrap();
    s.ingest_report(c, &report("c", 1, vec![])).await.unwrap();
    let wid = s.add_waiver(&waiver("host", &w.to_string())).await.unwrap();
    s.approve_waiver(wid, "ciso", &uproot_report::rfc3339_now())
        .await
        .unwrap();
    let list = |status: Option<&str>, name: Option<&str>, page: Page| {
        let filter = HostFilter {
            status: status.map(Into::into),
            name: name.map(Into::into),
        };
        async move { s.host_summaries(&filter, page).await.unwrap() }
    };
    let (all, total) = list(None, None, Page::default()).await;
    assert_eq!(total, 3);
    assert_eq!(
        all.iter()
            .map(|h| (h.host.id, h.open, h.waived, h.resolved))
            .collect::<Vec<_>>(),
        [(a, 2, 0, 0), (w, 0, 1, 0), (c, 0, 0, 0)]
    );
    assert!(all.iter().all(|h| h.last_report_at.is_some()));
    for (status, want) in [("affected", a), ("waived", w), ("clean", c)] {
        let (rows, total) = list(Some(status), None, Page::default()).await;
        assert_eq!(
            (rows.len(), total, rows[0].host.id),
            (1, 1, want),
            "{status}"
        );
    }
    let (rows, total) = list(None, Some("WEB-"), Page::default()).await;
    assert_eq!((rows.len(), total), (2, 2));
    let (rows, total) = list(None, Some("%"), Page::default()).await;
    assert_eq!((rows.len(), total), (0, 0), "LIKE wildcards are literal");
    let (rows, total) = list(
        None,
        None,
        Page {
            limit: 1,
            offset: 1,
        },
    )
    .await;
    assert_eq!((rows.len(), total, rows[0].host.id), (1, 3, w));
    assert_eq!(
        s.host_summaries(
            &HostFilter {
                status: Some("bogus".into()),
                name: None
            },
            Page::default()
        )
        .await
        .unwrap_err()
        .kind(),
        ErrorKind::Invalid
    );
    assert_eq!(s.host(a).await.unwrap().unwrap().name, "Web-Affected");
    assert_eq!(s.host(c + 100).await.unwrap(), None);
    let (rows, total) = s
        .findings_page(
            &FindingFilter::default(),
            Page {
                limit: 2,
                offset: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (2, 3));
    let (rows, total) = s
        .findings_page(
            &FindingFilter {
                vendor: Some("kaspersky".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (2, 2));
    env.finish().await;
}

async fn tokens_users_sessions_settings(env: Env) {
    let s = env.store.as_ref();
    let id = s
        .create_api_token(Role::Auditor, "tokhash", "ci reader", "admin")
        .await
        .unwrap();
    assert!(id > 0);
    assert_eq!(
        s.api_token_role("tokhash").await.unwrap(),
        Some(Role::Auditor)
    );
    assert_eq!(s.api_token_role("other").await.unwrap(), None);
    assert_eq!(
        s.create_api_token(Role::Admin, "tokhash", "dup", "admin")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    let mut u = User {
        username: "alice".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Admin,
    };
    s.put_user(&u, "setup").await.unwrap();
    assert_eq!(s.user("alice").await.unwrap().as_ref(), Some(&u));
    u.role = Role::Auditor;
    s.put_user(&u, "setup").await.unwrap();
    assert_eq!(s.user("alice").await.unwrap().unwrap().role, Role::Auditor);
    assert_eq!(s.user("bob").await.unwrap(), None);
    let sess = Session {
        username: "alice".into(),
        role: Role::Auditor,
        csrf: "csrf123".into(),
        expires_at: "2030-01-01T00:00:00Z".into(),
    };
    s.create_session("sesshash", &sess).await.unwrap();
    assert_eq!(
        s.session("sesshash", "2029-12-31T23:59:59Z").await.unwrap(),
        Some(sess.clone())
    );
    assert_eq!(
        s.session("sesshash", "2030-01-01T00:00:00Z").await.unwrap(),
        None,
        "expired sessions are not returned"
    );
    assert_eq!(
        s.session("nope", "2029-01-01T00:00:00Z").await.unwrap(),
        None
    );
    s.delete_session("sesshash").await.unwrap();
    assert_eq!(
        s.session("sesshash", "2029-01-01T00:00:00Z").await.unwrap(),
        None
    );
    assert_eq!(s.setting("enroll_secret_hash").await.unwrap(), None);
    s.set_setting("enroll_secret_hash", "h1", "admin")
        .await
        .unwrap();
    s.set_setting("enroll_secret_hash", "h2", "admin")
        .await
        .unwrap();
    assert_eq!(
        s.setting("enroll_secret_hash").await.unwrap().as_deref(),
        Some("h2")
    );
    s.record(
        "alice",
        "login",
        "user:alice",
        serde_json::json!({ "ok": true }),
    )
    .await
    .unwrap();
    let audit = s.audit("").await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for want in ["token.create", "user.put", "setting.set", "login"] {
        assert!(actions.contains(&want), "no {want} in {actions:?}");
    }
    let dump = serde_json::to_string(&audit).unwrap();
    for secret in ["tokhash", "h2", "argon2id"] {
        assert!(
            !dump.contains(secret),
            "{secret} leaked into the audit trail"
        );
    }
    env.finish().await;
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::sqlite().await).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::postgres().await).await })*
        }
    };
}

on_both!(
    idempotent_ingest,
    finding_lifecycle,
    waiver_scope_and_expiry,
    audit_is_append_only,
    concurrent_ingests,
    directives_and_hosts,
    batch_ingest_is_idempotent,
    unknown_host_does_not_sink_the_batch,
    compliance_as_of_is_reproducible,
    overdue_and_grace_period,
    compliance_pages_across_groups,
    burndown_counts,
    rematch_opens_new_indicators,
    listings_and_pages,
    tokens_users_sessions_settings,
);

#[tokio::test]
async fn unknown_url_is_refused() {
    let err = uproot_fleet::open("mysql://localhost/x")
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn sqlite_file_is_in_wal_mode() {
    let env = sqlite().await;
    let Raw::Sqlite(url) = &env.raw else {
        unreachable!()
    };
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}
