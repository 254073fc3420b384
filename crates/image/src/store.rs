//! Where an image's files live: a directory, or members of one tar file.
//!
//! Both docker save archives and OCI layouts are "a set of named files"; a
//! [`Store`] answers "where are the bytes of member X" with a file and a byte
//! range, so a layer inside an outer tar is read in place (offsets compose)
//! and nothing is copied out.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ImageError;
use crate::tarscan::TarReader;

/// A byte range of a file: one blob.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub file: Arc<File>,
    pub offset: u64,
    pub len: u64,
    /// Member name, for messages.
    pub name: String,
}

impl Blob {
    /// A buffered, seekable reader over the blob.
    pub fn reader(&self, buf: usize) -> SectionReader {
        SectionReader::new(self.file.clone(), self.offset, self.len, buf)
    }

    /// Reads the whole blob, refusing blobs over `limit` bytes.
    pub fn read_all(&self, limit: u64) -> Result<Vec<u8>, ImageError> {
        if self.len > limit {
            return Err(ImageError::meta(
                &self.name,
                format!(
                    "{} bytes, over the {limit}-byte limit for a metadata file",
                    self.len
                ),
            ));
        }
        let mut out = Vec::with_capacity(self.len as usize);
        self.reader(64 << 10)
            .read_to_end(&mut out)
            .map_err(|e| ImageError::io(&self.name, e))?;
        if (out.len() as u64) < self.len {
            return Err(ImageError::meta(
                &self.name,
                format!("truncated: {} of {} bytes", out.len(), self.len),
            ));
        }
        Ok(out)
    }

    /// First bytes, for sniffing the compression.
    pub fn head(&self, n: usize) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::with_capacity(n);
        self.reader(n.max(1))
            .take(n as u64)
            .read_to_end(&mut out)
            .map_err(|e| ImageError::io(&self.name, e))?;
        Ok(out)
    }
}

/// How a member of an outer tar is stored.
#[derive(Debug)]
pub(crate) enum Member {
    File {
        offset: u64,
        size: u64,
    },
    /// A symlink or hard link to another member (docker save links identical
    /// layers as `<id>/layer.tar -> ../<other>/layer.tar`).
    Link(String),
}

/// The files of an image.
#[derive(Debug)]
pub(crate) enum Store {
    Dir(PathBuf),
    Tar {
        file: Arc<File>,
        members: HashMap<String, Member>,
    },
}

/// Cleans an in-image relative path: drops `.`, empty and leading `/`
/// components and applies `..`. None when `..` would climb out.
pub(crate) fn clean_rel(name: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

impl Store {
    /// Opens a directory as is, or indexes the members of a tar file.
    pub fn open_dir(dir: &Path) -> Store {
        Store::Dir(dir.to_path_buf())
    }

    /// Indexes the members of an (uncompressed) tar. `shown` names it in messages.
    pub fn open_tar(
        file: Arc<File>,
        len: u64,
        shown: &str,
        max_entries: u64,
    ) -> Result<Store, ImageError> {
        let mut reader = TarReader::new(SectionReader::new(file.clone(), 0, len, 64 << 10));
        let mut members = HashMap::new();
        let mut count = 0u64;
        loop {
            let entry = match reader.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    return Err(ImageError::NotAnImage {
                        path: shown.to_owned(),
                        reason: format!("not a readable tar archive: {e}"),
                    })
                }
            };
            count += 1;
            if count > max_entries {
                return Err(ImageError::NotAnImage {
                    path: shown.to_owned(),
                    reason: format!("more than {max_entries} members"),
                });
            }
            let raw = String::from_utf8_lossy(&entry.path).into_owned();
            let Some(name) = clean_rel(&raw) else {
                // Never looked up (names come from clean_rel too), so never read.
                continue;
            };
            let member = match entry.typeflag {
                0 | b'0' | b'7' if !entry.sparse => {
                    let (offset, size) = (entry.data_pos, entry.size);
                    if offset.checked_add(size).is_none_or(|end| end > len) {
                        return Err(ImageError::NotAnImage {
                            path: shown.to_owned(),
                            reason: format!(
                                "member {raw} runs past the end of the file (truncated archive)"
                            ),
                        });
                    }
                    Member::File { offset, size }
                }
                b'1' | b'2' => {
                    let target = String::from_utf8_lossy(&entry.link).into_owned();
                    let joined = if entry.typeflag == b'2' && !target.starts_with('/') {
                        match name.rsplit_once('/') {
                            Some((dir, _)) => format!("{dir}/{target}"),
                            None => target,
                        }
                    } else {
                        target
                    };
                    match clean_rel(&joined) {
                        Some(t) => Member::Link(t),
                        None => continue,
                    }
                }
                _ => continue,
            };
            members.insert(name, member);
        }
        Ok(Store::Tar { file, members })
    }

    /// True when the member exists.
    pub fn exists(&self, name: &str) -> bool {
        matches!(self.blob(name), Ok(Some(_)))
    }

    /// The bytes of a member, or None when it is missing. Names that climb
    /// out of the image (`../x`) are errors, so a hostile manifest cannot
    /// make a directory layout read host files.
    pub fn blob(&self, name: &str) -> Result<Option<Blob>, ImageError> {
        let clean = clean_rel(name)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ImageError::meta(name, "path climbs out of the image or is empty"))?;
        match self {
            Store::Dir(root) => {
                let path = root.join(&clean);
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(ImageError::io(path.display().to_string(), e)),
                };
                let meta = file
                    .metadata()
                    .map_err(|e| ImageError::io(path.display().to_string(), e))?;
                if !meta.is_file() {
                    return Ok(None);
                }
                Ok(Some(Blob {
                    file: Arc::new(file),
                    offset: 0,
                    len: meta.len(),
                    name: clean,
                }))
            }
            Store::Tar { file, members } => {
                let mut cur = clean;
                // Bounded: a link cycle among members is just "missing".
                for _ in 0..16 {
                    match members.get(&cur) {
                        None => return Ok(None),
                        Some(Member::File { offset, size }) => {
                            return Ok(Some(Blob {
                                file: file.clone(),
                                offset: *offset,
                                len: *size,
                                name: cur,
                            }))
                        }
                        Some(Member::Link(t)) => cur = t.clone(),
                    }
                }
                Ok(None)
            }
        }
    }
}

/// Reads a byte range of a file with `pread`, through a buffer that survives
/// short seeks (the tar reader seeks past every file's data; most files are
/// small, so the next header is usually already buffered).
pub(crate) struct SectionReader {
    file: Arc<File>,
    start: u64,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_pos: u64,
    buf_len: usize,
}

impl SectionReader {
    pub fn new(file: Arc<File>, start: u64, len: u64, buf: usize) -> SectionReader {
        SectionReader {
            file,
            start,
            len,
            pos: 0,
            buf: vec![0; buf.max(512)],
            buf_pos: 0,
            buf_len: 0,
        }
    }
}

/// `pread` until `buf` is full or the file ends.
pub(crate) fn read_full_at(file: &File, buf: &mut [u8], mut off: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], off) {
            Ok(0) => break,
            Ok(n) => {
                done += n;
                off += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl Read for SectionReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let want = out
            .len()
            .min((self.len - self.pos).min(usize::MAX as u64) as usize);
        let in_buf = self.pos >= self.buf_pos && self.pos < self.buf_pos + self.buf_len as u64;
        if !in_buf {
            if want >= self.buf.len() {
                // Large reads bypass the buffer.
                let n = read_full_at(&self.file, &mut out[..want], self.start + self.pos)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let fill = self.buf.len().min((self.len - self.pos) as usize);
            let n = read_full_at(&self.file, &mut self.buf[..fill], self.start + self.pos)?;
            self.buf_pos = self.pos;
            self.buf_len = n;
            if n == 0 {
                return Ok(0);
            }
        }
        let off = (self.pos - self.buf_pos) as usize;
        let n = want.min(self.buf_len - off);
        out[..n].copy_from_slice(&self.buf[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SectionReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = seek_in(self.pos, self.len, to, "blob")?;
        Ok(self.pos)
    }
}

/// The position a seek in a range of `len` bytes lands on, from `pos`.
fn seek_in(pos: u64, len: u64, to: SeekFrom, what: &str) -> io::Result<u64> {
    let new = match to {
        SeekFrom::Start(n) => Some(n),
        SeekFrom::End(d) => len.checked_add_signed(d),
        SeekFrom::Current(d) => pos.checked_add_signed(d),
    };
    new.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("seek before the start of the {what}"),
        )
    })
}

/// Unbuffered reader over one file's bytes, handed out by `Vfs::open`.
pub(crate) struct FileReader {
    file: Arc<File>,
    start: u64,
    len: u64,
    pos: u64,
}

impl FileReader {
    pub fn new(file: Arc<File>, start: u64, len: u64) -> FileReader {
        FileReader {
            file,
            start,
            len,
            pos: 0,
        }
    }
}

impl Read for FileReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let want = out
            .len()
            .min((self.len - self.pos).min(usize::MAX as u64) as usize);
        let n = self.file.read_at(&mut out[..want], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = seek_in(self.pos, self.len, to, "file")?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_rel_refuses_escapes_and_normalises() {
        assert_eq!(clean_rel("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(
            clean_rel("/blobs/sha256/x").as_deref(),
            Some("blobs/sha256/x")
        );
        assert_eq!(clean_rel("a/../b").as_deref(), Some("b"));
        assert_eq!(clean_rel("../etc/passwd"), None);
        assert_eq!(clean_rel("a/../../b"), None);
    }

    #[test]
    fn outer_tar_members_follow_links_but_never_leave() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_cksum();
        b.append_data(&mut h, "aaa/layer.tar", &b"hello"[..])
            .unwrap();
        for (name, target, ty) in [
            ("bbb/layer.tar", "../aaa/layer.tar", tar::EntryType::Symlink),
            ("ccc/layer.tar", "aaa/layer.tar", tar::EntryType::Link),
            ("loop1", "loop2", tar::EntryType::Symlink),
            ("loop2", "loop1", tar::EntryType::Symlink),
            ("out", "../../etc/passwd", tar::EntryType::Symlink),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(ty);
            h.set_size(0);
            b.append_link(&mut h, name, target).unwrap();
        }
        let bytes = b.into_inner().unwrap();
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, &bytes).unwrap();
        let store = Store::open_tar(Arc::new(f), bytes.len() as u64, "t.tar", 100).unwrap();
        for name in ["aaa/layer.tar", "bbb/layer.tar", "./ccc/layer.tar"] {
            let blob = store.blob(name).unwrap().expect(name);
            assert_eq!(blob.read_all(100).unwrap(), b"hello", "{name}");
        }
        assert!(store.blob("loop1").unwrap().is_none());
        assert!(store.blob("out").unwrap().is_none());
        assert!(store.blob("../x").is_err());
        assert!(
            Store::open_tar(Arc::new(tempfile::tempfile().unwrap()), 0, "empty.tar", 1)
                .is_ok_and(|s| !s.exists("manifest.json"))
        );
    }

    #[test]
    fn section_reader_reads_a_range_and_seeks_inside_its_buffer() {
        let mut tmp = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut tmp, b"0123456789abcdefghij").unwrap();
        let mut r = SectionReader::new(Arc::new(tmp), 5, 10, 4);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "56789abcde");
        r.seek(SeekFrom::Start(2)).unwrap();
        let mut two = [0u8; 2];
        r.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"78");
        r.seek(SeekFrom::Current(-1)).unwrap();
        r.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"89");
        assert!(r.seek(SeekFrom::Current(-100)).is_err());
    }
}
