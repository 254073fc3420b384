//! The on-disk spool: every report is written here before any network
//! attempt and deleted only after the server's 202, so a crash, a reboot or
//! a long outage loses nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::log::Log;

const SUFFIX: &str = ".json.gz";

/// Re-exported: the one definition lives in `uproot-report`.
pub use uproot_report::report_id_of_bytes;

/// How much the spool may hold before it drops its oldest reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolLimits {
    /// Most report files kept.
    pub max_files: usize,
    /// Most compressed bytes kept.
    pub max_bytes: u64,
}

impl Default for SpoolLimits {
    /// 500 reports is four months of scans every 6 hours; 512 MiB bounds a
    /// host with huge inventories.
    fn default() -> Self {
        SpoolLimits {
            max_files: 500,
            max_bytes: 512 << 20,
        }
    }
}

/// One spooled report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `sha256:…`, from the file name.
    pub id: String,
    /// The `.json.gz` file.
    pub path: PathBuf,
    /// Compressed size.
    pub bytes: u64,
    /// When it was spooled (the file's modification time).
    pub spooled_at: SystemTime,
}

/// What [`Spool::push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The report's id.
    pub id: String,
    /// Its spool file.
    pub path: PathBuf,
    /// The same report was already spooled (and is left as it was).
    pub already: bool,
    /// Ids of older reports dropped to respect the limits.
    pub dropped: Vec<String>,
}

/// A spool directory (`<state dir>/spool`) with its `rejected/` subdirectory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    limits: SpoolLimits,
    log: Log,
}

impl Spool {
    /// The spool directory inside a state directory.
    pub fn dir_in(state_dir: &Path) -> PathBuf {
        state_dir.join("spool")
    }

    /// Opens (creating) the spool at `dir` and removes temp files a crash
    /// left behind; they never got their rename, so nothing relied on them.
    pub fn open(dir: &Path, limits: SpoolLimits, log: Log) -> Result<Spool> {
        fsutil::create_private_dir(&dir.join("rejected"))?;
        let spool = Spool {
            dir: dir.to_owned(),
            limits,
            log,
        };
        for d in [spool.dir.clone(), spool.rejected_dir()] {
            for e in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
                let e = e.map_err(|e| Error::io(&d, e))?;
                if e.file_name().to_string_lossy().contains(".tmp-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(spool)
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where reports the server refused are kept for a human to look at.
    pub fn rejected_dir(&self) -> PathBuf {
        self.dir.join("rejected")
    }

    /// Compresses and durably writes one report (the uncompressed JSON), then
    /// drops the oldest reports if the spool is over its limits.
    pub fn push(&self, json: &[u8]) -> Result<Pushed> {
        let id = report_id_of_bytes(json);
        let path = self.path_of(&id);
        let existing = self.entries()?;
        if existing.iter().any(|e| e.id == id) {
            return Ok(Pushed {
                id,
                path,
                already: true,
                dropped: Vec::new(),
            });
        }
        let gz = gzip(json).map_err(|e| Error::io(&path, e))?;
        // Delivery order is modification-time order; file timestamps can be
        // as coarse as a clock tick, so each new report is stamped strictly
        // after the newest one already here.
        let newest = existing.iter().map(|e| e.spooled_at).max();
        let now = SystemTime::now();
        let stamp = match newest {
            Some(n) if n >= now => n + Duration::from_micros(1),
            _ => now,
        };
        fsutil::write_atomic(&path, &gz, Some(stamp))?;
        let dropped = self.enforce_limits(&self.dir, &id, "undelivered")?;
        Ok(Pushed {
            id,
            path,
            already: false,
            dropped,
        })
    }

    /// Spooled reports, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        list(&self.dir)
    }

    /// Reports the server rejected, oldest first.
    pub fn rejected(&self) -> Result<Vec<Entry>> {
        list(&self.rejected_dir())
    }

    /// Reads a spooled report's compressed bytes.
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>> {
        std::fs::read(&entry.path).map_err(|e| Error::io(&entry.path, e))
    }

    /// Deletes a delivered report.
    pub fn remove(&self, entry: &Entry) -> Result<()> {
        match std::fs::remove_file(&entry.path) {
            Ok(()) => fsutil::sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&entry.path, e)),
        }
    }

    /// Moves a report the server refused to `rejected/`, with the server's
    /// message beside it, so it stops blocking the reports behind it.
    pub fn reject(&self, entry: &Entry, message: &str) -> Result<PathBuf> {
        let to = self
            .rejected_dir()
            .join(entry.path.file_name().unwrap_or_default());
        let note = to.with_extension("").with_extension("error.txt");
        fsutil::write_atomic(&note, format!("{message}\n").as_bytes(), None)?;
        std::fs::rename(&entry.path, &to).map_err(|e| Error::io(&entry.path, e))?;
        fsutil::sync_dir(&self.dir)?;
        fsutil::sync_dir(&self.rejected_dir())?;
        self.enforce_limits(&self.rejected_dir(), &entry.id, "rejected")?;
        Ok(to)
    }

    fn path_of(&self, id: &str) -> PathBuf {
        let hex = id.strip_prefix("sha256:").unwrap_or(id);
        self.dir.join(format!("{hex}{SUFFIX}"))
    }

    fn enforce_limits(&self, dir: &Path, keep: &str, what: &str) -> Result<Vec<String>> {
        let mut entries = list(dir)?;
        let mut bytes: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut dropped = Vec::new();
        let over = |n: usize, b: u64| n > self.limits.max_files || b > self.limits.max_bytes;
        while over(entries.len(), bytes) && entries.len() > 1 {
            let i = usize::from(entries[0].id == keep);
            let victim = entries.remove(i);
            std::fs::remove_file(&victim.path).map_err(|e| Error::io(&victim.path, e))?;
            let _ =
                std::fs::remove_file(victim.path.with_extension("").with_extension("error.txt"));
            bytes -= victim.bytes;
            self.log.line(&format!(
                "SPOOL FULL: DROPPED {what} report {} (spooled {}s ago, {} bytes) from {}: \
                 the spool holds at most {} reports / {} bytes; this report is lost",
                victim.id,
                victim.spooled_at.elapsed().unwrap_or_default().as_secs(),
                victim.bytes,
                dir.display(),
                self.limits.max_files,
                self.limits.max_bytes,
            ));
            dropped.push(victim.id);
        }
        if !dropped.is_empty() {
            fsutil::sync_dir(dir)?;
        }
        Ok(dropped)
    }
}

fn gzip(json: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 8),
        flate2::Compression::default(),
    );
    enc.write_all(json)?;
    enc.finish()
}

fn list(dir: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(hex) = name.strip_suffix(SUFFIX) else {
            continue;
        };
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let meta = match e.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            // Delivered and removed by a concurrent flush.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(Error::io(e.path(), err)),
        };
        out.push(Entry {
            id: format!("sha256:{hex}"),
            path: e.path(),
            bytes: meta.len(),
            spooled_at: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    out.sort_by(|a, b| {
        a.spooled_at
            .cmp(&b.spooled_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}
