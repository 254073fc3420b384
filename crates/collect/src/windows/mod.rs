//! Windows evidence, read from registry hives.
//!
//! The same code reads a Windows disk image mounted on any OS and, on Windows,
//! the running system: [`source::RegistrySource`] hands out [`hive::Hive`]s,
//! either the files under `Windows/System32/config` and each profile's
//! `NTUSER.DAT`, or copies of the live hives (`live.rs`), and every collector
//! parses them with one offline reader (notatin behind [`guard`], which makes a
//! hostile hive cost no more than its size).
//!
//! | collector | reads | gives |
//! |---|---|---|
//! | [`uninstall`] `windows-uninstall` | `…\CurrentVersion\Uninstall` in SOFTWARE, WOW6432Node and each NTUSER | packages |
//! | [`services`] `windows-services` | `SYSTEM\ControlSetNNN\Services` | services, drivers |
//! | [`vendor_keys`] `windows-registry-keys` | catalog registry paths | registry keys |
//! | [`certs`] `windows-certs` | `SystemCertificates` stores | certificates |
//! | [`protection`] `windows-protection` | Defender, Security Center | protection |
//!
//! Host facts (computer name, edition, build) are in [`host`].

use crate::Collector;

pub mod certs;
pub mod guard;
pub mod hive;
pub mod host;
#[cfg(windows)]
mod live;
pub mod protection;
pub mod services;
pub mod source;
pub mod uninstall;
pub mod vendor_keys;

/// Every Windows collector, in report order.
pub fn collectors() -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(uninstall::Uninstall),
        Box::new(services::Services),
        Box::new(vendor_keys::VendorKeys),
        Box::new(certs::SystemCertificates),
        Box::new(protection::Protection),
    ]
}

/// Fills OS facts (name, version, host name) into `host`.
pub fn host_facts(root: &crate::Root, host: &mut uproot_inventory::Host) {
    host::fill(root, host)
}
