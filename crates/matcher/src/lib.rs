//! The matcher: inventory + compiled catalog → findings.
//!
//! Each inventory record is turned into the [`Fields`] its kind of rule can
//! test, and every rule of that kind is tried. When several rules hit the
//! same record (the `kesl` package matches both the KESL name rule and the
//! "maintainer is Kaspersky" rule), one finding is made, attributed to the
//! most specific rule, and the others are listed in `also_matched` so the
//! report stays explainable without double counting.
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

pub use finding::{AuthorityRef, Evidence, Finding};

use uproot_catalog::{CompiledCatalog, CompiledRule, Confidence, Kind, Severity};
use uproot_inventory::Inventory;

/// Matches every record in `inv` and returns findings sorted by vendor,
/// severity (highest first), kind and evidence.
pub fn match_inventory(catalog: &CompiledCatalog, inv: &Inventory) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rec in records::records(inv) {
        let fields = rec.fields();
        let mut hits: Vec<&CompiledRule> = catalog.matching(rec.kind, &fields).collect();
        if hits.is_empty() {
            continue;
        }
        hits.sort_by_key(|r| std::cmp::Reverse(specificity(r)));
        let best = hits[0];
        let also: Vec<String> = hits[1..].iter().map(|r| r.indicator.id.clone()).collect();
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
        } else if !m.name_glob.is_empty() || m.name_regex.is_some() || !m.key.is_empty() {
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
    let mut severity = ind.severity.unwrap_or_else(|| kind_severity(ind.kind, rec));
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
    let action = if remnant {
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
        kind: ind.kind.as_str().to_owned(),
        indicator: ind.id.clone(),
        confidence: ind
            .confidence
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "unlabelled".into()),
        indicator_source: ind.source.clone().unwrap_or_default(),
        summary: rec.summary.clone(),
        evidence: Evidence {
            source: rec.source.clone(),
            key: rec.key.clone(),
            detail: rec.detail.clone(),
        },
        remnant,
        severity: severity.as_str().to_owned(),
        authorities,
        condition: vendor.condition.clone(),
        action,
        also_matched,
    }
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
