//! The merged tree as a [`Vfs`], so `Root::from_vfs` runs every collector
//! over the image.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use uproot_collect::root::{DirEntry, EntryType};
use uproot_collect::vfs::{ReadSeek, Vfs, VfsMeta};

use crate::store::FileReader;
use crate::tree::{Kind, Miss, Tree, NO_DATA, ROOT};
use crate::Image;

/// Symlinks followed in one lookup, as Linux allows.
const MAX_HOPS: usize = 40;

fn entry_type(k: Kind) -> EntryType {
    match k {
        Kind::Dir => EntryType::Dir,
        Kind::File => EntryType::File,
        Kind::Symlink => EntryType::Symlink,
        Kind::Other => EntryType::Other,
    }
}

fn miss(path: &str, m: Miss) -> io::Error {
    match m {
        Miss::NotFound => {
            io::Error::new(io::ErrorKind::NotFound, format!("{path}: not in the image"))
        }
        Miss::NotADirectory => io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{path}: a parent is not a directory"),
        ),
    }
}

/// Resolves an in-image path with chroot semantics: `..` stops at `/`,
/// absolute symlink targets restart at the image root, at most 40 hops.
/// The last component is followed only when `follow_last`. The Vfs contract
/// promises paths without symlinked parents; resolving anyway costs nothing
/// and lets `layer_of` take paths as collectors report them.
pub(crate) fn resolve(tree: &Tree, path: &str, follow_last: bool) -> Result<u32, Miss> {
    let mut pending: Vec<Vec<u8>> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(|c| c.as_bytes().to_vec())
        .collect();
    pending.reverse();
    let mut stack: Vec<u32> = Vec::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        if c == b"." {
            continue;
        }
        if c == b".." {
            stack.pop();
            continue;
        }
        let cur = stack.last().copied().unwrap_or(ROOT);
        if tree.node(tree.node(cur).ino).kind() != Kind::Dir {
            return Err(Miss::NotADirectory);
        }
        let child = tree
            .child(cur, &c)
            .or_else(|| lossy_child(tree, cur, &c))
            .ok_or(Miss::NotFound)?;
        let ino = tree.node(child).ino;
        if tree.node(ino).kind() == Kind::Symlink && (follow_last || !pending.is_empty()) {
            hops += 1;
            if hops > MAX_HOPS {
                return Err(Miss::NotFound);
            }
            let target = tree.link_target(ino);
            if target.starts_with(b"/") {
                stack.clear();
            }
            pending.extend(
                target
                    .split(|&b| b == b'/')
                    .filter(|c| !c.is_empty())
                    .rev()
                    .map(<[u8]>::to_vec),
            );
            continue;
        }
        stack.push(child);
    }
    Ok(stack.last().copied().unwrap_or(ROOT))
}

/// `read_dir` reports non-UTF-8 names lossily (the `Vfs` speaks `str`);
/// such a name, handed back, is found by comparing lossy spellings.
fn lossy_child(tree: &Tree, dir: u32, name: &[u8]) -> Option<u32> {
    const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();
    if !name.windows(3).any(|w| w == REPLACEMENT) {
        return None;
    }
    tree.children(dir)
        .find(|&c| String::from_utf8_lossy(tree.name(c)).as_bytes() == name)
}

impl Image {
    fn find(&self, path: &str) -> io::Result<u32> {
        resolve(&self.tree, path, false).map_err(|m| miss(path, m))
    }
}

impl Vfs for Image {
    fn lstat(&self, path: &str) -> io::Result<VfsMeta> {
        let n = self.find(path)?;
        let ino = self.tree.node(n).ino;
        let d = self.tree.node(ino);
        Ok(VfsMeta {
            file_type: entry_type(d.kind()),
            len: if d.kind() == Kind::File { d.size } else { 0 },
            mode: d.mode(),
            mtime: d.mtime(),
            id: u64::from(ino) + 1,
        })
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<DirEntry>> {
        let n = self.find(path)?;
        if self.tree.node(n).kind() != Kind::Dir {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{path}: not a directory"),
            ));
        }
        Ok(self
            .tree
            .children(n)
            .map(|c| DirEntry {
                name: String::from_utf8_lossy(self.tree.name(c)).into_owned(),
                file_type: entry_type(self.tree.node(self.tree.node(c).ino).kind()),
            })
            .collect())
    }

    fn read_link(&self, path: &str) -> io::Result<PathBuf> {
        let n = self.find(path)?;
        let ino = self.tree.node(n).ino;
        if self.tree.node(ino).kind() != Kind::Symlink {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path}: not a symbolic link"),
            ));
        }
        Ok(PathBuf::from(OsStr::from_bytes(self.tree.link_target(ino))))
    }

    fn open(&self, path: &str) -> io::Result<Box<dyn ReadSeek>> {
        let n = self.find(path)?;
        let ino = self.tree.node(n).ino;
        let d = self.tree.node(ino);
        match d.kind() {
            Kind::File if d.data == NO_DATA => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{path}: GNU sparse file; its content cannot be read from the image"),
            )),
            Kind::File => {
                let src = &self.sources[d.layer as usize];
                Ok(Box::new(FileReader::new(
                    src.file.clone(),
                    src.base + d.data,
                    d.size,
                )))
            }
            Kind::Dir => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{path}: is a directory"),
            )),
            Kind::Symlink | Kind::Other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path}: not a regular file"),
            )),
        }
    }

    fn describe(&self) -> String {
        format!("image {}", self.path.display())
    }
}
