//! Kernel-level components: system extensions and kernel extensions (kexts).
//!
//! Security products hook the OS here (Kaspersky's `klif.kext`, its
//! `com.kaspersky.kav.sysext` endpoint-security extension), and both kinds
//! record who signed them, so a Team ID identifies the vendor without
//! trusting any name.
//!
//! **System extensions.** `/Library/SystemExtensions/db.plist` is sysextd's
//! database (binary plist; what `systemextensionsctl list` prints). Each entry
//! of its `extensions` array gives a [`Driver`] with `driver_type`
//! `system-extension`, `name` = `identifier`, `team_id` = `teamID`, `start` =
//! `state` (`activated_enabled`, `terminated_waiting_to_uninstall_on_reboot`, …)
//! and `file` = the staged bundle (`stagedBundleURL`, a `file://` URL), else
//! `originPath`. Staged bundles under `/Library/SystemExtensions/<uuid>/` are
//! also read: one that the database does not list (a leftover, or a database
//! that was deleted) gives a driver of its own with its `CFBundleIdentifier`
//! and signature Team ID, and every staged executable gives a
//! [`CodeSigner`](uproot_inventory::CodeSigner).
//!
//! **Kernel extensions.** Each `*.kext` in `/Library/Extensions`,
//! `/System/Library/Extensions` and `/Library/StagedExtensions/Library/Extensions`
//! (where macOS 11+ copies third-party kexts), and one level of
//! `Contents/PlugIns/*.kext` inside each, gives a driver with `driver_type`
//! `kext`, `name` = `CFBundleIdentifier` (the stem when missing), `file` =
//! the bundle path, and `team_id` from the executable's signature. Whether a
//! kext is loaded or approved (`KextPolicy`) is not read.

use std::collections::HashSet;

use plist::{Dictionary, Value};
use uproot_inventory::Driver;

use super::bundle::{self, Bundle, BundleWalk};
use super::plist as pl;
use crate::root::{join, EntryType};
use crate::{CollectOptions, Collector, Output, Root};

/// The system- and kernel-extension collector.
pub struct Extensions;

/// sysextd's database.
pub const SYSEXT_DB: &str = "/Library/SystemExtensions/db.plist";
/// Where sysextd stages extension bundles, one `<uuid>` folder each.
pub const SYSEXT_DIR: &str = "/Library/SystemExtensions";
/// Kernel extension folders.
pub const KEXT_DIRS: &[&str] = &[
    "/Library/Extensions",
    "/System/Library/Extensions",
    "/Library/StagedExtensions/Library/Extensions",
];

impl Collector for Extensions {
    fn name(&self) -> &'static str {
        "macos-extensions"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let listed = match pl::read(root, SYSEXT_DB) {
            Ok(v) => match system_extensions(&v, SYSEXT_DB) {
                Ok(drivers) => drivers,
                Err(e) => {
                    out.error(SYSEXT_DB, e);
                    Vec::new()
                }
            },
            Err(e) => {
                e.record(out);
                Vec::new()
            }
        };
        let files: HashSet<String> = listed.iter().filter_map(|d| d.file.clone()).collect();
        out.inventory.drivers.extend(listed);
        let mut walk = BundleWalk::new();
        staged_bundles(root, &files, &mut walk, out);
        for dir in KEXT_DIRS {
            for path in walk.list(root, dir, ".kext", false, out) {
                kext(root, &path, out);
                let plugins = join(&path, "Contents/PlugIns");
                for inner in walk.list(root, &plugins, ".kext", false, out) {
                    kext(root, &inner, out);
                }
            }
        }
    }
}

/// The drivers listed in a `db.plist` value (see the module docs).
pub fn system_extensions(v: &Value, path: &str) -> Result<Vec<Driver>, String> {
    let db = v.as_dictionary().ok_or_else(|| {
        format!(
            "invalid system extension database: top level is {}",
            pl::kind(v)
        )
    })?;
    let Some(list) = db.get("extensions").and_then(Value::as_array) else {
        return Err("invalid system extension database: no `extensions` array".into());
    };
    Ok(list
        .iter()
        .filter_map(Value::as_dictionary)
        .filter_map(|e| {
            let name = pl::string(e, "identifier")?;
            Some(Driver {
                name,
                file: staged_path(e).or_else(|| pl::string(e, "originPath")),
                driver_type: "system-extension".into(),
                start: pl::string(e, "state"),
                altitudes: Vec::new(),
                team_id: pl::string(e, "teamID"),
                location: path.to_owned(),
            })
        })
        .collect())
}

/// `stagedBundleURL.relative` as an in-root path without the trailing slash.
fn staged_path(e: &Dictionary) -> Option<String> {
    let url = match e.get("stagedBundleURL")? {
        Value::Dictionary(d) => pl::string(d, "relative")?,
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let path = url.strip_prefix("file://")?;
    let path = percent_decode(path);
    let path = path.trim_end_matches('/');
    (path.starts_with('/') && path.len() > 1).then(|| path.to_owned())
}

/// Decodes `%XX` escapes of a URL path; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/Library/SystemExtensions/<uuid>/*.systemextension`.
fn staged_bundles(root: &Root, listed: &HashSet<String>, walk: &mut BundleWalk, out: &mut Output) {
    let Ok(entries) = root.read_dir(SYSEXT_DIR) else {
        return;
    };
    for e in entries
        .into_iter()
        .filter(|e| e.file_type == EntryType::Dir)
    {
        let dir = join(SYSEXT_DIR, &e.name);
        for path in walk.list(root, &dir, ".systemextension", false, out) {
            let b = Bundle::open(root, &path, out);
            let signer = bundle::signer(root, &b.executable(), None, out);
            if !listed.contains(&path) {
                out.inventory.drivers.push(Driver {
                    name: b.identifier().unwrap_or_else(|| b.stem()),
                    file: Some(path.clone()),
                    driver_type: "system-extension".into(),
                    start: None,
                    altitudes: Vec::new(),
                    team_id: signer.as_ref().and_then(|s| s.team_id.clone()),
                    location: b.info_path.clone(),
                });
            }
            out.inventory.signers.extend(signer);
        }
    }
}

/// One kext bundle: a driver and, if signed, its signer.
fn kext(root: &Root, path: &str, out: &mut Output) {
    let b = Bundle::open(root, path, out);
    let signer = bundle::signer(root, &b.executable(), None, out);
    out.inventory.drivers.push(Driver {
        name: b.identifier().unwrap_or_else(|| b.stem()),
        file: Some(path.to_owned()),
        driver_type: "kext".into(),
        start: None,
        altitudes: Vec::new(),
        team_id: signer.as_ref().and_then(|s| s.team_id.clone()),
        location: b.info_path.clone(),
    });
    out.inventory.signers.extend(signer);
}
