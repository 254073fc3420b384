//! Host facts of a macOS root: OS name, version and build, and host name.
//!
//! They come from the image's own files, so a mounted disk is described as
//! itself: `SystemVersion.plist` is what `sw_vers` prints, and
//! `preferences.plist` is where `scutil --get` reads the names.
//!
//! The host name is the first of `HostName` (set explicitly, what
//! `hostname` prints), `LocalHostName` (the Bonjour name, `name.local`) and
//! `ComputerName` (the friendly name shown in Sharing). A name that is not
//! there leaves the existing value alone.

use plist::{Dictionary, Value};
use uproot_inventory::Host;

use super::plist as pl;
use crate::Root;

/// What `sw_vers` reads.
pub const SYSTEM_VERSION: &str = "/System/Library/CoreServices/SystemVersion.plist";
/// Where `scutil` keeps the host names.
pub const PREFERENCES: &str = "/Library/Preferences/SystemConfiguration/preferences.plist";

/// Fills `pretty_name` (`macOS 14.4.1 (23E224)`), `distro` (`macos`),
/// `distro_version` and, when recorded, `hostname`.
pub fn host_facts(root: &Root, host: &mut Host) {
    if let Ok(v) = pl::read_dict(root, SYSTEM_VERSION) {
        apply_system_version(&v, host);
    }
    if let Ok(p) = pl::read_dict(root, PREFERENCES) {
        if let Some(name) = hostname(&p) {
            host.hostname = name;
        }
    }
}

/// Applies a `SystemVersion.plist` dictionary to `host`.
pub fn apply_system_version(v: &Dictionary, host: &mut Host) {
    let product = pl::string(v, "ProductName").unwrap_or_else(|| "macOS".into());
    let version = pl::string(v, "ProductVersion");
    let build = pl::string(v, "ProductBuildVersion");
    let mut pretty = product;
    if let Some(ver) = &version {
        pretty = format!("{pretty} {ver}");
    }
    if let Some(b) = &build {
        pretty = format!("{pretty} ({b})");
    }
    host.pretty_name = Some(pretty);
    host.distro = Some("macos".into());
    host.distro_version = version;
}

/// The host name recorded in a `preferences.plist` dictionary.
pub fn hostname(p: &Dictionary) -> Option<String> {
    let system = p.get("System").and_then(Value::as_dictionary)?;
    let sys = system.get("System").and_then(Value::as_dictionary);
    let local = system
        .get("Network")
        .and_then(Value::as_dictionary)
        .and_then(|n| n.get("HostNames"))
        .and_then(Value::as_dictionary)
        .and_then(|h| pl::string(h, "LocalHostName"));
    sys.and_then(|s| pl::string(s, "HostName"))
        .or(local)
        .or_else(|| sys.and_then(|s| pl::string(s, "ComputerName")))
}
