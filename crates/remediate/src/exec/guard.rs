//! The deletion guard: the only code in uproot that deletes or rewrites files.
//!
//! * It deletes only paths it was built with (the paths a plan step names),
//!   and never a protected system directory.
//! * It resolves a path one component at a time from the root with
//!   `O_NOFOLLOW`: a component that is a symlink is refused, except the
//!   standard top-level aliases of merged-/usr Linux (`/lib` → `usr/lib`) and
//!   macOS (`/var` → `private/var`). It never leaves the root.
//! * A named path that is itself a symlink is unlinked; its target is untouched.
//! * A directory tree is removed through directory file descriptors
//!   (`openat`/`unlinkat`), never following a symlink inside it and never
//!   crossing into another file system (a mount point inside is refused).

use std::collections::BTreeSet;
use std::path::Path;

use crate::model::{Plan, Step};
use crate::safe;

/// Why the guard refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The plan does not name this path.
    #[error("{0}: not named by the plan; refusing to delete it")]
    NotNamed(String),
    /// The path is malformed (relative, `..`, control characters).
    #[error("{0}: {1}")]
    BadPath(String, &'static str),
    /// A system directory.
    #[error("{0}: a system directory; uproot never deletes it")]
    Protected(String),
    /// A component of the path is a symlink.
    #[error("{path}: its component {component} is a symlink; refusing to follow it")]
    SymlinkComponent {
        /// The named path.
        path: String,
        /// The offending component.
        component: String,
    },
    /// A device node, or another file type uproot does not delete.
    #[error("{0}: a device or other special file; not deleted")]
    Special(String),
    /// The tree holds a mount point.
    #[error("{0}: a different file system is mounted here; not descending into it")]
    CrossDevice(String),
    /// The tree is deeper than the guard descends.
    #[error("{0}: directory tree deeper than {MAX_DEPTH} levels")]
    TooDeep(String),
    /// Expected a symlink (enablement or hash link) and found something else.
    #[error("{0}: not a symlink; only links are removed here")]
    NotASymlink(String),
    /// Expected a regular file.
    #[error("{0}: not a regular file")]
    NotAFile(String),
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What [`PathGuard::remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// Nothing was there (already removed).
    Absent,
    /// A file (or fifo or socket) was unlinked.
    File,
    /// A symlink was unlinked; its target was not touched.
    Symlink,
    /// A directory tree was removed; `entries` entries below it.
    Dir {
        /// Number of entries removed below the directory.
        entries: u64,
    },
}

/// How deep a tree the guard removes.
pub const MAX_DEPTH: usize = 256;

/// Deletes only the paths it was built with.
#[derive(Debug, Clone, Default)]
pub struct PathGuard {
    named: BTreeSet<String>,
}

impl PathGuard {
    /// A guard for exactly these in-root paths.
    pub fn new<I, S>(paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        PathGuard {
            named: paths
                .into_iter()
                .filter_map(|p| safe::normalize(p.as_ref()).ok())
                .collect(),
        }
    }

    /// A guard for the paths one step names.
    pub fn for_step(step: &Step) -> Self {
        Self::new(step.action.deletable_paths())
    }

    /// A guard for every path a plan names.
    pub fn for_plan(plan: &Plan) -> Self {
        Self::new(plan.steps.iter().flat_map(|s| s.action.deletable_paths()))
    }

    /// The normalised path, when the guard may delete it.
    pub fn check(&self, path: &str) -> Result<String, GuardError> {
        let norm = safe::normalize(path).map_err(|e| GuardError::BadPath(path.to_owned(), e))?;
        if !self.named.contains(&norm) {
            return Err(GuardError::NotNamed(norm));
        }
        if safe::is_protected(&norm) {
            return Err(GuardError::Protected(norm));
        }
        Ok(norm)
    }

    /// Deletes `path` inside `root`, if the guard allows it.
    pub fn remove(&self, root: &Path, path: &str) -> Result<Removed, GuardError> {
        let norm = self.check(path)?;
        imp::remove(root, &norm)
    }
}

/// What is at a path (not following a final symlink).
#[cfg(unix)]
#[derive(Debug)]
pub(crate) enum Node {
    Absent,
    Symlink,
    Dir,
    File(Vec<u8>),
    Other,
}

/// A directory entry, not following symlinks.
#[cfg(unix)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub name: String,
    pub is_dir: bool,
    pub is_link: bool,
}

/// Largest file [`inspect`] reads.
#[cfg(unix)]
const MAX_READ: u64 = 64 << 20;

#[cfg(unix)]
pub(crate) use imp::{inspect, list_dir, read_link, replace_file, unlink_symlink};

#[cfg(unix)]
mod imp {
    use std::ffi::{CStr, CString};
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::{Entry, GuardError, Node, Removed, MAX_DEPTH, MAX_READ};

    fn io(path: &str, e: Errno) -> GuardError {
        GuardError::Io {
            path: path.to_owned(),
            source: std::io::Error::from(e),
        }
    }

    #[allow(clippy::unnecessary_cast)]
    fn ftype(st: &rfs::Stat) -> FileType {
        FileType::from_raw_mode(st.st_mode as _)
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// Top-level aliases that are safe to pass through: `/lib` → `usr/lib`
    /// (merged /usr), `/var` → `private/var` (macOS).
    fn alias(target: &CStr, name: &str) -> Option<[String; 2]> {
        let t = target
            .to_str()
            .ok()?
            .trim_start_matches('/')
            .trim_end_matches('/');
        for base in ["usr", "private"] {
            if t == format!("{base}/{name}") {
                return Some([base.to_owned(), name.to_owned()]);
            }
        }
        None
    }

    /// Opens the directory that holds the last component of `path`.
    /// `Ok(None)` when some component does not exist (so neither does the path).
    fn parent(root: &Path, path: &str) -> Result<Option<(OwnedFd, String)>, GuardError> {
        let mut comps: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let last = comps
            .pop()
            .ok_or_else(|| GuardError::BadPath(path.to_owned(), "the root itself"))?;
        let mut fd = rfs::openat(
            rfs::CWD,
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io(&root.display().to_string(), e))?;
        let mut i = 0;
        let mut aliased = false;
        while i < comps.len() {
            let c = comps[i].clone();
            let st = match rfs::statat(&fd, c.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::NOENT) | Err(Errno::NOTDIR) => return Ok(None),
                Err(e) => return Err(io(path, e)),
            };
            match ftype(&st) {
                FileType::Directory => {}
                FileType::Symlink => {
                    let target =
                        rfs::readlinkat(&fd, c.as_str(), Vec::new()).map_err(|e| io(path, e))?;
                    match alias(&target, &c).filter(|_| i == 0 && !aliased) {
                        Some(repl) => {
                            aliased = true;
                            comps.splice(0..1, repl);
                            continue;
                        }
                        None => {
                            return Err(GuardError::SymlinkComponent {
                                path: path.to_owned(),
                                component: format!("/{}", comps[..=i].join("/")),
                            })
                        }
                    }
                }
                _ => return Ok(None),
            }
            fd = match rfs::openat(&fd, c.as_str(), DIR_FLAGS, Mode::empty()) {
                Ok(fd) => fd,
                // Swapped for a symlink between the stat and the open.
                Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                    return Err(GuardError::SymlinkComponent {
                        path: path.to_owned(),
                        component: format!("/{}", comps[..=i].join("/")),
                    })
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(io(path, e)),
            };
            i += 1;
        }
        Ok(Some((fd, last)))
    }

    pub(super) fn remove(root: &Path, path: &str) -> Result<Removed, GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Ok(Removed::Absent);
        };
        let st = match rfs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(Removed::Absent),
            Err(e) => return Err(io(path, e)),
        };
        match ftype(&st) {
            FileType::Symlink => {
                rfs::unlinkat(&dir, name.as_str(), AtFlags::empty()).map_err(|e| io(path, e))?;
                Ok(Removed::Symlink)
            }
            FileType::RegularFile | FileType::Fifo | FileType::Socket => {
                rfs::unlinkat(&dir, name.as_str(), AtFlags::empty()).map_err(|e| io(path, e))?;
                Ok(Removed::File)
            }
            FileType::Directory => {
                let parent_dev = dev(&rfs::fstat(&dir).map_err(|e| io(path, e))?);
                if dev(&st) != parent_dev {
                    return Err(GuardError::CrossDevice(path.to_owned()));
                }
                let name_c = CString::new(name.as_str())
                    .map_err(|_| GuardError::BadPath(path.to_owned(), "NUL in path"))?;
                let entries = remove_tree(&dir, &name_c, dev(&st), path, 0)?;
                Ok(Removed::Dir { entries })
            }
            _ => Err(GuardError::Special(path.to_owned())),
        }
    }

    fn remove_tree(
        parent: &OwnedFd,
        name: &CStr,
        device: u64,
        shown: &str,
        depth: usize,
    ) -> Result<u64, GuardError> {
        if depth > MAX_DEPTH {
            return Err(GuardError::TooDeep(shown.to_owned()));
        }
        let fd = rfs::openat(parent, name, DIR_FLAGS, Mode::empty()).map_err(|e| io(shown, e))?;
        if dev(&rfs::fstat(&fd).map_err(|e| io(shown, e))?) != device {
            return Err(GuardError::CrossDevice(shown.to_owned()));
        }
        let mut names = Vec::new();
        for entry in rfs::Dir::read_from(&fd).map_err(|e| io(shown, e))? {
            let entry = entry.map_err(|e| io(shown, e))?;
            let n = entry.file_name();
            if n.to_bytes() != b"." && n.to_bytes() != b".." {
                names.push(n.to_owned());
            }
        }
        let mut count = 0;
        for n in names {
            let child = format!("{shown}/{}", n.to_string_lossy());
            let st = match rfs::statat(&fd, n.as_c_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(io(&child, e)),
            };
            match ftype(&st) {
                FileType::Directory => {
                    if dev(&st) != device {
                        return Err(GuardError::CrossDevice(child));
                    }
                    count += remove_tree(&fd, &n, device, &child, depth + 1)?;
                }
                FileType::BlockDevice | FileType::CharacterDevice => {
                    return Err(GuardError::Special(child))
                }
                _ => {
                    rfs::unlinkat(&fd, n.as_c_str(), AtFlags::empty()).map_err(|e| io(&child, e))?
                }
            }
            count += 1;
        }
        rfs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(|e| io(shown, e))?;
        Ok(count)
    }

    /// `st_dev` has different integer types per platform.
    #[allow(clippy::unnecessary_cast)]
    fn dev(st: &rfs::Stat) -> u64 {
        st.st_dev as u64
    }

    /// Unlinks `path` only if it is a symlink.
    pub(crate) fn unlink_symlink(root: &Path, path: &str) -> Result<bool, GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Ok(false);
        };
        match rfs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if ftype(&st) == FileType::Symlink => {
                rfs::unlinkat(&dir, name.as_str(), AtFlags::empty()).map_err(|e| io(path, e))?;
                Ok(true)
            }
            Ok(_) => Err(GuardError::NotASymlink(path.to_owned())),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(io(path, e)),
        }
    }

    /// The target text of a symlink (None when `path` is not a symlink).
    pub(crate) fn read_link(root: &Path, path: &str) -> Result<Option<String>, GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Ok(None);
        };
        match rfs::readlinkat(&dir, name.as_str(), Vec::new()) {
            Ok(t) => Ok(Some(t.to_string_lossy().into_owned())),
            Err(Errno::NOENT) | Err(Errno::INVAL) => Ok(None),
            Err(e) => Err(io(path, e)),
        }
    }

    /// What is at `path`; regular files are read (up to 64 MiB).
    pub(crate) fn inspect(root: &Path, path: &str) -> Result<Node, GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Ok(Node::Absent);
        };
        let st = match rfs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(Node::Absent),
            Err(e) => return Err(io(path, e)),
        };
        Ok(match ftype(&st) {
            FileType::Symlink => Node::Symlink,
            FileType::Directory => Node::Dir,
            FileType::RegularFile => {
                let fd = rfs::openat(
                    &dir,
                    name.as_str(),
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                    Mode::empty(),
                )
                .map_err(|e| io(path, e))?;
                let mut f = std::fs::File::from(fd);
                let mut buf = Vec::new();
                (&mut f)
                    .take(MAX_READ + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| GuardError::Io {
                        path: path.to_owned(),
                        source: e,
                    })?;
                if buf.len() as u64 > MAX_READ {
                    return Err(GuardError::NotAFile(format!(
                        "{path} (over {MAX_READ} bytes)"
                    )));
                }
                Node::File(buf)
            }
            _ => Node::Other,
        })
    }

    /// Entries of a directory. None when absent.
    pub(crate) fn list_dir(root: &Path, path: &str) -> Result<Option<Vec<Entry>>, GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Ok(None);
        };
        let fd = match rfs::openat(&dir, name.as_str(), DIR_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) | Err(Errno::NOTDIR) | Err(Errno::LOOP) => return Ok(None),
            Err(e) => return Err(io(path, e)),
        };
        let mut out = Vec::new();
        for entry in rfs::Dir::read_from(&fd).map_err(|e| io(path, e))? {
            let entry = entry.map_err(|e| io(path, e))?;
            let n = entry.file_name();
            if n.to_bytes() == b"." || n.to_bytes() == b".." {
                continue;
            }
            let Ok(st) = rfs::statat(&fd, n, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            let t = ftype(&st);
            out.push(Entry {
                name: n.to_string_lossy().into_owned(),
                is_dir: t == FileType::Directory,
                is_link: t == FileType::Symlink,
            });
        }
        out.sort();
        Ok(Some(out))
    }

    /// Replaces a regular file's content atomically (temporary file in the
    /// same directory, then rename), keeping its mode and owner.
    pub(crate) fn replace_file(root: &Path, path: &str, content: &[u8]) -> Result<(), GuardError> {
        let Some((dir, name)) = parent(root, path)? else {
            return Err(GuardError::NotAFile(path.to_owned()));
        };
        let st =
            rfs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW).map_err(|e| io(path, e))?;
        if ftype(&st) != FileType::RegularFile {
            return Err(GuardError::NotAFile(path.to_owned()));
        }
        let tmp = format!(".{name}.uproot-{}", std::process::id());
        #[allow(clippy::unnecessary_cast)]
        let mode = Mode::from_bits_truncate((st.st_mode & 0o7777) as _);
        let fd = rfs::openat(
            &dir,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            mode,
        )
        .map_err(|e| io(path, e))?;
        let result = (|| {
            let _ = rfs::fchown(
                &fd,
                Some(rfs::Uid::from_raw(st.st_uid)),
                Some(rfs::Gid::from_raw(st.st_gid)),
            );
            rfs::fchmod(&fd, mode)?;
            let mut f = std::fs::File::from(fd);
            f.write_all(content)
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?;
            rfs::fsync(&f)?;
            rfs::renameat(&dir, tmp.as_str(), &dir, name.as_str())
        })();
        if let Err(e) = result {
            let _ = rfs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
            return Err(io(path, e));
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    //! Windows: the same rules with `symlink_metadata` on each component.
    //! `std::fs::remove_dir_all` does not follow symlinks or junctions.
    //! (PEM bundles, units and links are Linux steps: only deletion is needed here.)
    use std::path::{Path, PathBuf};

    use super::{GuardError, Removed};

    fn io(path: &str, e: std::io::Error) -> GuardError {
        GuardError::Io {
            path: path.to_owned(),
            source: e,
        }
    }

    fn is_link(m: &std::fs::Metadata) -> bool {
        #[cfg(windows)]
        {
            use std::os::windows::fs::MetadataExt;
            const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
            m.file_type().is_symlink() || m.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
        }
        #[cfg(not(windows))]
        {
            m.file_type().is_symlink()
        }
    }

    fn resolve(root: &Path, path: &str) -> Result<Option<PathBuf>, GuardError> {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut p = root.to_path_buf();
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            if i + 1 == comps.len() {
                break;
            }
            match std::fs::symlink_metadata(&p) {
                Ok(m) if is_link(&m) => {
                    return Err(GuardError::SymlinkComponent {
                        path: path.to_owned(),
                        component: format!("/{}", comps[..=i].join("/")),
                    })
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io(path, e)),
            }
        }
        Ok(Some(p))
    }

    pub(super) fn remove(root: &Path, path: &str) -> Result<Removed, GuardError> {
        let Some(p) = resolve(root, path)? else {
            return Ok(Removed::Absent);
        };
        let m = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Removed::Absent),
            Err(e) => return Err(io(path, e)),
        };
        if is_link(&m) {
            // A directory link (junction) is removed with remove_dir, which removes the link only.
            if m.is_dir() {
                std::fs::remove_dir(&p)
            } else {
                std::fs::remove_file(&p)
            }
            .map_err(|e| io(path, e))?;
            return Ok(Removed::Symlink);
        }
        if m.is_dir() {
            std::fs::remove_dir_all(&p).map_err(|e| io(path, e))?;
            return Ok(Removed::Dir { entries: 0 });
        }
        std::fs::remove_file(&p).map_err(|e| io(path, e))?;
        Ok(Removed::File)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_refuses_unnamed_malformed_and_protected_paths() {
        let g = PathGuard::new(["/opt/kaspersky", "/opt", "/var/opt/kaspersky/"]);
        assert!(matches!(
            g.check("/opt/other"),
            Err(GuardError::NotNamed(_))
        ));
        assert!(matches!(
            g.check("/opt/kaspersky/../../etc"),
            Err(GuardError::BadPath(..))
        ));
        assert!(matches!(
            g.check("opt/kaspersky"),
            Err(GuardError::BadPath(..))
        ));
        assert!(matches!(g.check("/opt"), Err(GuardError::Protected(_))));
        assert_eq!(g.check("/opt//kaspersky").unwrap(), "/opt/kaspersky");
        assert_eq!(g.check("/var/opt/kaspersky").unwrap(), "/var/opt/kaspersky");
    }
}
