//! Realistic `uproot.report/1` bodies, gzipped, cheap enough to make by the
//! hundred thousand without competing with the server for the CPU.
//!
//! A body is the serialisation of a real [`Report`], cut into segments: a
//! small per-report envelope (generated_at, host, summary, findings) and the
//! large inventory arrays, split into chunks of records. Every chunk is
//! deflated once per version variant at start, each as an independent
//! deflate stream ended by a sync flush; deflate streams that do not refer
//! back across a flush boundary concatenate into one valid stream. A body
//! is then the gzip header, the envelope pieces deflated now, the chosen
//! chunk variants copied in, and a trailer whose CRC-32 is combined from the
//! pieces' CRCs. Hosts differ by their chunk variants (version jitter),
//! hostname and machine id; reports differ by `generated_at`.

use std::sync::Arc;

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress, Status};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uproot_inventory::{Certificate, Host, Inventory, Package, PackageSource, Service};
use uproot_matcher::Finding;
use uproot_report::{CatalogInfo, Report};

use crate::corpus::Pools;

/// How big a report is.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Packages per report.
    pub packages: usize,
    /// Services per report.
    pub services: usize,
    /// Certificates per report.
    pub certificates: usize,
    /// One host in this many has covered-vendor findings (0 = none).
    pub finding_every: usize,
    /// Version variants per chunk: hosts pick one per chunk.
    pub variants: usize,
    /// Records per chunk.
    pub chunk: usize,
    /// Seed of host identities, so separate runs make separate hosts.
    pub seed: u64,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            packages: 1500,
            services: 180,
            certificates: 290,
            finding_every: 10,
            variants: 4,
            chunk: 50,
            seed: 1,
        }
    }
}

/// A plain segment with its deflated form.
struct Seg {
    plain: Vec<u8>,
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    installed: usize,
}

impl Seg {
    fn new(plain: Vec<u8>, installed: usize, c: &mut Compress) -> Seg {
        let mut deflated = Vec::with_capacity(plain.len() / 4 + 64);
        deflate(c, &plain, false, &mut deflated);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&plain);
        Seg {
            plain,
            deflated,
            crc,
            installed,
        }
    }
}

/// Deflates `data` as an independent raw stream: sync-flushed (byte
/// aligned, not final) unless `last`.
fn deflate(c: &mut Compress, data: &[u8], last: bool, out: &mut Vec<u8>) {
    c.reset();
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let consumed = c.total_in() as usize;
        let st = c
            .compress_vec(&data[consumed..], out, flush)
            .expect("deflate of an in-memory buffer cannot fail");
        let done_in = c.total_in() as usize == data.len();
        let room = out.capacity() > out.len();
        match st {
            Status::StreamEnd => break,
            _ if !last && done_in && room => break,
            _ => {}
        }
    }
}

/// A body being assembled.
struct Acc {
    out: Vec<u8>,
    crc: crc32fast::Hasher,
    sha: Option<Sha256>,
    plain_len: u64,
}

impl Acc {
    /// Deflates a per-report piece now.
    fn fresh(&mut self, c: &mut Compress, bytes: &[u8], last: bool) {
        deflate(c, bytes, last, &mut self.out);
        let mut h = crc32fast::Hasher::new();
        h.update(bytes);
        self.crc.combine(&h);
        self.plain_len += bytes.len() as u64;
        if let Some(s) = self.sha.as_mut() {
            s.update(bytes);
        }
    }

    /// Copies a pre-deflated chunk.
    fn copy(&mut self, seg: &Seg) {
        self.out.extend_from_slice(&seg.deflated);
        self.crc.combine(&seg.crc);
        self.plain_len += seg.plain.len() as u64;
        if let Some(s) = self.sha.as_mut() {
            s.update(&seg.plain);
        }
    }
}

/// One simulated host.
#[derive(Debug, Clone)]
pub struct HostSpec {
    /// Index in the fleet.
    pub index: usize,
    /// Host name.
    pub hostname: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
}

/// A ready request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// gzip bytes.
    pub gz: Bytes,
    /// Uncompressed length.
    pub plain_len: u64,
    /// `sha256:<hex>` of the uncompressed body, when asked for.
    pub report_id: Option<String>,
}

/// Makes hosts and report bodies.
pub struct Generator {
    profile: Profile,
    pkg: Vec<Vec<Seg>>,
    svc: Vec<Vec<Seg>>,
    cert: Vec<Vec<Seg>>,
    catalog: CatalogInfo,
    /// (extra packages, extra services, their findings) per covered vendor.
    covered: Vec<(Vec<Package>, Vec<Service>, Vec<Finding>)>,
    /// Start of the simulated clock (seconds since the epoch).
    epoch: u64,
}

const MARK: &str = "~uproot-loadgen-mark~";

impl Generator {
    /// Builds the chunk variants from `pools`.
    pub fn new(pools: &Pools, profile: Profile) -> Result<Generator, crate::Error> {
        let packages = expand_packages(&pools.packages, profile.packages);
        let services = cycle(&pools.services, profile.services, |s, r| {
            s.scope = "user".into();
            s.location = format!("/usr/lib/systemd/user/{}#{r}", s.name);
        });
        let certs = cycle(&pools.certificates, profile.certificates, |c, r| {
            c.location = format!("/etc/ssl/certs/java/cacerts#{r}");
        });
        let mut c = Compress::new(Compression::default(), false);
        let variants = profile.variants.max(1);
        let chunk = profile.chunk.max(1);
        let pkg = chunked(&packages, chunk, variants, &mut c, |p, v| {
            if v > 0 && (p.name.len() + v) % 3 == 0 {
                p.version = format!("{}+deb12u{v}", p.version);
            }
            usize::from(p.state.as_deref().is_none_or(|s| s == "installed"))
        });
        let svc = chunked(&services, chunk, variants, &mut c, |s, v| {
            if v > 0 && (s.name.len() + v) % 4 == 0 {
                s.enabled = !s.enabled;
            }
            0
        });
        let cert = chunked(&certs, chunk, 1, &mut c, |_, _| 0);
        let catalog = uproot_catalog::Catalog::builtin()
            .and_then(|c| c.compile())
            .map_err(|e| crate::Error::Catalog(e.to_string()))?;
        let covered = covered_sets(&catalog);
        let version = uproot_catalog::Catalog::builtin()
            .map(|c| c.version().to_owned())
            .unwrap_or_default();
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .saturating_sub(7 * 86_400);
        Ok(Generator {
            profile,
            pkg,
            svc,
            cert,
            catalog: CatalogInfo {
                version,
                overlays: vec![],
            },
            covered,
            epoch,
        })
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Host number `index` of the fleet.
    pub fn host(&self, index: usize) -> HostSpec {
        let h = mix(self.profile.seed, index as u64, 0);
        let role = ["web", "db", "app", "ws", "build", "edge", "mail", "files"][(h % 8) as usize];
        let site = ["dc1", "dc2", "hq", "br", "lab"][(h / 8 % 5) as usize];
        HostSpec {
            index,
            hostname: format!("{role}-{index:06}.{site}.agency.example"),
            machine_id: format!(
                "{:016x}{:016x}",
                mix(self.profile.seed, index as u64, 1),
                mix(self.profile.seed, index as u64, 2)
            ),
        }
    }

    fn variant(&self, host: &HostSpec, kind: u64, chunk: usize, n: usize) -> usize {
        (mix(
            self.profile.seed ^ kind,
            host.index as u64,
            3 + chunk as u64,
        ) % n as u64) as usize
    }

    /// Report number `seq` of `host`: distinct for every (host, seq).
    pub fn body(&self, host: &HostSpec, seq: u64, want_id: bool, c: &mut Compress) -> Body {
        let picks = |kind: u64, chunks: &'_ [Vec<Seg>]| -> Vec<usize> {
            chunks
                .iter()
                .enumerate()
                .map(|(i, v)| self.variant(host, kind, i, v.len()))
                .collect()
        };
        let pk = picks(1, &self.pkg);
        let sv = picks(2, &self.svc);
        let ce = picks(3, &self.cert);
        let installed: usize = pk
            .iter()
            .enumerate()
            .map(|(i, &v)| self.pkg[i][v].installed)
            .sum();
        let env = self.envelope(host, seq, installed);
        let pieces = split_envelope(&env);
        let mut acc = Acc {
            out: Vec::with_capacity(96 * 1024),
            crc: crc32fast::Hasher::new(),
            sha: want_id.then(Sha256::new),
            plain_len: 0,
        };
        acc.out
            .extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let sets: [(&[Vec<Seg>], &[usize]); 3] =
            [(&self.pkg, &pk), (&self.svc, &sv), (&self.cert, &ce)];
        for (i, (chunks, picks)) in sets.iter().enumerate() {
            acc.fresh(c, pieces[i].as_bytes(), false);
            for (ci, &v) in picks.iter().enumerate() {
                acc.copy(&chunks[ci][v]);
            }
        }
        acc.fresh(c, pieces[3].as_bytes(), true);
        let Acc {
            mut out,
            crc,
            sha,
            plain_len,
        } = acc;
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(plain_len as u32).to_le_bytes());
        let report_id = sha.map(|s| {
            let mut id = String::from("sha256:");
            for b in s.finalize() {
                id.push_str(&format!("{b:02x}"));
            }
            id
        });
        Body {
            gz: Bytes::from(out),
            plain_len,
            report_id,
        }
    }

    /// The report with marker records where the chunks go.
    fn envelope(&self, host: &HostSpec, seq: u64, installed: usize) -> String {
        let mut inv = Inventory::default();
        let covered = self.covered_for(host);
        if let Some((p, s, _)) = covered {
            inv.packages.extend(p.iter().cloned());
            inv.services.extend(s.iter().cloned());
        }
        let mut mark_pkg = Package::new(MARK, "0", PackageSource::Dpkg, MARK);
        mark_pkg.state = Some("marker".into());
        inv.packages.push(mark_pkg);
        inv.services.push(Service {
            name: MARK.into(),
            scope: "system".into(),
            exec: None,
            description: None,
            enabled: false,
            start: None,
            location: MARK.into(),
        });
        inv.certificates.push(Certificate {
            subject: MARK.into(),
            issuer: String::new(),
            serial: String::new(),
            sha256: String::new(),
            sha1: String::new(),
            not_after: String::new(),
            is_ca: false,
            location: MARK.into(),
        });
        let findings = covered.map(|(_, _, f)| f.clone()).unwrap_or_default();
        let k = mix(self.profile.seed, host.index as u64, 9);
        let h = Host {
            hostname: host.hostname.clone(),
            os: "linux".into(),
            distro: Some("debian".into()),
            distro_version: Some("12".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            kernel: Some(format!("6.1.0-{}-amd64", 20 + k % 9)),
            machine_id: Some(host.machine_id.clone()),
            root: "/".into(),
            live: true,
        };
        // Spread hosts over the simulated week; each report one second later.
        let at = self.epoch + (host.index as u64 % 86_400) + seq;
        let mut r = Report::new(h, self.catalog.clone(), inv, findings, vec![], rfc3339(at));
        r.summary.packages_installed += installed;
        serde_json::to_string(&r).expect("report types always serialise")
    }

    fn covered_for(&self, host: &HostSpec) -> Option<&(Vec<Package>, Vec<Service>, Vec<Finding>)> {
        let every = self.profile.finding_every;
        if every == 0 || self.covered.is_empty() || host.index % every != every / 2 {
            return None;
        }
        self.covered.get(host.index / every % self.covered.len())
    }

    /// Plain JSON of one body (for tests and `uproot-loadgen sample`).
    pub fn plain(&self, body: &Body) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::with_capacity(body.plain_len as usize);
        flate2::read::GzDecoder::new(&body.gz[..])
            .read_to_end(&mut out)
            .expect("generated gzip is valid");
        out
    }
}

/// Cuts the serialised envelope at the three marker records: returns the
/// text before the package marker, between package and service markers,
/// between service and certificate markers, and after the certificate one.
fn split_envelope(env: &str) -> [String; 4] {
    let mut rest = env;
    let mut out: Vec<String> = Vec::with_capacity(4);
    for _ in 0..3 {
        let m = rest.find(MARK).expect("marker present");
        // The marker record is `{"name":MARK,…}` or `{"subject":MARK,…}`:
        // cut from its opening brace to its closing one.
        let open = rest[..m].rfind('{').expect("marker record opens");
        let close = m + rest[m..].find('}').expect("marker record closes") + 1;
        out.push(rest[..open].to_owned());
        rest = &rest[close..];
    }
    out.push(rest.to_owned());
    [
        out[0].clone(),
        out[1].clone(),
        out[2].clone(),
        out[3].clone(),
    ]
}

fn chunked<T: Clone + Serialize>(
    items: &[T],
    chunk: usize,
    variants: usize,
    c: &mut Compress,
    jitter: impl Fn(&mut T, usize) -> usize,
) -> Vec<Vec<Seg>> {
    items
        .chunks(chunk)
        .enumerate()
        .map(|(ci, part)| {
            (0..variants)
                .map(|v| {
                    let mut plain = Vec::new();
                    let mut installed = 0;
                    for (i, item) in part.iter().enumerate() {
                        let mut item = item.clone();
                        installed += jitter(&mut item, v);
                        if ci > 0 || i > 0 {
                            plain.push(b',');
                        }
                        serde_json::to_writer(&mut plain, &item).expect("serialises");
                    }
                    Seg::new(plain, installed, c)
                })
                .collect()
        })
        .collect()
}

/// Real packages; when the pool is smaller than a report, foreign-architecture
/// (multiarch) copies of the libraries and then of everything fill it up.
fn expand_packages(pool: &[Package], n: usize) -> Vec<Package> {
    let mut out: Vec<Package> = pool.iter().take(n).cloned().collect();
    let archs = ["i386", "armhf", "arm64", "ppc64el", "s390x", "mips64el"];
    let mut round = 0;
    while out.len() < n && !pool.is_empty() {
        let arch = archs[round % archs.len()];
        for p in pool {
            if out.len() >= n {
                break;
            }
            if round == 0 && !p.name.starts_with("lib") {
                continue;
            }
            let mut p = p.clone();
            if round >= archs.len() {
                p.version = format!("{}+r{}", p.version, round / archs.len());
            }
            p.arch = Some(arch.into());
            out.push(p);
        }
        round += 1;
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.arch.cmp(&b.arch)));
    out
}

fn cycle<T: Clone>(pool: &[T], n: usize, relocate: impl Fn(&mut T, usize)) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    let mut round = 0;
    while out.len() < n && !pool.is_empty() {
        for t in pool {
            if out.len() >= n {
                break;
            }
            let mut t = t.clone();
            if round > 0 {
                relocate(&mut t, round);
            }
            out.push(t);
        }
        round += 1;
    }
    out
}

/// Kaspersky and Huawei installs as the real matcher reports them.
fn covered_sets(
    catalog: &uproot_catalog::CompiledCatalog,
) -> Vec<(Vec<Package>, Vec<Service>, Vec<Finding>)> {
    let dpkg = |name: &str, version: &str, vendor: &str| {
        let mut p = Package::new(name, version, PackageSource::Dpkg, "/var/lib/dpkg/status");
        p.arch = Some("amd64".into());
        p.state = Some("installed".into());
        p.vendor = Some(vendor.into());
        p
    };
    let unit = |name: &str, exec: &str| Service {
        name: name.into(),
        scope: "system".into(),
        exec: Some(exec.into()),
        description: None,
        enabled: true,
        start: None,
        location: format!("/lib/systemd/system/{name}"),
    };
    let sets = [
        (
            vec![
                dpkg(
                    "kesl",
                    "12.1.0.1297",
                    "AO Kaspersky Lab <support@kaspersky.com>",
                ),
                dpkg(
                    "klnagent64",
                    "15.1.0.20748",
                    "AO Kaspersky Lab <support@kaspersky.com>",
                ),
            ],
            vec![
                unit(
                    "kesl.service",
                    "/opt/kaspersky/kesl/libexec/kesl_launcher.sh",
                ),
                unit(
                    "klnagent64.service",
                    "/opt/kaspersky/klnagent64/sbin/klnagent",
                ),
            ],
        ),
        (
            vec![dpkg(
                "huawei-obs-util",
                "3.23.9",
                "Huawei Technologies Co., Ltd. <obs@huawei.com>",
            )],
            vec![],
        ),
    ];
    sets.into_iter()
        .map(|(packages, services)| {
            let inv = Inventory {
                packages: packages.clone(),
                services: services.clone(),
                ..Inventory::default()
            };
            let f = uproot_matcher::match_inventory(catalog, &inv);
            (packages, services, f)
        })
        .collect()
}

/// A stable 64-bit mix (splitmix64) of a seed, an index and a lane.
fn mix(seed: u64, index: u64, lane: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(index.wrapping_mul(0xbf58_476d_1ce4_e5b9))
        .wrapping_add(lane.wrapping_mul(0x94d0_49bb_1331_11eb))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as reports carry it.
pub use uproot_report::rfc3339;

/// A shared generator.
pub type SharedGenerator = Arc<Generator>;

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Generator {
        let p = Profile {
            packages: 300,
            services: 60,
            certificates: 80,
            finding_every: 2,
            ..Profile::default()
        };
        Generator::new(&Pools::builtin(), p).unwrap()
    }

    #[test]
    fn rfc3339_known() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn bodies_are_valid_distinct_reports() {
        let g = small();
        let mut c = Compress::new(Compression::fast(), false);
        let mut ids = std::collections::HashSet::new();
        for hi in 0..4 {
            let h = g.host(hi);
            for seq in 0..3 {
                let b = g.body(&h, seq, true, &mut c);
                let plain = g.plain(&b);
                assert_eq!(plain.len() as u64, b.plain_len);
                let id = b.report_id.clone().unwrap();
                let mut s = Sha256::new();
                s.update(&plain);
                assert_eq!(id, format!("sha256:{:x}", s.finalize()));
                assert!(ids.insert(id));
                let r: Report = serde_json::from_slice(&plain).unwrap();
                assert_eq!(r.schema, "uproot.report/1");
                assert_eq!(r.host.machine_id.as_deref(), Some(h.machine_id.as_str()));
                assert!(r.inventory.packages.len() >= 300);
                assert!(r.inventory.services.len() >= 60);
                assert_eq!(r.inventory.certificates.len(), 80);
                assert!(!r.inventory.packages.iter().any(|p| p.name == MARK));
                if hi % 2 == 1 {
                    assert!(!r.findings.is_empty(), "host {hi} should have findings");
                    assert!(r.findings.iter().all(|f| f.id.len() == 16));
                } else {
                    assert!(r.findings.is_empty());
                }
                let installed = r
                    .inventory
                    .packages
                    .iter()
                    .filter(|p| p.state.as_deref().is_none_or(|s| s == "installed"))
                    .count();
                assert_eq!(r.summary.packages_installed, installed);
            }
        }
    }

    #[test]
    fn hosts_are_distinct() {
        let g = small();
        let a = g.host(1);
        let b = g.host(2);
        assert_ne!(a.machine_id, b.machine_id);
        assert_ne!(a.hostname, b.hostname);
    }
}
