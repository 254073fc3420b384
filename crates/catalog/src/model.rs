//! The catalog's data model, as written in TOML.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) so that a typo in a rule
//! is an error at load time, not a rule that silently never matches.

use serde::{Deserialize, Serialize};

/// One catalog file (a fragment). The built-in catalog is several of these;
/// `--catalog FILE` adds more.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    /// Catalog metadata; only the built-in `catalog.toml` normally sets it.
    #[serde(default)]
    pub catalog: Option<CatalogMeta>,
    /// Legal authorities.
    #[serde(default, rename = "authority")]
    pub authorities: Vec<Authority>,
    /// Covered vendors with their products and indicators.
    #[serde(default, rename = "vendor")]
    pub vendors: Vec<Vendor>,
}

/// Catalog identity, recorded in every report.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CatalogMeta {
    /// Version, `YYYY.MM.DD[.N]`.
    pub version: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A law, directive or list that makes a vendor's products covered.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// Stable id, e.g. `bod-17-01`.
    pub id: String,
    /// Full title.
    pub title: String,
    /// Date issued or enacted, `YYYY-MM-DD`.
    pub issued: String,
    /// Date it took effect, where different.
    #[serde(default)]
    pub effective: Option<String>,
    /// Formal citation (Federal Register, Public Law).
    pub citation: String,
    /// What it requires, in one or two sentences.
    pub requires: String,
    /// Where to read it.
    #[serde(default)]
    pub url: Option<String>,
    /// Milestones as day offsets from `issued` (identify by day 30, …).
    #[serde(default, rename = "milestone")]
    pub milestones: Vec<Milestone>,
}

/// A deadline inside an authority.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Short name: `identify`, `plan`, `begin-removal`, …
    pub name: String,
    /// Days after the authority's issue date.
    pub day: u32,
    /// What must be done by then.
    pub requires: String,
}

/// A covered vendor.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Stable id used in reports: `kaspersky`, `huawei`, …
    pub id: String,
    /// Legal name.
    pub name: String,
    /// Other names it trades or signs under.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Authorities that cover this vendor, with the date each applied to it.
    #[serde(default)]
    pub authorities: Vec<VendorAuthority>,
    /// A condition on coverage (e.g. the FCC's "used for public safety" scope).
    #[serde(default)]
    pub condition: Option<String>,
    /// The action a finding for this vendor requires.
    pub action: String,
    /// Why the vendor has few or no indicators, when that is so.
    #[serde(default)]
    pub note: Option<String>,
    /// Products.
    #[serde(default, rename = "product")]
    pub products: Vec<Product>,
    /// Indicators.
    #[serde(default, rename = "indicator")]
    pub indicators: Vec<Indicator>,
}

/// One authority as it applies to one vendor.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorAuthority {
    /// Authority id.
    pub id: String,
    /// Date it started to apply to this vendor (e.g. the day it was added to a list).
    pub since: String,
}

/// A product line.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Id, unique within the vendor: `kesl`, `klnagent`, …
    pub id: String,
    /// Marketing name.
    pub name: String,
    /// Platforms: `linux`, `windows`, `macos`, `android`, `ios`, `network`.
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// How sure the source is. Only these three may ship.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Seen in official material (vendor docs, Microsoft, government).
    Official,
    /// Seen in third-party detection tooling with an identified repository.
    ThirdParty,
    /// Seen in several independent public files.
    Corroborated,
}

impl Confidence {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Official => "official",
            Confidence::ThirdParty => "third-party",
            Confidence::Corroborated => "corroborated",
        }
    }
}

/// What an indicator looks at.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An installed package or program entry.
    Package,
    /// A service definition.
    Service,
    /// A Linux kernel module.
    KernelModule,
    /// A Windows or macOS kernel driver / extension.
    Driver,
    /// A trusted certificate.
    Certificate,
    /// A browser extension.
    BrowserExtension,
    /// A file or directory path.
    File,
    /// A running process.
    Process,
    /// A product setting (telemetry, consent).
    Setting,
    /// A Windows registry key.
    RegistryKey,
    /// A macOS application or system-extension bundle id.
    AppBundle,
    /// A code signer (Authenticode subject, Apple Team ID).
    Signer,
    /// A MAC address organisation (IEEE OUI registry name).
    MacOui,
    /// A USB vendor id.
    UsbDevice,
    /// A component inside an SBOM.
    SbomComponent,
}

impl Kind {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Package => "package",
            Kind::Service => "service",
            Kind::KernelModule => "kernel-module",
            Kind::Driver => "driver",
            Kind::Certificate => "certificate",
            Kind::BrowserExtension => "browser-extension",
            Kind::File => "file",
            Kind::Process => "process",
            Kind::Setting => "setting",
            Kind::RegistryKey => "registry-key",
            Kind::AppBundle => "app-bundle",
            Kind::Signer => "signer",
            Kind::MacOui => "mac-oui",
            Kind::UsbDevice => "usb-device",
            Kind::SbomComponent => "sbom-component",
        }
    }

    /// Which match fields make sense for this kind; lint rejects the rest.
    pub fn allowed_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Package => &[
                "name",
                "name_glob",
                "name_regex",
                "publisher_regex",
                "package_source",
            ],
            // An SBOM component is a package in some ecosystem, so it takes the
            // package fields plus its purl's type and namespace.
            Kind::SbomComponent => &[
                "name",
                "name_glob",
                "name_regex",
                "publisher_regex",
                "package_source",
                "ecosystem",
                "namespace_glob",
                "namespace_regex",
            ],
            Kind::Service => &["name", "name_glob", "name_regex", "exec_regex"],
            Kind::KernelModule | Kind::Driver => &["name", "name_glob", "name_regex", "altitude"],
            Kind::Certificate => &["subject_regex", "issuer_regex", "sha1"],
            Kind::BrowserExtension | Kind::AppBundle => &["id", "name_regex"],
            Kind::File => &["path", "path_glob"],
            Kind::Process => &["name", "name_glob", "name_regex", "exec_regex"],
            Kind::Setting => &["file", "key", "value_regex"],
            Kind::RegistryKey => &["path", "path_glob"],
            Kind::Signer => &["subject_regex", "id"],
            Kind::MacOui => &["publisher_regex", "id"],
            Kind::UsbDevice => &["id"],
        }
    }

    /// Whether exact names compare case-sensitively. Linux file paths do;
    /// package, service and driver names are compared case-insensitively
    /// because Windows and rpm both mix case for the same product.
    pub fn case_sensitive(self) -> bool {
        matches!(self, Kind::File | Kind::Setting)
    }
}

/// The pattern an indicator matches. Every field given must match (logical AND).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Exact names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<String>,
    /// Shell-style globs on the name (`*`, `?`, `[…]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_glob: Vec<String>,
    /// Regex on the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_regex: Option<String>,
    /// Regex on the publisher, maintainer, vendor or organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_regex: Option<String>,
    /// Restrict to these package sources (`dpkg`, `rpm`, `windows-uninstall`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_source: Vec<String>,
    /// Regex on the command a service or process runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_regex: Option<String>,
    /// Regex on a certificate subject or signer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_regex: Option<String>,
    /// Regex on a certificate issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_regex: Option<String>,
    /// Certificate SHA-1 thumbprints (hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sha1: Vec<String>,
    /// Exact identifiers: extension ids, bundle ids, Team IDs, OUIs, USB ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id: Vec<String>,
    /// Exact paths inside the root; existence is the evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Globs on paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_glob: Vec<String>,
    /// Minifilter altitudes assigned by Microsoft.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub altitude: Vec<u32>,
    /// Settings files to read (in-root paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file: Vec<String>,
    /// Setting keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
    /// Regex on a setting's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_regex: Option<String>,
    /// Restrict to these SBOM ecosystems: package-URL types such as `maven`,
    /// `npm`, `pypi`, `deb` (compared case-insensitively).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecosystem: Vec<String>,
    /// Globs on an SBOM component's purl namespace (Maven groupId, npm scope),
    /// e.g. `com.huawei.hms.*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespace_glob: Vec<String>,
    /// Regex on an SBOM component's purl namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_regex: Option<String>,
}

impl MatchSpec {
    /// Names of the fields that are set, for lint.
    pub fn fields_set(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                v.push(name)
            }
        };
        add(!self.name.is_empty(), "name");
        add(!self.name_glob.is_empty(), "name_glob");
        add(self.name_regex.is_some(), "name_regex");
        add(self.publisher_regex.is_some(), "publisher_regex");
        add(!self.package_source.is_empty(), "package_source");
        add(self.exec_regex.is_some(), "exec_regex");
        add(self.subject_regex.is_some(), "subject_regex");
        add(self.issuer_regex.is_some(), "issuer_regex");
        add(!self.sha1.is_empty(), "sha1");
        add(!self.id.is_empty(), "id");
        add(!self.path.is_empty(), "path");
        add(!self.path_glob.is_empty(), "path_glob");
        add(!self.altitude.is_empty(), "altitude");
        add(!self.file.is_empty(), "file");
        add(!self.key.is_empty(), "key");
        add(self.value_regex.is_some(), "value_regex");
        add(!self.ecosystem.is_empty(), "ecosystem");
        add(!self.namespace_glob.is_empty(), "namespace_glob");
        add(self.namespace_regex.is_some(), "namespace_regex");
        v
    }
}

/// Finding severity.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Leftovers or weak signals.
    Low,
    /// A covered product's data, settings or unloaded components.
    Medium,
    /// An installed covered product.
    High,
    /// Covered code with kernel or TLS-interception reach.
    Critical,
}

impl Severity {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One sourced indicator of a covered product.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Globally unique id, `vendor.product.what`.
    pub id: String,
    /// Product id within the vendor.
    pub product: String,
    /// What kind of evidence it looks at.
    pub kind: Kind,
    /// The pattern.
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    /// How sure the source is. Optional in the file so that lint can name the
    /// rule that lacks it instead of failing the whole load.
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// Where the value was seen: URL, repository path, document.
    #[serde(default)]
    pub source: Option<String>,
    /// Severity override; otherwise derived from the kind.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Short explanation shown with the finding.
    #[serde(default)]
    pub description: Option<String>,
    /// True when a hit only shows that the product *was* there (leftover data).
    #[serde(default)]
    pub remnant: bool,
}
