//! Timing of `ingest_batch` with realistic submissions (about 1,500
//! packages and three findings each), on SQLite with `synchronous=FULL`.
//! Ignored by default; run with
//! `cargo test -p uproot-fleet --release --test batch_timing -- --ignored --nocapture`.
//! Set `UPROOT_TEST_PG` to time PostgreSQL as well.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use uproot_fleet::{report_id_of_bytes, HostFacts, Store, Submission};
use uproot_inventory::{Host, Inventory, Package, PackageSource};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};

const BATCH: usize = 64;

fn finding(product: &str) -> Finding {
    Finding {
        id: format!("{product}.pkg|/var/lib/dpkg/status|{product}"),
        vendor: "kaspersky".into(),
        vendor_name: "AO Kaspersky Lab".into(),
        product: product.into(),
        product_name: product.into(),
        kind: "package".into(),
        indicator: format!("kaspersky.{product}.package"),
        confidence: "official".into(),
        indicator_source: "catalog".into(),
        summary: format!("{product} is installed"),
        evidence: Evidence {
            source: "/var/lib/dpkg/status".into(),
            key: product.into(),
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

fn submission(host_id: i64, name: &str, at: &str) -> Submission {
    let mut inv = Inventory::default();
    for i in 0..1500 {
        let mut p = Package::new(
            &format!("package-{name}-{i:04}"),
            &format!("{}.{}.{}-1ubuntu{}", i % 7, i % 13, i % 29, i % 3),
            PackageSource::Dpkg,
            "/var/lib/dpkg/status",
        );
        p.state = Some("installed".into());
        inv.packages.push(p);
    }
    let findings: Vec<Finding> = ["kesl", "klnagent", "kav4fs"]
        .iter()
        .map(|p| finding(p))
        .collect();
    let host = Host {
        hostname: name.into(),
        os: "linux".into(),
        root: "/".into(),
        ..Default::default()
    };
    let catalog = CatalogInfo {
        version: "2026.11.28".into(),
        overlays: vec![],
    };
    let r = Report::new(host, catalog, inv, findings, vec![], at.into());
    let json = serde_json::to_vec(&r).unwrap();
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

async fn time(label: &str, store: &dyn Store) {
    let mut hosts = Vec::new();
    for i in 0..BATCH {
        let facts = HostFacts {
            name: format!("host{i}"),
            machine_id: Some(format!("mid{i}")),
            os: "linux".into(),
        };
        hosts.push(store.enroll_host(&facts, &format!("tok{i}")).await.unwrap());
    }
    for round in 0..6 {
        let at = format!("2026-11-0{}T00:00:00Z", round + 1);
        let batch: Vec<Submission> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| submission(*h, &format!("host{i}"), &at))
            .collect();
        let bytes: usize = batch.iter().map(|s| s.body_gz.len()).sum();
        let t = Instant::now();
        let out = store.ingest_batch(&batch).await.unwrap();
        let dt = t.elapsed();
        assert!(out.iter().all(|r| r.as_ref().is_ok_and(|i| !i.duplicate)));
        println!(
            "{label} round {round}: {BATCH} submissions ({} KiB gzip) in {:.1} ms = {:.0} reports/s",
            bytes / 1024,
            dt.as_secs_f64() * 1e3,
            BATCH as f64 / dt.as_secs_f64()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly with --release"]
async fn batch_of_64() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    let store = uproot_fleet::open(&url).await.unwrap();
    time("sqlite", store.as_ref()).await;
    if std::env::var("UPROOT_TEST_PG").is_ok() {
        let (schema, store) = uproot_fleet::test_support::PgSchema::with_store("uproot_timing")
            .await
            .unwrap();
        time("postgres", &store).await;
        drop(store);
        schema.drop_schema().await.unwrap();
    }
}

/// Read paths at 100,000 hosts (a quarter of them with three findings,
/// each with its history), filled with SQL directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly with --release"]
async fn reads_at_100k_hosts() {
    use sqlx::Connection;
    use uproot_fleet::{FindingFilter, HostFilter, Page};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fleet.db").display());
    let store = uproot_fleet::open(&url).await.unwrap();
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let t = Instant::now();
    for sql in [
        "INSERT INTO hosts (id, name, machine_id, os, first_seen, last_seen, token_hash, first_report_at, last_report_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
         SELECT i, 'host' || i, 'm' || i, 'linux', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 't' || i, \
           '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z' FROM n",
        "INSERT INTO findings (host_id, finding_id, vendor, product, kind, indicator, evidence_source, evidence_key, \
           severity, state, first_seen, last_seen, last_report) \
         SELECT h.id, p.v || '.pkg', p.v, p.v, 'package', p.v, 'dpkg', p.v, 'high', \
           CASE WHEN h.id % 3 = 0 THEN 'resolved' WHEN h.id % 7 = 0 THEN 'waived' ELSE 'open' END, \
           '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 'sha256:x' \
         FROM hosts h, (SELECT 'kaspersky' AS v UNION ALL SELECT 'huawei' UNION ALL SELECT 'zte') p WHERE h.id % 4 = 0",
        "INSERT INTO finding_events (host_id, finding_id, vendor, at, state) \
         SELECT host_id, finding_id, vendor, first_seen, 'open' FROM findings",
        "INSERT INTO finding_events (host_id, finding_id, vendor, at, state, prev_state) \
         SELECT host_id, finding_id, vendor, '2026-10-15T00:00:00Z', state, 'open' FROM findings WHERE state <> 'open'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
    }
    println!("fill: {:.1} s", t.elapsed().as_secs_f64());
    let s = store.as_ref();
    macro_rules! timed {
        ($label:expr, $e:expr) => {{
            let t = Instant::now();
            let v = $e;
            println!("{:<44} {:>8.1} ms", $label, t.elapsed().as_secs_f64() * 1e3);
            v
        }};
    }
    let now = uproot_report::rfc3339_now();
    let c = timed!(
        "compliance bod-17-01 now",
        s.compliance("bod-17-01", &now, 30).await.unwrap()
    );
    assert_eq!(c.hosts.len(), 100_000);
    let sum = timed!(
        "compliance_summary bod-17-01 now",
        s.compliance_summary("bod-17-01", &now, 30).await.unwrap()
    );
    assert_eq!(sum.totals, c.totals);
    timed!(
        "compliance_summary bod-17-01 as_of 2026-10-10",
        s.compliance_summary("bod-17-01", "2026-10-10", 30)
            .await
            .unwrap()
    );
    timed!(
        "compliance ndaa now",
        s.compliance("ndaa-fy19-889", &now, 30).await.unwrap()
    );
    timed!(
        "compliance bod-17-01 as_of 2026-10-10 (replay)",
        s.compliance("bod-17-01", "2026-10-10", 30).await.unwrap()
    );
    timed!(
        "burndown 60 days",
        s.burndown(None, "2026-09-20", "2026-11-18").await.unwrap()
    );
    let page = Page {
        limit: 50,
        offset: 0,
    };
    let all = HostFilter::default();
    timed!(
        "host_summaries page 1",
        s.host_summaries(&all, page).await.unwrap()
    );
    let deep = Page {
        limit: 50,
        offset: 90_000,
    };
    timed!(
        "host_summaries offset 90000",
        s.host_summaries(&all, deep).await.unwrap()
    );
    let affected = HostFilter {
        status: Some("affected".into()),
        name: None,
    };
    timed!(
        "host_summaries status=affected",
        s.host_summaries(&affected, page).await.unwrap()
    );
    let named = HostFilter {
        status: None,
        name: Some("host4242".into()),
    };
    timed!(
        "host_summaries name=host4242",
        s.host_summaries(&named, page).await.unwrap()
    );
    let open = FindingFilter {
        status: Some("open".into()),
        ..Default::default()
    };
    timed!(
        "findings_page status=open",
        s.findings_page(&open, page).await.unwrap()
    );
    timed!("host 4242", s.host(4242).await.unwrap());
}
