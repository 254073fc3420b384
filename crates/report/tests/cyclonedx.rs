//! The CycloneDX writer's content: what is listed, how findings are
//! attached, purls per package manager, unique bom-refs and stable output.
//! (Schema validity is `cyclonedx_schema.rs`.)

mod support;

use std::collections::HashSet;

use serde_json::Value;
use uproot_report::cyclonedx::{self, Options};

fn bom() -> Value {
    cyclonedx::to_value(&support::report(), &Options::default())
}

fn components(bom: &Value) -> &Vec<Value> {
    bom["components"].as_array().expect("components array")
}

fn by_name<'a>(bom: &'a Value, name: &str) -> &'a Value {
    components(bom)
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component named {name}"))
}

fn props<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["name"] == name)
                .map(|p| p["value"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn header_and_subject() {
    let b = bom();
    assert_eq!(b["bomFormat"], "CycloneDX");
    assert_eq!(b["specVersion"], "1.5");
    assert_eq!(b["version"], 1);
    let serial = b["serialNumber"].as_str().unwrap();
    let hex: Vec<&str> = serial
        .strip_prefix("urn:uuid:")
        .unwrap()
        .split('-')
        .collect();
    assert_eq!(
        hex.iter().map(|h| h.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(
        hex[2].starts_with('5') && "89ab".contains(&hex[3][..1]),
        "{serial}"
    );
    let m = &b["metadata"];
    assert_eq!(m["timestamp"], "2026-11-29T10:00:00Z");
    assert_eq!(m["tools"]["components"][0]["name"], "uproot");
    assert_eq!(m["component"]["type"], "operating-system");
    assert_eq!(m["component"]["name"], "web1");
    assert_eq!(m["component"]["version"], "12");
    assert_eq!(props(&m["component"], "uproot:host:distro"), ["debian"]);
    assert_eq!(props(m, "uproot:assessment:status"), ["affected"]);
    assert_eq!(props(m, "uproot:catalog:version").len(), 1);

    let image = cyclonedx::to_value(
        &support::report(),
        &Options {
            image: Some("registry.example/acme-app:2.3".into()),
        },
    );
    assert_eq!(image["metadata"]["component"]["type"], "container");
    assert_eq!(
        image["metadata"]["component"]["name"],
        "registry.example/acme-app:2.3"
    );
}

#[test]
fn packages_have_a_purl_per_package_manager() {
    let b = bom();
    let purl = |name: &str| by_name(&b, name)["purl"].as_str().map(str::to_owned);
    assert_eq!(
        purl("libc6").as_deref(),
        Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12")
    );
    // A deb epoch stays in the version; an rpm epoch moves to its qualifier.
    assert_eq!(
        purl("bash").as_deref(),
        Some("pkg:deb/debian/bash@1%3A5.2.15-2%2Bb2?arch=amd64&distro=debian-12")
    );
    assert_eq!(
        purl("openssl-libs").as_deref(),
        Some("pkg:rpm/debian/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=debian-12&epoch=1")
    );
    assert_eq!(
        purl("musl").as_deref(),
        Some("pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12")
    );
    assert_eq!(
        purl("pacman").as_deref(),
        Some("pkg:alpm/debian/pacman@6.0.2-9?arch=x86_64&distro=debian-12")
    );
    let seven = by_name(&b, "7-Zip 23.01 (x64)");
    assert!(
        seven.get("purl").is_none(),
        "no purl type for Windows programs"
    );
    assert_eq!(seven["type"], "application");
    assert_eq!(by_name(&b, "libc6")["type"], "library");
    assert_eq!(props(seven, "uproot:package:source"), ["windows-uninstall"]);
}

#[test]
fn findings_ride_on_their_components() {
    let r = support::report();
    let b = cyclonedx::to_value(&r, &Options::default());
    let kesl = by_name(&b, "kesl");
    assert_eq!(props(kesl, "uproot:finding:vendor"), ["kaspersky"]);
    assert_eq!(
        props(kesl, "uproot:finding:indicator"),
        ["kaspersky.kesl.package"]
    );
    assert_eq!(props(kesl, "uproot:finding:remnant"), ["false"]);
    let auth = props(kesl, "uproot:finding:authorities");
    assert!(auth[0].split(',').any(|a| a == "bod-17-01"), "{auth:?}");
    let f = r
        .findings
        .iter()
        .find(|f| f.evidence.key == "kesl" && f.kind == "package")
        .unwrap();
    assert_eq!(props(kesl, "uproot:finding:id"), [f.id.as_str()]);
    assert_eq!(
        props(kesl, "uproot:finding:severity"),
        [f.severity.as_str()]
    );
    assert!(props(by_name(&b, "libc6"), "uproot:finding:id").is_empty());

    let cert = by_name(&b, "Kaspersky Anti-Virus Personal Root Certificate");
    assert_eq!(cert["type"], "data");
    assert_eq!(cert["hashes"].as_array().unwrap().len(), 2);
    assert_eq!(props(cert, "uproot:finding:vendor"), ["kaspersky"]);
    assert!(props(by_name(&b, "ISRG Root X1"), "uproot:finding:id").is_empty());

    let hms = by_name(&b, "push");
    assert_eq!(hms["group"], "com.huawei.hms");
    assert_eq!(hms["purl"], "pkg:maven/com.huawei.hms/push@6.11.0.300");
    assert_eq!(props(hms, "uproot:finding:vendor"), ["huawei"]);
    assert_eq!(
        props(hms, "uproot:sbom:path"),
        ["acme-app@2.3 > com.huawei.hms/push@6.11.0.300"]
    );

    let kav = by_name(&b, "kav-sdk");
    assert_eq!(
        kav["type"], "library",
        "1.6-only types fall back to library"
    );
    assert_eq!(kav["supplier"]["name"], "AO Kaspersky Lab");
    assert_eq!(props(kav, "uproot:sbom:manufacturer"), ["AO Kaspersky Lab"]);
    assert_eq!(props(kav, "uproot:finding:vendor"), ["kaspersky"]);
    assert!(props(by_name(&b, "commons-lang3"), "uproot:finding:id").is_empty());

    // Evidence that is not a listed component becomes one of its own.
    let dir = by_name(&b, "/var/opt/kaspersky/kesl");
    assert_eq!(dir["type"], "file");
    assert_eq!(props(dir, "uproot:finding:vendor"), ["kaspersky"]);
    let unit = by_name(&b, "kesl.service");
    assert_eq!(unit["type"], "application");
    assert_eq!(props(unit, "uproot:evidence:kind"), ["service"]);

    // Every finding appears exactly once.
    let mut ids: Vec<&str> = components(&b)
        .iter()
        .flat_map(|c| props(c, "uproot:finding:id"))
        .collect();
    ids.sort();
    let mut want: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    want.sort();
    assert_eq!(ids, want);
}

#[test]
fn bom_refs_are_unique_and_output_is_stable() {
    let r = support::report();
    let a = cyclonedx::to_json(&r, &Options::default());
    let b = cyclonedx::to_json(&r, &Options::default());
    assert_eq!(a, b);
    assert_eq!(a, r.to_cyclonedx());
    let v: Value = serde_json::from_str(&a).unwrap();
    let mut seen = HashSet::new();
    seen.insert(
        v["metadata"]["component"]["bom-ref"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    for c in components(&v) {
        let r = c["bom-ref"]
            .as_str()
            .expect("every component has a bom-ref");
        assert!(seen.insert(r.to_owned()), "duplicate bom-ref {r}");
    }
    // Shuffling the inventory does not change the BOM's components.
    let mut shuffled = r.clone();
    shuffled.inventory.packages.reverse();
    shuffled.inventory.certificates.reverse();
    shuffled.inventory.sbom_components.reverse();
    let s = cyclonedx::to_value(&shuffled, &Options::default());
    assert_eq!(s["components"], v["components"]);
}

#[test]
fn a_duplicate_package_gets_a_distinct_bom_ref() {
    let mut r = support::report();
    let dup = r.inventory.packages[0].clone();
    r.inventory.packages.push(dup);
    let b = cyclonedx::to_value(&r, &Options::default());
    let refs: Vec<&str> = components(&b)
        .iter()
        .filter(|c| c["name"] == "libc6")
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 2);
    assert_ne!(refs[0], refs[1]);
}
