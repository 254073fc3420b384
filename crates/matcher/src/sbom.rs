//! SBOM components as matcher records.
//!
//! A component is tested three ways: by its name (and `group/name`), by every
//! organisation the SBOM names for it (supplier, publisher, manufacturer,
//! authors; producers fill different ones), and by its purl's type and
//! namespace. A component that is an OS package (`pkg:deb`, `pkg:rpm`,
//! `pkg:apk`, `pkg:alpm`) is also tried against the catalog's package rules,
//! as if the package manager had listed it, so one `kesl` rule finds the
//! installed package on a host and the same package listed in an image SBOM.
//! The finding kind stays `sbom-component` either way: the evidence is a line
//! in an SBOM, not an installed package.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use uproot_catalog::Kind;
use uproot_inventory::SbomComponent;

use crate::records::Record;

/// The evidence key of an SBOM component: its `bom-ref` (or SPDXID), else
/// its purl, else its `name@version` label. The CycloneDX writer uses the
/// same key to put a finding back on its component.
pub fn sbom_key(c: &SbomComponent) -> String {
    [c.bom_ref.as_deref(), c.purl.as_deref()]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| c.label())
}

/// The package source whose rules apply to a purl type, for OS package types.
fn package_source_of(ecosystem: &str) -> Option<&'static str> {
    match ecosystem {
        "deb" => Some("dpkg"),
        "rpm" => Some("rpm"),
        "apk" => Some("apk"),
        "alpm" => Some("pacman"),
        _ => None,
    }
}

/// What an SBOM record still needs to become a finding. Building the
/// summary and detail of every component costs more than matching it, and
/// an SBOM of 100k components has a handful of hits, so [`complete`] does it
/// for those only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deferred {
    /// Index into `Inventory::sbom_components`.
    pub component: usize,
    /// Other routes to the same component in the same SBOM.
    pub also_via: Vec<String>,
}

/// Records for every component. A component listed twice in one SBOM (the
/// same `bom-ref` reached through two parents) is one record, so it is one
/// finding with one stable id; the other routes are kept in `also_via`.
pub(crate) fn records(components: &[SbomComponent]) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    let mut seen: HashMap<(&str, String), usize> = HashMap::new();
    for (i, c) in components.iter().enumerate() {
        let key = sbom_key(c);
        match seen.entry((c.location.as_str(), key)) {
            Entry::Occupied(e) => {
                let Some(d) = out[*e.get()].sbom.as_mut() else {
                    continue;
                };
                let via = c.path.join(" > ");
                if !via.is_empty()
                    && via != components[d.component].path.join(" > ")
                    && !d.also_via.contains(&via)
                {
                    d.also_via.push(via);
                }
            }
            Entry::Vacant(e) => {
                let rec = record(c, i, e.key().1.clone());
                e.insert(out.len());
                out.push(rec);
            }
        }
    }
    out
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Every organisation, in the order a reader would trust it, without repeats.
fn organisations(c: &SbomComponent) -> Vec<(&'static str, &str)> {
    let mut orgs: Vec<(&'static str, &str)> = Vec::new();
    let roles = [
        ("supplier", nonempty(&c.supplier)),
        ("publisher", nonempty(&c.publisher)),
        ("manufacturer", nonempty(&c.manufacturer)),
    ];
    let authors = c
        .authors
        .iter()
        .map(|a| ("author", Some(a.trim())))
        .filter(|(_, a)| a.is_some_and(|a| !a.is_empty()));
    for (role, org) in roles.into_iter().chain(authors) {
        if let Some(org) = org {
            if !orgs.iter().any(|(_, o)| *o == org) {
                orgs.push((role, org));
            }
        }
    }
    orgs
}

/// The fields rules test; summary and detail wait for [`complete`].
fn record(c: &SbomComponent, index: usize, key: String) -> Record {
    let ecosystem = nonempty(&c.ecosystem).map(str::to_lowercase);
    let package_source = ecosystem.as_deref().and_then(package_source_of);
    let orgs = organisations(c);
    Record {
        kind: Kind::SbomComponent,
        also_kinds: if package_source.is_some() {
            vec![Kind::Package]
        } else {
            Vec::new()
        },
        alt_names: nonempty(&c.group)
            .map(|g| format!("{g}/{}", c.name))
            .into_iter()
            .collect(),
        alt_publishers: orgs.iter().skip(1).map(|(_, o)| (*o).to_owned()).collect(),
        name: Some(c.name.clone()),
        publisher: orgs.first().map(|(_, o)| (*o).to_owned()),
        package_source: package_source.map(str::to_owned),
        ecosystem,
        namespace: nonempty(&c.namespace).map(str::to_owned),
        source: c.location.clone(),
        key,
        // Listed in software the organisation ships or runs: present, not a leftover.
        active: true,
        noun: "SBOM component",
        sbom: Some(Deferred {
            component: index,
            also_via: Vec::new(),
        }),
        ..Record::default()
    }
}

/// Fills the summary and detail of a record that matched.
pub(crate) fn complete(rec: &mut Record, c: &SbomComponent, also_via: &[String]) {
    let orgs = organisations(c);
    let label = c.label();
    let mut what: Vec<String> = Vec::new();
    if let Some(e) = &rec.ecosystem {
        what.push(e.clone());
    }
    if let Some((role, org)) = orgs.first() {
        what.push(format!("{role} {org}"));
    }
    let mut summary = format!("SBOM component {label}");
    if !what.is_empty() {
        summary.push_str(&format!(" ({})", what.join(", ")));
    }
    // The path ends with the component itself; what comes before it is who pulls it in.
    if let Some((_, parents)) = c.path.split_last().filter(|(_, p)| !p.is_empty()) {
        summary.push_str(&format!(" via {}", parents.join(" > ")));
    }
    let authors = (!c.authors.is_empty()).then(|| c.authors.join("; "));
    let path = (!c.path.is_empty()).then(|| c.path.join(" > "));
    let also = (!also_via.is_empty()).then(|| also_via.join(" | "));
    rec.summary = summary;
    rec.detail = crate::records::detail([
        ("version", nonempty(&c.version)),
        ("purl", nonempty(&c.purl)),
        ("ecosystem", rec.ecosystem.as_deref()),
        ("namespace", nonempty(&c.namespace)),
        ("group", nonempty(&c.group)),
        ("supplier", nonempty(&c.supplier)),
        ("publisher", nonempty(&c.publisher)),
        ("manufacturer", nonempty(&c.manufacturer)),
        ("authors", authors.as_deref()),
        ("component_type", nonempty(&c.component_type)),
        ("bom_ref", nonempty(&c.bom_ref)),
        ("path", path.as_deref()),
        ("also_via", also.as_deref()),
    ]);
}
