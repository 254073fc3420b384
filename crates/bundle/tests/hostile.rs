//! Hostile bundles: every one is refused with an error, never a panic, and
//! before any file name is used.

mod common;

use common::*;
use uproot_bundle::{install, verify, BundleError, MAX_BUNDLE_BYTES, MAX_FILES};

fn malformed(bytes: &[u8]) -> String {
    match verify(bytes, &common::test_trusted()) {
        Err(BundleError::Malformed(m)) => m,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn signed_bundle() -> (tempfile::TempDir, Vec<u8>) {
    let tmp = tempfile::tempdir().unwrap();
    let key = test_key(tmp.path());
    let dir = catalog_dir(tmp.path(), "next", "2026.12.01", true);
    let b = pack_with(&dir, &key, 0);
    (tmp, b)
}

#[test]
fn garbage_and_truncations_are_malformed() {
    for input in [
        &b""[..],
        b"{}",
        b"null",
        b"\xff\xfe",
        b"[1,2,3]",
        b"{\"format\":1}",
    ] {
        malformed(input);
    }
    let (_tmp, b) = signed_bundle();
    for cut in [1, b.len() / 3, b.len() / 2, b.len() - 3] {
        assert!(verify(&b[..cut], &common::test_trusted()).is_err());
    }
}

#[test]
fn oversized_bundles_are_refused_before_parsing() {
    let big = vec![b' '; MAX_BUNDLE_BYTES + 1];
    assert!(malformed(&big).contains("allowed"));
}

#[test]
fn path_traversal_and_foreign_names_are_refused() {
    let (tmp, b) = signed_bundle();
    for name in [
        "../catalog.toml",
        "vendors/../../etc/passwd",
        "/etc/cron.d/x.toml",
        "vendors/../catalog.toml",
        "vendors/a/b.toml",
        "vendors/.toml",
        "vendors/x.toml\0",
        "vendors\\x.toml",
        "other.toml",
        "vendors/-x.toml",
        "",
    ] {
        let bad = edit(&b, |v| {
            v["files"].as_array_mut().unwrap().push(serde_json::json!({
                "path": name, "text": "[catalog]\nversion = \"9999.1.1\"\n"
            }))
        });
        let m = malformed(&bad);
        assert!(m.contains("not allowed"), "{name:?}: {m}");
        let state = tmp.path().join("state");
        assert!(install(&bad, &common::test_trusted(), &state).is_err());
    }
    assert!(!tmp.path().join("etc").exists());
}

#[test]
fn too_many_files_are_refused() {
    let (_tmp, b) = signed_bundle();
    let bad = edit(&b, |v| {
        let files = v["files"].as_array_mut().unwrap();
        for i in 0..=MAX_FILES {
            files.push(serde_json::json!({"path": format!("vendors/x{i}.toml"), "text": ""}));
        }
    });
    assert!(malformed(&bad).contains("files"));
}

#[test]
fn an_extra_or_missing_or_duplicate_file_is_tampering() {
    let (_tmp, b) = signed_bundle();
    let extra = edit(&b, |v| {
        v["files"].as_array_mut().unwrap().push(serde_json::json!({
            "path": "vendors/extra.toml", "text": ""
        }))
    });
    assert!(matches!(
        verify(&extra, &common::test_trusted()),
        Err(BundleError::Tampered { path, .. }) if path == "vendors/extra.toml"
    ));
    let missing = edit(&b, |v| {
        v["files"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["path"] != "vendors/zte.toml");
    });
    assert!(matches!(
        verify(&missing, &common::test_trusted()),
        Err(BundleError::Tampered { path, .. }) if path == "vendors/zte.toml"
    ));
    let dup = edit(&b, |v| {
        let files = v["files"].as_array_mut().unwrap();
        let first = files[0].clone();
        files.push(first);
    });
    assert!(matches!(
        verify(&dup, &common::test_trusted()),
        Err(BundleError::Tampered { .. })
    ));
}

#[test]
fn unknown_fields_and_other_formats_are_refused() {
    let (_tmp, b) = signed_bundle();
    let bad = edit(&b, |v| v["extra"] = true.into());
    malformed(&bad);
    let bad = edit(&b, |v| v["format"] = "uproot.catalog-bundle/2".into());
    malformed(&bad);
}

#[test]
fn pack_refuses_a_catalog_that_does_not_lint_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let key = test_key(tmp.path());
    let dir = catalog_dir(tmp.path(), "bad", "2026.12.01", false);
    let mut zte = std::fs::read_to_string(dir.join("vendors/zte.toml")).unwrap();
    zte.push_str(
        "\n[[vendor.indicator]]\nid = \"zte.zte-any.unsourced\"\nproduct = \"zte-any\"\nkind = \"package\"\nmatch = { name = [\"x\"] }\n",
    );
    std::fs::write(dir.join("vendors/zte.toml"), zte).unwrap();
    let err = uproot_bundle::pack(&dir, &key, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("missing-source"), "{err}");
    // A vendor file name that a bundle could not carry is refused at pack time.
    let dir = catalog_dir(tmp.path(), "badname", "2026.12.01", false);
    std::fs::write(dir.join("vendors/has space.toml"), "").unwrap();
    assert!(uproot_bundle::pack(&dir, &key, &Default::default()).is_err());
}
