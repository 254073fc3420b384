//! The replacement check: after the covered product is gone, is another
//! endpoint protection product present and active? The directive says
//! *remove and replace*; a host left without protection is its own finding.
//!
//! Everything is read from the after report's inventory, so the check is as
//! good as what the collectors recorded:
//!
//! * **Windows**: the `windows-protection` collector's Defender and Security
//!   Center records. An `antivirus` product that is enabled and not a covered
//!   vendor's counts. Defender's state is its *configured* state (an offline
//!   image cannot show passive mode); Security Center's is the last state the
//!   product reported.
//! * **macOS**: XProtect, Apple's built-in malware scanner, which System
//!   Integrity Protection keeps from being switched off. The macOS collectors
//!   do not record it, so `uproot verify` probes the bundle paths under the
//!   root itself ([`XPROTECT_PATHS`]) and passes what it saw in
//!   [`ReplacementOptions::probed`]; file entries for those paths in the
//!   report's inventory count too. An XProtect installer receipt alone is
//!   listed but does not count: it shows an update was installed once, not
//!   that the bundle is there now.
//! * **Linux**: a ClamAV daemon or on-access scanner, or one of a short
//!   built-in list of endpoint protection agents ([`LINUX_PRODUCTS`]), as an
//!   *enabled* system service (a unit linked from a `*.wants` directory, not
//!   masked) or a *running* process (live scans). Monitoring agents such as
//!   osquery and the Wazuh agent are listed but never count: they observe, they
//!   do not block malware.
//!
//! A product whose name carries a covered vendor's name (Kaspersky, Huawei,
//! ZTE, Hytera, Hikvision, Dahua, plus the catalog's names and aliases passed
//! in [`ReplacementOptions::covered_terms`]), or whose service is itself a
//! finding, never counts.

use serde::{Deserialize, Serialize};
use uproot_inventory::{FileEntry, PackageSource};
use uproot_report::Report;

/// Where XProtect lives: macOS 10.15 and later, then older releases, then the
/// XProtect app of macOS 13 and later.
pub const XPROTECT_PATHS: &[&str] = &[
    "/Library/Apple/System/Library/CoreServices/XProtect.bundle",
    "/System/Library/CoreServices/XProtect.bundle",
    "/Library/Apple/System/Library/CoreServices/XProtect.app",
];

/// Covered vendors' names, always treated as covered whatever the catalog says.
pub const COVERED_TERMS: &[&str] = &["kaspersky", "huawei", "zte", "hytera", "hikvision", "dahua"];

/// A Linux endpoint protection product the check knows by its service and
/// process names.
#[derive(Debug, Clone, Copy)]
pub struct KnownProduct {
    /// Product name as shown.
    pub name: &'static str,
    /// systemd unit names; a name ending in `@` matches every instance of the template.
    pub services: &'static [&'static str],
    /// Process names (`comm`, or the executable's file name).
    pub processes: &'static [&'static str],
    /// False for monitoring agents that are listed but never count.
    pub protects: bool,
}

/// The built-in Linux list.
pub const LINUX_PRODUCTS: &[KnownProduct] = &[
    KnownProduct {
        name: "ClamAV",
        services: &[
            "clamav-daemon.service",
            "clamd.service",
            "clamd@",
            "clamav-clamonacc.service",
            "clamonacc.service",
        ],
        processes: &["clamd", "clamonacc"],
        protects: true,
    },
    KnownProduct {
        name: "CrowdStrike Falcon",
        services: &["falcon-sensor.service"],
        processes: &["falcon-sensor"],
        protects: true,
    },
    KnownProduct {
        name: "Microsoft Defender for Endpoint",
        services: &["mdatp.service"],
        processes: &["wdavdaemon"],
        protects: true,
    },
    KnownProduct {
        name: "SentinelOne",
        services: &["sentinelone.service"],
        processes: &["s1-agent"],
        protects: true,
    },
    KnownProduct {
        name: "Sophos Protection for Linux",
        services: &["sophos-spl.service"],
        processes: &["sophos_watchdog"],
        protects: true,
    },
    KnownProduct {
        name: "Sophos Anti-Virus for Linux",
        services: &["sav-protect.service"],
        processes: &["savd"],
        protects: true,
    },
    KnownProduct {
        name: "ESET for Linux",
        services: &["eea.service", "efs.service", "esets.service"],
        processes: &["esets_daemon"],
        protects: true,
    },
    KnownProduct {
        name: "Trend Micro Deep Security Agent",
        services: &["ds_agent.service"],
        processes: &["ds_agent"],
        protects: true,
    },
    KnownProduct {
        name: "Trellix Endpoint Security for Linux",
        services: &["mfetpd.service"],
        processes: &["mfetpd"],
        protects: true,
    },
    KnownProduct {
        name: "Palo Alto Networks Cortex XDR",
        services: &["traps_pmd.service"],
        processes: &[],
        protects: true,
    },
    KnownProduct {
        name: "Elastic Defend",
        services: &["ElasticEndpoint.service"],
        processes: &[],
        protects: true,
    },
    KnownProduct {
        name: "osquery",
        services: &["osqueryd.service"],
        processes: &["osqueryd"],
        protects: false,
    },
    KnownProduct {
        name: "Wazuh agent",
        services: &["wazuh-agent.service"],
        processes: &["wazuh-agentd"],
        protects: false,
    },
];

/// One product the check considered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectionCandidate {
    /// Product name.
    pub name: String,
    /// What was seen: `windows-defender`, `security-center`, `service`,
    /// `process`, `xprotect`, `receipt`.
    pub basis: String,
    /// What exactly, in a few words (`clamav-daemon.service (enabled)`).
    pub detail: String,
    /// Where it was read from.
    pub location: String,
    /// Enabled, running or present.
    pub active: bool,
    /// A covered vendor's product.
    pub covered: bool,
    /// True when this candidate makes the host protected.
    pub counts: bool,
}

/// The result of the replacement check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replacement {
    /// `linux`, `windows` or `macos`.
    pub platform: String,
    /// True when some candidate counts.
    pub protected: bool,
    /// Every candidate considered, counting or not.
    pub products: Vec<ProtectionCandidate>,
    /// One line: why the host is, or is not, protected.
    pub reason: String,
    /// What the check could not see on this platform or input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Inputs beyond the report.
#[derive(Debug, Clone, Default)]
pub struct ReplacementOptions {
    /// More covered-vendor names (the catalog's vendor names and aliases).
    pub covered_terms: Vec<String>,
    /// Paths the caller probed under the root (XProtect on macOS).
    pub probed: Vec<FileEntry>,
    /// True when the caller probed the root (so an empty `probed` means absent).
    pub root_probed: bool,
}

/// The replacement check on an after report alone.
pub fn replacement(after: &Report) -> Replacement {
    replacement_with(after, &ReplacementOptions::default())
}

/// The replacement check with probes and extra covered names.
pub fn replacement_with(after: &Report, opts: &ReplacementOptions) -> Replacement {
    let mut terms: Vec<String> = COVERED_TERMS.iter().map(|t| t.to_string()).collect();
    terms.extend(opts.covered_terms.iter().map(|t| t.to_lowercase()));
    terms.extend(after.findings.iter().map(|f| f.vendor_name.to_lowercase()));
    terms.retain(|t| t.trim().len() >= 2);
    terms.sort();
    terms.dedup();
    let covered = |name: &str| is_covered_name(name, &terms);
    let (platform, mut products, mut notes) = match after.host.os.as_str() {
        "windows" => windows(after, &covered),
        "macos" => macos(after, opts, &covered),
        _ => linux(after, &covered),
    };
    for p in &mut products {
        p.counts &= !p.covered;
    }
    let protected = products.iter().any(|p| p.counts);
    let reason = if protected {
        let list: Vec<String> = products
            .iter()
            .filter(|p| p.counts)
            .map(|p| format!("{}: {}", p.name, p.detail))
            .collect();
        format!("protected by {}", list.join("; "))
    } else {
        let seen: Vec<String> = products
            .iter()
            .map(|p| {
                let why = if p.covered {
                    "a covered vendor's product"
                } else if !p.active {
                    "not active"
                } else {
                    "does not protect"
                };
                format!("{}: {}, {why}", p.name, p.detail)
            })
            .collect();
        if seen.is_empty() {
            format!("no endpoint protection product found on this {platform} host")
        } else {
            format!("no active endpoint protection: {}", seen.join("; "))
        }
    };
    if platform == "linux" && !after.host.live {
        notes.push("an image or root, not a running system: processes cannot be seen, so a product counts only when its service is enabled".into());
    }
    notes.dedup();
    Replacement {
        platform: platform.into(),
        protected,
        products,
        reason,
        notes,
    }
}

/// True when `name` carries a covered vendor's name: a whole word for one-word
/// terms (`zte` must not match `Aztec`), a substring for longer ones.
pub fn is_covered_name(name: &str, terms: &[String]) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    terms.iter().any(|t| {
        if t.contains(' ') {
            lower.contains(t.as_str())
        } else {
            words.iter().any(|w| w == t)
        }
    })
}

type Found = (&'static str, Vec<ProtectionCandidate>, Vec<String>);

fn windows(after: &Report, covered: &dyn Fn(&str) -> bool) -> Found {
    let mut notes = Vec::new();
    let inv = &after.inventory;
    if inv.protection.is_empty() {
        notes.push("no Defender or Security Center state was recorded (the windows-protection collector was skipped, or the SOFTWARE hive could not be read)".into());
    }
    let products = inv
        .protection
        .iter()
        .map(|p| {
            let basis = if p.location.contains("Security Center") {
                "security-center"
            } else {
                "windows-defender"
            };
            let state = match p.enabled {
                Some(true) => "enabled",
                Some(false) => "disabled",
                None => "state unknown",
            };
            let sigs = match p.up_to_date {
                Some(true) => ", signatures up to date",
                Some(false) => ", signatures out of date",
                None => "",
            };
            let active = p.enabled == Some(true);
            let is_covered = covered(&p.name);
            ProtectionCandidate {
                name: p.name.clone(),
                basis: basis.into(),
                detail: format!("{}, {state}{sigs}", p.category),
                location: p.location.clone(),
                active,
                covered: is_covered,
                counts: active && p.category == "antivirus",
            }
        })
        .collect();
    notes.push("Defender's state is its configured state: an offline image cannot show whether it runs in passive mode".into());
    ("windows", products, notes)
}

fn macos(after: &Report, opts: &ReplacementOptions, covered: &dyn Fn(&str) -> bool) -> Found {
    let mut notes = Vec::new();
    let mut products = Vec::new();
    let under_xprotect = |path: &str| {
        XPROTECT_PATHS
            .iter()
            .any(|x| path == *x || path.strip_prefix(x).is_some_and(|r| r.starts_with('/')))
    };
    let mut seen = std::collections::HashSet::new();
    for f in opts.probed.iter().chain(&after.inventory.files) {
        if !under_xprotect(&f.path) || !seen.insert(f.path.clone()) {
            continue;
        }
        products.push(ProtectionCandidate {
            name: "XProtect".into(),
            basis: "xprotect".into(),
            detail: format!("{} present", f.file_type),
            location: f.path.clone(),
            active: true,
            covered: false,
            counts: true,
        });
    }
    for p in after.inventory.packages.iter().filter(|p| {
        p.source == PackageSource::MacReceipt
            && (p.name.contains("XProtect")
                || p.id.as_deref().is_some_and(|i| i.contains("XProtect")))
    }) {
        products.push(ProtectionCandidate {
            name: "XProtect".into(),
            basis: "receipt".into(),
            detail: format!(
                "installer receipt {} {} only; the bundle itself was not seen",
                p.id.as_deref().unwrap_or(&p.name),
                p.version
            ),
            location: p.location.clone(),
            active: false,
            covered: covered(&p.name),
            counts: false,
        });
    }
    if !opts.root_probed {
        notes.push(format!(
            "the macOS collectors do not record XProtect and this report was not probed for it; only inventory files under {} count",
            XPROTECT_PATHS.join(", ")
        ));
    }
    notes.push(
        "third-party macOS protection products are not recognised; XProtect is the baseline".into(),
    );
    ("macos", products, notes)
}

fn linux(after: &Report, covered: &dyn Fn(&str) -> bool) -> Found {
    let inv = &after.inventory;
    let mut products = Vec::new();
    let finding_keys: std::collections::HashSet<&str> = after
        .findings
        .iter()
        .map(|f| f.evidence.key.as_str())
        .collect();
    for known in LINUX_PRODUCTS {
        for s in inv.services.iter().filter(|s| {
            s.scope != "user"
                && known.services.iter().any(|n| match n.strip_suffix('@') {
                    Some(template) => s.name.starts_with(&format!("{template}@")),
                    None => s.name == *n || s.name == n.trim_end_matches(".service"),
                })
        }) {
            let masked = s.exec.is_none() && s.scope != "sysv";
            let active = s.enabled && !masked;
            let state = if masked {
                "masked"
            } else if s.enabled {
                "enabled"
            } else if s.scope == "sysv" {
                "init script, enabled state unknown"
            } else {
                "installed, not enabled"
            };
            products.push(ProtectionCandidate {
                name: known.name.into(),
                basis: "service".into(),
                detail: format!("{} ({state})", s.name),
                location: s.location.clone(),
                active,
                covered: covered(&s.name)
                    || finding_keys.contains(s.name.as_str())
                    || s.description.as_deref().is_some_and(covered),
                counts: active && known.protects,
            });
        }
        for p in inv.processes.iter().filter(|p| {
            let exe_name = p
                .exe
                .as_deref()
                .and_then(|e| e.rsplit('/').next())
                .unwrap_or("");
            known
                .processes
                .iter()
                .any(|n| p.name == *n || exe_name == *n)
        }) {
            products.push(ProtectionCandidate {
                name: known.name.into(),
                basis: "process".into(),
                detail: format!("{} running (pid {})", p.name, p.pid),
                location: p.exe.clone().unwrap_or_else(|| format!("/proc/{}", p.pid)),
                active: true,
                covered: p.exe.as_deref().is_some_and(covered),
                counts: known.protects,
            });
        }
    }
    let mut notes = Vec::new();
    if products.iter().any(|p| !p.counts && !p.covered && p.active) {
        notes.push("osquery and the Wazuh agent monitor but do not block malware, so they do not count as replacement protection".into());
    }
    ("linux", products, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{finding, report};
    use uproot_inventory::{Inventory, Package, Process, ProtectionProduct, Service};

    fn service(name: &str, enabled: bool) -> Service {
        Service {
            name: name.into(),
            scope: "system".into(),
            exec: Some("/usr/sbin/daemon".into()),
            description: None,
            enabled,
            start: None,
            location: format!("/usr/lib/systemd/system/{name}"),
        }
    }

    #[test]
    fn linux_enabled_clamav_protects_and_disabled_does_not() {
        let mut inv = Inventory::default();
        inv.services.push(service("clamav-daemon.service", false));
        let r = replacement(&report(vec![], inv.clone(), vec![]));
        assert!(!r.protected);
        assert!(r.reason.contains("not active"), "{}", r.reason);
        inv.services[0].enabled = true;
        let r = replacement(&report(vec![], inv.clone(), vec![]));
        assert!(r.protected, "{r:?}");
        assert_eq!(r.products[0].name, "ClamAV");
        assert!(r.reason.contains("clamav-daemon.service (enabled)"));
        // Masked: no command, cannot start.
        inv.services[0].exec = None;
        assert!(!replacement(&report(vec![], inv, vec![])).protected);
    }

    #[test]
    fn linux_template_instance_process_and_monitoring_only() {
        let mut inv = Inventory::default();
        inv.services.push(service("osqueryd.service", true));
        let r = replacement(&report(vec![], inv.clone(), vec![]));
        assert!(!r.protected, "osquery is not protection");
        inv.services.push(service("clamd@scan.service", true));
        assert!(replacement(&report(vec![], inv, vec![])).protected);
        let mut inv = Inventory::default();
        inv.processes.push(Process {
            pid: 42,
            name: "wdavdaemon".into(),
            exe: Some("/opt/microsoft/mdatp/sbin/wdavdaemon".into()),
            cmdline: None,
        });
        let r = replacement(&report(vec![], inv, vec![]));
        assert!(r.protected);
        assert_eq!(r.products[0].name, "Microsoft Defender for Endpoint");
        assert_eq!(r.products[0].basis, "process");
    }

    #[test]
    fn linux_nothing_is_unprotected_and_a_covered_service_never_counts() {
        let r = replacement(&report(vec![], Inventory::default(), vec![]));
        assert!(!r.protected);
        assert!(r.reason.starts_with("no endpoint protection product found"));
        let mut inv = Inventory::default();
        let mut s = service("clamd.service", true);
        s.description = Some("Kaspersky rebadged scanner".into());
        inv.services.push(s);
        let r = replacement(&report(vec![], inv, vec![]));
        assert!(!r.protected);
        assert!(r.products[0].covered);
        let f = finding("x", "kesl", "service", false, "clamd.service");
        let mut inv = Inventory::default();
        inv.services.push(service("clamd.service", true));
        assert!(!replacement(&report(vec![f], inv, vec![])).protected);
    }

    fn windows_report(protection: Vec<ProtectionProduct>) -> Report {
        let inv = Inventory {
            protection,
            ..Inventory::default()
        };
        let mut r = report(vec![], inv, vec![]);
        r.host.os = "windows".into();
        r
    }

    fn product(name: &str, category: &str, enabled: Option<bool>, sc: bool) -> ProtectionProduct {
        ProtectionProduct {
            name: name.into(),
            category: category.into(),
            enabled,
            up_to_date: None,
            location: if sc {
                "/Windows/System32/config/SOFTWARE\\Microsoft\\Security Center\\Provider\\Av\\{X}"
                    .into()
            } else {
                "/Windows/System32/config/SOFTWARE\\Microsoft\\Windows Defender".into()
            },
        }
    }

    #[test]
    fn windows_defender_or_security_center_not_covered() {
        // As in fixtures/roots/windows-kes: Defender off, KES registered and on.
        let r = replacement(&windows_report(vec![
            product(
                "Microsoft Defender Antivirus",
                "antivirus",
                Some(false),
                false,
            ),
            product(
                "Kaspersky Endpoint Security for Windows",
                "antivirus",
                Some(true),
                true,
            ),
        ]));
        assert!(!r.protected, "{r:?}");
        assert!(r.products[1].covered);
        assert_eq!(r.platform, "windows");
        let r = replacement(&windows_report(vec![product(
            "Microsoft Defender Antivirus",
            "antivirus",
            Some(true),
            false,
        )]));
        assert!(r.protected);
        assert_eq!(r.products[0].basis, "windows-defender");
        // A firewall is not antivirus; an unknown state does not count.
        let r = replacement(&windows_report(vec![
            product("Windows Firewall", "firewall", Some(true), true),
            product("Other AV", "antivirus", None, true),
        ]));
        assert!(!r.protected);
        let r = replacement(&windows_report(vec![]));
        assert!(r.notes[0].contains("no Defender"));
    }

    #[test]
    fn macos_xprotect_probe_counts_a_receipt_alone_does_not() {
        let mut inv = Inventory::default();
        let mut p = Package::new(
            "XProtectPlistConfigData",
            "1.0",
            PackageSource::MacReceipt,
            "/Library/Receipts/InstallHistory.plist",
        );
        p.id = Some("com.apple.pkg.XProtectPlistConfigData.2-45".into());
        inv.packages.push(p);
        let mut r = report(vec![], inv, vec![]);
        r.host.os = "macos".into();
        let res = replacement(&r);
        assert!(!res.protected);
        assert_eq!(res.products[0].basis, "receipt");
        assert!(res.notes[0].contains("do not record XProtect"));
        let opts = ReplacementOptions {
            probed: vec![FileEntry {
                path: XPROTECT_PATHS[0].into(),
                file_type: "dir".into(),
                size: None,
            }],
            root_probed: true,
            ..Default::default()
        };
        let res = replacement_with(&r, &opts);
        assert!(res.protected);
        assert!(res.reason.contains("XProtect"));
        // From the report's inventory files, too.
        r.inventory.files.push(FileEntry {
            path: format!("{}/Contents/Resources/XProtect.plist", XPROTECT_PATHS[1]),
            file_type: "file".into(),
            size: Some(10),
        });
        assert!(replacement(&r).protected);
    }

    #[test]
    fn covered_names_are_whole_words() {
        let terms: Vec<String> = COVERED_TERMS.iter().map(|s| s.to_string()).collect();
        assert!(is_covered_name("Kaspersky Endpoint Security", &terms));
        assert!(is_covered_name("ZTE Guard", &terms));
        assert!(!is_covered_name("Aztec Antivirus", &terms));
        let long = vec!["ao kaspersky lab".to_string()];
        assert!(is_covered_name("by AO Kaspersky Lab", &long));
    }
}
