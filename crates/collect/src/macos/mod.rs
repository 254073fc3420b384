//! macOS evidence: application bundles, installer receipts, launchd jobs,
//! system and kernel extensions, and the Mach-O code signatures that tie
//! them to a vendor's Apple Developer Team ID.
//!
//! macOS has no single package database. A product is a dragged-in bundle,
//! a `.pkg` receipt, a launch daemon, a kernel or system extension, or all of
//! these, and any of them can be renamed. The one identity that survives
//! renaming is the code signature's Team ID (Kaspersky's is `2Y8XE5CQ94`),
//! so every bundle's main executable is read for it.
//!
//! | module | reads | gives |
//! | --- | --- | --- |
//! | [`apps`] | `/Applications`, `/System/Applications`, `~/Applications` | `Package` (mac-app), `CodeSigner` |
//! | [`receipts`] | `/var/db/receipts`, `InstallHistory.plist`, legacy `/Library/Receipts/*.pkg` | `Package` (mac-receipt) |
//! | [`launchd`] | `Launch{Daemons,Agents}` (system, `/System`, per user) | `Service` |
//! | [`extensions`] | `/Library/SystemExtensions`, `*.kext` folders | `Driver`, `CodeSigner` |
//! | [`facts`] | `SystemVersion.plist`, `preferences.plist` | `Host` |
//! | [`plist`] | bounded XML / binary / OpenStep plist parsing | `plist::Value` |
//! | [`macho`] | Mach-O `LC_CODE_SIGNATURE` → CodeDirectory | identifier, Team ID |
//! | [`bundle`] | bundle discovery, `Info.plist`, executable signature | shared helpers |
//!
//! Everything is read through [`Root`](crate::Root): paths are contained,
//! plists are capped at [`plist::MAX_PLIST_BYTES`], bundles at
//! [`bundle::MAX_BUNDLES`] per collector, and Mach-O files are read by
//! seeking to the few structures needed, never whole.

pub mod apps;
pub mod bundle;
pub mod extensions;
pub mod facts;
pub mod launchd;
pub mod macho;
pub mod plist;
pub mod receipts;

use crate::Collector;

/// Every macOS collector, in report order.
pub fn collectors() -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(apps::Apps),
        Box::new(receipts::Receipts),
        Box::new(launchd::Launchd),
        Box::new(extensions::Extensions),
    ]
}

/// Fills OS facts (name, version, host name) into `host`.
pub fn host_facts(root: &crate::Root, host: &mut uproot_inventory::Host) {
    facts::host_facts(root, host)
}
