//! Services: systemd units (system and user scope) and SysV init scripts.
//!
//! Units are read in systemd's precedence order (`/etc` before `/run` before
//! `/usr/lib`), so an override wins, and a unit is *enabled* when some
//! `*.wants/` or `*.requires/` directory links to it. A unit masked to
//! `/dev/null` is reported with no command, since it cannot start.

use std::collections::{HashMap, HashSet};

use uproot_inventory::Service;

use crate::root::{join, EntryType};
use crate::{users, CollectOptions, Collector, Output, Root};

/// The services collector.
pub struct Systemd;

const SYSTEM_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];
const USER_DIRS: &[&str] = &[
    "/etc/systemd/user",
    "/usr/lib/systemd/user",
    "/lib/systemd/user",
];
const UNIT_SUFFIXES: &[&str] = &[".service", ".socket", ".timer", ".path", ".mount"];

impl Collector for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let system: Vec<String> = SYSTEM_DIRS.iter().map(|s| s.to_string()).collect();
        scan_scope(root, &system, "system", out);
        let mut user: Vec<String> = USER_DIRS.iter().map(|s| s.to_string()).collect();
        user.extend(
            users::homes(root)
                .into_iter()
                .map(|h| join(&h, ".config/systemd/user")),
        );
        scan_scope(root, &user, "user", out);
        scan_sysv(root, out);
    }
}

fn scan_scope(root: &Root, dirs: &[String], scope: &str, out: &mut Output) {
    let mut seen_dirs = HashSet::new();
    let mut units: Vec<(String, String)> = Vec::new();
    let mut seen_units = HashSet::new();
    let mut enabled: HashSet<String> = HashSet::new();
    for dir in dirs {
        // Merged-/usr systems reach /usr/lib through /lib too; read each real directory once.
        let Ok(host) = root.canonical(dir) else {
            continue;
        };
        if !seen_dirs.insert(host) {
            continue;
        }
        let entries = match root.read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                out.error_unless_missing(e);
                continue;
            }
        };
        for e in &entries {
            if e.file_type == EntryType::Dir
                && (e.name.ends_with(".wants") || e.name.ends_with(".requires"))
            {
                if let Ok(links) = root.read_dir(&join(dir, &e.name)) {
                    enabled.extend(links.into_iter().map(|l| l.name));
                }
            } else if UNIT_SUFFIXES.iter().any(|s| e.name.ends_with(s))
                && seen_units.insert(e.name.clone())
            {
                units.push((e.name.clone(), join(dir, &e.name)));
            }
        }
    }
    for (name, path) in units {
        let masked = root
            .read_link(&path)
            .map(|t| t.as_os_str() == "/dev/null")
            .unwrap_or(false);
        let fields = if masked {
            HashMap::new()
        } else {
            match root.read_limited(&path, 1 << 20) {
                Ok(bytes) => parse_unit(&String::from_utf8_lossy(&bytes)),
                Err(e) => {
                    out.error_unless_missing(e);
                    continue;
                }
            }
        };
        // A template (`clamd@.service`) is never enabled itself; its instances
        // (`clamd@scan.service`) are, by links in `*.wants/`. Each enabled
        // instance is its own service, run by the template's command.
        if let Some((stem, suffix)) = name.split_once("@.") {
            let mut instances: Vec<&String> = enabled
                .iter()
                .filter(|e| {
                    e.starts_with(&format!("{stem}@"))
                        && e.ends_with(&format!(".{suffix}"))
                        && e.len() > name.len()
                })
                .collect();
            instances.sort();
            for inst in instances {
                out.inventory.services.push(Service {
                    enabled: true,
                    start: None,
                    exec: fields.get("ExecStart").cloned(),
                    description: fields.get("Description").cloned(),
                    name: inst.clone(),
                    scope: scope.to_owned(),
                    location: path.clone(),
                });
            }
        }
        out.inventory.services.push(Service {
            enabled: enabled.contains(&name),
            start: None,
            exec: fields.get("ExecStart").cloned(),
            description: fields.get("Description").cloned(),
            name,
            scope: scope.to_owned(),
            location: path,
        });
    }
}

/// First value of each key in a unit file; `ExecStart` prefixes (`-`, `@`, `+`, `!`) are stripped.
pub fn parse_unit(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', ';', '[']) {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let mut v = v.trim();
            if k.trim() == "ExecStart" {
                v = v.trim_start_matches(['-', '@', '+', '!', ':']);
            }
            if !v.is_empty() {
                map.entry(k.trim().to_owned())
                    .or_insert_with(|| v.to_owned());
            }
        }
    }
    map
}

fn scan_sysv(root: &Root, out: &mut Output) {
    let Ok(entries) = root.read_dir("/etc/init.d") else {
        return;
    };
    for e in entries
        .into_iter()
        .filter(|e| e.file_type != EntryType::Dir)
    {
        if e.name.starts_with('.') || e.name == "README" || e.name == "skeleton" {
            continue;
        }
        out.inventory.services.push(Service {
            location: join("/etc/init.d", &e.name),
            exec: Some(join("/etc/init.d", &e.name)),
            name: e.name,
            scope: "sysv".into(),
            description: None,
            enabled: false,
            start: None,
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exec_prefixes_are_stripped() {
        let m = super::parse_unit("[Service]\nExecStart=-/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl start\nDescription=KESL\n");
        assert_eq!(
            m["ExecStart"],
            "/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl start"
        );
    }
}
