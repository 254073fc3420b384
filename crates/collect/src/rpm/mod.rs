//! Installed rpm packages, read natively from the rpm database.
//!
//! We never run `rpm`: the root may be a mounted image of another machine (or
//! another architecture), the host may not have rpm, and rpm itself writes
//! beside its database (locks, `-wal`/`-shm`), which would alter evidence.
//! Instead we read all three on-disk backends rpm has used, each in its own
//! module: [`sqlite`] (rpm ≥ 4.16), [`bdb`] (BerkeleyDB hash, older systems)
//! and [`ndb`] (SUSE). Each yields raw header blobs; [`header`] turns a blob
//! into name, version and vendor.
//!
//! The format is taken from the file's first bytes, not its name, and every
//! reader is written for hostile input: bounded reads, no unbounded loops, and
//! problems reported as errors naming the file while the records that did parse
//! are kept. The byte-level functions are public so fuzz targets can drive them.
//!
//! Databases are looked for where syft looks: `rpmdb.sqlite`, `Packages` and
//! `Packages.db` in `/var/lib/rpm`, `/usr/lib/sysimage/rpm` and `/usr/share/rpm`.
//! A file reachable by two of those paths (the usual `/var/lib/rpm` symlink) is
//! read once, under the first path.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use uproot_inventory::{Package, PackageSource};

use crate::root::join;
use crate::{CollectOptions, Collector, Output, Root};

pub use header::{parse_header, RpmHeader};

/// Directories that may hold an rpm database.
pub const DB_DIRS: [&str; 3] = ["/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/share/rpm"];
/// Database file names, one per backend.
pub const DB_FILES: [&str; 3] = ["rpmdb.sqlite", "Packages", "Packages.db"];
/// A reader stops after this many errors in one file.
pub const MAX_ERRORS: usize = 100;
/// At most this many errors per file reach the report; the rest are counted.
const REPORTED_ERRORS: usize = 20;

/// One package record as a backend stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// rpm's header instance number (sqlite `hnum`, BerkeleyDB key, ndb package index).
    pub instance: u32,
    /// The header blob, for [`parse_header`].
    pub data: Vec<u8>,
}

/// Why an rpm database, or one record in it, could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RpmError {
    /// The header blob ends before the part its counts announce.
    #[error("header is {len} bytes, shorter than its {need}-byte {part}")]
    HeaderTruncated {
        /// Which part is cut short.
        part: &'static str,
        /// Bytes that part needs.
        need: u64,
        /// Bytes there are.
        len: usize,
    },
    /// The header has no index entries at all.
    #[error("header has no index entries")]
    HeaderEmpty,
    /// The header declares more index entries than rpm allows.
    #[error("header declares {0} index entries (rpm allows at most 65535)")]
    HeaderTooManyEntries(u32),
    /// The header declares more data than we accept.
    #[error("header declares {0} data bytes, over the 64 MiB limit")]
    HeaderDataTooLarge(u32),
    /// One index entry is malformed.
    #[error("header tag {tag} {problem}")]
    HeaderTag {
        /// The tag number.
        tag: u32,
        /// What is wrong with it.
        problem: String,
    },
    /// A required tag is absent.
    #[error("header has no {0} tag")]
    HeaderMissing(&'static str),
    /// BerkeleyDB structure problem.
    #[error("BerkeleyDB {0}")]
    Bdb(String),
    /// ndb structure problem.
    #[error("ndb {0}")]
    Ndb(String),
    /// SQLite could not open or query the database.
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// The file is none of the three formats.
    #[error("not an rpm database: no sqlite, BerkeleyDB hash or ndb signature")]
    UnknownFormat,
    /// Reading failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The on-disk format, told from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rpmdb.sqlite`.
    Sqlite,
    /// BerkeleyDB hash `Packages`.
    Bdb,
    /// ndb `Packages.db`.
    Ndb,
}

/// Tells the format from the first 16 (or more) bytes of a file.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(sqlite::MAGIC) {
        Some(Format::Sqlite)
    } else if head.starts_with(ndb::MAGIC) {
        Some(Format::Ndb)
    } else if bdb::is_hash_db(head) {
        Some(Format::Bdb)
    } else {
        None
    }
}

/// Parses every record of a BerkeleyDB or ndb database held in `r` into headers,
/// with the errors met (sqlite needs a path: see [`sqlite::for_each_blob`]).
/// The whole pipeline from bytes to packages, for fuzzing.
pub fn read_headers<R: Read + Seek>(mut r: R) -> (Vec<RpmHeader>, Vec<RpmError>) {
    let mut head = [0u8; 16];
    let n = r.read(&mut head).unwrap_or(0);
    let _ = r.seek(SeekFrom::Start(0));
    let mut headers = Vec::new();
    let mut bad = Vec::new();
    let mut visit = |b: Blob| match parse_header(&b.data) {
        Ok(h) => headers.push(h),
        Err(e) => bad.push(e),
    };
    let mut errors = match sniff(&head[..n]) {
        Some(Format::Bdb) => bdb::for_each_blob(&mut r, &mut visit),
        Some(Format::Ndb) => ndb::for_each_blob(&mut r, &mut visit),
        Some(Format::Sqlite) => vec![RpmError::Sqlite(
            "needs a file path: see sqlite::for_each_blob".into(),
        )],
        None => vec![RpmError::UnknownFormat],
    };
    errors.append(&mut bad);
    (headers, errors)
}

/// The rpm collector.
pub struct Rpm;

impl Collector for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let mut seen = Seen::default();
        for dir in DB_DIRS {
            for file in DB_FILES {
                let path = join(dir, file);
                match root.canonical(&path) {
                    Ok(real) if seen.first_time(root, &real) => collect_db(root, &path, out),
                    Ok(_) => {}
                    Err(e) => out.error_unless_missing(e),
                }
            }
        }
    }
}

/// Database files already read, by canonical in-root path and by file id
/// (device and inode, which also catches hard links and bind mounts).
#[derive(Default)]
struct Seen {
    paths: HashSet<String>,
    inodes: HashSet<(u64, u64)>,
}

impl Seen {
    fn first_time(&mut self, root: &Root, real: &str) -> bool {
        let inode = root.metadata(real).ok().map(|m| m.id());
        let new_path = self.paths.insert(real.to_owned());
        let new_inode = inode.is_none_or(|i| self.inodes.insert(i));
        new_path && new_inode
    }
}

/// Reads one database file into `out`.
fn collect_db(root: &Root, path: &str, out: &mut Output) {
    let mut file = match root.open(path) {
        Ok(f) => f,
        Err(e) => return out.error_unless_missing(e),
    };
    let mut head = [0u8; 16];
    let n = match read_head(&mut file, &mut head) {
        Ok(0) => return, // An empty placeholder file holds no packages.
        Ok(n) => n,
        Err(e) => return out.error(path, format!("reading: {e}")),
    };
    let mut errors = Vec::new();
    let mut visit = |b: Blob| match parse_header(&b.data) {
        Ok(h) => out.inventory.packages.push(package(h, path)),
        Err(e) => errors.push(format!("package {}: {e}", b.instance)),
    };
    let format = sniff(&head[..n]);
    let db_errors = match format {
        // SQLite opens by name: a virtual root's database is copied out first.
        Some(Format::Sqlite) => match root.local_file(path) {
            Ok(local) => sqlite::for_each_blob(local.path(), &mut visit),
            Err(e) => vec![RpmError::Io {
                context: "copying the database out of the image".into(),
                source: std::io::Error::other(e.to_string()),
            }],
        },
        Some(Format::Bdb) => bdb::for_each_blob(&mut file, &mut visit),
        Some(Format::Ndb) => ndb::for_each_blob(&mut file, &mut visit),
        None => vec![RpmError::UnknownFormat],
    };
    errors.extend(db_errors.iter().map(ToString::to_string));
    if format == Some(Format::Sqlite) {
        errors.extend(wal_warning(root, path));
    }
    report(out, path, errors);
}

fn read_head(file: &mut crate::root::RootFile, head: &mut [u8; 16]) -> std::io::Result<usize> {
    let n = file.take(16).read(head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(n)
}

/// Changes in a non-empty `-wal` file are invisible to an immutable open: say so.
fn wal_warning(root: &Root, path: &str) -> Option<String> {
    let wal = format!("{path}-wal");
    let len = root.metadata(&wal).ok()?.len();
    (len > 0).then(|| {
        format!(
            "{wal} holds {len} bytes not yet checkpointed; packages changed in it were not read"
        )
    })
}

/// Adds up to [`REPORTED_ERRORS`] errors for `path`, then a count of the rest.
fn report(out: &mut Output, path: &str, errors: Vec<String>) {
    let extra = errors.len().saturating_sub(REPORTED_ERRORS);
    for e in errors.into_iter().take(REPORTED_ERRORS) {
        out.error(path, e);
    }
    if extra > 0 {
        out.error(path, format!("{extra} more errors not shown"));
    }
}

/// The inventory record for one header.
fn package(h: RpmHeader, path: &str) -> Package {
    let mut p = Package::new(&h.name, &h.evr(), PackageSource::Rpm, path);
    p.vendor = h.vendor_or_packager().map(str::to_owned);
    p.arch = h.arch.filter(|a| !a.is_empty());
    p
}
