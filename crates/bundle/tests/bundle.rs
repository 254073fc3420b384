//! Signed catalog bundles end to end: pack, verify, tamper, install,
//! downgrade, and a stored scan whose findings change after an update.

mod common;

use common::*;
use uproot_bundle::{
    diff, install, load_installed, verify, BundleError, Catalog, Change, TrustedKeys, BUNDLE_FILE,
};
use uproot_inventory::{Inventory, Package, PackageSource};

const NEXT: &str = "2026.12.01";

struct Fixture {
    tmp: tempfile::TempDir,
    bundle: Vec<u8>,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let key = test_key(tmp.path());
    let dir = catalog_dir(tmp.path(), "next", NEXT, true);
    let bundle = pack_with(&dir, &key, 0);
    Fixture { tmp, bundle }
}

fn trusted() -> TrustedKeys {
    common::test_trusted()
}

#[test]
fn a_packed_bundle_verifies_and_records_what_it_changed() {
    let f = fixture();
    let v = verify(&f.bundle, &trusted()).unwrap();
    assert_eq!(v.version.to_string(), NEXT);
    assert_eq!(v.catalog.version(), NEXT);
    assert_eq!(v.key_id, trusted().key_ids()[0]);
    assert!(v
        .trusted_comment
        .starts_with("uproot.catalog-bundle/1 version=2026.12.01 "));
    assert_eq!(v.manifest.created, "2026-12-01T00:00:00Z");
    assert_eq!(v.manifest.files[0].path, "catalog.toml");
    assert_eq!(v.manifest.files[1].path, "authorities.toml");
    assert!(v.manifest.files.iter().all(|e| e.sha256.len() == 64));
    let ch = &v.manifest.changes;
    assert_eq!(ch.indicators.len(), 1, "{ch}");
    assert_eq!(ch.indicators[0].id, NEW_INDICATOR);
    assert_eq!(ch.indicators[0].change, Change::Added);
    assert_eq!(ch.indicators[0].source.as_deref(), Some(NEW_SOURCE));
}

#[test]
fn diff_shows_exactly_the_added_indicator() {
    let f = fixture();
    let v = verify(&f.bundle, &trusted()).unwrap();
    let d = diff(&Catalog::builtin().unwrap(), &v.catalog);
    assert!(
        d.authorities.is_empty() && d.vendors.is_empty() && d.products.is_empty(),
        "{d}"
    );
    assert_eq!(d.indicators.len(), 1);
    let text = d.render();
    assert_eq!(
        text,
        format!(
            "catalog {} -> {NEXT}\n\
             + indicator {NEW_INDICATOR} [package] (zte)\n    source: {NEW_SOURCE}\n\
             1 indicator(s) added, 0 removed, 0 changed\n",
            Catalog::builtin().unwrap().version()
        )
    );
    // And the reverse direction is a removal.
    let back = diff(&v.catalog, &Catalog::builtin().unwrap());
    assert_eq!(back.indicators[0].change, Change::Removed);
    // A directory loads to the same catalog as the bundle made from it.
    let dir = catalog_dir(f.tmp.path(), "again", NEXT, true);
    let from_dir = uproot_bundle::load_dir(&dir).unwrap();
    assert!(diff(&from_dir, &v.catalog).is_empty());
    assert_eq!(from_dir.version(), NEXT);
    // A catalog against itself differs in nothing.
    assert!(diff(&v.catalog, &v.catalog).is_empty());
}

#[test]
fn one_changed_byte_in_a_file_is_rejected() {
    let f = fixture();
    let bad = replace_once(&f.bundle, NEW_PACKAGE, "zxhn-tr069-agenu");
    let err = verify(&bad, &trusted()).unwrap_err();
    assert!(
        matches!(&err, BundleError::Tampered { path, .. } if path == "vendors/zte.toml"),
        "{err}"
    );
}

#[test]
fn one_changed_byte_in_the_signature_is_rejected() {
    let f = fixture();
    let bad = edit(&f.bundle, |v| {
        let sig = v["signature"].as_str().unwrap().to_owned();
        let mut lines: Vec<String> = sig.lines().map(str::to_owned).collect();
        // A character in the middle of the ed25519 signature itself.
        let mut b = lines[1].clone().into_bytes();
        b[60] = if b[60] == b'A' { b'B' } else { b'A' };
        lines[1] = String::from_utf8(b).unwrap();
        v["signature"] = (lines.join("\n") + "\n").into();
    });
    let err = verify(&bad, &trusted()).unwrap_err();
    assert!(matches!(err, BundleError::Signature(_)), "{err}");
    // The trusted comment is signed too.
    let bad = edit(&f.bundle, |v| {
        let sig = v["signature"]
            .as_str()
            .unwrap()
            .replace("version=2026.12.01", "version=2026.12.09");
        v["signature"] = sig.into();
    });
    let err = verify(&bad, &trusted()).unwrap_err();
    assert!(matches!(err, BundleError::Signature(_)), "{err}");
}

#[test]
fn an_edited_manifest_hash_is_rejected() {
    let f = fixture();
    // Change a file and update its hash and size in the manifest to match:
    // only the signature can catch this.
    let changed = replace_once(&f.bundle, NEW_PACKAGE, "zxhn-tr069-agenu");
    let bad = edit(&changed, |v| {
        let mut m: serde_json::Value =
            serde_json::from_str(v["manifest"].as_str().unwrap()).unwrap();
        let zte = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "vendors/zte.toml")
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned();
        for e in m["files"].as_array_mut().unwrap() {
            if e["path"] == "vendors/zte.toml" {
                e["sha256"] = uproot_bundle::sha256_hex(zte.as_bytes()).into();
            }
        }
        v["manifest"] = serde_json::to_string_pretty(&m).unwrap().into();
    });
    let err = verify(&bad, &trusted()).unwrap_err();
    assert!(matches!(err, BundleError::Signature(_)), "{err}");
}

#[test]
fn a_bundle_signed_with_another_key_is_rejected() {
    let f = fixture();
    let (other, other_trusted) = other_key(f.tmp.path());
    let dir = catalog_dir(f.tmp.path(), "other", NEXT, true);
    let bundle = pack_with(&dir, &other, 0);
    // It is a good bundle for whoever trusts that key…
    verify(&bundle, &other_trusted).unwrap();
    // …but not for us.
    let err = verify(&bundle, &trusted()).unwrap_err();
    assert!(matches!(err, BundleError::Signature(_)), "{err}");
    assert!(err.to_string().contains("not trusted"), "{err}");
    // Nor with no keys at all.
    assert!(verify(&f.bundle, &TrustedKeys::empty()).is_err());
    let state = f.tmp.path().join("state");
    assert!(install(&bundle, &trusted(), &state).is_err());
    assert!(!state.join(BUNDLE_FILE).exists());
}

#[test]
fn an_unsigned_bundle_is_rejected() {
    let f = fixture();
    for strip in [serde_json::Value::Null, "".into()] {
        let bad = edit(&f.bundle, |v| v["signature"] = strip.clone());
        let err = verify(&bad, &trusted()).unwrap_err();
        assert!(matches!(err, BundleError::Unsigned), "{err}");
    }
    let bad = edit(&f.bundle, |v| {
        v.as_object_mut().unwrap().remove("signature");
    });
    assert!(matches!(
        verify(&bad, &trusted()),
        Err(BundleError::Unsigned)
    ));
    let state = f.tmp.path().join("state");
    assert!(matches!(
        install(&bad, &trusted(), &state),
        Err(BundleError::Unsigned)
    ));
}

#[test]
fn downgrades_and_reinstalls_are_rejected() {
    let f = fixture();
    let key = test_key(f.tmp.path());
    let state = f.tmp.path().join("state");

    // The built-in version itself is not an update, even with a serial.
    let same_as_builtin = Catalog::builtin().unwrap().version();
    let dir = catalog_dir(f.tmp.path(), "same", &same_as_builtin, true);
    for serial in [0, 5] {
        let b = pack_with(&dir, &key, serial);
        let err = install(&b, &trusted(), &state).unwrap_err();
        assert!(
            matches!(
                err,
                BundleError::Downgrade {
                    against: "built-in",
                    ..
                }
            ),
            "{err}"
        );
    }
    let older = catalog_dir(f.tmp.path(), "older", "2026.11.01", true);
    let err = install(&pack_with(&older, &key, 0), &trusted(), &state).unwrap_err();
    assert!(matches!(err, BundleError::Downgrade { .. }), "{err}");

    let done = install(&f.bundle, &trusted(), &state).unwrap();
    assert_eq!(done.version.to_string(), NEXT);
    assert!(done.previous.is_none());
    assert_eq!(done.path, state.join(BUNDLE_FILE));

    // The same bundle again is refused.
    let err = install(&f.bundle, &trusted(), &state).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Downgrade {
                against: "installed",
                ..
            }
        ),
        "{err}"
    );
    // An older one that is still newer than the built-in catalog is refused.
    let between = catalog_dir(f.tmp.path(), "between", "2026.11.30", true);
    let err = install(&pack_with(&between, &key, 0), &trusted(), &state).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Downgrade {
                against: "installed",
                ..
            }
        ),
        "{err}"
    );
    // A re-issue of the installed version with a higher serial is accepted.
    let next = catalog_dir(f.tmp.path(), "reissue", NEXT, true);
    let done = install(&pack_with(&next, &key, 1), &trusted(), &state).unwrap();
    assert_eq!(done.version.to_string(), "2026.12.01-s1");
    assert_eq!(done.previous.unwrap().to_string(), NEXT);
    // And the file on disk is the last good one.
    let on_disk = std::fs::read(state.join(BUNDLE_FILE)).unwrap();
    assert_eq!(verify(&on_disk, &trusted()).unwrap().version.serial, 1);
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(BUNDLE_FILE)]);
}

/// A stored `uproot.report/1` document: the scan is not run again, only
/// re-matched with the catalog in force.
fn stored_report(dir: &std::path::Path) -> std::path::PathBuf {
    let mut inv = Inventory::default();
    inv.packages.push(Package::new(
        NEW_PACKAGE,
        "3.2.1",
        PackageSource::Dpkg,
        "/var/lib/dpkg/status",
    ));
    inv.packages.push(Package::new(
        "openssh-server",
        "1:9.6p1-3",
        PackageSource::Dpkg,
        "/var/lib/dpkg/status",
    ));
    let report = serde_json::json!({
        "schema": "uproot.report/1",
        "catalog": { "version": Catalog::builtin().unwrap().version() },
        "inventory": inv,
        "findings": [],
    });
    let path = dir.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    path
}

fn findings(catalog: &Catalog, report: &std::path::Path) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    assert_eq!(doc["schema"], "uproot.report/1");
    let inv: Inventory = serde_json::from_value(doc["inventory"].clone()).unwrap();
    let compiled = catalog.compile().unwrap();
    uproot_matcher::match_inventory(&compiled, &inv)
        .into_iter()
        .map(|f| format!("{} {}", f.indicator, f.vendor))
        .collect()
}

#[test]
fn a_valid_update_changes_the_findings_of_a_stored_scan() {
    let f = fixture();
    let report = stored_report(f.tmp.path());
    let state = f.tmp.path().join("state");

    assert!(load_installed(&state, &trusted()).unwrap().is_none());
    let before = findings(&Catalog::builtin().unwrap(), &report);
    assert!(before.is_empty(), "{before:?}");

    install(&f.bundle, &trusted(), &state).unwrap();
    let catalog = load_installed(&state, &trusted())
        .unwrap()
        .expect("installed");
    assert_eq!(catalog.version(), NEXT);
    let after = findings(&catalog, &report);
    assert_eq!(after, vec![format!("{NEW_INDICATOR} zte")]);
}

#[test]
fn an_installed_bundle_edited_on_disk_is_not_used() {
    let f = fixture();
    let state = f.tmp.path().join("state");
    install(&f.bundle, &trusted(), &state).unwrap();
    let path = state.join(BUNDLE_FILE);
    let bad = replace_once(
        &std::fs::read(&path).unwrap(),
        NEW_PACKAGE,
        "zxhn-tr069-agenu",
    );
    std::fs::write(&path, bad).unwrap();
    let err = load_installed(&state, &trusted()).unwrap_err();
    assert!(matches!(err, BundleError::Tampered { .. }), "{err}");
    // With the key no longer trusted, the installed bundle is refused too.
    std::fs::write(&path, &f.bundle).unwrap();
    assert!(load_installed(&state, &TrustedKeys::empty()).is_err());
    // A good bundle may replace one that no longer verifies.
    std::fs::write(&path, b"garbage").unwrap();
    install(&f.bundle, &trusted(), &state).unwrap();
}
