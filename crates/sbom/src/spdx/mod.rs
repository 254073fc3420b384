//! SPDX 2.x: what the JSON and tag-value readers share. Both fill an
//! [`SpdxDoc`]; [`SpdxDoc::finish`] checks identifiers and relationships,
//! picks the subject and builds the paths.

pub(crate) mod json;
pub(crate) mod tagvalue;

use std::collections::{HashMap, HashSet};

use uproot_inventory::SbomComponent;

use crate::cdx::Violations;
use crate::error::SbomError;
use crate::rules;
use crate::{graph, Document, Format, Limits};

/// A package as either syntax gives it.
#[derive(Debug, Default)]
pub(crate) struct Package {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub supplier: Option<String>,
    pub originator: Option<String>,
    pub purl: Option<String>,
    pub purpose: Option<String>,
    /// `downloadLocation` / `PackageDownloadLocation` given (required, if
    /// only as NOASSERTION).
    pub download_location: bool,
    /// JSON pointer or `line N`.
    pub pointer: String,
}

#[derive(Debug)]
pub(crate) struct Relationship {
    pub from: String,
    pub kind: String,
    pub to: String,
    pub pointer: String,
}

/// One SPDX document as read.
pub(crate) struct SpdxDoc<'a> {
    pub location: &'a str,
    pub limits: &'a Limits,
    pub version: Option<String>,
    pub doc_id: Option<String>,
    pub packages: Vec<Package>,
    /// SPDXIDs of files and snippets: relationships may name them.
    pub other_ids: HashSet<String>,
    pub relationships: Vec<Relationship>,
    /// JSON `documentDescribes`.
    pub describes: Vec<String>,
    pub violations: Violations,
}

impl<'a> SpdxDoc<'a> {
    pub(crate) fn new(location: &'a str, limits: &'a Limits) -> Self {
        SpdxDoc {
            location,
            limits,
            version: None,
            doc_id: None,
            packages: Vec::new(),
            other_ids: HashSet::new(),
            relationships: Vec::new(),
            describes: Vec::new(),
            violations: Violations::default(),
        }
    }

    pub(crate) fn add_package(&mut self, p: Package) -> Result<(), SbomError> {
        if self.packages.len() >= self.limits.max_components {
            return Err(SbomError::TooManyComponents {
                location: self.location.to_string(),
                pointer: p.pointer,
                limit: self.limits.max_components,
            });
        }
        self.packages.push(p);
        Ok(())
    }

    pub(crate) fn finish(mut self, format: Format) -> Document {
        let version = self.version.clone().unwrap_or_default();
        match self.version.as_deref() {
            None => self.violations.push("", "spdxVersion is required"),
            Some(v) if !matches!(v, "SPDX-2.0" | "SPDX-2.1" | "SPDX-2.2" | "SPDX-2.3") => {
                self.violations.push(
                    "",
                    format!(
                        "spdxVersion {:?} is not SPDX-2.0 to SPDX-2.3",
                        rules::clip(v)
                    ),
                )
            }
            Some(_) => {}
        }
        let doc_id = self
            .doc_id
            .clone()
            .unwrap_or_else(|| "SPDXRef-DOCUMENT".to_string());
        if self.doc_id.is_none() {
            self.violations.push("", "the document SPDXID is required");
        }

        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, p) in self.packages.iter().enumerate() {
            match &p.id {
                None => self
                    .violations
                    .push(&p.pointer, "a package needs an SPDXID"),
                Some(id) if !id.starts_with("SPDXRef-") => self.violations.push(
                    &p.pointer,
                    format!("SPDXID {:?} does not start with SPDXRef-", rules::clip(id)),
                ),
                Some(id) => {
                    if index.insert(id.clone(), i).is_some() || self.other_ids.contains(id) {
                        self.violations.push(
                            &p.pointer,
                            format!("SPDXID {:?} is not unique", rules::clip(id)),
                        );
                    }
                }
            }
            if p.name.is_none() {
                self.violations.push(&p.pointer, "a package needs a name");
            }
            if !p.download_location {
                let field = if format == Format::SpdxJson {
                    "downloadLocation"
                } else {
                    "PackageDownloadLocation"
                };
                self.violations
                    .push(&p.pointer, format!("a package needs a {field}"));
            }
        }

        let known = |id: &str| {
            id == doc_id
                || index.contains_key(id)
                || self.other_ids.contains(id)
                || matches!(id, "NONE" | "NOASSERTION")
                // An element of another document: DocumentRef-x:SPDXRef-y.
                || (id.starts_with("DocumentRef-") && id.contains(':'))
        };
        let mut problems = Vec::new();
        for id in &self.describes {
            if !known(id) {
                problems.push((
                    "/documentDescribes".to_string(),
                    format!(
                        "documentDescribes names {:?}, which is not in this document",
                        rules::clip(id)
                    ),
                ));
            }
        }
        for r in &self.relationships {
            for id in [&r.from, &r.to] {
                if !known(id) {
                    problems.push((
                        r.pointer.clone(),
                        format!(
                            "relationship names {:?}, which is not in this document",
                            rules::clip(id)
                        ),
                    ));
                }
            }
        }
        for (p, m) in problems {
            self.violations.push(p, m);
        }

        let n = self.packages.len();
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut described: Vec<usize> = Vec::new();
        let describe = |id: &str, described: &mut Vec<usize>| {
            if let Some(&i) = index.get(id) {
                if !described.contains(&i) {
                    described.push(i);
                }
            }
        };
        for id in &self.describes {
            describe(id, &mut described);
        }
        for r in &self.relationships {
            match r.kind.as_str() {
                "DESCRIBES" if r.from == doc_id => describe(&r.to, &mut described),
                "DESCRIBED_BY" if r.to == doc_id => describe(&r.from, &mut described),
                _ => {}
            }
            let (from, to) = match direction(&r.kind) {
                Some(Dir::Forward) => (&r.from, &r.to),
                Some(Dir::Reverse) => (&r.to, &r.from),
                None => continue,
            };
            if let (Some(&f), Some(&t)) = (index.get(from), index.get(to)) {
                adj[f].push(t);
            }
        }
        let subject_idx = (described.len() == 1).then(|| described[0]);
        let parents = vec![None; n];
        let paths = graph::shortest_paths(&described, &adj, &parents);

        let location = self.location.to_string();
        let nodes: Vec<SbomComponent> = self
            .packages
            .into_iter()
            .map(|p| component(p, &location))
            .collect();
        let labels: Vec<String> = nodes.iter().map(SbomComponent::label).collect();
        let mut subject = None;
        let mut components = Vec::with_capacity(n);
        for (i, (mut c, p)) in nodes.into_iter().zip(paths).enumerate() {
            c.path = graph::labels(&p, &labels);
            if Some(i) == subject_idx {
                subject = Some(c);
            } else {
                components.push(c);
            }
        }
        Document {
            format,
            spec_version: version,
            subject,
            components,
            pedigree: Vec::new(),
            dependencies: self.relationships.len(),
            violations: self.violations.finish(),
        }
    }
}

enum Dir {
    Forward,
    Reverse,
}

/// Which relationships say that one element pulls in another, and which way.
fn direction(kind: &str) -> Option<Dir> {
    match kind {
        "DESCRIBES" | "CONTAINS" | "DEPENDS_ON" | "STATIC_LINK" | "DYNAMIC_LINK"
        | "HAS_PREREQUISITE" => Some(Dir::Forward),
        "DESCRIBED_BY" | "CONTAINED_BY" | "PREREQUISITE_FOR" => Some(Dir::Reverse),
        // DEPENDENCY_OF, DEV_DEPENDENCY_OF, PACKAGE_OF, BUILD_TOOL_OF, …:
        // "A x_OF B" means B has A.
        k if k.ends_with("_OF") => Some(Dir::Reverse),
        _ => None,
    }
}

/// `Organization: X` / `Person: Y` / `Tool: Z` → the name; NOASSERTION → none.
pub(crate) fn party(s: &str) -> Option<String> {
    let s = s.trim();
    let name = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s)
        .trim();
    (!name.is_empty() && name != "NOASSERTION" && name != "NONE").then(|| name.to_string())
}

fn component(p: Package, location: &str) -> SbomComponent {
    let (ecosystem, namespace) = match p.purl.as_deref().and_then(crate::purl::ecosystem_namespace)
    {
        Some((e, n)) => (Some(e), n),
        None => (None, None),
    };
    SbomComponent {
        name: p.name.unwrap_or_default(),
        version: p.version.filter(|v| !v.is_empty() && v != "NOASSERTION"),
        group: None,
        purl: p.purl,
        ecosystem,
        namespace,
        supplier: p.supplier.as_deref().and_then(party),
        publisher: None,
        manufacturer: None,
        authors: p
            .originator
            .as_deref()
            .and_then(party)
            .into_iter()
            .collect(),
        component_type: p.purpose.map(|s| s.to_ascii_lowercase().replace('_', "-")),
        bom_ref: p.id,
        path: Vec::new(),
        location: location.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_and_directions() {
        assert_eq!(
            party("Organization: AO Kaspersky Lab").as_deref(),
            Some("AO Kaspersky Lab")
        );
        assert_eq!(
            party("Person: Jane (j@x.org)").as_deref(),
            Some("Jane (j@x.org)")
        );
        assert_eq!(party("NOASSERTION"), None);
        assert_eq!(party("Organization: "), None);
        assert!(matches!(direction("DEPENDENCY_OF"), Some(Dir::Reverse)));
        assert!(matches!(direction("DEPENDS_ON"), Some(Dir::Forward)));
        assert!(direction("OTHER").is_none());
    }
}
