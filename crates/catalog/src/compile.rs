//! Rules compiled once into matchers.
//!
//! Every pattern is compiled before the first record is looked at, so a scan
//! of a thousand packages costs hash lookups and a few prebuilt regexes, and
//! a broken pattern fails before the scan, not halfway through it.

use std::collections::{HashMap, HashSet};

use std::sync::OnceLock;

use regex::Regex;

use crate::lint::{Diagnostic, Level};
use crate::model::{Indicator, Kind, Vendor};
use crate::{glob, Catalog, CatalogError};

/// The attributes of one evidence record that rules can test. Fields a record
/// does not have stay `None`, and a rule that needs them does not match.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fields<'a> {
    /// Name: package, unit, module, process name.
    pub name: Option<&'a str>,
    /// Publisher, maintainer, vendor or organisation.
    pub publisher: Option<&'a str>,
    /// Package source (`dpkg`, `rpm`, …).
    pub package_source: Option<&'a str>,
    /// Command line or executable path.
    pub exec: Option<&'a str>,
    /// Certificate or signer subject.
    pub subject: Option<&'a str>,
    /// Certificate issuer.
    pub issuer: Option<&'a str>,
    /// Certificate SHA-1, hex.
    pub sha1: Option<&'a str>,
    /// Identifier (extension id, bundle id, Team ID, OUI).
    pub id: Option<&'a str>,
    /// Path inside the root.
    pub path: Option<&'a str>,
    /// Minifilter altitude.
    pub altitude: Option<u32>,
    /// Settings file the key came from.
    pub file: Option<&'a str>,
    /// Setting key.
    pub key: Option<&'a str>,
    /// Setting value.
    pub value: Option<&'a str>,
    /// SBOM ecosystem: the purl type (`maven`, `npm`, `deb`, …), lower case.
    pub ecosystem: Option<&'a str>,
    /// SBOM purl namespace (Maven groupId, npm scope, distro), percent-decoded.
    pub namespace: Option<&'a str>,
}

/// One indicator, compiled.
#[derive(Debug)]
pub struct CompiledRule {
    /// Index of the vendor in [`CompiledCatalog::catalog`].
    pub vendor: usize,
    /// The source rule.
    pub indicator: Indicator,
    names: Option<HashSet<String>>,
    name_patterns: Vec<Pattern>,
    publisher: Option<Pattern>,
    sources: Option<HashSet<String>>,
    exec: Option<Pattern>,
    subject: Option<Pattern>,
    issuer: Option<Pattern>,
    sha1: Option<HashSet<String>>,
    ids: Option<HashSet<String>>,
    paths: Option<HashSet<String>>,
    path_patterns: Vec<Pattern>,
    altitudes: Option<HashSet<u32>>,
    files: Option<HashSet<String>>,
    keys: Option<HashSet<String>>,
    value: Option<Pattern>,
    ecosystems: Option<HashSet<String>>,
    namespace_patterns: Vec<Pattern>,
}

impl CompiledRule {
    /// True when every field the rule sets matches `f`.
    pub fn matches(&self, f: &Fields) -> bool {
        let cs = self.indicator.kind.case_sensitive();
        let norm = |s: &str| if cs { s.to_owned() } else { s.to_lowercase() };
        let name_ok = || {
            if self.names.is_none() && self.name_patterns.is_empty() {
                true
            } else {
                f.name.is_some_and(|n| {
                    self.names
                        .as_ref()
                        .is_some_and(|set| set.contains(&norm(n)))
                        || self.name_patterns.iter().any(|re| re.is_match(n))
                })
            }
        };
        let path_ok = || {
            if self.paths.is_none() && self.path_patterns.is_empty() {
                true
            } else {
                f.path.is_some_and(|p| {
                    self.paths
                        .as_ref()
                        .is_some_and(|set| set.contains(&norm(p)))
                        || self.path_patterns.iter().any(|re| re.is_match(p))
                })
            }
        };
        let namespace_ok = || {
            self.namespace_patterns.is_empty()
                || f.namespace
                    .is_some_and(|ns| self.namespace_patterns.iter().any(|re| re.is_match(ns)))
        };
        // Set lookups first: a Windows-only rule is ruled out on a Linux
        // package by its source before any of its regexes is even compiled.
        set_ok(&self.sources, f.package_source, false)
            && set_ok(&self.ecosystems, f.ecosystem, false)
            && set_ok(&self.sha1, f.sha1, false)
            && set_ok(&self.ids, f.id, false)
            && set_ok(&self.files, f.file, true)
            && set_ok(&self.keys, f.key, false)
            && match &self.altitudes {
                None => true,
                Some(set) => f.altitude.is_some_and(|a| set.contains(&a)),
            }
            && name_ok()
            && path_ok()
            && namespace_ok()
            && re_ok(&self.publisher, f.publisher)
            && re_ok(&self.exec, f.exec)
            && re_ok(&self.subject, f.subject)
            && re_ok(&self.issuer, f.issuer)
            && re_ok(&self.value, f.value)
    }
}

fn re_ok(re: &Option<Pattern>, v: Option<&str>) -> bool {
    match re {
        None => true,
        Some(re) => v.is_some_and(|v| re.is_match(v)),
    }
}

fn set_ok(set: &Option<HashSet<String>>, v: Option<&str>, case_sensitive: bool) -> bool {
    match set {
        None => true,
        Some(set) => v.is_some_and(|v| {
            if case_sensitive {
                set.contains(v)
            } else {
                set.contains(&v.to_lowercase())
            }
        }),
    }
}

/// A catalog ready for matching.
#[derive(Debug)]
pub struct CompiledCatalog {
    catalog: Catalog,
    rules: Vec<CompiledRule>,
    by_kind: HashMap<Kind, Vec<usize>>,
}

impl CompiledCatalog {
    /// The catalog the rules came from.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Builds every pattern now and returns the ones that cannot be built
    /// (`(indicator id, message)`), for `lint`.
    pub fn compile_all(&self) -> Vec<(String, String)> {
        let mut bad = Vec::new();
        for r in &self.rules {
            let pats = r
                .name_patterns
                .iter()
                .chain(&r.path_patterns)
                .chain(&r.namespace_patterns)
                .chain(
                    [&r.publisher, &r.exec, &r.subject, &r.issuer, &r.value]
                        .into_iter()
                        .flatten(),
                );
            for p in pats {
                if let Err(e) = p.force() {
                    bad.push((r.indicator.id.clone(), e));
                }
            }
        }
        bad
    }

    /// Every compiled rule.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The vendor a rule belongs to.
    pub fn vendor_of(&self, rule: &CompiledRule) -> &Vendor {
        &self.catalog.vendors[rule.vendor]
    }

    /// Rules of one kind that match `fields`.
    pub fn matching(&self, kind: Kind, fields: &Fields) -> Vec<&CompiledRule> {
        self.by_kind
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.rules[i])
            .filter(|r| r.matches(fields))
            .collect()
    }
}

pub(crate) fn compile(catalog: &Catalog) -> Result<CompiledCatalog, CatalogError> {
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    for (vi, vendor) in catalog.vendors.iter().enumerate() {
        for ind in &vendor.indicators {
            match compile_rule(vi, ind) {
                Ok(r) => rules.push(r),
                Err(msg) => diags.push(Diagnostic::new(
                    Level::Error,
                    "bad-pattern",
                    catalog.origin(&ind.id),
                    &ind.id,
                    msg,
                )),
            }
            if !vendor.products.iter().any(|p| p.id == ind.product) {
                diags.push(Diagnostic::new(
                    Level::Error,
                    "unknown-product",
                    catalog.origin(&ind.id),
                    &ind.id,
                    format!(
                        "product `{}` is not defined for vendor `{}`",
                        ind.product, vendor.id
                    ),
                ));
            }
        }
    }
    if !diags.is_empty() {
        return Err(CatalogError::Invalid(diags));
    }
    let mut by_kind: HashMap<Kind, Vec<usize>> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        by_kind.entry(r.indicator.kind).or_default().push(i);
    }
    Ok(CompiledCatalog {
        catalog: catalog.clone(),
        rules,
        by_kind,
    })
}

fn compile_rule(vendor: usize, ind: &Indicator) -> Result<CompiledRule, String> {
    let m = &ind.matcher;
    let cs = ind.kind.case_sensitive();
    let norm_set = |v: &[String], cs: bool| -> Option<HashSet<String>> {
        (!v.is_empty()).then(|| {
            v.iter()
                .map(|s| if cs { s.clone() } else { s.to_lowercase() })
                .collect()
        })
    };
    let mut name_patterns = Vec::new();
    for g in &m.name_glob {
        name_patterns.push(regex(&glob::to_regex(g, cs)?)?);
    }
    if let Some(r) = &m.name_regex {
        name_patterns.push(regex(r)?);
    }
    let mut path_patterns = Vec::new();
    for g in &m.path_glob {
        path_patterns.push(regex(&glob::to_regex(g, cs)?)?);
    }
    let mut namespace_patterns = Vec::new();
    for g in &m.namespace_glob {
        namespace_patterns.push(regex(&glob::to_regex(g, cs)?)?);
    }
    if let Some(r) = &m.namespace_regex {
        namespace_patterns.push(regex(r)?);
    }
    if m.fields_set().is_empty() {
        return Err("the match table is empty, so it would match everything".into());
    }
    Ok(CompiledRule {
        vendor,
        indicator: ind.clone(),
        names: norm_set(&m.name, cs),
        name_patterns,
        publisher: opt_regex(&m.publisher_regex)?,
        sources: norm_set(&m.package_source, false),
        exec: opt_regex(&m.exec_regex)?,
        subject: opt_regex(&m.subject_regex)?,
        issuer: opt_regex(&m.issuer_regex)?,
        sha1: norm_set(&m.sha1, false),
        ids: norm_set(&m.id, false),
        paths: norm_set(&m.path, cs),
        path_patterns,
        altitudes: (!m.altitude.is_empty()).then(|| m.altitude.iter().copied().collect()),
        files: norm_set(&m.file, true),
        keys: norm_set(&m.key, false),
        value: opt_regex(&m.value_regex)?,
        ecosystems: norm_set(&m.ecosystem, false),
        namespace_patterns,
    })
}

/// A regex compiled on first use. Most rules never meet a record of their
/// platform (a Windows rule on a Linux host), so compiling every pattern up
/// front cost most of a small scan's start-up. The syntax is still checked at
/// load, so a broken rule fails before the scan; [`CompiledCatalog::compile_all`]
/// (used by `lint`) also checks the compiled size.
#[derive(Debug)]
pub(crate) struct Pattern {
    src: String,
    re: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn build(src: &str) -> Result<Regex, String> {
        regex::RegexBuilder::new(src)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("invalid pattern `{src}`: {e}"))
    }

    /// A pattern that never matches if it cannot be built (lint reports that case).
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.re
            .get_or_init(|| Self::build(&self.src).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(s))
    }

    fn force(&self) -> Result<(), String> {
        Self::build(&self.src).map(|re| {
            let _ = self.re.set(Some(re));
        })
    }
}

fn regex(src: &str) -> Result<Pattern, String> {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(src)
        .map_err(|e| format!("invalid pattern `{src}`: {e}"))?;
    Ok(Pattern {
        src: src.to_owned(),
        re: OnceLock::new(),
    })
}

fn opt_regex(src: &Option<String>) -> Result<Option<Pattern>, String> {
    src.as_deref().map(regex).transpose()
}
