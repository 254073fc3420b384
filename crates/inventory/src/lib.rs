//! The inventory: everything a scan observed on one host, as plain data.
//!
//! Collectors (in `uproot-collect`) fill an [`Inventory`]; the matcher (in
//! `uproot-matcher`) reads it against the catalog. Nothing here knows about
//! vendors or rules, so the same inventory can be serialised into the report,
//! diffed between scans (verification) or shipped to the fleet server.
//!
//! Every record carries `location`: the path (relative to the scanned root,
//! written as an absolute path inside it) or pseudo-path it came from, so that
//! a finding can always be traced back to the byte source an auditor can check.
//!
//! ```
//! use uproot_inventory::{Inventory, Package, PackageSource};
//! let mut inv = Inventory::default();
//! inv.packages.push(Package::new("kesl", "12.1.0.1297", PackageSource::Dpkg, "/var/lib/dpkg/status"));
//! assert_eq!(inv.packages[0].source.as_str(), "dpkg");
//! ```
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

/// Everything collected from one host or root.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inventory {
    /// Installed packages from every package manager found.
    pub packages: Vec<Package>,
    /// Service definitions (systemd units, init scripts).
    pub services: Vec<Service>,
    /// Kernel modules, loaded or installed on disk.
    pub kernel_modules: Vec<KernelModule>,
    /// Certificates from trust stores.
    pub certificates: Vec<Certificate>,
    /// Browser extensions from every profile found.
    pub browser_extensions: Vec<BrowserExtension>,
    /// Paths that exist and that the catalog asked about.
    pub files: Vec<FileEntry>,
    /// Running processes (live scans only).
    pub processes: Vec<Process>,
    /// Product settings, such as telemetry consent.
    pub settings: Vec<Setting>,
    /// Kernel-level components of Windows and macOS: drivers, minifilters,
    /// kernel and system extensions.
    #[serde(default)]
    pub drivers: Vec<Driver>,
    /// Registry keys of interest that exist (vendor keys, product environments).
    #[serde(default)]
    pub registry_keys: Vec<RegistryKey>,
    /// Code signatures: Authenticode signers of PE files, Team IDs of Mach-O files.
    #[serde(default)]
    pub signers: Vec<CodeSigner>,
    /// Security products the OS has registered (the replacement check reads these).
    #[serde(default)]
    pub protection: Vec<ProtectionProduct>,
    /// Components listed in SBOMs (`uproot sbom`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom_components: Vec<SbomComponent>,
    /// Network devices whose MAC prefix the IEEE registry assigns to a
    /// covered vendor (`uproot net`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_devices: Vec<NetworkDevice>,
}

impl Inventory {
    /// Appends everything from `other`.
    pub fn extend(&mut self, other: Inventory) {
        self.packages.extend(other.packages);
        self.services.extend(other.services);
        self.kernel_modules.extend(other.kernel_modules);
        self.certificates.extend(other.certificates);
        self.browser_extensions.extend(other.browser_extensions);
        self.files.extend(other.files);
        self.processes.extend(other.processes);
        self.settings.extend(other.settings);
        self.drivers.extend(other.drivers);
        self.registry_keys.extend(other.registry_keys);
        self.signers.extend(other.signers);
        self.protection.extend(other.protection);
        self.sbom_components.extend(other.sbom_components);
        self.network_devices.extend(other.network_devices);
    }

    /// Total number of records of all kinds.
    pub fn len(&self) -> usize {
        self.packages.len()
            + self.services.len()
            + self.kernel_modules.len()
            + self.certificates.len()
            + self.browser_extensions.len()
            + self.files.len()
            + self.processes.len()
            + self.settings.len()
            + self.drivers.len()
            + self.registry_keys.len()
            + self.signers.len()
            + self.protection.len()
            + self.sbom_components.len()
            + self.network_devices.len()
    }

    /// True when nothing at all was collected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which package manager a package came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum PackageSource {
    /// Debian `dpkg` database (`status`, `status.d`).
    Dpkg,
    /// RPM database (sqlite, BerkeleyDB or ndb).
    Rpm,
    /// Alpine `apk` database.
    Apk,
    /// Arch `pacman` local database.
    Pacman,
    /// Snap packages.
    Snap,
    /// Flatpak applications and runtimes.
    Flatpak,
    /// Windows Uninstall registry entries.
    WindowsUninstall,
    /// macOS application bundles.
    MacApp,
    /// macOS installer receipts.
    MacReceipt,
}

impl PackageSource {
    /// The stable name used in reports and catalog rules.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageSource::Dpkg => "dpkg",
            PackageSource::Rpm => "rpm",
            PackageSource::Apk => "apk",
            PackageSource::Pacman => "pacman",
            PackageSource::Snap => "snap",
            PackageSource::Flatpak => "flatpak",
            PackageSource::WindowsUninstall => "windows-uninstall",
            PackageSource::MacApp => "mac-app",
            PackageSource::MacReceipt => "mac-receipt",
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Package {
    /// Package name as the package manager knows it.
    pub name: String,
    /// Full version string (with epoch and release where the format has them).
    pub version: String,
    /// Package manager.
    pub source: PackageSource,
    /// Architecture, where recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Who built or ships it: dpkg `Maintainer`, rpm `Vendor`/`Packager`, apk maintainer, pacman packager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Install state where the format has one (dpkg: `installed`, `config-files`, `half-configured`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// True when the package is on hold (dpkg `hold` selection).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hold: bool,
    /// Identifier beside the name: MSI ProductCode (`{GUID}`), macOS bundle or receipt id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Uninstall command as the system records it (Windows `UninstallString`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstall: Option<String>,
    /// Where it is installed, where recorded (Windows `InstallLocation`, macOS bundle path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_location: Option<String>,
    /// `machine`, or `user:<name>` for a per-user install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Database, hive key or file it was read from.
    pub location: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Package {
    /// A package with only the required fields set.
    pub fn new(name: &str, version: &str, source: PackageSource, location: &str) -> Self {
        Package {
            name: name.to_owned(),
            version: version.to_owned(),
            source,
            arch: None,
            vendor: None,
            state: None,
            hold: false,
            id: None,
            uninstall: None,
            install_location: None,
            scope: None,
            location: location.to_owned(),
        }
    }

    /// True when only configuration files remain (dpkg `rc`): a leftover, not an install.
    pub fn is_config_only(&self) -> bool {
        self.state.as_deref() == Some("config-files")
    }
}

/// A service definition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    /// Unit or service name, e.g. `kesl.service`.
    pub name: String,
    /// `system` or `user` scope (systemd), or `sysv` for init scripts.
    pub scope: String,
    /// Command the service runs (`ExecStart`), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<String>,
    /// Human-readable description, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// True when the unit is enabled (linked from a `*.wants` directory), or a
    /// Windows service starts automatically, or a launchd job runs at load.
    #[serde(default)]
    pub enabled: bool,
    /// Start mode where the OS has one: `boot`, `system`, `auto`, `manual`, `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// File or registry key it was read from.
    pub location: String,
}

/// A kernel module.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KernelModule {
    /// Module name without extension, e.g. `kav4fs_oas`.
    pub name: String,
    /// True when it appears in `/proc/modules` (live scans only).
    pub loaded: bool,
    /// Where it was seen: `/proc/modules` or the module file path.
    pub location: String,
}

/// An X.509 certificate found in a trust store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Certificate {
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the DER encoding, lowercase hex.
    pub sha256: String,
    /// SHA-1 of the DER encoding, lowercase hex (the "thumbprint" Windows shows).
    pub sha1: String,
    /// Expiry, RFC 3339.
    pub not_after: String,
    /// True when the basic-constraints extension marks it as a CA.
    pub is_ca: bool,
    /// Store it came from, e.g. `/etc/ssl/certs/ca-certificates.crt`.
    pub location: String,
}

/// A browser extension in a user profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BrowserExtension {
    /// Browser family: `chrome`, `chromium`, `edge`, `brave`, `firefox`.
    pub browser: String,
    /// Extension id (Chromium 32-letter id, or Firefox add-on id).
    pub id: String,
    /// Name from the manifest, localised where possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version from the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Profile directory it belongs to.
    pub profile: String,
    /// Manifest or database file it was read from.
    pub location: String,
}

/// A path the catalog asked about that exists under the root.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Path inside the root.
    pub path: String,
    /// `file`, `dir` or `symlink`.
    pub file_type: String,
    /// Size in bytes for regular files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A running process (live scans only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Short name (`/proc/PID/comm`).
    pub name: String,
    /// Executable path (`/proc/PID/exe` target), where readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// Command line, arguments joined by spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmdline: Option<String>,
}

/// A product setting, such as cloud-telemetry consent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Setting {
    /// Setting key, e.g. `USE_KSN`.
    pub key: String,
    /// Raw value as stored.
    pub value: String,
    /// File the setting was read from.
    pub location: String,
}

/// A kernel-level component on Windows or macOS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Driver {
    /// Service name (Windows), bundle id (kext, system extension).
    pub name: String,
    /// Driver file name (`klif.sys`) or bundle path, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// `kernel-driver`, `fs-driver`, `kext`, `system-extension`.
    pub driver_type: String,
    /// Start mode (`boot`, `system`, `auto`, `manual`, `disabled`) or activation state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Minifilter altitudes from `Instances\*\Altitude`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub altitudes: Vec<u32>,
    /// Signing team or publisher, where the source records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Hive key or file it was read from.
    pub location: String,
}

/// A registry key that exists, with its string and number values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegistryKey {
    /// Full path with a root name, e.g. `HKLM\SOFTWARE\KasperskyLab`, or
    /// `HKU\alice\Software\…` for a user hive.
    pub path: String,
    /// Values rendered as text, by name (`(default)` for the unnamed value).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub values: std::collections::BTreeMap<String, String>,
    /// Hive file it was read from.
    pub location: String,
}

/// Who signed a piece of code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CodeSigner {
    /// The signed file, inside the root.
    pub path: String,
    /// `authenticode` (PE) or `apple` (Mach-O).
    pub format: String,
    /// Signer certificate subject (Authenticode) or the CodeDirectory identifier (Apple).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Subjects from the signer up to the root, as far as the signature carries them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// Apple Developer Team ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The product directory the file sits in (e.g. `/Program Files/OtherVendor`),
    /// used to tell an embedded engine from the vendor's own product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<String>,
}

/// One component listed in an SBOM (CycloneDX or SPDX).
///
/// Organisation fields are kept apart because SBOM producers fill different
/// ones: syft writes `publisher`, Maven plugins `supplier`, hardware BOMs
/// `manufacturer`, SPDX `supplier`/`originator` (read into `supplier` and
/// `authors`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SbomComponent {
    /// Component name (without the group).
    pub name: String,
    /// Version, where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// CycloneDX `group` (Maven groupId, npm scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Package URL, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The purl type, lower case: `maven`, `npm`, `deb`, `rpm`, `generic`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The purl namespace, percent-decoded (`com.huawei.hms`, `@scope`, `debian`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Supplier organisation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Publisher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Manufacturer organisation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Author names or organisations (CycloneDX `author`/`authors`, SPDX originator).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// CycloneDX component type (`library`, `application`, `firmware`, `device`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    /// CycloneDX `bom-ref` or SPDX `SPDXID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Labels (`name@version`) from the document's root component down to
    /// this one, inclusive: which of the organisation's products pulls it in.
    /// Just `[self]` when the component hangs off nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// The SBOM file.
    pub location: String,
}

impl SbomComponent {
    /// `name@version` (or just the name), as used in [`SbomComponent::path`].
    pub fn label(&self) -> String {
        let full = match &self.group {
            Some(g) if !g.is_empty() => format!("{g}/{}", self.name),
            _ => self.name.clone(),
        };
        match &self.version {
            Some(v) if !v.is_empty() => format!("{full}@{v}"),
            _ => full,
        }
    }
}

/// A device seen on the network: a MAC address with the IEEE organisation
/// its prefix is registered to, and what was seen with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkDevice {
    /// MAC address, `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    /// The IEEE registry's organisation name for its block.
    pub organization: String,
    /// The block (`BC5E33`; 7 or 9 hex digits for MA-M and MA-S).
    pub prefix: String,
    /// IP addresses seen with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// Host names seen with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// `covered`, `possibly-covered` or `use-not-covered`, from the user's
    /// use tags (the FCC list covers some vendors only in some uses).
    pub coverage: String,
    /// The use tag that decided it (`subnet 10.20.0.0/16: public-safety`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_tag: Option<String>,
    /// Banners and ports that agree with the vendor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corroboration: Vec<String>,
    /// Where it was seen (`scan.xml:12`, `netlink:RTM_GETNEIGH`).
    pub location: String,
}

/// A security product the operating system has registered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProtectionProduct {
    /// Display name (Windows Security Center `displayName`, Defender, …).
    pub name: String,
    /// `antivirus`, `firewall`, `antispyware`.
    pub category: String,
    /// Real-time protection on, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Signatures up to date, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_date: Option<bool>,
    /// Where it was read from.
    pub location: String,
}

/// A source that could not be read. The scan goes on; the report lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceError {
    /// The file or pseudo-file that failed.
    pub source: String,
    /// What went wrong, for a person to read.
    pub message: String,
}

impl SourceError {
    /// Builds an error for `source`.
    pub fn new(source: impl Into<String>, message: impl Into<String>) -> Self {
        SourceError {
            source: source.into(),
            message: message.into(),
        }
    }
}

/// Facts about the scanned host or image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Host {
    /// Host name (`/etc/hostname`, or the kernel's on a live scan).
    pub hostname: String,
    /// OS family: `linux`, `windows`, `macos`.
    pub os: String,
    /// `ID` from os-release (`debian`, `rhel`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<String>,
    /// `VERSION_ID` from os-release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro_version: Option<String>,
    /// `PRETTY_NAME` from os-release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Running kernel release (live scans only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// `/etc/machine-id`, which identifies the install across renames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    /// The scanned root directory as given.
    pub root: String,
    /// True when the running system was scanned.
    pub live: bool,
}
