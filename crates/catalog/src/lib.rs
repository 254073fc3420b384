//! The covered-vendor catalog.
//!
//! The catalog says *what* to look for and *why it matters*: vendors, their
//! products, sourced indicators (each with a confidence label and a source),
//! and the legal authorities that cover each vendor. It is declarative TOML, one
//! file per vendor under `catalog/` at the repository root, embedded into the
//! binary at build time. Users add or override rules with `--catalog FILE` in the
//! same format, without rebuilding.
//!
//! Loading is lenient (so that `lint` can report every problem at once, each
//! named by file and rule id); [`Catalog::compile`] turns the rules into
//! matchers once, before a scan.
//!
//! ```
//! let catalog = uproot_catalog::Catalog::builtin().unwrap();
//! assert!(catalog.vendor("kaspersky").is_some());
//! let compiled = catalog.compile().unwrap();
//! assert!(compiled.rules().len() > 10);
//! ```
#![deny(missing_docs)]

mod compile;
mod glob;
mod lint;
mod model;

pub use compile::{CompiledCatalog, CompiledRule, Fields};
pub use lint::{is_date, Diagnostic, Level, CODES as LINT_CODES};
pub use model::*;

use std::path::Path;

/// The built-in catalog files, in load order.
const BUILTIN: &[(&str, &str)] = &[
    (
        "catalog/catalog.toml",
        include_str!("../../../catalog/catalog.toml"),
    ),
    (
        "catalog/authorities.toml",
        include_str!("../../../catalog/authorities.toml"),
    ),
    (
        "catalog/vendors/kaspersky.toml",
        include_str!("../../../catalog/vendors/kaspersky.toml"),
    ),
    (
        "catalog/vendors/huawei.toml",
        include_str!("../../../catalog/vendors/huawei.toml"),
    ),
    (
        "catalog/vendors/zte.toml",
        include_str!("../../../catalog/vendors/zte.toml"),
    ),
    (
        "catalog/vendors/hytera.toml",
        include_str!("../../../catalog/vendors/hytera.toml"),
    ),
    (
        "catalog/vendors/hikvision.toml",
        include_str!("../../../catalog/vendors/hikvision.toml"),
    ),
    (
        "catalog/vendors/dahua.toml",
        include_str!("../../../catalog/vendors/dahua.toml"),
    ),
    (
        "catalog/vendors/carriers.toml",
        include_str!("../../../catalog/vendors/carriers.toml"),
    ),
];

/// A catalog file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Read {
        /// File name.
        file: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("{file}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// Parser message, with line and column.
        message: String,
    },
    /// The rules are inconsistent; every problem is listed.
    #[error("catalog has {} error(s):\n{}", .0.len(), .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

/// A loaded (not yet compiled) catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Catalog identity.
    pub meta: Option<CatalogMeta>,
    /// Authorities, by id order of first appearance.
    pub authorities: Vec<Authority>,
    /// Vendors.
    pub vendors: Vec<Vendor>,
    /// For each indicator id, the file it was loaded from.
    origins: std::collections::HashMap<String, String>,
    /// Files that were merged in after the built-in ones.
    pub overlays: Vec<String>,
}

impl Catalog {
    /// Loads the catalog embedded in the binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let mut c = Catalog::default();
        for (file, text) in BUILTIN {
            c.merge_str(file, text)?;
        }
        Ok(c)
    }

    /// Merges a user catalog file: new vendors and authorities are added; an
    /// indicator or product with an existing id replaces it.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), CatalogError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            file: file.clone(),
            source,
        })?;
        self.merge_str(&file, &text)?;
        self.overlays.push(file);
        Ok(())
    }

    /// Merges catalog TOML text, naming `file` in errors.
    pub fn merge_str(&mut self, file: &str, text: &str) -> Result<(), CatalogError> {
        let frag: Fragment = toml::from_str(text).map_err(|e| CatalogError::Parse {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        if let Some(meta) = frag.catalog {
            self.meta = Some(meta);
        }
        for a in frag.authorities {
            match self.authorities.iter_mut().find(|x| x.id == a.id) {
                Some(slot) => *slot = a,
                None => self.authorities.push(a),
            }
        }
        for v in frag.vendors {
            self.origins
                .entry(format!("vendor:{}", v.id))
                .or_insert_with(|| file.to_owned());
            for ind in &v.indicators {
                self.origins.insert(ind.id.clone(), file.to_owned());
            }
            self.merge_vendor(v);
        }
        Ok(())
    }

    fn merge_vendor(&mut self, v: Vendor) {
        let Some(slot) = self.vendors.iter_mut().find(|x| x.id == v.id) else {
            self.vendors.push(v);
            return;
        };
        // A user file may reopen a vendor just to add rules, so empty fields keep the built-in value.
        if !v.authorities.is_empty() {
            slot.authorities = v.authorities;
        }
        if !v.aliases.is_empty() {
            slot.aliases = v.aliases;
        }
        if v.condition.is_some() {
            slot.condition = v.condition;
        }
        for p in v.products {
            match slot.products.iter_mut().find(|x| x.id == p.id) {
                Some(s) => *s = p,
                None => slot.products.push(p),
            }
        }
        for i in v.indicators {
            match slot.indicators.iter_mut().find(|x| x.id == i.id) {
                Some(s) => *s = i,
                None => slot.indicators.push(i),
            }
        }
    }

    /// The catalog version recorded in reports, with a `+local` suffix when
    /// user files were merged in (so a report says it was not the stock catalog).
    pub fn version(&self) -> String {
        let base = self
            .meta
            .as_ref()
            .map(|m| m.version.clone())
            .unwrap_or_else(|| "unversioned".into());
        if self.overlays.is_empty() {
            base
        } else {
            format!("{base}+local")
        }
    }

    /// Finds a vendor by id.
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// Finds an authority by id.
    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.id == id)
    }

    /// Finds an indicator by id, with its vendor.
    pub fn indicator(&self, id: &str) -> Option<(&Vendor, &Indicator)> {
        self.vendors
            .iter()
            .find_map(|v| v.indicators.iter().find(|i| i.id == id).map(|i| (v, i)))
    }

    /// The file an indicator was loaded from.
    pub fn origin(&self, indicator_id: &str) -> &str {
        self.origins
            .get(indicator_id)
            .map(String::as_str)
            .unwrap_or("<unknown>")
    }

    /// The file a vendor was first defined in.
    pub fn vendor_origin(&self, vendor_id: &str) -> &str {
        self.origin(&format!("vendor:{vendor_id}"))
    }

    /// Checks every rule; returns all diagnostics (errors and warnings).
    pub fn lint(&self) -> Vec<Diagnostic> {
        lint::lint(self)
    }

    /// Compiles the rules into matchers. Fails only on rules that cannot be
    /// compiled at all (bad regex or glob, unknown product); missing provenance
    /// is reported by `lint`.
    pub fn compile(&self) -> Result<CompiledCatalog, CatalogError> {
        compile::compile(self)
    }

    /// In-root paths that `file` indicators probe for.
    pub fn probe_paths(&self) -> Vec<String> {
        self.collect_field(|i| (i.kind == Kind::File).then(|| i.matcher.path.clone()))
    }

    /// Registry key paths (exact or glob) that `registry-key` indicators ask about.
    pub fn registry_paths(&self) -> Vec<String> {
        self.collect_field(|i| {
            (i.kind == Kind::RegistryKey).then(|| {
                let mut v = i.matcher.path.clone();
                v.extend(i.matcher.path_glob.iter().cloned());
                v
            })
        })
    }

    /// File-name patterns the deep sweep reports wherever they lie: the exact
    /// names and globs of driver and process rules (`klif.sys`, `avp.exe`).
    pub fn deep_name_globs(&self) -> Vec<String> {
        self.collect_field(|i| {
            matches!(i.kind, Kind::Driver | Kind::Process).then(|| {
                let mut v = i.matcher.name.clone();
                v.extend(i.matcher.name_glob.iter().cloned());
                v
            })
        })
    }

    /// In-root settings files that `setting` indicators read.
    pub fn setting_files(&self) -> Vec<String> {
        self.collect_field(|i| (i.kind == Kind::Setting).then(|| i.matcher.file.clone()))
    }

    fn collect_field(&self, f: impl Fn(&Indicator) -> Option<Vec<String>>) -> Vec<String> {
        let mut out: Vec<String> = self
            .vendors
            .iter()
            .flat_map(|v| v.indicators.iter())
            .filter_map(&f)
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
