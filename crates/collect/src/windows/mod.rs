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
//! Host facts (computer name, edition, build) are in [`host`]. [`Registry`]
//! runs the five readers over one parse of each hive.

use crate::{CollectOptions, Collector, Output, Root};

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
    vec![Box::new(Registry)]
}

/// All registry readers over one set of open hives. Each reader is still
/// skippable by its own name (`--skip windows-certs`); the hives are parsed
/// once per scan instead of once per reader.
pub struct Registry;

/// A reader of already-open hives, by its `--skip` name.
type Reader = fn(&mut source::Hives, &CollectOptions, &mut Output);

const READERS: &[(&str, Reader)] = &[
    ("windows-uninstall", uninstall::collect_from),
    ("windows-services", services::collect_from),
    ("windows-registry-keys", vendor_keys::collect_from),
    ("windows-certs", certs::collect_from),
    ("windows-protection", protection::collect_from),
];

impl Collector for Registry {
    fn name(&self) -> &'static str {
        "windows-registry"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = source::Hives::new(root);
        for (name, read) in READERS {
            if !opts.skip.iter().any(|s| s == name) {
                read(&mut hives, opts, out);
            }
        }
        let mut host = uproot_inventory::Host::default();
        host::fill_from(&mut hives, &mut host);
        out.host = Some(host);
        hives.report(out);
    }
}

/// Fills OS facts (name, version, host name) into `host`.
pub fn host_facts(root: &crate::Root, host: &mut uproot_inventory::Host) {
    host::fill(root, host)
}

/// Copies the facts a collector already read into `host`.
pub fn apply_facts(found: &uproot_inventory::Host, host: &mut uproot_inventory::Host) {
    host.os = found.os.clone();
    host.distro = found.distro.clone();
    host.distro_version = found.distro_version.clone().or(host.distro_version.take());
    host.pretty_name = found.pretty_name.clone().or(host.pretty_name.take());
    if !found.hostname.is_empty() {
        host.hostname = found.hostname.clone();
    }
}
