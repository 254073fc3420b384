//! Windows collectors against real third-party hives (shared/corpora), the
//! hivex-built fixture root (fixtures/roots/windows-kes) and hostile hives.
//!
//! Oracles: reglookup's output recorded beside each hive (`EXPECTED_reglookup_*`),
//! the upstream projects' own assertions quoted in the corpus README, and
//! Velociraptor's golden output for the certificate blob.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use uproot_collect::windows::certs::{friendly_name, parse_cert_blob, read_store};
use uproot_collect::windows::guard;
use uproot_collect::windows::hive::{read_hive_bytes, Hive, HiveError};
use uproot_collect::windows::services::{current_control_set, read_control_set, read_services};
use uproot_collect::windows::source::{OfflineRegistry, RegistrySource};
use uproot_collect::windows::uninstall::read_uninstall;
use uproot_collect::windows::{host as win_host, protection};
use uproot_collect::{collect_with, CollectOptions, Output, Root};
use uproot_inventory::{Host, Package};

const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpora");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/roots/windows-kes"
);
const SCRIPTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scripts/fixtures/windows"
);
const UNINSTALL: &str = "Microsoft\\Windows\\CurrentVersion\\Uninstall";
const WOW_UNINSTALL: &str = "WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall";

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(CORPORA).join(rel);
    assert!(
        p.exists(),
        "{}: missing (shared/corpora must be beside the repository)",
        p.display()
    );
    p
}

/// A corpus hive's bytes; `.xz` files are decompressed in memory.
fn hive_bytes(rel: &str) -> Vec<u8> {
    let p = corpus(rel);
    let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if rel.ends_with(".xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut raw.as_slice(), &mut out)
            .unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        out
    } else {
        raw
    }
}

fn open(rel: &str) -> Hive {
    Hive::from_bytes(hive_bytes(rel), rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `name|version|publisher` lines of an `EXPECTED_reglookup_*_Uninstall.txt`
/// (whose lines are `subkey|DisplayName|DisplayVersion|Publisher`), and the subkeys.
fn expected_uninstall(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, rest) = l.split_once('|').unwrap();
        keys.insert(key.to_owned());
        rows.insert(rest.to_owned());
    }
    (rows, keys)
}

fn rows(pkgs: &[Package]) -> BTreeSet<String> {
    pkgs.iter()
        .map(|p| {
            format!(
                "{}|{}|{}",
                p.name,
                p.version,
                p.vendor.as_deref().unwrap_or("")
            )
        })
        .collect()
}

fn subkeys(pkgs: &[Package]) -> BTreeSet<String> {
    pkgs.iter()
        .map(|p| p.location.rsplit('\\').next().unwrap().to_owned())
        .collect()
}

fn assert_uninstall(hive: &mut Hive, key: &str, expected: &str, count: usize) -> Vec<Package> {
    let pkgs = read_uninstall(hive, key, "user:test", None).unwrap();
    let (want_rows, want_keys) = expected_uninstall(&corpus(expected));
    assert_eq!(pkgs.len(), count, "{expected}: {:#?}", rows(&pkgs));
    assert_eq!(rows(&pkgs), want_rows, "{expected}");
    assert_eq!(subkeys(&pkgs), want_keys, "{expected}");
    let problems = hive.problems();
    assert!(
        problems.iter().all(|p| p.contains("not closed cleanly")),
        "{problems:?}"
    );
    pkgs
}

/// Runs `f` on another thread and fails if it takes longer than `secs`.
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what}: did not finish within {secs}s (hang or panic)"))
}

// ---------------------------------------------------------------------------
// Uninstall lists of real hives, against reglookup.
// ---------------------------------------------------------------------------

#[test]
fn regipy_ntuser_with_winscp_has_its_four_programs() {
    let mut h = open("regipy/NTUSER_with_winscp.DAT.xz");
    let pkgs = assert_uninstall(
        &mut h,
        "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "windows-hives/EXPECTED_reglookup_regipy_NTUSER_with_winscp_Uninstall.txt",
        4,
    );
    // The two `{GUID}` keys are MSI ProductCodes; the others are not.
    let ids: BTreeSet<_> = pkgs.iter().filter_map(|p| p.id.clone()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "{042365c3-6595-5b1c-9db7-bb6ec2e7f0db}".to_owned(),
            "{c60fd5ac-367d-4e3a-a975-f157502ac30a}".to_owned()
        ])
    );
    let zoom = pkgs.iter().find(|p| p.name == "Zoom").unwrap();
    assert!(
        zoom.uninstall.as_deref().unwrap().contains("Zoom"),
        "{zoom:?}"
    );
    assert_eq!(zoom.scope.as_deref(), Some("user:test"));
}

#[test]
fn regipy_ntuser_software_partial_has_its_five_programs() {
    // This hive is the `Software` subtree itself, so the key starts at `Microsoft`.
    let mut h = open("regipy/ntuser_software_partial.xz");
    assert_uninstall(
        &mut h,
        UNINSTALL,
        "windows-hives/EXPECTED_reglookup_regipy_ntuser_software_partial_Uninstall.txt",
        5,
    );
}

#[test]
fn plaso_ntuser_win7_has_chrome_18() {
    let mut h = open("windows-hives/plaso_NTUSER-WIN7.DAT.xz");
    let pkgs = assert_uninstall(
        &mut h,
        "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "windows-hives/EXPECTED_reglookup_plaso_NTUSER-WIN7_Uninstall.txt",
        1,
    );
    assert_eq!(
        pkgs[0].install_location.as_deref(),
        Some("C:\\Users\\nfury\\AppData\\Local\\Google\\Chrome\\Application")
    );
}

#[test]
fn dfwinreg_ntuser_has_spotify() {
    let mut h = open("windows-hives/dfwinreg_NTUSER.DAT");
    assert_uninstall(
        &mut h,
        "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "windows-hives/EXPECTED_reglookup_dfwinreg_NTUSER_Uninstall.txt",
        1,
    );
}

#[test]
fn derived_software_has_five_native_and_four_wow64_programs() {
    let mut h = open("windows-hives/derived/SOFTWARE.realentries");
    assert_uninstall(
        &mut h,
        UNINSTALL,
        "windows-hives/derived/EXPECTED_reglookup_Uninstall.txt",
        5,
    );
    let wow = read_uninstall(&mut h, WOW_UNINSTALL, "machine", Some("x86")).unwrap();
    let (want, _) = expected_uninstall(&corpus(
        "windows-hives/derived/EXPECTED_reglookup_WOW6432Node_Uninstall.txt",
    ));
    assert_eq!(wow.len(), 4);
    assert_eq!(rows(&wow), want);
    assert!(wow.iter().all(|p| p.arch.as_deref() == Some("x86")));
}

#[test]
fn libguestfs_software_finds_lowercase_wow6432node() {
    // libguestfs spells it `WOW6432node`; the lookup of `WOW6432Node` must find it.
    let mut h = open("libguestfs/windows-software.built");
    assert_uninstall(
        &mut h,
        UNINSTALL,
        "libguestfs/EXPECTED_reglookup_windows-software_Uninstall.txt",
        3,
    );
    let wow = read_uninstall(&mut h, WOW_UNINSTALL, "machine", Some("x86")).unwrap();
    let (want, _) = expected_uninstall(&corpus(
        "libguestfs/EXPECTED_reglookup_windows-software_WOW6432Node_Uninstall.txt",
    ));
    assert_eq!(rows(&wow), want);
    assert!(
        wow[0]
            .location
            .ends_with("WOW6432node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\test4"),
        "{}",
        wow[0].location
    );
    let test3 = read_uninstall(&mut h, UNINSTALL, "machine", None)
        .unwrap()
        .into_iter()
        .find(|p| p.name.starts_with("Test3"))
        .unwrap();
    assert_eq!(
        test3.install_location.as_deref(),
        Some("C:\\Program Files\\Red Hat\\test3")
    );
    // And the OS facts the same .reg file sets.
    let f = win_host::os_facts(&mut h).unwrap();
    assert_eq!(
        f.product_name.as_deref(),
        Some("Microsoft Windows 7 Phony Edition")
    );
    assert_eq!(f.version.as_deref(), Some("6.1"));
}

#[test]
fn libguestfs_system_names_the_host_through_tcpip_when_computername_is_absent() {
    let mut h = open("libguestfs/windows-system.built");
    assert_eq!(
        current_control_set(&mut h).unwrap().as_deref(),
        Some("ControlSet001")
    );
    assert_eq!(
        win_host::computer_name(&mut h).unwrap().as_deref(),
        Some("windows.invalid")
    );
}

// ---------------------------------------------------------------------------
// Services of a real SYSTEM hive.
// ---------------------------------------------------------------------------

#[test]
fn regipy_system_services_match_reglookup() {
    let mut h = open("regipy/SYSTEM.xz");
    // Select\Current = 1 (Default 1, LastKnownGood 2).
    assert_eq!(
        current_control_set(&mut h).unwrap().as_deref(),
        Some("ControlSet001")
    );
    let t = read_services(&mut h).unwrap().unwrap();
    assert_eq!(t.control_set, "ControlSet001");
    // crates.md: 467 subkeys under ControlSet001\Services.
    assert_eq!(t.services.len() + t.drivers.len() + t.other_keys, 467);

    let text = std::fs::read_to_string(
        Path::new(SCRIPTS).join("EXPECTED_reglookup_regipy_SYSTEM_services.txt"),
    )
    .unwrap();
    let mut want_services = BTreeSet::new();
    let mut want_drivers = BTreeSet::new();
    let mut untyped = 0;
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('|').collect();
        let Ok(ty) = f[1].parse::<u64>() else {
            untyped += 1;
            continue;
        };
        let row = format!("{}|{}|{}", f[0], f[2], f[3]);
        if ty & 0x0f != 0 && ty & !0x0f == 0 {
            want_drivers.insert(row);
        } else {
            want_services.insert(row);
        }
    }
    let start_num = |s: &Option<String>| match s.as_deref() {
        Some("boot") => "0".to_owned(),
        Some("system") => "1".into(),
        Some("auto") => "2".into(),
        Some("manual") => "3".into(),
        Some("disabled") => "4".into(),
        Some(other) => other.to_owned(),
        None => String::new(),
    };
    let got_services: BTreeSet<String> = t
        .services
        .iter()
        .map(|s| {
            format!(
                "{}|{}|{}",
                s.name,
                start_num(&s.start),
                s.exec.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(got_services, want_services);
    let got_drivers: BTreeSet<String> = t
        .drivers
        .iter()
        .map(|d| format!("{}|{}|", d.name, start_num(&d.start)))
        .collect();
    let want_drivers_no_path: BTreeSet<String> = want_drivers
        .iter()
        .map(|r| format!("{}|", r.rsplit_once('|').unwrap().0))
        .collect();
    assert_eq!(got_drivers, want_drivers_no_path);
    assert_eq!(t.other_keys, untyped);
    // Spot checks: a file-system minifilter and a kernel driver.
    let flt = t.drivers.iter().find(|d| d.name == "FltMgr").unwrap();
    assert_eq!(
        (
            flt.driver_type.as_str(),
            flt.file.as_deref(),
            flt.start.as_deref()
        ),
        ("fs-driver", Some("fltmgr.sys"), Some("boot"))
    );
    let tcpip = t.drivers.iter().find(|d| d.name == "Tcpip").unwrap();
    assert_eq!(
        (tcpip.driver_type.as_str(), tcpip.file.as_deref()),
        ("kernel-driver", Some("tcpip.sys"))
    );
    assert!(h.problems().is_empty(), "{:?}", h.problems());
    // The other control set is readable too, and is not what Select names.
    assert!(!read_control_set(&mut h, "ControlSet002")
        .unwrap()
        .services
        .is_empty());
}

// ---------------------------------------------------------------------------
// Certificate blobs.
// ---------------------------------------------------------------------------

#[test]
fn velociraptor_root_store_blob_is_the_verisign_time_stamping_ca() {
    let blob = std::fs::read(corpus(
        "velociraptor/artifacts/testdata/files/root_store_reg.bin",
    ))
    .unwrap();
    let der = parse_cert_blob(&blob).unwrap();
    let c = uproot_collect::certs::certificate(
        &der,
        "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT",
    )
    .unwrap();
    assert_eq!(c.serial, "4a19d2388c82591ca55d735f155ddca3");
    assert_eq!(c.sha1, "18f7c1fcc3090203fd5baa2f861a754976c8dd25"); // the key name Velociraptor shows
    assert!(
        c.subject.contains("OU=VeriSign Time Stamping Service Root"),
        "{}",
        c.subject
    );
    assert!(c.not_after.starts_with("2004-01-07"), "{}", c.not_after);
    assert_eq!(
        friendly_name(&blob).as_deref(),
        Some("VeriSign Time Stamping CA")
    );
    // Cut anywhere, it is an error (or, cut after the certificate, still that certificate).
    for n in 0..blob.len() {
        if let Ok(d) = parse_cert_blob(&blob[..n]) {
            assert_eq!(d, der, "prefix of {n} bytes");
        }
    }
}

// ---------------------------------------------------------------------------
// The fixture root, through the collectors.
// ---------------------------------------------------------------------------

fn fixture_root() -> Root {
    Root::new(FIXTURE, false)
        .unwrap()
        .with_case_insensitive(true)
}

fn collect_fixture(root: &Root, opts: &CollectOptions) -> Output {
    collect_with(root, opts, &uproot_collect::windows::collectors(), &|_| {})
}

/// reglookup's rows for one hive of the fixture: (path, type, value).
fn reglookup_rows(hive: &str) -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(Path::new(FIXTURE).join(format!("EXPECTED_reglookup_{hive}.txt")))
            .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, ',').collect();
            let unq = |s: &str| {
                let mut out = Vec::new();
                let b = s.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%'
                        && i + 2 < b.len()
                        && u8::from_str_radix(&s[i + 1..i + 3], 16).is_ok()
                    {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    } else {
                        out.push(b[i]);
                        i += 1;
                    }
                }
                String::from_utf8_lossy(&out).into_owned()
            };
            (unq(f[0]), f[1].to_owned(), unq(f[2]))
        })
        .collect()
}

/// Uninstall subkeys reglookup lists under `key`, with their DisplayName if any.
fn reglookup_uninstall(hive: &str, key: &str) -> Vec<(String, Option<String>)> {
    let rows = reglookup_rows(hive);
    let prefix = format!("{key}/");
    let mut out: Vec<(String, Option<String>)> = rows
        .iter()
        .filter(|(p, t, _)| {
            t == "KEY" && p.starts_with(&prefix) && !p[prefix.len()..].contains('/')
        })
        .map(|(p, _, _)| {
            let sub = p[prefix.len()..].to_owned();
            let name = rows
                .iter()
                .find(|(q, t, _)| t == "SZ" && *q == format!("{p}/DisplayName"))
                .map(|(_, _, v)| v.clone());
            (sub, name)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fixture_packages_match_reglookup_except_entries_without_displayname() {
    let out = collect_fixture(&fixture_root(), &CollectOptions::default());
    assert!(out.errors.is_empty(), "{:#?}", out.errors);
    let pkgs = &out.inventory.packages;
    for (hive, key, scope) in [
        (
            "SOFTWARE",
            "/Microsoft/Windows/CurrentVersion/Uninstall",
            "machine",
        ),
        (
            "SOFTWARE",
            "/WOW6432Node/Microsoft/Windows/CurrentVersion/Uninstall",
            "machine",
        ),
        (
            "alice_NTUSER",
            "/Software/Microsoft/Windows/CurrentVersion/Uninstall",
            "user:alice",
        ),
        (
            "bob_NTUSER",
            "/Software/Microsoft/Windows/CurrentVersion/Uninstall",
            "user:bob",
        ),
    ] {
        let listed = reglookup_uninstall(hive, key);
        assert!(!listed.is_empty(), "{hive}{key}");
        let want: BTreeSet<String> = listed.iter().filter_map(|(_, n)| n.clone()).collect();
        let wow = key.contains("WOW6432Node");
        let got: BTreeSet<String> = pkgs
            .iter()
            .filter(|p| {
                p.scope.as_deref() == Some(scope) && p.location.contains("WOW6432Node") == wow
            })
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(got, want, "{hive}{key}");
        // The documented difference: reglookup lists subkeys with no DisplayName
        // (here `Connection Manager`); Programs and Features and uproot do not.
        let without: Vec<&String> = listed
            .iter()
            .filter(|(_, n)| n.is_none())
            .map(|(s, _)| s)
            .collect();
        if hive == "SOFTWARE" && !wow {
            assert_eq!(without, ["Connection Manager"]);
        } else {
            assert!(without.is_empty(), "{hive}{key}: {without:?}");
        }
    }

    let kes = pkgs
        .iter()
        .find(|p| p.name == "Kaspersky Endpoint Security for Windows")
        .unwrap();
    assert_eq!(kes.version, "12.7.0.533");
    assert_eq!(kes.vendor.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(
        kes.id.as_deref(),
        Some("{C9EF800D-54AA-4F60-AB96-5A3966550F53}")
    );
    assert_eq!(
        kes.uninstall.as_deref(),
        Some("MsiExec.exe /X{C9EF800D-54AA-4F60-AB96-5A3966550F53}")
    );
    assert_eq!(
        kes.install_location.as_deref(),
        Some("C:\\Program Files (x86)\\Kaspersky Lab\\KES.21.19\\")
    );
    assert_eq!(kes.scope.as_deref(), Some("machine"));
    assert_eq!(kes.arch, None);
    assert_eq!(
        kes.location,
        "/Windows/System32/config/SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{C9EF800D-54AA-4F60-AB96-5A3966550F53}"
    );
    assert_eq!(kes.source.as_str(), "windows-uninstall");
    // Hidden from Programs and Features (SystemComponent=1) but installed, 32-bit.
    let agent = pkgs
        .iter()
        .find(|p| p.name == "Kaspersky Security Center Network Agent")
        .unwrap();
    assert_eq!(
        (agent.arch.as_deref(), agent.id.is_some()),
        (Some("x86"), true)
    );
    let zip = pkgs.iter().find(|p| p.name == "7-Zip 23.01 (x64)").unwrap();
    assert_eq!(zip.id, None);
    let kpm = pkgs
        .iter()
        .find(|p| p.name == "Kaspersky Password Manager")
        .unwrap();
    assert_eq!(kpm.scope.as_deref(), Some("user:alice"));
    assert_eq!(kpm.vendor.as_deref(), Some("AO Kaspersky Lab"));
    assert!(
        kpm.location
            .starts_with("/Users/alice/NTUSER.DAT\\Software\\"),
        "{}",
        kpm.location
    );
    assert_eq!(pkgs.len(), 6);
}

#[test]
fn fixture_services_drivers_and_altitudes() {
    let out = collect_fixture(&fixture_root(), &CollectOptions::default());
    let inv = &out.inventory;
    let names: BTreeSet<&str> = inv.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["AVP.KES.21.19", "Spooler", "WinDefend"])
    );
    let avp = inv
        .services
        .iter()
        .find(|s| s.name == "AVP.KES.21.19")
        .unwrap();
    assert_eq!(
        avp.exec.as_deref(),
        Some("\"C:\\Program Files (x86)\\Kaspersky Lab\\KES.21.19\\avp.exe\" -r")
    );
    assert_eq!(
        avp.description.as_deref(),
        Some("Kaspersky Endpoint Security Service")
    );
    assert_eq!(
        (avp.start.as_deref(), avp.enabled, avp.scope.as_str()),
        (Some("auto"), true, "windows")
    );
    assert_eq!(
        avp.location,
        "/Windows/System32/config/SYSTEM\\ControlSet001\\Services\\AVP.KES.21.19"
    );
    let wd = inv.services.iter().find(|s| s.name == "WinDefend").unwrap();
    assert_eq!((wd.start.as_deref(), wd.enabled), (Some("disabled"), false));

    let klif = inv.drivers.iter().find(|d| d.name == "klif").unwrap();
    assert_eq!(klif.file.as_deref(), Some("klif.sys"));
    assert_eq!(klif.driver_type, "fs-driver");
    assert_eq!(klif.start.as_deref(), Some("boot"));
    assert_eq!(klif.altitudes, [320400]);
    // No ImagePath: Windows loads System32\drivers\<name>.sys.
    let klim = inv.drivers.iter().find(|d| d.name == "klim6").unwrap();
    assert_eq!(
        (
            klim.file.as_deref(),
            klim.driver_type.as_str(),
            klim.start.as_deref()
        ),
        (Some("klim6.sys"), "kernel-driver", Some("manual"))
    );
    assert!(klim.altitudes.is_empty());
    assert_eq!(inv.drivers.len(), 3); // klif, klim6, Tcpip
                                      // ControlSet002 is not the current set.
    assert!(!names.contains("decoy-controlset002"));
}

#[test]
fn fixture_certificates_from_machine_and_user_stores() {
    let out = collect_fixture(&fixture_root(), &CollectOptions::default());
    let certs = &out.inventory.certificates;
    assert_eq!(certs.len(), 3, "{certs:#?}");
    let kl = certs
        .iter()
        .find(|c| c.subject.contains("Kaspersky"))
        .unwrap();
    assert_eq!(
        kl.subject,
        "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate"
    );
    assert_eq!(kl.serial, "4b4c0001");
    assert_eq!(kl.sha1, "1e40027ca39e271e7bd113e9e267273c3d335c88");
    assert!(kl.is_ca);
    assert!(kl.location.ends_with("SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\1E40027CA39E271E7BD113E9E267273C3D335C88"), "{}", kl.location);
    // The key name is the thumbprint Windows computed.
    assert!(kl.location.to_lowercase().ends_with(&kl.sha1));
    let locs: BTreeSet<&str> = certs
        .iter()
        .filter(|c| c.subject.contains("Example"))
        .map(|c| c.location.as_str())
        .collect();
    assert!(locs.iter().any(|l| l.contains("\\AuthRoot\\")), "{locs:?}");
    assert!(
        locs.iter().any(|l| l
            .starts_with("/Users/bob/NTUSER.DAT\\Software\\Microsoft\\SystemCertificates\\Root\\")),
        "{locs:?}"
    );
}

#[test]
fn fixture_vendor_keys_builtin_and_catalog_paths() {
    let opts = CollectOptions {
        registry_paths: vec![
            "HKLM\\SOFTWARE\\KasperskyLab".into(),
            "HKLM\\SOFTWARE\\KasperskyLab\\Components\\34\\*\\*\\Statistics\\AVState".into(),
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\klif".into(),
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky*".into(),
            "HKLM\\SOFTWARE\\NoSuchVendor".into(),
        ],
        ..CollectOptions::default()
    };
    let out = collect_fixture(&fixture_root(), &opts);
    assert!(out.errors.is_empty(), "{:#?}", out.errors);
    let keys = &out.inventory.registry_keys;
    let paths: BTreeSet<&str> = keys.iter().map(|k| k.path.as_str()).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "HKLM\\SOFTWARE\\KasperskyLab",
            "HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab",
            "HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES.21.19\\environment",
            "HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\Components\\34\\1103\\1.0.0.0\\Statistics\\AVState",
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\klif",
            "HKU\\alice\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky Password Manager",
        ]),
        "{keys:#?}"
    );
    let env = keys
        .iter()
        .find(|k| k.path.ends_with("environment"))
        .unwrap();
    assert_eq!(
        env.values["ProductName"],
        "Kaspersky Endpoint Security for Windows"
    );
    assert_eq!(env.values["ProductVersion"], "12.7.0.533");
    assert_eq!(
        env.values["ProductRoot"],
        "C:\\Program Files (x86)\\Kaspersky Lab\\KES.21.19\\"
    );
    assert_eq!(env.values["ProductType"], "1");
    assert_eq!(env.values["Bases"], "C:\\ProgramData\\Kaspersky Lab\\KES.21.19\\Bases;C:\\ProgramData\\Kaspersky Lab\\KES.21.19\\Bases\\Cache");
    assert_eq!(env.location, "/Windows/System32/config/SOFTWARE");
    let klif = keys.iter().find(|k| k.path.ends_with("klif")).unwrap();
    assert_eq!(klif.values["ImagePath"], "System32\\DRIVERS\\klif.sys");
    assert_eq!(klif.values["Start"], "0");

    // Without catalog paths, only the built-in environment glob runs.
    let out = collect_fixture(&fixture_root(), &CollectOptions::default());
    let paths: Vec<&str> = out
        .inventory
        .registry_keys
        .iter()
        .map(|k| k.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES.21.19\\environment"]
    );
}

#[test]
fn fixture_protection_state() {
    let out = collect_fixture(&fixture_root(), &CollectOptions::default());
    let p = &out.inventory.protection;
    let defender = p.iter().find(|x| x.name == protection::DEFENDER).unwrap();
    // DisableRealtimeMonitoring=1 (and WinDefend Start=4): configured off.
    assert_eq!(defender.enabled, Some(false));
    assert_eq!(defender.category, "antivirus");
    let kes = p
        .iter()
        .find(|x| x.name == "Kaspersky Endpoint Security for Windows")
        .unwrap();
    assert_eq!(
        (kes.enabled, kes.up_to_date, kes.category.as_str()),
        (Some(true), Some(true), "antivirus")
    );
    let wsc_defender = p.iter().find(|x| x.name == "Windows Defender").unwrap();
    assert_eq!(
        (wsc_defender.enabled, wsc_defender.up_to_date),
        (Some(false), Some(false))
    );
    assert_eq!(p.len(), 3);
    assert_eq!(protection::decode_state(0x061100), (true, true));
    assert_eq!(protection::decode_state(0x062000), (false, true)); // snoozed
    assert_eq!(protection::decode_state(0x060010), (false, false));
}

#[test]
fn fixture_host_facts() {
    let mut host = Host::default();
    uproot_collect::windows::host_facts(&fixture_root(), &mut host);
    assert_eq!(host.hostname, "KES-WS01"); // ControlSet001, not ControlSet002's STALE-NAME
    assert_eq!(host.os, "windows");
    assert_eq!(host.distro.as_deref(), Some("windows"));
    assert_eq!(host.distro_version.as_deref(), Some("22H2"));
    assert_eq!(
        host.pretty_name.as_deref(),
        Some("Windows 10 Enterprise 22H2 (build 19045)")
    );
}

#[test]
fn fixture_profiles_skip_folders_without_a_hive_and_carry_sids() {
    let mut out = Output::default();
    let profiles = OfflineRegistry::new(&fixture_root()).profiles(None, &mut out);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let got: Vec<(&str, &str, Option<&str>)> = profiles
        .iter()
        .map(|p| (p.name.as_str(), p.hive_path.as_str(), p.sid.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "alice",
                "/Users/alice/NTUSER.DAT",
                Some("S-1-5-21-1111111111-2222222222-3333333333-1001")
            ),
            (
                "bob",
                "/Users/bob/NTUSER.DAT",
                Some("S-1-5-21-1111111111-2222222222-3333333333-1002")
            ),
        ]
    );
}

#[test]
fn a_lowercased_copy_of_the_image_gives_the_same_inventory() {
    // NTFS ignores case; an image extracted onto a case-sensitive file system
    // may spell `windows/system32/config/software`.
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    for (from, to) in [
        (
            "Windows/System32/config/SOFTWARE",
            "windows/system32/CONFIG/software",
        ),
        (
            "Windows/System32/config/SYSTEM",
            "windows/system32/CONFIG/system",
        ),
        ("Users/alice/NTUSER.DAT", "users/alice/ntuser.dat"),
        ("Users/bob/NTUSER.DAT", "users/bob/Ntuser.dat"),
    ] {
        std::fs::create_dir_all(r.join(to).parent().unwrap()).unwrap();
        std::fs::copy(Path::new(FIXTURE).join(from), r.join(to)).unwrap();
    }
    let lower = Root::new(r, false).unwrap(); // not even flagged case-insensitive
    let a = collect_fixture(&fixture_root(), &CollectOptions::default());
    let b = collect_fixture(&lower, &CollectOptions::default());
    assert!(b.errors.is_empty(), "{:#?}", b.errors);
    assert_eq!(rows(&a.inventory.packages), rows(&b.inventory.packages));
    assert_eq!(a.inventory.drivers.len(), b.inventory.drivers.len());
    assert_eq!(
        a.inventory.certificates.len(),
        b.inventory.certificates.len()
    );
    assert!(b.inventory.packages.iter().any(|p| p
        .location
        .starts_with("/windows/system32/CONFIG/software\\")));
    assert!(b
        .inventory
        .packages
        .iter()
        .any(|p| p.location.starts_with("/users/alice/ntuser.dat\\")));
}

#[test]
fn a_root_without_hives_gives_nothing_and_no_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Root::new(tmp.path(), false).unwrap();
    let out = collect_fixture(&root, &CollectOptions::default());
    assert!(out.inventory.is_empty());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
}

// ---------------------------------------------------------------------------
// Every real hive passes the guard untouched.
// ---------------------------------------------------------------------------

#[test]
fn real_hives_are_clean_for_the_guard_and_walk_completely() {
    for rel in [
        "regipy/NTUSER_with_winscp.DAT.xz",
        "regipy/ntuser_software_partial.xz",
        "regipy/NTUSER.DAT.xz",
        "regipy/SYSTEM.xz",
        "regipy/amcache.hve.xz",
        "windows-hives/plaso_NTUSER-WIN7.DAT.xz",
        "windows-hives/dfwinreg_NTUSER.DAT",
        "windows-hives/nt-hive_testhive",
        "windows-hives/hivex_images_special",
        "windows-hives/hivex_images_minimal",
        "windows-hives/derived/SOFTWARE.realentries",
        "libguestfs/windows-software.built",
        "libguestfs/windows-system.built",
    ] {
        let mut bytes = hive_bytes(rel);
        let before = bytes.clone();
        let report = guard::sanitize(&mut bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(report.is_clean(), "{rel}: {report:?}");
        assert!(bytes == before, "{rel}: the guard changed a clean hive");
        let sum = read_hive_bytes(&before).unwrap();
        assert!(sum.keys > 0 && !sum.truncated, "{rel}: {sum:?}");
        // Two real hives were copied while Windows had them open (sequence numbers
        // differ): that is said, and nothing else.
        let dirty = rel.contains("NTUSER_with_winscp") || rel.contains("amcache");
        assert_eq!(report.dirty.is_some(), dirty, "{rel}");
        let expected = usize::from(dirty);
        assert_eq!(sum.problems.len(), expected, "{rel}: {:?}", sum.problems);
        assert!(
            sum.problems
                .iter()
                .all(|p| p.contains("not closed cleanly")),
            "{rel}: {:?}",
            sum.problems
        );
    }
}

#[test]
fn nt_hive_testhive_written_by_offreg_lists_its_512_subkeys() {
    // Written by Microsoft's offreg.dll: 512 subkeys need an index (ri/lh) layout.
    let mut h = open("windows-hives/nt-hive_testhive");
    let key = h.key("subkey-test").unwrap().expect("subkey-test");
    assert_eq!(h.subkeys(&key).unwrap().len(), 512);
}

// ---------------------------------------------------------------------------
// Hostile hives: errors that name the file, never a panic or a hang.
// ---------------------------------------------------------------------------

fn fixture_hive(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURE).join(name)).unwrap()
}

/// Offsets (relative to the first hive bin) of allocated cells, by walking the bins.
fn cells(buf: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut bin = 0x1000usize;
    while bin + 0x20 <= buf.len() && &buf[bin..bin + 4] == b"hbin" {
        let size = u32::from_le_bytes(buf[bin + 8..bin + 12].try_into().unwrap()) as usize;
        let mut at = bin + 0x20;
        while at + 4 <= bin + size && at + 4 <= buf.len() {
            let s = i32::from_le_bytes(buf[at..at + 4].try_into().unwrap());
            let len = s.unsigned_abs() as usize;
            if len == 0 {
                break;
            }
            if s < 0 {
                out.push(((at - 0x1000) as u32, &buf[at..(at + len).min(buf.len())]));
            }
            at += len;
        }
        bin += size.max(0x1000);
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Relative offset of the key cell named `name` (ASCII-stored names).
fn nk(buf: &[u8], name: &str) -> u32 {
    cells(buf)
        .into_iter()
        .find(|(_, c)| {
            &c[4..6] == b"nk" && c.len() > 0x50 && {
                let n = u16::from_le_bytes([c[0x4c], c[0x4d]]) as usize;
                c.get(0x50..0x50 + n) == Some(name.as_bytes())
            }
        })
        .unwrap_or_else(|| panic!("no key {name}"))
        .0
}

fn vk(buf: &[u8], name: &str) -> u32 {
    cells(buf)
        .into_iter()
        .find(|(_, c)| {
            &c[4..6] == b"vk" && {
                let n = u16::from_le_bytes([c[6], c[7]]) as usize;
                c.get(0x18..0x18 + n) == Some(name.as_bytes())
            }
        })
        .unwrap_or_else(|| panic!("no value {name}"))
        .0
}

fn put(buf: &mut [u8], abs: usize, v: u32) {
    buf[abs..abs + 4].copy_from_slice(&v.to_le_bytes());
}

/// Opens `bytes` and walks all of it, within a time limit; returns the problems
/// or the error.
fn survive(bytes: Vec<u8>, what: &str) -> Result<Vec<String>, String> {
    within(60, what, move || {
        read_hive_bytes(&bytes)
            .map(|s| s.problems)
            .map_err(|e| e.to_string())
    })
}

#[test]
fn truncated_hives_are_errors_or_partial_reads() {
    let full = fixture_hive("Windows/System32/config/SOFTWARE");
    for n in [
        0,
        1,
        4,
        511,
        4096,
        4100,
        4128,
        4200,
        6000,
        8192,
        12000,
        full.len() - 1,
    ] {
        let r = survive(full[..n].to_vec(), &format!("SOFTWARE cut at {n}"));
        if n < 0x1000 + 0x70 {
            assert!(r.is_err(), "{n}: {r:?}");
        }
    }
    // In a root: the error names the hive file.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("Windows/System32/config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("SOFTWARE"), &full[..3000]).unwrap();
    std::fs::write(cfg.join("SYSTEM"), b"regf but nothing else").unwrap();
    std::fs::create_dir_all(tmp.path().join("Users/eve")).unwrap();
    std::fs::write(tmp.path().join("Users/eve/NTUSER.DAT"), vec![0xAA; 10000]).unwrap();
    let root = Root::new(tmp.path(), false).unwrap();
    let out = within(60, "collect on broken hives", move || {
        collect_fixture(&root, &CollectOptions::default())
    });
    assert!(out.inventory.is_empty());
    let sources: BTreeSet<&str> = out.errors.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        sources,
        BTreeSet::from([
            "/Windows/System32/config/SOFTWARE",
            "/Windows/System32/config/SYSTEM",
            "/Users/eve/NTUSER.DAT"
        ]),
        "{:#?}",
        out.errors
    );
    let sw = out
        .errors
        .iter()
        .find(|e| e.source.ends_with("SOFTWARE"))
        .unwrap();
    assert!(sw.message.contains("too short"), "{}", sw.message);
    let eve = out
        .errors
        .iter()
        .find(|e| e.source.ends_with("NTUSER.DAT"))
        .unwrap();
    assert!(eve.message.contains("regf"), "{}", eve.message);
}

#[test]
fn random_bytes_and_bit_flips_never_panic_or_hang() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let base = fixture_hive("Windows/System32/config/SYSTEM");
    let mut cases = Vec::new();
    for i in 0..40 {
        let n = 0x1000 + (next() % 0x4000) as usize;
        let mut b: Vec<u8> = (0..n).map(|_| next() as u8).collect();
        if i % 2 == 0 {
            // Valid headers, random cells: gets past the first checks.
            b[..4].copy_from_slice(b"regf");
            b[0x1000..0x1004].copy_from_slice(b"hbin");
            b[0x24..0x28].copy_from_slice(&0x20u32.to_le_bytes());
            b[0x1024..0x1026].copy_from_slice(b"nk");
        }
        cases.push(b);
    }
    for _ in 0..300 {
        let mut b = base.clone();
        for _ in 0..1 + next() % 16 {
            let at = 0x1000 + (next() as usize % (b.len() - 0x1000));
            b[at] ^= 1 << (next() % 8);
        }
        cases.push(b);
    }
    within(300, "random and mutated hives", move || {
        for b in cases {
            let _ = read_hive_bytes(&b);
        }
    });
}

#[test]
fn a_cyclic_subkey_list_is_cut_not_followed() {
    let mut b = fixture_hive("Windows/System32/config/SYSTEM");
    let services = nk(&b, "Services") as usize + 0x1000;
    let root = u32_at(&b, 0x24);
    // Point the first entry of Services' subkey list back at the hive root.
    let list = u32_at(&b, services + 0x20) as usize + 0x1000;
    put(&mut b, list + 8, root);
    let problems = survive(b.clone(), "cyclic subkeys").unwrap();
    assert!(
        problems.iter().any(|p| p.contains("already has an owner")),
        "{problems:?}"
    );
    // The rest of the hive still reads.
    let mut h = Hive::from_bytes(b, "SYSTEM").unwrap();
    assert!(read_services(&mut h).unwrap().unwrap().services.len() >= 2);
}

#[test]
fn a_self_referencing_ri_index_is_cut_not_recursed() {
    // Without the guard, notatin recurses until the stack overflows, which
    // aborts the process (catch_unwind cannot help).
    let mut b = fixture_hive("Windows/System32/config/SYSTEM");
    let services = nk(&b, "Services") as usize + 0x1000;
    // Turn the data cell of a long string value into an `ri` whose only item is itself.
    let comment = vk(&b, "Comment") as usize + 0x1000;
    let data = u32_at(&b, comment + 12);
    let at = data as usize + 0x1000;
    b[at + 4..at + 6].copy_from_slice(b"ri");
    b[at + 6..at + 8].copy_from_slice(&1u16.to_le_bytes());
    put(&mut b, at + 8, data);
    put(&mut b, services + 0x20, data);
    let problems = survive(b.clone(), "nested ri").unwrap();
    assert!(
        problems.iter().any(|p| p.contains("nested `ri`")),
        "{problems:?}"
    );
    let mut h = Hive::from_bytes(b, "SYSTEM").unwrap();
    let t = read_services(&mut h).unwrap().unwrap();
    assert!(t.services.is_empty()); // the Services list was the loop
}

#[test]
fn a_huge_value_length_is_emptied_not_allocated() {
    let mut b = fixture_hive("Windows/System32/config/SYSTEM");
    let image = vk(&b, "ImagePath") as usize + 0x1000;
    put(&mut b, image + 8, 0x7fff_fff0);
    let problems = survive(b.clone(), "huge value").unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("exceeds what the file holds")),
        "{problems:?}"
    );
}

#[test]
fn values_sharing_one_large_data_cell_cannot_amplify() {
    // Every value of many keys points at the same multi-MiB region: notatin would
    // copy it once per value. The guard's budget (file size + 1 MiB) stops that.
    let mut b = hive_bytes("regipy/SYSTEM.xz");
    let big = (b.len() - 0x1000 - 64) as u32 / 2;
    let mut n = 0;
    let offsets: Vec<u32> = cells(&b)
        .into_iter()
        .filter(|(_, c)| &c[4..6] == b"vk")
        .map(|(o, _)| o)
        .collect();
    for o in offsets.into_iter().take(5000) {
        let at = o as usize + 0x1000;
        put(&mut b, at + 8, big); // non-resident, `big` bytes
        put(&mut b, at + 12, 0); // at the start of the first bin
        n += 1;
    }
    assert_eq!(n, 5000);
    let problems = survive(b, "amplified values").unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("exceeds what the file holds")),
        "{problems:?}"
    );
}

#[test]
fn a_key_claiming_millions_of_values_is_clamped() {
    let mut b = fixture_hive("Windows/System32/config/SYSTEM");
    let klif = nk(&b, "klif") as usize + 0x1000;
    put(&mut b, klif + 0x28, 1_000_000);
    put(&mut b, klif + 0x18, 900_000);
    let problems = survive(b, "value count").unwrap();
    assert!(
        problems.iter().any(|p| p.contains("clamped")),
        "{problems:?}"
    );
}

#[test]
fn hive_errors_are_typed() {
    assert!(matches!(
        Hive::from_bytes(vec![1, 2, 3], "x"),
        Err(HiveError::Format(_))
    ));
    let e = Hive::from_bytes(vec![0; 0x3000], "x").unwrap_err();
    assert!(e.to_string().contains("regf"), "{e}");
}

#[test]
fn the_offline_source_reports_no_machine_hive_when_absent() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Root::new(tmp.path(), false).unwrap();
    let src = OfflineRegistry::new(&root);
    let mut out = Output::default();
    assert!(src
        .machine(
            uproot_collect::windows::source::MachineHive::Software,
            &mut out
        )
        .is_none());
    assert!(src.users(None, &mut out).is_empty());
    assert!(out.errors.is_empty());
    let _ = read_store; // exported for fuzzing; exercised through the collector above
}

#[test]
fn the_hostile_root_is_read_around_its_damage() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/roots/windows-hostile"
    );
    let root = Root::new(dir, false).unwrap().with_case_insensitive(true);
    let out = within(120, "windows-hostile", move || {
        collect_fixture(&root, &CollectOptions::default())
    });
    let errs = |src: &str| -> Vec<String> {
        out.errors
            .iter()
            .filter(|e| e.source == src)
            .map(|e| e.message.clone())
            .collect()
    };
    let sw = errs("/Windows/System32/config/SOFTWARE");
    assert!(sw.iter().any(|m| m.contains("nested `ri`")), "{sw:?}");
    assert!(
        errs("/Windows/System32/config/SYSTEM")
            .iter()
            .any(|m| m.contains("already has an owner")),
        "{:#?}",
        out.errors
    );
    assert!(
        errs("/Users/mallory/NTUSER.DAT")
            .iter()
            .any(|m| m.contains("regf")),
        "{:#?}",
        out.errors
    );
    assert!(
        errs("/Users/trunc/NTUSER.DAT")
            .iter()
            .any(|m| m.contains("truncated")),
        "{:#?}",
        out.errors
    );
    assert!(
        errs("/Users/huge/NTUSER.DAT")
            .iter()
            .any(|m| m.contains("exceeds what the file holds")),
        "{:#?}",
        out.errors
    );
    // Every error names a file of the root.
    assert!(
        out.errors
            .iter()
            .all(|e| e.source.starts_with("/Windows/") || e.source.starts_with("/Users/")),
        "{:#?}",
        out.errors
    );

    let inv = &out.inventory;
    let names: BTreeSet<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "Kaspersky Security Center Network Agent",
            "Notepad++ (32-bit x86)"
        ])
    );
    assert!(inv
        .certificates
        .iter()
        .any(|c| c.subject.contains("Kaspersky")));
    assert!(inv
        .certificates
        .iter()
        .any(|c| c.location.starts_with("/Users/huge/")));
    assert!(inv
        .registry_keys
        .iter()
        .any(|k| k.path.ends_with("KES.21.19\\environment")));
    assert!(inv
        .drivers
        .iter()
        .any(|d| d.name == "klif" && d.altitudes == [320400]));
    assert!(!inv.services.iter().any(|s| s.name == "AVP.KES.21.19"));
    assert!(inv.services.iter().any(|s| s.name == "Spooler"));
    assert_eq!(inv.protection.len(), 3);
}

/// Hives found or built while fuzzing the guard (fuzz/regressions/): overlapping
/// cells made a repair revive a nested `ri` or a cycle, and notatin then
/// overflowed the stack. Each must now be read safely or refused by name.
#[test]
fn fuzz_regression_hives_are_safe() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut n = 0;
    for dir in ["windows_hive", "windows_guard"] {
        for e in std::fs::read_dir(base.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "py" || x == "md") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let mut copy = bytes.clone();
            if uproot_collect::windows::guard::sanitize(&mut copy).is_ok() {
                uproot_collect::windows::guard::verify(&copy)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            }
            // Must return (Ok or Err), never abort.
            let _ = uproot_collect::windows::hive::read_hive_bytes(&bytes);
            n += 1;
        }
    }
    assert!(n >= 5, "expected the saved regression inputs, found {n}");
}
