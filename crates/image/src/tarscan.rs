//! A tar header reader that never holds more than a bounded amount of any
//! entry in memory.
//!
//! The `tar` crate reads PAX and GNU long-name records whole, whatever size
//! their header claims, so a small compressed layer could expand one record
//! to gigabytes of RAM. This reader caps those records at 1 MiB, knows the
//! formats images use (POSIX ustar and PAX, GNU long names and sparse files,
//! base-256 numbers), and reports where each entry's data starts, skipping
//! the data itself by seeking (a layer in a file) or reading (a
//! decompressed stream).

use std::io::{self, Read, Seek, SeekFrom};

use crate::store::SectionReader;

/// Largest PAX / GNU long-name record read.
const MAX_EXTENSION: u64 = 1 << 20;
const BLOCK: u64 = 512;

/// Where the tar bytes come from: something that can move forward.
pub(crate) trait Input: Read {
    /// Moves `n` bytes forward without returning them.
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

impl Input for SectionReader {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let n = i64::try_from(n).map_err(|_| io::Error::other("skip too large"))?;
        self.seek(SeekFrom::Current(n)).map(|_| ())
    }
}

/// A stream that can only be read: skipping reads and discards.
pub(crate) struct Streamed<R>(pub R);

impl<R: Read> Read for Streamed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> Input for Streamed<R> {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let got = io::copy(&mut (&mut self.0).take(n), &mut io::sink())?;
        if got < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the stream ends inside an entry's data (truncated)",
            ));
        }
        Ok(())
    }
}

/// One member, with extension records already applied.
#[derive(Debug, Clone)]
pub(crate) struct TarEntry {
    pub path: Vec<u8>,
    pub link: Vec<u8>,
    pub typeflag: u8,
    pub mode: u32,
    pub mtime: i64,
    /// Content size (a sparse file's stored data).
    pub size: u64,
    /// Offset of the content from the start of the stream.
    pub data_pos: u64,
    /// GNU or PAX sparse file: the content is not stored contiguously.
    pub sparse: bool,
}

/// Why the tar could not be read. Format problems are the archive's fault;
/// I/O errors may be the decompressor's.
#[derive(Debug)]
pub(crate) enum TarError {
    Format(String),
    Io(io::Error),
}

impl std::fmt::Display for TarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarError::Format(s) => f.write_str(s),
            TarError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for TarError {
    fn from(e: io::Error) -> Self {
        TarError::Io(e)
    }
}

fn bad(msg: impl Into<String>) -> TarError {
    TarError::Format(msg.into())
}

#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    mtime: Option<i64>,
    sparse: bool,
}

/// Reads the members of one tar stream in order.
pub(crate) struct TarReader<R> {
    src: R,
    pos: u64,
    next: u64,
    done: bool,
}

impl<R: Input> TarReader<R> {
    pub fn new(src: R) -> TarReader<R> {
        TarReader {
            src,
            pos: 0,
            next: 0,
            done: false,
        }
    }

    pub fn into_inner(self) -> R {
        self.src
    }

    /// Reads exactly `buf.len()` bytes; false on a clean end at 0 bytes.
    fn block(&mut self, buf: &mut [u8]) -> Result<bool, TarError> {
        let mut done = 0;
        while done < buf.len() {
            match self.src.read(&mut buf[done..]) {
                Ok(0) if done == 0 => return Ok(false),
                Ok(0) => return Err(bad("the archive ends inside a header (truncated)")),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.pos += buf.len() as u64;
        Ok(true)
    }

    fn extension(&mut self, size: u64, what: &str) -> Result<Vec<u8>, TarError> {
        if size > MAX_EXTENSION {
            return Err(bad(format!(
                "{what} record of {size} bytes (over the 1 MiB limit)"
            )));
        }
        let mut v = vec![0u8; size as usize];
        if size > 0 && !self.block(&mut v)? {
            return Err(bad(format!("the archive ends inside a {what} record")));
        }
        Ok(v)
    }

    /// The next member, or None at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        if self.done {
            return Ok(None);
        }
        let mut pending = Pending::default();
        loop {
            if self.next > self.pos {
                self.src.skip(self.next - self.pos)?;
                self.pos = self.next;
            }
            let mut h = [0u8; 512];
            if !self.block(&mut h)? || h.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            check_sum(&h)?;
            let typeflag = h[156];
            let stored = num(&h[124..136]).map_err(|e| bad(format!("size field: {e}")))?;
            let mut data_pos = self.pos;
            if typeflag == b'S' && h[482] != 0 {
                // Old GNU sparse: extension blocks of the sparse map follow.
                let mut ext = [0u8; 512];
                loop {
                    if !self.block(&mut ext)? {
                        return Err(bad("the archive ends inside a sparse map"));
                    }
                    data_pos += BLOCK;
                    if ext[504] == 0 {
                        break;
                    }
                }
            }
            let size = match typeflag {
                b'x' | b'g' | b'L' | b'K' => stored,
                _ => pending.size.unwrap_or(stored),
            };
            self.next = size
                .checked_add(BLOCK - 1)
                .map(|s| s & !(BLOCK - 1))
                .and_then(|s| data_pos.checked_add(s))
                .ok_or_else(|| bad("entry size overflows"))?;
            match typeflag {
                b'x' => {
                    let data = self.extension(size, "PAX header")?;
                    parse_pax(&data, &mut pending)?;
                    continue;
                }
                b'g' => continue,
                b'L' => {
                    pending.path = Some(cstr(&self.extension(size, "GNU long name")?).to_vec());
                    continue;
                }
                b'K' => {
                    pending.link = Some(cstr(&self.extension(size, "GNU long link")?).to_vec());
                    continue;
                }
                _ => {}
            }
            let path = match pending.path.take() {
                Some(p) => p,
                None => ustar_path(&h),
            };
            let link = pending
                .link
                .take()
                .unwrap_or_else(|| cstr(&h[157..257]).to_vec());
            let mode = num(&h[100..108]).map_err(|e| bad(format!("mode field: {e}")))?;
            let mtime = match pending.mtime {
                Some(t) => t,
                None => num(&h[136..148])
                    .map(|t| i64::try_from(t).unwrap_or(i64::MAX))
                    .map_err(|e| bad(format!("mtime field: {e}")))?,
            };
            return Ok(Some(TarEntry {
                path,
                link,
                typeflag,
                mode: (mode & 0o7777) as u32,
                mtime,
                size,
                data_pos,
                sparse: typeflag == b'S' || pending.sparse,
            }));
        }
    }
}

/// The header checksum: the sum of all bytes with the checksum field read as
/// spaces, unsigned (POSIX) or signed (some old tars).
fn check_sum(h: &[u8; 512]) -> Result<(), TarError> {
    let stored = num(&h[148..156]).map_err(|e| bad(format!("checksum field: {e}")))?;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    if stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed) {
        Ok(())
    } else {
        Err(bad("header checksum mismatch (not a tar, or corrupt)"))
    }
}

/// The bytes before the first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// `prefix/name` for POSIX ustar headers, `name` otherwise (GNU headers
/// keep other data where the prefix would be).
fn ustar_path(h: &[u8; 512]) -> Vec<u8> {
    let name = cstr(&h[0..100]);
    let prefix = cstr(&h[345..500]);
    if &h[257..263] == b"ustar\0" && !prefix.is_empty() {
        let mut p = prefix.to_vec();
        p.push(b'/');
        p.extend_from_slice(name);
        p
    } else {
        name.to_vec()
    }
}

/// A numeric field: octal text, or GNU base-256 when the high bit is set.
fn num(field: &[u8]) -> Result<u64, String> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        if field[0] == 0xff {
            // Negative (a pre-1970 mtime): treat as zero.
            return Ok(0);
        }
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or("base-256 number overflows")?;
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or("octal number overflows")?;
                seen = true;
            }
            b' ' | 0 if !seen => {}
            b' ' | 0 => break,
            _ => {
                return Err(format!(
                    "not an octal number: {:?}",
                    String::from_utf8_lossy(field)
                ))
            }
        }
    }
    Ok(v)
}

/// PAX records: `<len> <key>=<value>\n`, `len` counting the whole record.
fn parse_pax(data: &[u8], p: &mut Pending) -> Result<(), TarError> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("malformed PAX record (no length)"))?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&l| l > sp + 1 && l <= rest.len())
            .ok_or_else(|| bad("malformed PAX record length"))?;
        let rec = &rest[sp + 1..len];
        rest = &rest[len..];
        let rec = rec
            .strip_suffix(b"\n")
            .ok_or_else(|| bad("malformed PAX record (no newline)"))?;
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad("malformed PAX record (no `=`)"))?;
        let (key, value) = (&rec[..eq], &rec[eq + 1..]);
        let text = || std::str::from_utf8(value).ok();
        match key {
            b"path" => p.path = Some(value.to_vec()),
            b"linkpath" => p.link = Some(value.to_vec()),
            b"size" => {
                p.size = Some(
                    text()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("malformed PAX size"))?,
                )
            }
            b"mtime" => {
                // Seconds, maybe fractional, maybe negative.
                let whole = text().and_then(|s| s.split('.').next()?.parse::<i64>().ok());
                p.mtime = Some(whole.ok_or_else(|| bad("malformed PAX mtime"))?.max(0));
            }
            k if k.starts_with(b"GNU.sparse.") => p.sparse = true,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(bytes: &[u8]) -> Result<Vec<TarEntry>, TarError> {
        let mut r = TarReader::new(Streamed(bytes));
        let mut v = Vec::new();
        while let Some(e) = r.next_entry()? {
            v.push(e);
        }
        Ok(v)
    }

    #[test]
    fn reads_what_the_tar_crate_writes_pax_and_gnu() {
        let long = format!("dir/{}/file", "x".repeat(200));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o4755);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, "usr/bin/su", &b"abc"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        b.append_data(&mut h, &long, &b"hi"[..]).unwrap();
        b.append_pax_extensions([("path", long.as_bytes()), ("mtime", &b"1.5"[..])])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(1);
        b.append_data(&mut h, "short", &b"z"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        b.append_link(&mut h, "l", format!("/{long}")).unwrap();
        let bytes = b.into_inner().unwrap();
        let es = entries(&bytes).unwrap();
        assert_eq!(es.len(), 4);
        assert_eq!(
            (es[0].path.as_slice(), es[0].mode, es[0].mtime),
            (&b"usr/bin/su"[..], 0o4755, 1_700_000_000)
        );
        assert_eq!(&bytes[es[0].data_pos as usize..][..3], b"abc");
        assert_eq!(es[1].path, long.as_bytes());
        assert_eq!(&bytes[es[1].data_pos as usize..][..2], b"hi");
        assert_eq!((es[2].path.as_slice(), es[2].mtime), (long.as_bytes(), 1));
        assert_eq!(es[3].link, format!("/{long}").as_bytes());
        assert_eq!(es[3].typeflag, b'2');
    }

    #[test]
    fn pax_size_moves_the_next_header() {
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("size", &b"600"[..])]).unwrap();
        let mut h = tar::Header::new_ustar();
        // The ustar field says 0; the PAX record wins, as for files over 8 GiB.
        h.set_size(0);
        h.set_path("big").unwrap();
        h.set_cksum();
        b.append(&h, io::empty()).unwrap();
        let mut bytes = b.into_inner().unwrap();
        let end = bytes.len() - 1024;
        bytes.truncate(end);
        bytes.extend(vec![7u8; 1024]);
        let mut h = tar::Header::new_ustar();
        h.set_size(0);
        h.set_path("after").unwrap();
        h.set_cksum();
        bytes.extend_from_slice(h.as_bytes());
        bytes.extend(vec![0u8; 1024]);
        let es = entries(&bytes).unwrap();
        assert_eq!(es[0].size, 600);
        assert_eq!(es[1].path, b"after");
    }

    #[test]
    fn huge_extension_records_are_refused_without_reading_them() {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(8 << 30);
        h.set_path("pax").unwrap();
        h.set_cksum();
        let e = entries(h.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("over the 1 MiB limit"), "{e}");
    }

    #[test]
    fn numbers_checksums_and_truncation() {
        assert_eq!(num(b"0000644\0").unwrap(), 0o644);
        assert_eq!(num(b"  755 \0").unwrap(), 0o755);
        assert_eq!(
            num(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]).unwrap(),
            2 << 32
        );
        assert!(num(b"12x4").is_err());
        let mut h = tar::Header::new_ustar();
        h.set_path("a").unwrap();
        h.set_size(10);
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        bytes[0] = b'b';
        assert!(entries(&bytes)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        bytes[0] = b'a';
        bytes.extend_from_slice(b"12345");
        let mut r = TarReader::new(Streamed(&bytes[..]));
        assert!(r.next_entry().unwrap().is_some());
        assert!(r.next_entry().is_err(), "data cut short");
        assert!(entries(&bytes[..300]).is_err(), "header cut short");
    }
}
