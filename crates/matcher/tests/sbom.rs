//! SBOM components against the built-in catalog: suppliers, purl namespaces,
//! OS packages listed in an SBOM, and the look-alikes that must stay quiet.

use uproot_catalog::{Catalog, CompiledCatalog};
use uproot_inventory::{Inventory, SbomComponent};
use uproot_matcher::{match_inventory, sbom_key, Finding};

const SBOM: &str = "/srv/sboms/acme-app.cdx.json";

fn compiled() -> CompiledCatalog {
    Catalog::builtin()
        .expect("built-in catalog loads")
        .compile()
        .expect("built-in catalog compiles")
}

/// A component two levels below the organisation's own product.
fn component(name: &str, version: &str) -> SbomComponent {
    let mut c = SbomComponent {
        name: name.into(),
        version: Some(version.into()),
        location: SBOM.into(),
        ..SbomComponent::default()
    };
    c.path = vec!["acme-app@2.3".into(), "vendor-sdk@1.0".into(), c.label()];
    c
}

fn scan(components: Vec<SbomComponent>) -> Vec<Finding> {
    let inv = Inventory {
        sbom_components: components,
        ..Inventory::default()
    };
    match_inventory(&compiled(), &inv)
}

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

#[test]
fn kaspersky_supplier_is_a_finding_with_the_path_that_pulls_it_in() {
    let mut c = component("kav-sdk", "8.1");
    c.ecosystem = Some("maven".into());
    c.group = Some("com.example.av".into());
    c.purl = Some("pkg:maven/com.example.av/kav-sdk@8.1".into());
    c.supplier = Some("AO Kaspersky Lab".into());
    c.bom_ref = Some("kav-sdk-ref".into());
    c.path = vec!["acme-app@2.3".into(), "vendor-sdk@1.0".into(), c.label()];
    let f = scan(vec![c]);
    let f = only(&f);
    assert_eq!(f.vendor, "kaspersky");
    assert_eq!(f.kind, "sbom-component");
    assert_eq!(f.indicator, "kaspersky.any.sbom-supplier");
    assert_eq!(f.severity, "high");
    assert_eq!(f.evidence.source, SBOM);
    assert_eq!(f.evidence.key, "kav-sdk-ref");
    let d = &f.evidence.detail;
    assert_eq!(
        d.get("path").map(String::as_str),
        Some("acme-app@2.3 > vendor-sdk@1.0 > com.example.av/kav-sdk@8.1")
    );
    assert_eq!(d.get("version").map(String::as_str), Some("8.1"));
    assert_eq!(d.get("ecosystem").map(String::as_str), Some("maven"));
    assert_eq!(
        d.get("purl").map(String::as_str),
        Some("pkg:maven/com.example.av/kav-sdk@8.1")
    );
    assert_eq!(
        d.get("supplier").map(String::as_str),
        Some("AO Kaspersky Lab")
    );
    assert_eq!(
        f.summary,
        "SBOM component com.example.av/kav-sdk@8.1 (maven, supplier AO Kaspersky Lab) \
         via acme-app@2.3 > vendor-sdk@1.0"
    );
}

#[test]
fn huawei_as_publisher_manufacturer_or_author_is_a_finding() {
    let mut by_publisher = component("hilink", "1.0");
    by_publisher.publisher = Some("Huawei Technologies Co., Ltd.".into());
    let mut by_manufacturer = component("modem-fw", "2.0");
    by_manufacturer.component_type = Some("firmware".into());
    by_manufacturer.manufacturer = Some("Huawei Technologies Co., Ltd.".into());
    // The supplier is a reseller; the author is what gives the component away.
    let mut by_author = component("hiai", "3.0");
    by_author.supplier = Some("Example Distribution GmbH".into());
    by_author.authors = vec!["Jane Doe".into(), "Huawei Technologies Co., Ltd.".into()];
    let findings = scan(vec![by_publisher, by_manufacturer, by_author]);
    assert_eq!(findings.len(), 3, "{findings:#?}");
    for f in &findings {
        assert_eq!(f.vendor, "huawei", "{f:#?}");
        assert_eq!(f.kind, "sbom-component");
        assert_eq!(f.indicator, "huawei.huawei-any.sbom-supplier");
    }
    let hiai = findings
        .iter()
        .find(|f| f.evidence.key == "hiai@3.0")
        .expect("the author-only component is found");
    assert!(
        hiai.summary.contains("supplier Example Distribution GmbH"),
        "{}",
        hiai.summary
    );
    assert_eq!(
        hiai.evidence.detail.get("authors").map(String::as_str),
        Some("Jane Doe; Huawei Technologies Co., Ltd.")
    );
}

#[test]
fn hms_core_maven_group_is_a_huawei_finding_by_namespace() {
    let mut c = component("push", "6.11.0.300");
    c.ecosystem = Some("maven".into());
    c.namespace = Some("com.huawei.hms".into());
    c.group = Some("com.huawei.hms".into());
    c.purl = Some("pkg:maven/com.huawei.hms/push@6.11.0.300".into());
    let f = scan(vec![c]);
    let f = only(&f);
    assert_eq!(f.vendor, "huawei");
    assert_eq!(f.indicator, "huawei.hms-sdk.maven-group");
    assert_eq!(f.product, "hms-sdk");
    assert_eq!(f.kind, "sbom-component");
    assert_eq!(
        f.evidence.key, "pkg:maven/com.huawei.hms/push@6.11.0.300",
        "without a bom-ref the purl is the key"
    );
}

#[test]
fn a_kesl_deb_in_an_sbom_is_found_by_the_package_rule_as_an_sbom_component() {
    let mut c = component("kesl", "12.1.0.1297");
    c.ecosystem = Some("deb".into());
    c.namespace = Some("debian".into());
    c.purl = Some("pkg:deb/debian/kesl@12.1.0.1297?arch=amd64".into());
    c.bom_ref = Some("pkg:deb/debian/kesl@12.1.0.1297?arch=amd64".into());
    c.supplier = Some("Debian".into());
    let f = scan(vec![c]);
    let f = only(&f);
    assert_eq!(f.vendor, "kaspersky");
    assert_eq!(f.indicator, "kaspersky.kesl.package");
    assert_eq!(f.product, "kesl");
    assert_eq!(f.kind, "sbom-component", "the evidence is an SBOM line");
    assert_eq!(f.evidence.source, SBOM);
    assert!(
        f.summary
            .starts_with("SBOM component kesl@12.1.0.1297 (deb"),
        "{}",
        f.summary
    );

    // The same name in an ecosystem whose packages are not OS packages is not a package hit.
    let mut npm = component("kesl", "1.0.0");
    npm.ecosystem = Some("npm".into());
    assert!(scan(vec![npm]).is_empty());
}

#[test]
fn os_package_ecosystems_map_to_the_package_source_rules_name() {
    // A rule restricted to one package manager sees exactly its purl type.
    let mut catalog = Catalog::builtin().unwrap();
    catalog
        .merge_str(
            "user.toml",
            r#"
[[vendor]]
id = "kaspersky"
name = "AO Kaspersky Lab"
action = "Remove it."

[[vendor.indicator]]
id = "kaspersky.kesl.test-pacman-only"
product = "kesl"
kind = "package"
match = { name = ["acme-av-agent"], package_source = ["pacman"] }
confidence = "official"
source = "test"
"#,
        )
        .unwrap();
    let compiled = catalog.compile().unwrap();
    let hit = |eco: &str| {
        let mut c = component("acme-av-agent", "1.0");
        c.ecosystem = Some(eco.into());
        let inv = Inventory {
            sbom_components: vec![c],
            ..Inventory::default()
        };
        match_inventory(&compiled, &inv)
    };
    let f = hit("alpm");
    let f = only(&f);
    assert_eq!(f.indicator, "kaspersky.kesl.test-pacman-only");
    assert_eq!(f.kind, "sbom-component");
    // Upper-case purl types are normalised.
    assert_eq!(hit("ALPM").len(), 1);
    for eco in ["deb", "rpm", "apk", "npm", "generic"] {
        assert!(
            hit(eco).is_empty(),
            "{eco} must not reach a pacman-only rule"
        );
    }
}

#[test]
fn kaspresso_from_the_kasperskylab_github_org_is_not_a_finding() {
    let mut c = component("kaspresso", "1.5.3");
    c.ecosystem = Some("maven".into());
    c.namespace = Some("com.kaspersky.android-components".into());
    c.group = Some("com.kaspersky.android-components".into());
    c.purl = Some("pkg:maven/com.kaspersky.android-components/kaspresso@1.5.3".into());
    c.supplier = Some("KasperskyLab".into());
    c.authors = vec!["KasperskyLab".into()];
    c.publisher = Some("https://github.com/KasperskyLab".into());
    let f = scan(vec![c]);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn a_component_reached_twice_is_one_finding_with_both_routes() {
    let mut a = component("kav-sdk", "8.1");
    a.supplier = Some("AO Kaspersky Lab".into());
    a.bom_ref = Some("kav".into());
    let mut b = a.clone();
    b.path = vec![
        "acme-app@2.3".into(),
        "other-lib@4".into(),
        "kav-sdk@8.1".into(),
    ];
    let f = scan(vec![a, b]);
    let f = only(&f);
    assert_eq!(
        f.evidence.detail.get("path").map(String::as_str),
        Some("acme-app@2.3 > vendor-sdk@1.0 > kav-sdk@8.1")
    );
    assert_eq!(
        f.evidence.detail.get("also_via").map(String::as_str),
        Some("acme-app@2.3 > other-lib@4 > kav-sdk@8.1")
    );
}

#[test]
fn the_same_component_in_two_sboms_is_two_findings_with_distinct_ids() {
    let mut a = component("kav-sdk", "8.1");
    a.supplier = Some("AO Kaspersky Lab".into());
    let mut b = a.clone();
    b.location = "/srv/sboms/other.spdx.json".into();
    let f = scan(vec![a, b]);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_ne!(f[0].id, f[1].id);
}

#[test]
fn the_key_prefers_bom_ref_then_purl_then_label() {
    let mut c = component("x", "1");
    assert_eq!(sbom_key(&c), "x@1");
    c.purl = Some("pkg:generic/x@1".into());
    assert_eq!(sbom_key(&c), "pkg:generic/x@1");
    c.bom_ref = Some("  ".into());
    assert_eq!(sbom_key(&c), "pkg:generic/x@1", "a blank bom-ref is no key");
    c.bom_ref = Some("ref-1".into());
    assert_eq!(sbom_key(&c), "ref-1");
}

#[test]
fn a_root_component_has_no_via() {
    let mut c = component("kav-sdk", "8.1");
    c.supplier = Some("AO Kaspersky Lab".into());
    c.path = vec!["kav-sdk@8.1".into()];
    let f = scan(vec![c]);
    let f = only(&f);
    assert!(!f.summary.contains(" via "), "{}", f.summary);
    assert_eq!(
        f.evidence.detail.get("path").map(String::as_str),
        Some("kav-sdk@8.1")
    );
}
