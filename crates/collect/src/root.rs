//! A filesystem view that cannot be escaped.
//!
//! A scanned disk image is hostile input: its symlinks may point at `/etc/shadow`
//! on the scanning host, its `..` entries may climb out, and its files may be
//! endless. Every collector reads through [`Root`], which resolves each path one
//! component at a time with chroot semantics (absolute link targets are re-rooted,
//! `..` stops at the root), opens the result with `O_NOFOLLOW`, and caps how much
//! of any one file or directory it will read. It only ever opens read-only.

use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// Why a path under the root could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    /// The path, or a component of it, does not exist.
    #[error("{path}: not found")]
    NotFound {
        /// Path inside the root.
        path: String,
    },
    /// Too many symlinks while resolving (a loop, or a deliberate maze).
    #[error("{path}: too many levels of symbolic links")]
    SymlinkLoop {
        /// Path inside the root.
        path: String,
    },
    /// The file is larger than the per-file limit.
    #[error("{path}: file is {size} bytes, over the {limit}-byte limit for one file")]
    TooLarge {
        /// Path inside the root.
        path: String,
        /// Actual or observed size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The directory has more entries than the limit.
    #[error("{path}: directory has more than {limit} entries")]
    TooManyEntries {
        /// Path inside the root.
        path: String,
        /// The limit in force.
        limit: usize,
    },
    /// Any other I/O error.
    #[error("{path}: {source}")]
    Io {
        /// Path inside the root.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl RootError {
    /// True when the error only means "not there", which most collectors treat as normal.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RootError::NotFound { .. })
    }

    /// The in-root path the error is about.
    pub fn path(&self) -> &str {
        match self {
            RootError::NotFound { path }
            | RootError::SymlinkLoop { path }
            | RootError::TooLarge { path, .. }
            | RootError::TooManyEntries { path, .. }
            | RootError::Io { path, .. } => path,
        }
    }
}

/// Resource limits for reading one file or directory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file read whole into memory.
    pub max_file_bytes: u64,
    /// Most entries listed from one directory.
    pub max_dir_entries: usize,
    /// Most symlinks followed while resolving one path (Linux uses 40).
    pub max_symlink_hops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_dir_entries: 200_000,
            max_symlink_hops: 40,
        }
    }
}

/// Kind of a directory entry, read without following symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link (not followed).
    Symlink,
    /// Anything else: socket, fifo, device.
    Other,
}

/// One directory entry.
#[derive(Debug, Clone)]
pub struct DirEntry {
    /// File name (lossy UTF-8).
    pub name: String,
    /// Entry type, not following symlinks.
    pub file_type: EntryType,
}

/// A contained view of a filesystem tree: `/` for a live host, or a mounted image.
#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
    live: bool,
    limits: Limits,
    case_insensitive: bool,
    // Four collectors need the user homes; listing them reads /etc/passwd
    // and stats every candidate, so it is done once per root.
    homes: std::sync::OnceLock<Vec<String>>,
}

impl Root {
    /// The in-root user homes, computed on first use (see [`crate::users`]).
    pub fn homes(&self) -> &[String] {
        self.homes.get_or_init(|| crate::users::list_homes(self))
    }

    /// Opens `base` as the scan root. `live` says whether this is the running
    /// system (so `/proc` describes it).
    pub fn new(base: impl AsRef<Path>, live: bool) -> Result<Root, RootError> {
        let shown = base.as_ref().display().to_string();
        let base = std::fs::canonicalize(base.as_ref()).map_err(|e| io_err(&shown, e))?;
        if !base.is_dir() {
            return Err(io_err(
                &shown,
                std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "scan root is not a directory",
                ),
            ));
        }
        Ok(Root {
            base,
            live,
            limits: Limits::default(),
            homes: std::sync::OnceLock::new(),
            case_insensitive: false,
        })
    }

    /// Replaces the resource limits.
    pub fn with_limits(mut self, limits: Limits) -> Root {
        self.limits = limits;
        self
    }

    /// Makes lookups fall back to a case-insensitive match per component, as
    /// NTFS and APFS behave: a Windows image mounted on Linux has
    /// `Windows/System32/config/SOFTWARE` where the registry says `system32`.
    /// An exact match is always preferred.
    pub fn with_case_insensitive(mut self, on: bool) -> Root {
        self.case_insensitive = on;
        self
    }

    /// True when lookups ignore case.
    pub fn is_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// True when scanning the running system.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The host directory the root maps to.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Resolves an in-root path to a host path, following symlinks only inside the root.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, RootError> {
        self.resolve_inner(path, true)
    }

    /// Resolves all but the last component; the last is returned as is, so that
    /// a symlink can be inspected rather than followed.
    pub fn resolve_nofollow(&self, path: &str) -> Result<PathBuf, RootError> {
        self.resolve_inner(path, false)
    }

    fn resolve_inner(&self, path: &str, follow_last: bool) -> Result<PathBuf, RootError> {
        let mut pending: Vec<OsString> = components(Path::new(path));
        pending.reverse();
        let mut resolved: Vec<OsString> = Vec::new();
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                resolved.pop();
                continue;
            }
            let mut parent = self.base.clone();
            parent.extend(&resolved);
            let candidate = parent.join(&comp);
            let meta = match std::fs::symlink_metadata(&candidate) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Retry with the name as it is really spelled on disk.
                    match self
                        .case_insensitive
                        .then(|| find_ignoring_case(&parent, &comp))
                        .flatten()
                    {
                        Some(real) => {
                            pending.push(real);
                            continue;
                        }
                        None => {
                            return Err(RootError::NotFound {
                                path: path.to_owned(),
                            })
                        }
                    }
                }
                Err(e) => return Err(io_err(path, e)),
            };
            let is_last = pending.is_empty();
            if meta.file_type().is_symlink() && (follow_last || !is_last) {
                hops += 1;
                if hops > self.limits.max_symlink_hops {
                    return Err(RootError::SymlinkLoop {
                        path: path.to_owned(),
                    });
                }
                let target = std::fs::read_link(&candidate).map_err(|e| io_err(path, e))?;
                if target.is_absolute() {
                    resolved.clear();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
                continue;
            }
            resolved.push(comp);
        }
        let mut out = self.base.clone();
        out.extend(&resolved);
        Ok(out)
    }

    /// Opens a file read-only. The final component must not be a symlink after
    /// resolution, which `O_NOFOLLOW` enforces against a swap in between.
    pub fn open(&self, path: &str) -> Result<File, RootError> {
        let host = self.resolve(path)?;
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&host)
            .map_err(|e| io_err(path, e))
            .and_then(|f| {
                let meta = f.metadata().map_err(|e| io_err(path, e))?;
                if meta.is_file() || (self.live && host.starts_with("/proc")) {
                    Ok(f)
                } else if meta.is_dir() {
                    Err(io_err(
                        path,
                        std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
                    ))
                } else {
                    // Refuse fifos and devices: reading one can block forever.
                    Err(io_err(
                        path,
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
                    ))
                }
            })
    }

    /// Reads a whole file, refusing files over the per-file limit.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, RootError> {
        self.read_limited(path, self.limits.max_file_bytes)
    }

    /// Reads a whole file, refusing files over `limit` bytes.
    pub fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, RootError> {
        let f = self.open(path)?;
        let meta_len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if meta_len > limit {
            return Err(RootError::TooLarge {
                path: path.to_owned(),
                size: meta_len,
                limit,
            });
        }
        let mut buf = Vec::with_capacity(meta_len as usize);
        // procfs reports size 0, and a file may grow while we read: cap the read itself.
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io_err(path, e))?;
        if buf.len() as u64 > limit {
            return Err(RootError::TooLarge {
                path: path.to_owned(),
                size: buf.len() as u64,
                limit,
            });
        }
        Ok(buf)
    }

    /// Reads a whole file as UTF-8, replacing invalid sequences.
    pub fn read_to_string(&self, path: &str) -> Result<String, RootError> {
        let bytes = self.read(path)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Metadata, following symlinks inside the root.
    pub fn metadata(&self, path: &str) -> Result<Metadata, RootError> {
        let host = self.resolve(path)?;
        std::fs::symlink_metadata(&host).map_err(|e| io_err(path, e))
    }

    /// Metadata of the entry itself, without following a final symlink.
    pub fn symlink_metadata(&self, path: &str) -> Result<Metadata, RootError> {
        let host = self.resolve_nofollow(path)?;
        std::fs::symlink_metadata(&host).map_err(|e| io_err(path, e))
    }

    /// True when the path exists (following symlinks inside the root).
    pub fn exists(&self, path: &str) -> bool {
        self.metadata(path).is_ok()
    }

    /// True when the path is a directory (following symlinks inside the root).
    pub fn is_dir(&self, path: &str) -> bool {
        self.metadata(path).map(|m| m.is_dir()).unwrap_or(false)
    }

    /// Lists a directory, sorted by name, without following entries' symlinks.
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, RootError> {
        let host = self.resolve(path)?;
        let rd = std::fs::read_dir(&host).map_err(|e| io_err(path, e))?;
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| io_err(path, e))?;
            if out.len() >= self.limits.max_dir_entries {
                return Err(RootError::TooManyEntries {
                    path: path.to_owned(),
                    limit: self.limits.max_dir_entries,
                });
            }
            let ft = entry.file_type().map_err(|e| io_err(path, e))?;
            let file_type = if ft.is_symlink() {
                EntryType::Symlink
            } else if ft.is_dir() {
                EntryType::Dir
            } else if ft.is_file() {
                EntryType::File
            } else {
                EntryType::Other
            };
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                file_type,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Reads the target of a symlink as stored (not resolved).
    pub fn read_link(&self, path: &str) -> Result<PathBuf, RootError> {
        let host = self.resolve_nofollow(path)?;
        std::fs::read_link(&host).map_err(|e| io_err(path, e))
    }
}

/// Joins an in-root directory and a name with exactly one slash.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The entry of `dir` whose name equals `name` ignoring case, if exactly one
/// does (two spellings in one directory are ambiguous, so neither is chosen).
fn find_ignoring_case(dir: &Path, name: &OsString) -> Option<OsString> {
    let want = name.to_string_lossy().to_lowercase();
    let mut found = None;
    for entry in std::fs::read_dir(dir)
        .ok()?
        .take(Limits::default().max_dir_entries)
    {
        let entry = entry.ok()?;
        if entry.file_name().to_string_lossy().to_lowercase() == want {
            if found.is_some() {
                return None;
            }
            found = Some(entry.file_name());
        }
    }
    found
}

fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

fn io_err(path: &str, source: std::io::Error) -> RootError {
    if source.kind() == std::io::ErrorKind::NotFound {
        RootError::NotFound {
            path: path.to_owned(),
        }
    } else {
        RootError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, tempfile::TempDir) {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "host secret").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc/ssl")).unwrap();
        std::fs::write(root.path().join("etc/inside"), "inside").unwrap();
        (root, outside)
    }

    #[test]
    fn absolute_symlink_is_rerooted_not_followed_out() {
        let (root, outside) = tree();
        symlink(outside.path().join("secret"), root.path().join("etc/abs")).unwrap();
        let r = Root::new(root.path(), false).unwrap();
        let err = r.read("/etc/abs").unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn dotdot_symlink_stops_at_root() {
        let (root, outside) = tree();
        let depth = outside.path().components().count() + 5;
        let target = format!(
            "{}{}",
            "../".repeat(depth),
            outside.path().join("secret").display()
        );
        symlink(&target, root.path().join("etc/rel")).unwrap();
        let r = Root::new(root.path(), false).unwrap();
        assert!(r.read("/etc/rel").unwrap_err().is_not_found());
        assert!(r.read("/../../../../etc/inside").is_ok());
    }

    #[test]
    fn symlink_inside_root_is_followed() {
        let (root, _o) = tree();
        symlink("/etc/inside", root.path().join("etc/ssl/link")).unwrap();
        let r = Root::new(root.path(), false).unwrap();
        assert_eq!(r.read_to_string("/etc/ssl/link").unwrap(), "inside");
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let (root, _o) = tree();
        symlink("/etc/b", root.path().join("etc/a")).unwrap();
        symlink("/etc/a", root.path().join("etc/b")).unwrap();
        let r = Root::new(root.path(), false).unwrap();
        assert!(matches!(
            r.read("/etc/a"),
            Err(RootError::SymlinkLoop { .. })
        ));
    }

    #[test]
    fn oversized_file_is_refused_with_its_name() {
        let (root, _o) = tree();
        std::fs::write(root.path().join("etc/big"), vec![b'x'; 4096]).unwrap();
        let r = Root::new(root.path(), false).unwrap().with_limits(Limits {
            max_file_bytes: 1024,
            ..Limits::default()
        });
        let err = r.read("/etc/big").unwrap_err();
        assert!(
            err.to_string().starts_with("/etc/big: file is 4096 bytes"),
            "{err}"
        );
    }

    #[test]
    fn case_insensitive_roots_find_windows_spellings() {
        let (root, _o) = tree();
        std::fs::create_dir_all(root.path().join("Windows/System32/config")).unwrap();
        std::fs::write(root.path().join("Windows/System32/config/SOFTWARE"), "hive").unwrap();
        let strict = Root::new(root.path(), false).unwrap();
        assert!(strict
            .read("/windows/system32/config/software")
            .unwrap_err()
            .is_not_found());
        let ci = strict.with_case_insensitive(true);
        assert_eq!(
            ci.read_to_string("/windows/system32/config/software")
                .unwrap(),
            "hive"
        );
        assert!(ci
            .read("/windows/system32/config/missing")
            .unwrap_err()
            .is_not_found());
    }

    #[test]
    fn fifo_is_refused_not_blocked_on() {
        let (root, _o) = tree();
        let p = root.path().join("etc/fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success());
        let r = Root::new(root.path(), false).unwrap();
        assert!(r.read("/etc/fifo").is_err());
    }
}
