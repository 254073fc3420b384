//! Real inventory records the generated reports are drawn from: package
//! lists of real systems, real CA bundles and real systemd units (see
//! `data/README.md`), plus any dpkg status file given at run time.

use std::path::Path;

use uproot_inventory::{Certificate, Package, PackageSource, Service};

const DPKG_LIST: &str = include_str!("../data/dpkg-ubuntu-bionic.txt");
const RPM_LIST: &str = include_str!("../data/rpm-cbl-mariner-2.0.txt");
const CERTS_DEBIAN: &str = include_str!("../data/certs-debian-ca-certificates.txt");
const CERTS_CERTIFI: &str = include_str!("../data/certs-certifi.txt");
const UNITS: &str = include_str!("../data/systemd-units-debian.tsv");

const DPKG_STATUS: &str = "/var/lib/dpkg/status";

/// The records a host's inventory is drawn from.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// Distinct packages (name + arch).
    pub packages: Vec<Package>,
    /// Distinct systemd units.
    pub services: Vec<Service>,
    /// Trust-store certificates.
    pub certificates: Vec<Certificate>,
}

impl Pools {
    /// The embedded data only.
    pub fn builtin() -> Pools {
        let mut p = Pools::default();
        p.packages.extend(parse_dpkg_query(DPKG_LIST));
        p.packages.extend(parse_rpm_qa(RPM_LIST));
        p.certificates.extend(parse_certs(
            CERTS_DEBIAN,
            "/etc/ssl/certs/ca-certificates.crt",
        ));
        p.certificates.extend(parse_certs(
            CERTS_CERTIFI,
            "/usr/lib/python3/dist-packages/certifi/cacert.pem",
        ));
        p.services.extend(parse_units(UNITS));
        p.dedup();
        p
    }

    /// Adds the packages of a dpkg status file (e.g. this machine's).
    pub fn add_dpkg_status(&mut self, path: &Path) -> std::io::Result<usize> {
        let text = std::fs::read_to_string(path)?;
        let pkgs = parse_dpkg_status(&text);
        let n = pkgs.len();
        self.packages.extend(pkgs);
        self.dedup();
        Ok(n)
    }

    fn dedup(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.packages
            .retain(|p| seen.insert((p.name.clone(), p.arch.clone())));
        let mut seen = std::collections::HashSet::new();
        self.services.retain(|s| seen.insert(s.name.clone()));
    }
}

fn dpkg_package(name: &str, version: &str, arch: &str, state: &str) -> Package {
    let mut p = Package::new(name, version, PackageSource::Dpkg, DPKG_STATUS);
    p.arch = Some(arch.to_owned()).filter(|a| !a.is_empty());
    p.state = Some(state.to_owned());
    p
}

/// `dpkg-query -W -f '${Package}|${Version}|${Architecture}|${db:Status-Abbrev}|…'` lines.
fn parse_dpkg_query(text: &str) -> Vec<Package> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            let state = match f.get(3)?.trim() {
                "rc" => "config-files",
                _ => "installed",
            };
            Some(dpkg_package(f[0], f.get(1)?, f.get(2)?, state))
        })
        .collect()
}

/// `rpm -qa --qf '%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}'` lines.
fn parse_rpm_qa(text: &str) -> Vec<Package> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            if f.len() < 5 {
                return None;
            }
            let version = match f[1] {
                "0" | "(none)" | "" => format!("{}-{}", f[2], f[3]),
                e => format!("{e}:{}-{}", f[2], f[3]),
            };
            let mut p = Package::new(
                f[0],
                &version,
                PackageSource::Rpm,
                "/var/lib/rpm/rpmdb.sqlite",
            );
            p.arch = Some(f[4].to_owned());
            p.vendor = Some("Microsoft Corporation".into());
            Some(p)
        })
        .collect()
}

/// A dpkg status file: `Package`, `Version`, `Architecture`, `Maintainer`, `Status`.
pub fn parse_dpkg_status(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |k: &str| {
            stanza.lines().find_map(|l| {
                l.strip_prefix(k)
                    .and_then(|r| r.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        let state = field("Status")
            .and_then(|s| s.split_whitespace().nth(2))
            .unwrap_or("installed");
        let mut p = dpkg_package(name, version, field("Architecture").unwrap_or(""), state);
        p.vendor = field("Maintainer").map(str::to_owned);
        p.hold = field("Status").is_some_and(|s| s.starts_with("hold "));
        out.push(p);
    }
    out
}

/// `SHA256|subject|notAfter` lines from `openssl x509`.
fn parse_certs(text: &str, location: &str) -> Vec<Certificate> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, '|');
            let sha256 = f.next()?.to_ascii_lowercase();
            let subject = f.next()?.to_owned();
            let not_after = f.next()?.to_owned();
            Some(Certificate {
                // Roots are self-signed; serial and SHA-1 are not in the
                // listing, so derive stable stand-ins of the right shape.
                issuer: subject.clone(),
                serial: sha256[..32].to_owned(),
                sha1: sha256[24..64].to_owned(),
                sha256,
                subject,
                not_after,
                is_ca: true,
                location: location.to_owned(),
            })
        })
        .collect()
}

/// `name\tDescription\tExecStart` lines.
fn parse_units(text: &str) -> Vec<Service> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let mut f = l.split('\t');
            let name = f.next()?.to_owned();
            let description = f.next().filter(|s| !s.is_empty()).map(str::to_owned);
            let exec = f.next().filter(|s| !s.is_empty()).map(str::to_owned);
            Some(Service {
                location: format!("/lib/systemd/system/{name}"),
                name,
                scope: "system".into(),
                exec,
                description,
                enabled: i % 3 != 0,
                start: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pools_are_real_and_sized() {
        let p = Pools::builtin();
        assert!(p.packages.len() > 200, "{}", p.packages.len());
        assert!(p.certificates.len() > 250);
        assert!(p.services.len() > 180);
        assert!(p.packages.iter().any(|p| p.name == "apt"));
    }

    #[test]
    fn dpkg_status_parses() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: X <x@y>\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 2\n";
        let p = parse_dpkg_status(text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].state.as_deref(), Some("config-files"));
        assert_eq!(p[0].vendor.as_deref(), Some("X <x@y>"));
    }
}
