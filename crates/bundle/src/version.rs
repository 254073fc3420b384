//! Bundle versions: the catalog version (`YYYY.MM.DD[.N]`) and a serial.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A bundle's version: the catalog's dotted numeric version, then a serial
/// for re-issues of the same catalog version (0 when absent). Ordered
/// numerically part by part (`2026.11.29 < 2026.11.29.1 < 2026.12.1`), then
/// by serial.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BundleVersion {
    parts: Vec<u32>,
    text: String,
    /// Re-issue serial.
    pub serial: u32,
}

impl BundleVersion {
    /// Parses a catalog version and attaches a serial.
    pub fn new(catalog_version: &str, serial: u32) -> Result<Self, String> {
        let mut v: BundleVersion = catalog_version.parse()?;
        v.serial = serial;
        Ok(v)
    }

    /// The catalog version part, as written.
    pub fn catalog(&self) -> &str {
        &self.text
    }

    /// Compares only the catalog version parts, ignoring the serial.
    pub fn cmp_catalog(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}

impl FromStr for BundleVersion {
    type Err = String;

    /// Parses `2026.11.29`, `2026.11.29.2`, or with a serial `2026.11.29-s3`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (text, serial) = match s.split_once("-s") {
            Some((t, n)) => (t, n.parse::<u32>().map_err(|_| bad(s))?),
            None => (s, 0),
        };
        if text.is_empty() || text.len() > 64 {
            return Err(bad(s));
        }
        let parts = text
            .split('.')
            .map(|p| {
                if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    Err(bad(s))
                } else {
                    p.parse::<u32>().map_err(|_| bad(s))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if parts.len() < 2 || parts.len() > 8 {
            return Err(bad(s));
        }
        Ok(BundleVersion {
            parts,
            text: text.to_owned(),
            serial,
        })
    }
}

fn bad(s: &str) -> String {
    format!("{s:?} is not a catalog version (YYYY.MM.DD[.N][-sSERIAL])")
}

impl Ord for BundleVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts
            .cmp(&other.parts)
            .then(self.serial.cmp(&other.serial))
    }
}

impl PartialOrd for BundleVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.serial == 0 {
            f.write_str(&self.text)
        } else {
            write!(f, "{}-s{}", self.text, self.serial)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> BundleVersion {
        s.parse().unwrap()
    }

    #[test]
    fn orders_numerically_then_by_serial() {
        assert!(v("2026.11.29") < v("2026.11.29.1"));
        assert!(v("2026.11.29-s1") < v("2026.11.29.1"));
        assert!(v("2026.11.29") < v("2026.11.29-s1"));
        assert!(v("2026.9.30") < v("2026.10.1"));
        assert_eq!(v("2026.11.29-s3").to_string(), "2026.11.29-s3");
        assert_eq!(v("2026.11.29").to_string(), "2026.11.29");
    }

    #[test]
    fn rejects_non_versions() {
        for s in [
            "",
            "2026",
            "a.b.c",
            "2026..1",
            "2026.11.29-sx",
            "1.2.99999999999",
        ] {
            assert!(s.parse::<BundleVersion>().is_err(), "{s}");
        }
    }
}
