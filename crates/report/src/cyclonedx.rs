//! The report as a CycloneDX 1.5 JSON SBOM.
//!
//! The BOM describes the scanned host (an `operating-system`) or image (a
//! `container`) and lists what the scan saw that is software or trust:
//! packages with a package URL per package manager, kernel modules and
//! drivers, browser extensions, trusted certificates and components read
//! from SBOMs. Findings travel as `uproot:finding:*` properties on the
//! component they were made from; a finding whose evidence is not one of
//! those (a file, a service, a setting, a signer) becomes a component of its
//! own. Only types that exist in 1.5 are used: a certificate is `data`
//! (1.6's `cryptographic-asset` does not exist yet).
//!
//! The output is a pure function of the report: components are sorted,
//! bom-refs are derived from content, and the serial number is a UUID
//! derived from the report's bytes, so the same report always gives the
//! same BOM. A test validates it against the official 1.5 schema.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use uproot_inventory::{Package, PackageSource, SbomComponent};
use uproot_matcher::Finding;

use crate::Report;

/// What the BOM describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Set when the scan was of a container image: its name or file. The
    /// BOM's subject is then a `container` named so, instead of the host's
    /// `operating-system`.
    pub image: Option<String>,
}

/// The CycloneDX 1.5 document for `report`, as pretty JSON with a final newline.
pub fn to_json(report: &Report, opts: &Options) -> String {
    serde_json::to_string_pretty(&build(report, opts)).expect("a BOM always serialises") + "\n"
}

/// The CycloneDX 1.5 document for `report`, as a JSON value.
pub fn to_value(report: &Report, opts: &Options) -> serde_json::Value {
    serde_json::to_value(build(report, opts)).expect("a BOM always serialises")
}

/// The component types CycloneDX 1.5 defines; anything else read from an
/// input SBOM is written as `library`.
pub const COMPONENT_TYPES_1_5: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "String::is_empty")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Organization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    /// Sort order: which part of the inventory it came from.
    #[serde(skip)]
    rank: u8,
}

#[derive(Serialize)]
struct Organization {
    name: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize, Clone)]
struct Property {
    name: String,
    value: String,
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: name.to_owned(),
        value: value.into(),
    }
}

/// Adds `name` only when there is a non-empty value.
fn opt_prop(props: &mut Vec<Property>, name: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        props.push(prop(name, v));
    }
}

fn build(r: &Report, opts: &Options) -> Bom {
    let inv = &r.inventory;
    let mut components: Vec<Component> = Vec::new();
    // Where each finding's evidence sits among the components: (kind, source, key) → indices.
    let mut at: HashMap<(&str, String, String), Vec<usize>> = HashMap::new();
    let mut place =
        |comps: &mut Vec<Component>, c: Component, kind: &'static str, src: &str, key: String| {
            at.entry((kind, src.to_owned(), key))
                .or_default()
                .push(comps.len());
            comps.push(c);
        };

    for p in &inv.packages {
        let c = package(p, r);
        place(&mut components, c, "package", &p.location, p.name.clone());
    }
    for m in &inv.kernel_modules {
        let mut props = vec![prop("uproot:kernel-module:loaded", m.loaded.to_string())];
        props.push(prop("uproot:location", m.location.clone()));
        let c = Component {
            kind: "device-driver",
            bom_ref: format!("uproot:kernel-module:{}:{}", m.location, m.name),
            name: m.name.clone(),
            properties: props,
            rank: 1,
            ..Component::default()
        };
        place(
            &mut components,
            c,
            "kernel-module",
            &m.location,
            m.name.clone(),
        );
    }
    for d in &inv.drivers {
        let mut props = vec![prop("uproot:driver:type", d.driver_type.clone())];
        opt_prop(&mut props, "uproot:driver:file", d.file.as_deref());
        opt_prop(&mut props, "uproot:driver:start", d.start.as_deref());
        if !d.altitudes.is_empty() {
            let alts: Vec<String> = d.altitudes.iter().map(u32::to_string).collect();
            props.push(prop("uproot:driver:altitudes", alts.join(",")));
        }
        opt_prop(&mut props, "uproot:driver:team-id", d.team_id.as_deref());
        props.push(prop("uproot:location", d.location.clone()));
        let c = Component {
            kind: "device-driver",
            bom_ref: format!("uproot:driver:{}:{}", d.location, d.name),
            name: d.name.clone(),
            properties: props,
            rank: 2,
            ..Component::default()
        };
        place(&mut components, c, "driver", &d.location, d.name.clone());
    }
    for e in &inv.browser_extensions {
        let props = vec![
            prop("uproot:browser-extension:browser", e.browser.clone()),
            prop("uproot:browser-extension:id", e.id.clone()),
            prop("uproot:browser-extension:profile", e.profile.clone()),
            prop("uproot:location", e.location.clone()),
        ];
        let c = Component {
            kind: "application",
            bom_ref: format!("uproot:browser-extension:{}:{}", e.location, e.id),
            name: e.name.clone().unwrap_or_else(|| e.id.clone()),
            version: e.version.clone(),
            properties: props,
            rank: 3,
            ..Component::default()
        };
        place(
            &mut components,
            c,
            "browser-extension",
            &e.location,
            e.id.clone(),
        );
    }
    for cert in &inv.certificates {
        let mut hashes = Vec::new();
        for (alg, hex) in [("SHA-1", &cert.sha1), ("SHA-256", &cert.sha256)] {
            // A hash that is not plain hex would fail the schema; it stays a property.
            if is_hex_digest(hex) {
                hashes.push(Hash {
                    alg,
                    content: hex.to_lowercase(),
                });
            }
        }
        let props = vec![
            prop("uproot:certificate:subject", cert.subject.clone()),
            prop("uproot:certificate:issuer", cert.issuer.clone()),
            prop("uproot:certificate:serial", cert.serial.clone()),
            prop("uproot:certificate:sha256", cert.sha256.clone()),
            prop("uproot:certificate:not-after", cert.not_after.clone()),
            prop("uproot:certificate:is-ca", cert.is_ca.to_string()),
            prop("uproot:location", cert.location.clone()),
        ];
        let c = Component {
            kind: "data",
            bom_ref: format!("uproot:certificate:{}:{}", cert.location, cert.sha256),
            name: common_name(&cert.subject),
            description: Some(format!("trusted certificate {}", cert.subject)),
            hashes,
            properties: props,
            rank: 4,
            ..Component::default()
        };
        place(
            &mut components,
            c,
            "certificate",
            &cert.location,
            cert.sha256.clone(),
        );
    }
    for s in &inv.sbom_components {
        let c = sbom_component(s);
        place(
            &mut components,
            c,
            "sbom-component",
            &s.location,
            uproot_matcher::sbom_key(s),
        );
    }

    // Findings onto their components; the rest become components themselves.
    let mut attached: Vec<BTreeSet<String>> = vec![BTreeSet::new(); components.len()];
    for f in &r.findings {
        let hits = at
            .get(&(
                f.kind.as_str(),
                f.evidence.source.clone(),
                f.evidence.key.clone(),
            ))
            .cloned()
            .unwrap_or_default();
        if hits.is_empty() {
            components.push(finding_component(f));
            continue;
        }
        for i in hits {
            // Two records with one id (a package listed for two architectures) are one finding.
            if attached[i].insert(f.id.clone()) {
                components[i].properties.extend(finding_props(f));
            }
        }
    }

    components.sort_by(|a, b| {
        (a.rank, &a.name, &a.version, &a.bom_ref).cmp(&(b.rank, &b.name, &b.version, &b.bom_ref))
    });
    let mut refs: BTreeSet<String> = BTreeSet::new();
    refs.insert(SUBJECT_REF.to_owned());
    for c in &mut components {
        c.bom_ref = unique_ref(&mut refs, std::mem::take(&mut c.bom_ref));
    }

    Bom {
        bom_format: "CycloneDX",
        spec_version: "1.5",
        serial_number: serial_number(r),
        version: 1,
        metadata: Metadata {
            timestamp: r.generated_at.clone(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: r.tool.name.clone(),
                    version: Some(r.tool.version.clone()),
                    ..Component::default()
                }],
            },
            component: subject(r, opts),
            properties: report_props(r),
        },
        components,
    }
}

const SUBJECT_REF: &str = "uproot:subject";

fn subject(r: &Report, opts: &Options) -> Component {
    let h = &r.host;
    let mut props = Vec::new();
    opt_prop(&mut props, "uproot:host:hostname", Some(&h.hostname));
    opt_prop(&mut props, "uproot:host:os", Some(&h.os));
    opt_prop(&mut props, "uproot:host:distro", h.distro.as_deref());
    opt_prop(
        &mut props,
        "uproot:host:distro-version",
        h.distro_version.as_deref(),
    );
    opt_prop(&mut props, "uproot:host:kernel", h.kernel.as_deref());
    opt_prop(
        &mut props,
        "uproot:host:machine-id",
        h.machine_id.as_deref(),
    );
    opt_prop(&mut props, "uproot:host:root", Some(&h.root));
    props.push(prop("uproot:host:live", h.live.to_string()));
    let fallback = || {
        [
            h.pretty_name.as_deref(),
            h.distro.as_deref(),
            Some(h.os.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_owned()
    };
    match &opts.image {
        Some(image) => Component {
            kind: "container",
            bom_ref: SUBJECT_REF.into(),
            name: if image.is_empty() {
                fallback()
            } else {
                image.clone()
            },
            description: h.pretty_name.clone(),
            properties: props,
            ..Component::default()
        },
        None => Component {
            kind: "operating-system",
            bom_ref: SUBJECT_REF.into(),
            name: if h.hostname.is_empty() {
                fallback()
            } else {
                h.hostname.clone()
            },
            version: h.distro_version.clone(),
            description: h.pretty_name.clone(),
            properties: props,
            ..Component::default()
        },
    }
}

fn report_props(r: &Report) -> Vec<Property> {
    let mut props = vec![
        prop("uproot:report:schema", r.schema.clone()),
        prop("uproot:catalog:version", r.catalog.version.clone()),
    ];
    for o in &r.catalog.overlays {
        props.push(prop("uproot:catalog:overlay", o.clone()));
    }
    props.push(prop(
        "uproot:summary:findings",
        r.summary.findings.to_string(),
    ));
    props.push(prop(
        "uproot:summary:remnants",
        r.summary.remnants.to_string(),
    ));
    props.push(prop("uproot:summary:errors", r.summary.errors.to_string()));
    if let Some(a) = &r.assessment {
        props.push(prop("uproot:assessment:model", a.model.clone()));
        props.push(prop("uproot:assessment:status", a.status.as_str()));
        props.push(prop("uproot:assessment:severity", a.severity.clone()));
        props.push(prop("uproot:assessment:score", a.score.to_string()));
    }
    props
}

fn package(p: &Package, r: &Report) -> Component {
    let mut props = vec![prop("uproot:package:source", p.source.as_str())];
    opt_prop(&mut props, "uproot:package:state", p.state.as_deref());
    opt_prop(&mut props, "uproot:package:arch", p.arch.as_deref());
    if p.hold {
        props.push(prop("uproot:package:hold", "true"));
    }
    opt_prop(&mut props, "uproot:package:id", p.id.as_deref());
    opt_prop(&mut props, "uproot:package:scope", p.scope.as_deref());
    opt_prop(
        &mut props,
        "uproot:package:install-location",
        p.install_location.as_deref(),
    );
    props.push(prop("uproot:location", p.location.clone()));
    let purl = package_purl(p, r);
    let os_package = matches!(
        p.source,
        PackageSource::Dpkg | PackageSource::Rpm | PackageSource::Apk | PackageSource::Pacman
    );
    let arch = p
        .arch
        .as_deref()
        .map(|a| format!(":{a}"))
        .unwrap_or_default();
    Component {
        // What syft and trivy call distribution packages; desktop installs are applications.
        kind: if os_package { "library" } else { "application" },
        bom_ref: purl.clone().unwrap_or_else(|| {
            format!(
                "uproot:package:{}:{}@{}{arch}",
                p.source.as_str(),
                p.name,
                p.version
            )
        }),
        publisher: p.vendor.clone().filter(|v| !v.is_empty()),
        name: p.name.clone(),
        version: Some(p.version.clone()).filter(|v| !v.is_empty()),
        purl,
        properties: props,
        rank: 0,
        ..Component::default()
    }
}

/// The package URL of a distribution package (purl-spec types `deb`, `rpm`,
/// `apk`, `alpm`), with the host's distribution as namespace; `None` for
/// package managers purl has no type for.
pub fn package_purl(p: &Package, r: &Report) -> Option<String> {
    let distro = r
        .host
        .distro
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(str::to_lowercase);
    let (ty, default_ns) = match p.source {
        PackageSource::Dpkg => ("deb", Some("debian")),
        PackageSource::Rpm => ("rpm", None),
        PackageSource::Apk => ("apk", Some("alpine")),
        PackageSource::Pacman => ("alpm", Some("arch")),
        _ => return None,
    };
    if p.name.is_empty() {
        return None;
    }
    let namespace = distro.clone().or(default_ns.map(str::to_owned));
    let mut version = p.version.clone();
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    if let Some(a) = p.arch.as_deref().filter(|a| !a.is_empty()) {
        qualifiers.push(("arch", a.to_owned()));
    }
    if let (Some(d), Some(v)) = (&distro, r.host.distro_version.as_deref()) {
        qualifiers.push(("distro", format!("{d}-{v}")));
    }
    // purl-spec keeps an rpm epoch in its own qualifier; deb keeps it in the version.
    if p.source == PackageSource::Rpm {
        if let Some((epoch, rest)) = version.split_once(':') {
            if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) {
                qualifiers.push(("epoch", epoch.to_owned()));
                version = rest.to_owned();
            }
        }
    }
    qualifiers.sort();
    let mut purl = format!("pkg:{ty}/");
    if let Some(ns) = namespace {
        purl.push_str(&pct(&ns));
        purl.push('/');
    }
    purl.push_str(&pct(&p.name));
    if !version.is_empty() {
        purl.push('@');
        purl.push_str(&pct(&version));
    }
    if !qualifiers.is_empty() {
        let q: Vec<String> = qualifiers
            .iter()
            .map(|(k, v)| format!("{k}={}", pct(v)))
            .collect();
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    Some(purl)
}

/// Percent-encodes everything but the purl-spec's unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sbom_component(s: &SbomComponent) -> Component {
    let mut props = Vec::new();
    opt_prop(&mut props, "uproot:sbom:bom-ref", s.bom_ref.as_deref());
    opt_prop(&mut props, "uproot:sbom:ecosystem", s.ecosystem.as_deref());
    opt_prop(
        &mut props,
        "uproot:sbom:component-type",
        s.component_type.as_deref(),
    );
    // 1.5 has no component manufacturer (1.6 adds it), so it is kept as a property.
    opt_prop(
        &mut props,
        "uproot:sbom:manufacturer",
        s.manufacturer.as_deref(),
    );
    if !s.path.is_empty() {
        props.push(prop("uproot:sbom:path", s.path.join(" > ")));
    }
    props.push(prop("uproot:location", s.location.clone()));
    let kind = s
        .component_type
        .as_deref()
        .and_then(|t| COMPONENT_TYPES_1_5.iter().find(|x| **x == t))
        .copied()
        .unwrap_or("library");
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    Component {
        kind,
        bom_ref: format!("uproot:sbom:{}#{}", s.location, uproot_matcher::sbom_key(s)),
        supplier: nonempty(&s.supplier).map(|name| Organization { name }),
        author: (!s.authors.is_empty()).then(|| s.authors.join(", ")),
        publisher: nonempty(&s.publisher),
        group: nonempty(&s.group),
        name: s.name.clone(),
        version: nonempty(&s.version),
        purl: nonempty(&s.purl),
        properties: props,
        rank: 5,
        ..Component::default()
    }
}

/// A component for a finding whose evidence is not listed otherwise.
fn finding_component(f: &Finding) -> Component {
    let kind = match f.kind.as_str() {
        "file" | "signer" => "file",
        "service" | "process" | "app-bundle" | "package" => "application",
        "kernel-module" | "driver" => "device-driver",
        "mac-oui" | "usb-device" => "device",
        "sbom-component" => "library",
        _ => "data",
    };
    let mut props = vec![
        prop("uproot:evidence:kind", f.kind.clone()),
        prop("uproot:evidence:source", f.evidence.source.clone()),
        prop("uproot:evidence:key", f.evidence.key.clone()),
    ];
    props.extend(finding_props(f));
    Component {
        kind,
        bom_ref: format!("uproot:finding:{}", f.id),
        name: if f.evidence.key.is_empty() {
            f.evidence.source.clone()
        } else {
            f.evidence.key.clone()
        },
        description: Some(f.summary.clone()),
        properties: props,
        rank: 6,
        ..Component::default()
    }
}

fn finding_props(f: &Finding) -> Vec<Property> {
    let authorities: Vec<&str> = f.authorities.iter().map(|a| a.id.as_str()).collect();
    let mut props = vec![
        prop("uproot:finding:id", f.id.clone()),
        prop("uproot:finding:vendor", f.vendor.clone()),
        prop("uproot:finding:product", f.product.clone()),
        prop("uproot:finding:severity", f.severity.clone()),
        prop("uproot:finding:indicator", f.indicator.clone()),
        prop("uproot:finding:confidence", f.confidence.clone()),
        prop("uproot:finding:authorities", authorities.join(",")),
        prop("uproot:finding:remnant", f.remnant.to_string()),
        prop("uproot:finding:summary", f.summary.clone()),
    ];
    if let Some(l) = &f.layer {
        props.push(prop("uproot:finding:layer", l.digest.clone()));
    }
    props
}

/// The CN of a distinguished name, or the whole name when it has none.
fn common_name(dn: &str) -> String {
    dn.split(',')
        .map(str::trim)
        .find_map(|rdn| {
            rdn.strip_prefix("CN=")
                .or_else(|| rdn.strip_prefix("cn="))
                .filter(|cn| !cn.is_empty())
        })
        .unwrap_or(dn)
        .to_owned()
}

fn is_hex_digest(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn unique_ref(taken: &mut BTreeSet<String>, base: String) -> String {
    let base = if base.is_empty() {
        "uproot:component".to_owned()
    } else {
        base
    };
    if taken.insert(base.clone()) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}#{n}"))
        .find(|r| taken.insert(r.clone()))
        .expect("an unused suffix exists")
}

/// An RFC 4122 UUID (version 5 layout, SHA-256 instead of SHA-1) of the
/// report's JSON: one report, one serial number.
fn serial_number(r: &Report) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(r.to_json().as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(pct("1:2.3+dfsg-1~b1"), "1%3A2.3%2Bdfsg-1~b1");
        assert_eq!(pct("@scope"), "%40scope");
    }

    #[test]
    fn common_names() {
        assert_eq!(
            common_name(
                "C=RU, O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate"
            ),
            "Kaspersky Anti-Virus Personal Root Certificate"
        );
        assert_eq!(common_name("O=Example"), "O=Example");
    }

    #[test]
    fn refs_are_made_unique_in_order() {
        let mut t = BTreeSet::new();
        assert_eq!(unique_ref(&mut t, "a".into()), "a");
        assert_eq!(unique_ref(&mut t, "a".into()), "a#2");
        assert_eq!(unique_ref(&mut t, "a".into()), "a#3");
        assert_eq!(unique_ref(&mut t, String::new()), "uproot:component");
    }
}
