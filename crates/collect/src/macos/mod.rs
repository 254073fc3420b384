//! macOS evidence: bundles, receipts, launchd jobs, extensions, code signatures.
//! (Being written: see ARCHITECTURE.md.)

use crate::Collector;

/// Every macOS collector, in report order.
pub fn collectors() -> Vec<Box<dyn Collector>> {
    Vec::new()
}

/// Fills OS facts (name, version, host name) into `host`.
pub fn host_facts(_root: &crate::Root, _host: &mut uproot_inventory::Host) {}
