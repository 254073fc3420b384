//! Hostile and broken SBOMs: each is a clear error naming the file and the
//! place, or a document with violations; never a panic, a hang or an
//! unbounded allocation.

mod common;

use std::io::Write;

use common::corpora;
use uproot_sbom::{parse, read_file, Limits, SbomError};

fn limits() -> Limits {
    Limits::default()
}

fn violations(json: &str) -> Vec<String> {
    parse(json.as_bytes(), "t.json", &limits())
        .unwrap_or_else(|e| panic!("{e}"))
        .violations
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn truncated_json_names_the_file_and_line() {
    let path = corpora().join("cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json");
    let bytes = std::fs::read(&path).unwrap();
    let e = parse(&bytes[..bytes.len() / 2], "half.json", &limits()).unwrap_err();
    let SbomError::Json {
        ref location, line, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(location, "half.json");
    assert!(line > 1);
    assert!(e.to_string().starts_with("half.json: line "), "{e}");
    assert!(e.to_string().contains("EOF"), "{e}");
    // Every prefix is an error or a document, never a panic.
    for cut in (0..bytes.len()).step_by(bytes.len() / 150) {
        let _ = parse(&bytes[..cut], "cut.json", &limits());
    }
}

#[test]
fn truncated_xml_names_the_file_and_line() {
    let path = corpora().join("cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.xml");
    let bytes = std::fs::read(&path).unwrap();
    let e = parse(&bytes[..bytes.len() / 2], "half.xml", &limits()).unwrap_err();
    let SbomError::Xml {
        ref location, line, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(location, "half.xml");
    assert!(line > 1);
    for cut in (0..bytes.len()).step_by(bytes.len() / 150) {
        let _ = parse(&bytes[..cut], "cut.xml", &limits());
    }
    let e = parse(
        b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components><component>",
        "t.xml",
        &limits(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("ends inside"), "{e}");
    let e = parse(b"<bom><a></b></bom>", "t.xml", &limits()).unwrap_err();
    assert!(e.to_string().starts_with("t.xml: line 1, column "), "{e}");
}

#[test]
fn wrong_types_are_violations_and_the_rest_is_read() {
    let v = violations(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
            {"type":"library","name":5,"version":"1"},
            "not a component",
            {"type":"library","name":"ok","hashes":{"alg":"MD5"},"licenses":[{"license":{"id":7}}]},
            {"type":"library","name":"deep","components":{"a":1}}],
            "dependencies":"none","metadata":[]}"#,
    );
    assert_eq!(
        v,
        [
            "/components/0/name: name must be a string, got a number",
            "/components/0: component name is required",
            "/components/1: a component must be an object, got a string",
            "/components/2/hashes: hashes must be an array, got an object",
            "/components/2/licenses/0/license/id: license id must be a string, got a number",
            "/components/3/components: components must be an array, got an object",
            "/dependencies: dependencies must be an array, got a string",
            "/metadata: metadata must be an object, got an array",
        ]
    );
    let doc = parse(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a"},{"x":1}]}"#.as_bytes(), "t", &limits()).unwrap();
    assert_eq!(
        doc.components.len(),
        2,
        "a broken component still counts, with its violations"
    );
}

#[test]
fn unknown_members_are_reported_from_1_4_only() {
    let json = |v: &str| {
        format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"{v}","extra":1,"components":[{{"type":"library","name":"a","version":"1","x-vendor":true}}]}}"#
        )
    };
    assert_eq!(
        violations(&json("1.4")),
        [
            "/extra: unknown member \"extra\" of the BOM",
            "/components/0/x-vendor: unknown member \"x-vendor\" of a component"
        ]
    );
    assert!(
        violations(&json("1.3")).is_empty(),
        "1.2 and 1.3 schemas allow other members"
    );
}

#[test]
fn deep_nesting_is_bounded_without_overflowing_the_stack() {
    // JSON: serde_json's recursion limit (128) stays on where values are built…
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"a","properties":{}1{}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = parse(deep.as_bytes(), "deep.json", &limits()).unwrap_err();
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
    // …and skipped members are skipped without recursion.
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse(deep.as_bytes(), "deep.json", &limits())
        .unwrap()
        .violations
        .is_empty());

    // Components nested past max_depth.
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":["#);
    for i in 0..40 {
        s.push_str(&format!(
            r#"{{"type":"library","name":"n{i}","components":["#
        ));
    }
    s.push_str(&"]}".repeat(40));
    s.push_str("]}");
    let tight = Limits {
        max_depth: 10,
        ..Limits::default()
    };
    let e = parse(s.as_bytes(), "nest.json", &tight).unwrap_err();
    assert!(matches!(e, SbomError::TooDeep { limit: 10, .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("nest.json: /components/0/components/0/"),
        "{e}"
    );
    let doc = parse(s.as_bytes(), "nest.json", &limits()).unwrap();
    assert_eq!(doc.components.len(), 40);
    assert_eq!(
        doc.components[39].path.len(),
        16,
        "long nesting paths are shortened"
    );

    // XML: 100,000 nested elements, inside an extension and inside a component.
    for inner in ["x", "component"] {
        let xml = format!(
            r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>a</name>{}{}</component></components></bom>"#,
            format!("<{inner}>").repeat(100_000),
            format!("</{inner}>").repeat(100_000)
        );
        let e = parse(xml.as_bytes(), "deep.xml", &limits()).unwrap_err();
        assert!(matches!(e, SbomError::TooDeep { limit: 128, .. }), "{e}");
    }
    // Pedigree trees recurse over element trees: also bounded.
    let ped = format!(
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>a</name>{}</component></components></bom>"#,
        r#"<pedigree><ancestors><component type="library"><name>p</name>"#.repeat(60)
            + &"</component></ancestors></pedigree>".repeat(60)
    );
    let e = parse(ped.as_bytes(), "ped.xml", &limits()).unwrap_err();
    assert!(matches!(e, SbomError::TooDeep { .. }), "{e}");
}

#[test]
fn xml_entities_and_doctypes_are_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&b;</name></component></components></bom>"#;
    let e = parse(laughs.as_bytes(), "laughs.xml", &limits()).unwrap_err();
    assert!(e.to_string().contains("DOCTYPE is not allowed"), "{e}");
    let e = parse(
        br#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&ext;</name></component></components></bom>"#,
        "ent.xml",
        &limits(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown entity &ext;"), "{e}");
    // The five predefined entities and character references are text.
    let doc = parse(
        br#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>a&amp;b&#x41;&lt;</name></component></components></bom>"#,
        "ok.xml",
        &limits(),
    )
    .unwrap();
    assert_eq!(doc.components[0].name, "a&bA<");
}

#[test]
fn oversize_files_fail_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse terabyte: reading it would take hours, so passing means the
    // size was checked first.
    let path = dir.path().join("huge.json");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(1 << 40).unwrap();
    let e = read_file(&path, &limits()).unwrap_err();
    assert!(
        matches!(e, SbomError::TooLarge { size, limit, .. } if size == 1 << 40 && limit == 256 << 20),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 1099511627776 bytes is over the SBOM size limit of 268435456 bytes",
            path.display()
        )
    );
    let e = parse(
        &[b' '; 100],
        "p",
        &Limits {
            max_bytes: 10,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(matches!(
        e,
        SbomError::TooLarge {
            size: 100,
            limit: 10,
            ..
        }
    ));
}

#[test]
fn component_count_is_bounded() {
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":["#);
    for i in 0..100 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(r#"{{"type":"library","name":"c{i}"}}"#));
    }
    s.push_str("]}");
    let few = Limits {
        max_components: 50,
        ..Limits::default()
    };
    let e = parse(s.as_bytes(), "many.json", &few).unwrap_err();
    assert_eq!(
        e.to_string(),
        "many.json: /components/50: more than the limit of 50 components"
    );
    let spdx = "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\n".to_string()
        + &"PackageName: p\nSPDXID: SPDXRef-p\nPackageDownloadLocation: NONE\n".repeat(60);
    let e = parse(spdx.as_bytes(), "many.spdx", &few).unwrap_err();
    assert!(matches!(e, SbomError::TooManyComponents { .. }), "{e}");
}

#[test]
fn other_bad_bytes() {
    for (bytes, want) in [
        (&b""[..], "the file is empty"),
        (b"\xff\xfe{\x00", "not a recognised SBOM"),
        (b"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":[{\"name\":\"\xff\"}]}", "invalid JSON"),
        (b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><components><component type=\"library\"><name>\xff</name></component></components></bom>", "invalid XML"),
        (b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/><bom/>", "content after the root element"),
        (b"{\"name\":\"x\"}", "not a recognised SBOM"),
        (b"{\"@context\":\"https://spdx.org/rdf/3.0.0/spdx-context.jsonld\"}", "SPDX 3"),
    ] {
        let e = parse(bytes, "bad", &limits()).unwrap_err().to_string();
        assert!(e.starts_with("bad: ") && e.contains(want), "{e} (want {want})");
    }
    // A UTF-8 byte-order mark is allowed.
    let doc = parse(
        b"\xEF\xBB\xBF{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\"}",
        "bom",
        &limits(),
    )
    .unwrap();
    assert!(doc.components.is_empty() && doc.violations.is_empty());
}

#[test]
fn spdx_tag_value_problems_have_line_numbers() {
    let text = "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nthis line has no colon\nPackageVersion: 1\nPackageName: a\nPackageDownloadLocation: NONE\nRelationship: SPDXRef-DOCUMENT DESCRIBES\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-missing\n";
    let doc = parse(text.as_bytes(), "t.spdx", &limits()).unwrap();
    let v: Vec<String> = doc.violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        v,
        [
            "line 3: expected `Tag: value`, got \"this line has no colon\"",
            "line 4: PackageVersion outside a package",
            "line 7: a relationship is `ID TYPE ID`, got \"SPDXRef-DOCUMENT DESCRIBES\"",
            "line 5: a package needs an SPDXID",
            "line 8: relationship names \"SPDXRef-missing\", which is not in this document",
        ]
    );
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let doc = read_file(f.path(), &limits()).unwrap();
    assert_eq!(doc.components[0].location, f.path().display().to_string());
}
