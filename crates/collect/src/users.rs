//! Home directories of every user, logged in or not.
//!
//! Per-user installs are where fleet tools go blind (osquery#2732, KSC's
//! logged-off users), so we enumerate homes from `/etc/passwd` *and* from
//! `/home/*` and `/root`: an image may have a home without a passwd entry.

use crate::root::{join, EntryType};
use crate::Root;

/// In-root home directories, sorted and de-duplicated; cached per root.
pub fn homes(root: &Root) -> Vec<String> {
    root.homes().to_vec()
}

pub(crate) fn list_homes(root: &Root) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(text) = root.read_to_string("/etc/passwd") {
        for line in text.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 7
                && f[5].starts_with('/')
                && f[5] != "/"
                && !f[6].ends_with("nologin")
                && !f[6].ends_with("false")
            {
                out.push(f[5].to_owned());
            }
        }
    }
    for base in ["/home", "/Users"] {
        if let Ok(es) = root.read_dir(base) {
            out.extend(
                es.into_iter()
                    .filter(|e| e.file_type == EntryType::Dir)
                    .map(|e| join(base, &e.name)),
            );
        }
    }
    out.push("/root".into());
    out.sort();
    out.dedup();
    out.retain(|h| root.is_dir(h));
    out
}
