//! The CycloneDX writer against the official CycloneDX 1.5 JSON schema.
//!
//! The schema is not vendored: `scripts/cdx-validate` installs the CycloneDX
//! project's own Python library, cyclonedx-python-lib (Apache-2.0,
//! github.com/CycloneDX/cyclonedx-python-lib, pinned in the script), which
//! bundles bom-1.5.schema.json, spdx.schema.json and jsf-0.82.schema.json
//! from github.com/CycloneDX/specification (Apache-2.0) and validates with
//! its strict JSON validator. The validator is proven live by a BOM that must
//! fail. Setting it up needs python3 with venv and the package registry; when
//! that fails this test fails, it never skips.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use uproot_report::cyclonedx::{self, Options};

fn script() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cdx-validate");
    assert!(p.is_file(), "{} is missing", p.display());
    p
}

/// Runs the validator on `files`: (exit success, stdout + stderr).
fn validate(files: &[&Path]) -> (bool, String) {
    let out = Command::new("bash")
        .arg(script())
        .args(files)
        .output()
        .expect("bash runs scripts/cdx-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Exit 2 is "the validator could not be set up": a broken environment, not a verdict.
    assert_ne!(
        out.status.code(),
        Some(2),
        "scripts/cdx-validate could not set up the CycloneDX validator:\n{text}"
    );
    (out.status.success(), text)
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

#[test]
fn the_bom_is_valid_cyclonedx_1_5_and_broken_boms_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let r = support::report();
    assert!(
        r.findings.len() >= 5,
        "the report exercises findings: {:#?}",
        r.findings
    );

    let host = dir.path().join("host.cdx.json");
    std::fs::write(&host, r.to_cyclonedx()).unwrap();
    let image = dir.path().join("image.cdx.json");
    let opts = Options {
        image: Some("acme-app.tar".into()),
    };
    std::fs::write(&image, cyclonedx::to_json(&r, &opts)).unwrap();
    // An empty report (no packages, no findings) must be valid too.
    let empty = dir.path().join("empty.cdx.json");
    let blank = uproot_report::Report::new(
        Default::default(),
        Default::default(),
        Default::default(),
        vec![],
        vec![],
        "2026-11-29T10:00:00Z".into(),
    );
    std::fs::write(&empty, blank.to_cyclonedx()).unwrap();

    let (ok, text) = validate(&[&host, &image, &empty]);
    assert!(ok, "uproot's BOMs must validate:\n{text}");
    assert_eq!(text.matches("valid CycloneDX 1.5").count(), 3, "{text}");

    // The validator is live: each of these must fail, for the reason given.
    let good: Value = serde_json::from_str(&r.to_cyclonedx()).unwrap();
    let mut bad_type = good.clone();
    bad_type["components"][0]["type"] = "cryptographic-asset".into();
    let mut bad_serial = good.clone();
    bad_serial["serialNumber"] = "urn:uuid:not-a-uuid".into();
    let mut bad_field = good.clone();
    bad_field["components"][0]["manufacturer"] = serde_json::json!({"name": "only in 1.6"});
    for (name, v, why) in [
        ("bad-type.json", bad_type, "cryptographic-asset"),
        ("bad-serial.json", bad_serial, "not-a-uuid"),
        ("bad-field.json", bad_field, "manufacturer"),
    ] {
        let p = write(dir.path(), name, &v);
        let (ok, text) = validate(&[&p]);
        assert!(!ok, "{name} must fail validation:\n{text}");
        assert!(
            text.contains("INVALID") && text.contains(why),
            "{name}: {text}"
        );
    }
}

const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpora");

/// The validator agrees with the CycloneDX project's own 1.5 test vectors
/// (CycloneDX/specification tools/src/test/resources/1.5, Apache-2.0, read
/// from shared/corpora): every `valid-*.json` passes, every `invalid-*.json` fails.
#[test]
fn the_validator_agrees_with_the_official_1_5_test_vectors() {
    let dir = Path::new(CORPORA).join("cyclonedx/specification/tools/src/test/resources/1.5");
    assert!(
        dir.is_dir(),
        "{}: missing (shared/corpora must be beside the repository)",
        dir.display()
    );
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        if name.starts_with("valid-") {
            valid.push(p);
        } else if name.starts_with("invalid-") {
            invalid.push(p);
        }
    }
    valid.sort();
    invalid.sort();
    assert!(
        valid.len() >= 30 && invalid.len() >= 20,
        "{} valid, {} invalid",
        valid.len(),
        invalid.len()
    );

    let refs: Vec<&Path> = valid.iter().map(PathBuf::as_path).collect();
    let (ok, text) = validate(&refs);
    assert!(ok, "official valid vectors must pass:\n{text}");
    assert_eq!(
        text.matches("valid CycloneDX 1.5").count(),
        valid.len(),
        "{text}"
    );

    // Each file gets its own verdict line, so each must fail on its own.
    let refs: Vec<&Path> = invalid.iter().map(PathBuf::as_path).collect();
    let (ok, text) = validate(&refs);
    assert!(!ok, "{text}");
    assert_eq!(text.matches(": INVALID").count(), invalid.len(), "{text}");
}
