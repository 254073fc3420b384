//! The index pass over one layer tar: each entry is checked, then applied
//! to the merged tree (whiteouts, opaque directories, hard links, replacement).

use crate::error::ImageError;
use crate::tarscan::{Input, TarEntry, TarReader};
use crate::tree::{Attrs, Full, Kind, Tree, NO_DATA};

/// Longest entry path or link target accepted (Linux PATH_MAX is 4 KiB; a
/// PAX header can claim megabytes).
const MAX_PATH: usize = 64 << 10;
const WHITEOUT: &[u8] = b".wh.";
const OPAQUE: &[u8] = b".wh..wh..opq";

/// Everything the pass needs to know about the layer being read.
pub(crate) struct LayerPass<'a> {
    pub index: usize,
    pub digest: &'a str,
    pub tree: &'a mut Tree,
    pub warnings: &'a mut Vec<String>,
    /// Entries read so far across all layers, and the cap.
    pub entries: &'a mut u64,
    pub max_entries: u64,
    /// Length of the tar stream when known up front (seekable layers), to
    /// catch entries that claim data past the end.
    pub stream_len: Option<u64>,
}

impl LayerPass<'_> {
    fn layer_err(&self, reason: impl Into<String>) -> ImageError {
        ImageError::Layer {
            index: self.index,
            digest: self.digest.to_owned(),
            reason: reason.into(),
        }
    }

    fn entry_err(&self, entry: &str, reason: impl Into<String>) -> ImageError {
        ImageError::Entry {
            index: self.index,
            digest: self.digest.to_owned(),
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }

    fn warn(&mut self, entry: &str, what: &str) {
        self.warnings.push(format!(
            "layer {} ({}): entry `{entry}`: {what}",
            self.index, self.digest
        ));
    }

    fn full(&self) -> ImageError {
        self.layer_err(
            "too much to index: names and link targets over 64 MiB, or a name over 64 KiB",
        )
    }

    /// Applies every entry of the layer to the tree.
    pub fn run<R: Input>(&mut self, reader: &mut TarReader<R>) -> Result<u64, ImageError> {
        let layer = u16::try_from(self.index).map_err(|_| self.layer_err("too many layers"))?;
        let mut count = 0u64;
        let mut last = String::from("(start of layer)");
        loop {
            let entry = match reader.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => return Ok(count),
                Err(e) => {
                    return Err(self.layer_err(format!("corrupt tar after entry `{last}`: {e}")))
                }
            };
            count += 1;
            *self.entries += 1;
            if *self.entries > self.max_entries {
                return Err(ImageError::TooManyEntries {
                    index: self.index,
                    digest: self.digest.to_owned(),
                    limit: self.max_entries,
                });
            }
            last = shown(&entry.path);
            self.apply(&entry, &last, layer)?;
        }
    }

    fn apply(&mut self, entry: &TarEntry, shown: &str, layer: u16) -> Result<(), ImageError> {
        let (size, pos) = (entry.size, entry.data_pos);
        if let Some(len) = self.stream_len {
            if pos.checked_add(size).is_none_or(|end| end > len) {
                return Err(self.entry_err(
                    shown,
                    format!("claims {size} bytes of data past the end of the layer (truncated or corrupt)"),
                ));
            }
        }
        let raw_path = entry.path.as_slice();
        if raw_path.len() > MAX_PATH {
            return Err(self.entry_err(shown, "path longer than 64 KiB"));
        }
        let comps = normalise(raw_path).map_err(|why| self.entry_err(shown, why))?;
        let (mode, mtime) = (entry.mode, entry.mtime);

        let kind = match entry.typeflag {
            // Old tars mark a directory as a regular file whose name ends in '/'.
            0 if raw_path.ends_with(b"/") => Kind::Dir,
            b'5' | b'D' => Kind::Dir,
            0 | b'0' | b'7' | b'S' | b'1' => Kind::File, // hard links resolved below
            b'2' => Kind::Symlink,
            b'3' | b'4' | b'6' => Kind::Other,
            other => {
                self.warn(
                    shown,
                    &format!(
                        "tar entry type `{}` is not a file, directory or link; skipped",
                        other.escape_ascii()
                    ),
                );
                return Ok(());
            }
        };

        let Some((name, parents)) = comps.split_last() else {
            // `./` itself: the root directory's metadata.
            if kind == Kind::Dir {
                self.tree.set_root_attrs(mode, mtime, layer);
                return Ok(());
            }
            return Err(self.entry_err(shown, "entry would replace the root directory"));
        };
        let parent = self
            .tree
            .ensure_dir(parents.iter().copied(), layer)
            .map_err(|Full| self.full())?;

        if let Some(hidden) = name.strip_prefix(WHITEOUT) {
            if *name == OPAQUE {
                self.tree.opaque(parent, layer);
            } else if hidden.starts_with(WHITEOUT) {
                // aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not content.
                self.warn(shown, "aufs metadata entry skipped");
            } else if hidden.is_empty() || hidden == b"." || hidden == b".." {
                self.warn(shown, "whiteout of an invalid name skipped");
            } else {
                self.tree.whiteout(parent, hidden, layer);
            }
            return Ok(());
        }

        if entry.typeflag == b'1' {
            let target = entry.link.as_slice();
            if target.len() > MAX_PATH {
                return Err(self.entry_err(shown, "hard link target longer than 64 KiB"));
            }
            let tcomps = normalise(target).map_err(|why| {
                self.entry_err(
                    shown,
                    format!("hard link target `{}`: {why}", self::shown(target)),
                )
            })?;
            let found = self.tree.lookup(tcomps.iter().copied()).ok().filter(|&t| {
                let ino = self.tree.node(t).ino;
                self.tree.node(ino).kind() != Kind::Dir
            });
            match found {
                Some(t) if tcomps != comps => {
                    self.tree
                        .put_link(parent, name, t, layer)
                        .map_err(|Full| self.full())?;
                }
                _ => self.warn(
                    shown,
                    &format!(
                        "hard link to `{}`, which is not an earlier file of this or a lower layer; skipped",
                        self::shown(target)
                    ),
                ),
            }
            return Ok(());
        }

        let attrs = match kind {
            Kind::File => {
                let data = if entry.sparse {
                    self.warn(shown, "sparse file: listed, but its content cannot be read");
                    NO_DATA
                } else {
                    pos
                };
                Attrs {
                    kind,
                    mode,
                    mtime,
                    size,
                    data,
                }
            }
            Kind::Symlink => {
                let target = entry.link.as_slice();
                if target.is_empty() {
                    return Err(self.entry_err(shown, "symlink without a target"));
                }
                if target.len() > MAX_PATH {
                    return Err(self.entry_err(shown, "symlink target longer than 64 KiB"));
                }
                if climbs_out(parents.len(), target) {
                    self.warn(
                        shown,
                        &format!(
                            "symlink to `{}` climbs out of the image root; reads through it stay inside the image",
                            self::shown(target)
                        ),
                    );
                }
                let off = self.tree.intern(target).map_err(|Full| self.full())?;
                Attrs {
                    kind,
                    mode,
                    mtime,
                    size: target.len() as u64,
                    data: u64::from(off),
                }
            }
            Kind::Dir | Kind::Other => Attrs {
                kind,
                mode,
                mtime,
                size: 0,
                data: 0,
            },
        };
        self.tree
            .put(parent, name, attrs, layer)
            .map_err(|Full| self.full())?;
        Ok(())
    }
}

/// Splits an entry path into components. `.` and empty components go,
/// `..` is applied; an absolute path or one that climbs above the root is
/// refused (Docker refuses such layers too: they are a path traversal attempt).
pub(crate) fn normalise(path: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    let rest = path.strip_prefix(b"./").unwrap_or(path);
    if rest.starts_with(b"/") {
        return Err("absolute path (path traversal); the layer is refused");
    }
    let mut out: Vec<&[u8]> = Vec::new();
    for c in rest.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() {
                    return Err("path climbs out of the image root with `..` (path traversal); the layer is refused");
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// True when a relative symlink target, resolved from a directory `depth`
/// levels below the root, goes above the root. (Absolute targets are
/// re-rooted by chroot semantics and so never leave.)
fn climbs_out(depth: usize, target: &[u8]) -> bool {
    if target.starts_with(b"/") {
        return false;
    }
    let mut d = depth as i64;
    for c in target.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                d -= 1;
                if d < 0 {
                    return true;
                }
            }
            _ => d += 1,
        }
    }
    false
}

/// An entry path for messages: lossy UTF-8, cut at 200 characters.
pub(crate) fn shown(path: &[u8]) -> String {
    let s = String::from_utf8_lossy(path);
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_accepts_dot_paths_and_refuses_traversal() {
        assert_eq!(
            normalise(b"./etc/os-release").unwrap(),
            [&b"etc"[..], b"os-release"]
        );
        assert_eq!(normalise(b"usr/../etc/").unwrap(), [&b"etc"[..]]);
        assert!(normalise(b"./").unwrap().is_empty());
        assert!(normalise(b"../etc/passwd").is_err());
        assert!(normalise(b"a/../../b").is_err());
        assert!(normalise(b"/etc/passwd").unwrap_err().contains("absolute"));
    }

    #[test]
    fn climbs_out_counts_from_the_link_directory() {
        assert!(!climbs_out(2, b"../../x"));
        assert!(climbs_out(2, b"../../../x"));
        assert!(!climbs_out(0, b"/etc/shadow"));
        assert!(climbs_out(1, b"a/../../.."));
    }
}
