//! Host facts from the hives: the computer name (SYSTEM) and the Windows
//! edition, release and build (SOFTWARE\Microsoft\Windows NT\CurrentVersion).
//!
//! Windows 11 still writes `ProductName` = "Windows 10 …"; a build of 22000 or
//! later is Windows 11, so the name is corrected, as `winver` does.

use uproot_inventory::Host;

use super::hive::{Hive, HiveError};
use super::services::current_control_set;
use super::source;
use crate::{Output, Root};

const CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";

/// The OS identity from SOFTWARE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsFacts {
    /// `ProductName`, corrected for Windows 11.
    pub product_name: Option<String>,
    /// `DisplayVersion` (20H2 and later), else `ReleaseId`, else `CurrentVersion` (6.1 …).
    pub version: Option<String>,
    /// `CurrentBuild` (or `CurrentBuildNumber`).
    pub build: Option<String>,
}

/// Reads [`OsFacts`]; all fields `None` when the key is missing.
pub fn os_facts(software: &mut Hive) -> Result<OsFacts, HiveError> {
    let Some(k) = software.key(CURRENT_VERSION)? else {
        return Ok(OsFacts::default());
    };
    let build = k
        .text("CurrentBuild")
        .or_else(|| k.text("CurrentBuildNumber"));
    let mut product_name = k.text("ProductName");
    let is_11 = build
        .as_deref()
        .and_then(|b| b.parse::<u32>().ok())
        .is_some_and(|b| b >= 22000);
    if let (true, Some(name)) = (is_11, product_name.as_mut()) {
        if let Some(rest) = name.strip_prefix("Windows 10") {
            *name = format!("Windows 11{rest}");
        }
    }
    Ok(OsFacts {
        product_name,
        version: k
            .text("DisplayVersion")
            .or_else(|| k.text("ReleaseId"))
            .or_else(|| k.text("CurrentVersion")),
        build,
    })
}

/// The computer name: `ComputerName\ComputerName` of the current control set,
/// else the TCP/IP `Hostname`.
pub fn computer_name(system: &mut Hive) -> Result<Option<String>, HiveError> {
    let Some(set) = current_control_set(system)? else {
        return Ok(None);
    };
    if let Some(n) = system
        .key(&format!("{set}\\Control\\ComputerName\\ComputerName"))?
        .and_then(|k| k.text("ComputerName"))
    {
        return Ok(Some(n));
    }
    Ok(system
        .key(&format!("{set}\\Services\\Tcpip\\Parameters"))?
        .and_then(|k| k.text("Hostname")))
}

/// Fills `host` from the hives under `root`. Unreadable hives leave fields as they were.
pub fn fill(root: &Root, host: &mut Host) {
    let mut hives = source::Hives::new(root);
    fill_from(&mut hives, host);
}

/// Fills `host` from already-open hives (the registry collector does this so
/// that SOFTWARE is not parsed again just for the OS name).
pub fn fill_from(hives: &mut source::Hives, host: &mut Host) {
    let mut ignore = Output::default();
    host.os = "windows".into();
    host.distro = Some("windows".into());
    if let Some(sw) = hives.software(&mut ignore) {
        if let Ok(f) = os_facts(sw) {
            let mut pretty = f.product_name.clone().unwrap_or_else(|| "Windows".into());
            if let Some(v) = &f.version {
                pretty = format!("{pretty} {v}");
            }
            if let Some(b) = &f.build {
                pretty = format!("{pretty} (build {b})");
            }
            if f.product_name.is_some() || f.build.is_some() {
                host.pretty_name = Some(pretty);
            }
            host.distro_version = f.version.or(f.build);
        }
    }
    if let Some(sys) = hives.system(&mut ignore) {
        if let Ok(Some(name)) = computer_name(sys) {
            host.hostname = name;
        }
    }
}
