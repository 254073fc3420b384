//! SPDX 2.2/2.3 against the real corpus: the specification's examples
//! (copied, CC-BY-3.0) and spdx-examples (GPL-3.0: read from ../shared at
//! test time, never copied), compared with `EXPECTED_summary_python.txt`.

mod common;

use common::{corpora, expected};
use uproot_inventory::SbomComponent;
use uproot_sbom::{read_file, Document, Format, Limits};

/// Every package of the document, the subject included, sorted.
fn packages(doc: &Document) -> Vec<&SbomComponent> {
    let mut all: Vec<&SbomComponent> = doc.subject.iter().chain(&doc.components).collect();
    all.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    all
}

#[test]
fn every_spdx_file_has_the_expected_packages_and_relationships() {
    let rows = expected("spdx/EXPECTED_summary_python.txt");
    assert_eq!(rows.len(), 33);
    let mut failures = Vec::new();
    let (mut json, mut tag_value) = (0, 0);
    for row in &rows {
        let [file, version, count, _files, relationships, names] = &row[..] else {
            panic!("bad expected row {row:?}");
        };
        let path = corpora().join(file);
        let doc = match read_file(&path, &Limits::default()) {
            Ok(d) => d,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let all = packages(&doc);
        let mut want: Vec<(String, String)>;
        let got: Vec<(String, String)>;
        if file.ends_with(".json") {
            json += 1;
            assert_eq!(doc.format, Format::SpdxJson, "{file}");
            // `name@versionInfo; …`
            want = names
                .split("; ")
                .map(|nv| {
                    let (n, v) = nv.rsplit_once('@').unwrap_or((nv, ""));
                    (n.to_string(), v.to_string())
                })
                .collect();
            got = all
                .iter()
                .map(|c| (c.name.clone(), c.version.clone().unwrap_or_default()))
                .collect();
        } else {
            tag_value += 1;
            assert_eq!(doc.format, Format::SpdxTagValue, "{file}");
            // `a; b; c (versions: 1, 2)`: names, then the versions that are set.
            let (n, v) = names.split_once(" (versions: ").unwrap();
            want = n
                .split("; ")
                .map(|n| (n.to_string(), String::new()))
                .collect();
            let mut versions: Vec<String> = v
                .trim_end_matches(')')
                .split(", ")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let mut got_versions: Vec<String> =
                all.iter().filter_map(|c| c.version.clone()).collect();
            versions.sort();
            got_versions.sort();
            if versions != got_versions {
                failures.push(format!(
                    "{file}: versions {got_versions:?}, want {versions:?}"
                ));
            }
            got = all
                .iter()
                .map(|c| (c.name.clone(), String::new()))
                .collect();
        }
        want.sort();
        if got != want
            || all.len().to_string() != *count
            || doc.spec_version != *version
            || doc.dependencies.to_string() != *relationships
        {
            failures.push(format!(
                "{file}: {} packages {got:?}, {} relationships, version {}; want {count} {want:?}, {relationships}, {version}",
                all.len(),
                doc.dependencies,
                doc.spec_version
            ));
        }
        if !doc.violations.is_empty() {
            failures.push(format!(
                "{file}: violations {:?}",
                doc.violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
        for c in doc.subject.iter().chain(&doc.components) {
            assert_eq!(c.location, path.display().to_string());
            assert_eq!(c.path.last(), Some(&c.label()), "{file}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} SPDX files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!((json, tag_value), (19, 14));
}

/// The subject is the package the document describes, and a dependency's
/// path starts there.
#[test]
fn spdx_subject_and_paths() {
    let base = corpora().join("spdx/spdx-examples/presentations/OSS-NA-2023/SPDXVersion2.3");
    let doc = read_file(&base.join("03-SBOMwDependency.json"), &Limits::default()).unwrap();
    let subject = doc
        .subject
        .as_ref()
        .expect("documentDescribes names one package");
    assert_eq!(subject.label(), "tools-java@1.5.1");
    assert_eq!(doc.components.len(), 1);
    assert_eq!(doc.components[0].path, ["tools-java@1.5.1", "xlsx@0.16.6"]);

    // The tag-value spec example: DESCRIBES in a Relationship line, CONTAINS
    // and DYNAMIC_LINK between packages, suppliers with their prefix removed.
    let doc = read_file(
        &corpora().join("spdx/spdx-spec-2.3.1/SPDXTagExample-v2.3.spdx"),
        &Limits::default(),
    )
    .unwrap();
    let all = packages(&doc);
    let glibc = all.iter().find(|c| c.name == "glibc").unwrap();
    assert_eq!(
        glibc.supplier.as_deref(),
        Some("Jane Doe (jane.doe@example.com)")
    );
    assert_eq!(glibc.authors, ["ExampleCodeInspect (contact@example.com)"]);
    assert_eq!(glibc.bom_ref.as_deref(), Some("SPDXRef-Package"));
    let saxon = all.iter().find(|c| c.name == "Saxon").unwrap();
    assert_eq!(saxon.purl, None);
    let jena = all.iter().find(|c| c.name == "Jena").unwrap();
    assert_eq!(
        jena.purl.as_deref(),
        Some("pkg:maven/org.apache.jena/apache-jena@3.12.0")
    );
    assert_eq!(jena.ecosystem.as_deref(), Some("maven"));
    assert_eq!(jena.namespace.as_deref(), Some("org.apache.jena"));
}
