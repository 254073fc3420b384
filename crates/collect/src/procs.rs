//! Running processes, from `/proc` on a live Linux scan.
//!
//! Reads `comm`, `cmdline` and the `exe` link target; it never signals or
//! attaches to a process. Processes that exit mid-scan are skipped silently,
//! because that race is normal, not an error.

use uproot_inventory::Process;

use crate::{CollectOptions, Collector, Output, Root};

/// The process collector.
pub struct Processes;

impl Collector for Processes {
    fn name(&self) -> &'static str {
        "procs"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        // Only a live host root has processes; a virtual root has no host base.
        let Some(live_base) = root.host_base().filter(|_| root.is_live()) else {
            return;
        };
        let entries = match root.read_dir("/proc") {
            Ok(e) => e,
            Err(e) => return out.error_unless_missing(e),
        };
        for e in entries {
            let Ok(pid) = e.name.parse::<u32>() else {
                continue;
            };
            let base = format!("/proc/{pid}");
            let Ok(comm) = root.read_limited(&format!("{base}/comm"), 4096) else {
                continue;
            };
            let cmdline = root
                .read_limited(&format!("{base}/cmdline"), 64 << 10)
                .ok()
                .map(|b| {
                    let s: Vec<String> = b
                        .split(|c| *c == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    s.join(" ")
                });
            // /proc/PID/exe points at a host path by design; read the link text, never follow it.
            let exe = std::fs::read_link(live_base.join(format!("proc/{pid}/exe")))
                .ok()
                .map(|p| p.display().to_string());
            out.inventory.processes.push(Process {
                pid,
                name: String::from_utf8_lossy(&comm).trim_end().to_owned(),
                exe,
                cmdline: cmdline.filter(|c| !c.is_empty()),
            });
        }
    }
}
