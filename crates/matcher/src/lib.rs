//! The matcher: inventory + compiled catalog → findings.
//!
//! Each inventory record is turned into the [`Fields`](uproot_catalog::Fields) its kind of rule can
//! test, and every rule of that kind is tried. When several rules hit the
//! same record (the `kesl` package matches both the KESL name rule and the
//! "maintainer is Kaspersky" rule), one finding is made, attributed to the
//! most specific rule, and the others are listed in `also_matched` so the
//! report stays explainable without double counting.
//!
//! SBOM components are matched on their name, every organisation the SBOM
//! names for them and their purl type and namespace; an OS package listed in
//! an SBOM (`pkg:deb/…/kesl`) is also tried against the package rules. Either
//! way the finding's kind is `sbom-component` and its detail carries the path
//! of products that pulls the component in.
//!
//! A [`Finding`] is plain data: the assessment, the plan and the fleet server
//! all consume it without needing the catalog again.
//!
//! ```
//! use uproot_inventory::{Inventory, Package, PackageSource};
//! let compiled = uproot_catalog::Catalog::builtin().unwrap().compile().unwrap();
//! let mut inv = Inventory::default();
//! let mut p = Package::new("kesl", "12.1.0-1297", PackageSource::Dpkg, "/var/lib/dpkg/status");
//! p.state = Some("installed".into());
//! inv.packages.push(p);
//! let findings = uproot_matcher::match_inventory(&compiled, &inv);
//! assert_eq!(findings[0].vendor, "kaspersky");
//! assert_eq!(findings[0].kind, "package");
//! ```
#![deny(missing_docs)]

mod finding;
mod records;
mod sbom;

pub use finding::{AuthorityRef, Evidence, Finding, ImageLayer};
pub use sbom::sbom_key;

use uproot_catalog::{CompiledCatalog, CompiledRule, Confidence, Kind, Severity};
use uproot_inventory::Inventory;

/// Matches every record in `inv` and returns findings sorted by vendor,
/// severity (highest first), kind and evidence.
pub fn match_inventory(catalog: &CompiledCatalog, inv: &Inventory) -> Vec<Finding> {
    let mut findings = Vec::new();
    for mut rec in records::records(inv) {
        let mut hits: Vec<&CompiledRule> = Vec::new();
        for kind in rec.kinds() {
            for fields in rec.field_variants() {
                for r in catalog.matching(kind, &fields) {
                    if !hits.iter().any(|h| std::ptr::eq(*h, r)) {
                        hits.push(r);
                    }
                }
            }
        }
        if hits.is_empty() {
            continue;
        }
        hits.sort_by_key(|r| std::cmp::Reverse(specificity(r)));
        let best = hits[0];
        let also: Vec<String> = hits[1..].iter().map(|r| r.indicator.id.clone()).collect();
        if let Some(d) = rec.sbom.take() {
            if let Some(c) = inv.sbom_components.get(d.component) {
                sbom::complete(&mut rec, c, &d.also_via);
            }
        }
        findings.push(build(catalog, best, &rec, also));
    }
    findings.sort_by(|a, b| {
        a.vendor
            .cmp(&b.vendor)
            .then(b.severity.cmp(&a.severity))
            .then(a.kind.cmp(&b.kind))
            .then(a.evidence.key.cmp(&b.evidence.key))
            .then(a.evidence.source.cmp(&b.evidence.source))
    });
    findings
}

/// Exact names and ids say more than patterns, and patterns more than a
/// publisher or path match; confidence breaks ties.
fn specificity(r: &CompiledRule) -> (u8, u8) {
    let m = &r.indicator.matcher;
    let how =
        if !m.name.is_empty() || !m.id.is_empty() || !m.path.is_empty() || !m.altitude.is_empty() {
            3
        } else if !m.name_glob.is_empty()
            || m.name_regex.is_some()
            || !m.key.is_empty()
            || !m.namespace_glob.is_empty()
            || m.namespace_regex.is_some()
        {
            2
        } else {
            1
        };
    let conf = match r.indicator.confidence {
        Some(Confidence::Official) => 3,
        Some(Confidence::ThirdParty) => 2,
        Some(Confidence::Corroborated) => 1,
        None => 0,
    };
    (how, conf)
}

/// Default severity by kind, before a rule's override and before remnant
/// downgrading. Kernel reach and TLS interception are worst because they see
/// everything; an installed product comes next; leftovers are least.
fn kind_severity(kind: Kind, rec: &records::Record) -> Severity {
    match kind {
        Kind::Certificate | Kind::Driver | Kind::Process => Severity::Critical,
        Kind::KernelModule if rec.active => Severity::Critical,
        Kind::Service if rec.active => Severity::High,
        Kind::Package
        | Kind::KernelModule
        | Kind::AppBundle
        | Kind::Signer
        | Kind::SbomComponent => Severity::High,
        _ => Severity::Medium,
    }
}

fn build(
    catalog: &CompiledCatalog,
    rule: &CompiledRule,
    rec: &records::Record,
    also_matched: Vec<String>,
) -> Finding {
    let vendor = catalog.vendor_of(rule);
    let ind = &rule.indicator;
    let product = vendor.products.iter().find(|p| p.id == ind.product);
    let remnant = ind.remnant || rec.remnant;
    // A rule's severity describes its own kind of evidence: `klif.sys` as a loaded
    // minifilter is critical, the same name as a file on disk is not.
    let override_applies = ind.kind == rec.kind;
    let mut severity = ind
        .severity
        .filter(|_| override_applies)
        .unwrap_or_else(|| kind_severity(rec.kind, rec));
    if remnant {
        severity = severity.min(Severity::Low);
    }
    let authorities = vendor
        .authorities
        .iter()
        .map(|va| {
            let a = catalog.catalog().authority(&va.id);
            AuthorityRef {
                id: va.id.clone(),
                title: a.map(|a| a.title.clone()).unwrap_or_default(),
                citation: a.map(|a| a.citation.clone()).unwrap_or_default(),
                since: va.since.clone(),
            }
        })
        .collect();
    let embedded_in = rec
        .detail
        .get("enclosing")
        .filter(|dir| !vendor_owns(vendor, dir))
        .cloned();
    let summary = match &embedded_in {
        Some(dir) => format!("{} (embedded in {dir})", rec.summary),
        None => rec.summary.clone(),
    };
    let action = if let Some(dir) = &embedded_in {
        format!("Covered code is embedded in the product at {dir}: contact that product's vendor for a version without it, or remove the product. {}", vendor.action)
    } else if remnant {
        format!(
            "Delete the leftover {} and confirm no other component of the product remains.",
            rec.noun
        )
    } else {
        vendor.action.clone()
    };
    Finding {
        id: finding_id(&ind.id, &rec.source, &rec.key),
        vendor: vendor.id.clone(),
        vendor_name: vendor.name.clone(),
        product: ind.product.clone(),
        product_name: product
            .map(|p| p.name.clone())
            .unwrap_or_else(|| ind.product.clone()),
        // The kind of *evidence*: a LaunchDaemon matched by a bundle-id rule is a service finding.
        kind: rec.kind.as_str().to_owned(),
        indicator: ind.id.clone(),
        confidence: ind
            .confidence
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "unlabelled".into()),
        indicator_source: ind.source.clone().unwrap_or_default(),
        summary,
        evidence: Evidence {
            source: rec.source.clone(),
            key: rec.key.clone(),
            detail: rec.detail.clone(),
        },
        remnant,
        embedded_in,
        severity: severity.as_str().to_owned(),
        authorities,
        condition: vendor.condition.clone(),
        action,
        layer: None,
        also_matched,
    }
}

/// True when a directory looks like the vendor's own product folder
/// (`/Program Files (x86)/Kaspersky Lab/…`), by the vendor's name and aliases.
fn vendor_owns(vendor: &uproot_catalog::Vendor, dir: &str) -> bool {
    let dir = dir.to_lowercase();
    std::iter::once(&vendor.name)
        .chain(&vendor.aliases)
        .map(|n| n.to_lowercase())
        .any(|n| {
            n.split_whitespace()
                .filter(|w| {
                    w.len() > 3
                        && !["corporation", "technology", "technologies", "limited"].contains(w)
                })
                .any(|w| dir.contains(w))
        })
}

/// A stable id: the same indicator on the same evidence gives the same id in
/// every scan and on every machine, so the fleet server can track it.
/// FNV-1a, because it is tiny, fixed forever, and needs no dependency.
pub fn finding_id(indicator: &str, source: &str, key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in indicator
        .bytes()
        .chain([0])
        .chain(source.bytes())
        .chain([0])
        .chain(key.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use uproot_inventory::{CodeSigner, Driver, Inventory, RegistryKey};

    fn compiled() -> CompiledCatalog {
        uproot_catalog::Catalog::builtin()
            .unwrap()
            .compile()
            .unwrap()
    }

    fn signer(path: &str, enclosing: &str) -> CodeSigner {
        CodeSigner {
            path: path.into(),
            format: "authenticode".into(),
            subject: Some("C=RU, O=AO Kaspersky Lab, CN=AO Kaspersky Lab".into()),
            chain: vec![],
            team_id: None,
            enclosing: Some(enclosing.into()),
        }
    }

    #[test]
    fn kaspersky_signed_dll_in_another_vendors_folder_is_embedded() {
        let mut inv = Inventory::default();
        inv.signers.push(signer(
            "/Program Files/OtherVendor/engine/kavbase.dll",
            "/Program Files/OtherVendor",
        ));
        inv.signers.push(signer(
            "/Program Files (x86)/Kaspersky Lab/KES/avp.exe",
            "/Program Files (x86)/Kaspersky Lab",
        ));
        let f = match_inventory(&compiled(), &inv);
        assert_eq!(f.len(), 2);
        let emb = f
            .iter()
            .find(|f| f.evidence.key.contains("OtherVendor"))
            .unwrap();
        assert_eq!(
            emb.embedded_in.as_deref(),
            Some("/Program Files/OtherVendor")
        );
        assert!(emb
            .summary
            .contains("embedded in /Program Files/OtherVendor"));
        let own = f
            .iter()
            .find(|f| f.evidence.key.contains("Kaspersky Lab"))
            .unwrap();
        assert_eq!(own.embedded_in, None);
    }

    #[test]
    fn drivers_match_by_file_name_and_by_altitude() {
        let mut inv = Inventory::default();
        inv.drivers.push(Driver {
            name: "klif".into(),
            file: Some(r"\SystemRoot\System32\DRIVERS\klif.sys".into()),
            driver_type: "fs-driver".into(),
            start: Some("boot".into()),
            altitudes: vec![320400],
            team_id: None,
            location: "SYSTEM".into(),
        });
        // A renamed driver is still caught by its Microsoft-assigned altitude.
        inv.drivers.push(Driver {
            name: "renamed".into(),
            file: Some("renamed.sys".into()),
            driver_type: "fs-driver".into(),
            start: Some("boot".into()),
            altitudes: vec![389500],
            team_id: None,
            location: "SYSTEM".into(),
        });
        let f = match_inventory(&compiled(), &inv);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f
            .iter()
            .all(|f| f.vendor == "kaspersky" && f.severity == "critical"));
        let klif = f.iter().find(|f| f.evidence.key == "klif").unwrap();
        assert!(
            klif.also_matched.iter().any(|i| i.contains("altitude")),
            "{:?}",
            klif.also_matched
        );
    }

    #[test]
    fn registry_keys_match_case_insensitively() {
        let mut inv = Inventory::default();
        inv.registry_keys.push(RegistryKey {
            path: r"HKLM\Software\KasperskyLab\protected\KES.21.19\environment".into(),
            values: [(
                "ProductName".to_owned(),
                "Kaspersky Endpoint Security for Windows".to_owned(),
            )]
            .into(),
            location: "/Windows/System32/config/SOFTWARE".into(),
        });
        let f = match_inventory(&compiled(), &inv);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0]
            .summary
            .contains("Kaspersky Endpoint Security for Windows"));
    }

    #[test]
    fn finding_ids_are_stable() {
        assert_eq!(finding_id("a", "b", "c"), finding_id("a", "b", "c"));
        assert_ne!(finding_id("a", "b", "c"), finding_id("a", "bc", ""));
    }
}
