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
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::vfs::{ReadSeek, Vfs, VfsMeta};

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

/// A contained view of a filesystem tree: `/` for a live host, a mounted
/// image, or a virtual tree such as a container image's merged layers.
#[derive(Debug, Clone)]
pub struct Root {
    // Empty for a virtual root, which has no host directory: code that needs
    // one must ask `host_base()` and get `None`, never a path it could misuse.
    base: PathBuf,
    vfs: Option<Arc<dyn Vfs>>,
    live: bool,
    limits: Limits,
    case_insensitive: bool,
    // Four collectors need the user homes; listing them reads /etc/passwd
    // and stats every candidate, so it is done once per root.
    homes: std::sync::OnceLock<Vec<String>>,
}

/// Metadata of an entry under a [`Root`], from the host or a virtual tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    file_type: EntryType,
    len: u64,
    mode: u32,
    mtime: i64,
    id: (u64, u64),
}

impl Meta {
    fn from_std(m: &Metadata) -> Meta {
        use std::os::unix::fs::MetadataExt;
        let ft = m.file_type();
        Meta {
            file_type: entry_type(&ft),
            len: m.len(),
            mode: m.mode() & 0o7777,
            mtime: m.mtime(),
            id: (m.dev(), m.ino()),
        }
    }

    fn from_vfs(m: VfsMeta) -> Meta {
        Meta {
            file_type: m.file_type,
            len: m.len,
            mode: m.mode,
            mtime: m.mtime,
            id: (0, m.id),
        }
    }

    /// Entry type.
    pub fn file_type(&self) -> EntryType {
        self.file_type
    }
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type == EntryType::Dir
    }
    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.file_type == EntryType::File
    }
    /// True for a symlink (only from [`Root::symlink_metadata`]).
    pub fn is_symlink(&self) -> bool {
        self.file_type == EntryType::Symlink
    }
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }
    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Permission and set-id bits.
    pub fn mode(&self) -> u32 {
        self.mode
    }
    /// Modification time, seconds since the epoch.
    pub fn mtime(&self) -> i64 {
        self.mtime
    }
    /// `(device, inode)` on a host root; `(0, node id)` on a virtual one.
    /// Equal ids mean the same file (hard links, bind mounts).
    pub fn id(&self) -> (u64, u64) {
        self.id
    }
}

/// An open file under a [`Root`].
pub enum RootFile {
    /// A host file.
    Host(File),
    /// A file of a virtual tree.
    Virtual(Box<dyn ReadSeek>),
}

impl std::fmt::Debug for RootFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RootFile::Host(file) => file.fmt(f),
            RootFile::Virtual(_) => f.write_str("RootFile::Virtual"),
        }
    }
}

impl Read for RootFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            RootFile::Host(f) => f.read(buf),
            RootFile::Virtual(r) => r.read(buf),
        }
    }
}

impl Seek for RootFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            RootFile::Host(f) => f.seek(pos),
            RootFile::Virtual(r) => r.seek(pos),
        }
    }
}

/// A root file as a path on the scanning host, for libraries that can only
/// open by path (SQLite). A virtual root's file is copied to a private
/// temporary file, which is deleted when this is dropped.
#[derive(Debug)]
pub enum LocalFile {
    /// The file itself, on a host root.
    Host(PathBuf),
    /// A private copy of a virtual file.
    Copy(tempfile::TempPath),
}

impl LocalFile {
    /// The host path to open.
    pub fn path(&self) -> &Path {
        match self {
            LocalFile::Host(p) => p,
            LocalFile::Copy(t) => t,
        }
    }
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
            vfs: None,
            live,
            limits: Limits::default(),
            homes: std::sync::OnceLock::new(),
            case_insensitive: false,
        })
    }

    /// A root over a virtual tree (a container image). Never live.
    pub fn from_vfs(vfs: Arc<dyn Vfs>) -> Root {
        Root {
            base: PathBuf::new(),
            vfs: Some(vfs),
            live: false,
            limits: Limits::default(),
            homes: std::sync::OnceLock::new(),
            case_insensitive: false,
        }
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

    /// The host directory the root maps to; `None` for a virtual root.
    pub fn host_base(&self) -> Option<&Path> {
        self.vfs.is_none().then_some(self.base.as_path())
    }

    /// The virtual tree behind this root, if it is one.
    pub fn vfs(&self) -> Option<&Arc<dyn Vfs>> {
        self.vfs.as_ref()
    }

    /// What is being scanned, for messages: the host directory or the image.
    pub fn describe(&self) -> String {
        match &self.vfs {
            Some(v) => v.describe(),
            None => self.base.display().to_string(),
        }
    }

    /// The in-root path with every symlink resolved inside the root: the
    /// identity of the file, for reading each real directory once.
    pub fn canonical(&self, path: &str) -> Result<String, RootError> {
        self.resolve_inner(path, true).map(|parts| in_root(&parts))
    }

    /// Resolves an in-root path to a host path, following symlinks only
    /// inside the root. Fails on a virtual root, which has no host path
    /// (use [`Root::canonical`] or [`Root::local_file`]).
    pub fn resolve(&self, path: &str) -> Result<PathBuf, RootError> {
        let parts = self.resolve_inner(path, true)?;
        self.host_path(path, &parts)
    }

    /// Resolves all but the last component; the last is returned as is, so that
    /// a symlink can be inspected rather than followed. Host roots only.
    pub fn resolve_nofollow(&self, path: &str) -> Result<PathBuf, RootError> {
        let parts = self.resolve_inner(path, false)?;
        self.host_path(path, &parts)
    }

    fn host_path(&self, path: &str, parts: &[OsString]) -> Result<PathBuf, RootError> {
        if self.vfs.is_some() {
            return Err(io_err(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "a virtual root has no host path",
                ),
            ));
        }
        let mut out = self.base.clone();
        out.extend(parts);
        Ok(out)
    }

    fn lstat_parts(&self, parts: &[OsString]) -> std::io::Result<Meta> {
        match &self.vfs {
            Some(v) => v.lstat(&in_root(parts)).map(Meta::from_vfs),
            None => {
                let mut p = self.base.clone();
                p.extend(parts);
                std::fs::symlink_metadata(&p).map(|m| Meta::from_std(&m))
            }
        }
    }

    fn read_link_parts(&self, parts: &[OsString]) -> std::io::Result<PathBuf> {
        match &self.vfs {
            Some(v) => v.read_link(&in_root(parts)),
            None => {
                let mut p = self.base.clone();
                p.extend(parts);
                std::fs::read_link(&p)
            }
        }
    }

    /// Names in a directory given as resolved components; `path` names it in errors.
    fn list_parts(&self, path: &str, parts: &[OsString]) -> Result<Vec<DirEntry>, RootError> {
        let too_many = || RootError::TooManyEntries {
            path: path.to_owned(),
            limit: self.limits.max_dir_entries,
        };
        if let Some(v) = &self.vfs {
            let out = v.read_dir(&in_root(parts)).map_err(|e| io_err(path, e))?;
            return if out.len() > self.limits.max_dir_entries {
                Err(too_many())
            } else {
                Ok(out)
            };
        }
        let mut p = self.base.clone();
        p.extend(parts);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&p).map_err(|e| io_err(path, e))? {
            let entry = entry.map_err(|e| io_err(path, e))?;
            if out.len() >= self.limits.max_dir_entries {
                return Err(too_many());
            }
            let ft = entry.file_type().map_err(|e| io_err(path, e))?;
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                file_type: entry_type(&ft),
            });
        }
        Ok(out)
    }

    fn resolve_inner(&self, path: &str, follow_last: bool) -> Result<Vec<OsString>, RootError> {
        let mut pending: Vec<OsString> = components(Path::new(path));
        pending.reverse();
        let mut resolved: Vec<OsString> = Vec::new();
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(comp);
            let meta = match self.lstat_parts(&resolved) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let comp = resolved.pop().unwrap_or_default();
                    // Retry with the name as it is really spelled on disk.
                    match self
                        .case_insensitive
                        .then(|| self.find_ignoring_case(&resolved, &comp))
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
            if meta.is_symlink() && (follow_last || !is_last) {
                hops += 1;
                if hops > self.limits.max_symlink_hops {
                    return Err(RootError::SymlinkLoop {
                        path: path.to_owned(),
                    });
                }
                let target = self
                    .read_link_parts(&resolved)
                    .map_err(|e| io_err(path, e))?;
                resolved.pop();
                if target.is_absolute() {
                    resolved.clear();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            }
        }
        Ok(resolved)
    }

    /// The entry of the directory `parent` whose name equals `name` ignoring
    /// case, if exactly one does (two spellings in one directory are
    /// ambiguous, so neither is chosen). On a host root the name comes back
    /// as the directory spells it, bytes and all, so a non-UTF-8 name can be
    /// opened; a name equal to `name` itself is no progress and is `None`.
    fn find_ignoring_case(&self, parent: &[OsString], name: &OsString) -> Option<OsString> {
        let want = name.to_string_lossy().to_lowercase();
        let names: Vec<OsString> = match &self.vfs {
            Some(_) => self
                .list_parts("", parent)
                .ok()?
                .into_iter()
                .map(|e| OsString::from(e.name))
                .collect(),
            None => {
                let mut dir = self.base.clone();
                dir.extend(parent);
                std::fs::read_dir(&dir)
                    .ok()?
                    .take(self.limits.max_dir_entries)
                    .filter_map(|e| e.ok().map(|e| e.file_name()))
                    .collect()
            }
        };
        let mut found = None;
        for n in names {
            if n.to_string_lossy().to_lowercase() == want {
                if found.is_some() {
                    return None;
                }
                found = Some(n);
            }
        }
        found.filter(|f| f != name)
    }

    /// Opens a file read-only. The final component must not be a symlink after
    /// resolution, which `O_NOFOLLOW` enforces against a swap in between.
    pub fn open(&self, path: &str) -> Result<RootFile, RootError> {
        let parts = self.resolve_inner(path, true)?;
        if let Some(v) = &self.vfs {
            let inroot = in_root(&parts);
            let meta = v.lstat(&inroot).map_err(|e| io_err(path, e))?;
            check_regular(path, meta.file_type)?;
            return v
                .open(&inroot)
                .map(RootFile::Virtual)
                .map_err(|e| io_err(path, e));
        }
        let host = self.host_path(path, &parts)?;
        let f = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&host)
            .map_err(|e| io_err(path, e))?;
        let meta = f.metadata().map_err(|e| io_err(path, e))?;
        if !(self.live && host.starts_with("/proc")) {
            check_regular(path, entry_type(&meta.file_type()))?;
        }
        Ok(RootFile::Host(f))
    }

    /// Reads a whole file, refusing files over the per-file limit.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, RootError> {
        self.read_limited(path, self.limits.max_file_bytes)
    }

    /// Reads a whole file, refusing files over `limit` bytes.
    pub fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, RootError> {
        let mut f = self.open(path)?;
        let meta_len = match &f {
            RootFile::Host(h) => h.metadata().map(|m| m.len()).unwrap_or(0),
            RootFile::Virtual(_) => self.metadata(path).map(|m| m.len()).unwrap_or(0),
        };
        if meta_len > limit {
            return Err(RootError::TooLarge {
                path: path.to_owned(),
                size: meta_len,
                limit,
            });
        }
        let mut buf = Vec::with_capacity(meta_len as usize);
        // procfs reports size 0, and a file may grow while we read: cap the read itself.
        (&mut f)
            .take(limit + 1)
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

    /// The file as a host path a library can open by name: the file itself on
    /// a host root, a private temporary copy (up to the per-file limit) on a
    /// virtual one.
    pub fn local_file(&self, path: &str) -> Result<LocalFile, RootError> {
        if self.vfs.is_none() {
            return self.resolve(path).map(LocalFile::Host);
        }
        let mut src = self.open(path)?;
        let limit = self.limits.max_file_bytes;
        let mut tmp = tempfile::NamedTempFile::new().map_err(|e| io_err(path, e))?;
        let copied = std::io::copy(&mut (&mut src).take(limit + 1), tmp.as_file_mut())
            .map_err(|e| io_err(path, e))?;
        if copied > limit {
            return Err(RootError::TooLarge {
                path: path.to_owned(),
                size: copied,
                limit,
            });
        }
        Ok(LocalFile::Copy(tmp.into_temp_path()))
    }

    /// Metadata, following symlinks inside the root.
    pub fn metadata(&self, path: &str) -> Result<Meta, RootError> {
        let parts = self.resolve_inner(path, true)?;
        self.lstat_parts(&parts).map_err(|e| io_err(path, e))
    }

    /// Metadata of the entry itself, without following a final symlink.
    pub fn symlink_metadata(&self, path: &str) -> Result<Meta, RootError> {
        let parts = self.resolve_inner(path, false)?;
        self.lstat_parts(&parts).map_err(|e| io_err(path, e))
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
        let parts = self.resolve_inner(path, true)?;
        let mut out = self.list_parts(path, &parts)?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Reads the target of a symlink as stored (not resolved).
    pub fn read_link(&self, path: &str) -> Result<PathBuf, RootError> {
        let parts = self.resolve_inner(path, false)?;
        self.read_link_parts(&parts).map_err(|e| io_err(path, e))
    }
}

fn entry_type(ft: &std::fs::FileType) -> EntryType {
    if ft.is_symlink() {
        EntryType::Symlink
    } else if ft.is_dir() {
        EntryType::Dir
    } else if ft.is_file() {
        EntryType::File
    } else {
        EntryType::Other
    }
}

/// Refuses directories, fifos and devices: reading a fifo can block forever.
fn check_regular(path: &str, t: EntryType) -> Result<(), RootError> {
    match t {
        EntryType::File => Ok(()),
        EntryType::Dir => Err(io_err(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        )),
        _ => Err(io_err(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        )),
    }
}

fn in_root(parts: &[OsString]) -> String {
    let mut s = String::from("/");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push('/');
        }
        s.push_str(&p.to_string_lossy());
    }
    s
}

/// Joins an in-root directory and a name with exactly one slash.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
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
    fn case_insensitive_lookup_of_a_non_utf8_name_ends() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let (root, _o) = tree();
        std::fs::create_dir_all(root.path().join("nonutf8")).unwrap();
        std::fs::write(
            root.path().join("nonutf8").join(OsStr::from_bytes(b"\xff")),
            "x",
        )
        .unwrap();
        let ci = Root::new(root.path(), false)
            .unwrap()
            .with_case_insensitive(true);
        // The lossy spelling finds the file by its real bytes; a spelling no
        // entry has must end as not found, never loop retrying itself.
        assert_eq!(ci.read("/NONUTF8/\u{fffd}").unwrap(), b"x");
        assert!(ci
            .read("/nonutf8/\u{fffd}\u{fffd}")
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
