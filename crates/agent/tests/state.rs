//! Enrollment and the state file.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Reply, TestServer};
use uproot_agent::{enroll, Enrollment, Error, HostFacts, State, Timeouts};

fn request(server: &str, secret: &str) -> Enrollment {
    Enrollment {
        server: server.to_owned(),
        secret: secret.to_owned(),
        ca_cert: None,
        facts: HostFacts {
            name: "web-1".into(),
            machine_id: Some("0123456789abcdef".into()),
            os: "linux".into(),
        },
        timeouts: Timeouts::default(),
    }
}

fn enroll_server() -> TestServer {
    TestServer::start(|req| {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        if req.path != "/api/v1/enroll" || req.method != "POST" {
            return Reply::error(404, "no route");
        }
        if body["secret"] != "s3cret" {
            return Reply::error(401, "bad enroll secret");
        }
        assert_eq!(body["host"]["name"], "web-1");
        assert_eq!(body["host"]["machine_id"], "0123456789abcdef");
        assert_eq!(body["host"]["os"], "linux");
        Reply::json(200, serde_json::json!({"host_id": 42, "token": "uph_abc"}))
    })
}

#[test]
fn enroll_writes_a_0600_state_file() {
    let server = enroll_server();
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("nested/state");
    let state = enroll(
        &request(&format!("{}/", server.url()), "s3cret"),
        &state_dir,
    )
    .unwrap();
    assert_eq!(state.host_id, 42);
    assert_eq!(state.token, "uph_abc");
    assert_eq!(state.server, server.url(), "trailing slash trimmed");
    let path = State::path_in(&state_dir);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "state file mode {mode:o}");
    let dmode = std::fs::metadata(&state_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(dmode, 0o700, "state dir mode {dmode:o}");
    assert_eq!(State::load(&state_dir).unwrap(), state);
    let leftovers: Vec<_> = std::fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_wrong_secret_fails_with_the_servers_message_and_writes_nothing() {
    let server = enroll_server();
    let dir = tempfile::tempdir().unwrap();
    let err = enroll(&request(&server.url(), "nope"), dir.path()).unwrap_err();
    assert!(matches!(err, Error::Server { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("bad enroll secret"), "{err}");
    assert!(!State::path_in(dir.path()).exists());
}

#[test]
fn enrolling_against_a_dead_server_is_a_transport_error() {
    let mut server = enroll_server();
    server.stop();
    let dir = tempfile::tempdir().unwrap();
    let err = enroll(&request(&server.url(), "s3cret"), dir.path()).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
}

#[test]
fn a_state_file_readable_by_others_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    common::enrolled(dir.path(), "http://127.0.0.1:1");
    let path = State::path_in(dir.path());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = State::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::InsecureStateFile { mode: 0o644, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("0644"), "{msg}");
    // The run loop refuses too, before any network traffic.
    let (log, _) = common::capture_log();
    let opts = common::fast_options(dir.path(), log);
    let err = uproot_agent::run(&opts, || Ok(common::fake_report(1))).unwrap_err();
    assert!(err.to_string().contains(&path.display().to_string()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(State::load(dir.path()).is_ok());
}

#[test]
fn a_missing_state_file_says_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let err = State::load(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotEnrolled { .. }));
    assert!(err.to_string().contains("uproot agent enroll"), "{err}");
}

#[test]
fn a_private_ca_file_must_hold_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("ca.pem");
    std::fs::write(&bogus, "not a certificate\n").unwrap();
    let err =
        uproot_agent::Client::new("https://x.test", Some(&bogus), Timeouts::default()).unwrap_err();
    assert!(err.to_string().contains("ca.pem"), "{err}");
}
