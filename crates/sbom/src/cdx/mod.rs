//! CycloneDX: what the JSON and XML readers share. Each reader turns a
//! component into [`CompFields`] and hands it to the [`Builder`], which checks
//! the rules common to both syntaxes, keeps the output record, and at the end
//! resolves `bom-ref`s, dependencies and paths.

pub(crate) mod json;
pub(crate) mod xml;

use std::collections::{HashMap, HashSet};

use uproot_inventory::SbomComponent;

use crate::error::SbomError;
use crate::rules::{self, Spec};
use crate::{graph, Document, Format, Limits, Violation};

/// Most violations kept per document; past it one summary says how many more.
const MAX_VIOLATIONS: usize = 10_000;

/// Violations of one document, bounded.
#[derive(Default)]
pub(crate) struct Violations {
    list: Vec<Violation>,
    dropped: usize,
}

impl Violations {
    pub(crate) fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        if self.list.len() < MAX_VIOLATIONS {
            self.list.push(Violation {
                pointer: pointer.into(),
                message: message.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Violation> {
        if self.dropped > 0 {
            self.list.push(Violation {
                pointer: String::new(),
                message: format!(
                    "{} more violations not listed (at most {MAX_VIOLATIONS} are kept)",
                    self.dropped
                ),
            });
        }
        self.list
    }
}

/// One component's fields as either syntax states them.
#[derive(Debug, Default)]
pub(crate) struct CompFields {
    pub ctype: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub group: Option<String>,
    pub purl: Option<String>,
    pub bom_ref: Option<String>,
    pub supplier: Option<String>,
    pub publisher: Option<String>,
    pub manufacturer: Option<String>,
    pub authors: Vec<String>,
    pub scope: Option<String>,
    pub version_range: Option<String>,
    pub is_external: Option<bool>,
}

impl CompFields {
    /// Rules on a component's own fields that both syntaxes share; `ptr`
    /// renders the component's pointer, only when something is wrong.
    pub(crate) fn check(&self, spec: Spec, ptr: &dyn Fn() -> String, v: &mut Violations) {
        match &self.ctype {
            None => v.push(ptr(), "component type is required"),
            Some(t) => {
                if let Some(m) = rules::one_of("component type", t, rules::COMPONENT_TYPES) {
                    v.push(ptr(), m);
                }
            }
        }
        if self.name.is_none() {
            v.push(ptr(), "component name is required");
        }
        if self.version.is_none() && !spec.at_least(4) {
            v.push(ptr(), "component version is required before CycloneDX 1.4");
        }
        if let Some(s) = &self.scope {
            if let Some(m) = rules::one_of("component scope", s, rules::SCOPES) {
                v.push(ptr(), m);
            }
        }
        if self.version_range.is_some() {
            if self.version.is_some() {
                v.push(
                    ptr(),
                    "a component has either version or versionRange, not both",
                );
            }
            if self.is_external != Some(true) {
                v.push(
                    ptr(),
                    "versionRange is only allowed on an external component (isExternal true)",
                );
            }
        }
    }
}

/// Where a component stands in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `metadata.component`.
    Subject,
    /// In `components`, at any depth.
    Listed,
    /// In a component's `pedigree`: what it was derived from or into.
    Pedigree,
}

/// A dependency entry, kept until every `bom-ref` is known.
struct Dep {
    from: String,
    to: Vec<String>,
    pointer: String,
}

/// Collects a document's components, references and violations.
pub(crate) struct Builder<'a> {
    pub location: &'a str,
    pub limits: &'a Limits,
    pub spec: Spec,
    pub violations: Violations,
    nodes: Vec<SbomComponent>,
    parents: Vec<Option<usize>>,
    /// Named only in a pedigree (ancestors, descendants, variants).
    in_pedigree: Vec<bool>,
    subject: Option<usize>,
    refs: HashMap<String, usize>,
    other_refs: HashSet<String>,
    deps: Vec<Dep>,
    edges: usize,
    pub meta_supplier: Option<String>,
    pub meta_manufacturer: Option<String>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(location: &'a str, limits: &'a Limits, spec: Spec) -> Self {
        Builder {
            location,
            limits,
            spec,
            violations: Violations::default(),
            nodes: Vec::new(),
            parents: Vec::new(),
            in_pedigree: Vec::new(),
            subject: None,
            refs: HashMap::new(),
            other_refs: HashSet::new(),
            deps: Vec::new(),
            edges: 0,
            meta_supplier: None,
            meta_manufacturer: None,
        }
    }

    /// Takes a slot for a component before its nested components are read,
    /// so they can name it as their parent.
    pub(crate) fn reserve(
        &mut self,
        parent: Option<usize>,
        role: Role,
        pointer: impl Fn() -> String,
    ) -> Result<usize, SbomError> {
        if self.nodes.len() >= self.limits.max_components {
            return Err(SbomError::TooManyComponents {
                location: self.location.to_string(),
                pointer: pointer(),
                limit: self.limits.max_components,
            });
        }
        let idx = self.nodes.len();
        self.nodes.push(SbomComponent::default());
        self.parents.push(parent);
        // A component nested in a pedigree component belongs to the pedigree too.
        let in_pedigree = role == Role::Pedigree || parent.is_some_and(|p| self.in_pedigree[p]);
        self.in_pedigree.push(in_pedigree);
        if role == Role::Subject && self.subject.is_none() {
            self.subject = Some(idx);
        }
        Ok(idx)
    }

    /// Fills a reserved slot, checks the common rules and registers its `bom-ref`.
    pub(crate) fn fill(&mut self, idx: usize, f: CompFields, pointer: impl Fn() -> String) {
        f.check(self.spec, &pointer, &mut self.violations);
        if let Some(r) = &f.bom_ref {
            self.add_component_ref(r, idx, &pointer);
        }
        let (ecosystem, namespace) =
            match f.purl.as_deref().and_then(crate::purl::ecosystem_namespace) {
                Some((e, n)) => (Some(e), n),
                None => (None, None),
            };
        self.nodes[idx] = SbomComponent {
            name: f.name.unwrap_or_default(),
            version: f.version,
            group: f.group.filter(|g| !g.is_empty()),
            purl: f.purl,
            ecosystem,
            namespace,
            supplier: f.supplier,
            publisher: f.publisher,
            manufacturer: f.manufacturer,
            authors: f.authors,
            component_type: f.ctype,
            bom_ref: f.bom_ref,
            path: Vec::new(),
            location: self.location.to_string(),
        };
    }

    fn add_component_ref(&mut self, r: &str, idx: usize, pointer: &dyn Fn() -> String) {
        if r.is_empty() {
            self.violations.push(pointer(), "bom-ref must not be empty");
            return;
        }
        if let Some(&first) = self.refs.get(r) {
            let first = &self.nodes[first];
            let what = if first.name.is_empty() {
                "another component".to_string()
            } else {
                format!("component {}", first.label())
            };
            self.violations.push(
                pointer(),
                format!(
                    "bom-ref {:?} is not unique: {what} already uses it",
                    rules::clip(r)
                ),
            );
            return;
        }
        if self.other_refs.contains(r) {
            self.violations.push(
                pointer(),
                format!(
                    "bom-ref {:?} is not unique: a service already uses it",
                    rules::clip(r)
                ),
            );
        }
        self.refs.insert(r.to_string(), idx);
    }

    /// A service's `bom-ref`: dependencies may point at services too.
    pub(crate) fn add_service_ref(&mut self, r: &str, pointer: &str) {
        if r.is_empty() {
            self.violations.push(pointer, "bom-ref must not be empty");
        } else if self.refs.contains_key(r) || !self.other_refs.insert(r.to_string()) {
            self.violations.push(
                pointer,
                format!("bom-ref {:?} is not unique", rules::clip(r)),
            );
        }
    }

    /// One dependency entry: `from` depends on each of `to`. `None` for a
    /// missing `ref` (already reported by the reader).
    pub(crate) fn add_dependency(
        &mut self,
        from: Option<String>,
        to: Vec<String>,
        pointer: String,
    ) {
        self.edges += to.len();
        match from {
            Some(from) if !from.is_empty() => self.deps.push(Dep { from, to, pointer }),
            Some(_) => self
                .violations
                .push(pointer, "dependency ref must not be empty"),
            None => self.violations.push(pointer, "dependency ref is required"),
        }
    }

    pub(crate) fn finish(mut self, format: Format, spec_version: String) -> Document {
        let n = self.nodes.len();
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (child, parent) in self.parents.iter().enumerate() {
            if let Some(p) = parent {
                adj[*p].push(child);
            }
        }
        let deps = std::mem::take(&mut self.deps);
        for d in &deps {
            let from = self.refs.get(&d.from).copied();
            if from.is_none() && !self.other_refs.contains(&d.from) {
                self.violations.push(
                    &d.pointer,
                    format!(
                        "dependency ref {:?} names no component or service in this BOM",
                        rules::clip(&d.from)
                    ),
                );
            }
            for t in &d.to {
                let to = self.refs.get(t).copied();
                if t.is_empty() {
                    self.violations
                        .push(&d.pointer, "dependsOn entry must not be empty");
                } else if to.is_none() && !self.other_refs.contains(t) {
                    self.violations.push(
                        &d.pointer,
                        format!(
                            "dependsOn {:?} names no component or service in this BOM",
                            rules::clip(t)
                        ),
                    );
                }
                if let (Some(f), Some(t)) = (from, to) {
                    adj[f].push(t);
                }
            }
        }
        if let Some(s) = self.subject {
            let subject = &mut self.nodes[s];
            if subject.supplier.is_none() {
                subject.supplier = self.meta_supplier.take();
            }
            if subject.manufacturer.is_none() {
                subject.manufacturer = self.meta_manufacturer.take();
            }
        }
        let sources: Vec<usize> = self.subject.into_iter().collect();
        // A top-level component belongs to the BOM's subject even when the
        // dependency graph does not say so (most BOMs before 1.4 have none),
        // so its path starts at the subject, naming the product that ships it.
        let parents: Vec<Option<usize>> = self
            .parents
            .iter()
            .enumerate()
            .map(|(i, p)| p.or(self.subject.filter(|&s| s != i)))
            .collect();
        let paths = graph::shortest_paths(&sources, &adj, &parents);
        drop(adj);
        let labels: Vec<String> = self.nodes.iter().map(SbomComponent::label).collect();
        let mut subject = None;
        let mut components = Vec::with_capacity(n.saturating_sub(1));
        let mut pedigree = Vec::new();
        for (i, (mut c, p)) in self.nodes.into_iter().zip(paths).enumerate() {
            c.path = graph::labels(&p, &labels);
            if Some(i) == self.subject {
                subject = Some(c);
            } else if self.in_pedigree[i] {
                pedigree.push(c);
            } else {
                components.push(c);
            }
        }
        Document {
            format,
            spec_version,
            subject,
            components,
            pedigree,
            dependencies: self.edges,
            violations: self.violations.finish(),
        }
    }
}
