//! Installer receipts: what `pkgutil --pkgs` lists, the install history, and
//! pre-Leopard receipt bundles.
//!
//! A vendor `.pkg` leaves a receipt even when its files have moved or its
//! app was renamed, and the receipt id (`com.kaspersky.kav.core`) is stable
//! across releases, so receipts catch installs that bundles miss. Three sources:
//!
//! * `/var/db/receipts/<id>.plist` (also read through `/private/var`): one
//!   installed package each. `name` and `id` are `PackageIdentifier`,
//!   `version` is `PackageVersion`, `install_location` is
//!   `InstallPrefixPath` made absolute. The `.bom` beside it lists files and
//!   is not read.
//! * `/Library/Receipts/InstallHistory.plist`: an array with one row per
//!   installer run. A row is a *log entry*: the package may have been removed
//!   since. Each row gives one package with `name` = `displayName` (what a
//!   person recognises; the first identifier when it is missing),
//!   `version` = `displayVersion`, `id` = the **first** of
//!   `packageIdentifiers` (the rest name sub-packages of the same product),
//!   and `state` = `history` so that the matcher and report can tell a past
//!   install from a present one. Rows are reported in file order.
//! * legacy `/Library/Receipts/*.pkg` bundles (Mac OS X 10.4 and earlier):
//!   `name` is the bundle stem; `id` and `version` come from its
//!   `Contents/Info.plist` when there is one.

use std::collections::HashSet;

use plist::Value;
use uproot_inventory::{Package, PackageSource};

use super::bundle::{Bundle, BundleWalk};
use super::plist as pl;
use crate::root::{join, EntryType};
use crate::{CollectOptions, Collector, Output, Root};

/// The installer-receipt collector.
pub struct Receipts;

/// Receipt database directories; `/var` is a symlink to `/private/var` on a
/// real system, and an image may have only one of the two.
pub const RECEIPT_DIRS: &[&str] = &["/var/db/receipts", "/private/var/db/receipts"];
/// The installer's history log.
pub const INSTALL_HISTORY: &str = "/Library/Receipts/InstallHistory.plist";
/// Legacy receipt bundles.
pub const LEGACY_DIR: &str = "/Library/Receipts";

/// `state` of a package that comes from the install history log.
pub const HISTORY_STATE: &str = "history";

impl Collector for Receipts {
    fn name(&self) -> &'static str {
        "macos-receipts"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let mut seen = HashSet::new();
        for dir in RECEIPT_DIRS {
            if root.canonical(dir).is_ok_and(|real| seen.insert(real)) {
                receipt_dir(root, dir, out);
            }
        }
        match pl::read(root, INSTALL_HISTORY) {
            Ok(v) => match history(&v, INSTALL_HISTORY) {
                Ok(pkgs) => out.inventory.packages.extend(pkgs),
                Err(e) => out.error(INSTALL_HISTORY, e),
            },
            Err(e) => e.record(out),
        }
        let mut walk = BundleWalk::new();
        for path in walk.list(root, LEGACY_DIR, ".pkg", false, out) {
            let b = Bundle::open(root, &path, out);
            let mut p = Package::new(
                &b.stem(),
                &b.version().unwrap_or_default(),
                PackageSource::MacReceipt,
                &path,
            );
            p.id = b.identifier();
            p.scope = Some("machine".into());
            out.inventory.packages.push(p);
        }
    }
}

fn receipt_dir(root: &Root, dir: &str, out: &mut Output) {
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
            Ok(d) => out.inventory.packages.push(receipt(&d, &path, &e.name)),
            Err(err) => err.record(out),
        }
    }
}

/// The package for one `/var/db/receipts/<file>` dictionary. A receipt
/// without `PackageIdentifier` is named by its file name.
pub fn receipt(d: &plist::Dictionary, path: &str, file_name: &str) -> Package {
    let id = pl::string(d, "PackageIdentifier")
        .unwrap_or_else(|| file_name.trim_end_matches(".plist").to_owned());
    let mut p = Package::new(
        &id,
        &pl::string(d, "PackageVersion").unwrap_or_default(),
        PackageSource::MacReceipt,
        path,
    );
    p.id = Some(id);
    p.install_location = pl::string(d, "InstallPrefixPath").map(|s| {
        if s.starts_with('/') {
            s
        } else {
            format!("/{s}")
        }
    });
    p.scope = Some("machine".into());
    p
}

/// The packages of an `InstallHistory.plist` value, one per row that names
/// something (see the module docs). Rows that are not dictionaries, or have
/// neither `displayName` nor `packageIdentifiers`, are skipped.
pub fn history(v: &Value, path: &str) -> Result<Vec<Package>, String> {
    let rows = v.as_array().ok_or_else(|| {
        format!(
            "invalid install history: top level is {}, not an array",
            pl::kind(v)
        )
    })?;
    let mut out = Vec::new();
    for row in rows.iter().filter_map(Value::as_dictionary) {
        let first_id = row
            .get("packageIdentifiers")
            .and_then(Value::as_array)
            .and_then(|ids| ids.iter().find_map(Value::as_string))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let Some(name) = pl::string(row, "displayName").or_else(|| first_id.clone()) else {
            continue;
        };
        let mut p = Package::new(
            &name,
            &pl::string(row, "displayVersion").unwrap_or_default(),
            PackageSource::MacReceipt,
            path,
        );
        p.id = first_id;
        p.state = Some(HISTORY_STATE.into());
        p.scope = Some("machine".into());
        out.push(p);
    }
    Ok(out)
}
