//! Host facts: name, distribution, kernel and machine id.
//!
//! For a mounted image these come from the image's own files, never from
//! the scanning machine, so a report always describes what was scanned.

use uproot_inventory::Host;

use crate::{Platform, Root};

/// Reads host facts from the root. Windows and macOS facts come from their
/// own modules (registry `ComputerName`, `SystemVersion.plist`) when present.
pub fn host_facts(
    root: &Root,
    shown_root: &str,
    platform: Platform,
    collected: Option<&Host>,
) -> Host {
    let mut host = linux_facts(root, shown_root);
    host.os = platform.as_str().to_owned();
    match platform {
        Platform::Linux => {}
        Platform::Windows => match collected {
            Some(found) => crate::windows::apply_facts(found, &mut host),
            None => crate::windows::host_facts(root, &mut host),
        },
        Platform::Macos => crate::macos::host_facts(root, &mut host),
    }
    host
}

fn linux_facts(root: &Root, shown_root: &str) -> Host {
    let read = |p: &str| {
        root.read_limited(p, 64 << 10)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let os_release = read("/etc/os-release")
        .or_else(|| read("/usr/lib/os-release"))
        .unwrap_or_default();
    let field = |k: &str| {
        os_release.lines().find_map(|l| {
            l.strip_prefix(k)?
                .strip_prefix('=')
                .map(|v| v.trim_matches('"').to_owned())
        })
    };
    let hostname = if root.is_live() {
        read("/proc/sys/kernel/hostname")
    } else {
        None
    }
    .or_else(|| read("/etc/hostname"))
    .unwrap_or_else(|| "unknown".into());
    Host {
        hostname,
        os: "linux".into(),
        distro: field("ID"),
        distro_version: field("VERSION_ID"),
        pretty_name: field("PRETTY_NAME"),
        kernel: if root.is_live() {
            read("/proc/sys/kernel/osrelease")
        } else {
            None
        },
        machine_id: read("/etc/machine-id"),
        root: shown_root.to_owned(),
        live: root.is_live(),
    }
}
