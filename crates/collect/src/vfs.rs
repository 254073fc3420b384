//! A filesystem that is not a host directory: a container image's merged
//! layers, read straight from the image file.
//!
//! [`Root`](crate::Root) does the path resolution (chroot semantics, `..`
//! stopping at `/`, bounded symlink hops, case folding) for both host and
//! virtual roots; a [`Vfs`] only answers questions about one normalised,
//! absolute path whose parents contain no symlinks. That keeps the
//! containment logic in one place, so an image backend cannot get it wrong.

use std::io::{Read, Seek};
use std::path::PathBuf;

use crate::root::{DirEntry, EntryType};

/// Metadata of one virtual entry, as `lstat` would give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VfsMeta {
    /// Entry type (a symlink is reported as such, never followed).
    pub file_type: EntryType,
    /// Size in bytes (regular files; 0 otherwise).
    pub len: u64,
    /// Permission bits and set-id bits (`0o7777` part of `st_mode`).
    pub mode: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Unique per entry within one filesystem, like an inode number; hard
    /// links share it. Used to visit a directory once.
    pub id: u64,
}

/// A readable, seekable file handle.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A read-only filesystem. Paths are absolute (`/`, `/etc/os-release`),
/// normalised (no `.`, `..` or doubled `/`), and no parent component is a
/// symlink. Missing entries are `io::ErrorKind::NotFound`.
pub trait Vfs: Send + Sync + std::fmt::Debug {
    /// Metadata of the entry itself (a final symlink is not followed).
    fn lstat(&self, path: &str) -> std::io::Result<VfsMeta>;
    /// Entries of a directory, in any order, without `.` and `..`.
    fn read_dir(&self, path: &str) -> std::io::Result<Vec<DirEntry>>;
    /// Target of a symlink, as stored.
    fn read_link(&self, path: &str) -> std::io::Result<PathBuf>;
    /// Opens a regular file for reading.
    fn open(&self, path: &str) -> std::io::Result<Box<dyn ReadSeek>>;
    /// What this filesystem is, for messages (`image alpine.tar`).
    fn describe(&self) -> String;
}
