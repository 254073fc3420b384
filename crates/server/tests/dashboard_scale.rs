//! Dashboard pages over a larger fleet: every page renders, pagination holds,
//! and render times are printed (cold: first view, which computes the
//! fleet-wide aggregates; warm: p50/p95 of later views).
//!
//! `UPROOT_DASH_HOSTS=20000 cargo test --release -p uproot-server --test
//! dashboard_scale -- --nocapture` measures a bigger fleet.

mod dashboard_support;

use std::time::{Duration, Instant};

use dashboard_support::{finding, report, App, ADMIN};
use uproot_fleet::HostFacts;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_over_a_larger_fleet() {
    let n: usize = std::env::var("UPROOT_DASH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let app = App::start().await;
    let t = Instant::now();
    // Straight into the store: this test is about reading, not ingest.
    for i in 0..n {
        let name = format!("host-{i:06}");
        let facts = HostFacts {
            name: name.clone(),
            machine_id: None,
            os: "linux".into(),
        };
        let id = app
            .store
            .enroll_host(&facts, &format!("h{i}"))
            .await
            .unwrap();
        let f = match i % 4 {
            0 => vec![],
            1 => vec![finding("huawei", "hisuite", "HiSuite", "hisuite")],
            _ => vec![finding("kaspersky", "kesl", "KESL", "kesl")],
        };
        let r = report(&name, "2026-11-28T10:00:00Z", f, 0);
        app.store.ingest_report(id, &r).await.unwrap();
    }
    println!("stored {n} hosts in {:?}", t.elapsed());
    let login = app.login(ADMIN.0, ADMIN.1).await;
    let c = Some(login.cookie.as_str());

    let hosts = app.get("/hosts?status=affected&page=2", c).await;
    assert!(hosts.body.contains("Page 2 of"), "{}", hosts.body);
    let last = (n * 3 / 4).div_ceil(50);
    let r = app
        .get(&format!("/hosts?status=affected&page={last}"), c)
        .await;
    assert!(r.body.contains("rel=\"prev\""));
    assert!(!r.body.contains("rel=\"next\""));

    for path in [
        "/",
        "/directives/bod-17-01",
        "/hosts",
        "/hosts?name=host-0001",
        "/hosts/5",
        "/findings",
        "/findings?status=open&vendor=kaspersky",
        "/waivers",
        "/exports",
    ] {
        let t = Instant::now();
        let r = app.get(path, c).await;
        let cold = t.elapsed();
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let mut warm = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            app.get(path, c).await;
            warm.push(t.elapsed());
        }
        warm.sort();
        let (p50, p95) = (warm[10], warm[18]);
        println!("{path}: cold {cold:?}, warm p50 {p50:?} p95 {p95:?}");
        // Loose, for unoptimised test builds on a shared 2-core machine.
        assert!(p95 < Duration::from_millis(500), "{path}: p95 {p95:?}");
    }
}
