//! Kernel modules: loaded (`/proc/modules`, live scans) and installed
//! (`/lib/modules/<release>/**/*.ko[.xz|.zst|.gz]`).
//!
//! An installed but unloaded module still matters: it loads at next boot.
//! Only directory entries are read, never the module files themselves.

use std::collections::HashSet;

use uproot_inventory::KernelModule;

use crate::root::{join, EntryType};
use crate::{CollectOptions, Collector, Output, Root};

/// The kernel-module collector.
pub struct KernelModules;

const MODULE_DIRS: &[&str] = &["/lib/modules", "/usr/lib/modules"];
const MAX_DEPTH: usize = 12;

impl Collector for KernelModules {
    fn name(&self) -> &'static str {
        "kmod"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        if root.is_live() {
            match root.read_to_string("/proc/modules") {
                Ok(text) => out.inventory.kernel_modules.extend(
                    text.lines()
                        .filter_map(|l| l.split_whitespace().next())
                        .map(|n| KernelModule {
                            name: n.to_owned(),
                            loaded: true,
                            location: "/proc/modules".into(),
                        }),
                ),
                Err(e) => out.error_unless_missing(e),
            }
        }
        let mut seen = HashSet::new();
        for dir in MODULE_DIRS {
            let Ok(host) = root.canonical(dir) else {
                continue;
            };
            if seen.insert(host) {
                walk(root, dir, 0, out);
            }
        }
    }
}

fn walk(root: &Root, dir: &str, depth: usize, out: &mut Output) {
    if depth > MAX_DEPTH {
        return out.error(
            dir,
            format!("module tree deeper than {MAX_DEPTH} levels; not descended"),
        );
    }
    let entries = match root.read_dir(dir) {
        Ok(e) => e,
        Err(e) => return out.error_unless_missing(e),
    };
    for e in entries {
        let path = join(dir, &e.name);
        match e.file_type {
            EntryType::Dir => walk(root, &path, depth + 1, out),
            EntryType::File => {
                if let Some(name) = module_name(&e.name) {
                    out.inventory.kernel_modules.push(KernelModule {
                        name,
                        loaded: false,
                        location: path,
                    });
                }
            }
            _ => {}
        }
    }
}

/// `kav4fs_oas.ko.xz` → `kav4fs_oas`. The kernel treats `-` and `_` alike in
/// module names and reports `_`, so we normalise to `_`.
pub fn module_name(file: &str) -> Option<String> {
    let stem = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"]
        .iter()
        .find_map(|s| file.strip_suffix(s))?;
    Some(stem.replace('-', "_"))
}
