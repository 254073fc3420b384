//! Delivery over real HTTP on loopback: outages, poison reports,
//! Retry-After, timeouts and the run loop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{accept_reports, Reply, TestServer};
use uproot_agent::{deliver, flush, run, Client, Spool, SpoolLimits, Timeouts};

fn spool_in(dir: &std::path::Path, log: uproot_agent::Log) -> Spool {
    Spool::open(&Spool::dir_in(dir), SpoolLimits::default(), log).unwrap()
}

fn spooled(dir: &std::path::Path) -> usize {
    let (log, _) = common::capture_log();
    spool_in(dir, log).entries().unwrap().len()
}

#[test]
fn an_outage_keeps_reports_and_recovery_delivers_each_once_oldest_first() {
    let mut server = TestServer::start(accept_reports());
    server.stop();
    let dir = tempfile::tempdir().unwrap();
    common::enrolled(dir.path(), &server.url());
    let (log, lines) = common::capture_log();
    let opts = common::fast_options(dir.path(), log);
    let mut n = 0;
    let mut scan = || {
        n += 1;
        Ok(common::fake_report(n))
    };
    // Connection refused: three cycles, three reports spooled.
    for expected in 1..=3 {
        let s = run(&opts, &mut scan).unwrap();
        assert!(s.delivery.delivered.is_empty());
        assert_eq!(s.delivery.remaining, expected);
        assert_eq!(spooled(dir.path()), expected);
    }
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("stay spooled")));
    // The server is up but overloaded: still nothing lost.
    server.set_responder(|_| Reply::error(503, "ingest queue full"));
    server.restart();
    let s = run(&opts, &mut scan).unwrap();
    assert_eq!(s.delivery.remaining, 4);
    assert_eq!(spooled(dir.path()), 4);
    // Back to normal: the next cycle delivers the backlog and its own report.
    server.set_responder(accept_reports());
    let before = server.seen().len();
    let s = run(&opts, &mut scan).unwrap();
    assert_eq!(s.delivery.delivered.len(), 5);
    assert_eq!(s.delivery.remaining, 0);
    assert_eq!(spooled(dir.path()), 0);
    let got: Vec<String> = server.seen()[before..].iter().map(|r| r.text()).collect();
    let want: Vec<String> = (1..=5)
        .map(|n| String::from_utf8(common::fake_report(n)).unwrap())
        .collect();
    assert_eq!(got, want, "each report once, oldest first");
    for r in &server.seen()[before..] {
        assert_eq!(r.path, "/api/v1/reports");
        assert_eq!(r.header("authorization"), Some("Bearer uph_test"));
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    // Nothing left to send: a flush makes no requests.
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let seen = server.seen().len();
    let (log, _) = common::capture_log();
    let d = flush(
        &spool_in(dir.path(), log.clone()),
        &client,
        "uph_test",
        &log,
    )
    .unwrap();
    assert!(d.delivered.is_empty());
    assert_eq!(server.seen().len(), seen);
}

#[test]
fn a_rejected_report_moves_aside_and_later_ones_still_go() {
    let server = TestServer::start(|req| {
        if req.text().contains("\"n\":2") {
            Reply::error(400, "bad field host.os: expected a string")
        } else {
            Reply::json(
                202,
                serde_json::json!({"report_id": req.report_id(), "duplicate": false}),
            )
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = common::capture_log();
    let spool = spool_in(dir.path(), log.clone());
    let ids: Vec<String> = (1..=3)
        .map(|n| spool.push(&common::fake_report(n)).unwrap().id)
        .collect();
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let d = flush(&spool, &client, "uph_test", &log).unwrap();
    assert_eq!(d.delivered, [ids[0].clone(), ids[2].clone()]);
    assert_eq!(d.rejected, [ids[1].clone()]);
    assert_eq!(d.remaining, 0);
    assert!(spool.entries().unwrap().is_empty());
    let rejected = spool.rejected().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id, ids[1]);
    let note = rejected[0]
        .path
        .with_extension("")
        .with_extension("error.txt");
    let note = std::fs::read_to_string(note).unwrap();
    assert!(note.contains("bad field host.os"), "{note}");
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("REJECTED")
            && l.contains(&ids[1])
            && l.contains("bad field host.os")),
        "{lines:?}"
    );
}

#[test]
fn other_client_errors_reject_but_auth_and_rate_limits_wait() {
    let status = Arc::new(AtomicUsize::new(0));
    let s2 = status.clone();
    let server = TestServer::start(move |_| {
        let code = s2.load(Ordering::SeqCst) as u16;
        Reply::error(code, "nope")
    });
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = common::capture_log();
    let spool = spool_in(dir.path(), log.clone());
    spool.push(&common::fake_report(1)).unwrap();
    for code in [401usize, 408, 429, 500, 502, 503] {
        status.store(code, Ordering::SeqCst);
        let d = flush(&spool, &client, "uph_test", &log).unwrap();
        assert_eq!((d.remaining, d.rejected.len()), (1, 0), "{code}");
    }
    for (i, code) in [403usize, 413, 415].into_iter().enumerate() {
        spool.push(&common::fake_report(10 + i as u32)).unwrap();
        status.store(code, Ordering::SeqCst);
        let d = flush(&spool, &client, "uph_test", &log).unwrap();
        assert_eq!(d.rejected.len(), 1 + usize::from(i == 0), "{code}");
    }
    assert!(spool.entries().unwrap().is_empty());
    assert_eq!(spool.rejected().unwrap().len(), 4);
}

#[test]
fn retry_after_is_honoured() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let server = TestServer::start(move |req| {
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::error(503, "ingest queue full").with_header("Retry-After", "1")
        } else {
            Reply::json(202, serde_json::json!({"report_id": req.report_id()}))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = common::capture_log();
    let mut opts = common::fast_options(dir.path(), log.clone());
    opts.once = false;
    let spool = spool_in(dir.path(), log);
    spool.push(&common::fake_report(1)).unwrap();
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let t0 = Instant::now();
    let d = deliver(
        &spool,
        &client,
        "uph_test",
        &opts,
        Some(t0 + Duration::from_secs(30)),
    )
    .unwrap();
    let took = t0.elapsed();
    assert_eq!(d.delivered.len(), 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    // Backoff alone would have waited at most 5 ms here.
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("retrying in 1.0s")));
}

#[test]
fn backoff_grows_while_the_server_stays_down_and_stops_at_the_deadline() {
    let mut server = TestServer::start(accept_reports());
    server.stop();
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = common::capture_log();
    let mut opts = common::fast_options(dir.path(), log.clone());
    opts.backoff.base = Duration::from_millis(10);
    opts.backoff.cap = Duration::from_millis(80);
    let spool = spool_in(dir.path(), log);
    spool.push(&common::fake_report(1)).unwrap();
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let t0 = Instant::now();
    let d = deliver(
        &spool,
        &client,
        "uph_test",
        &opts,
        Some(t0 + Duration::from_millis(700)),
    )
    .unwrap();
    let took = t0.elapsed();
    assert_eq!(d.remaining, 1);
    assert!(
        took >= Duration::from_millis(690) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let retries = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("retrying in"))
        .count();
    // Full jitter under an 80 ms cap: many tries in 700 ms, but not a busy loop.
    assert!((5..=700).contains(&retries), "{retries} retries");
}

#[test]
fn a_server_that_never_answers_times_out_and_the_report_waits() {
    let server = TestServer::start(|_| {
        let mut r = Reply::error(500, "slow");
        r.delay = Duration::from_secs(3);
        r
    });
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = common::capture_log();
    let spool = spool_in(dir.path(), log.clone());
    spool.push(&common::fake_report(1)).unwrap();
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        overall: Duration::from_millis(500),
    };
    let client = Client::new(&server.url(), None, timeouts).unwrap();
    let t0 = Instant::now();
    let d = flush(&spool, &client, "uph_test", &log).unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(d.remaining, 1);
    assert!(d.retry_reason.unwrap().to_lowercase().contains("timeout"));
}

#[test]
fn the_run_loop_scans_on_its_interval_until_stopped() {
    let server = TestServer::start(accept_reports());
    let dir = tempfile::tempdir().unwrap();
    common::enrolled(dir.path(), &server.url());
    let (log, _) = common::capture_log();
    let mut opts = common::fast_options(dir.path(), log);
    opts.once = false;
    opts.interval = Duration::from_millis(100);
    let stop = opts.stop.clone();
    let handle = std::thread::spawn(move || {
        let mut n = 0;
        run(&opts, move || {
            n += 1;
            if n == 2 {
                return Err("collector exploded".into());
            }
            Ok(common::fake_report(n))
        })
        .unwrap()
    });
    std::thread::sleep(Duration::from_millis(550));
    stop.store(true, Ordering::SeqCst);
    let s = handle.join().unwrap();
    assert!((3..=8).contains(&s.cycles), "{s:?}");
    assert_eq!(s.scan_errors, 1);
    assert_eq!(s.delivery.delivered.len() as u64, s.scans);
    assert_eq!(server.seen().len() as u64, s.scans);
}

#[test]
fn a_re_enrollment_is_picked_up_by_a_running_agent() {
    let mut accept = accept_reports();
    let server = TestServer::start(move |req| {
        if req.header("authorization") == Some("Bearer uph_new") {
            accept(req)
        } else {
            Reply::error(401, "unknown host token")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    common::enrolled(dir.path(), &server.url());
    let (log, lines) = common::capture_log();
    let mut opts = common::fast_options(dir.path(), log);
    opts.once = false;
    opts.interval = Duration::from_millis(150);
    let stop = opts.stop.clone();
    let handle = std::thread::spawn(move || {
        let mut n = 0;
        run(&opts, move || {
            n += 1;
            Ok(common::fake_report(n))
        })
        .unwrap()
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(spooled(dir.path()) >= 1, "401 keeps the report");
    let mut state = uproot_agent::State::load(dir.path()).unwrap();
    state.token = "uph_new".into();
    state.save(dir.path()).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    stop.store(true, Ordering::SeqCst);
    let s = handle.join().unwrap();
    assert_eq!(s.delivery.remaining, 0, "{s:?}");
    assert_eq!(s.delivery.delivered.len() as u64, s.scans);
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("state file changed")));
}
