//! BerkeleyDB hash `Packages`: rpm's database before 4.16 (RHEL ≤ 8, CentOS,
//! Amazon Linux 2, old SUSE).
//!
//! We do not link libdb: the files come from images of other machines, may be
//! in either byte order, and must never be written. The subset rpm uses is
//! small. Page 0 is the hash metadata page (magic 0x061561 at offset 12, in the
//! writer's byte order, which is how we detect it). Every other page has a
//! 26-byte header; hash pages (types 2 and 13) hold key/value pairs whose
//! offsets follow the header. The key is the 4-byte header instance number; the
//! value is either inline (`H_KEYDATA`) or, for anything but tiny values, an
//! `H_OFFPAGE` pointer to a chain of overflow pages (type 7) linked by
//! `next_pgno`, each holding `hf_offset` bytes.
//!
//! We walk the file page by page with seeks, never loading it whole, and bound
//! everything a hostile file controls: page size (512..=64 KiB), page count
//! (the file's real length), chain length (a page seen twice is a loop), record
//! size ([`MAX_BLOB_BYTES`]), the number of errors reported, and reuse: an
//! overflow page is read for one record only, so many records pointing at one
//! long chain cannot multiply the work.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use super::header::MAX_BLOB_BYTES;
use super::{Blob, RpmError, MAX_ERRORS};

/// Hash database magic at offset 12 of page 0.
pub const HASH_MAGIC: u32 = 0x0006_1561;
/// Btree database magic, which rpm never uses for `Packages`.
pub const BTREE_MAGIC: u32 = 0x0005_3162;

const PAGE_HEADER: usize = 26;
const META_SIZE: usize = 512;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
const DBMETA_CHKSUM: u8 = 0x01;
/// Beyond this many pages (16 GiB at 4 KiB pages) we stop walking.
const MAX_PAGES: u64 = 1 << 22;

/// The facts from the metadata page that reading needs.
#[derive(Debug, Clone, Copy)]
struct Meta {
    big_endian: bool,
    page_size: usize,
    /// Bytes before the first index entry or overflow byte: 26, or 32 with checksums.
    overhead: usize,
    last_page: u32,
}

impl Meta {
    fn u16(&self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8], at: usize) -> u32 {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
}

/// True when `head` (at least 16 bytes) starts a BerkeleyDB hash database, in either byte order.
pub fn is_hash_db(head: &[u8]) -> bool {
    magic(head) == Some(HASH_MAGIC)
}

/// The BerkeleyDB magic at offset 12, whichever byte order gives a known one.
fn magic(head: &[u8]) -> Option<u32> {
    let b: [u8; 4] = head.get(12..16)?.try_into().ok()?;
    [u32::from_le_bytes(b), u32::from_be_bytes(b)]
        .into_iter()
        .find(|m| *m == HASH_MAGIC || *m == BTREE_MAGIC)
}

/// Reads every package record, passing each to `visit` as soon as it is read.
/// Returns the problems met; records read before and after a problem are kept.
pub fn for_each_blob<R: Read + Seek>(r: &mut R, visit: &mut dyn FnMut(Blob)) -> Vec<RpmError> {
    let mut errors = Vec::new();
    match open(r) {
        Ok((meta, warning)) => {
            errors.extend(warning);
            let mut reader = Reader {
                r,
                meta,
                owners: HashMap::new(),
                record: 0,
                errors,
            };
            reader.walk(visit);
            errors = reader.errors;
        }
        Err(e) => errors.push(e),
    }
    errors
}

/// Reads every record into memory: convenient for fuzzing and tests.
pub fn read_blobs<R: Read + Seek>(mut r: R) -> (Vec<Blob>, Vec<RpmError>) {
    let mut blobs = Vec::new();
    let errors = for_each_blob(&mut r, &mut |b| blobs.push(b));
    (blobs, errors)
}

/// Parses the metadata page and clamps the page count to the file's length.
fn open<R: Read + Seek>(r: &mut R) -> Result<(Meta, Option<RpmError>), RpmError> {
    let file_len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| io("measuring the file", e))?;
    let mut head = [0u8; META_SIZE];
    if file_len < META_SIZE as u64 {
        return Err(bdb(format!(
            "file is {file_len} bytes, shorter than the {META_SIZE}-byte metadata page"
        )));
    }
    read_at(r, 0, &mut head).map_err(|e| io("reading the metadata page", e))?;
    let mut meta = parse_meta(&head)?;
    let in_file = file_len / meta.page_size as u64;
    if in_file == 0 {
        return Err(bdb(format!(
            "file is {file_len} bytes, shorter than one {}-byte page",
            meta.page_size
        )));
    }
    let mut warning = None;
    if u64::from(meta.last_page) >= in_file {
        warning = Some(bdb(format!(
            "metadata says the last page is {} but the file holds only {in_file} pages (truncated?)",
            meta.last_page
        )));
        meta.last_page = (in_file - 1) as u32;
    }
    if u64::from(meta.last_page) >= MAX_PAGES {
        warning = Some(bdb(format!(
            "file has {} pages; only the first {MAX_PAGES} were read",
            meta.last_page
        )));
        meta.last_page = (MAX_PAGES - 1) as u32;
    }
    Ok((meta, warning))
}

fn parse_meta(head: &[u8; META_SIZE]) -> Result<Meta, RpmError> {
    let big_endian = match magic(head) {
        Some(BTREE_MAGIC) => {
            return Err(bdb(
                "file is a btree database, not the hash database rpm writes".into(),
            ))
        }
        Some(_) => u32::from_be_bytes([head[12], head[13], head[14], head[15]]) == HASH_MAGIC,
        None => {
            return Err(bdb(
                "metadata page has no hash magic (0x061561) at offset 12".into(),
            ))
        }
    };
    let mut meta = Meta {
        big_endian,
        page_size: 0,
        overhead: PAGE_HEADER,
        last_page: 0,
    };
    let page_size = meta.u32(head, 20);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bdb(format!(
            "page size {page_size} is not a power of two from 512 to 65536"
        )));
    }
    if head[24] != 0 {
        return Err(bdb(format!(
            "database is encrypted (algorithm {})",
            head[24]
        )));
    }
    if head[26] & DBMETA_CHKSUM != 0 {
        // Checksummed pages carry 2 bytes of padding and a 4-byte checksum after the header.
        meta.overhead = PAGE_HEADER + 6;
    }
    meta.page_size = page_size as usize;
    meta.last_page = meta.u32(head, 32);
    Ok(meta)
}

/// One pass over the file.
struct Reader<'r, R> {
    r: &'r mut R,
    meta: Meta,
    /// Overflow page → the record (by ordinal) whose chain used it. A page is
    /// read for one record only, so the total read is bounded by the file.
    owners: HashMap<u32, u64>,
    /// Ordinal of the record being read.
    record: u64,
    errors: Vec<RpmError>,
}

impl<R: Read + Seek> Reader<'_, R> {
    /// Visits the hash pages in file order; stops at an I/O error or too many errors.
    fn walk(&mut self, visit: &mut dyn FnMut(Blob)) {
        let mut page = vec![0u8; self.meta.page_size];
        for pgno in 1..=self.meta.last_page {
            if let Err(e) = self.read_page(pgno, &mut page) {
                self.errors.push(e);
                return;
            }
            if matches!(page[25], P_HASH | P_HASH_UNSORTED) {
                self.hash_page(pgno, &page, visit);
            }
            if self.errors.len() >= MAX_ERRORS {
                self.errors.push(bdb(format!(
                    "giving up at page {pgno} after {MAX_ERRORS} errors"
                )));
                return;
            }
        }
    }

    /// Visits the key/value pairs on one hash page.
    fn hash_page(&mut self, pgno: u32, page: &[u8], visit: &mut dyn FnMut(Blob)) {
        let entries = usize::from(self.meta.u16(page, 20));
        if self.meta.overhead + 2 * entries > self.meta.page_size {
            self.errors.push(bdb(format!(
                "page {pgno} claims {entries} entries, more than a page can index"
            )));
            return;
        }
        if entries % 2 != 0 {
            self.errors.push(bdb(format!(
                "page {pgno} has an odd number of entries ({entries})"
            )));
        }
        for pair in 0..entries / 2 {
            self.record += 1;
            match self.pair_blob(pgno, page, 2 * pair) {
                Ok(Some(blob)) => visit(blob),
                Ok(None) => {}
                Err(e) => self.errors.push(e),
            }
            if self.errors.len() >= MAX_ERRORS {
                return;
            }
        }
    }

    /// The record of the pair whose key is item `k`, or `None` for rpm's bookkeeping record.
    fn pair_blob(&mut self, pgno: u32, page: &[u8], k: usize) -> Result<Option<Blob>, RpmError> {
        let meta = self.meta;
        let key = item(&meta, pgno, page, k)?;
        let value = item(&meta, pgno, page, k + 1)?;
        let instance = match key {
            [H_KEYDATA, rest @ ..] if rest.len() == 4 => meta.u32(rest, 0),
            _ => 0,
        };
        match value[0] {
            // Instance 0 holds rpm's next-instance counter, not a header.
            H_KEYDATA if instance == 0 => Ok(None),
            H_KEYDATA => Ok(Some(Blob {
                instance,
                data: value[1..].to_vec(),
            })),
            H_OFFPAGE if value.len() >= 12 => {
                let data = self.overflow(pgno, meta.u32(value, 4), meta.u32(value, 8))?;
                Ok(Some(Blob { instance, data }))
            }
            H_DUPLICATE | H_OFFDUP => Err(bdb(format!(
                "page {pgno} has duplicate records, which rpm never writes"
            ))),
            t => Err(bdb(format!(
                "page {pgno} item {} has unknown type {t}",
                k + 1
            ))),
        }
    }

    /// Follows an overflow chain from `start`, which must hold exactly `len` bytes.
    fn overflow(&mut self, from: u32, start: u32, len: u32) -> Result<Vec<u8>, RpmError> {
        if u64::from(len) > MAX_BLOB_BYTES {
            return Err(bdb(format!(
                "page {from} record is {len} bytes, over the {MAX_BLOB_BYTES}-byte limit"
            )));
        }
        let len = len as usize;
        let in_file = (self.meta.last_page as usize + 1).saturating_mul(self.meta.page_size);
        let mut out = Vec::with_capacity(len.min(in_file));
        let mut page = vec![0u8; self.meta.page_size];
        let mut pgno = start;
        while pgno != 0 {
            self.claim(from, pgno)?;
            self.read_page(pgno, &mut page)?;
            out.extend_from_slice(overflow_bytes(&self.meta, from, pgno, &page)?);
            if out.len() > len {
                return Err(bdb(format!(
                    "page {from} overflow chain holds more than the {len} bytes declared"
                )));
            }
            pgno = self.meta.u32(&page, 16);
        }
        if out.len() != len {
            return Err(bdb(format!(
                "page {from} overflow chain holds {} bytes, {len} declared",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Marks overflow page `pgno` as read for the current record.
    fn claim(&mut self, from: u32, pgno: u32) -> Result<(), RpmError> {
        if pgno > self.meta.last_page {
            return Err(bdb(format!(
                "page {from} overflow chain reaches page {pgno}, past the last page"
            )));
        }
        match self.owners.insert(pgno, self.record) {
            None => Ok(()),
            Some(r) if r == self.record => Err(bdb(format!(
                "page {from} overflow chain loops (page {pgno} is reached twice)"
            ))),
            Some(_) => Err(bdb(format!(
                "page {from} overflow chain reaches page {pgno}, already used by another record"
            ))),
        }
    }

    fn read_page(&mut self, pgno: u32, buf: &mut [u8]) -> Result<(), RpmError> {
        let at = u64::from(pgno) * self.meta.page_size as u64;
        read_at(self.r, at, buf).map_err(|e| io(&format!("reading page {pgno}"), e))
    }
}

/// The bytes of item `i` on a hash page: from its offset to the previous item's.
fn item<'p>(meta: &Meta, pgno: u32, page: &'p [u8], i: usize) -> Result<&'p [u8], RpmError> {
    let inp = |j: usize| usize::from(meta.u16(page, meta.overhead + 2 * j));
    let entries = usize::from(meta.u16(page, 20));
    let start = inp(i);
    let end = if i == 0 { meta.page_size } else { inp(i - 1) };
    if start < meta.overhead + 2 * entries || start >= end || end > meta.page_size {
        return Err(bdb(format!(
            "page {pgno} item {i} has a bad offset ({start}..{end})"
        )));
    }
    Ok(&page[start..end])
}

/// The payload of one overflow page.
fn overflow_bytes<'p>(
    meta: &Meta,
    from: u32,
    pgno: u32,
    page: &'p [u8],
) -> Result<&'p [u8], RpmError> {
    if page[25] != P_OVERFLOW {
        return Err(bdb(format!(
            "page {from} overflow chain reaches page {pgno} of type {}",
            page[25]
        )));
    }
    let n = usize::from(meta.u16(page, 22));
    page.get(meta.overhead..meta.overhead + n).ok_or_else(|| {
        bdb(format!(
            "overflow page {pgno} claims {n} bytes, more than a page holds"
        ))
    })
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(buf)
}

fn bdb(message: String) -> RpmError {
    RpmError::Bdb(message)
}

fn io(context: &str, source: std::io::Error) -> RpmError {
    RpmError::Io {
        context: format!("BerkeleyDB {context}"),
        source,
    }
}

/// Builds BerkeleyDB hash files for tests: one hash page of key/value pairs,
/// values stored off-page in overflow chains of the given page size.
#[cfg(test)]
pub(crate) mod build {
    /// A database holding `records` as (instance, blob), in either byte order.
    pub(crate) fn hash_db(
        records: &[(u32, Vec<u8>)],
        big_endian: bool,
        page_size: usize,
    ) -> Vec<u8> {
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
        let mut items: Vec<Vec<u8>> = Vec::new();
        for (instance, blob) in records {
            let mut key = vec![1u8];
            key.extend_from_slice(&w32(*instance));
            let first = pages.len() as u32;
            let chunks: Vec<&[u8]> = blob.chunks(page_size - 26).collect();
            for (i, c) in chunks.iter().enumerate() {
                let mut p = vec![0u8; page_size];
                let next = if i + 1 < chunks.len() {
                    first + i as u32 + 1
                } else {
                    0
                };
                p[8..12].copy_from_slice(&w32(first + i as u32));
                p[16..20].copy_from_slice(&w32(next));
                p[20..22].copy_from_slice(&w16(1));
                p[22..24].copy_from_slice(&w16(c.len() as u16));
                p[25] = 7;
                p[26..26 + c.len()].copy_from_slice(c);
                pages.push(p);
            }
            let mut val = vec![3u8, 0, 0, 0];
            val.extend_from_slice(&w32(first));
            val.extend_from_slice(&w32(blob.len() as u32));
            items.push(key);
            items.push(val);
        }
        // The hash page: items packed from the end, offsets after the header.
        let hp = &mut pages[1];
        hp[8..12].copy_from_slice(&w32(1));
        hp[20..22].copy_from_slice(&w16(items.len() as u16));
        hp[25] = 13;
        let mut top = page_size;
        for (i, it) in items.iter().enumerate() {
            top -= it.len();
            hp[top..top + it.len()].copy_from_slice(it);
            hp[26 + 2 * i..28 + 2 * i].copy_from_slice(&w16(top as u16));
        }
        hp[22..24].copy_from_slice(&w16(top as u16));
        let last = pages.len() as u32 - 1;
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&w32(super::HASH_MAGIC));
        meta[16..20].copy_from_slice(&w32(9));
        meta[20..24].copy_from_slice(&w32(page_size as u32));
        meta[25] = 8;
        meta[32..36].copy_from_slice(&w32(last));
        // One bucket (max_bucket 0, masks 0) whose page is 0 + spares[0].
        meta[96..100].copy_from_slice(&w32(1));
        pages.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::header::{parse_header, tests::sample};
    use std::io::Cursor;

    fn records() -> Vec<(u32, Vec<u8>)> {
        vec![
            (1, sample("alpha", None)),
            (2, sample("beta", Some(3))),
            (7, vec![0xAB; 3000]),
        ]
    }

    #[test]
    fn both_byte_orders_read_alike() {
        for big_endian in [false, true] {
            let db = build::hash_db(&records(), big_endian, 512);
            let (blobs, errors) = read_blobs(Cursor::new(db));
            assert!(errors.is_empty(), "{errors:?}");
            let got: Vec<_> = blobs.iter().map(|b| (b.instance, b.data.clone())).collect();
            assert_eq!(got, records(), "big_endian={big_endian}");
            assert_eq!(parse_header(&blobs[1].data).unwrap().evr(), "3:1.2-3.el9");
        }
    }

    #[test]
    fn overflow_chain_that_loops_is_an_error() {
        let mut db = build::hash_db(&records(), false, 512);
        // The 3000-byte record starts on page 4 and runs to page 10; point page 9 back at page 5.
        let page9 = 9 * 512;
        db[page9 + 16..page9 + 20].copy_from_slice(&5u32.to_le_bytes());
        let (blobs, errors) = read_blobs(Cursor::new(db));
        assert_eq!(blobs.len(), 2, "the two good records survive");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            "BerkeleyDB page 1 overflow chain loops (page 5 is reached twice)"
        );
    }

    #[test]
    fn self_referencing_page_with_empty_payload_terminates() {
        let mut db = build::hash_db(&records(), true, 512);
        let page2 = 2 * 512;
        db[page2 + 16..page2 + 20].copy_from_slice(&2u32.to_be_bytes());
        db[page2 + 22..page2 + 24].copy_from_slice(&0u16.to_be_bytes());
        let (_, errors) = read_blobs(Cursor::new(db));
        assert!(errors[0].to_string().contains("loops"), "{errors:?}");
    }

    #[test]
    fn records_sharing_one_chain_are_read_once() {
        let mut db = build::hash_db(&records(), false, 512);
        // Point the second value's pgno at the 3000-byte record's chain (page 4).
        let off = u16::from_le_bytes([db[512 + 32], db[512 + 33]]) as usize;
        db[512 + off + 4..512 + off + 8].copy_from_slice(&4u32.to_le_bytes());
        db[512 + off + 8..512 + off + 12].copy_from_slice(&3000u32.to_le_bytes());
        let (blobs, errors) = read_blobs(Cursor::new(db));
        assert_eq!(blobs.iter().map(|b| b.instance).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            "BerkeleyDB page 1 overflow chain reaches page 4, already used by another record"
        );
    }

    #[test]
    fn truncation_and_bad_pointers_are_errors() {
        let db = build::hash_db(&records(), false, 512);
        for len in [0, 100, 511, 512, 600, 1024, 1500, db.len() - 1] {
            let (_, errors) = read_blobs(Cursor::new(db[..len].to_vec()));
            assert!(!errors.is_empty(), "len {len}");
        }
        let mut bad = db.clone();
        // The first value's pgno (item 1) → far past the last page.
        let off = u16::from_le_bytes([bad[512 + 28], bad[512 + 29]]) as usize;
        bad[512 + off + 4..512 + off + 8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        let (blobs, errors) = read_blobs(Cursor::new(bad));
        assert_eq!(blobs.len(), 2);
        assert!(
            errors[0].to_string().contains("past the last page"),
            "{errors:?}"
        );
    }

    #[test]
    fn huge_declared_length_is_refused_before_reading() {
        let mut db = build::hash_db(&records(), false, 512);
        let off = u16::from_le_bytes([db[512 + 28], db[512 + 29]]) as usize;
        db[512 + off + 8..512 + off + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (_, errors) = read_blobs(Cursor::new(db));
        assert!(
            errors[0]
                .to_string()
                .contains("over the 67108864-byte limit"),
            "{errors:?}"
        );
    }

    #[test]
    fn not_a_hash_db() {
        let (_, errors) = read_blobs(Cursor::new(vec![0u8; 4096]));
        assert!(
            errors[0].to_string().contains("no hash magic"),
            "{errors:?}"
        );
        let mut btree = vec![0u8; 4096];
        btree[12..16].copy_from_slice(&BTREE_MAGIC.to_le_bytes());
        let (_, errors) = read_blobs(Cursor::new(btree));
        assert!(errors[0].to_string().contains("btree"), "{errors:?}");
    }
}
