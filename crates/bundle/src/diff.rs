//! `uproot catalog diff OLD NEW`: what a bundle adds, removes or changes,
//! for review before rollout. The same record goes into every bundle's
//! manifest as the sources it changed.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uproot_catalog::{Catalog, Indicator, Vendor};

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Only in the new catalog.
    Added,
    /// Only in the old catalog.
    Removed,
    /// In both, different.
    Changed,
}

impl Change {
    fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// A vendor, product or authority that changed. Products are named
/// `vendor/product`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChange {
    /// Id.
    pub id: String,
    /// What happened to it.
    pub change: Change,
}

/// An indicator that changed, with the sources that justify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorChange {
    /// Indicator id.
    pub id: String,
    /// Its vendor.
    pub vendor: String,
    /// Its kind (`package`, `service`, …).
    pub kind: String,
    /// What happened to it.
    pub change: Change,
    /// The new `source` citation (the old one for a removal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For a change, the old `source` when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_source: Option<String>,
}

/// Everything that differs between two catalogs, each list sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDiff {
    /// The old catalog's version.
    pub from: String,
    /// The new catalog's version.
    pub to: String,
    /// Authorities.
    #[serde(default)]
    pub authorities: Vec<ItemChange>,
    /// Vendors (their own fields: names, authorities, action, condition).
    #[serde(default)]
    pub vendors: Vec<ItemChange>,
    /// Products, `vendor/product`.
    #[serde(default)]
    pub products: Vec<ItemChange>,
    /// Indicators.
    #[serde(default)]
    pub indicators: Vec<IndicatorChange>,
}

impl CatalogDiff {
    /// True when nothing differs but the version.
    pub fn is_empty(&self) -> bool {
        self.authorities.is_empty()
            && self.vendors.is_empty()
            && self.products.is_empty()
            && self.indicators.is_empty()
    }

    /// The text rendering for review (same as `Display`).
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for CatalogDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "catalog {} -> {}", self.from, self.to)?;
        if self.is_empty() {
            return writeln!(f, "no rule changes");
        }
        for (label, items) in [
            ("authority", &self.authorities),
            ("vendor", &self.vendors),
            ("product", &self.products),
        ] {
            for i in items {
                writeln!(f, "{} {label} {}", i.change.sign(), i.id)?;
            }
        }
        for i in &self.indicators {
            writeln!(
                f,
                "{} indicator {} [{}] ({})",
                i.change.sign(),
                i.id,
                i.kind,
                i.vendor
            )?;
            if let Some(s) = &i.source {
                writeln!(f, "    source: {s}")?;
            } else {
                writeln!(f, "    source: (none)")?;
            }
            if let Some(s) = &i.old_source {
                writeln!(f, "    was:    {s}")?;
            }
        }
        let count = |c: Change| self.indicators.iter().filter(|i| i.change == c).count();
        writeln!(
            f,
            "{} indicator(s) added, {} removed, {} changed",
            count(Change::Added),
            count(Change::Removed),
            count(Change::Changed)
        )
    }
}

/// Compares two catalogs.
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let mut d = CatalogDiff {
        from: old.version(),
        to: new.version(),
        ..CatalogDiff::default()
    };
    d.authorities = compare(
        old.authorities.iter().map(|a| (a.id.clone(), a)),
        new.authorities.iter().map(|a| (a.id.clone(), a)),
    );
    d.vendors = compare(
        old.vendors.iter().map(|v| (v.id.clone(), vendor_header(v))),
        new.vendors.iter().map(|v| (v.id.clone(), vendor_header(v))),
    );
    let products = |c: &Catalog| {
        c.vendors
            .iter()
            .flat_map(|v| {
                v.products
                    .iter()
                    .map(move |p| (format!("{}/{}", v.id, p.id), p.clone()))
            })
            .collect::<Vec<_>>()
    };
    d.products = compare(products(old), products(new));
    let indicators = |c: &Catalog| {
        c.vendors
            .iter()
            .flat_map(|v| {
                v.indicators
                    .iter()
                    .map(move |i| (i.id.clone(), (v.id.clone(), i.clone())))
            })
            .collect::<BTreeMap<String, (String, Indicator)>>()
    };
    let (old_i, new_i) = (indicators(old), indicators(new));
    for (id, (vendor, ind)) in &new_i {
        match old_i.get(id) {
            None => d
                .indicators
                .push(ind_change(vendor, ind, Change::Added, None)),
            Some((ov, oi)) if ov != vendor || oi != ind => {
                let old_source = (oi.source != ind.source)
                    .then(|| oi.source.clone())
                    .flatten();
                d.indicators
                    .push(ind_change(vendor, ind, Change::Changed, old_source));
            }
            Some(_) => {}
        }
    }
    for (id, (vendor, ind)) in &old_i {
        if !new_i.contains_key(id) {
            d.indicators
                .push(ind_change(vendor, ind, Change::Removed, None));
        }
    }
    d.indicators.sort_by(|a, b| a.id.cmp(&b.id));
    d
}

fn ind_change(
    vendor: &str,
    i: &Indicator,
    change: Change,
    old_source: Option<String>,
) -> IndicatorChange {
    IndicatorChange {
        id: i.id.clone(),
        vendor: vendor.to_owned(),
        kind: i.kind.as_str().to_owned(),
        change,
        source: i.source.clone(),
        old_source,
    }
}

/// A vendor without its products and indicators, which are compared on their own.
fn vendor_header(v: &Vendor) -> Vendor {
    Vendor {
        products: Vec::new(),
        indicators: Vec::new(),
        ..v.clone()
    }
}

fn compare<T: PartialEq>(
    old: impl IntoIterator<Item = (String, T)>,
    new: impl IntoIterator<Item = (String, T)>,
) -> Vec<ItemChange> {
    let old: BTreeMap<String, T> = old.into_iter().collect();
    let new: BTreeMap<String, T> = new.into_iter().collect();
    let mut out = Vec::new();
    for (id, n) in &new {
        match old.get(id) {
            None => out.push(ItemChange {
                id: id.clone(),
                change: Change::Added,
            }),
            Some(o) if o != n => out.push(ItemChange {
                id: id.clone(),
                change: Change::Changed,
            }),
            Some(_) => {}
        }
    }
    for id in old.keys() {
        if !new.contains_key(id) {
            out.push(ItemChange {
                id: id.clone(),
                change: Change::Removed,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}
