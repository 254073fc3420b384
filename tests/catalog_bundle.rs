//! End-to-end: `uproot catalog keygen|pack|verify|diff|update` and a scan
//! that picks up the installed bundle: a new indicator shipped in a signed
//! bundle turns a clean host into a finding; tampered and untrusted bundles
//! are refused and change nothing.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{NEW_INDICATOR, NEXT_VERSION};

fn uproot(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .env("UPROOT_STATE_DIR", state)
        .args(args)
        .output()
        .expect("run uproot")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_signed_update_adds_a_finding_and_bad_bundles_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    // A host with a package no built-in rule knows.
    let host = support::host_with_new_package(tmp.path());
    let host_s = host.to_str().unwrap();
    let before = uproot(&state, &["scan", "--root", host_s, "--format", "json"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before));

    let (bundle, pubkey, dir) = support::signed_next_bundle(tmp.path());
    let trust = ["--trusted-key", pubkey.to_str().unwrap()];

    // Not trusted without the key: verify and update refuse, nothing installed.
    let v = uproot(&state, &["catalog", "verify", bundle.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    let mut args = vec!["catalog", "verify", bundle.to_str().unwrap()];
    args.extend(trust);
    let v = uproot(&state, &args);
    assert!(v.status.success(), "{}", text(&v));
    assert!(text(&v).contains(NEW_INDICATOR), "{}", text(&v));

    // The review diff names exactly the new indicator.
    let d = uproot(
        &state,
        &[
            "catalog",
            "diff",
            support::repo().join("catalog").to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    assert!(d.status.success(), "{}", text(&d));
    assert!(text(&d).contains(NEW_INDICATOR), "{}", text(&d));

    // A tampered copy (one byte of the new rule's text) is refused.
    let bytes = std::fs::read(&bundle).unwrap();
    let at = bytes
        .windows(support::NEW_PACKAGE.len())
        .position(|w| w == support::NEW_PACKAGE.as_bytes())
        .expect("rule text in the bundle");
    let mut bad = bytes.clone();
    bad[at] = b'X';
    let tampered = tmp.path().join("tampered.ucb");
    std::fs::write(&tampered, &bad).unwrap();
    let mut args = vec!["catalog", "update", tampered.to_str().unwrap()];
    args.extend(trust);
    let u = uproot(&state, &args);
    assert_eq!(u.status.code(), Some(2), "{}", text(&u));
    let still = uproot(&state, &["scan", "--root", host_s, "--format", "json"]);
    assert_eq!(still.status.code(), Some(0), "{}", text(&still));

    // The genuine bundle installs, and the same host now has a finding.
    let mut args = vec!["catalog", "update", bundle.to_str().unwrap()];
    args.extend(trust);
    let u = uproot(&state, &args);
    assert!(u.status.success(), "{}", text(&u));
    let mut args = vec!["scan", "--root", host_s, "--format", "json"];
    args.extend(trust);
    let after = uproot(&state, &args);
    assert_eq!(after.status.code(), Some(1), "{}", text(&after));
    let r: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(r["catalog"]["version"], NEXT_VERSION);
    assert_eq!(r["findings"][0]["indicator"], NEW_INDICATOR);

    // Installing it again is a downgrade (same version) and is refused.
    let mut args = vec!["catalog", "update", bundle.to_str().unwrap()];
    args.extend(trust);
    let again = uproot(&state, &args);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

/// An agency key with a password: made by `keygen --password-file`, usable
/// by `pack` only with the password, and trusted alone with
/// `--no-builtin-key` (without a `--trusted-key` nothing verifies).
#[test]
fn a_password_protected_agency_key_and_no_builtin_key() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "agency secret\n").unwrap();
    let key = tmp.path().join("agency.key");
    let k = key.to_str().unwrap();
    let pw_s = pw.to_str().unwrap();
    let g = uproot(&state, &["catalog", "keygen", k, "--password-file", pw_s]);
    assert!(g.status.success(), "{}", text(&g));
    assert!(text(&g).contains("encrypted"), "{}", text(&g));

    let catalog = support::next_catalog_dir(tmp.path());
    let c = catalog.to_str().unwrap();
    let bundle = tmp.path().join("b.ucb");
    let b = bundle.to_str().unwrap();
    let no_pw = uproot(&state, &["catalog", "pack", c, "--key", k, "-o", b]);
    assert_eq!(no_pw.status.code(), Some(2), "{}", text(&no_pw));
    assert!(
        text(&no_pw).contains("password-protected"),
        "{}",
        text(&no_pw)
    );
    assert!(!bundle.exists());
    let p = uproot(
        &state,
        &[
            "catalog",
            "pack",
            c,
            "--key",
            k,
            "--password-file",
            pw_s,
            "-o",
            b,
        ],
    );
    assert!(p.status.success(), "{}", text(&p));

    let public = format!("{k}.pub");
    let only_ours = ["--no-builtin-key", "--trusted-key", public.as_str()];
    let mut args = vec!["catalog", "verify", b];
    args.extend(only_ours);
    let v = uproot(&state, &args);
    assert!(v.status.success(), "{}", text(&v));
    let none = uproot(&state, &["catalog", "verify", b, "--no-builtin-key"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(text(&none).contains("no trusted keys"), "{}", text(&none));
}
