//! The dashboard in a real headless Chromium (Debian's `chromium`, driven by
//! `playwright-core`): `scripts/browser-test` logs in, opens a host,
//! requests and approves a waiver for its Kaspersky finding, and checks that
//! the finding shows as waived. Screenshots land in target/browser-screens/.
//!
//! This test installs Chromium and playwright-core when they are missing and
//! FAILS when it cannot: it never skips.

mod dashboard_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use dashboard_support::{finding, report, App, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    let app = App::start().await;
    let kesl = finding("kaspersky", "kesl", "Kaspersky Endpoint Security", "kesl");
    let agent = finding(
        "kaspersky",
        "klnagent",
        "Kaspersky Network Agent",
        "klnagent64",
    );
    let hisuite = finding("huawei", "hisuite", "Huawei HiSuite", "hisuite");
    let fleet = [
        ("web-01", vec![kesl.clone(), agent.clone()]),
        ("web-02", vec![]),
        ("db-01", vec![hisuite]),
        ("build-01", vec![]),
        ("laptop-17", vec![agent]),
    ];
    for (i, (name, findings)) in fleet.into_iter().enumerate() {
        let (_, token) = app.enroll(name).await;
        let at = format!("2026-11-28T09:{i:02}:00Z");
        app.submit(&token, &report(name, &at, findings, 40)).await;
    }

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/browser-test");
    let url = app.url.clone();
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        Command::new(&script)
            .args([url.as_str(), ADMIN.0, ADMIN.1])
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()))
    })
    .await
    .unwrap();
    println!("browser test took {:?}", started.elapsed());
    assert!(
        status.success(),
        "scripts/browser-test failed ({status}); see its output above and target/browser-screens/failure.png"
    );

    // What the browser did is in the store too.
    let waivers = app.store.waivers().await.unwrap();
    assert_eq!(waivers.len(), 1, "{waivers:#?}");
    assert_eq!(waivers[0].status, "approved");
    assert_eq!(waivers[0].approver.as_deref(), Some(ADMIN.0));
}
