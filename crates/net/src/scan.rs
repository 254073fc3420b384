//! Reading every input, matching MACs, and deciding coverage.

use crate::assets::{parse_assets, read_assets, CsvMapping};
use crate::banner::{self, BannerHint};
use crate::context::{UseContext, UseMatch, FCC_CONDITION};
use crate::csvtext;
use crate::device::{NetDevice, Source};
use crate::error::{read_text, NetError};
use crate::mac::{Mac, MacClass};
use crate::neigh::{Live, NeighborSource};
use crate::oui::{Table, Vendor, REGISTRY_DATE};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// What to read.
#[derive(Default)]
pub struct NetInputs {
    /// nmap XML files.
    pub nmap: Vec<PathBuf>,
    /// Asset CSV files.
    pub csv: Vec<PathBuf>,
    /// Column mapping for the CSV files (empty: auto-detect).
    pub csv_mapping: CsvMapping,
    /// ISC dhcpd or dnsmasq lease files.
    pub dhcp_leases: Vec<PathBuf>,
    /// Read the live neighbour table (netlink, falling back to /proc/net/arp).
    pub live_neighbors: bool,
    /// Further neighbour sources (a saved /proc/net/arp, a test double).
    pub neighbor_sources: Vec<Box<dyn NeighborSource>>,
    /// A refreshed covered-vendor table (`uproot catalog oui-update`);
    /// `None` uses the one built into the binary.
    pub table: Option<Table>,
    /// Leave [`NetReport::devices`] empty, for callers that use only
    /// findings, unknowables and errors (the CLI). CSV rows are then
    /// matched as they are read: a million-row export is never held as a
    /// million records (~600 MB).
    pub discard_devices: bool,
}

/// Whether a finding is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// Huawei/ZTE, or a conditional vendor on a segment tagged with a
    /// covered use.
    Covered,
    /// A conditional vendor whose use is not known.
    PossiblyCovered,
    /// A conditional vendor on a segment tagged with a use outside the
    /// condition.
    UseNotCovered,
}

/// A covered-vendor device, merged across inputs by MAC.
#[derive(Clone, Debug, Serialize)]
pub struct NetFinding {
    /// The hardware address.
    pub mac: Mac,
    /// The covered vendor.
    pub vendor: Vendor,
    /// The registry's organisation name for the block.
    pub organization: String,
    /// The matching block (`BC5E33`, `C82C2B7`, …).
    pub prefix: String,
    /// 24 (MA-L), 28 (MA-M) or 36 (MA-S/IAB).
    pub prefix_bits: u8,
    /// Covered, possibly covered, or use not covered.
    pub coverage: Coverage,
    /// The FCC use condition, for Hikvision, Dahua and Hytera.
    pub condition: Option<&'static str>,
    /// The user's use tag that decided coverage.
    #[serde(rename = "use")]
    pub use_match: Option<UseMatch>,
    /// Every IP seen with this MAC.
    pub ips: Vec<IpAddr>,
    /// Every host name seen with this MAC.
    pub hostnames: Vec<String>,
    /// Vendor names the inputs claimed (nmap's guess, a CSV column).
    pub vendor_hints: Vec<String>,
    /// Banners and ports that agree with the vendor.
    pub corroboration: Vec<String>,
    /// Every record this finding came from.
    pub sources: Vec<Source>,
}

/// A MAC whose prefix cannot name a vendor.
#[derive(Clone, Debug, Serialize)]
pub struct Unknowable {
    /// The address.
    pub mac: Mac,
    /// Locally administered (randomised) or multicast.
    pub class: MacClass,
    /// Where it was seen.
    pub sources: Vec<Source>,
}

/// The result of [`scan`].
#[derive(Clone, Debug, Serialize)]
pub struct NetReport {
    /// The OUI registry date of the table used.
    pub registry_date: String,
    /// Every device record read, in input order (none with
    /// [`NetInputs::discard_devices`]).
    pub devices: Vec<NetDevice>,
    /// Covered-vendor devices, sorted by MAC.
    pub findings: Vec<NetFinding>,
    /// Randomised and group MACs: never matched.
    pub unknowable: Vec<Unknowable>,
    /// Banner evidence on devices with no covered MAC (remote scans see
    /// no MAC): corroborating only, never a finding on its own.
    pub banner_hints: Vec<BannerHint>,
    /// Inputs, lines and entries that could not be read.
    pub errors: Vec<NetError>,
    /// Things worth saying that are not errors (a netlink fallback).
    pub notes: Vec<String>,
}

/// Read all inputs and match them against the built-in table.
pub fn scan(inputs: &NetInputs, ctx: &UseContext) -> NetReport {
    let table = inputs.table.as_ref().unwrap_or_else(|| Table::builtin());
    let mut m = Matcher::new(table);
    let keep = !inputs.discard_devices;
    let mut devices = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for p in &inputs.nmap {
        let name = p.display().to_string();
        match read_text(p).and_then(|t| crate::nmap::parse_nmap(&t, &name)) {
            Ok(s) => {
                m.take(&mut devices, s.hosts, keep);
                errors.extend(s.errors);
            }
            Err(e) => errors.push(e),
        }
    }
    for p in &inputs.csv {
        let name = p.display().to_string();
        let text = match read_text(p) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if keep {
            match parse_assets(&text, &name, &inputs.csv_mapping) {
                Ok((d, e)) => {
                    m.take(&mut devices, d, keep);
                    errors.extend(e);
                }
                Err(e) => errors.push(e),
            }
            continue;
        }
        // Rows are matched as they are read, so a file with broken quoting
        // must be caught first: it contributes no device, as when parsed
        // whole.
        if let Some(line) = csvtext::unterminated_quote(&text) {
            errors.push(NetError::at(&name, line, "unterminated quoted field"));
            continue;
        }
        match read_assets(&text, &name, &inputs.csv_mapping, |d| m.add(&d)) {
            Ok(e) => errors.extend(e),
            Err(e) => errors.push(e),
        }
    }
    for p in &inputs.dhcp_leases {
        let name = p.display().to_string();
        match read_text(p).and_then(|t| crate::leases::parse_leases(&t, &name)) {
            Ok((d, e)) => {
                m.take(&mut devices, d, keep);
                errors.extend(e);
            }
            Err(e) => errors.push(e),
        }
    }
    if inputs.live_neighbors {
        let (r, label, fell_back) = Live.read_with_fallback();
        if let Some(e) = fell_back {
            notes.push(format!("{e}; read {label} instead (IPv4 only)"));
        }
        match r {
            Ok(v) => m.take(
                &mut devices,
                v.iter().map(|n| n.to_device(&label)).collect(),
                keep,
            ),
            Err(e) => errors.push(e),
        }
    }
    for s in &inputs.neighbor_sources {
        match s.read() {
            Ok(v) => m.take(
                &mut devices,
                v.iter().map(|n| n.to_device(&s.label())).collect(),
                keep,
            ),
            Err(e) => errors.push(e),
        }
    }
    let mut r = m.finish(devices, ctx);
    r.errors = errors;
    r.notes = notes;
    r
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Match device records against a table (the pure core of [`scan`]).
pub fn match_devices(devices: Vec<NetDevice>, ctx: &UseContext, table: &Table) -> NetReport {
    let mut m = Matcher::new(table);
    for d in &devices {
        m.add(d);
    }
    m.finish(devices, ctx)
}

/// Matches records one at a time, so [`scan`] can match a large CSV as it
/// reads it instead of holding every row first.
struct Matcher<'t> {
    table: &'t Table,
    findings: BTreeMap<Mac, (NetFinding, Vec<Option<String>>)>,
    unknowable: BTreeMap<Mac, Unknowable>,
    banner_hints: Vec<BannerHint>,
}

impl<'t> Matcher<'t> {
    fn new(table: &'t Table) -> Matcher<'t> {
        Matcher {
            table,
            findings: BTreeMap::new(),
            unknowable: BTreeMap::new(),
            banner_hints: Vec::new(),
        }
    }

    /// Match `more` and, when `keep`, append it to `devices` (moved, not
    /// copied, when it is the first: one large input would otherwise be
    /// held twice).
    fn take(&mut self, devices: &mut Vec<NetDevice>, more: Vec<NetDevice>, keep: bool) {
        for d in &more {
            self.add(d);
        }
        if keep {
            if devices.is_empty() {
                *devices = more;
            } else {
                devices.extend(more);
            }
        }
    }

    fn add(&mut self, d: &NetDevice) {
        let hints = banner::hints(d);
        let Some(mac) = d.mac else {
            self.banner_hints.extend(hints);
            return;
        };
        let class = mac.class();
        if class != MacClass::Universal {
            self.unknowable
                .entry(mac)
                .or_insert_with(|| Unknowable {
                    mac,
                    class,
                    sources: Vec::new(),
                })
                .sources
                .push(d.source.clone());
            self.banner_hints.extend(hints);
            return;
        }
        let Some(entry) = self.table.lookup(mac) else {
            self.banner_hints.extend(hints);
            return;
        };
        let (f, groups) = self.findings.entry(mac).or_insert_with(|| {
            (
                NetFinding {
                    mac,
                    vendor: entry.vendor,
                    organization: entry.organization.clone(),
                    prefix: entry.prefix.to_string(),
                    prefix_bits: entry.prefix.bits,
                    coverage: Coverage::Covered,
                    condition: None,
                    use_match: None,
                    ips: Vec::new(),
                    hostnames: Vec::new(),
                    vendor_hints: Vec::new(),
                    corroboration: Vec::new(),
                    sources: Vec::new(),
                },
                Vec::new(),
            )
        });
        for ip in &d.ips {
            push_unique(&mut f.ips, *ip);
        }
        if let Some(h) = &d.hostname {
            push_unique(&mut f.hostnames, h.clone());
        }
        if let Some(h) = &d.vendor_hint {
            push_unique(&mut f.vendor_hints, h.clone());
        }
        for h in hints {
            if h.vendor == entry.vendor {
                push_unique(&mut f.corroboration, h.evidence);
            }
        }
        push_unique(groups, d.group.clone());
        f.sources.push(d.source.clone());
    }

    /// Decide coverage and build the report; `devices` is what it lists as
    /// read.
    fn finish(self, devices: Vec<NetDevice>, ctx: &UseContext) -> NetReport {
        let findings = self
            .findings
            .into_values()
            .map(|(mut f, groups)| {
                if f.vendor.conditional() {
                    f.condition = Some(FCC_CONDITION);
                    let g: Vec<&str> = groups.iter().flatten().map(String::as_str).collect();
                    f.use_match = ctx.use_of(&f.ips, &g);
                    f.coverage = match &f.use_match {
                        Some(u) if u.tag.meets_condition() => Coverage::Covered,
                        Some(_) => Coverage::UseNotCovered,
                        None => Coverage::PossiblyCovered,
                    };
                }
                f
            })
            .collect();
        NetReport {
            registry_date: if self.table.registry_date.is_empty() {
                REGISTRY_DATE.to_string()
            } else {
                self.table.registry_date.clone()
            },
            devices,
            findings,
            unknowable: self.unknowable.into_values().collect(),
            banner_hints: self.banner_hints,
            errors: Vec::new(),
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(r: &NetReport) -> Vec<(String, Vec<String>)> {
        r.findings
            .iter()
            .map(|f| {
                let src = f.sources.iter().map(|s| format!("{}:{:?}", s.file, s.line));
                (f.mac.to_string(), src.collect())
            })
            .collect()
    }

    #[test]
    fn discarding_devices_changes_nothing_else() {
        // The CLI's streaming path must find what the whole-file path finds,
        // and a file with broken quoting must add no device on either.
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.csv");
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &good,
            "MAC,IP\n80:38:bc:00:00:01,10.0.0.1\n02:00:00:00:00:01,10.0.0.2\nnope,10.0.0.3\n80-38-BC-00-00-01,10.0.0.4\n",
        )
        .unwrap();
        std::fs::write(
            &bad,
            "MAC,IP\n74:a7:8e:00:00:01,10.0.0.9\n\"open,10.0.0.8\n",
        )
        .unwrap();
        let run = |discard| {
            scan(
                &NetInputs {
                    csv: vec![bad.clone(), good.clone()],
                    discard_devices: discard,
                    ..NetInputs::default()
                },
                &UseContext::default(),
            )
        };
        let (kept, streamed) = (run(false), run(true));
        assert_eq!(kept.devices.len(), 4);
        assert!(streamed.devices.is_empty());
        assert_eq!(summary(&kept), summary(&streamed));
        assert_eq!(
            summary(&kept).len(),
            1,
            "only the Huawei MAC, not bad.csv's ZTE"
        );
        assert_eq!(kept.findings[0].sources.len(), 2);
        assert_eq!(kept.unknowable.len(), streamed.unknowable.len());
        let errs = |r: &NetReport| r.errors.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(errs(&kept), errs(&streamed));
        assert_eq!(errs(&kept).len(), 2, "{:?}", errs(&kept));
        assert!(errs(&kept)[0].contains("bad.csv:3"), "{:?}", errs(&kept));
        assert!(errs(&kept)[0].contains("unterminated"), "{:?}", errs(&kept));
    }
}
