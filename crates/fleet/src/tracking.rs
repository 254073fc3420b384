//! The parts of tracking that need no database: waiver coverage, deadlines,
//! compliance status, burndown accumulation and body (de)compression. Both
//! backends share them, and they are unit-tested here.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use crate::model::{state, Directive, MilestoneStatus};
use crate::{Error, ErrorKind, Result};

/// An approved, unexpired waiver, as loaded once per transaction.
#[derive(Debug, Clone)]
pub(crate) struct ActiveWaiver {
    pub id: i64,
    pub scope_kind: String,
    pub scope_value: String,
}

/// The first (lowest id) of `waivers` covering a finding.
pub(crate) fn covering(
    waivers: &[ActiveWaiver],
    host_id: i64,
    finding_id: &str,
    product: &str,
    vendor: &str,
) -> Option<i64> {
    waivers
        .iter()
        .find(|w| match w.scope_kind.as_str() {
            "finding" => w.scope_value == finding_id,
            "host" => w.scope_value.parse::<i64>().ok() == Some(host_id),
            "product" => w.scope_value == product,
            "vendor" => w.scope_value == vendor,
            _ => false,
        })
        .map(|w| w.id)
}

/// `as_of` as an inclusive upper bound on stored RFC 3339 times: a bare
/// date means the end of that day.
pub(crate) fn as_of_bound(as_of: &str) -> Result<String> {
    let date = as_of.get(..10).unwrap_or("");
    if uproot_assess::days_from_civil(date).is_none() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("as_of must be YYYY-MM-DD or RFC 3339: {as_of:?}"),
        ));
    }
    Ok(if as_of.len() == 10 {
        format!("{as_of}T23:59:59Z")
    } else {
        as_of.to_owned()
    })
}

fn date_plus(date: &str, days: u32) -> Result<String> {
    uproot_assess::add_days(date, i64::from(days))
        .ok_or_else(|| Error::new(ErrorKind::Invalid, format!("not a date: {date:?}")))
}

/// `date` minus `days` (`YYYY-MM-DD`).
pub(crate) fn date_minus(date: &str, days: u32) -> Result<String> {
    uproot_assess::add_days(date, -i64::from(days))
        .ok_or_else(|| Error::new(ErrorKind::Invalid, format!("not a date: {date:?}")))
}

/// Each milestone's due date, and whether `as_of_date` is past it.
pub(crate) fn milestones(d: &Directive, as_of_date: &str) -> Result<Vec<MilestoneStatus>> {
    d.milestones
        .iter()
        .map(|m| {
            let due = date_plus(&d.issued, m.day)?;
            Ok(MilestoneStatus {
                name: m.name.clone(),
                day: m.day,
                passed: as_of_date > due.as_str(),
                due,
            })
        })
        .collect()
}

/// The directive's own deadline: its last milestone (or the issue date).
pub(crate) fn directive_deadline(d: &Directive) -> Result<String> {
    let last = d.milestones.iter().map(|m| m.day).max().unwrap_or(0);
    date_plus(&d.issued, last)
}

/// A host's deadline: the directive's, or first-seen plus the grace period
/// for a host that appeared too late to meet it.
pub(crate) fn host_deadline(directive: &str, first_seen: &str, grace_days: u32) -> Result<String> {
    let grace = date_plus(first_seen.get(..10).unwrap_or(first_seen), grace_days)?;
    Ok(if grace.as_str() > directive {
        grace
    } else {
        directive.to_owned()
    })
}

/// In-scope finding counts of one host at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub open: u64,
    pub waived: u64,
    pub resolved: u64,
}

/// `not-scanned`, `overdue`, `affected`, `waived` or `clean`; they partition
/// the hosts.
pub(crate) fn host_status(
    scanned: bool,
    c: Counts,
    as_of_date: &str,
    deadline: &str,
) -> &'static str {
    if !scanned {
        "not-scanned"
    } else if c.open > 0 && as_of_date > deadline {
        "overdue"
    } else if c.open > 0 {
        "affected"
    } else if c.waived > 0 {
        "waived"
    } else {
        "clean"
    }
}

/// Adds `n` transitions `prev → to` to running counts.
pub(crate) fn apply_transition(
    counts: &mut BTreeMap<String, i64>,
    prev: Option<&str>,
    to: &str,
    n: i64,
) {
    *counts.entry(to.to_owned()).or_default() += n;
    if let Some(p) = prev {
        *counts.entry(p.to_owned()).or_default() -= n;
    }
}

/// Running counts as burndown figures (open includes reopened).
pub(crate) fn burndown_point(date: String, counts: &BTreeMap<String, i64>) -> crate::BurndownPoint {
    let get = |s: &str| counts.get(s).copied().unwrap_or(0).max(0) as u64;
    crate::BurndownPoint {
        date,
        open: get(state::OPEN) + get(state::REOPENED),
        waived: get(state::WAIVED),
        resolved: get(state::RESOLVED),
    }
}

/// Every date from `from` to `to`, inclusive (at most ten years).
pub(crate) fn dates(from: &str, to: &str) -> Result<Vec<String>> {
    let bad = || {
        Error::new(
            ErrorKind::Invalid,
            "burndown dates must be YYYY-MM-DD, from <= to",
        )
    };
    let a = uproot_assess::days_from_civil(from).ok_or_else(bad)?;
    let b = uproot_assess::days_from_civil(to).ok_or_else(bad)?;
    if from.len() != 10 || to.len() != 10 || b < a || b - a > 3660 {
        return Err(bad());
    }
    (0..=b - a)
        .map(|i| uproot_assess::add_days(from, i).ok_or_else(bad))
        .collect()
}

/// `$start, $start+1, …` for an `IN (…)` list of `n` binds.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gzip-compresses `bytes` (fast level: ingest is the hot path).
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// A stored body as gzip: bodies stored before migration 3 are plain JSON.
pub(crate) fn as_gzip(body: Vec<u8>) -> Vec<u8> {
    if body.starts_with(&[0x1f, 0x8b]) {
        body
    } else {
        gzip(&body)
    }
}

/// A stored body, uncompressed.
pub(crate) fn gunzip(body: &[u8]) -> Result<Vec<u8>> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.to_vec());
    }
    let mut out = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .map_err(|e| {
            Error::with(
                ErrorKind::Database,
                "stored report body is not valid gzip",
                e,
            )
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Milestone;

    fn bod() -> Directive {
        Directive {
            name: "bod-17-01".into(),
            title: String::new(),
            issued: "2017-09-13".into(),
            vendors: vec!["kaspersky".into()],
            milestones: vec![
                Milestone {
                    name: "identify".into(),
                    day: 30,
                },
                Milestone {
                    name: "begin-removal".into(),
                    day: 90,
                },
            ],
            builtin: true,
        }
    }

    #[test]
    fn deadlines_and_grace() {
        let d = directive_deadline(&bod()).unwrap();
        assert_eq!(d, "2017-12-12");
        assert_eq!(
            host_deadline(&d, "2017-10-01T00:00:00Z", 30).unwrap(),
            "2017-12-12"
        );
        assert_eq!(
            host_deadline(&d, "2018-03-01T10:00:00Z", 30).unwrap(),
            "2018-03-31"
        );
        let ms = milestones(&bod(), "2017-11-01").unwrap();
        assert_eq!((ms[0].due.as_str(), ms[0].passed), ("2017-10-13", true));
        assert_eq!((ms[1].due.as_str(), ms[1].passed), ("2017-12-12", false));
    }

    #[test]
    fn statuses_partition() {
        let c = |open, waived| Counts {
            open,
            waived,
            resolved: 0,
        };
        assert_eq!(
            host_status(false, c(1, 0), "2018-01-01", "2017-12-12"),
            "not-scanned"
        );
        assert_eq!(
            host_status(true, c(1, 0), "2018-01-01", "2017-12-12"),
            "overdue"
        );
        assert_eq!(
            host_status(true, c(1, 0), "2017-12-12", "2017-12-12"),
            "affected"
        );
        assert_eq!(
            host_status(true, c(0, 2), "2018-01-01", "2017-12-12"),
            "waived"
        );
        assert_eq!(
            host_status(true, c(0, 0), "2018-01-01", "2017-12-12"),
            "clean"
        );
    }

    #[test]
    fn waiver_coverage_prefers_lowest_id() {
        let w = |id, k: &str, v: &str| ActiveWaiver {
            id,
            scope_kind: k.into(),
            scope_value: v.into(),
        };
        let ws = [w(1, "host", "7"), w(2, "vendor", "kaspersky")];
        assert_eq!(covering(&ws, 7, "f", "kesl", "kaspersky"), Some(1));
        assert_eq!(covering(&ws, 8, "f", "kesl", "kaspersky"), Some(2));
        assert_eq!(covering(&ws, 8, "f", "x", "huawei"), None);
    }

    #[test]
    fn as_of_and_dates() {
        assert_eq!(as_of_bound("2026-01-02").unwrap(), "2026-01-02T23:59:59Z");
        assert_eq!(
            as_of_bound("2026-01-02T01:00:00Z").unwrap(),
            "2026-01-02T01:00:00Z"
        );
        assert!(as_of_bound("yesterday").is_err());
        assert_eq!(dates("2024-02-28", "2024-03-01").unwrap().len(), 3);
        assert!(dates("2024-03-01", "2024-02-28").is_err());
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
    }

    #[test]
    fn gzip_round_trip() {
        let z = gzip(b"{\"a\":1}");
        assert_eq!(gunzip(&z).unwrap(), b"{\"a\":1}");
        assert_eq!(as_gzip(b"{}".to_vec()), gzip(b"{}"));
        assert_eq!(gunzip(b"{}").unwrap(), b"{}");
    }
}
