//! launchd jobs: the daemons and agents that keep a product running.
//!
//! A product's app can be deleted while its `LaunchDaemon` keeps starting its
//! engine at every boot, so jobs are evidence in their own right (and what a
//! removal must undo). Each `*.plist` job file in
//!
//! | directory | scope |
//! | --- | --- |
//! | `/Library/LaunchDaemons`, `/System/Library/LaunchDaemons` | `launchd-daemon` |
//! | `/Library/LaunchAgents`, `/System/Library/LaunchAgents` | `launchd-agent` |
//! | `~/Library/LaunchAgents` of every user | `launchd-user-agent` |
//!
//! gives one [`Service`]: `name` is `Label` (the file stem when missing),
//! `exec` is `Program` followed by `ProgramArguments`, joined by spaces (the
//! way plaso shows it: argv\[0\] is kept when both keys are present, since
//! it is harmless to a path match and sometimes itself a product name).
//!
//! `enabled` is true when the job starts by itself, that is `RunAtLoad`, or
//! `KeepAlive` (a boolean, or a dictionary of conditions), or the pre-10.5
//! `OnDemand = false` that `KeepAlive` replaced; and it is not disabled.
//! Disabled means the job's `Disabled` key, overridden both ways by
//! `launchctl disable/enable`, which launchd stores in
//! `/private/var/db/com.apple.xpc.launchd/disabled.plist` (label → bool).
//! `start` is `disabled`, `auto` (starts by itself) or `manual` (on demand).
//! Per-user overrides (`disabled.<uid>.plist`) are not applied.

use std::collections::HashSet;

use plist::{Dictionary, Value};
use uproot_inventory::Service;

use super::bundle;
use super::plist as pl;
use crate::root::{join, EntryType};
use crate::{users, CollectOptions, Collector, Output, Root};

/// The launchd job collector.
pub struct Launchd;

/// System job directories and the scope of each.
pub const SYSTEM_DIRS: &[(&str, &str)] = &[
    ("/Library/LaunchDaemons", "launchd-daemon"),
    ("/Library/LaunchAgents", "launchd-agent"),
    ("/System/Library/LaunchDaemons", "launchd-daemon"),
    ("/System/Library/LaunchAgents", "launchd-agent"),
];
/// Scope of jobs in a user's `~/Library/LaunchAgents`.
pub const USER_SCOPE: &str = "launchd-user-agent";
/// launchd's record of `launchctl enable` / `disable` for the system domain.
pub const OVERRIDES: &str = "/private/var/db/com.apple.xpc.launchd/disabled.plist";

impl Collector for Launchd {
    fn name(&self) -> &'static str {
        "launchd"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let overrides = match pl::read_dict(root, OVERRIDES) {
            Ok(d) => d,
            Err(e) => {
                e.record(out);
                Dictionary::new()
            }
        };
        let mut seen = HashSet::new();
        for (dir, scope) in SYSTEM_DIRS {
            job_dir(root, dir, scope, &overrides, &mut seen, out);
        }
        let none = Dictionary::new();
        for home in users::homes(root) {
            let dir = join(&home, "Library/LaunchAgents");
            job_dir(root, &dir, USER_SCOPE, &none, &mut seen, out);
        }
    }
}

fn job_dir(
    root: &Root,
    dir: &str,
    scope: &str,
    overrides: &Dictionary,
    seen: &mut HashSet<String>,
    out: &mut Output,
) {
    let Ok(real) = root.canonical(dir) else {
        return;
    };
    if !seen.insert(real) {
        return;
    }
    let entries = match root.read_dir(dir) {
        Ok(e) => e,
        Err(e) => return out.error_unless_missing(e),
    };
    for e in entries {
        if !matches!(e.file_type, EntryType::File | EntryType::Symlink)
            || !e.name.ends_with(".plist")
        {
            continue;
        }
        let path = join(dir, &e.name);
        match pl::read_dict(root, &path) {
            Ok(d) => out
                .inventory
                .services
                .push(job(&d, &path, scope, overrides)),
            Err(err) => err.record(out),
        }
    }
}

/// The service for one job dictionary read from `path`; `overrides` is the
/// `disabled.plist` dictionary for the job's domain (may be empty).
pub fn job(d: &Dictionary, path: &str, scope: &str, overrides: &Dictionary) -> Service {
    let name = pl::string(d, "Label").unwrap_or_else(|| bundle::stem(path));
    let disabled = pl::boolean(overrides, &name)
        .or_else(|| pl::boolean(d, "Disabled"))
        .unwrap_or(false);
    let keep_alive = match d.get("KeepAlive") {
        Some(Value::Dictionary(conds)) => !conds.is_empty(),
        Some(_) => pl::boolean(d, "KeepAlive").unwrap_or(false),
        None => false,
    };
    let autostart = pl::boolean(d, "RunAtLoad").unwrap_or(false)
        || keep_alive
        || pl::boolean(d, "OnDemand") == Some(false);
    let start = if disabled {
        "disabled"
    } else if autostart {
        "auto"
    } else {
        "manual"
    };
    Service {
        exec: exec(d),
        description: None,
        enabled: autostart && !disabled,
        start: Some(start.into()),
        name,
        scope: scope.to_owned(),
        location: path.to_owned(),
    }
}

/// `Program` then `ProgramArguments`, joined by spaces.
pub fn exec(d: &Dictionary) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(p) = d.get("Program").and_then(Value::as_string) {
        parts.push(p);
    }
    if let Some(args) = d.get("ProgramArguments").and_then(Value::as_array) {
        parts.extend(args.iter().filter_map(Value::as_string));
    }
    let s = parts.join(" ");
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}
