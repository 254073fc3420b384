//! Fault test of the fleet server: `kill -9` it in the middle of a load
//! run, restart it on the same database and port, and check that every
//! report that got a 202 is stored exactly once and that spooling agents
//! (simulated ones and real `uproot agent` processes) deliver the rest.
//! The scenario lives in `uproot_loadgen::fault`; the benchmark-sized load
//! is in `scripts/bench-fleet`.

use std::path::PathBuf;
use std::time::Duration;

use uproot_loadgen::fault::{default_agent_root, run_fault, FaultConfig, FaultOutcome};
use uproot_loadgen::Profile;

fn config(work: PathBuf, database: String, sqlite_file: Option<PathBuf>) -> FaultConfig {
    FaultConfig {
        uproot: PathBuf::from(env!("CARGO_BIN_EXE_uproot")),
        work,
        database,
        sqlite_file,
        hosts: 16,
        agents: 8,
        reports: 160,
        profile: Profile {
            packages: 300,
            services: 60,
            certificates: 100,
            ..Profile::default()
        },
        kill_after_accepted: 30,
        down_for: Duration::from_millis(1500),
        real_agents: 3,
        agent_root: default_agent_root(),
    }
}

fn check(out: &FaultOutcome, cfg: &FaultConfig) {
    eprintln!("{out:#?}");
    assert!(out.accepted_before_kill >= cfg.kill_after_accepted);
    assert!(
        out.conn_errors > 0,
        "the kill must hit requests in flight or queued"
    );
    assert_eq!(
        out.undelivered, 0,
        "simulated spooling agents delivered everything"
    );
    assert_eq!(out.made as u64, cfg.reports);
    assert_eq!(out.accepted as u64, cfg.reports, "one 202 per report");
    assert!(out.missing.is_empty(), "reports lost: {:?}", out.missing);
    assert_eq!(
        out.stored_rows,
        Some(out.expected_rows as u64),
        "stored exactly once: no duplicate and no extra rows"
    );
    assert!(
        out.per_host_mismatch.is_empty(),
        "hosts whose stored report count differs from what they sent (stored, sent): {:?}",
        out.per_host_mismatch
    );
    assert_eq!(
        out.spooled_in_outage.len(),
        cfg.real_agents,
        "every real agent spooled its scan while the server was down"
    );
    assert_eq!(
        out.spool_left, 0,
        "real agents' spools drained after the restart"
    );
}

#[test]
fn kill_9_mid_load_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.db");
    let cfg = config(
        dir.path().to_path_buf(),
        format!("sqlite://{}", file.display()),
        Some(file),
    );
    let out = run_fault(&cfg).unwrap();
    check(&out, &cfg);
    assert_eq!(out.raw_sqlite_rows, Some(out.expected_rows as u64));
}

#[test]
fn kill_9_mid_load_loses_nothing_on_postgres() {
    // Creates the schema and runs the migrations; the server then reaches
    // the same tables through the connection's search_path.
    let rt = uproot_loadgen::runtime();
    let (schema, store) = rt
        .block_on(uproot_fleet::test_support::PgSchema::with_store("fault"))
        .unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path().to_path_buf(),
        schema.url_with_search_path(),
        None,
    );
    let out = run_fault(&cfg).unwrap();
    check(&out, &cfg);
    rt.block_on(schema.drop_schema()).unwrap();
}
