//! The parsers against real third-party data in `shared/corpora`, each
//! compared with an answer from another tool (corpora README §5 and the
//! libnmap section).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uproot_net::nmap::parse_nmap;
use uproot_net::oui::{self, parse_ieee_txt, Registry, Summary, Table, Vendor, VendorRules};

fn corpora() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    assert!(p.is_dir(), "{} is missing", p.display());
    p
}

fn netaddr_oui_txt() -> String {
    let raw = std::fs::read(corpora().join("oui/netaddr-1.3.0_eui_oui.txt.xz")).unwrap();
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut raw.as_slice(), &mut out).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// The `== netaddr/eui/oui.txt` section of EXPECTED_vendor_counts.txt:
/// (label → count) and (org string → count).
fn expected() -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let t = std::fs::read_to_string(corpora().join("oui/EXPECTED_vendor_counts.txt")).unwrap();
    let sec = t
        .split("== ")
        .find(|s| s.starts_with("netaddr/eui/oui.txt"))
        .unwrap();
    let (mut labels, mut orgs) = (BTreeMap::new(), BTreeMap::new());
    for l in sec.lines().skip(1) {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("org string: '") {
            let (org, n) = rest.rsplit_once("': ").unwrap();
            orgs.insert(org.to_string(), n.parse().unwrap());
        } else if let Some((label, n)) = l.rsplit_once(' ') {
            labels.insert(label.trim().to_string(), n.parse().unwrap());
        }
    }
    (labels, orgs)
}

/// Affiliates registered under their own names (catalog/AFFILIATES.md):
/// the expected file counts parents only, so these are counted here straight
/// from the registry text, independently of uproot's parser.
const AFFILIATES: [(&str, Vendor); 8] = [
    ("Hangzhou Ezviz Software Co.,Ltd.", Vendor::Hikvision),
    ("Hangzhou Hikrobot Technology Co., Ltd.", Vendor::Hikvision),
    ("Zhejiang HuaRay Technology Co.,Ltd", Vendor::Dahua),
    ("Hisilicon Technologies Co., Ltd", Vendor::Huawei),
    ("TD Tech", Vendor::Huawei),
    ("ChengDu TD Tech", Vendor::Huawei),
    ("Nubia Technology Co.,Ltd.", Vendor::Zte),
    // Counted in the expected file's Hikvision line already (a "hikvision"
    // substring), so it adds nothing there.
    ("Prama Hikvision India Private Limited", Vendor::Hikvision),
];

/// `(hex)` lines whose organisation is exactly `org`.
fn raw_count(text: &str, org: &str) -> usize {
    text.lines()
        .filter(|l| l.contains("(hex)"))
        .filter(|l| l.rsplit('\t').next().map(str::trim) == Some(org))
        .count()
}

#[test]
fn netaddr_vendor_counts_match_expected() {
    let text = netaddr_oui_txt();
    let (rows, errs) = parse_ieee_txt(&text, "oui.txt");
    assert!(errs.is_empty(), "{:?}", &errs[..errs.len().min(3)]);
    // "records=35087" in the expected file.
    assert_eq!(rows.len(), 35_087);
    let mut s = Summary::default();
    let table = Table::from_assignments(rows.clone(), VendorRules::builtin(), &mut s);
    let (labels, orgs) = expected();
    let affiliates: BTreeMap<&str, usize> = AFFILIATES
        .iter()
        .map(|(org, _)| (*org, raw_count(&text, org)))
        .collect();
    assert!(affiliates.values().all(|n| *n > 0), "{affiliates:?}");
    let extra = |v: Vendor| -> usize {
        AFFILIATES
            .iter()
            .filter(|(org, av)| *av == v && !orgs.contains_key(*org))
            .map(|(org, _)| affiliates[org])
            .sum()
    };
    for (v, label, parent_only) in [
        (
            Vendor::Huawei,
            "Huawei (any org name containing HUAWEI)",
            1598,
        ),
        (Vendor::Zte, "ZTE (any org containing ZTE as word)", 391),
        (Vendor::Dahua, "Dahua (Zhejiang Dahua Technology)", 28),
        (Vendor::Hytera, "Hytera (Hytera Communications)", 2),
        (
            Vendor::Hikvision,
            "Hikvision (Hangzhou Hikvision Digital Technology)",
            68,
        ),
    ] {
        assert_eq!(labels[label], parent_only, "{label}");
        assert_eq!(s.total(v), parent_only + extra(v), "{v}");
    }
    // EZVIZ 7, Hikrobot 1; HuaRay 1; HiSilicon 1, TD Tech 3; Nubia 1.
    assert_eq!(
        [
            Vendor::Hikvision,
            Vendor::Dahua,
            Vendor::Huawei,
            Vendor::Zte
        ]
        .map(extra),
        [8, 1, 4, 1]
    );
    // Every organisation spelling we matched has the expected row count,
    // and every expected spelling we did not match is a look-alike.
    for (org, n) in &s.organizations {
        let want = orgs.get(org).or(affiliates.get(org.as_str()));
        assert_eq!(want, Some(n), "{org}");
    }
    let unmatched: Vec<&String> = orgs
        .keys()
        .filter(|o| !s.organizations.contains_key(*o))
        .collect();
    assert_eq!(
        unmatched,
        [
            "ANHUI WANZTEN P&T CO., LTD",
            "AZTEQ Mobile",
            "Aztech Associates Inc.",
            "Aztech Electronics Pte Ltd",
            "Aztek Networks, Inc.",
            "Aztek, Inc.",
            "Hella Sonnen- und Wetterschutztechnik GmbH",
            "Kaztek Systems",
            "Naztec, Inc.",
            "Shenztech Ltd",
            "ZTEC Instruments, Inc.",
        ]
    );
    // The built-in table's MA-L part is exactly what this registry yields.
    let builtin: Vec<_> = Table::builtin()
        .entries()
        .into_iter()
        .filter(|e| e.prefix.bits == 24)
        .cloned()
        .collect();
    let fresh: Vec<_> = table.entries().into_iter().cloned().collect();
    assert_eq!(builtin, fresh);
    assert_eq!(
        s.vendor_counts[&Vendor::Huawei].keys().collect::<Vec<_>>(),
        [&Registry::MaL]
    );
}

#[test]
fn rules_equal_the_catalog_mac_oui_indicators() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/vendors");
    for v in Vendor::ALL {
        let text = std::fs::read_to_string(dir.join(format!("{}.toml", v.id()))).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let inds = doc["vendor"][0]["indicator"].as_array().unwrap();
        let cat: Vec<&str> = inds
            .iter()
            .filter(|i| i["kind"].as_str() == Some("mac-oui"))
            .map(|i| {
                let rx = i["match"]["publisher_regex"].as_str().unwrap();
                rx.trim_start_matches("(?i)")
            })
            .collect();
        let ours: Vec<&str> = VendorRules::builtin()
            .rules
            .iter()
            .filter(|r| r.vendor == v)
            .map(|r| r.org.as_str())
            .collect();
        assert!(!ours.is_empty(), "{v}: no rule");
        assert_eq!(cat, ours, "{v}");
    }
}

#[test]
fn update_table_reads_debian_ieee_data() {
    let dir = Path::new("/usr/share/ieee-data");
    // Installed by scripts/ci-services; missing, the test fails rather than
    // passing without having read anything.
    assert!(
        dir.join("oui.csv").is_file(),
        "Debian ieee-data is not installed (run scripts/ci-services)"
    );
    let (t, s) = oui::update_table(dir).unwrap();
    assert!(
        s.errors.is_empty(),
        "{:?}",
        &s.errors[..s.errors.len().min(3)]
    );
    assert!(s.files.contains_key("oui.csv") && s.files.contains_key("mam.csv"));
    // README §5: ieee-data 20220827.1 has 1,398 Huawei, 298 ZTE, 50 Hikvision
    // (without Prama), 24 Dahua and 2 Hytera MA-L rows. Affiliates add TD Tech
    // and ChengDu TD Tech (2) to Huawei, Nubia (1) to ZTE, and EZVIZ (5),
    // Hikrobot (1 MA-L, 1 MA-M) and Prama Hikvision India (1) to Hikvision.
    assert_eq!(s.total(Vendor::Huawei), 1398 + 2);
    assert_eq!(s.total(Vendor::Zte), 298 + 1);
    assert_eq!(s.total(Vendor::Hikvision), 50 + 8);
    assert_eq!(s.total(Vendor::Dahua), 24);
    assert_eq!(s.total(Vendor::Hytera), 2);
    assert_eq!(t.len(), 1400 + 299 + 58 + 24 + 2);
    assert_eq!(t.registry_date.len(), 10);
    // Hikrobot's MA-M block comes from mam.csv.
    let mam: Vec<_> = t
        .entries()
        .into_iter()
        .filter(|e| e.prefix.bits == 28)
        .collect();
    assert_eq!(mam.len(), 1);
    assert_eq!(
        mam[0].organization,
        "Hangzhou Hikrobot Technology Co., Ltd."
    );
    // The text form of the same MA-L registry gives the same MA-L table.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(dir.join("oui.txt"), tmp.path().join("oui.txt")).unwrap();
    let (t2, _) = oui::update_table(tmp.path()).unwrap();
    let mal: Vec<_> = t
        .entries()
        .into_iter()
        .filter(|e| e.prefix.bits == 24)
        .collect();
    assert_eq!(t2.entries(), mal);
    assert!(oui::update_table(Path::new("/nonexistent")).is_err());
}

fn nmap_dir() -> PathBuf {
    corpora().join("libnmap/libnmap/test/files")
}

#[test]
fn libnmap_files_match_python_elementtree() {
    let exp =
        std::fs::read_to_string(corpora().join("libnmap/EXPECTED_summary_python-ET.txt")).unwrap();
    let mut checked = 0;
    for line in exp.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('|').collect();
        let name = f[0];
        let path = nmap_dir().join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let r = parse_nmap(&text, name);
        if name.starts_with("defused_et_") {
            let e = r.expect_err(name);
            assert_eq!(e.file, name);
            assert!(e.line.is_some(), "{e}");
            assert!(
                e.message.contains("DOCTYPE") || e.message.contains("not nmap XML"),
                "{e}"
            );
            checked += 1;
            continue;
        }
        let s = r.unwrap_or_else(|e| panic!("{e}"));
        if name == "test_osclass.xml" {
            // Its address was anonymised to the word "IP": a located error,
            // and the host is kept.
            assert_eq!(s.errors.len(), 1);
            assert_eq!(
                s.errors[0].to_string(),
                "test_osclass.xml:14: bad IP address \"IP\""
            );
        } else {
            assert!(s.errors.is_empty(), "{name}: {:?}", s.errors);
        }
        assert_eq!(s.version.as_deref(), Some(f[1]), "{name}");
        assert_eq!(s.hosts.len(), f[2].parse::<usize>().unwrap(), "{name}");
        let rs = s.runstats.unwrap();
        assert_eq!(
            (rs.0.to_string(), rs.1.to_string(), rs.2.to_string()),
            (f[3].to_string(), f[4].to_string(), f[5].to_string()),
            "{name}"
        );
        let ports: usize = s.hosts.iter().map(|h| h.services.len()).sum();
        assert_eq!(ports, f[6].parse::<usize>().unwrap(), "{name}");
        let open = s
            .hosts
            .iter()
            .flat_map(|h| &h.services)
            .filter(|p| p.state == "open")
            .count();
        assert_eq!(open, f[7].parse::<usize>().unwrap(), "{name}");
        let macs: Vec<String> = s
            .hosts
            .iter()
            .filter_map(|h| {
                h.mac.map(|m| {
                    format!(
                        "{}/{}",
                        m.to_string().to_uppercase(),
                        h.vendor_hint.clone().unwrap_or_default()
                    )
                })
            })
            .collect();
        assert_eq!(macs.join(";"), f[8], "{name}");
        checked += 1;
    }
    assert_eq!(checked, 26);
}

#[test]
fn libnmap_banners_and_hostnames_survive() {
    let text = std::fs::read_to_string(nmap_dir().join("1_os_banner_scripts.xml")).unwrap();
    let s = parse_nmap(&text, "1_os_banner_scripts.xml").unwrap();
    let h = &s.hosts[0];
    assert!(!h.ips.is_empty());
    assert!(h.services.iter().any(|p| p.product.is_some()));
    assert!(h.services.iter().any(|p| !p.scripts.is_empty()));
    let text = std::fs::read_to_string(nmap_dir().join("full_sudo6.xml")).unwrap();
    let s = parse_nmap(&text, "full_sudo6.xml").unwrap();
    let r = uproot_net::match_devices(s.hosts, &Default::default(), Table::builtin());
    // Sagemcom, Apple and Intel: none covered.
    assert!(r.findings.is_empty());
}
