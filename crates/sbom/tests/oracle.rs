//! The `cyclonedx-bom` (0.8) and `spdx-rs` (0.5) crates as oracles: on every
//! corpus file they can read, they must list the same components as we do;
//! the files they cannot read are listed here, with the reason, so a new
//! release that reads more (or less) shows up as a failing test.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{cdx_vectors, corpora, expected, files};
use cyclonedx_bom::models::bom::{Bom, SpecVersion};
use cyclonedx_bom::models::component::Component;
use cyclonedx_bom::validation::Validate;
use uproot_sbom::{parse, read_file, Document, Format, Limits};

type Triple = (String, Option<String>, Option<String>);

fn ours(doc: &Document) -> Vec<Triple> {
    let mut v: Vec<Triple> = doc
        .components
        .iter()
        .map(|c| (c.name.clone(), c.version.clone(), c.purl.clone()))
        .collect();
    v.sort();
    v
}

fn flatten(list: &[Component], out: &mut Vec<Triple>) {
    for c in list {
        out.push((
            c.name.to_string(),
            c.version.as_ref().map(ToString::to_string),
            c.purl.as_ref().map(ToString::to_string),
        ));
        if let Some(nested) = &c.components {
            flatten(&nested.0, out);
        }
    }
}

fn theirs(bom: &Bom) -> Vec<Triple> {
    let mut v = Vec::new();
    if let Some(c) = &bom.components {
        flatten(&c.0, &mut v);
    }
    v.sort();
    v
}

/// cyclonedx-bom's reader for a file, by the version we detected.
fn cyclonedx_bom(path: &Path, doc: &Document) -> Result<Bom, String> {
    let bytes = std::fs::read(path).unwrap();
    let version = match doc.spec_version.as_str() {
        "1.3" => SpecVersion::V1_3,
        "1.4" => SpecVersion::V1_4,
        "1.5" => SpecVersion::V1_5,
        other => return Err(format!("no parser for CycloneDX {other}")),
    };
    match doc.format {
        Format::CycloneDxJson => Bom::parse_from_json(&bytes[..]).map_err(|e| e.to_string()),
        _ => Bom::parse_from_xml_with_version(&bytes[..], version).map_err(|e| e.to_string()),
    }
}

/// On the 371 valid CycloneDX files: where cyclonedx-bom reads a file, both
/// readers list the same (name, version, purl) components; it reads none of
/// 1.1, 1.2, 1.6 or 1.7, and of the rest fails only on the files named here.
#[test]
fn cyclonedx_bom_agrees_where_it_can_read() {
    let rows = expected("cyclonedx/EXPECTED_summary_python.txt");
    let mut agreed = 0;
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = Vec::new();
    let mut differ = Vec::new();
    for row in rows.iter().filter(|r| !r[0].contains("invalid-")) {
        let path = corpora().join(&row[0]);
        let doc = read_file(&path, &Limits::default()).unwrap();
        match cyclonedx_bom(&path, &doc) {
            Ok(bom) => {
                if theirs(&bom) == ours(&doc) {
                    agreed += 1;
                } else {
                    differ.push(row[0].clone());
                }
            }
            Err(e) if e.starts_with("no parser") => {
                *unsupported.entry(doc.spec_version.clone()).or_default() += 1;
            }
            Err(e) => failed.push(format!("{}: {e}", row[0])),
        }
    }
    assert!(
        differ.is_empty(),
        "the readers list other components for {differ:#?}"
    );
    eprintln!(
        "cyclonedx-bom: agreed on {agreed}; no parser for {unsupported:?}; failed on {failed:#?}"
    );
    // 1.1 laravel, the 1.2 bom-examples, all 1.6 and 1.7 vectors and the CBOMs.
    let expected_unsupported: BTreeMap<String, usize> =
        [("1.1", 1), ("1.2", 10), ("1.6", 97), ("1.7", 124)]
            .map(|(v, n)| (v.to_string(), n))
            .into();
    assert_eq!(unsupported, expected_unsupported);
    assert_eq!(
        failed, KNOWN_CYCLONEDX_BOM_FAILURES,
        "cyclonedx-bom failures changed"
    );
    assert_eq!(
        agreed + failed.len() + unsupported.values().sum::<usize>(),
        371
    );
}

/// Valid files cyclonedx-bom 0.8 cannot read although it has a parser for
/// their version.
const KNOWN_CYCLONEDX_BOM_FAILURES: &[&str] = &[];

/// On the invalid 1.4 and 1.5 vectors, how many cyclonedx-bom refuses
/// (parse error or failed `validate()`), against our 100%.
#[test]
fn cyclonedx_bom_on_invalid_vectors() {
    let (mut refused, mut total) = (0, 0);
    let mut accepted = Vec::new();
    for v in ["1.4", "1.5"] {
        for path in files(&cdx_vectors(v), "invalid-") {
            total += 1;
            let bytes = std::fs::read(&path).unwrap();
            let spec = if v == "1.4" {
                SpecVersion::V1_4
            } else {
                SpecVersion::V1_5
            };
            let parsed = if path.extension().is_some_and(|e| e == "json") {
                Bom::parse_from_json(&bytes[..]).map_err(|e| e.to_string())
            } else {
                Bom::parse_from_xml_with_version(&bytes[..], spec).map_err(|e| e.to_string())
            };
            match parsed {
                Err(_) => refused += 1,
                Ok(bom) if !bom.validate_version(spec).passed() => refused += 1,
                Ok(_) => accepted.push(path.file_name().unwrap().to_string_lossy().into_owned()),
            }
            let ours = read_file(&path, &Limits::default());
            assert!(
                ours.is_err() || !ours.unwrap().violations.is_empty(),
                "{}",
                path.display()
            );
        }
    }
    eprintln!(
        "cyclonedx-bom refuses {refused} of {total} invalid 1.4/1.5 vectors; accepts {accepted:#?}"
    );
    assert_eq!(total, 92);
    assert!(
        refused < total,
        "cyclonedx-bom now refuses every invalid vector: revisit the crate doc"
    );
}

/// spdx-rs reads all 33 corpus files and lists the packages we list.
#[test]
fn spdx_rs_agrees_on_every_corpus_file() {
    let rows = expected("spdx/EXPECTED_summary_python.txt");
    for row in &rows {
        let path = corpora().join(&row[0]);
        let text = std::fs::read_to_string(&path).unwrap();
        let theirs = if row[0].ends_with(".json") {
            serde_json::from_str::<spdx_rs::models::SPDX>(&text).map_err(|e| e.to_string())
        } else {
            spdx_rs::parsers::spdx_from_tag_value(&text).map_err(|e| e.to_string())
        }
        .unwrap_or_else(|e| panic!("spdx-rs: {}: {e}", row[0]));
        let mut want: Vec<(String, Option<String>)> = theirs
            .package_information
            .iter()
            .map(|p| (p.package_name.clone(), p.package_version.clone()))
            .collect();
        want.sort();
        let doc = read_file(&path, &Limits::default()).unwrap();
        let mut got: Vec<(String, Option<String>)> = doc
            .subject
            .iter()
            .chain(&doc.components)
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        got.sort();
        assert_eq!(got, want, "{}", row[0]);
        // spdx-rs adds a CONTAINS relationship of its own for each file that
        // follows a package in tag-value; JSON it takes as written.
        if row[0].ends_with(".json") {
            assert_eq!(doc.dependencies, theirs.relationships.len(), "{}", row[0]);
        }
    }
}

/// Why spdx-rs is not the runtime reader: it takes a file of garbage for an
/// empty tag-value document and an unclosed `<text>` without a word, and
/// refuses a whole JSON document over one missing field.
#[test]
fn spdx_rs_cannot_report_bad_input() {
    let garbage = "hello\nworld\n";
    let doc = spdx_rs::parsers::spdx_from_tag_value(garbage).expect("spdx-rs accepts garbage");
    assert!(doc.package_information.is_empty());
    let e = parse(garbage.as_bytes(), "garbage.spdx", &Limits::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("garbage.spdx: not a recognised SBOM"),
        "{e}"
    );

    let unclosed = "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nPackageName: a\nSPDXID: SPDXRef-a\nPackageComment: <text>never closed\n";
    // spdx-rs keeps the package and says nothing of the broken value.
    let theirs = spdx_rs::parsers::spdx_from_tag_value(unclosed).expect("spdx-rs accepts it");
    assert_eq!(theirs.package_information.len(), 1);
    let e = parse(unclosed.as_bytes(), "u.spdx", &Limits::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "u.spdx: line 5: <text> of PackageComment is not closed before the end of the file"
    );

    let json = r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[
        {"SPDXID":"SPDXRef-a","name":"kesl","versionInfo":"12","supplier":"Organization: AO Kaspersky Lab"}]}"#;
    let e = serde_json::from_str::<spdx_rs::models::SPDX>(json).unwrap_err();
    assert!(e.to_string().contains("downloadLocation"), "{e}");
    let doc = parse(json.as_bytes(), "k.spdx.json", &Limits::default()).unwrap();
    assert_eq!(doc.subject, None);
    assert_eq!(doc.components.len(), 1);
    assert_eq!(
        doc.components[0].supplier.as_deref(),
        Some("AO Kaspersky Lab")
    );
    assert_eq!(
        doc.violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["/packages/0: a package needs a downloadLocation"]
    );
}

/// Why cyclonedx-bom is not the runtime reader (besides 1.6 and 1.7): one
/// unknown enumeration value loses the whole document, covered component
/// included; we keep both components and report the value.
#[test]
fn cyclonedx_bom_loses_the_document_over_one_value() {
    let json = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"kesl","version":"12","supplier":{"name":"AO Kaspersky Lab"}},
        {"type":"widget","name":"other","version":"1"}]}"#;
    assert!(Bom::parse_from_json(&json[..]).is_err());
    let doc = parse(json, "b.json", &Limits::default()).unwrap();
    assert_eq!(doc.components.len(), 2);
    assert_eq!(
        doc.components[0].supplier.as_deref(),
        Some("AO Kaspersky Lab")
    );
    assert_eq!(doc.violations.len(), 1);
    assert!(doc.violations[0]
        .to_string()
        .starts_with("/components/1: component type \"widget\""));
}
