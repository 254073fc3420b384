//! End-to-end removal: the `uproot` binary plans and removes on copies of
//! the fixture roots (real dpkg and rpm databases), then the real `dpkg-query`
//! and `rpm` and a rescan say what is left. Nothing is mocked.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A tool the test needs: fail with a clear message when it is missing, never skip.
fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test needs `{tool}` on PATH (apt-get install -y dpkg rpm openssl e2fsprogs)"
    );
}

/// A scratch directory on the build's file system (not a tmpfs).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("uproot-remove-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// Copies a fixture root with `cp -a` (symlinks, modes kept) into `dir/root`.
fn copy_root(rel: &str, dir: &Path) -> PathBuf {
    let dst = dir.join("root");
    let st = Command::new("cp")
        .arg("-a")
        .arg(repo().join(rel))
        .arg(&dst)
        .status()
        .unwrap();
    assert!(st.success(), "cp -a {rel}");
    dst
}

/// Every entry under `root`: type, permission bits, and content or link target.
fn tree(root: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (char, u32, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let m = p.symlink_metadata().unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let mode = m.permissions().mode() & 0o7777;
            if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, ('l', mode, t.display().to_string().into_bytes()));
            } else if m.is_dir() {
                out.insert(rel, ('d', mode, Vec::new()));
                walk(root, &p, out);
            } else {
                out.insert(rel, ('f', mode, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn scan(root: &Path) -> Value {
    let o = uproot(&["scan", "--root", root.to_str().unwrap(), "--format", "json"]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("scan json: {e}\n{}", text(&o)))
}

/// Findings that are more than leftovers.
fn live_findings(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["remnant"] == false)
        .map(|f| f["summary"].as_str().unwrap().to_owned())
        .collect()
}

fn remove_apply(root: &Path, log: &Path) -> Output {
    uproot(&[
        "remove",
        "--root",
        root.to_str().unwrap(),
        "--apply",
        "--log",
        log.to_str().unwrap(),
    ])
}

fn log_records(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn dpkg_query(root: &Path) -> (i32, String) {
    let o = Command::new("dpkg-query")
        .arg(format!("--admindir={}/var/lib/dpkg", root.display()))
        .args(["-W", "-f", "${Package}\t${db:Status-Abbrev}\n"])
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn remove_apply_purges_kesl_from_the_dpkg_database() {
    need("dpkg");
    need("dpkg-query");
    let dir = scratch();
    let root = copy_root("fixtures/roots/dpkg-kesl", dir.path());
    let log = dir.path().join("actions.jsonl");
    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // dpkg's own database: kesl and the config-files leftover kesl-gui are purged.
    let single = Command::new("dpkg-query")
        .arg(format!("--admindir={}/var/lib/dpkg", root.display()))
        .args(["-W", "kesl"])
        .output()
        .unwrap();
    assert_eq!(
        single.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&single.stdout)
    );
    assert!(String::from_utf8_lossy(&single.stderr).contains("no packages found matching kesl"));
    let (_, all) = dpkg_query(&root);
    let mut names: Vec<&str> = all.lines().collect();
    names.sort();
    // The benign packages, the held one and the look-alikes are untouched.
    assert_eq!(
        names,
        [
            "held-uproot\thi ",
            "hello-uproot\tii ",
            "kaspad\tii ",
            "kestrel\tii "
        ],
        "{all}"
    );
    assert!(!root.join("opt/kaspersky/kesl/bin/kesl-control").exists());
    assert!(
        !root.join("etc/opt/kaspersky/kesl-gui.conf").exists(),
        "purge removes the conffile"
    );
    assert!(root.join("usr/bin/hello-uproot").exists());
    assert!(root.join("usr/share/held-uproot/README").exists());

    let recs = log_records(&log);
    assert_eq!(recs.first().unwrap()["op"], "run-start");
    assert_eq!(recs.last().unwrap()["op"], "run-end");
    let purge = recs
        .iter()
        .find(|r| r["op"] == "command")
        .expect("the dpkg command is logged");
    assert_eq!(purge["argv"][0], "dpkg");
    assert_eq!(purge["exit_code"], 0);
    assert_eq!(purge["output_sha256"].as_str().unwrap().len(), 64);
    assert!(purge["time"].as_str().unwrap().ends_with('Z'));

    let after = scan(&root);
    assert!(
        live_findings(&after).is_empty(),
        "{:?}",
        live_findings(&after)
    );
}

#[test]
fn remove_apply_erases_klnagent64_from_the_rpm_database() {
    need("rpm");
    let dir = scratch();
    let root = copy_root("fixtures/roots/rpm-klnagent", dir.path());
    let log = dir.path().join("actions.jsonl");
    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rpm = |pkg: &str| {
        Command::new("rpm")
            .args([
                "--root",
                root.to_str().unwrap(),
                "--dbpath",
                "/var/lib/rpm",
                "-q",
                pkg,
            ])
            .output()
            .unwrap()
    };
    let q = rpm("klnagent64");
    assert_eq!(q.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&q.stdout).contains("package klnagent64 is not installed"));
    let benign = rpm("hello-uproot");
    assert_eq!(benign.status.code(), Some(0), "the benign package stays");
    assert!(live_findings(&scan(&root)).is_empty());
}

fn pem_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("-----BEGIN CERTIFICATE-----") {
        let end = rest[i..].find("-----END CERTIFICATE-----").unwrap()
            + i
            + "-----END CERTIFICATE-----".len();
        out.push(rest[i..end].to_owned());
        rest = &rest[end..];
    }
    out
}

#[test]
fn remove_apply_takes_the_kaspersky_ca_out_of_its_file_and_the_bundle() {
    let dir = scratch();
    let root = copy_root("fixtures/roots/ca-kaspersky", dir.path());
    let bundle = root.join("etc/ssl/certs/ca-certificates.crt");
    let kaspersky =
        std::fs::read_to_string(root.join("usr/local/share/ca-certificates/kaspersky-root.crt"))
            .unwrap();
    let kaspersky_block = pem_blocks(&kaspersky).remove(0);
    let before = std::fs::read_to_string(&bundle).unwrap();
    let benign: Vec<String> = pem_blocks(&before)
        .into_iter()
        .filter(|b| *b != kaspersky_block)
        .collect();
    assert_eq!(benign.len(), 2);
    let mode_before = bundle.metadata().unwrap().mode();

    let o = remove_apply(&root, &dir.path().join("actions.jsonl"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    assert!(!root
        .join("usr/local/share/ca-certificates/kaspersky-root.crt")
        .exists());
    let after = std::fs::read_to_string(&bundle).unwrap();
    assert!(
        !after.contains(&kaspersky_block),
        "the Kaspersky PEM block is gone from the bundle"
    );
    assert_eq!(
        pem_blocks(&after),
        benign,
        "the benign certificates stay, byte for byte, in order"
    );
    assert_eq!(bundle.metadata().unwrap().mode(), mode_before);
    // The links that led to the Kaspersky file are gone; the others stay.
    for gone in [
        "etc/ssl/certs/kaspersky-root.pem",
        "etc/ssl/certs/8edad0c6.0",
    ] {
        assert!(root.join(gone).symlink_metadata().is_err(), "{gone}");
    }
    for kept in [
        "etc/ssl/certs/Example_Root_CA.pem",
        "etc/ssl/certs/29ef8e8e.0",
        "etc/ssl/certs/b756266e.0",
    ] {
        assert!(
            root.join(kept)
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink(),
            "{kept}"
        );
    }
    assert!(root
        .join("usr/share/ca-certificates/mozilla/Example_Root_CA.crt")
        .exists());
    let report = scan(&root);
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
}

#[test]
fn remove_apply_on_the_linux_kesl_example_leaves_nothing_covered() {
    need("dpkg");
    need("dpkg-query");
    let dir = scratch();
    let root = copy_root("examples/linux-kesl", dir.path());
    let o = remove_apply(&root, &dir.path().join("actions.jsonl"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("After removal: 0 finding(s) remain"), "{out}");

    let (_, pkgs) = dpkg_query(&root);
    assert!(!pkgs.lines().any(|l| l.starts_with("kesl\t")), "{pkgs}");
    assert!(pkgs.contains("hello-uproot\tii"));
    for gone in [
        "usr/lib/systemd/system/kesl.service",
        "etc/systemd/system/multi-user.target.wants/kesl.service",
        "lib/modules/6.1.0-uproot/extra/kav4fs_oas.ko",
        "usr/local/share/ca-certificates/kaspersky-root.crt",
        "home/alice/.config/google-chrome/Default/Extensions/ahkjpbeeocnddjkakilopmfdlnjdpcdm",
        "var/opt/kaspersky",
        "opt/kaspersky",
    ] {
        assert!(
            root.join(gone).symlink_metadata().is_err(),
            "{gone} should be gone"
        );
    }
    for kept in [
        "usr/bin/hello-uproot",
        "usr/bin/kestrel",
        "etc/os-release",
        "etc/hostname",
        "usr/share/ca-certificates/mozilla/Example_Root_CA.crt",
        "home/alice/.config/google-chrome/Default/Extensions",
    ] {
        assert!(
            root.join(kept).symlink_metadata().is_ok(),
            "{kept} should stay"
        );
    }
    let report = scan(&root);
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
}

#[test]
fn a_dry_run_changes_no_byte_mode_or_symlink() {
    for rel in [
        "fixtures/roots/dpkg-kesl",
        "fixtures/roots/rpm-klnagent",
        "fixtures/roots/ca-kaspersky",
        "examples/linux-kesl",
    ] {
        let dir = scratch();
        let root = copy_root(rel, dir.path());
        let log = dir.path().join("actions.jsonl");
        let before = tree(&root);
        let o = uproot(&[
            "remove",
            "--root",
            root.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{rel}: {}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("DRY RUN: nothing was changed"), "{rel}: {out}");
        assert!(out.contains("uproot removal plan"), "the plan is printed");
        assert_eq!(tree(&root), before, "{rel}: the dry run changed the tree");
        assert!(!log.exists(), "{rel}: a dry run writes no log");
    }
}

/// Clears the immutable attribute even when the test fails, so the scratch
/// directory (and `cargo clean`) can still remove the file.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

fn euid() -> u32 {
    let o = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

#[test]
fn a_step_that_fails_midway_is_logged_and_a_second_run_completes() {
    need("dpkg");
    let dir = scratch();
    let root = copy_root("examples/linux-kesl", dir.path());
    let log = dir.path().join("actions.jsonl");
    let unit = root.join("usr/lib/systemd/system/kesl.service");
    // The cause: the unit file cannot be deleted, as under a product's
    // self-protection. As root, the immutable attribute; otherwise a read-only directory.
    let guard = if euid() == 0 {
        need("chattr");
        let st = Command::new("chattr")
            .arg("+i")
            .arg(&unit)
            .status()
            .unwrap();
        assert!(st.success(), "chattr +i failed: the scratch directory under CARGO_TARGET_TMPDIR must be on ext4, xfs or btrfs");
        Some(Immutable(unit.clone()))
    } else {
        std::fs::set_permissions(
            unit.parent().unwrap(),
            std::fs::Permissions::from_mode(0o555),
        )
        .unwrap();
        None
    };

    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAILED at step 2"), "{out}");
    let recs = log_records(&log);
    let steps: Vec<(&str, &str)> = recs
        .iter()
        .filter(|r| r["op"] == "step")
        .map(|r| (r["step"].as_str().unwrap(), r["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [("1", "ok"), ("2", "failed")],
        "the run stops at the failed step"
    );
    let failed = recs
        .iter()
        .find(|r| r["op"] == "delete" && r["result"] == "failed")
        .expect("the failing delete is logged");
    assert_eq!(failed["path"], "/usr/lib/systemd/system/kesl.service");
    let why = failed["message"].as_str().unwrap();
    assert!(
        why.contains("Operation not permitted") || why.contains("Permission denied"),
        "{failed}"
    );
    assert_eq!(recs.last().unwrap()["result"], "failed");
    // The state the log describes: step 1 done, steps 3.. untouched.
    let (_, pkgs) = dpkg_query(&root);
    assert!(!pkgs.lines().any(|l| l.starts_with("kesl\t")));
    assert!(unit.exists());
    assert!(root
        .join("usr/local/share/ca-certificates/kaspersky-root.crt")
        .exists());
    assert!(root.join("var/opt/kaspersky").exists());

    // Fix the cause; the second run (a fresh scan and plan) completes.
    match guard {
        Some(g) => drop(g),
        None => std::fs::set_permissions(
            unit.parent().unwrap(),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap(),
    }
    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!unit.exists());
    assert!(scan(&root)["findings"].as_array().unwrap().is_empty());
    let recs = log_records(&log);
    assert_eq!(
        recs.iter().filter(|r| r["op"] == "run-start").count(),
        2,
        "the log is appended to"
    );
    assert_eq!(
        recs.iter().rfind(|r| r["op"] == "run-end").unwrap()["result"],
        "ok"
    );
    // A third run finds nothing left to do.
    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Nothing to remove"));
}

#[test]
fn a_symlinked_leftover_is_unlinked_and_its_outside_target_untouched() {
    let dir = scratch();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("kesl")).unwrap();
    std::fs::write(outside.join("kesl/keep.txt"), b"not part of the root").unwrap();
    std::fs::write(outside.join("secret.ini"), b"not part of the root either").unwrap();
    let root = dir.path().join("root");
    // /opt/kaspersky is itself a symlink out of the root (absolute host path).
    std::fs::create_dir_all(root.join("opt")).unwrap();
    symlink(&outside, root.join("opt/kaspersky")).unwrap();
    // /var/opt/kaspersky is a real directory holding symlinks out of the root.
    std::fs::create_dir_all(root.join("var/opt/kaspersky/kesl/common")).unwrap();
    symlink(
        outside.join("secret.ini"),
        root.join("var/opt/kaspersky/kesl/common/kesl.ini"),
    )
    .unwrap();
    symlink(
        outside.join("kesl"),
        root.join("var/opt/kaspersky/kesl/data"),
    )
    .unwrap();
    let before_outside = tree(&outside);

    let plan = uproot(&["plan", "--root", root.to_str().unwrap(), "--format", "json"]);
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let deletes: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["action"]["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
        })
        .collect();
    assert_eq!(deletes, ["/opt/kaspersky", "/var/opt/kaspersky"]);

    let o = remove_apply(&root, &dir.path().join("actions.jsonl"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        root.join("opt/kaspersky").symlink_metadata().is_err(),
        "the link itself is removed"
    );
    assert!(root.join("var/opt/kaspersky").symlink_metadata().is_err());
    assert!(
        root.join("var/opt").is_dir(),
        "nothing above the named path goes"
    );
    assert_eq!(
        tree(&outside),
        before_outside,
        "nothing outside the root is touched"
    );
    let recs = log_records(&dir.path().join("actions.jsonl"));
    assert!(recs.iter().any(|r| r["path"] == "/opt/kaspersky"
        && r["message"].as_str().unwrap().contains("symlink removed")));
}

#[test]
fn a_named_path_behind_a_symlinked_directory_is_refused() {
    let dir = scratch();
    let root = dir.path().join("root");
    // /var/opt -> ../srv/opt: the scan finds /var/opt/kaspersky through the link,
    // but deleting through a symlinked parent is refused.
    std::fs::create_dir_all(root.join("srv/opt/kaspersky/kesl")).unwrap();
    std::fs::write(root.join("srv/opt/kaspersky/kesl/kesl.ini"), b"x").unwrap();
    std::fs::create_dir_all(root.join("var")).unwrap();
    symlink("../srv/opt", root.join("var/opt")).unwrap();
    let before = tree(&root);
    let log = dir.path().join("actions.jsonl");
    let o = remove_apply(&root, &log);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(tree(&root), before, "nothing was deleted");
    let recs = log_records(&log);
    let refused = recs
        .iter()
        .find(|r| r["result"] == "failed" && r["op"] == "delete")
        .unwrap();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("is a symlink; refusing to follow it"),
        "{refused}"
    );
}

#[test]
fn plans_cover_every_finding_on_every_fixture() {
    for (rel, deep) in [
        ("examples/linux-kesl", false),
        ("fixtures/roots/dpkg-kesl", false),
        ("fixtures/roots/rpm-klnagent", false),
        ("fixtures/roots/ca-kaspersky", false),
        ("fixtures/roots/nss-kaspersky", false),
        ("fixtures/roots/status-d", false),
        ("fixtures/roots/windows-kes", true),
        ("fixtures/roots/macos-kaspersky", false),
        ("fixtures/roots/deep-embedded", true),
    ] {
        let root = repo().join(rel);
        let mut args = vec!["--root", root.to_str().unwrap()];
        if deep {
            args.push("--deep");
        }
        let report = {
            let mut a = vec!["scan", "--format", "json"];
            a.extend(&args);
            serde_json::from_slice::<Value>(&uproot(&a).stdout).unwrap()
        };
        let o = {
            let mut a = vec!["plan", "--format", "json"];
            a.extend(&args);
            uproot(&a)
        };
        assert_eq!(o.status.code(), Some(0), "{rel}: {}", text(&o));
        let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(plan["schema"], "uproot.plan/1");
        for s in plan["steps"].as_array().unwrap() {
            for field in [
                "id",
                "title",
                "finding_ids",
                "action",
                "commands",
                "changes",
                "verify",
                "requires_input",
            ] {
                assert!(!s[field].is_null(), "{rel}: step without {field}: {s}");
            }
            assert!(
                !s["changes"].as_str().unwrap().is_empty()
                    && !s["verify"].as_str().unwrap().is_empty()
            );
        }
        for f in report["findings"].as_array().unwrap() {
            let id = &f["id"];
            let planned = plan["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["finding_ids"].as_array().unwrap().contains(id));
            let unplanned = plan["unplanned"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| &u["finding_id"] == id);
            assert!(
                planned || unplanned,
                "{rel}: no step or reason for {}",
                f["summary"]
            );
        }
    }
}

#[test]
fn the_script_passes_sh_n_and_runs_twice_on_a_root() {
    need("dpkg");
    need("openssl");
    let dir = scratch();
    let root = copy_root("examples/linux-kesl", dir.path());
    let script = dir.path().join("uproot-remove.sh");
    let o = uproot(&[
        "plan",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "script",
        "--output",
        script.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let body = std::fs::read_to_string(&script).unwrap();
    assert!(body.starts_with("#!/bin/sh\n"));
    assert!(body.contains("# This script REMOVES:"));
    assert!(body.contains("set -eu"));
    assert!(body.contains("step_1()") && body.contains("already done"));
    let n = Command::new("sh").arg("-n").arg(&script).output().unwrap();
    assert!(
        n.status.success(),
        "sh -n: {}",
        String::from_utf8_lossy(&n.stderr)
    );

    let run = || {
        Command::new("sh")
            .arg(&script)
            .env("ROOT", &root)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "first run: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let after_first = tree(&root);
    let second = run();
    assert!(
        second.status.success(),
        "second run: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    let out = String::from_utf8_lossy(&second.stdout);
    for id in 1..=4 {
        assert!(out.contains(&format!("step {id}: already done")), "{out}");
    }
    // The second run changes nothing, except dpkg's own lock files.
    let strip = |t: BTreeMap<String, (char, u32, Vec<u8>)>| {
        t.into_iter()
            .filter(|(k, _)| !k.starts_with("var/lib/dpkg/"))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(strip(tree(&root)), strip(after_first));
    assert!(scan(&root)["findings"].as_array().unwrap().is_empty());
}

#[test]
fn windows_and_macos_plans_are_scripts_here_never_applied() {
    for rel in [
        "fixtures/roots/windows-kes",
        "fixtures/roots/macos-kaspersky",
    ] {
        let dir = scratch();
        let root = copy_root(rel, dir.path());
        let before = tree(&root);
        let o = remove_apply(&root, &dir.path().join("actions.jsonl"));
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("steps run only on that system itself"));
        assert_eq!(tree(&root), before);
    }
    let root = repo().join("fixtures/roots/windows-kes");
    let o = uproot(&[
        "plan",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "script",
    ]);
    let ps = String::from_utf8_lossy(&o.stdout);
    assert!(ps.starts_with("#Requires -RunAsAdministrator"));
    for must in [
        "$KLLOGIN = $env:UPROOT_INPUT_KLLOGIN",
        "$KLUNINSTPASSWD = $env:UPROOT_INPUT_KLUNINSTPASSWD",
        "'{C9EF800D-54AA-4F60-AB96-5A3966550F53}'",
        "Cert:\\LocalMachine\\Root\\1E40027CA39E271E7BD113E9E267273C3D335C88",
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\klif",
        "HKLM:\\SOFTWARE\\KasperskyLab",
    ] {
        assert!(ps.contains(must), "missing {must}");
    }
}

#[test]
fn apply_never_trusts_a_saved_report() {
    let dir = scratch();
    let saved = dir.path().join("report.json");
    let root = repo().join("fixtures/roots/dpkg-kesl");
    let o = uproot(&[
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = uproot(&["remove", "--report", saved.to_str().unwrap(), "--apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--apply always rescans"));
    // A dry run from a saved report is fine.
    let o = uproot(&["remove", "--report", saved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("DRY RUN"));
}

/// The whole directive on one host: scan, remove for real with dpkg, verify,
/// replace, verify again, and have an auditor check the signed record.
#[test]
fn scan_remove_verify_replace_and_check_the_evidence() {
    need("dpkg-query");
    let dir = scratch();
    let root = copy_root("examples/linux-kesl", dir.path());
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let r = root.to_str().unwrap();
    let before = uproot(&[
        "scan",
        "--root",
        r,
        "--format",
        "json",
        "--output",
        &p("before.json"),
    ]);
    assert_eq!(
        before.status.code(),
        Some(1),
        "covered software before removal"
    );
    let removed = remove_apply(&root, Path::new(&p("actions.jsonl")));
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    // dpkg's own database no longer lists kesl; the benign packages remain.
    let (_, listed) = dpkg_query(&root);
    assert!(!listed.lines().any(|l| l.starts_with("kesl\t")), "{listed}");
    assert!(
        listed.lines().any(|l| l.starts_with("hello-uproot\t")),
        "{listed}"
    );
    let bundle = std::fs::read_to_string(root.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(
        !pem_blocks(&bundle).is_empty(),
        "benign CAs stay in the bundle"
    );
    let verify = |out: &str| {
        uproot(&[
            "verify",
            "--root",
            r,
            "--before",
            &p("before.json"),
            "--log",
            &p("actions.jsonl"),
            "--output",
            &p(out),
            "--key-dir",
            &p("key"),
        ])
    };
    // Removed, but nothing replaced it: the directive is not met yet.
    let first = verify("evidence-1.json");
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert!(
        text(&first).contains("unprotected-after-removal"),
        "{}",
        text(&first)
    );
    // Replace: an enabled ClamAV daemon unit.
    let units = root.join("usr/lib/systemd/system");
    std::fs::write(
        units.join("clamav-daemon.service"),
        "[Service]\nExecStart=/usr/sbin/clamd --foreground=true\n",
    )
    .unwrap();
    let wants = root.join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/clamav-daemon.service",
        wants.join("clamav-daemon.service"),
    )
    .unwrap();
    let second = verify("evidence-2.json");
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let ev: Value =
        serde_json::from_str(&std::fs::read_to_string(p("evidence-2.json")).unwrap()).unwrap();
    let verdicts = ev["payload"]["verdicts"].as_array().unwrap();
    assert!(
        !verdicts.is_empty() && verdicts.iter().all(|v| v["verdict"] == "removed"),
        "{verdicts:#?}"
    );
    // The auditor's check passes, and fails on a single changed byte.
    let check = uproot(&["evidence", "check", &p("evidence-2.json")]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let mut bytes = std::fs::read(p("evidence-2.json")).unwrap();
    let at = bytes.iter().position(|b| *b == b'"').unwrap() + 1;
    bytes[at] ^= 0x01;
    std::fs::write(p("tampered.json"), bytes).unwrap();
    assert_eq!(
        uproot(&["evidence", "check", &p("tampered.json")])
            .status
            .code(),
        Some(1)
    );
}
