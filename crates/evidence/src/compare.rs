//! Before/after comparison: what became of each finding after removal.
//!
//! A finding of the *before* report is looked up in the *after* report:
//!
//! 1. by its stable `id` (indicator + evidence source + key), then
//! 2. by the same vendor, product, kind and evidence key under another source
//!    or rule (a package that moved from `status` to `status.d`, a rule that a
//!    newer catalog renamed), so a relocation is not mistaken for a removal;
//!    only after-findings that no before-finding has by id are candidates, so
//!    a CA removed from one store is not matched to its copy in another.
//!
//! When one is found, the verdict is `remnant` if that after-finding is a
//! leftover ([`is_leftover`]: marked `remnant` by the matcher, such as a dpkg
//! `config-files` package, or evidence that is a bare file, folder or registry
//! key) and `still-present` otherwise. When none is found, the verdict is
//! `unverified` if the after scan could not read the finding's evidence source
//! (an unreadable package database must not count as a removal), `remnant` if
//! leftovers of the same vendor and product remain elsewhere, and `removed`
//! otherwise. After-findings that no before-finding accounts for are `new`.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use uproot_matcher::Finding;
use uproot_report::Report;

/// What became of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Gone, with nothing of the product left behind.
    Removed,
    /// Still there as an active component.
    StillPresent,
    /// Leftovers remain: the evidence itself as a leftover, or other leftovers
    /// (files, folders, registry keys, configuration) of the same product.
    Remnant,
    /// Not seen after, but its evidence source could not be read, so removal
    /// is not proven.
    Unverified,
    /// Found after removal but not before.
    New,
}

impl Verdict {
    /// The stable name used in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Removed => "removed",
            Verdict::StillPresent => "still-present",
            Verdict::Remnant => "remnant",
            Verdict::Unverified => "unverified",
            Verdict::New => "new",
        }
    }
}

/// A finding as the evidence record keeps it: enough to identify it and to
/// read it, without the catalog text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRef {
    /// The finding's stable id.
    pub id: String,
    /// Vendor id.
    pub vendor: String,
    /// Product id.
    pub product: String,
    /// Evidence kind.
    pub kind: String,
    /// Catalog indicator that matched.
    pub indicator: String,
    /// Severity.
    pub severity: String,
    /// True when the matcher marked it as a leftover.
    pub remnant: bool,
    /// One line a person can read.
    pub summary: String,
    /// Where it was found.
    pub source: String,
    /// What identifies it there.
    pub key: String,
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> Self {
        FindingRef {
            id: f.id.clone(),
            vendor: f.vendor.clone(),
            product: f.product.clone(),
            kind: f.kind.clone(),
            indicator: f.indicator.clone(),
            severity: f.severity.clone(),
            remnant: f.remnant,
            summary: f.summary.clone(),
            source: f.evidence.source.clone(),
            key: f.evidence.key.clone(),
        }
    }
}

/// The verdict on one finding, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictEntry {
    /// The before-finding's id (for `new`, the after-finding's id).
    pub id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Vendor id.
    pub vendor: String,
    /// Product id.
    pub product: String,
    /// Evidence kind.
    pub kind: String,
    /// The finding's summary.
    pub summary: String,
    /// Why this verdict, in one line.
    pub reason: String,
    /// Ids of the after-findings behind a `still-present` or `remnant` verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// Verdict counts, overall or for one vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Findings before removal.
    pub before: usize,
    /// Findings after removal.
    pub after: usize,
    /// Verdict `removed`.
    pub removed: usize,
    /// Verdict `still-present`.
    pub still_present: usize,
    /// Verdict `remnant`.
    pub remnant: usize,
    /// Verdict `unverified`.
    pub unverified: usize,
    /// Verdict `new`.
    pub new: usize,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Removed => self.removed += 1,
            Verdict::StillPresent => self.still_present += 1,
            Verdict::Remnant => self.remnant += 1,
            Verdict::Unverified => self.unverified += 1,
            Verdict::New => self.new += 1,
        }
    }
}

/// Counts for one vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorSummary {
    /// Vendor legal name.
    pub vendor_name: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The comparison of a before and an after report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// One entry per before-finding, in the before report's order, then one
    /// per new after-finding.
    pub verdicts: Vec<VerdictEntry>,
    /// Overall counts.
    pub counts: Counts,
    /// Counts per vendor id.
    pub by_vendor: BTreeMap<String, VendorSummary>,
    /// True when something new is an active component (not a leftover).
    pub new_active: bool,
}

impl Verification {
    /// True when every before-finding is `removed` and nothing is new.
    pub fn all_removed(&self) -> bool {
        self.verdicts.iter().all(|v| v.verdict == Verdict::Removed)
    }
}

/// True when a finding is a leftover rather than an active component: the
/// matcher marked it `remnant`, or its evidence is a bare file, folder or
/// registry key.
pub fn is_leftover(f: &Finding) -> bool {
    f.remnant || f.kind == "file" || f.kind == "registry-key"
}

/// Compares the findings of `before` with those of `after`.
pub fn compare(before: &Report, after: &Report) -> Verification {
    // Pass 1: the same id. Pass 2: the same evidence under another source or
    // rule, among after-findings that no before-finding claims by id (so a CA
    // removed from one store is not matched to its copy in another store).
    let before_ids: HashSet<&str> = before.findings.iter().map(|f| f.id.as_str()).collect();
    let mut accounted: HashSet<usize> = HashSet::new();
    let mut matched: Vec<Option<usize>> = before
        .findings
        .iter()
        .map(|b| after.findings.iter().position(|a| a.id == b.id))
        .collect();
    accounted.extend(matched.iter().flatten());
    for (b, slot) in before.findings.iter().zip(matched.iter_mut()) {
        if slot.is_some() {
            continue;
        }
        *slot = after.findings.iter().enumerate().position(|(i, a)| {
            !accounted.contains(&i)
                && !before_ids.contains(a.id.as_str())
                && a.vendor == b.vendor
                && a.product == b.product
                && a.kind == b.kind
                && a.evidence.key == b.evidence.key
        });
        if let Some(i) = *slot {
            accounted.insert(i);
        }
    }
    let mut verdicts: Vec<VerdictEntry> = before
        .findings
        .iter()
        .zip(&matched)
        .map(|(b, m)| judge(b, m.map(|i| &after.findings[i]), after))
        .collect();
    let mut new_active = false;
    for (i, a) in after.findings.iter().enumerate() {
        if accounted.contains(&i) {
            continue;
        }
        new_active |= !is_leftover(a);
        verdicts.push(VerdictEntry {
            id: a.id.clone(),
            verdict: Verdict::New,
            vendor: a.vendor.clone(),
            product: a.product.clone(),
            kind: a.kind.clone(),
            summary: a.summary.clone(),
            reason: if is_leftover(a) {
                format!(
                    "found after removal but not before, at {} (a leftover)",
                    a.evidence.source
                )
            } else {
                format!(
                    "found after removal but not before, at {}",
                    a.evidence.source
                )
            },
            after: vec![a.id.clone()],
        });
    }
    let mut counts = Counts {
        before: before.findings.len(),
        after: after.findings.len(),
        ..Counts::default()
    };
    let mut by_vendor: BTreeMap<String, VendorSummary> = BTreeMap::new();
    for f in before.findings.iter().chain(&after.findings) {
        by_vendor
            .entry(f.vendor.clone())
            .or_insert_with(|| VendorSummary {
                vendor_name: f.vendor_name.clone(),
                counts: Counts::default(),
            });
    }
    for f in &before.findings {
        if let Some(s) = by_vendor.get_mut(&f.vendor) {
            s.counts.before += 1;
        }
    }
    for f in &after.findings {
        if let Some(s) = by_vendor.get_mut(&f.vendor) {
            s.counts.after += 1;
        }
    }
    for v in &verdicts {
        counts.add(v.verdict);
        if let Some(s) = by_vendor.get_mut(&v.vendor) {
            s.counts.add(v.verdict);
        }
    }
    Verification {
        verdicts,
        counts,
        by_vendor,
        new_active,
    }
}

fn judge(b: &Finding, matched: Option<&Finding>, after: &Report) -> VerdictEntry {
    let entry = |verdict: Verdict, reason: String, ids: Vec<String>| VerdictEntry {
        id: b.id.clone(),
        verdict,
        vendor: b.vendor.clone(),
        product: b.product.clone(),
        kind: b.kind.clone(),
        summary: b.summary.clone(),
        reason,
        after: ids,
    };
    if let Some(a) = matched {
        let place = if a.id == b.id {
            format!("at {}", a.evidence.source)
        } else {
            format!("now at {} (rule {})", a.evidence.source, a.indicator)
        };
        return if is_leftover(a) {
            let what = if a.remnant {
                "as a leftover"
            } else {
                "on disk"
            };
            entry(
                Verdict::Remnant,
                format!("still found {what} {place}"),
                vec![a.id.clone()],
            )
        } else {
            entry(
                Verdict::StillPresent,
                format!("still found {place}"),
                vec![a.id.clone()],
            )
        };
    }
    if let Some(err) = after
        .errors
        .iter()
        .find(|e| covers(&e.source, &b.evidence.source))
    {
        return entry(
            Verdict::Unverified,
            format!(
                "not found after, but {} could not be read: {}",
                err.source, err.message
            ),
            Vec::new(),
        );
    }
    let leftovers: Vec<&Finding> = after
        .findings
        .iter()
        .filter(|a| a.vendor == b.vendor && a.product == b.product && is_leftover(a))
        .collect();
    if !leftovers.is_empty() {
        let first = &leftovers[0].summary;
        let more = match leftovers.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        return entry(
            Verdict::Remnant,
            format!("its own evidence is gone, but leftovers of the product remain: {first}{more}"),
            leftovers.iter().map(|a| a.id.clone()).collect(),
        );
    }
    entry(
        Verdict::Removed,
        format!("no longer found at {}", b.evidence.source),
        Vec::new(),
    )
}

/// True when an error about `failed` covers evidence read from `source`: the
/// same file, or a directory above it.
fn covers(failed: &str, source: &str) -> bool {
    if failed == source {
        return true;
    }
    let dir = failed.trim_end_matches('/');
    !dir.is_empty() && source.starts_with(dir) && source[dir.len()..].starts_with('/')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use uproot_inventory::{Host, Inventory, SourceError};
    use uproot_matcher::Evidence;
    use uproot_report::CatalogInfo;

    pub(crate) fn finding(
        id: &str,
        product: &str,
        kind: &str,
        remnant: bool,
        key: &str,
    ) -> Finding {
        Finding {
            id: id.into(),
            vendor: "kaspersky".into(),
            vendor_name: "AO Kaspersky Lab".into(),
            product: product.into(),
            product_name: product.into(),
            kind: kind.into(),
            indicator: format!("kaspersky.{product}.{kind}"),
            confidence: "official".into(),
            indicator_source: "test".into(),
            summary: format!("{kind} {key}"),
            evidence: Evidence {
                source: "/var/lib/dpkg/status".into(),
                key: key.into(),
                detail: BTreeMap::new(),
            },
            remnant,
            embedded_in: None,
            severity: "high".into(),
            authorities: vec![],
            condition: None,
            action: "remove".into(),
            also_matched: vec![],
            layer: None,
        }
    }

    pub(crate) fn report(
        findings: Vec<Finding>,
        inv: Inventory,
        errors: Vec<SourceError>,
    ) -> Report {
        let host = Host {
            hostname: "h".into(),
            os: "linux".into(),
            root: "/".into(),
            ..Host::default()
        };
        let info = CatalogInfo {
            version: "2026.11.28".into(),
            overlays: vec![],
        };
        Report::new(
            host,
            info,
            inv,
            findings,
            errors,
            "2026-11-28T00:00:00Z".into(),
        )
    }

    fn verdict_of(v: &Verification, id: &str) -> Verdict {
        v.verdicts.iter().find(|e| e.id == id).unwrap().verdict
    }

    #[test]
    fn every_verdict() {
        let before = report(
            vec![
                finding("pkg", "kesl", "package", false, "kesl"),
                finding("svc", "kesl", "service", false, "kesl.service"),
                finding("gui", "kesl", "package", false, "kesl-gui"),
                finding("ca", "tls-root", "certificate", false, "abcd"),
                finding("dir", "any", "file", true, "/opt/kaspersky"),
            ],
            Inventory::default(),
            vec![],
        );
        let after = report(
            vec![
                // kesl-gui left as dpkg config-files: same id, now a remnant.
                finding("gui", "kesl", "package", true, "kesl-gui"),
                finding("svc", "kesl", "service", false, "kesl.service"),
                finding("mod", "kav4fs", "kernel-module", false, "kav4fs_oas"),
            ],
            Inventory::default(),
            vec![],
        );
        let v = compare(&before, &after);
        assert_eq!(
            verdict_of(&v, "pkg"),
            Verdict::Remnant,
            "kesl-gui config remains"
        );
        assert_eq!(verdict_of(&v, "svc"), Verdict::StillPresent);
        assert_eq!(verdict_of(&v, "gui"), Verdict::Remnant);
        assert_eq!(verdict_of(&v, "ca"), Verdict::Removed);
        assert_eq!(verdict_of(&v, "dir"), Verdict::Removed);
        assert_eq!(verdict_of(&v, "mod"), Verdict::New);
        assert!(v.new_active);
        assert!(!v.all_removed());
        let c = &v.counts;
        assert_eq!(
            (
                c.before,
                c.after,
                c.removed,
                c.still_present,
                c.remnant,
                c.new
            ),
            (5, 3, 2, 1, 2, 1)
        );
        assert_eq!(v.by_vendor["kaspersky"].counts.removed, 2);
        assert_eq!(v.by_vendor["kaspersky"].vendor_name, "AO Kaspersky Lab");
        let pkg = v.verdicts.iter().find(|e| e.id == "pkg").unwrap();
        assert_eq!(pkg.after, vec!["gui".to_string()]);
    }

    #[test]
    fn a_file_left_on_disk_is_a_remnant_and_a_relocation_is_not_a_removal() {
        let before = report(
            vec![
                finding("f1", "kesl", "file", false, "/opt/kaspersky/kesl"),
                finding("p1", "kesl", "package", false, "kesl"),
            ],
            Inventory::default(),
            vec![],
        );
        let mut moved = finding("p2", "kesl", "package", false, "kesl");
        moved.evidence.source = "/var/lib/dpkg/status.d/kesl".into();
        let after = report(
            vec![
                finding("f1", "kesl", "file", false, "/opt/kaspersky/kesl"),
                moved,
            ],
            Inventory::default(),
            vec![],
        );
        let v = compare(&before, &after);
        assert_eq!(verdict_of(&v, "f1"), Verdict::Remnant);
        assert_eq!(verdict_of(&v, "p1"), Verdict::StillPresent);
        assert_eq!(v.counts.new, 0);
    }

    #[test]
    fn a_copy_in_another_store_is_not_a_relocation() {
        let mut local = finding("local", "tls-root", "certificate", false, "4671");
        local.evidence.source = "/usr/local/share/ca-certificates/k.crt".into();
        let mut bundle = finding("bundle", "tls-root", "certificate", false, "4671");
        bundle.evidence.source = "/etc/ssl/certs/ca-certificates.crt".into();
        let before = report(vec![local, bundle.clone()], Inventory::default(), vec![]);
        let after = report(vec![bundle], Inventory::default(), vec![]);
        let v = compare(&before, &after);
        assert_eq!(verdict_of(&v, "local"), Verdict::Removed);
        assert_eq!(verdict_of(&v, "bundle"), Verdict::StillPresent);
    }

    #[test]
    fn an_unreadable_source_is_not_a_removal() {
        let before = report(
            vec![finding("pkg", "kesl", "package", false, "kesl")],
            Inventory::default(),
            vec![],
        );
        let after = report(
            vec![],
            Inventory::default(),
            vec![SourceError::new(
                "/var/lib/dpkg/status",
                "permission denied",
            )],
        );
        let v = compare(&before, &after);
        assert_eq!(verdict_of(&v, "pkg"), Verdict::Unverified);
        assert!(covers("/var/lib/dpkg", "/var/lib/dpkg/status"));
        assert!(!covers("/var/lib/dp", "/var/lib/dpkg/status"));
    }

    #[test]
    fn all_gone_is_all_removed() {
        let before = report(
            vec![finding("pkg", "kesl", "package", false, "kesl")],
            Inventory::default(),
            vec![],
        );
        let v = compare(&before, &report(vec![], Inventory::default(), vec![]));
        assert!(v.all_removed());
        assert_eq!(v.counts.removed, 1);
        assert!(!v.new_active);
    }
}
