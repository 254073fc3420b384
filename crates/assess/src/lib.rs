//! Risk assessment: why each finding matters, how much, and what the host's
//! status is against the directive.
//!
//! The model is additive and explainable on purpose: every finding's score is
//! the sum of named [`Factor`]s, each with the reason it counts, and severity
//! is a fixed banding of that score. No factor is hidden and no weight is
//! learned, so an auditor can recompute any number by hand from the output.
//! The factors and their weights are documented in the README ("Risk model").
//!
//! ```
//! use uproot_assess::{assess, Protection};
//! let catalog = uproot_catalog::Catalog::builtin().unwrap();
//! let a = assess(&[], &Default::default(), &catalog, "2026-11-28", &Protection::unknown());
//! assert_eq!(a.status.as_str(), "clean");
//! ```
#![deny(missing_docs)]

mod dates;
mod factors;

use serde::{Deserialize, Serialize};
use uproot_catalog::Catalog;
use uproot_inventory::Inventory;
use uproot_matcher::Finding;

pub use dates::{add_days, date_of_days, days_from_civil, rfc3339, rfc3339_of, unix_secs};
pub use factors::{factors_for, FACTORS};

/// One reason a finding is risky, with its weight.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Factor {
    /// Stable id, e.g. `kernel-component`.
    pub id: String,
    /// Points it adds (negative for mitigating factors).
    pub points: i32,
    /// Why it counts, for a person.
    pub why: String,
}

/// The assessment of one finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FindingAssessment {
    /// The finding's stable id.
    pub finding: String,
    /// Factors that applied.
    pub factors: Vec<Factor>,
    /// Sum of the factors' points.
    pub score: i32,
    /// Banded from the score: `critical` ≥ 70, `high` ≥ 45, `medium` ≥ 20, else `low`;
    /// leftovers never rate above `low`.
    pub severity: String,
}

/// The host's standing against the directive.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HostStatus {
    /// No covered-vendor evidence at all.
    Clean,
    /// A covered product (or component) is present.
    Affected,
    /// Only leftovers remain, and replacement protection is active.
    RemnantsOnly,
    /// Nothing covered runs any more, leftovers show something was removed,
    /// and no replacement protection is active: "remove **and replace**" is not met.
    UnprotectedAfterRemoval,
}

impl HostStatus {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Clean => "clean",
            HostStatus::Affected => "affected",
            HostStatus::RemnantsOnly => "remnants-only",
            HostStatus::UnprotectedAfterRemoval => "unprotected-after-removal",
        }
    }
}

/// Whether another endpoint-protection product is present and active.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Protection {
    /// `Some(true)` when a non-covered product is active; `None` when unknown.
    pub protected: Option<bool>,
    /// The products seen.
    pub products: Vec<String>,
    /// How it was decided.
    pub reason: String,
}

impl Protection {
    /// Nothing is known about replacement protection.
    pub fn unknown() -> Self {
        Protection {
            protected: None,
            products: Vec::new(),
            reason: "not checked".into(),
        }
    }
}

/// A deadline that applies to the host's findings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Deadline {
    /// Authority id.
    pub authority: String,
    /// Authority title.
    pub title: String,
    /// Milestone name (`identify`, `plan`, `begin-removal`), or `effective`.
    pub milestone: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// What must be done by then.
    pub requires: String,
    /// True when `due` is before the assessment date.
    pub passed: bool,
}

/// The assessment of one host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostAssessment {
    /// Schema of this object.
    pub model: String,
    /// Date assessed, `YYYY-MM-DD`.
    pub date: String,
    /// Overall status.
    pub status: HostStatus,
    /// Highest finding severity (`none` when clean).
    pub severity: String,
    /// Highest finding score.
    pub score: i32,
    /// Per finding.
    pub findings: Vec<FindingAssessment>,
    /// Replacement protection.
    pub protection: Protection,
    /// Deadlines of the authorities that cover the findings.
    pub deadlines: Vec<Deadline>,
}

/// The version of the scoring model; bumped when a weight or band changes.
pub const MODEL: &str = "uproot.risk/1";

/// Assesses a host's findings. `today` is `YYYY-MM-DD`.
pub fn assess(
    findings: &[Finding],
    inv: &Inventory,
    catalog: &Catalog,
    today: &str,
    protection: &Protection,
) -> HostAssessment {
    let per: Vec<FindingAssessment> = findings
        .iter()
        .map(|f| assess_finding(f, inv, today))
        .collect();
    let score = per.iter().map(|a| a.score).max().unwrap_or(0);
    let severity = per
        .iter()
        .map(|a| severity_rank(&a.severity))
        .max()
        .map(|r| ["low", "medium", "high", "critical"][r].to_owned())
        .unwrap_or_else(|| "none".into());
    HostAssessment {
        model: MODEL.into(),
        date: today.to_owned(),
        status: status(findings, protection),
        severity,
        score,
        findings: per,
        protection: protection.clone(),
        deadlines: deadlines(findings, catalog, today),
    }
}

/// Scores one finding.
pub fn assess_finding(f: &Finding, inv: &Inventory, today: &str) -> FindingAssessment {
    let factors = factors_for(f, inv, today);
    let score: i32 = factors.iter().map(|x| x.points).sum();
    FindingAssessment {
        finding: f.id.clone(),
        severity: band(score, f.remnant).into(),
        score,
        factors,
    }
}

fn band(score: i32, remnant: bool) -> &'static str {
    if remnant {
        return "low";
    }
    match score {
        s if s >= 70 => "critical",
        s if s >= 45 => "high",
        s if s >= 20 => "medium",
        _ => "low",
    }
}

fn severity_rank(s: &str) -> usize {
    match s {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

fn status(findings: &[Finding], protection: &Protection) -> HostStatus {
    if findings.is_empty() {
        HostStatus::Clean
    } else if findings.iter().any(|f| !f.remnant) {
        HostStatus::Affected
    } else if protection.protected == Some(true) {
        HostStatus::RemnantsOnly
    } else {
        HostStatus::UnprotectedAfterRemoval
    }
}

/// Every milestone of every authority the findings cite, with its due date.
fn deadlines(findings: &[Finding], catalog: &Catalog, today: &str) -> Vec<Deadline> {
    let mut ids: Vec<&str> = findings
        .iter()
        .flat_map(|f| f.authorities.iter().map(|a| a.id.as_str()))
        .collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let Some(a) = catalog.authority(id) else {
            continue;
        };
        if let Some(eff) = &a.effective {
            out.push(deadline(
                a,
                "effective",
                eff,
                "The prohibition is in force.",
                today,
            ));
        }
        for m in &a.milestones {
            if let Some(due) = add_days(&a.issued, i64::from(m.day)) {
                out.push(deadline(a, &m.name, &due, &m.requires, today));
            }
        }
    }
    out.sort_by(|x, y| x.due.cmp(&y.due).then(x.authority.cmp(&y.authority)));
    out
}

fn deadline(
    a: &uproot_catalog::Authority,
    milestone: &str,
    due: &str,
    requires: &str,
    today: &str,
) -> Deadline {
    Deadline {
        authority: a.id.clone(),
        title: a.title.clone(),
        milestone: milestone.to_owned(),
        due: due.to_owned(),
        requires: requires.to_owned(),
        passed: due < today,
    }
}

/// Counts of hosts by status across a fleet.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FleetAssessment {
    /// Hosts assessed.
    pub hosts: usize,
    /// Hosts per status.
    pub by_status: std::collections::BTreeMap<String, usize>,
    /// Hosts per highest severity.
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Highest host score.
    pub max_score: i32,
}

/// Rolls host assessments up to the fleet.
pub fn assess_fleet<'a>(hosts: impl IntoIterator<Item = &'a HostAssessment>) -> FleetAssessment {
    let mut f = FleetAssessment::default();
    for h in hosts {
        f.hosts += 1;
        *f.by_status.entry(h.status.as_str().to_owned()).or_default() += 1;
        *f.by_severity.entry(h.severity.clone()).or_default() += 1;
        f.max_score = f.max_score.max(h.score);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use uproot_matcher::{AuthorityRef, Evidence};

    fn finding(kind: &str, detail: &[(&str, &str)], remnant: bool) -> Finding {
        Finding {
            id: format!("{kind}-id"),
            vendor: "kaspersky".into(),
            vendor_name: "AO Kaspersky Lab".into(),
            product: "kes-windows".into(),
            product_name: "KES".into(),
            kind: kind.into(),
            indicator: "x".into(),
            confidence: "official".into(),
            indicator_source: "s".into(),
            summary: "s".into(),
            evidence: Evidence {
                source: "src".into(),
                key: "k".into(),
                detail: detail
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            },
            remnant,
            embedded_in: None,
            severity: "high".into(),
            authorities: vec![AuthorityRef {
                id: "bod-17-01".into(),
                title: String::new(),
                citation: String::new(),
                since: "2017-09-13".into(),
            }],
            condition: None,
            action: "a".into(),
            also_matched: vec![],
            layer: None,
        }
    }

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    #[test]
    fn boot_driver_is_critical_with_reasons() {
        let f = finding("driver", &[("start", "boot")], false);
        let a = assess_finding(&f, &Inventory::default(), "2026-11-28");
        let ids: Vec<&str> = a.factors.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "presence",
                "kernel-component",
                "active",
                "no-vendor-updates",
                "official-source"
            ]
        );
        assert_eq!(a.score, 10 + 40 + 25 + 10 + 5);
        assert_eq!(a.severity, "critical");
        assert!(a.factors.iter().all(|x| !x.why.is_empty()));
    }

    #[test]
    fn bands_and_leftovers() {
        let cert = assess_finding(
            &finding("certificate", &[], false),
            &Inventory::default(),
            "2026-11-28",
        );
        assert_eq!(cert.severity, "critical");
        let ksn = assess_finding(
            &finding("setting", &[], false),
            &Inventory::default(),
            "2026-11-28",
        );
        assert_eq!((ksn.score, ksn.severity.as_str()), (50, "high"));
        let ext = assess_finding(
            &finding("browser-extension", &[], false),
            &Inventory::default(),
            "2026-11-28",
        );
        assert_eq!(ext.severity, "medium");
        let left = assess_finding(
            &finding("package", &[("state", "config-files")], true),
            &Inventory::default(),
            "2026-11-28",
        );
        assert_eq!(left.severity, "low");
        assert_eq!(left.factors[0].id, "leftover");
        // Before the BIS cut-off, the no-updates factor does not apply.
        let early = assess_finding(
            &finding("process", &[], false),
            &Inventory::default(),
            "2024-09-01",
        );
        assert!(!early.factors.iter().any(|x| x.id == "no-vendor-updates"));
    }

    #[test]
    fn host_status_follows_the_directive() {
        let c = catalog();
        let none = Protection::unknown();
        let yes = Protection {
            protected: Some(true),
            products: vec!["Microsoft Defender Antivirus".into()],
            reason: "r".into(),
        };
        assert_eq!(
            assess(&[], &Inventory::default(), &c, "2026-11-28", &none).status,
            HostStatus::Clean
        );
        let live = [finding("package", &[], false)];
        assert_eq!(
            assess(&live, &Inventory::default(), &c, "2026-11-28", &yes).status,
            HostStatus::Affected
        );
        let left = [finding("registry-key", &[], true)];
        assert_eq!(
            assess(&left, &Inventory::default(), &c, "2026-11-28", &yes).status,
            HostStatus::RemnantsOnly
        );
        assert_eq!(
            assess(&left, &Inventory::default(), &c, "2026-11-28", &none).status,
            HostStatus::UnprotectedAfterRemoval
        );
    }

    #[test]
    fn deadlines_come_from_the_catalog_milestones() {
        let a = assess(
            &[finding("package", &[], false)],
            &Inventory::default(),
            &catalog(),
            "2017-11-01",
            &Protection::unknown(),
        );
        let bod: Vec<(&str, &str, bool)> = a
            .deadlines
            .iter()
            .filter(|d| d.authority == "bod-17-01")
            .map(|d| (d.milestone.as_str(), d.due.as_str(), d.passed))
            .collect();
        assert_eq!(
            bod,
            [
                ("identify", "2017-10-13", true),
                ("plan", "2017-11-12", false),
                ("begin-removal", "2017-12-12", false)
            ]
        );
    }

    #[test]
    fn fleet_rollup_counts_statuses() {
        let c = catalog();
        let h1 = assess(
            &[],
            &Inventory::default(),
            &c,
            "2026-11-28",
            &Protection::unknown(),
        );
        let h2 = assess(
            &[finding("driver", &[("start", "boot")], false)],
            &Inventory::default(),
            &c,
            "2026-11-28",
            &Protection::unknown(),
        );
        let f = assess_fleet([&h1, &h2]);
        assert_eq!(f.hosts, 2);
        assert_eq!(f.by_status["clean"], 1);
        assert_eq!(f.by_status["affected"], 1);
        assert_eq!(f.max_score, 90);
    }
}
