//! The scan report: one versioned JSON document, rendered five ways.
//!
//! `uproot.report/1` is a contract: other tools, the fleet server and the
//! tests parse it. Fields may be *added* within version 1; renaming or
//! removing one needs `uproot.report/2`. The table, CSV, SARIF and CycloneDX
//! ([`cyclonedx`]) renderers are views of the same [`Report`], so they can
//! never disagree with the JSON.
//!
//! ```
//! use uproot_report::{Report, CatalogInfo};
//! let r = Report::new(Default::default(), CatalogInfo { version: "2026.11.28".into(), overlays: vec![] },
//!                     Default::default(), vec![], vec![], "2026-11-28T00:00:00Z".into());
//! assert_eq!(r.schema, "uproot.report/1");
//! assert_eq!(r.exit_code(), 0);
//! ```
#![deny(missing_docs)]

mod csv;
pub mod cyclonedx;
mod sarif;
mod table;
mod time;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uproot_inventory::{Host, Inventory, SourceError};
use uproot_matcher::Finding;

pub use time::{rfc3339, rfc3339_now};

/// The id a report is known by in a fleet: `sha256:` and the hex SHA-256 of
/// its uncompressed JSON bytes. The agent names its spool files by it and
/// the server stores reports under it, so a redelivery is a duplicate.
pub fn report_id_of_bytes(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in Sha256::digest(body) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The schema identifier written into every report.
pub const SCHEMA: &str = "uproot.report/1";

/// The catalog that produced a report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CatalogInfo {
    /// Catalog version (`+local` when user rules were merged).
    pub version: String,
    /// User catalog files merged in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<String>,
}

/// The tool that wrote the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    /// Always `uproot`.
    pub name: String,
    /// Tool version.
    pub version: String,
}

/// Counts for a quick read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Number of findings.
    pub findings: usize,
    /// Findings that are only leftovers.
    pub remnants: usize,
    /// Findings per vendor id.
    pub by_vendor: BTreeMap<String, usize>,
    /// Findings per severity.
    pub by_severity: BTreeMap<String, usize>,
    /// Packages that are installed (dpkg `installed` state, or any package from formats without states).
    pub packages_installed: usize,
    /// Sources that could not be read.
    pub errors: usize,
}

/// A complete scan report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Writer.
    pub tool: Tool,
    /// When the scan finished (RFC 3339, UTC).
    pub generated_at: String,
    /// What was scanned.
    pub host: Host,
    /// Which catalog was used.
    pub catalog: CatalogInfo,
    /// Counts.
    pub summary: Summary,
    /// Everything collected.
    pub inventory: Inventory,
    /// Covered-vendor findings.
    pub findings: Vec<Finding>,
    /// Sources that could not be read.
    pub errors: Vec<SourceError>,
    /// The explainable risk assessment of the findings and the host
    /// (model `uproot.risk/1`), when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<uproot_assess::HostAssessment>,
}

impl Report {
    /// Assembles a report and its summary.
    pub fn new(
        host: Host,
        catalog: CatalogInfo,
        inventory: Inventory,
        findings: Vec<Finding>,
        errors: Vec<SourceError>,
        generated_at: String,
    ) -> Report {
        let mut summary = Summary {
            findings: findings.len(),
            errors: errors.len(),
            ..Summary::default()
        };
        for f in &findings {
            *summary.by_vendor.entry(f.vendor.clone()).or_default() += 1;
            *summary.by_severity.entry(f.severity.clone()).or_default() += 1;
            summary.remnants += usize::from(f.remnant);
        }
        summary.packages_installed = inventory
            .packages
            .iter()
            .filter(|p| p.state.as_deref().is_none_or(|s| s == "installed"))
            .count();
        Report {
            schema: SCHEMA.into(),
            tool: Tool {
                name: "uproot".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            generated_at,
            host,
            catalog,
            summary,
            inventory,
            findings,
            errors,
            assessment: None,
        }
    }

    /// Attaches an assessment made from this report's findings (in their
    /// order): each finding takes its assessed severity, findings are re-sorted
    /// by it (vendor, severity, kind, key) with their assessments kept paired,
    /// and the severity counts are redone, so every output shows one severity.
    pub fn apply_assessment(&mut self, mut a: uproot_assess::HostAssessment) {
        let rank = |s: &str| {
            ["critical", "high", "medium", "low"]
                .iter()
                .position(|x| *x == s)
                .unwrap_or(4)
        };
        let mut pairs: Vec<_> = std::mem::take(&mut self.findings)
            .into_iter()
            .zip(std::mem::take(&mut a.findings))
            .collect();
        for (f, fa) in &mut pairs {
            f.severity = fa.severity.clone();
        }
        pairs.sort_by(|(x, _), (y, _)| {
            x.vendor
                .cmp(&y.vendor)
                .then(rank(&x.severity).cmp(&rank(&y.severity)))
                .then(x.kind.cmp(&y.kind))
                .then(x.evidence.key.cmp(&y.evidence.key))
        });
        (self.findings, a.findings) = pairs.into_iter().unzip();
        self.summary.by_severity.clear();
        for f in &self.findings {
            *self
                .summary
                .by_severity
                .entry(f.severity.clone())
                .or_default() += 1;
        }
        self.assessment = Some(a);
    }

    /// 1 when anything covered was found; else 2 when a source failed; else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.findings.is_empty() {
            1
        } else if !self.errors.is_empty() {
            2
        } else {
            0
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report types always serialise") + "\n"
    }

    /// The human table, grouped by vendor.
    pub fn to_table(&self, color: bool) -> String {
        table::render(self, color)
    }

    /// One CSV row per finding.
    pub fn to_csv(&self) -> String {
        csv::render(self)
    }

    /// CycloneDX 1.5 JSON SBOM of a host scan; see [`cyclonedx::to_json`]
    /// for an image scan.
    pub fn to_cyclonedx(&self) -> String {
        cyclonedx::to_json(self, &cyclonedx::Options::default())
    }

    /// SARIF 2.1.0, for code-scanning dashboards.
    pub fn to_sarif(&self) -> String {
        serde_json::to_string_pretty(&sarif::render(self)).expect("sarif always serialises") + "\n"
    }
}
