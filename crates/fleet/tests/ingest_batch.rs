//! A batch must leave the store exactly as ingesting its submissions one
//! by one would: same answers, same findings, same history rows and audit
//! trail in the same order. Covers one host several times in one batch
//! (changes in each), a stale report after a newer one, duplicates inside
//! the batch and of stored reports, an unknown host and a waiver. Run on
//! SQLite and on PostgreSQL (`UPROOT_TEST_PG` overrides the URL).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use sqlx::{Connection, Row};
use uproot_fleet::test_support::PgSchema;
use uproot_fleet::{report_id_of_bytes, HostFacts, Ingest, NewWaiver, Store, Submission};
use uproot_matcher::{Evidence, Finding};

fn finding(vendor: &str, product: &str) -> Finding {
    Finding {
        id: format!("{product}.pkg|/var/lib/dpkg/status|{product}"),
        vendor: vendor.into(),
        vendor_name: vendor.into(),
        product: product.into(),
        product_name: product.into(),
        kind: "package".into(),
        indicator: format!("{product}.pkg"),
        confidence: "high".into(),
        indicator_source: "test".into(),
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

fn sub(host_id: i64, second: u32, products: &[&str]) -> Submission {
    let findings: Vec<Finding> = products
        .iter()
        .map(|p| {
            let vendor = if *p == "hisuite" {
                "huawei"
            } else {
                "kaspersky"
            };
            finding(vendor, p)
        })
        .collect();
    let generated_at = format!("2026-11-01T00:{:02}:{:02}Z", second / 60, second % 60);
    let doc = serde_json::json!({ "host": host_id, "at": generated_at, "findings": products });
    let json = serde_json::to_vec(&doc).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json).unwrap();
    Submission {
        host_id,
        report_id: report_id_of_bytes(&json),
        generated_at,
        catalog_version: "2026.11.28".into(),
        findings,
        summary: Default::default(),
        body_gz: gz.finish().unwrap(),
    }
}

/// Three hosts and an approved vendor waiver for huawei.
async fn setup(s: &dyn Store) -> Vec<i64> {
    let mut hosts = Vec::new();
    for n in ["a", "b", "c"] {
        let facts = HostFacts {
            name: n.into(),
            machine_id: Some(format!("mid-{n}")),
            os: "linux".into(),
        };
        hosts.push(s.enroll_host(&facts, &format!("hash-{n}")).await.unwrap());
    }
    let w = NewWaiver {
        scope_kind: "vendor".into(),
        scope_value: "huawei".into(),
        justification: "lab".into(),
        mitigations: String::new(),
        directive: None,
        requested_by: "ops".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    };
    let id = s.add_waiver(&w).await.unwrap();
    s.approve_waiver(id, "ciso", "2026-01-02T00:00:00Z")
        .await
        .unwrap();
    hosts
}

/// The batches: each inner list is one `ingest_batch` call.
fn batches(h: &[i64]) -> Vec<Vec<Submission>> {
    let (a, b, c) = (h[0], h[1], h[2]);
    let first = sub(a, 10, &["kesl", "hisuite"]);
    vec![
        vec![
            first.clone(),
            sub(b, 10, &["kesl"]),
            // Same host again: resolves kesl, opens klnagent.
            sub(a, 20, &["hisuite", "klnagent"]),
            first.clone(),
            // Generated before host a's newest: stored, changes nothing.
            sub(a, 15, &[]),
            sub(c + 1000, 10, &["kesl"]),
            // Same host a third time: reopens kesl, resolves everything else.
            sub(a, 30, &["kesl", "kesl"]),
            sub(c, 10, &[]),
            sub(b, 11, &["kesl"]),
        ],
        vec![
            first,
            sub(b, 5, &["klnagent"]),
            sub(b, 40, &[]),
            sub(b, 41, &["kesl", "hisuite"]),
            sub(c, 40, &["klnagent"]),
            sub(a, 40, &["kesl"]),
        ],
    ]
}

/// A database to read back: a SQLite URL or a PostgreSQL test schema.
enum Db<'a> {
    Sqlite(&'a str),
    Pg(&'a PgSchema),
}

/// Everything an ingest writes, minus times (`now` differs between calls).
async fn snapshot(db: Db<'_>) -> Vec<String> {
    let queries = [
        "SELECT host_id || ' ' || finding_id || ' ' || vendor || ' ' || state || ' ' || last_report || ' ' \
           || COALESCE(resolved_by_report, '-') || ' ' || COALESCE(CAST(waiver_id AS TEXT), '-') \
         FROM findings ORDER BY id",
        "SELECT host_id || ' ' || finding_id || ' ' || state || ' ' || COALESCE(prev_state, '-') || ' ' \
           || COALESCE(report_id, '-') || ' ' || COALESCE(CAST(waiver_id AS TEXT), '-') \
         FROM finding_events ORDER BY id",
        "SELECT actor || ' ' || action || ' ' || subject || ' ' || CAST(detail AS TEXT) FROM audit \
         WHERE action NOT LIKE 'waiver.%' ORDER BY id",
        "SELECT report_id || ' ' || host_id || ' ' || generated_at || ' ' || findings FROM reports ORDER BY id",
        "SELECT report_id FROM report_bodies ORDER BY report_id",
        "SELECT id || CASE WHEN last_report_at IS NULL THEN ' never' ELSE ' reported' END FROM hosts ORDER BY id",
    ];
    let mut out = Vec::new();
    for sql in queries {
        let sql = sqlx::AssertSqlSafe(sql);
        let rows: Vec<String> = match db {
            Db::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query(sql)
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            }
            Db::Pg(schema) => {
                let mut c = schema.connect().await.unwrap();
                sqlx::query(sql)
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            }
        };
        out.extend(rows);
    }
    out
}

async fn run(s: &dyn Store, batched: bool) -> Vec<Vec<Result<Ingest, String>>> {
    let hosts = setup(s).await;
    let mut answers = Vec::new();
    for batch in batches(&hosts) {
        let out: Vec<Result<Ingest, String>> = if batched {
            s.ingest_batch(&batch)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.map_err(|e| format!("{:?}", e.kind())))
                .collect()
        } else {
            let mut out = Vec::new();
            for one in &batch {
                let mut r = s.ingest_batch(std::slice::from_ref(one)).await.unwrap();
                out.push(r.remove(0).map_err(|e| format!("{:?}", e.kind())));
            }
            out
        };
        answers.push(out);
    }
    answers
}

fn ingest(opened: u64, resolved: u64, reopened: u64) -> Result<Ingest, String> {
    Ok(Ingest {
        duplicate: false,
        opened,
        resolved,
        reopened,
    })
}

fn dup() -> Result<Ingest, String> {
    Ok(Ingest {
        duplicate: true,
        ..Default::default()
    })
}

fn same(a: &[String], b: &[String]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

fn check(batched: &[Vec<Result<Ingest, String>>], single: &[Vec<Result<Ingest, String>>]) {
    assert_eq!(batched, single);
    let want = [
        vec![
            ingest(2, 0, 0),
            ingest(1, 0, 0),
            ingest(1, 1, 0),
            dup(),
            ingest(0, 0, 0),
            Err("NotFound".into()),
            ingest(0, 2, 1),
            ingest(0, 0, 0),
            ingest(0, 0, 0),
        ],
        vec![
            dup(),
            ingest(0, 0, 0),
            ingest(0, 1, 0),
            ingest(1, 0, 1),
            ingest(1, 0, 0),
            ingest(0, 0, 0),
        ],
    ];
    assert_eq!(batched, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_batch_equals_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut snaps = Vec::new();
    let mut answers = Vec::new();
    for (name, batched) in [("batched", true), ("single", false)] {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("{name}.db")).display()
        );
        let store: Arc<dyn Store> = uproot_fleet::open(&url).await.unwrap();
        answers.push(run(store.as_ref(), batched).await);
        drop(store);
        snaps.push(snapshot(Db::Sqlite(&url)).await);
    }
    check(&answers[0], &answers[1]);
    same(&snaps[0], &snaps[1]);
    assert!(snaps[0].iter().any(|l| l.contains("finding.reopen")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_batch_equals_one_by_one() {
    let mut snaps = Vec::new();
    let mut answers = Vec::new();
    for name in ["batched", "single"] {
        let (schema, store) = PgSchema::with_store(&format!("uproot_ingest_{name}"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        answers.push(run(&store, name == "batched").await);
        drop(store);
        snaps.push(snapshot(Db::Pg(&schema)).await);
        schema.drop_schema().await.unwrap();
    }
    check(&answers[0], &answers[1]);
    same(&snaps[0], &snaps[1]);
    assert!(snaps[0].iter().any(|l| l.contains("finding.reopen")));
}
