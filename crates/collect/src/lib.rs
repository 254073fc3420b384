//! Evidence collectors: turn a filesystem root into an [`Inventory`].
//!
//! There is one module per evidence source, in the manner of osquery's tables
//! and syft's catalogers. Each implements [`Collector`]: it has a stable name,
//! reads only through a [`Root`] (which cannot be escaped by symlinks or `..`),
//! and returns what it found **plus** located errors. A corrupt database is an
//! error entry naming the file; the other collectors still run.
//!
//! ```no_run
//! use uproot_collect::{collect_all, CollectOptions, Root};
//! let root = Root::new("/", true).unwrap();
//! let out = collect_all(&root, &CollectOptions::default());
//! println!("{} packages, {} errors", out.inventory.packages.len(), out.errors.len());
//! ```
#![deny(missing_docs)]

pub mod root;
pub mod vfs;

pub mod apk;
pub mod browser;
pub mod certs;
pub mod deep;
pub mod dpkg;
pub mod flatpak;
pub mod host;
pub mod kmod;
pub mod macos;
pub mod pacman;
pub mod paths;
pub mod procs;
pub mod rpm;
pub mod settings;
pub mod snap;
pub mod sqlite;
mod stanza;
pub mod systemd;
pub mod users;
pub mod windows;

pub use root::{Root, RootError};
use uproot_inventory::{Inventory, SourceError};
pub use vfs::{ReadSeek, Vfs, VfsMeta};

/// What the catalog asks collectors to look at beyond their fixed sources.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    /// In-root paths whose existence is evidence (install dirs, leftovers).
    pub probe_paths: Vec<String>,
    /// In-root files that hold product settings (`key=value` or ini).
    pub setting_files: Vec<String>,
    /// Collector names to skip.
    pub skip: Vec<String>,
    /// Registry key paths the catalog asks about (`HKLM\\SOFTWARE\\KasperskyLab`, globs allowed).
    pub registry_paths: Vec<String>,
}

/// Everything one or more collectors produced.
#[derive(Debug, Default, Clone)]
pub struct Output {
    /// The evidence.
    pub inventory: Inventory,
    /// Sources that could not be read.
    pub errors: Vec<SourceError>,
    /// Host facts a collector read on the way (the Windows registry collector
    /// has SOFTWARE and SYSTEM open already); merged by [`host::host_facts`].
    pub host: Option<uproot_inventory::Host>,
}

impl Output {
    /// Records a root error unless it only says "not there".
    pub fn error_unless_missing(&mut self, err: RootError) {
        if !err.is_not_found() {
            self.errors
                .push(SourceError::new(err.path(), root_message(&err)));
        }
    }

    /// Records an error for `source`.
    pub fn error(&mut self, source: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SourceError::new(source, message));
    }

    /// Appends everything from `other`.
    pub fn extend(&mut self, other: Output) {
        self.inventory.extend(other.inventory);
        self.errors.extend(other.errors);
        if other.host.is_some() {
            self.host = other.host;
        }
    }
}

/// The message part of a root error, without the path it names.
pub fn root_message(err: &RootError) -> String {
    let full = err.to_string();
    let prefix = format!("{}: ", err.path());
    full.strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(full)
}

/// One evidence source.
pub trait Collector: Sync {
    /// Stable name, used in `--skip` and in progress output.
    fn name(&self) -> &'static str;
    /// Reads the source under `root` into `out`. Must not panic on bad input.
    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output);
}

/// The operating system a root holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux (the default when nothing else is recognised).
    Linux,
    /// Windows: a `Windows/System32/config` hive directory.
    Windows,
    /// macOS: `System/Library/CoreServices/SystemVersion.plist`.
    Macos,
}

impl Platform {
    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Windows => "windows",
            Platform::Macos => "macos",
        }
    }
}

/// Recognises the OS of a root from its files, never from the scanning host,
/// so a Windows image mounted on Linux is scanned as Windows.
pub fn detect_platform(root: &Root) -> Platform {
    let ci = root.clone().with_case_insensitive(true);
    if ci.is_dir("/Windows/System32/config") {
        Platform::Windows
    } else if root.exists("/System/Library/CoreServices/SystemVersion.plist")
        || (root.is_dir("/Applications")
            && root.is_dir("/Library")
            && !root.exists("/etc/os-release"))
    {
        Platform::Macos
    } else {
        Platform::Linux
    }
}

/// The collectors for a platform. Browser extensions, catalog paths and
/// settings files are read the same way on every OS.
pub fn collectors_for(platform: Platform) -> Vec<Box<dyn Collector>> {
    match platform {
        Platform::Linux => linux_collectors(),
        Platform::Windows => {
            let mut v = windows::collectors();
            v.push(Box::new(browser::BrowserExtensions));
            v.push(Box::new(paths::ProbePaths));
            v.push(Box::new(settings::Settings));
            v
        }
        Platform::Macos => {
            let mut v = macos::collectors();
            v.push(Box::new(certs::CaStores));
            v.push(Box::new(browser::BrowserExtensions));
            v.push(Box::new(paths::ProbePaths));
            v.push(Box::new(settings::Settings));
            v
        }
    }
}

/// Every Linux collector, in report order.
pub fn linux_collectors() -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(dpkg::Dpkg),
        Box::new(rpm::Rpm),
        Box::new(apk::Apk),
        Box::new(pacman::Pacman),
        Box::new(snap::Snap),
        Box::new(flatpak::Flatpak),
        Box::new(systemd::Systemd),
        Box::new(kmod::KernelModules),
        Box::new(certs::CaStores),
        Box::new(browser::BrowserExtensions),
        Box::new(paths::ProbePaths),
        Box::new(procs::Processes),
        Box::new(settings::Settings),
    ]
}

/// Runs every collector, in parallel, and merges their output in a fixed order
/// so that the same root always gives the same report.
pub fn collect_all(root: &Root, opts: &CollectOptions) -> Output {
    collect_with(root, opts, &linux_collectors(), &|_| {})
}

/// Runs the given collectors in parallel; `done` is called with each name as it finishes.
pub fn collect_with(
    root: &Root,
    opts: &CollectOptions,
    collectors: &[Box<dyn Collector>],
    done: &(dyn Fn(&'static str) + Sync),
) -> Output {
    let results: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = collectors
            .iter()
            .filter(|c| !opts.skip.iter().any(|n| n == c.name()))
            .map(|c| {
                s.spawn(move || {
                    let mut out = Output::default();
                    c.collect(root, opts, &mut out);
                    done(c.name());
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    let mut o = Output::default();
                    o.error("uproot", "a collector panicked; its evidence is missing");
                    o
                })
            })
            .collect()
    });
    let mut all = Output::default();
    for r in results {
        all.extend(r);
    }
    // Several collectors read the same hive or file; one damaged file is one error.
    let mut seen = std::collections::HashSet::new();
    all.errors
        .retain(|e| seen.insert((e.source.clone(), e.message.clone())));
    all
}
