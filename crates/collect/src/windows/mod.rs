//! Windows evidence, read offline from registry hives and the disk.
//! (Being written: see ARCHITECTURE.md.)

use crate::Collector;

/// Every Windows collector, in report order.
pub fn collectors() -> Vec<Box<dyn Collector>> {
    Vec::new()
}

/// Fills OS facts (name, version, host name) into `host`.
pub fn host_facts(_root: &crate::Root, _host: &mut uproot_inventory::Host) {}
