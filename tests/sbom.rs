//! End-to-end: `uproot sbom` on CycloneDX and SPDX documents, written here
//! and taken from the shared corpus: covered components found with the path
//! that pulls them in, clean SBOMs clean, invalid ones reported by element.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora")
        .join(rel);
    assert!(
        p.exists(),
        "{}: the shared corpora must sit beside the repository",
        p.display()
    );
    p
}

fn sbom_json(files: &[&Path]) -> (i32, Value) {
    let mut args = vec!["sbom", "--format", "json"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let out = uproot(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    (out.status.code().unwrap(), json)
}

/// A product BOM in which an integrator's SDK embeds a Kaspersky engine, and
/// which also ships Huawei's push SDK from Maven.
const PRODUCT_BOM: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "application", "bom-ref": "app", "name": "acme-app", "version": "2.3"}},
  "components": [
    {"type": "library", "bom-ref": "sdk", "name": "vendor-sdk", "version": "1.0",
     "supplier": {"name": "Example Integrator Ltd"},
     "components": [
       {"type": "library", "bom-ref": "engine", "name": "av-engine", "version": "8.1",
        "supplier": {"name": "AO Kaspersky Lab"}, "purl": "pkg:generic/av-engine@8.1"}
     ]},
    {"type": "library", "bom-ref": "push", "group": "com.huawei.hms", "name": "push", "version": "6.11.0.300",
     "purl": "pkg:maven/com.huawei.hms/push@6.11.0.300"},
    {"type": "library", "bom-ref": "kaspresso", "group": "com.kaspersky.android-components", "name": "kaspresso",
     "version": "1.5.3", "supplier": {"name": "KasperskyLab"},
     "purl": "pkg:maven/com.kaspersky.android-components/kaspresso@1.5.3"}
  ],
  "dependencies": [
    {"ref": "app", "dependsOn": ["sdk", "push", "kaspresso"]},
    {"ref": "sdk", "dependsOn": ["engine"]}
  ]
}"#;

const CAMERA_SPDX: &str = "SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: nvr-firmware
DocumentNamespace: https://example.com/spdx/nvr-firmware-1
Creator: Tool: handwritten
Created: 2026-11-01T00:00:00Z

PackageName: nvr-firmware
SPDXID: SPDXRef-fw
PackageVersion: 4.2
PackageDownloadLocation: NOASSERTION
PackageSupplier: Organization: Example Integrator Ltd

PackageName: hcnetsdk
SPDXID: SPDXRef-sdk
PackageVersion: 6.1.9
PackageDownloadLocation: NOASSERTION
PackageSupplier: Organization: Hangzhou Hikvision Digital Technology Co., Ltd.

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-fw
Relationship: SPDXRef-fw CONTAINS SPDXRef-sdk
";

#[test]
fn covered_components_are_found_with_the_path_that_pulls_them_in() {
    let tmp = tempfile::tempdir().unwrap();
    // Neither name says what the file is: detection is by content.
    let bom = tmp.path().join("product.txt");
    std::fs::write(&bom, PRODUCT_BOM).unwrap();
    let spdx = tmp.path().join("firmware.dat");
    std::fs::write(&spdx, CAMERA_SPDX).unwrap();
    let (code, r) = sbom_json(&[&bom, &spdx]);
    assert_eq!(code, 1, "{r:#}");
    let f = r["findings"].as_array().unwrap();
    assert!(f.iter().all(|x| x["kind"] == "sbom-component"), "{f:#?}");
    let by_vendor = |v: &str| {
        f.iter()
            .find(|x| x["vendor"] == v)
            .unwrap_or_else(|| panic!("no {v} finding: {f:#?}"))
    };
    let kas = by_vendor("kaspersky");
    assert_eq!(kas["evidence"]["source"], bom.to_str().unwrap());
    assert_eq!(
        kas["evidence"]["detail"]["path"],
        "acme-app@2.3 > vendor-sdk@1.0 > av-engine@8.1"
    );
    let hw = by_vendor("huawei");
    assert!(hw["evidence"]["detail"]["path"]
        .as_str()
        .unwrap()
        .starts_with("acme-app@2.3 > "));
    let hik = by_vendor("hikvision");
    assert_eq!(hik["evidence"]["source"], spdx.to_str().unwrap());
    assert_eq!(
        hik["evidence"]["detail"]["path"],
        "nvr-firmware@4.2 > hcnetsdk@6.1.9"
    );
    // Kaspresso is open source from the KasperskyLab GitHub organisation,
    // not a product of AO Kaspersky Lab: it must not be flagged.
    assert!(
        !f.iter().any(|x| x["evidence"]["key"]
            .as_str()
            .unwrap_or("")
            .contains("kaspresso")),
        "{f:#?}"
    );
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!(
        r["inventory"]["sbom_components"].as_array().unwrap().len(),
        7
    );
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r:#}");
    // Every output format carries the findings.
    for (format, needle) in [
        ("sarif", "av-engine"),
        ("csv", "sbom-component"),
        ("table", "av-engine"),
    ] {
        let out = uproot(&["sbom", "--format", format, bom.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{format} output lacks {needle}"
        );
    }
}

#[test]
fn real_clean_sboms_are_clean_in_every_format_and_version() {
    for rel in [
        "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml",
        "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json",
        "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.xml",
        "spdx/spdx-spec-2.3.1/SPDXJSONExample-v2.3.spdx.json",
        "spdx/spdx-spec-2.3.1/SPDXTagExample-v2.3.spdx",
    ] {
        let (code, r) = sbom_json(&[&corpus(rel)]);
        assert_eq!(code, 0, "{rel}: {:#}", r["errors"]);
        assert!(
            !r["inventory"]["sbom_components"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{rel}: no components read"
        );
    }
}

#[test]
fn invalid_and_unreadable_sboms_are_errors_naming_the_file_and_element() {
    let invalid =
        corpus("cyclonedx/specification/tools/src/test/resources/1.6/invalid-hash-md5-1.6.json");
    let (code, r) = sbom_json(&[&invalid]);
    assert_eq!(code, 2, "{r:#}");
    let errors = r["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["source"] == invalid.to_str().unwrap()
                && e["message"].as_str().unwrap().contains("/hashes/")),
        "{errors:#?}"
    );
    // --no-validate reads the same file without complaint.
    let out = uproot(&["sbom", "--no-validate", invalid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));

    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, "{\"bomFormat\": \"CycloneDX\", \"components\": [").unwrap();
    let missing = tmp.path().join("missing.json");
    let (code, r) = sbom_json(&[&garbage, &missing]);
    assert_eq!(code, 2);
    let sources: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert!(sources.contains(&garbage.to_str().unwrap()), "{sources:?}");
    assert!(sources.contains(&missing.to_str().unwrap()), "{sources:?}");

    // Over the size limit: refused before it is read.
    let big = tmp.path().join("big.json");
    std::fs::write(&big, vec![b' '; 4096]).unwrap();
    let out = uproot(&[
        "sbom",
        "--max-bytes",
        "1024",
        "--format",
        "json",
        big.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4096") && text.contains("1024"), "{text}");
}
