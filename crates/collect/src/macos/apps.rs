//! Application bundles: `/Applications`, `/System/Applications`, one folder
//! level below each (`/Applications/Utilities`), and every user's
//! `~/Applications`.
//!
//! Most Mac software is installed by dragging a bundle, with no package
//! database at all, so the bundles themselves are the inventory (as in
//! osquery's `apps` table and osv-scalibr's `macapps` extractor). Each gives
//! a [`Package`] from `Contents/Info.plist` and, when its main executable is
//! signed, a [`CodeSigner`](uproot_inventory::CodeSigner) whose Team ID
//! identifies the vendor even when the bundle has been renamed.
//! The signer's `path` is the executable inside the bundle; its `enclosing`
//! is left empty (see [`bundle::signer`]).
//!
//! Field choices:
//! * `name`: `CFBundleName`, else `CFBundleDisplayName`, else the bundle
//!   directory's stem (osv-scalibr names Chrome "Chrome" the same way);
//! * `version`: `CFBundleShortVersionString`, else `CFBundleVersion`, else
//!   empty (osv-scalibr leaves it empty instead of falling back);
//! * `id`: `CFBundleIdentifier`; `install_location`: the bundle path;
//!   `location`: the `Info.plist` path; `scope`: `machine` or `user:<name>`.
//!
//! A bundle whose `Info.plist` is missing or invalid is still reported, by its
//! directory name and with an empty version, and the invalid plist is also an
//! error entry: a broken `Kaspersky Internet Security.app` is still evidence.

use uproot_inventory::{Package, PackageSource};

use super::bundle::{self, Bundle, BundleWalk};
use crate::root::join;
use crate::{users, CollectOptions, Collector, Output, Root};

/// The application-bundle collector.
pub struct Apps;

/// Machine-wide application folders.
pub const MACHINE_DIRS: &[&str] = &["/Applications", "/System/Applications"];

impl Collector for Apps {
    fn name(&self) -> &'static str {
        "macos-apps"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let mut walk = BundleWalk::new();
        for dir in MACHINE_DIRS {
            for path in walk.list(root, dir, ".app", true, out) {
                app(root, &path, "machine", out);
            }
        }
        for home in users::homes(root) {
            let scope = bundle::user_scope(&home);
            for path in walk.list(root, &join(&home, "Applications"), ".app", true, out) {
                app(root, &path, &scope, out);
            }
        }
    }
}

/// Reads one `.app` bundle into a package and, if signed, a code signer.
pub fn app(root: &Root, path: &str, scope: &str, out: &mut Output) {
    let b = Bundle::open(root, path, out);
    out.inventory.packages.push(package(&b, scope));
    if let Some(signer) = bundle::signer(root, &b.executable(), None, out) {
        out.inventory.signers.push(signer);
    }
}

/// The package record for an app bundle (see the module docs for the fields).
pub fn package(b: &Bundle, scope: &str) -> Package {
    let name = b
        .string("CFBundleName")
        .or_else(|| b.string("CFBundleDisplayName"))
        .unwrap_or_else(|| b.stem());
    let mut p = Package::new(
        &name,
        &b.version().unwrap_or_default(),
        PackageSource::MacApp,
        &b.info_path,
    );
    p.id = b.identifier();
    p.install_location = Some(b.path.clone());
    p.scope = Some(scope.to_owned());
    p
}
