//! The live removal path, for real, inside a disposable Debian system: a
//! `debootstrap --variant=minbase` tree (built once by `scripts/debootstrap-root`
//! and cached under `target/`), into which the fixture `kesl` .deb is installed
//! with the tree's own dpkg, plus its systemd unit and the Kaspersky root CA
//! (added with the tree's own `update-ca-certificates`). uproot then runs
//! *inside* the chroot as on a live host: `apt-get purge`, unit removal,
//! CA removal and `update-ca-certificates`, then `verify` and `evidence check`.
//!
//! Needs root (chroot) and Debian's package mirror the first time; a missing
//! prerequisite fails the test, it is never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn chroot(root: &Path, args: &[&str]) -> Output {
    run(Command::new("chroot")
        .arg(root)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what} failed: {}", text(&o));
    o
}

#[test]
fn live_removal_inside_a_debootstrap_chroot() {
    let euid = run(Command::new("id").arg("-u"));
    assert_eq!(
        String::from_utf8_lossy(&euid.stdout).trim(),
        "0",
        "this test needs root (chroot); CI runs as root"
    );
    let built = ok(
        run(Command::new("bash").arg(repo().join("scripts/debootstrap-root"))),
        "scripts/debootstrap-root",
    );
    let cached = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim());
    let scratch = tempfile::Builder::new()
        .prefix("uproot-chroot-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let root = scratch.path().join("root");
    ok(
        run(Command::new("cp").arg("-a").arg(&cached).arg(&root)),
        "cp -a of the cached tree",
    );

    // Install the product the way an admin would: the real .deb, its unit, its root CA.
    let src = scratch.path().join("kesl");
    ok(
        run(Command::new("cp")
            .arg("-a")
            .arg(repo().join("scripts/fixtures/deb/kesl"))
            .arg(&src)),
        "cp deb source",
    );
    ok(
        run(Command::new("chmod").args(["-R", "u=rwX,go=rX"]).arg(&src)),
        "chmod",
    );
    ok(
        run(Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&src)
            .arg(root.join("tmp/kesl.deb"))),
        "dpkg-deb --build",
    );
    ok(
        chroot(&root, &["dpkg", "-i", "/tmp/kesl.deb"]),
        "dpkg -i kesl inside the chroot",
    );
    let units = root.join("usr/lib/systemd/system");
    let wants = root.join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::create_dir_all(&wants).unwrap();
    std::fs::copy(
        repo().join("examples/linux-kesl/usr/lib/systemd/system/kesl.service"),
        units.join("kesl.service"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/kesl.service",
        wants.join("kesl.service"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("scripts/fixtures/pki/kaspersky-root.crt"),
        root.join("usr/local/share/ca-certificates/kaspersky-root.crt"),
    )
    .unwrap();
    ok(
        chroot(&root, &["update-ca-certificates"]),
        "update-ca-certificates inside the chroot",
    );
    let bundle =
        || std::fs::read_to_string(root.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    let kaspersky_pem =
        std::fs::read_to_string(repo().join("scripts/fixtures/pki/kaspersky-root.crt")).unwrap();
    let body: String = kaspersky_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let in_bundle = |b: &str| {
        b.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
            .contains(&body[..64])
    };
    assert!(in_bundle(&bundle()), "the CA was not added to the bundle");
    let benign_before = bundle().matches("BEGIN CERTIFICATE").count();

    // uproot, run inside the chroot exactly as on a live host.
    std::fs::copy(
        env!("CARGO_BIN_EXE_uproot"),
        root.join("usr/local/bin/uproot"),
    )
    .unwrap();
    let u = |args: &[&str]| {
        let mut a = vec!["/usr/local/bin/uproot"];
        a.extend_from_slice(args);
        chroot(&root, &a)
    };
    let before = u(&["scan", "--format", "json", "--output", "/before.json"]);
    assert_eq!(before.status.code(), Some(1), "{}", text(&before));
    let dry = u(&["remove"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        ok(chroot(&root, &["dpkg-query", "-W", "kesl"]), "dpkg-query")
            .status
            .success(),
        "a dry run removed kesl"
    );
    let removed = u(&["remove", "--apply", "--log", "/actions.jsonl"]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    let log = std::fs::read_to_string(root.join("actions.jsonl")).unwrap();
    assert!(
        log.contains("apt-get"),
        "the live path purges through apt: {log}"
    );

    // dpkg's own database, the unit, and the CA bundle, checked with the system's own tools.
    let q = chroot(
        &root,
        &[
            "dpkg-query",
            "-W",
            "-f",
            "${Package} ${db:Status-Abbrev}\n",
            "kesl",
        ],
    );
    assert!(
        !q.status.success() || !String::from_utf8_lossy(&q.stdout).contains(" ii"),
        "kesl still installed: {}",
        text(&q)
    );
    assert!(
        !units.join("kesl.service").exists()
            && std::fs::symlink_metadata(wants.join("kesl.service")).is_err()
    );
    assert!(
        !in_bundle(&bundle()),
        "the Kaspersky CA is still in the bundle"
    );
    assert_eq!(
        bundle().matches("BEGIN CERTIFICATE").count(),
        benign_before - 1,
        "other CAs must stay"
    );

    // Verify (no replacement protection in a minbase system) and check the evidence.
    let v = u(&[
        "verify",
        "--before",
        "/before.json",
        "--log",
        "/actions.jsonl",
        "--output",
        "/evidence.json",
        "--key-dir",
        "/var/lib/uproot",
    ]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("unprotected-after-removal"),
        "{}",
        text(&v)
    );
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("evidence.json")).unwrap())
            .unwrap();
    let verdicts = ev["payload"]["verdicts"].as_array().unwrap();
    assert!(
        verdicts
            .iter()
            .any(|x| x["verdict"] == "removed" && x["kind"] == "package"),
        "{verdicts:#?}"
    );
    assert!(
        !verdicts.iter().any(|x| x["verdict"] == "still-present"),
        "{verdicts:#?}"
    );
    let check = u(&["evidence", "check", "/evidence.json"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}
