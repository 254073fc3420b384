//! CycloneDX against the real corpus: the specification's own test vectors
//! (1.4–1.7, JSON and XML, valid and invalid) and the bom-examples SBOMs
//! (1.1–1.6), compared with `EXPECTED_summary_python.txt`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{cdx_vectors, corpora, expected, files};
use uproot_sbom::{read_file, Document, Format, Limits, SbomError};

fn read(path: &Path) -> Result<Document, SbomError> {
    read_file(path, &Limits::default())
}

/// Every valid file and every bom-example parses with no violation, with the
/// component count and purl count of the expected summary.
#[test]
fn valid_files_give_the_expected_counts_and_no_violations() {
    let rows = expected("cyclonedx/EXPECTED_summary_python.txt");
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in &rows {
        let [file, format, spec, total, with_purl] = &row[..] else {
            panic!("bad expected row {row:?}");
        };
        let name = file.rsplit('/').next().unwrap();
        if name.contains("invalid-") {
            continue;
        }
        let path = corpora().join(file);
        let doc = match read(&path) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        checked += 1;
        let want_format = if format == "json" {
            Format::CycloneDxJson
        } else {
            Format::CycloneDxXml
        };
        // The summary script counted JSON `components` recursively but every
        // XML <component> under <components>, pedigree ancestors, descendants
        // and variants included; we keep those apart in `pedigree` in both
        // syntaxes, so for XML the two lists add up to its count.
        let mut counted: Vec<_> = doc.components.iter().collect();
        if doc.format == Format::CycloneDxXml {
            counted.extend(&doc.pedigree);
        }
        let purls = counted.iter().filter(|c| c.purl.is_some()).count();
        if doc.format != want_format
            || doc.spec_version != *spec
            || counted.len().to_string() != *total
            || purls.to_string() != *with_purl
            || !doc.violations.is_empty()
        {
            failures.push(format!(
                "{file}: got {} {} {} components, {purls} purls, violations {:?}; want {format} {spec} {total}, {with_purl}",
                doc.format,
                doc.spec_version,
                doc.components.len(),
                doc.violations.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
        }
        for c in &doc.components {
            assert_eq!(c.location, path.display().to_string());
            assert!(
                !c.path.is_empty() && c.path.last() == Some(&c.label()),
                "{file}: path {:?}",
                c.path
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} valid files differ:\n{}",
        failures.len(),
        checked + failures.len(),
        failures.join("\n")
    );
    // 350 specification vectors (1.4: 60, 1.5: 74, 1.6: 92, 1.7: 124) + 21 bom-examples.
    assert_eq!(checked, 371);
    let on_disk: usize = ["1.4", "1.5", "1.6", "1.7"]
        .iter()
        .map(|v| files(&cdx_vectors(v), "valid-").len())
        .sum();
    assert_eq!(
        on_disk, 350,
        "every valid vector on disk is in the expected summary"
    );
}

/// What each kind of invalid vector must be told: a substring of a violation
/// or of the error. The rules themselves never look at file names; this
/// table only checks that the right rule fired.
const WHY: &[(&str, &str)] = &[
    ("invalid-bomformat", "bomFormat must be \"CycloneDX\""),
    ("invalid-citations", "a citation"),
    (
        "invalid-component-external-version-and-range",
        "either version or versionRange",
    ),
    ("invalid-component-ref", "bom-ref"),
    ("invalid-component-swid", "swid needs a"),
    (
        "invalid-component-type",
        "component type \"foo\" is not one of",
    ),
    (
        "invalid-component-versionRange-non-external-explicit",
        "versionRange is only allowed on an external component",
    ),
    (
        "invalid-component-versionRange-non-external-implicit",
        "versionRange is only allowed on an external component",
    ),
    (
        "informal-invalid-component-versionRange-non-external-explicit",
        "versionRange is only allowed on an external component",
    ),
    (
        "informal-invalid-component-versionRange-non-external-implicit",
        "versionRange is only allowed on an external component",
    ),
    ("invalid-dependency", "dependency ref"),
    ("invalid-empty-component", "component name is required"),
    ("invalid-hash-alg", "hash algorithm \"FOO\" is not one of"),
    ("invalid-hash-md5", "MD5 hash must be"),
    ("invalid-hash-sha1", "SHA-1 hash must be"),
    ("invalid-hash-sha256", "SHA-256 hash must be"),
    ("invalid-hash-sha512", "SHA-512 hash must be"),
    ("invalid-issue-type", "issue type \"foo\" is not one of"),
    ("invalid-license-choice", "license"),
    (
        "invalid-license-declared-concluded-mix",
        "an SPDX expression must be the only",
    ),
    (
        "invalid-license-encoding",
        "encoding \"base85\" is not one of",
    ),
    ("invalid-license-id-count", "a license has 2 <id> elements"),
    (
        "invalid-license-id",
        "license id \"Apache-2\" is not an SPDX license identifier",
    ),
    (
        "invalid-license-missing-id-and-name",
        "a license needs an id or a name",
    ),
    (
        "invalid-license-name-count",
        "a license has 2 <name> elements",
    ),
    ("invalid-metadata-distribution", "unknown"),
    (
        "invalid-metadata-license",
        "license id \"Apache-2\" is not an SPDX license identifier",
    ),
    ("invalid-metadata-timestamp", "is not an RFC 3339 date-time"),
    (
        "invalid-missing-component-type",
        "component type is required",
    ),
    ("invalid-namespace", "is not a CycloneDX namespace"),
    ("invalid-patch-type", "patch type \"foo\" is not one of"),
    ("invalid-properties", "a property needs a name"),
    ("invalid-scope", "component scope \"foo\" is not one of"),
    ("invalid-serialnumber", "is not an RFC 4122 URN"),
    ("invalid-service-data", "data flow"),
];

fn why(name: &str) -> &'static str {
    let stem = name.trim_end_matches(".json").trim_end_matches(".xml");
    let stem = stem
        .strip_suffix("-1.4")
        .or_else(|| stem.strip_suffix("-1.5"))
        .or_else(|| stem.strip_suffix("-1.6"))
        .or_else(|| stem.strip_suffix("-1.7"))
        .unwrap_or(stem);
    WHY.iter()
        .find(|(k, _)| *k == stem)
        .map(|(_, w)| *w)
        .unwrap_or_else(|| panic!("no expectation for {name}"))
}

/// Every invalid vector (and both informal ones) is refused: an error, or at
/// least one violation saying what the vector breaks.
#[test]
fn invalid_files_are_refused_with_the_reason() {
    let mut refused = 0;
    let mut failures = Vec::new();
    let mut by_outcome: BTreeMap<&str, usize> = BTreeMap::new();
    for v in ["1.4", "1.5", "1.6", "1.7"] {
        let dir = cdx_vectors(v);
        let mut list = files(&dir, "invalid-");
        list.extend(files(&dir, "informal-invalid-"));
        for path in list {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let want = why(&name);
            let said: Vec<String> = match read(&path) {
                Err(e) => {
                    *by_outcome.entry("error").or_default() += 1;
                    vec![e.to_string()]
                }
                Ok(doc) => {
                    *by_outcome.entry("violations").or_default() += 1;
                    doc.violations.iter().map(ToString::to_string).collect()
                }
            };
            if said.iter().any(|m| m.contains(want)) {
                refused += 1;
            } else {
                failures.push(format!("{v}/{name}: want {want:?}, got {said:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} invalid files not refused for the right reason:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 46 + 46 + 52 + 57 invalid vectors and the two informal 1.7 ones.
    assert_eq!(refused, 203, "{by_outcome:?}");
}

/// laravel 7.12.0 in every version from 1.1 XML to 1.4 JSON: the same 62
/// components, the same purls, whichever syntax and version.
#[test]
fn laravel_is_the_same_in_every_version() {
    let dir = corpora().join("cyclonedx/bom-examples/SBOM/laravel-7.12.0");
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    for f in [
        "bom.1.1.xml",
        "bom.1.2.json",
        "bom.1.2.xml",
        "bom.1.3.json",
        "bom.1.3.xml",
        "bom.1.4.json",
        "bom.1.4.xml",
    ] {
        let doc = read(&dir.join(f)).unwrap();
        assert_eq!(doc.components.len(), 62, "{f}");
        let mut purls: Vec<String> = doc
            .components
            .iter()
            .filter_map(|c| c.purl.clone())
            .collect();
        purls.sort();
        seen.push((f.to_string(), purls));
    }
    for (f, purls) in &seen[1..] {
        assert_eq!(purls, &seen[0].1, "{f} lists other purls than bom.1.1.xml");
    }
    let doc = read(&dir.join("bom.1.4.json")).unwrap();
    let c = doc
        .components
        .iter()
        .find(|c| c.name == "laravel-framework" || c.name == "framework")
        .expect("the laravel framework component");
    assert_eq!(c.ecosystem.as_deref(), Some("composer"));
    assert_eq!(c.namespace.as_deref(), Some("laravel"));
}
