//! Install and data paths the catalog names (`/opt/kaspersky`, …).
//!
//! Only the named paths are checked, with `lstat`-like calls through the
//! root: cheap enough for every scan, and a leftover directory is evidence
//! that general inventory tools never report.

use uproot_inventory::FileEntry;

use crate::{CollectOptions, Collector, Output, Root};

/// The probe-path collector.
pub struct ProbePaths;

impl Collector for ProbePaths {
    fn name(&self) -> &'static str {
        "paths"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        for path in &opts.probe_paths {
            match root.symlink_metadata(path) {
                Ok(m) => {
                    let file_type = if m.is_dir() {
                        "dir"
                    } else if m.is_symlink() {
                        "symlink"
                    } else {
                        "file"
                    };
                    out.inventory.files.push(FileEntry {
                        path: path.clone(),
                        file_type: file_type.into(),
                        size: m.is_file().then_some(m.len()),
                    });
                }
                Err(e) => out.error_unless_missing(e),
            }
        }
    }
}
