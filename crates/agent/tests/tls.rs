//! HTTPS with a private CA (`--ca-cert`): trusted when given, refused when not.

mod common;

use std::path::PathBuf;

use common::{accept_reports, Reply, TestServer};
use uproot_agent::{
    enroll, run, Enrollment, Error, HostFacts, Spool, SpoolLimits, State, Timeouts,
};

fn ca() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ca.pem")
}

fn server() -> TestServer {
    let mut accept = accept_reports();
    TestServer::start_tls(move |req| {
        if req.path == "/api/v1/enroll" {
            Reply::json(200, serde_json::json!({"host_id": 3, "token": "uph_tls"}))
        } else {
            accept(req)
        }
    })
}

fn request(url: String, ca_cert: Option<PathBuf>) -> Enrollment {
    Enrollment {
        server: url,
        secret: "s".into(),
        ca_cert,
        facts: HostFacts {
            name: "h".into(),
            machine_id: None,
            os: "linux".into(),
        },
        timeouts: Timeouts::default(),
    }
}

#[test]
fn a_private_ca_is_trusted_for_enrollment_and_reports() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let state = enroll(&request(server.https_url(), Some(ca())), dir.path()).unwrap();
    assert_eq!(state.token, "uph_tls");
    assert!(state.ca_cert.as_ref().unwrap().is_absolute());
    assert_eq!(State::load(dir.path()).unwrap().ca_cert, state.ca_cert);
    let (log, _) = common::capture_log();
    let opts = common::fast_options(dir.path(), log);
    let s = run(&opts, || Ok(common::fake_report(1))).unwrap();
    assert_eq!(s.delivery.delivered.len(), 1, "{s:?}");
    let seen = server.seen();
    assert_eq!(
        seen.last().unwrap().header("authorization"),
        Some("Bearer uph_tls")
    );
}

#[test]
fn without_the_ca_the_server_is_not_trusted_and_reports_wait() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let err = enroll(&request(server.https_url(), None), dir.path()).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("unknownissuer")
            || err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(
        server.seen().is_empty(),
        "nothing sent over an untrusted connection"
    );
    // An enrolled agent whose CA was removed keeps its reports.
    common::enrolled(dir.path(), &server.https_url());
    let (log, _) = common::capture_log();
    let opts = common::fast_options(dir.path(), log.clone());
    let s = run(&opts, || Ok(common::fake_report(1))).unwrap();
    assert_eq!(s.delivery.remaining, 1);
    let spool = Spool::open(&Spool::dir_in(dir.path()), SpoolLimits::default(), log).unwrap();
    assert_eq!(spool.entries().unwrap().len(), 1);
}
