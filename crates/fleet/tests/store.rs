//! One suite, run against both backends: SQLite in a temporary directory and
//! the real PostgreSQL on 127.0.0.1:5432 (database `test`, one fresh schema
//! per test). PostgreSQL being unreachable is a failure, never a skip.
//! `UPROOT_TEST_PG` overrides the PostgreSQL URL.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::Connection;
use uproot_fleet::{
    report_id, state, Directive, ErrorKind, FindingFilter, HostFacts, Milestone, NewWaiver, Store,
};
use uproot_inventory::{Host, Inventory};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};

static SEQ: AtomicUsize = AtomicUsize::new(0);

enum Raw {
    Sqlite(String),
    Pg { url: String, schema: String },
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
    let urls: Vec<String> = match std::env::var("UPROOT_TEST_PG") {
        Ok(u) => vec![u],
        Err(_) => vec![
            "postgres://postgres@127.0.0.1:5432/test".into(),
            "postgres://root@127.0.0.1:5432/test".into(),
        ],
    };
    let schema = format!(
        "uproot_test_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    );
    let mut errors = Vec::new();
    for url in urls {
        if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(&mut c)
            .await;
        }
        match uproot_fleet::PgStore::open_in_schema(&url, &schema).await {
            Ok(s) => {
                return Env {
                    store: Arc::new(s),
                    raw: Raw::Pg { url, schema },
                    _dir: None,
                }
            }
            Err(e) => errors.push(format!("{url}: {e}")),
        }
    }
    panic!(
        "PostgreSQL is required for the fleet store tests and is not reachable ({}). \
         Start it with scripts/ci-services, or set UPROOT_TEST_PG.",
        errors.join("; ")
    );
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
            Raw::Pg { url, schema } => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)
                    .unwrap()
                    .options([("search_path", schema.as_str())]);
                let mut c = sqlx::PgConnection::connect_with(&opts).await.unwrap();
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
            Raw::Pg { url, schema } => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)
                    .unwrap()
                    .options([("search_path", schema.as_str())]);
                let mut c = sqlx::PgConnection::connect_with(&opts).await.unwrap();
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
            }
        }
    }

    /// Drops the PostgreSQL schema; the SQLite tempdir goes on drop.
    async fn finish(self) {
        if let Raw::Pg { url, schema } = &self.raw {
            drop(self.store);
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut c)
                .await
                .unwrap();
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

async fn waiver_scope_and_expiry(env: Env) {
    let s = env.store.as_ref();
    let h1 = enroll(s, "web1").await;
    let h2 = enroll(s, "web2").await;
    s.ingest_report(h1, &report("web1", 1, vec![kesl(), hisuite()]))
        .await
        .unwrap();
    let w = NewWaiver {
        scope_kind: "vendor".into(),
        scope_value: "kaspersky".into(),
        justification: "air-gapped lab; written response filed".into(),
        approver: "ciso@example.gov".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    };
    let wid = s.add_waiver(&w).await.unwrap();
    let waived = s
        .findings(&FindingFilter {
            status: Some(state::WAIVED.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0].vendor, "kaspersky");
    assert_eq!(waived[0].waiver_id, Some(wid));
    let open = s
        .findings(&FindingFilter {
            status: Some(state::OPEN.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].vendor, "huawei");
    // A finding first seen while a waiver covers it starts waived.
    s.ingest_report(h2, &report("web2", 1, vec![agent()]))
        .await
        .unwrap();
    let h2f = s
        .findings(&FindingFilter {
            host: Some(h2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(h2f[0].state, state::WAIVED);
    // A host-scope waiver covers only that host's findings.
    let hw = NewWaiver {
        scope_kind: "host".into(),
        scope_value: h1.to_string(),
        ..w.clone()
    };
    s.add_waiver(&hw).await.unwrap();
    let hf = s
        .findings(&FindingFilter {
            vendor: Some("huawei".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hf[0].state, state::WAIVED);
    // Bad scopes are refused.
    let bad = NewWaiver {
        scope_kind: "everything".into(),
        ..w.clone()
    };
    assert_eq!(
        s.add_waiver(&bad).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    // Not yet due.
    assert_eq!(s.expire_waivers("2098-12-31T00:00:00Z").await.unwrap(), 0);
    assert_eq!(s.expire_waivers("2099-01-02T00:00:00Z").await.unwrap(), 2);
    let all = s.findings(&FindingFilter::default()).await.unwrap();
    assert!(
        all.iter()
            .all(|f| f.state == state::REOPENED && f.waiver_id.is_none()),
        "{all:#?}"
    );
    assert!(s
        .waivers()
        .await
        .unwrap()
        .iter()
        .all(|w| w.expired_at.is_some()));
    let audit = s.audit("2099-01-01T00:00:00Z").await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "waiver.expire").count(),
        2
    );
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "finding.reopen")
            .count(),
        3
    );
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
