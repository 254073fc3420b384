//! What a component record holds: organisations, purl parts and the path
//! from the subject, read the same from CycloneDX JSON and XML and SPDX.

use uproot_inventory::SbomComponent;
use uproot_sbom::{parse, Document, Format, Limits};

fn doc(text: &str) -> Document {
    let d = parse(text.as_bytes(), "t", &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(d.violations.is_empty(), "{:?}", d.violations);
    d
}

fn find<'d>(d: &'d Document, name: &str) -> &'d SbomComponent {
    d.components
        .iter()
        .chain(&d.pedigree)
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

const JSON: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {
    "component": {"type": "application", "bom-ref": "app", "name": "app", "version": "2.0"},
    "supplier": {"name": "Acme Corp"},
    "manufacturer": {"name": "Acme Manufacturing"}
  },
  "components": [
    {"type": "library", "bom-ref": "sdk", "group": "com.huawei.hms", "name": "push", "version": "6.1",
     "purl": "pkg:Maven/com.huawei.hms/push@6.1?type=aar",
     "supplier": {"name": "Huawei Technologies Co., Ltd."}, "publisher": "Huawei",
     "authors": [{"name": "HMS team"}], "author": "Legacy Author",
     "components": [
       {"type": "library", "bom-ref": "inner", "name": "inner", "version": "1",
        "purl": "pkg:npm/%40kaspersky/inner@1",
        "pedigree": {"ancestors": [{"type": "library", "name": "upstream", "version": "0.9",
                                    "manufacturer": {"name": "AO Kaspersky Lab"}}]}}
     ]},
    {"type": "device", "bom-ref": "cam", "name": "camera", "manufacturer": {"name": "Hikvision"}},
    {"type": "library", "bom-ref": "orphan", "name": "orphan", "version": "1",
     "components": [{"type": "library", "name": "orphan-child", "version": "2"}]},
    {"type": "library", "bom-ref": "loop-a", "name": "loop-a", "version": "1"},
    {"type": "library", "bom-ref": "loop-b", "name": "loop-b", "version": "1"}
  ],
  "services": [{"bom-ref": "svc", "name": "telemetry"}],
  "dependencies": [
    {"ref": "app", "dependsOn": ["sdk", "cam", "svc"]},
    {"ref": "cam", "dependsOn": ["inner"]},
    {"ref": "loop-a", "dependsOn": ["loop-b"]},
    {"ref": "loop-b", "dependsOn": ["loop-a", "loop-b"]}
  ]
}"#;

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:ext="urn:example" version="1">
  <metadata>
    <supplier><name>Acme Corp</name></supplier>
    <component type="application" bom-ref="app"><name>app</name><version>2.0</version></component>
    <manufacturer><name>Acme Manufacturing</name></manufacturer>
    <ext:anything><ext:deep/></ext:anything>
  </metadata>
  <components>
    <component type="library" bom-ref="sdk">
      <supplier><name>Huawei Technologies Co., Ltd.</name></supplier>
      <authors><author><name>HMS team</name></author></authors>
      <author>Legacy Author</author>
      <publisher>Huawei</publisher>
      <group>com.huawei.hms</group>
      <name>push</name>
      <version>6.1</version>
      <purl>pkg:Maven/com.huawei.hms/push@6.1?type=aar</purl>
      <components>
        <component type="library" bom-ref="inner">
          <name>inner</name><version>1</version>
          <purl>pkg:npm/%40kaspersky/inner@1</purl>
          <pedigree><ancestors>
            <component type="library"><manufacturer><name>AO Kaspersky Lab</name></manufacturer><name>upstream</name><version>0.9</version></component>
          </ancestors></pedigree>
        </component>
      </components>
    </component>
    <component type="device" bom-ref="cam"><manufacturer><name>Hikvision</name></manufacturer><name>camera</name></component>
    <component type="library" bom-ref="orphan"><name>orphan</name><version>1</version>
      <components><component type="library"><name>orphan-child</name><version>2</version></component></components>
    </component>
    <component type="library" bom-ref="loop-a"><name>loop-a</name><version>1</version></component>
    <component type="library" bom-ref="loop-b"><name>loop-b</name><version>1</version></component>
  </components>
  <services><service bom-ref="svc"><name>telemetry</name></service></services>
  <dependencies>
    <dependency ref="app"><dependency ref="sdk"/><dependency ref="cam"/><dependency ref="svc"/></dependency>
    <dependency ref="cam"><dependency ref="inner"/></dependency>
    <dependency ref="loop-a"><dependency ref="loop-b"/></dependency>
    <dependency ref="loop-b"><dependency ref="loop-a"/><dependency ref="loop-b"/></dependency>
  </dependencies>
</bom>"#;

/// Both syntaxes of the same BOM give the same records.
#[test]
fn cyclonedx_json_and_xml_give_the_same_records() {
    let (j, x) = (doc(JSON), doc(XML));
    assert_eq!(j.format, Format::CycloneDxJson);
    assert_eq!(x.format, Format::CycloneDxXml);
    assert_eq!(
        (j.spec_version.as_str(), x.spec_version.as_str()),
        ("1.6", "1.6")
    );
    assert_eq!(j.dependencies, 7);
    assert_eq!(x.dependencies, 7);
    for d in [&j, &x] {
        let subject = d.subject.as_ref().unwrap();
        assert_eq!(subject.label(), "app@2.0");
        assert_eq!(
            subject.supplier.as_deref(),
            Some("Acme Corp"),
            "metadata.supplier is the subject's"
        );
        assert_eq!(subject.manufacturer.as_deref(), Some("Acme Manufacturing"));
        assert_eq!(subject.path, ["app@2.0"]);
        let names: Vec<&str> = d.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "push",
                "inner",
                "camera",
                "orphan",
                "orphan-child",
                "loop-a",
                "loop-b"
            ]
        );

        let push = find(d, "push");
        assert_eq!(push.group.as_deref(), Some("com.huawei.hms"));
        assert_eq!(push.label(), "com.huawei.hms/push@6.1");
        assert_eq!(push.ecosystem.as_deref(), Some("maven"));
        assert_eq!(push.namespace.as_deref(), Some("com.huawei.hms"));
        assert_eq!(
            push.supplier.as_deref(),
            Some("Huawei Technologies Co., Ltd.")
        );
        assert_eq!(push.publisher.as_deref(), Some("Huawei"));
        let mut authors = push.authors.clone();
        authors.sort();
        assert_eq!(authors, ["HMS team", "Legacy Author"]);
        assert_eq!(push.component_type.as_deref(), Some("library"));
        assert_eq!(push.bom_ref.as_deref(), Some("sdk"));
        assert_eq!(push.path, ["app@2.0", "com.huawei.hms/push@6.1"]);
        assert_eq!(push.location, "t");

        let inner = find(d, "inner");
        assert_eq!(
            inner.namespace.as_deref(),
            Some("@kaspersky"),
            "percent-decoded"
        );
        // Nested under push, and a dependency of camera: both paths are two
        // steps from the subject; the first found (nesting, in document order) wins.
        assert_eq!(
            inner.path,
            ["app@2.0", "com.huawei.hms/push@6.1", "inner@1"]
        );

        assert_eq!(find(d, "camera").manufacturer.as_deref(), Some("Hikvision"));
        // Not reachable over dependencies: a top-level component still
        // belongs to the subject, and a nested one follows its nesting chain.
        assert_eq!(find(d, "orphan").path, ["app@2.0", "orphan@1"]);
        assert_eq!(
            find(d, "orphan-child").path,
            ["app@2.0", "orphan@1", "orphan-child@2"]
        );
        // A cycle (and a self-dependency) ends.
        assert_eq!(find(d, "loop-b").path, ["app@2.0", "loop-b@1"]);

        assert_eq!(d.pedigree.len(), 1);
        let upstream = &d.pedigree[0];
        assert_eq!(upstream.manufacturer.as_deref(), Some("AO Kaspersky Lab"));
        assert_eq!(
            upstream.path,
            [
                "app@2.0",
                "com.huawei.hms/push@6.1",
                "inner@1",
                "upstream@0.9"
            ]
        );
    }
    let strip = |d: &Document| -> Vec<SbomComponent> {
        d.components
            .iter()
            .chain(&d.pedigree)
            .map(|c| SbomComponent {
                authors: {
                    let mut a = c.authors.clone();
                    a.sort();
                    a
                },
                ..c.clone()
            })
            .collect()
    };
    assert_eq!(strip(&j), strip(&x));
}

#[test]
fn without_a_subject_paths_start_at_the_top() {
    let d = doc(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[
        {"type":"library","bom-ref":"a","name":"a","version":"1"},
        {"type":"library","bom-ref":"b","name":"b","version":"1"}],
        "dependencies":[{"ref":"a","dependsOn":["b"]}]}"#,
    );
    assert!(d.subject.is_none());
    assert_eq!(d.components[0].path, ["a@1"]);
    assert_eq!(d.components[1].path, ["b@1"]);
}

#[test]
fn dangling_and_duplicate_refs_are_violations() {
    let d = parse(
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","bom-ref":"a","name":"a"},{"type":"library","bom-ref":"a","name":"b"}],
        "dependencies":[{"ref":"a","dependsOn":["ghost",""]},{"ref":"nobody"}]}"#,
        "t",
        &Limits::default(),
    )
    .unwrap();
    let v: Vec<String> = d.violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        v,
        [
            "/components/1: bom-ref \"a\" is not unique: component a already uses it",
            "/dependencies/0: dependsOn \"ghost\" names no component or service in this BOM",
            "/dependencies/0: dependsOn entry must not be empty",
            "/dependencies/1: dependency ref \"nobody\" names no component or service in this BOM",
        ]
    );
}

#[test]
fn spdx_relationships_make_paths() {
    let d = doc(
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","documentDescribes":["SPDXRef-app"],
      "packages":[
        {"SPDXID":"SPDXRef-app","name":"app","versionInfo":"1","downloadLocation":"NONE","primaryPackagePurpose":"APPLICATION"},
        {"SPDXID":"SPDXRef-lib","name":"lib","versionInfo":"2","downloadLocation":"NONE",
         "supplier":"Organization: Dahua Technology","originator":"Person: Someone",
         "externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:x"},
                         {"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/lib@2"}]},
        {"SPDXID":"SPDXRef-dev","name":"dev","versionInfo":"3","downloadLocation":"NONE"}],
      "files":[{"SPDXID":"SPDXRef-f","fileName":"./a"}],
      "relationships":[
        {"spdxElementId":"SPDXRef-lib","relationshipType":"DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-app"},
        {"spdxElementId":"SPDXRef-lib","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-dev"},
        {"spdxElementId":"SPDXRef-dev","relationshipType":"DEV_DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-lib"},
        {"spdxElementId":"SPDXRef-app","relationshipType":"CONTAINS","relatedSpdxElement":"SPDXRef-f"}]}"#,
    );
    let app = d.subject.as_ref().unwrap();
    assert_eq!(app.component_type.as_deref(), Some("application"));
    let lib = find(&d, "lib");
    assert_eq!(lib.supplier.as_deref(), Some("Dahua Technology"));
    assert_eq!(lib.authors, ["Someone"]);
    assert_eq!(lib.purl.as_deref(), Some("pkg:deb/debian/lib@2"));
    assert_eq!(lib.ecosystem.as_deref(), Some("deb"));
    assert_eq!(lib.path, ["app@1", "lib@2"]);
    assert_eq!(find(&d, "dev").path, ["app@1", "lib@2", "dev@3"]);
    assert_eq!(d.dependencies, 4);
}
