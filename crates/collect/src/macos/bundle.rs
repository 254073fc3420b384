//! Bundles (`.app`, `.kext`, `.systemextension`, legacy `.pkg` receipts):
//! finding them, reading their `Info.plist`, and reading the code signature
//! of their main executable.
//!
//! A bundle is a directory, and its name is only a label: the identity is in
//! `Info.plist` (`CFBundleIdentifier`) and in the executable's signature
//! (Team ID). Both are read here so that every collector treats bundles the
//! same way.

use std::collections::HashSet;
use std::io::Read;

use plist::Dictionary;
use uproot_inventory::CodeSigner;

use super::{macho, plist as pl};
use crate::root::{join, EntryType};
use crate::{Output, Root};

/// Most bundles one collector reads from a root; past this the rest are
/// skipped with an error, so a root with a million fake `.app` directories
/// cannot stall a scan.
pub const MAX_BUNDLES: usize = 20_000;

/// One bundle directory and what its `Info.plist` says.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// In-root path of the bundle directory.
    pub path: String,
    /// In-root path of the `Info.plist` read (or that would have been read).
    pub info_path: String,
    /// The `Info.plist` dictionary; `None` when missing or unreadable.
    pub info: Option<Dictionary>,
    /// True when the plist sits at the bundle root (iOS-style), not in `Contents/`.
    flat: bool,
}

impl Bundle {
    /// Opens the bundle at `path`: `Contents/Info.plist`, or `Info.plist` at
    /// the bundle root when there is no `Contents/`. A missing plist is
    /// silent; an unreadable one is recorded in `out`.
    pub fn open(root: &Root, path: &str, out: &mut Output) -> Bundle {
        let contents = join(path, "Contents/Info.plist");
        let flat_path = join(path, "Info.plist");
        let (info_path, flat) = if !root.exists(&contents) && root.exists(&flat_path) {
            (flat_path, true)
        } else {
            (contents, false)
        };
        let info = match pl::read_dict(root, &info_path) {
            Ok(d) => Some(d),
            Err(e) => {
                e.record(out);
                None
            }
        };
        Bundle {
            path: path.to_owned(),
            info_path,
            info,
            flat,
        }
    }

    /// A string from `Info.plist`.
    pub fn string(&self, key: &str) -> Option<String> {
        self.info.as_ref().and_then(|d| pl::string(d, key))
    }

    /// `CFBundleIdentifier`.
    pub fn identifier(&self) -> Option<String> {
        self.string("CFBundleIdentifier")
    }

    /// `CFBundleShortVersionString`, else `CFBundleVersion`.
    pub fn version(&self) -> Option<String> {
        self.string("CFBundleShortVersionString")
            .or_else(|| self.string("CFBundleVersion"))
    }

    /// The bundle directory name without its extension (`Renamed Tool`).
    pub fn stem(&self) -> String {
        stem(&self.path)
    }

    /// In-root path of the main executable: `Contents/MacOS/<CFBundleExecutable>`,
    /// falling back to the stem, as Launch Services does. A `CFBundleExecutable`
    /// that is not a plain file name is ignored.
    pub fn executable(&self) -> String {
        let name = self
            .string("CFBundleExecutable")
            .filter(|n| !n.contains('/') && n != "." && n != "..")
            .unwrap_or_else(|| self.stem());
        if self.flat {
            join(&self.path, &name)
        } else {
            join(&self.path, &format!("Contents/MacOS/{name}"))
        }
    }
}

/// The last path component without its extension.
pub fn stem(path: &str) -> String {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => name[..i].to_owned(),
        _ => name.to_owned(),
    }
}

/// Collects bundle paths under a root, at most [`MAX_BUNDLES`], each real
/// directory once (a symlinked `/Applications/Foo.app` and its target are one).
pub struct BundleWalk {
    seen: HashSet<String>,
    count: usize,
    over: bool,
}

impl Default for BundleWalk {
    fn default() -> Self {
        Self::new()
    }
}

impl BundleWalk {
    /// An empty walk.
    pub fn new() -> BundleWalk {
        BundleWalk {
            seen: HashSet::new(),
            count: 0,
            over: false,
        }
    }

    /// Bundles directly in `dir` whose name ends with `suffix` (ignoring
    /// case), plus, when `subfolders` is set, those one folder down (as
    /// `/Applications/Utilities/*.app`). A missing `dir` is silent.
    pub fn list(
        &mut self,
        root: &Root,
        dir: &str,
        suffix: &str,
        subfolders: bool,
        out: &mut Output,
    ) -> Vec<String> {
        let mut found = Vec::new();
        let entries = match root.read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                out.error_unless_missing(e);
                return found;
            }
        };
        for e in entries {
            if !matches!(e.file_type, EntryType::Dir | EntryType::Symlink)
                || e.name.starts_with('.')
            {
                continue;
            }
            let path = join(dir, &e.name);
            if has_suffix(&e.name, suffix) {
                if self.admit(root, &path, out) {
                    found.push(path);
                }
            } else if subfolders && root.is_dir(&path) {
                found.extend(self.list(root, &path, suffix, false, out));
            }
        }
        found
    }

    fn admit(&mut self, root: &Root, path: &str, out: &mut Output) -> bool {
        if self.over || !root.is_dir(path) {
            return false;
        }
        if self.count >= MAX_BUNDLES {
            self.over = true;
            out.error(
                path,
                format!("more than {MAX_BUNDLES} bundles; the rest were skipped"),
            );
            return false;
        }
        let Ok(real) = root.canonical(path) else {
            return false;
        };
        if !self.seen.insert(real) {
            return false;
        }
        self.count += 1;
        true
    }
}

fn has_suffix(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len()
        && name.is_char_boundary(name.len() - suffix.len())
        && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Reads the Apple code signature of the file at `path`. Files that are not
/// Mach-O (shell-script executables, missing files) give `None` silently; a
/// malformed Mach-O is recorded in `out` with its path.
///
/// `enclosing` is the product directory for code found *inside another
/// product* (a vendor framework in someone else's app), which the matcher
/// reports as embedded. A bundle's own main executable is the bundle's
/// identity, not something embedded in it, so the collectors here pass `None`:
/// a renamed vendor app is the vendor's product, not a host for its code.
pub fn signer(
    root: &Root,
    path: &str,
    enclosing: Option<&str>,
    out: &mut Output,
) -> Option<CodeSigner> {
    let mut file = match root.open(path) {
        Ok(f) => f,
        Err(e) => {
            out.error_unless_missing(e);
            return None;
        }
    };
    let mut head = Vec::with_capacity(8);
    if let Err(e) = (&mut file).take(8).read_to_end(&mut head) {
        out.error(path, format!("read failed: {e}"));
        return None;
    }
    if !macho::is_macho(&head) {
        return None;
    }
    match macho::read_signature(&mut file) {
        Ok(Some(sig)) => Some(CodeSigner {
            path: path.to_owned(),
            format: "apple".into(),
            subject: sig.identifier,
            chain: Vec::new(),
            team_id: sig.team_id,
            enclosing: enclosing.map(str::to_owned),
        }),
        Ok(None) => None,
        Err(e) => {
            out.error(path, format!("Mach-O code signature: {e}"));
            None
        }
    }
}

/// Where a home directory's installs are attributed: `user:<name>`.
pub fn user_scope(home: &str) -> String {
    format!(
        "user:{}",
        home.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(home)
    )
}
