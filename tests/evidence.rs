//! End-to-end: `uproot verify`, `uproot key` and `uproot evidence check` on
//! copies of the fixture roots, with removal done by the real tools (`dpkg
//! --root … --purge`) and the replacement product added as a real systemd
//! unit, independently of `uproot remove`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn uproot(args: &[&str]) -> Output {
    uproot_env(args, &[])
}

fn uproot_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_uproot"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run uproot")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A private copy of a fixture root (symlinks kept as they are).
fn copy_root(rel: &str, dst: &Path) -> PathBuf {
    std::fs::create_dir_all(dst).unwrap();
    let root = dst.join("root");
    let st = Command::new("cp")
        .args(["-a", s(&repo().join(rel)), s(&root)])
        .status()
        .unwrap();
    assert!(st.success());
    root
}

fn scan_to(root: &Path, out: &Path) {
    let o = uproot(&[
        "scan",
        "--root",
        s(root),
        "--format",
        "json",
        "--output",
        s(out),
    ]);
    assert!(matches!(code(&o), 0 | 1), "{}", text(&o));
}

/// `dpkg --root ROOT --purge PKG…`: the removal, done by dpkg itself.
fn dpkg_purge(root: &Path, pkgs: &[&str]) {
    let out = Command::new("dpkg")
        .args(["--root", s(root), "--force-not-root", "--purge"])
        .args(pkgs)
        .output()
        .expect("dpkg is needed for these tests");
    assert!(out.status.success(), "dpkg: {}", text(&out));
}

fn verify(
    root: &Path,
    before: &Path,
    out: &Path,
    keys: &Path,
    extra: &[&str],
) -> (i32, Value, String) {
    let mut args = vec![
        "verify",
        "--root",
        s(root),
        "--before",
        s(before),
        "--out",
        s(out),
        "--key-dir",
        s(keys),
    ];
    args.extend_from_slice(extra);
    let o = uproot(&args);
    let c = code(&o);
    assert!(c == 0 || c == 1, "verify failed: {}", text(&o));
    let record: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (c, record, text(&o))
}

fn verdict<'a>(record: &'a Value, id: &str) -> &'a str {
    record["payload"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no verdict for {id}"))["verdict"]
        .as_str()
        .unwrap()
}

/// The before-finding id of the finding with this kind and evidence key (and source, if given).
fn id_of(before: &Path, kind: &str, key: &str, source: Option<&str>) -> String {
    let r: Value = serde_json::from_slice(&std::fs::read(before).unwrap()).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["kind"] == kind
                && f["evidence"]["key"] == key
                && source.is_none_or(|src| f["evidence"]["source"] == src)
        })
        .unwrap_or_else(|| panic!("no {kind} finding {key}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An enabled `clamav-daemon.service`, as `systemctl enable` leaves it.
fn install_clamav_unit(root: &Path, enable: bool) {
    let units = root.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(
        units.join("clamav-daemon.service"),
        "[Unit]\nDescription=Clam AntiVirus userspace daemon\n\n[Service]\nExecStart=/usr/sbin/clamd --foreground=true\n\n[Install]\nWantedBy=multi-user.target\n",
    )
    .unwrap();
    if enable {
        let wants = root.join("etc/systemd/system/multi-user.target.wants");
        std::fs::create_dir_all(&wants).unwrap();
        std::os::unix::fs::symlink(
            "/usr/lib/systemd/system/clamav-daemon.service",
            wants.join("clamav-daemon.service"),
        )
        .unwrap();
    }
}

fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn partial_removal_gives_removed_remnant_and_still_present() {
    let tmp = tempfile::tempdir().unwrap();
    let root = copy_root("examples/linux-kesl", tmp.path());
    let before = tmp.path().join("before.json");
    scan_to(&root, &before);

    // Purge the package with dpkg and delete the local CA file, but leave the
    // service unit, the CA bundle (no update-ca-certificates) and the data dir.
    dpkg_purge(&root, &["kesl"]);
    std::fs::remove_file(root.join("usr/local/share/ca-certificates/kaspersky-root.crt")).unwrap();

    let ev = tmp.path().join("ev.json");
    let (c, record, out) = verify(&root, &before, &ev, &tmp.path().join("keys"), &[]);
    assert_eq!(c, 1, "{out}");
    let local_ca = id_of(
        &before,
        "certificate",
        "4671b6ad117a57ab19598ec7bfab360da4365234c26b9d676cd42f1a25cba010",
        Some("/usr/local/share/ca-certificates/kaspersky-root.crt"),
    );
    let bundle_ca = id_of(
        &before,
        "certificate",
        "4671b6ad117a57ab19598ec7bfab360da4365234c26b9d676cd42f1a25cba010",
        Some("/etc/ssl/certs/ca-certificates.crt"),
    );
    assert_eq!(verdict(&record, &local_ca), "removed");
    assert_eq!(
        verdict(&record, &bundle_ca),
        "still-present",
        "the bundle was not regenerated"
    );
    assert_eq!(
        verdict(&record, &id_of(&before, "service", "kesl.service", None)),
        "still-present"
    );
    // dpkg removed the package and its files, but KESL's data under /var/opt remains.
    assert_eq!(
        verdict(&record, &id_of(&before, "package", "kesl", None)),
        "remnant"
    );
    assert_eq!(
        verdict(
            &record,
            &id_of(
                &before,
                "file",
                "/opt/kaspersky/kesl/bin/kesl-control",
                None
            )
        ),
        "remnant"
    );
    assert_eq!(
        verdict(
            &record,
            &id_of(&before, "file", "/var/opt/kaspersky/kesl", None)
        ),
        "remnant"
    );
    let p = &record["payload"];
    assert_eq!(p["summary"]["status"], "affected");
    assert_eq!(p["summary"]["passed"], false);
    assert_eq!(p["summary"]["removed"], 1);
    assert_eq!(p["summary"]["by_vendor"]["kaspersky"]["still_present"], 6);
    assert_eq!(p["replacement"]["protected"], false);
    assert_eq!(p["host_findings"][0]["kind"], "no-replacement-protection");
    assert_eq!(p["before"]["report"]["sha256"], sha256sum(&before));
    assert_eq!(p["schema"], "uproot.evidence/1");
    assert_eq!(p["catalog"]["after"], p["catalog"]["before"]);
    assert!(out.contains("STILL-PRESENT"), "{out}");
    assert!(out.contains("NOT VERIFIED: affected"), "{out}");
    // The package is gone from dpkg's own database.
    let q = Command::new("dpkg-query")
        .args(["--admindir", s(&root.join("var/lib/dpkg")), "-W", "kesl"])
        .output()
        .unwrap();
    assert!(!q.status.success());
    let ok = uproot(&["evidence", "check", s(&ev)]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));
    // An authentic record of an unfinished removal fails --require-passed.
    let strict = uproot(&["evidence", "check", s(&ev), "--require-passed"]);
    assert_eq!(code(&strict), 1, "{}", text(&strict));
}

#[test]
fn full_removal_without_av_is_unprotected_then_clamav_makes_it_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let root = copy_root("fixtures/roots/dpkg-kesl", tmp.path());
    let before = tmp.path().join("before.json");
    scan_to(&root, &before);
    dpkg_purge(&root, &["kesl", "kesl-gui"]);
    let keys = tmp.path().join("keys");
    let log = tmp.path().join("actions.jsonl");
    std::fs::write(
        &log,
        "{\"step\":\"dpkg --purge kesl kesl-gui\",\"exit\":0}\n",
    )
    .unwrap();

    let ev1 = tmp.path().join("ev1.json");
    let (c, record, out) = verify(&root, &before, &ev1, &keys, &["--log", s(&log)]);
    assert_eq!(c, 1, "{out}");
    let p = &record["payload"];
    for v in p["verdicts"].as_array().unwrap() {
        assert_eq!(v["verdict"], "removed", "{v}");
    }
    assert_eq!(p["summary"]["removed"], 5);
    assert_eq!(p["summary"]["status"], "unprotected-after-removal");
    assert_eq!(p["replacement"]["protected"], false);
    assert_eq!(p["host_findings"][0]["kind"], "unprotected-after-removal");
    assert_eq!(p["host_findings"][0]["severity"], "high");
    assert_eq!(p["action_log"]["sha256"], sha256sum(&log));
    assert_eq!(p["action_log"]["lines"], 1);
    assert!(out.contains("unprotected-after-removal"), "{out}");

    // A ClamAV unit that is installed but not enabled does not protect.
    install_clamav_unit(&root, false);
    let ev2 = tmp.path().join("ev2.json");
    let (c, record, _) = verify(&root, &before, &ev2, &keys, &[]);
    assert_eq!(c, 1);
    let r = &record["payload"]["replacement"];
    assert_eq!(r["protected"], false);
    assert_eq!(
        r["products"][0]["detail"],
        "clamav-daemon.service (installed, not enabled)"
    );

    // Enabled, it does: everything removed and replaced.
    std::fs::remove_file(root.join("usr/lib/systemd/system/clamav-daemon.service")).unwrap();
    install_clamav_unit(&root, true);
    let ev3 = tmp.path().join("ev3.json");
    let after = tmp.path().join("after.json");
    let (c, record, out) = verify(
        &root,
        &before,
        &ev3,
        &keys,
        &["--log", s(&log), "--save-after", s(&after)],
    );
    assert_eq!(c, 0, "{out}");
    let p = &record["payload"];
    assert_eq!(p["summary"]["status"], "clean");
    assert_eq!(p["summary"]["passed"], true);
    assert_eq!(p["replacement"]["protected"], true);
    assert_eq!(p["replacement"]["products"][0]["name"], "ClamAV");
    assert_eq!(p["replacement"]["products"][0]["counts"], true);
    assert_eq!(p["host_findings"].as_array().unwrap().len(), 0);
    assert!(out.contains("VERIFIED: clean"), "{out}");
    assert_eq!(p["after"]["report"]["sha256"], sha256sum(&after));

    // The auditor's check, with every file the record names.
    let ok = uproot(&[
        "evidence",
        "check",
        s(&ev3),
        "--pubkey",
        s(&keys.join("evidence-key.pub.pem")),
        "--before",
        s(&before),
        "--after",
        s(&after),
        "--log",
        s(&log),
        "--require-passed",
    ]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));
    assert!(text(&ok).contains("VALID"), "{}", text(&ok));
    // The log is not the one the record names.
    std::fs::write(&log, "{\"step\":\"something else\",\"exit\":0}\n").unwrap();
    let bad = uproot(&["evidence", "check", s(&ev3), "--log", s(&log)]);
    assert_eq!(code(&bad), 1, "{}", text(&bad));
    assert!(text(&bad).contains("action log"), "{}", text(&bad));
}

#[test]
fn evidence_check_detects_tampering_and_the_wrong_signer() {
    let tmp = tempfile::tempdir().unwrap();
    let root = copy_root("fixtures/roots/dpkg-kesl", tmp.path());
    let before = tmp.path().join("before.json");
    scan_to(&root, &before);
    dpkg_purge(&root, &["kesl"]);
    let keys_a = tmp.path().join("a");
    let keys_b = tmp.path().join("b");
    let ev = tmp.path().join("ev.json");
    verify(&root, &before, &ev, &keys_a, &[]);

    let ok = uproot(&["evidence", "check", s(&ev)]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));

    // One byte changed, anywhere: a verdict, a digest, a space.
    let original = std::fs::read(&ev).unwrap();
    let verdict_at = find(&original, b"\"removed\"").expect("a removed verdict") + 1;
    for (at, to) in [
        (verdict_at, b'R'),
        (original.len() / 2, b'#'),
        (find(&original, b"\n  \"schema\"").unwrap() + 1, b'\t'),
    ] {
        let mut changed = original.clone();
        changed[at] = to;
        let bad = tmp.path().join(format!("bad-{at}.json"));
        std::fs::write(&bad, &changed).unwrap();
        let o = uproot(&["evidence", "check", s(&bad)]);
        assert_eq!(code(&o), 1, "byte {at}: {}", text(&o));
        assert!(text(&o).starts_with("INVALID"), "{}", text(&o));
    }

    // The same verification signed by another host's key.
    let ev_b = tmp.path().join("ev-b.json");
    verify(&root, &before, &ev_b, &keys_b, &[]);
    let a_pub = keys_a.join("evidence-key.pub.pem");
    let o = uproot(&["evidence", "check", s(&ev_b)]);
    assert_eq!(code(&o), 0, "authentic on its own: {}", text(&o));
    let o = uproot(&["evidence", "check", s(&ev_b), "--pubkey", s(&a_pub)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("not by the expected key"), "{}", text(&o));
    // Key A accepts its own record in every form `uproot key` prints.
    let shown = uproot(&["key", "--dir", s(&keys_a), "--show"]);
    let shown = text(&shown);
    let field = |name: &str| {
        shown
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    for pk in [
        s(&a_pub).to_owned(),
        field("ed25519:"),
        field("fingerprint:"),
    ] {
        let o = uproot(&["evidence", "check", s(&ev), "--pubkey", &pk]);
        assert_eq!(code(&o), 0, "--pubkey {pk}: {}", text(&o));
        let o = uproot(&["evidence", "check", s(&ev_b), "--pubkey", &pk]);
        assert_eq!(code(&o), 1, "--pubkey {pk}: {}", text(&o));
    }
    // A missing file is an error, not a verdict.
    let o = uproot(&["evidence", "check", s(&tmp.path().join("none.json"))]);
    assert_eq!(code(&o), 2);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn key_is_created_once_with_mode_0600_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let o = uproot(&["key", "--dir", s(&dir), "--show"]);
    assert_eq!(code(&o), 2, "no key yet: {}", text(&o));
    assert!(!dir.join("evidence-key.pem").exists());

    let o = uproot(&["key", "--dir", s(&dir)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("created a new evidence-signing key"));
    let private = dir.join("evidence-key.pem");
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let first = std::fs::read(&private).unwrap();
    let first_out = text(&o);
    let fingerprint = first_out
        .lines()
        .find(|l| l.starts_with("fingerprint:"))
        .unwrap()
        .to_owned();

    let o = uproot(&["key", "--dir", s(&dir)]);
    assert_eq!(code(&o), 0);
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert!(text(&o).contains(&fingerprint));
    assert_eq!(std::fs::read(&private).unwrap(), first, "never overwritten");

    // verify uses the same key and does not replace it either.
    let root = copy_root("fixtures/roots/dpkg-kesl", tmp.path());
    let before = tmp.path().join("before.json");
    scan_to(&root, &before);
    let (_, record, _) = verify(&root, &before, &tmp.path().join("ev.json"), &dir, &[]);
    assert_eq!(
        format!(
            "fingerprint:  {}",
            record["payload"]["signer"]["fingerprint"].as_str().unwrap()
        ),
        fingerprint
    );
    assert_eq!(std::fs::read(&private).unwrap(), first);

    // A private key that others can read is refused.
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = uproot(&["key", "--dir", s(&dir), "--show"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("chmod 600"), "{}", text(&o));
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();

    // $UPROOT_HOME is the default directory.
    let home = tmp.path().join("home");
    let o = uproot_env(&["key"], &[("UPROOT_HOME", &home)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(home.join("evidence-key.pem").exists());
    assert!(home.join("evidence-key.pub.pem").exists());
}

#[test]
fn verify_refuses_another_host_and_never_overwrites_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let kesl = copy_root("examples/linux-kesl", &tmp.path().join("k"));
    let other = copy_root("fixtures/roots/dpkg-kesl", &tmp.path().join("o"));
    let before = tmp.path().join("before.json");
    scan_to(&kesl, &before);
    let keys = tmp.path().join("keys");
    let ev = tmp.path().join("ev.json");
    let o = uproot(&[
        "verify",
        "--root",
        s(&other),
        "--before",
        s(&before),
        "--out",
        s(&ev),
        "--key-dir",
        s(&keys),
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("different hosts"), "{}", text(&o));
    assert!(!ev.exists());
    let (_, record, _) = verify(&other, &before, &ev, &keys, &["--allow-host-change"]);
    assert!(record["payload"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("host change"));
    let written = std::fs::read(&ev).unwrap();
    let o = uproot(&[
        "verify",
        "--root",
        s(&kesl),
        "--before",
        s(&before),
        "--out",
        s(&ev),
        "--key-dir",
        s(&keys),
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("never overwritten"), "{}", text(&o));
    assert_eq!(std::fs::read(&ev).unwrap(), written);
}

#[test]
fn macos_xprotect_is_the_replacement() {
    let tmp = tempfile::tempdir().unwrap();
    let root = copy_root("fixtures/roots/macos-clean", tmp.path());
    let before = tmp.path().join("before.json");
    scan_to(&root, &before);
    let keys = tmp.path().join("keys");
    let (c, record, _) = verify(&root, &before, &tmp.path().join("ev1.json"), &keys, &[]);
    assert_eq!(c, 1);
    assert_eq!(record["payload"]["replacement"]["platform"], "macos");
    assert_eq!(
        record["payload"]["summary"]["status"],
        "unprotected-after-removal"
    );

    let bundle =
        root.join("Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Resources");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        bundle.join("XProtect.plist"),
        "<plist version=\"1.0\"><array/></plist>\n",
    )
    .unwrap();
    let (c, record, out) = verify(&root, &before, &tmp.path().join("ev2.json"), &keys, &[]);
    assert_eq!(c, 0, "{out}");
    let r = &record["payload"]["replacement"];
    assert_eq!(r["protected"], true);
    assert_eq!(r["products"][0]["name"], "XProtect");
    assert_eq!(
        r["products"][0]["location"],
        "/Library/Apple/System/Library/CoreServices/XProtect.bundle"
    );
}

#[test]
fn windows_saved_report_a_covered_av_is_not_a_replacement() {
    let tmp = tempfile::tempdir().unwrap();
    let before = tmp.path().join("before.json");
    scan_to(&repo().join("fixtures/roots/windows-kes"), &before);
    let ev = tmp.path().join("ev.json");
    // Nothing removed yet: the same report before and after (`--report`, no rescan).
    let o = uproot(&[
        "verify",
        "--report",
        s(&before),
        "--before",
        s(&before),
        "--out",
        s(&ev),
        "--key-dir",
        s(&tmp.path().join("k")),
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let record: Value = serde_json::from_slice(&std::fs::read(&ev).unwrap()).unwrap();
    let p = &record["payload"];
    assert_eq!(p["after"]["method"], "saved-report");
    assert_eq!(
        p["after"]["report"]["sha256"],
        p["before"]["report"]["sha256"]
    );
    assert_eq!(p["summary"]["removed"], 0);
    assert_eq!(p["summary"]["status"], "affected");
    let r = &p["replacement"];
    assert_eq!(r["platform"], "windows");
    assert_eq!(
        r["protected"], false,
        "Defender is disabled and KES is covered"
    );
    let kes = r["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Kaspersky Endpoint Security for Windows")
        .unwrap();
    assert_eq!(kes["active"], true);
    assert_eq!(kes["covered"], true);
    assert_eq!(kes["counts"], false);
}
