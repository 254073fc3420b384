//! `uproot catalog lint`: every problem in the rules, each with a stable code.
//!
//! The loader is lenient so this can report all problems at once; CI runs lint
//! on the built-in catalog, and a rule without a source or a confidence label
//! fails it, because an auditor must be able to ask "says who?" of any finding.

use std::collections::HashSet;
use std::fmt;

use crate::model::Kind;
use crate::Catalog;

/// Diagnostic level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth knowing; lint still passes.
    Warning,
    /// Lint fails.
    Error,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// Stable kebab-case code.
    pub code: &'static str,
    /// Catalog file.
    pub file: String,
    /// Rule, vendor or authority id.
    pub item: String,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(
        level: Level,
        code: &'static str,
        file: &str,
        item: &str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level,
            code,
            file: file.to_owned(),
            item: item.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{level}[{}]: {}: {}: {}",
            self.code, self.file, self.item, self.message
        )
    }
}

/// Every code lint can emit, with what it means.
pub const CODES: &[(&str, &str)] = &[
    (
        "missing-source",
        "an indicator does not say where its value was seen",
    ),
    ("missing-confidence", "an indicator has no confidence label"),
    (
        "field-not-allowed",
        "a match field does not apply to the indicator's kind",
    ),
    (
        "bad-pattern",
        "a regex or glob does not compile, or the match table is empty",
    ),
    (
        "unknown-product",
        "an indicator names a product its vendor does not define",
    ),
    (
        "unknown-authority",
        "a vendor cites an authority that is not defined",
    ),
    ("bad-date", "a date is not YYYY-MM-DD"),
    (
        "duplicate-id",
        "two indicators, products or vendors share an id",
    ),
    ("no-authority", "a vendor cites no legal authority"),
    (
        "no-indicators",
        "a vendor has no indicators (allowed, but worth knowing)",
    ),
];

pub(crate) fn lint(c: &Catalog) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    for a in &c.authorities {
        check_date(&mut d, "catalog/authorities.toml", &a.id, &a.issued);
        if let Some(e) = &a.effective {
            check_date(&mut d, "catalog/authorities.toml", &a.id, e);
        }
    }
    let mut vendor_ids = HashSet::new();
    let mut indicator_ids = HashSet::new();
    for v in &c.vendors {
        let vfile = c.vendor_origin(&v.id);
        if !vendor_ids.insert(&v.id) {
            d.push(Diagnostic::new(
                Level::Error,
                "duplicate-id",
                vfile,
                &v.id,
                "vendor id defined twice",
            ));
        }
        lint_vendor_authorities(c, v, &mut d);
        let mut product_ids = HashSet::new();
        for p in &v.products {
            if !product_ids.insert(&p.id) {
                d.push(Diagnostic::new(
                    Level::Error,
                    "duplicate-id",
                    vfile,
                    &format!("{}/{}", v.id, p.id),
                    "product id defined twice",
                ));
            }
        }
        if v.indicators.is_empty() {
            let why = v.note.as_deref().unwrap_or("no note given");
            d.push(Diagnostic::new(
                Level::Warning,
                "no-indicators",
                vfile,
                &v.id,
                format!("vendor has no indicators ({why})"),
            ));
        }
        for ind in &v.indicators {
            let file = c.origin(&ind.id);
            if !indicator_ids.insert(&ind.id) {
                d.push(Diagnostic::new(
                    Level::Error,
                    "duplicate-id",
                    file,
                    &ind.id,
                    "indicator id used twice",
                ));
            }
            if ind.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                d.push(Diagnostic::new(
                    Level::Error,
                    "missing-source",
                    file,
                    &ind.id,
                    "no `source`: say where this value was seen",
                ));
            }
            if ind.confidence.is_none() {
                d.push(Diagnostic::new(
                    Level::Error,
                    "missing-confidence",
                    file,
                    &ind.id,
                    "no `confidence` (official, third-party or corroborated)",
                ));
            }
            lint_fields(ind.kind, ind, file, &mut d);
        }
    }
    match c.compile() {
        Err(crate::CatalogError::Invalid(more)) => d.extend(more),
        Ok(compiled) => {
            for (id, msg) in compiled.compile_all() {
                d.push(Diagnostic::new(
                    Level::Error,
                    "bad-pattern",
                    c.origin(&id),
                    &id,
                    msg,
                ));
            }
        }
        Err(_) => {}
    }
    d.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.file.cmp(&b.file))
            .then(a.item.cmp(&b.item))
    });
    d.dedup();
    d
}

fn lint_vendor_authorities(c: &Catalog, v: &crate::Vendor, d: &mut Vec<Diagnostic>) {
    let file = c.vendor_origin(&v.id);
    if v.authorities.is_empty() {
        d.push(Diagnostic::new(
            Level::Error,
            "no-authority",
            file,
            &v.id,
            "vendor cites no legal authority",
        ));
    }
    for a in &v.authorities {
        if c.authority(&a.id).is_none() {
            d.push(Diagnostic::new(
                Level::Error,
                "unknown-authority",
                file,
                &v.id,
                format!("authority `{}` is not defined", a.id),
            ));
        }
        check_date(d, file, &v.id, &a.since);
    }
}

fn lint_fields(kind: Kind, ind: &crate::Indicator, file: &str, d: &mut Vec<Diagnostic>) {
    let allowed = kind.allowed_fields();
    for f in ind.matcher.fields_set() {
        if !allowed.contains(&f) {
            d.push(Diagnostic::new(
                Level::Error,
                "field-not-allowed",
                file,
                &ind.id,
                format!(
                    "`{f}` does not apply to kind `{}` (allowed: {})",
                    kind.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
    }
}

fn check_date(d: &mut Vec<Diagnostic>, file: &str, item: &str, date: &str) {
    if !is_date(date) {
        d.push(Diagnostic::new(
            Level::Error,
            "bad-date",
            file,
            item,
            format!("`{date}` is not a YYYY-MM-DD date"),
        ));
    }
}

/// True for a real `YYYY-MM-DD` calendar day between 1900 and 2199: an
/// impossible date (2023-02-30) would pass here and then drop the
/// authority's deadlines from every assessment.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u8>().ok();
    let year = s[0..4]
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..2200).contains(y));
    match (
        year,
        num(5..7).and_then(|m| time::Month::try_from(m).ok()),
        num(8..10),
    ) {
        (Some(y), Some(m), Some(d)) => time::Date::from_calendar_date(y, m, d).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_real_calendar_days() {
        use super::is_date;
        assert!(is_date("2017-09-13"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2023-02-30"));
        assert!(!is_date("2023-04-31"));
        assert!(!is_date("1899-12-31"));
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("2023-1-01x"));
        assert!(!is_date("2023-+1-01"));
        assert!(!is_date("+023-01-01"));
    }
}
