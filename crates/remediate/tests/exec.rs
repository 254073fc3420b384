//! Execution against real directory trees: the deletion guard, dry runs,
//! a step that fails midway, and idempotent re-runs.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use uproot_inventory::{Certificate, FileEntry, Host, Inventory, Service};
use uproot_remediate::{
    execute, execute_with, plan, read_log, ActionLog, ExecError, ExecOptions, GuardError,
    PathGuard, Plan, Removed, StepResult,
};
use uproot_report::{CatalogInfo, Report};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/roots")
}

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn exists(root: &Path, rel: &str) -> bool {
    root.join(rel.trim_start_matches('/'))
        .symlink_metadata()
        .is_ok()
}

// ------------------------------------------------------------------ the guard

#[test]
fn the_guard_deletes_only_named_paths() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "/opt/kaspersky/a", b"a");
    write(t.path(), "/opt/other/b", b"b");
    let g = PathGuard::new(["/opt/kaspersky"]);
    assert!(matches!(
        g.remove(t.path(), "/opt/other"),
        Err(GuardError::NotNamed(_))
    ));
    assert!(matches!(
        g.remove(t.path(), "/opt/kaspersky/../other"),
        Err(GuardError::BadPath(..))
    ));
    assert!(matches!(
        g.remove(t.path(), "/opt/kaspersky/a"),
        Err(GuardError::NotNamed(_))
    ));
    assert!(exists(t.path(), "/opt/other/b") && exists(t.path(), "/opt/kaspersky/a"));
    assert_eq!(
        g.remove(t.path(), "/opt/kaspersky").unwrap(),
        Removed::Dir { entries: 1 }
    );
    assert!(!exists(t.path(), "/opt/kaspersky"));
    assert!(exists(t.path(), "/opt/other/b"));
    // Idempotent: gone is gone.
    assert_eq!(
        g.remove(t.path(), "/opt/kaspersky").unwrap(),
        Removed::Absent
    );
    // A system directory is refused even when named.
    let g = PathGuard::new(["/opt", "/etc/ssl/certs"]);
    assert!(matches!(
        g.remove(t.path(), "/opt"),
        Err(GuardError::Protected(_))
    ));
    assert!(matches!(
        g.remove(t.path(), "/etc/ssl/certs"),
        Err(GuardError::Protected(_))
    ));
    assert!(exists(t.path(), "/opt/other/b"));
}

#[test]
fn a_named_symlink_is_unlinked_and_its_target_untouched() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "/keep/secret.txt", b"do not delete");
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("opt")).unwrap();
    // An absolute link out of the root, as a hostile image could have.
    symlink(outside.path().join("keep"), t.path().join("opt/kaspersky")).unwrap();
    symlink(
        outside.path().join("keep/secret.txt"),
        t.path().join("opt/kesl.ini"),
    )
    .unwrap();
    let g = PathGuard::new(["/opt/kaspersky", "/opt/kesl.ini"]);
    assert_eq!(
        g.remove(t.path(), "/opt/kaspersky").unwrap(),
        Removed::Symlink
    );
    assert_eq!(
        g.remove(t.path(), "/opt/kesl.ini").unwrap(),
        Removed::Symlink
    );
    assert!(!exists(t.path(), "/opt/kaspersky") && !exists(t.path(), "/opt/kesl.ini"));
    assert_eq!(
        std::fs::read(outside.path().join("keep/secret.txt")).unwrap(),
        b"do not delete"
    );
}

#[test]
fn a_tree_is_removed_without_following_symlinks_inside_it() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "/data/important", b"keep");
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "/opt/kaspersky/kesl/bin/kesl-control",
        b"#!/bin/sh\n",
    );
    symlink(
        outside.path().join("data"),
        t.path().join("opt/kaspersky/kesl/link-to-outside"),
    )
    .unwrap();
    symlink("/", t.path().join("opt/kaspersky/root-link")).unwrap();
    let g = PathGuard::new(["/opt/kaspersky"]);
    assert!(matches!(
        g.remove(t.path(), "/opt/kaspersky").unwrap(),
        Removed::Dir { .. }
    ));
    assert!(!exists(t.path(), "/opt/kaspersky"));
    assert!(exists(t.path(), "/opt"));
    assert_eq!(
        std::fs::read(outside.path().join("data/important")).unwrap(),
        b"keep"
    );
}

#[test]
fn a_symlinked_parent_is_refused_but_merged_usr_aliases_pass() {
    let t = tempfile::tempdir().unwrap();
    // /var/opt -> ../srv/opt: the named path would be reached through a link.
    write(t.path(), "/srv/opt/kaspersky/kesl/x", b"x");
    std::fs::create_dir_all(t.path().join("var")).unwrap();
    symlink("../srv/opt", t.path().join("var/opt")).unwrap();
    let g = PathGuard::new(["/var/opt/kaspersky"]);
    match g.remove(t.path(), "/var/opt/kaspersky") {
        Err(GuardError::SymlinkComponent { component, .. }) => assert_eq!(component, "/var/opt"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(exists(t.path(), "/srv/opt/kaspersky/kesl/x"));
    // Merged /usr: /lib -> usr/lib is the one kind of link the guard passes through.
    write(
        t.path(),
        "/usr/lib/modules/6.1.0/extra/kav4fs_oas.ko",
        b"\x7fELF",
    );
    symlink("usr/lib", t.path().join("lib")).unwrap();
    let g = PathGuard::new(["/lib/modules/6.1.0/extra/kav4fs_oas.ko"]);
    assert_eq!(
        g.remove(t.path(), "/lib/modules/6.1.0/extra/kav4fs_oas.ko")
            .unwrap(),
        Removed::File
    );
    assert!(!exists(
        t.path(),
        "/usr/lib/modules/6.1.0/extra/kav4fs_oas.ko"
    ));
}

// ------------------------------------------------------------------ execution

fn kaspersky_ca(location: &str) -> Certificate {
    Certificate {
        subject: "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate".into(),
        issuer: "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate".into(),
        serial: "4b4c0001".into(),
        sha256: "4671b6ad117a57ab19598ec7bfab360da4365234c26b9d676cd42f1a25cba010".into(),
        sha1: "1e40027ca39e271e7bd113e9e267273c3d335c88".into(),
        not_after: "2043-12-27".into(),
        is_ca: true,
        location: location.into(),
    }
}

/// A root with a unit, the Kaspersky CA (file and bundle) and two leftover
/// directories, and the plan the real matcher and planner make for it.
fn scenario(root: &Path) -> Plan {
    write(
        root,
        "/usr/lib/systemd/system/kesl.service",
        b"[Service]\nExecStart=/bin/false\n",
    );
    std::fs::create_dir_all(root.join("etc/systemd/system/multi-user.target.wants")).unwrap();
    symlink(
        "/usr/lib/systemd/system/kesl.service",
        root.join("etc/systemd/system/multi-user.target.wants/kesl.service"),
    )
    .unwrap();
    let ca = fixtures().join("ca-kaspersky");
    write(
        root,
        "/usr/local/share/ca-certificates/kaspersky-root.crt",
        &std::fs::read(ca.join("usr/local/share/ca-certificates/kaspersky-root.crt")).unwrap(),
    );
    write(
        root,
        "/etc/ssl/certs/ca-certificates.crt",
        &std::fs::read(ca.join("etc/ssl/certs/ca-certificates.crt")).unwrap(),
    );
    write(root, "/opt/kaspersky/kesl/bin/kesl-control", b"#!/bin/sh\n");
    write(root, "/var/opt/kaspersky/kesl/common/kesl.ini", b"KSN=on\n");

    let mut inv = Inventory::default();
    inv.services.push(Service {
        name: "kesl.service".into(),
        scope: "system".into(),
        exec: None,
        description: None,
        enabled: true,
        start: None,
        location: "/usr/lib/systemd/system/kesl.service".into(),
    });
    inv.certificates
        .push(kaspersky_ca("/etc/ssl/certs/ca-certificates.crt"));
    inv.certificates.push(kaspersky_ca(
        "/usr/local/share/ca-certificates/kaspersky-root.crt",
    ));
    for p in ["/opt/kaspersky", "/var/opt/kaspersky/kesl"] {
        inv.files.push(FileEntry {
            path: p.into(),
            file_type: "dir".into(),
            size: None,
        });
    }
    let catalog = uproot_catalog::Catalog::builtin()
        .unwrap()
        .compile()
        .unwrap();
    let findings = uproot_matcher::match_inventory(&catalog, &inv);
    let host = Host {
        hostname: "t".into(),
        os: "linux".into(),
        root: root.display().to_string(),
        live: false,
        ..Host::default()
    };
    let report = Report::new(
        host,
        CatalogInfo::default(),
        inv,
        findings,
        vec![],
        "2026-01-01T00:00:00Z".into(),
    );
    let p = plan(&report);
    let kinds: Vec<&str> = p.steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(
        kinds,
        [
            "remove-service",
            "remove-ca-certificate",
            "delete-path",
            "delete-path"
        ]
    );
    p
}

fn results(r: &uproot_remediate::ExecReport) -> Vec<StepResult> {
    r.steps.iter().map(|s| s.result).collect()
}

#[test]
fn a_dry_run_runs_nothing_and_logs_nothing() {
    let t = tempfile::tempdir().unwrap();
    let p = scenario(t.path());
    let mut log = ActionLog::in_memory();
    let r = execute(&p, t.path(), false, false, &mut log).unwrap();
    assert!(!r.applied);
    assert!(r.steps.iter().all(|s| s.result == StepResult::DryRun));
    assert!(log.records().is_empty());
    assert!(exists(t.path(), "/usr/lib/systemd/system/kesl.service"));
    assert!(exists(t.path(), "/opt/kaspersky/kesl/bin/kesl-control"));
}

#[test]
fn a_failed_step_stops_the_run_and_the_same_plan_completes_on_a_second_run() {
    let t = tempfile::tempdir().unwrap();
    let p = scenario(t.path());
    let bundle = t.path().join("etc/ssl/certs/ca-certificates.crt");
    let good_bundle = std::fs::read(&bundle).unwrap();
    // The cause: where the plan expects a bundle file there is a directory.
    std::fs::remove_file(&bundle).unwrap();
    std::fs::create_dir(&bundle).unwrap();

    let logs = tempfile::tempdir().unwrap();
    let log_path = logs.path().join("uproot-actions.jsonl");
    let mut log = ActionLog::open(&log_path).unwrap();
    let r1 = execute(&p, t.path(), false, true, &mut log).unwrap();
    assert_eq!(
        results(&r1),
        [
            StepResult::Ok,
            StepResult::Failed,
            StepResult::NotRun,
            StepResult::NotRun
        ]
    );
    assert_eq!(r1.failed_step.as_deref(), Some("2"));
    assert_eq!(r1.exit_code(), 1);
    assert!(r1.steps[1]
        .message
        .as_deref()
        .unwrap()
        .contains("not a certificate file"));
    // State: step 1 done, nothing after the failure touched.
    assert!(!exists(t.path(), "/usr/lib/systemd/system/kesl.service"));
    assert!(!exists(
        t.path(),
        "/etc/systemd/system/multi-user.target.wants/kesl.service"
    ));
    assert!(exists(
        t.path(),
        "/usr/local/share/ca-certificates/kaspersky-root.crt"
    ));
    assert!(exists(t.path(), "/opt/kaspersky/kesl/bin/kesl-control"));
    drop(log);
    let recs = read_log(&log_path).unwrap();
    let steps: Vec<(String, String)> = recs
        .iter()
        .filter(|r| r.op == "step")
        .map(|r| (r.step.clone().unwrap(), r.result.clone()))
        .collect();
    assert_eq!(
        steps,
        [("1".into(), "ok".into()), ("2".into(), "failed".into())]
    );
    assert!(recs.iter().all(|r| r.step.as_deref() != Some("3")));
    let end = recs.last().unwrap();
    assert_eq!(
        (end.op.as_str(), end.result.as_str()),
        ("run-end", "failed")
    );

    // Fix the cause and run the same plan again: it completes, and step 1 is already done.
    std::fs::remove_dir(&bundle).unwrap();
    std::fs::write(&bundle, &good_bundle).unwrap();
    let mut log = ActionLog::open(&log_path).unwrap();
    let r2 = execute(&p, t.path(), false, true, &mut log).unwrap();
    assert_eq!(
        results(&r2),
        [
            StepResult::AlreadyDone,
            StepResult::Ok,
            StepResult::Ok,
            StepResult::Ok
        ]
    );
    assert_eq!(r2.exit_code(), 0);
    assert!(!exists(
        t.path(),
        "/usr/local/share/ca-certificates/kaspersky-root.crt"
    ));
    assert!(!exists(t.path(), "/opt/kaspersky") && !exists(t.path(), "/var/opt/kaspersky/kesl"));
    assert!(
        exists(t.path(), "/var/opt/kaspersky"),
        "only the named path goes"
    );
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert_eq!(
        text.matches("BEGIN CERTIFICATE").count(),
        2,
        "the two benign CAs stay"
    );

    // A third run changes nothing at all.
    let r3 = execute(&p, t.path(), false, true, &mut log).unwrap();
    assert!(
        r3.steps.iter().all(|s| s.result == StepResult::AlreadyDone),
        "{r3:?}"
    );
    assert_eq!(std::fs::read_to_string(&bundle).unwrap(), text);
    drop(log);

    // The log is append-only: three runs, in order, every line one JSON object.
    let recs = read_log(&log_path).unwrap();
    assert_eq!(recs.iter().filter(|r| r.op == "run-start").count(), 3);
    let run3 = &r3.run;
    assert!(
        recs.iter()
            .filter(|r| &r.run == run3 && r.op != "run-end")
            .all(|r| r.result != "ok"),
        "nothing changed in the third run"
    );
}

#[test]
fn plans_run_only_on_their_own_target() {
    let t = tempfile::tempdir().unwrap();
    let p = scenario(t.path());
    let mut log = ActionLog::in_memory();
    // Made for a root; refused for the running system.
    let err = execute(&p, Path::new("/"), true, true, &mut log).unwrap_err();
    assert!(matches!(err, ExecError::TargetMismatch { .. }), "{err}");
    // A Windows plan is refused on Linux, before anything runs.
    let mut win = p.clone();
    win.os = "windows".into();
    let err = execute_with(
        &win,
        &ExecOptions {
            root: t.path().into(),
            live: false,
            apply: true,
            ..Default::default()
        },
        &mut log,
    )
    .unwrap_err();
    assert!(matches!(err, ExecError::WrongOs { .. }), "{err}");
    assert!(log.records().is_empty());
    assert!(exists(t.path(), "/usr/lib/systemd/system/kesl.service"));
}
