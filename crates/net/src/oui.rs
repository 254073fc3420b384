//! The IEEE registry and the compact covered-vendor table built from it.
//!
//! The full registry is ~35,000 MA-L rows plus MA-M/MA-S/IAB blocks; the
//! binary carries only the ~2,000 whose organisation name a rule in
//! `data/vendors.toml` maps to a covered vendor (`data/covered-oui.tsv`).
//! Lookups try the 36-bit, then 28-bit, then 24-bit prefix, so a small block
//! always wins over the large one it was carved from.

use crate::csvtext;
use crate::error::{read_text, NetError};
use crate::mac::Mac;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

/// Date of the newest registry data in the built-in table (the MA-L list,
/// netaddr 1.3.0's copy of IEEE oui.txt). Goes into the catalog version.
pub const REGISTRY_DATE: &str = "2024-05-20";

/// Where the built-in table came from, as recorded in its header.
pub const REGISTRY_SOURCE: &str = "MA-L: IEEE oui.txt as shipped in PyPI netaddr 1.3.0 (2024-05-20); MA-M, MA-S, IAB: Debian ieee-data 20220827.1 mam.csv, oui36.csv, iab.csv";

const TABLE_TSV: &str = include_str!("../data/covered-oui.tsv");
const RULES_TOML: &str = include_str!("../data/vendors.toml");

/// A covered vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    /// Huawei Technologies and affiliates.
    Huawei,
    /// ZTE Corporation and affiliates.
    Zte,
    /// Hangzhou Hikvision Digital Technology.
    Hikvision,
    /// Zhejiang Dahua Technology.
    Dahua,
    /// Hytera Communications.
    Hytera,
}

impl Vendor {
    /// Every vendor, in report order.
    pub const ALL: [Vendor; 5] = [
        Vendor::Huawei,
        Vendor::Zte,
        Vendor::Hikvision,
        Vendor::Dahua,
        Vendor::Hytera,
    ];

    /// The stable id (`huawei`, `zte`, …).
    pub fn id(self) -> &'static str {
        match self {
            Vendor::Huawei => "huawei",
            Vendor::Zte => "zte",
            Vendor::Hikvision => "hikvision",
            Vendor::Dahua => "dahua",
            Vendor::Hytera => "hytera",
        }
    }

    fn from_id(s: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| v.id() == s)
    }

    /// Whether the listing depends on the use (public safety, government
    /// facility security, critical infrastructure). From `vendors.toml`.
    pub fn conditional(self) -> bool {
        VendorRules::builtin()
            .rules
            .iter()
            .any(|r| r.vendor == self && r.conditional)
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One organisation-name rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The vendor a matching organisation belongs to.
    pub vendor: Vendor,
    /// Case-insensitive pattern over the organisation name.
    pub org: Regex,
    /// Covered only for the listed uses.
    pub conditional: bool,
    /// Where the name and the authority come from.
    pub source: String,
}

/// The organisation-name rules (`data/vendors.toml`).
#[derive(Debug, Clone)]
pub struct VendorRules {
    /// In file order; the first match wins.
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    vendor: String,
    org: String,
    conditional: bool,
    source: String,
}

impl VendorRules {
    /// The rules compiled into the binary.
    pub fn builtin() -> &'static VendorRules {
        static RULES: OnceLock<VendorRules> = OnceLock::new();
        RULES.get_or_init(|| {
            VendorRules::from_toml(RULES_TOML).expect("data/vendors.toml is checked by a test")
        })
    }

    /// Parse a rules file.
    pub fn from_toml(text: &str) -> Result<VendorRules, String> {
        let raw: RulesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        for r in raw.rule {
            let vendor = Vendor::from_id(&r.vendor)
                .ok_or_else(|| format!("unknown vendor {:?}", r.vendor))?;
            let org = RegexBuilder::new(&r.org)
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("rule for {}: {e}", r.vendor))?;
            rules.push(Rule {
                vendor,
                org,
                conditional: r.conditional,
                source: r.source,
            });
        }
        Ok(VendorRules { rules })
    }

    /// The covered vendor an IEEE organisation name belongs to, if any.
    pub fn classify(&self, organization: &str) -> Option<Vendor> {
        self.rules
            .iter()
            .find(|r| r.org.is_match(organization))
            .map(|r| r.vendor)
    }
}

/// The IEEE registry a block came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Registry {
    /// MA-L, 24-bit (the classic OUI).
    #[serde(rename = "MA-L")]
    MaL,
    /// MA-M, 28-bit.
    #[serde(rename = "MA-M")]
    MaM,
    /// MA-S, 36-bit (OUI-36).
    #[serde(rename = "MA-S")]
    MaS,
    /// The retired IAB registry, 36-bit.
    #[serde(rename = "IAB")]
    Iab,
}

impl Registry {
    /// Prefix length in bits.
    pub fn bits(self) -> u8 {
        match self {
            Registry::MaL => 24,
            Registry::MaM => 28,
            Registry::MaS | Registry::Iab => 36,
        }
    }

    fn from_name(s: &str) -> Option<Registry> {
        Some(match s {
            "MA-L" => Registry::MaL,
            "MA-M" => Registry::MaM,
            "MA-S" => Registry::MaS,
            "IAB" => Registry::Iab,
            _ => return None,
        })
    }
}

/// A MAC prefix of 24, 28 or 36 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    /// 24, 28 or 36.
    pub bits: u8,
    /// The top `bits` bits of the address.
    pub value: u64,
}

impl Prefix {
    /// Parse `8038BC`, `80-38-BC`, `C82C2B7`, `70B3D5F2F`: hex digits (any
    /// separators dropped), 6, 7 or 9 of them.
    pub fn parse(s: &str) -> Option<Prefix> {
        let hex: String = s
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        let bits = match hex.len() {
            6 => 24,
            7 => 28,
            9 => 36,
            _ => return None,
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let value = u64::from_str_radix(&hex, 16).ok()?;
        Some(Prefix { bits, value })
    }

    /// The prefix of `mac` with this many bits.
    pub fn of(mac: Mac, bits: u8) -> Prefix {
        Prefix {
            bits,
            value: mac.as_u64() >> (48 - u32::from(bits)),
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0w$X}", self.value, w = usize::from(self.bits / 4))
    }
}

impl Serialize for Prefix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Which registry.
    pub registry: Registry,
    /// The assigned block.
    pub prefix: Prefix,
    /// The organisation name as the registry spells it.
    pub organization: String,
}

/// Parse an IEEE CSV (`Registry,Assignment,Organization Name,Organization
/// Address`): oui.csv, mam.csv, oui36.csv, iab.csv. Bad rows become located
/// errors; good rows are kept.
pub fn parse_ieee_csv(text: &str, file: &str) -> (Vec<Assignment>, Vec<NetError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let recs = match csvtext::records(text) {
        Ok(r) => r,
        Err((line, msg)) => return (out, vec![NetError::at(file, line, msg)]),
    };
    let mut iter = recs.into_iter();
    match iter.next() {
        Some((_, h)) if h.first().map(|s| s.trim_start_matches('\u{feff}')) == Some("Registry") => {
        }
        Some((line, _)) => {
            errs.push(NetError::at(
                file,
                line,
                "not an IEEE registry CSV: expected header Registry,Assignment,Organization Name,…",
            ));
            return (out, errs);
        }
        None => return (out, errs),
    }
    for (line, rec) in iter {
        let (Some(reg), Some(assign), Some(org)) = (rec.first(), rec.get(1), rec.get(2)) else {
            errs.push(NetError::at(file, line, "fewer than 3 fields"));
            continue;
        };
        let Some(registry) = Registry::from_name(reg.trim()) else {
            errs.push(NetError::at(
                file,
                line,
                format!("unknown registry {reg:?}"),
            ));
            continue;
        };
        match Prefix::parse(assign.trim()) {
            Some(prefix) if prefix.bits == registry.bits() => out.push(Assignment {
                registry,
                prefix,
                organization: org.trim().to_string(),
            }),
            _ => errs.push(NetError::at(
                file,
                line,
                format!(
                    "assignment {assign:?} is not a {}-bit prefix",
                    registry.bits()
                ),
            )),
        }
    }
    (out, errs)
}

/// Parse the IEEE MA-L text format (`80-38-BC   (hex)\t\tORG`), as in
/// oui.txt. Only the `(hex)` lines carry what we need.
pub fn parse_ieee_txt(text: &str, file: &str) -> (Vec<Assignment>, Vec<NetError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find("(hex)") else {
            continue;
        };
        let key = line[..pos].trim();
        let org = line[pos + 5..].trim();
        match Prefix::parse(key) {
            Some(prefix) if prefix.bits == 24 && key.len() == 8 => out.push(Assignment {
                registry: Registry::MaL,
                prefix,
                organization: org.to_string(),
            }),
            _ => errs.push(NetError::at(
                file,
                i + 1,
                format!("{key:?} is not an MA-L prefix (XX-XX-XX)"),
            )),
        }
    }
    (out, errs)
}

/// A covered-vendor block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The block.
    pub prefix: Prefix,
    /// The covered vendor its organisation maps to.
    pub vendor: Vendor,
    /// The registry's organisation name.
    pub organization: String,
}

/// The covered-vendor prefix table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Where the registry data came from.
    pub source: String,
    /// Registry date (YYYY-MM-DD).
    pub registry_date: String,
    entries: HashMap<Prefix, Entry>,
}

/// What a table build saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// File name → registry rows read.
    pub files: BTreeMap<String, usize>,
    /// Registry rows per vendor and registry (duplicates counted).
    pub vendor_counts: BTreeMap<Vendor, BTreeMap<Registry, usize>>,
    /// Each matched organisation spelling and its row count.
    pub organizations: BTreeMap<String, usize>,
    /// Rows that could not be read.
    pub errors: Vec<NetError>,
}

impl Summary {
    /// Rows for a vendor across all registries.
    pub fn total(&self, v: Vendor) -> usize {
        self.vendor_counts.get(&v).map_or(0, |m| m.values().sum())
    }
}

impl Table {
    /// The table compiled into the binary.
    pub fn builtin() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| {
            Table::from_tsv(TABLE_TSV, "data/covered-oui.tsv")
                .expect("data/covered-oui.tsv is checked by a test")
        })
    }

    /// Keep the assignments whose organisation a rule maps to a vendor.
    pub fn from_assignments(
        assignments: impl IntoIterator<Item = Assignment>,
        rules: &VendorRules,
        summary: &mut Summary,
    ) -> Table {
        let mut t = Table::default();
        for a in assignments {
            let Some(vendor) = rules.classify(&a.organization) else {
                continue;
            };
            *summary
                .vendor_counts
                .entry(vendor)
                .or_default()
                .entry(a.registry)
                .or_default() += 1;
            *summary
                .organizations
                .entry(a.organization.clone())
                .or_default() += 1;
            t.entries.entry(a.prefix).or_insert(Entry {
                prefix: a.prefix,
                vendor,
                organization: a.organization,
            });
        }
        t
    }

    /// Longest-prefix match: 36, then 28, then 24 bits.
    pub fn lookup(&self, mac: Mac) -> Option<&Entry> {
        [36u8, 28, 24]
            .into_iter()
            .find_map(|bits| self.entries.get(&Prefix::of(mac, bits)))
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no block is covered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries sorted by prefix length, then value.
    pub fn entries(&self) -> Vec<&Entry> {
        let mut v: Vec<&Entry> = self.entries.values().collect();
        v.sort_by_key(|e| (e.prefix.bits, e.prefix.value));
        v
    }

    /// The TSV form compiled into the binary.
    pub fn to_tsv(&self) -> String {
        let mut s = String::new();
        s.push_str("# uproot covered-vendor OUI table. Generated; do not edit.\n");
        s.push_str("# Regenerate: cargo run -p uproot-net --example oui_table -- DIR\n");
        s.push_str(&format!("# source: {}\n", self.source));
        s.push_str(&format!("# registry-date: {}\n", self.registry_date));
        s.push_str("# prefix\tvendor\torganization\n");
        for e in self.entries() {
            s.push_str(&format!(
                "{}\t{}\t{}\n",
                e.prefix,
                e.vendor,
                e.organization.replace(['\t', '\n'], " ")
            ));
        }
        s
    }

    /// Parse the TSV form.
    pub fn from_tsv(text: &str, file: &str) -> Result<Table, NetError> {
        let mut t = Table::default();
        for (i, line) in text.lines().enumerate() {
            if let Some(c) = line.strip_prefix('#') {
                let c = c.trim();
                if let Some(v) = c.strip_prefix("source:") {
                    t.source = v.trim().to_string();
                } else if let Some(v) = c.strip_prefix("registry-date:") {
                    t.registry_date = v.trim().to_string();
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let mut f = line.splitn(3, '\t');
            let (Some(p), Some(v), Some(o)) = (f.next(), f.next(), f.next()) else {
                return Err(NetError::at(
                    file,
                    i + 1,
                    "expected prefix<TAB>vendor<TAB>organization",
                ));
            };
            let prefix = Prefix::parse(p)
                .ok_or_else(|| NetError::at(file, i + 1, format!("bad prefix {p:?}")))?;
            let vendor = Vendor::from_id(v)
                .ok_or_else(|| NetError::at(file, i + 1, format!("unknown vendor {v:?}")))?;
            t.entries.insert(
                prefix,
                Entry {
                    prefix,
                    vendor,
                    organization: o.to_string(),
                },
            );
        }
        Ok(t)
    }
}

/// Build a table from an IEEE registry directory: Debian ieee-data's
/// `oui.csv` (or, failing that, `oui.txt`), plus `mam.csv`, `oui36.csv` and
/// `iab.csv` when present. The registry date is the newest file's mtime
/// (UTC); the caller may overwrite `source`/`registry_date`. For a future
/// `uproot catalog oui-update --ieee DIR`.
pub fn update_table(ieee_dir: &Path) -> Result<(Table, Summary), NetError> {
    let rules = VendorRules::builtin();
    let mut summary = Summary::default();
    let mut all = Vec::new();
    let mut newest = None;
    let mal = ["oui.csv", "oui.txt"]
        .into_iter()
        .find(|n| ieee_dir.join(n).is_file())
        .ok_or_else(|| {
            NetError::file(
                ieee_dir.display().to_string(),
                "no MA-L registry (oui.csv or oui.txt) in this directory",
            )
        })?;
    for name in [mal, "mam.csv", "oui36.csv", "iab.csv"] {
        let path = ieee_dir.join(name);
        if !path.is_file() {
            continue;
        }
        let text = read_text(&path)?;
        let shown = path.display().to_string();
        let (rows, errs) = if name.ends_with(".txt") {
            parse_ieee_txt(&text, &shown)
        } else {
            parse_ieee_csv(&text, &shown)
        };
        if rows.is_empty() {
            return Err(NetError::file(shown, "no registry rows"));
        }
        summary.files.insert(name.to_string(), rows.len());
        summary.errors.extend(errs);
        all.extend(rows);
        if let Ok(m) = std::fs::metadata(&path).and_then(|m| m.modified()) {
            newest = newest.max(Some(m));
        }
    }
    let mut table = Table::from_assignments(all, rules, &mut summary);
    table.source = format!(
        "{} ({})",
        ieee_dir.display(),
        summary.files.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    table.registry_date = newest.map(ymd).unwrap_or_default();
    Ok((table, summary))
}

/// A file time's UTC date. Saturating, never panicking: registry files
/// come from outside, and their times may be anything.
fn ymd(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let d = time::OffsetDateTime::from_unix_timestamp(secs).map_or(time::Date::MAX, |t| t.date());
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> Mac {
        Mac::parse(s).unwrap()
    }

    #[test]
    fn rules_load_and_classify() {
        let r = VendorRules::builtin();
        let cases = [
            ("HUAWEI TECHNOLOGIES CO.,LTD", Some(Vendor::Huawei)),
            ("Huawei Device Co., Ltd.", Some(Vendor::Huawei)),
            ("zte corporation", Some(Vendor::Zte)),
            ("SHANGHAI ZTE TECHNOLOGIES CO.,LTD", None),
            // Affiliates under their own names (catalog/AFFILIATES.md).
            (
                "Prama Hikvision India Private Limited",
                Some(Vendor::Hikvision),
            ),
            ("Hangzhou Ezviz Software Co.,Ltd.", Some(Vendor::Hikvision)),
            (
                "Hangzhou Hikrobot Technology Co., Ltd.",
                Some(Vendor::Hikvision),
            ),
            ("Zhejiang HuaRay Technology Co.,Ltd", Some(Vendor::Dahua)),
            ("Hisilicon Technologies Co., Ltd", Some(Vendor::Huawei)),
            ("ChengDu TD Tech", Some(Vendor::Huawei)),
            ("TD Tech", Some(Vendor::Huawei)),
            ("Nubia Technology Co.,Ltd.", Some(Vendor::Zte)),
            // Divested, unrelated or unverified: never matched.
            ("Honor Device Co., Ltd.", None),
            ("New H3C Technologies Co., Ltd", None),
            ("Hangzhou H3C Technologies Co., Limited", None),
            ("Lorex Technology Inc.", None),
            ("Sepura Plc", None),
            ("Teltronic S.A.U.", None),
            ("Teltronic AG", None),
            ("Hangzhou Huacheng Network Technology Co.,Ltd", None),
            ("Hangzhou Microimage Software Co., Ltd", None),
            ("Prama India Private Limited", None),
            ("ATD Technologies", None),
            (
                "Huawei Symantec Technologies Co.,Ltd.",
                Some(Vendor::Huawei),
            ),
            ("Aztech Electronics Pte Ltd", None),
            ("Aztek, Inc.", None),
            ("ZTEC Instruments, Inc.", None),
            ("ANHUI WANZTEN P&T CO., LTD", None),
            (
                "Hangzhou Hikvision Digital Technology Co.,Ltd.",
                Some(Vendor::Hikvision),
            ),
            ("Zhejiang Dahua Technology Co., Ltd.", Some(Vendor::Dahua)),
            ("ZHEJIANG DAHUA TECHNOLOGYCO.,LTD", Some(Vendor::Dahua)),
            ("Shanghai Dahua Scale Factory", None),
            ("Hytera Communications Co .,ltd", Some(Vendor::Hytera)),
            ("Cisco Systems, Inc", None),
        ];
        for (org, want) in cases {
            assert_eq!(r.classify(org), want, "{org}");
        }
        assert!(!Vendor::Huawei.conditional());
        assert!(!Vendor::Zte.conditional());
        assert!(Vendor::Hikvision.conditional());
        assert!(Vendor::Dahua.conditional());
        assert!(Vendor::Hytera.conditional());
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(VendorRules::from_toml(
            "[[rule]]\nvendor='acme'\norg='x'\nconditional=false\nsource=''"
        )
        .is_err());
        assert!(VendorRules::from_toml(
            "[[rule]]\nvendor='zte'\norg='('\nconditional=false\nsource=''"
        )
        .is_err());
        assert!(VendorRules::from_toml(
            "[[rule]]\nvendor='zte'\norg='x'\nconditional=false\nsource=''\nextra=1"
        )
        .is_err());
    }

    #[test]
    fn builtin_table_hits_known_prefixes() {
        let t = Table::builtin();
        assert_eq!(t.registry_date, REGISTRY_DATE);
        assert_eq!(t.source, REGISTRY_SOURCE);
        for (m, v) in [
            ("80:38:bc:00:00:01", Vendor::Huawei),
            ("74:a7:8e:00:00:01", Vendor::Zte),
            ("bc:5e:33:00:00:01", Vendor::Hikvision),
            ("0c:75:d2:00:00:01", Vendor::Hikvision),
            ("44:19:b6:00:00:01", Vendor::Hikvision),
            ("54:c4:15:00:00:01", Vendor::Hikvision),
            ("74:c9:29:00:00:01", Vendor::Dahua),
            ("3c:ef:8c:00:00:01", Vendor::Dahua),
            ("90:02:a9:00:00:01", Vendor::Dahua),
            ("e0:50:8b:00:00:01", Vendor::Dahua),
            ("9c:06:6e:00:00:01", Vendor::Hytera),
        ] {
            let e = t.lookup(mac(m)).unwrap_or_else(|| panic!("{m} not found"));
            assert_eq!(e.vendor, v, "{m}");
            assert_eq!(e.prefix.bits, 24);
        }
        assert!(t.lookup(mac("00:1f:3c:87:66:50")).is_none(), "Intel");
        // indicators.md §2.3 lists C0:56:27 as Hikvision (from a GitHub
        // issue); the registry assigns it to Belkin International Inc.
        assert!(t.lookup(mac("c0:56:27:00:00:01")).is_none(), "Belkin");
        // Every MA-M/MA-S block in the table is found through a MAC inside it.
        for e in t.entries().into_iter().filter(|e| e.prefix.bits > 24) {
            let v = e.prefix.value << (48 - u32::from(e.prefix.bits));
            let b = v.to_be_bytes();
            let m = Mac([b[2], b[3], b[4], b[5], b[6], b[7] | 1]);
            assert_eq!(t.lookup(m).unwrap().prefix, e.prefix);
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let rows = "Registry,Assignment,Organization Name,Organization Address\n\
            MA-L,AABBCC,zte corporation,x\n\
            MA-M,AABBCC1,Zhejiang Dahua Technology Co., Ltd.,y\n\
            MA-S,AABBCC123,Hytera Communications Corporation Limited,z\n\
            MA-M,1122334,Shanghai Dahua Scale Factory,\n";
        let (a, e) = parse_ieee_csv(rows, "t.csv");
        assert!(e.is_empty(), "{e:?}");
        let mut s = Summary::default();
        let t = Table::from_assignments(a, VendorRules::builtin(), &mut s);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.lookup(mac("aa:bb:cc:00:00:00")).unwrap().vendor,
            Vendor::Zte
        );
        assert_eq!(
            t.lookup(mac("aa:bb:cc:10:00:00")).unwrap().vendor,
            Vendor::Dahua
        );
        assert_eq!(
            t.lookup(mac("aa:bb:cc:12:30:00")).unwrap().vendor,
            Vendor::Hytera
        );
        assert_eq!(
            t.lookup(mac("aa:bb:cc:12:40:00")).unwrap().vendor,
            Vendor::Dahua
        );
        assert!(t.lookup(mac("11:22:33:40:00:00")).is_none());
        let back = Table::from_tsv(&t.to_tsv(), "x").unwrap();
        assert_eq!(back.entries(), t.entries());
    }

    #[test]
    fn bad_rows_are_located() {
        let (a, e) = parse_ieee_csv(
            "Registry,Assignment,Organization Name,Organization Address\nMA-L,XYZ,a,b\nMA-Q,AABBCC,a,b\nMA-L\nMA-M,AABBCC,x,y\n",
            "f.csv",
        );
        assert!(a.is_empty());
        assert_eq!(
            e.iter().map(|e| e.line.unwrap()).collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        let (_, e) = parse_ieee_csv("hello,world\n", "f.csv");
        assert_eq!(e[0].to_string().split(':').next(), Some("f.csv"));
        let (a, e) = parse_ieee_txt("80-38-BC   (hex)\t\tHUAWEI\nZZ-38-BC (hex) X\n", "o.txt");
        assert_eq!(a.len(), 1);
        assert_eq!(e[0].line, Some(2));
        assert!(Table::from_tsv("8038BC\tacme\tX\n", "t").is_err());
        assert!(Table::from_tsv("8038BC huawei\n", "t").is_err());
    }

    #[test]
    fn dates() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(ymd(UNIX_EPOCH), "1970-01-01");
        assert_eq!(
            ymd(UNIX_EPOCH + Duration::from_secs(300_000_000_000)),
            "9999-12-31"
        );
        assert_eq!(
            ymd(UNIX_EPOCH + Duration::from_secs(1_716_163_200)),
            "2024-05-20"
        );
    }
}
