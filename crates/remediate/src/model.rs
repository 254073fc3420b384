//! The plan: plain data between the planner, the renderers and the executor.
//!
//! Field names are part of the `uproot.plan/1` contract: fields may be added
//! within version 1; renaming or removing one needs `uproot.plan/2`.

use serde::{Deserialize, Serialize};
use uproot_inventory::Host;

/// The schema identifier written into every plan.
pub const SCHEMA: &str = "uproot.plan/1";

/// The ordered removal steps for one host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The tool that wrote the plan.
    pub tool: uproot_report::Tool,
    /// The host the plan is for, as the scan described it (`root`, `live`).
    pub host: Host,
    /// OS family the steps are written for: `linux`, `windows` or `macos`.
    pub os: String,
    /// The scan the plan was made from.
    pub source: PlanSource,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
    /// Values a person must supply (uninstall passwords); never guessed.
    pub inputs: Vec<Input>,
    /// Findings no step acts on, each with the reason.
    pub unplanned: Vec<Unplanned>,
}

/// Which scan a plan was made from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanSource {
    /// `generated_at` of the report.
    pub report_generated_at: String,
    /// Catalog version of the report.
    pub catalog_version: String,
    /// Number of findings in the report.
    pub findings: usize,
}

/// One removal step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// `1`, `2`, … in execution order.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// The findings this step removes.
    pub finding_ids: Vec<String>,
    /// What to do.
    pub action: Action,
    /// The commands the step runs on this host (argv lists; inputs appear as
    /// `<NAME>`). Steps that only change files have none: `changes` says what.
    pub commands: Vec<Vec<String>>,
    /// What the step changes.
    pub changes: String,
    /// How the step's effect is verified.
    pub verify: String,
    /// Names of [`Input`]s the step needs.
    pub requires_input: Vec<String>,
}

impl Step {
    /// True when a person must carry out the step.
    pub fn is_manual(&self) -> bool {
        matches!(self.action, Action::Manual { .. })
    }
}

/// A value a person supplies (`uproot remove --input NAME=VALUE`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Input {
    /// Name, e.g. `KLPASSWD`.
    pub name: String,
    /// What it is and where to get it.
    pub description: String,
    /// True for passwords: never printed or logged.
    pub secret: bool,
    /// How uproot encodes the value before use, e.g. `utf16le-hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Steps that use it.
    pub used_by: Vec<String>,
}

/// A finding no step acts on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Unplanned {
    /// Finding id.
    pub finding_id: String,
    /// The finding's summary.
    pub summary: String,
    /// Why there is no step.
    pub reason: String,
}

/// Linux package managers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum PackageManager {
    /// dpkg / apt.
    Dpkg,
    /// rpm / dnf / yum / zypper.
    Rpm,
    /// Alpine apk.
    Apk,
    /// Arch pacman.
    Pacman,
    /// snapd.
    Snap,
    /// Flatpak.
    Flatpak,
}

impl PackageManager {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageManager::Dpkg => "dpkg",
            PackageManager::Rpm => "rpm",
            PackageManager::Apk => "apk",
            PackageManager::Pacman => "pacman",
            PackageManager::Snap => "snap",
            PackageManager::Flatpak => "flatpak",
        }
    }
}

/// How a Linux service is defined.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum InitSystem {
    /// A systemd unit file.
    Systemd,
    /// A SysV init script.
    Sysv,
}

/// An MSI property filled from an [`Input`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MsiProperty {
    /// Property name on the msiexec command line (`KLPASSWD`).
    pub property: String,
    /// The input that supplies it.
    pub input: String,
    /// `utf16le-hex` when the value is passed as UTF-16LE bytes in hex (Network Agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// What a step does. Paths are inside the host's root, written as absolute
/// paths with `/` (also on Windows: `/Program Files/…` is `C:\Program Files\…`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    // ---------------------------------------------------------------- Linux
    /// Remove packages with their package manager (configuration included).
    RemovePackages {
        /// Which manager.
        manager: PackageManager,
        /// Package names.
        packages: Vec<String>,
        /// Database directory inside the root, where it matters (rpm `--dbpath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        db: Option<String>,
        /// rpm database backend (`sqlite`, `ndb`, `bdb`), from the database file name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        db_backend: Option<String>,
    },
    /// Stop and disable a service (live), remove its enablement links, delete its file.
    RemoveService {
        /// systemd or SysV.
        init: InitSystem,
        /// Unit or script name.
        name: String,
        /// The unit file or init script.
        file: String,
        /// Where enablement links live: `/etc/systemd/system` (their
        /// `*.wants`, `*.requires`, `*.upholds` subdirectories) or `/etc` (`rc?.d`).
        link_dir: String,
    },
    /// Unload a kernel module (live) and delete its file.
    RemoveKernelModule {
        /// Module name.
        module: String,
        /// Module file, when one was found.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        /// Kernel release the file belongs to (for `depmod`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel: Option<String>,
    },
    /// Stop trusting a CA certificate: delete the files that hold only it,
    /// remove its PEM block from bundles, remove symlinks to deleted files,
    /// deselect it in `ca-certificates.conf`, then refresh the store (live).
    RemoveCaCertificate {
        /// SHA-256 of the DER certificate, lowercase hex.
        sha256: String,
        /// Subject, for people.
        subject: String,
        /// Every file the scan found it in.
        paths: Vec<String>,
        /// Directories whose symlinks to deleted files are removed (`/etc/ssl/certs`).
        link_dirs: Vec<String>,
        /// `ca-certificates.conf` to deselect it in, when it came from `/usr/share/ca-certificates`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conf: Option<String>,
        /// Store refresh command run on a live host (`update-ca-certificates`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        refresh: Vec<String>,
    },
    /// Delete named files or directory trees (symlinks are unlinked, never followed).
    DeletePath {
        /// Paths inside the root.
        paths: Vec<String>,
        /// What they are, for people (`leftover directory`, `browser extension`, …).
        what: String,
    },
    // -------------------------------------------------------------- Windows
    /// `msiexec /x {ProductCode} … /qn /norestart`.
    MsiUninstall {
        /// `{GUID}` from the Uninstall entry.
        product_code: String,
        /// Display name.
        name: String,
        /// Kaspersky properties filled from inputs.
        properties: Vec<MsiProperty>,
    },
    /// Remove a certificate by thumbprint from a machine store.
    WindowsRemoveCertificate {
        /// `LocalMachine`.
        store_location: String,
        /// Store name (`Root`, `CA`, `AuthRoot`, …).
        store: String,
        /// SHA-1 thumbprint, uppercase hex.
        thumbprint: String,
    },
    /// Stop and delete a service or driver service (`sc.exe delete`).
    WindowsDeleteService {
        /// Service key name.
        name: String,
        /// True for a kernel or file-system driver.
        driver: bool,
    },
    /// Delete a registry key and its subkeys (`reg.exe delete KEY /f`).
    WindowsDeleteRegistryKey {
        /// `HKLM\…`.
        key: String,
    },
    // ---------------------------------------------------------------- macOS
    /// Unload a launchd job and delete its plist.
    LaunchdRemove {
        /// Job label.
        label: String,
        /// The plist.
        plist: String,
        /// `system` (LaunchDaemons) or `gui` (LaunchAgents).
        domain: String,
    },
    /// `pkgutil --forget <id>`.
    PkgutilForget {
        /// Receipt id.
        id: String,
    },
    /// `kmutil unload -b <bundle>` (kextunload on older systems).
    KextUnload {
        /// Bundle id.
        bundle_id: String,
    },
    /// `systemextensionsctl uninstall <team> <bundle>`.
    SystemExtensionUninstall {
        /// Team ID.
        team_id: String,
        /// Bundle id.
        bundle_id: String,
    },
    /// `security delete-certificate -Z <sha1> <keychain>`.
    MacRemoveCertificate {
        /// SHA-1, uppercase hex.
        sha1: String,
        /// Keychain file.
        keychain: String,
    },
    // --------------------------------------------------------------- Any OS
    /// A person must do this; uproot only records that it is pending.
    Manual {
        /// What to do.
        instructions: String,
    },
}

impl Action {
    /// Stable name of the step type (the JSON `type`).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::RemovePackages { .. } => "remove-packages",
            Action::RemoveService { .. } => "remove-service",
            Action::RemoveKernelModule { .. } => "remove-kernel-module",
            Action::RemoveCaCertificate { .. } => "remove-ca-certificate",
            Action::DeletePath { .. } => "delete-path",
            Action::MsiUninstall { .. } => "msi-uninstall",
            Action::WindowsRemoveCertificate { .. } => "windows-remove-certificate",
            Action::WindowsDeleteService { .. } => "windows-delete-service",
            Action::WindowsDeleteRegistryKey { .. } => "windows-delete-registry-key",
            Action::LaunchdRemove { .. } => "launchd-remove",
            Action::PkgutilForget { .. } => "pkgutil-forget",
            Action::KextUnload { .. } => "kext-unload",
            Action::SystemExtensionUninstall { .. } => "system-extension-uninstall",
            Action::MacRemoveCertificate { .. } => "mac-remove-certificate",
            Action::Manual { .. } => "manual",
        }
    }

    /// Every path this action may delete. The executor's deletion guard
    /// refuses any other path.
    pub fn deletable_paths(&self) -> Vec<String> {
        match self {
            Action::RemoveService { file, .. } => vec![file.clone()],
            Action::RemoveKernelModule { file, .. } => file.iter().cloned().collect(),
            Action::RemoveCaCertificate { paths, .. } => paths.clone(),
            Action::DeletePath { paths, .. } => paths.clone(),
            Action::LaunchdRemove { plist, .. } => vec![plist.clone()],
            _ => Vec::new(),
        }
    }
}
