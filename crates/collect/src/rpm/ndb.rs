//! ndb `Packages.db`: rpm's own "new database" format, the default on SUSE
//! (SLES 15 SP3+, openSUSE Leap 15.3+).
//!
//! Little-endian throughout. A 32-byte file header (`RpmP` magic, version 0,
//! generation, number of 4 KiB slot pages) is followed by the rest of the slot
//! pages: 16-byte slots (`Slot` magic, package index, block offset, block
//! count; index 0 means free). A slot points at a blob, in 16-byte blocks: a
//! 16-byte blob header (`BlbS` magic, package index, generation, length), the
//! header blob itself, then a checksum tail we do not need. `Index.db` beside
//! it only accelerates look-ups and is not read.
//!
//! Every slot is checked against the file's length before we seek, the slot
//! area is capped, and a blob is read only after its length passes
//! [`MAX_BLOB_BYTES`], so a hostile file costs at most its own size.

use std::io::{Read, Seek, SeekFrom};

use super::header::MAX_BLOB_BYTES;
use super::{Blob, RpmError, MAX_ERRORS};

/// File magic, as the first four bytes.
pub const MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const FILE_HEADER: usize = 32;
const SLOT_PAGE: u64 = 4096;
const SLOT: usize = 16;
const BLOCK: u64 = 16;
const BLOB_HEADER: u64 = 16;
/// 2048 slot pages hold over half a million packages.
const MAX_SLOT_PAGES: u32 = 2048;

/// One slot: where a package's blob lives.
#[derive(Debug, Clone, Copy)]
struct Slot {
    number: usize,
    pkg: u32,
    block: u64,
    blocks: u64,
}

/// Reads every package blob, passing each to `visit` as soon as it is read.
/// Returns the problems met; blobs read before and after a problem are kept.
pub fn for_each_blob<R: Read + Seek>(r: &mut R, visit: &mut dyn FnMut(Blob)) -> Vec<RpmError> {
    let mut errors = Vec::new();
    let (slots, file_len) = match read_slots(r) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    // Blobs never overlap, so together they fit in the file; more means slots
    // share blobs, and reading on would let a small file cost unbounded work.
    let mut budget = file_len;
    for chunk in slots.chunks_exact(SLOT).enumerate() {
        let next =
            slot(chunk).and_then(|s| s.map(|s| spend(&mut budget, &s, file_len)).transpose());
        match next.and_then(|s| s.map(|s| read_blob(r, file_len, &s)).transpose()) {
            Ok(Some(blob)) => visit(blob),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        if errors.len() >= MAX_ERRORS {
            errors.push(ndb(format!("giving up after {MAX_ERRORS} errors")));
            break;
        }
    }
    errors
}

/// Reads every blob into memory: convenient for fuzzing and tests.
pub fn read_blobs<R: Read + Seek>(mut r: R) -> (Vec<Blob>, Vec<RpmError>) {
    let mut blobs = Vec::new();
    let errors = for_each_blob(&mut r, &mut |b| blobs.push(b));
    (blobs, errors)
}

/// Checks the file header and returns the raw slot area and the file's length.
fn read_slots<R: Read + Seek>(r: &mut R) -> Result<(Vec<u8>, u64), RpmError> {
    let file_len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| io("measuring the file", e))?;
    if file_len < FILE_HEADER as u64 {
        return Err(ndb(format!(
            "file is {file_len} bytes, shorter than the {FILE_HEADER}-byte header"
        )));
    }
    let mut head = [0u8; FILE_HEADER];
    read_at(r, 0, &mut head).map_err(|e| io("reading the header", e))?;
    if &head[..4] != MAGIC {
        return Err(ndb("file does not start with the RpmP magic".into()));
    }
    let version = le32(&head, 4);
    if version != 0 {
        return Err(ndb(format!("version {version} is not supported (only 0)")));
    }
    let pages = le32(&head, 12);
    if pages == 0 || pages > MAX_SLOT_PAGES {
        return Err(ndb(format!(
            "header claims {pages} slot pages (expected 1 to {MAX_SLOT_PAGES})"
        )));
    }
    let area = u64::from(pages) * SLOT_PAGE;
    if area > file_len {
        return Err(ndb(format!(
            "{pages} slot pages need {area} bytes but the file is {file_len} bytes"
        )));
    }
    let mut slots = vec![0u8; area as usize - FILE_HEADER];
    read_at(r, FILE_HEADER as u64, &mut slots).map_err(|e| io("reading the slot pages", e))?;
    Ok((slots, file_len))
}

/// Decodes slot `number`; `None` for a free slot.
fn slot((number, b): (usize, &[u8])) -> Result<Option<Slot>, RpmError> {
    if &b[..4] != SLOT_MAGIC {
        return Err(ndb(format!("slot {number} has no Slot magic")));
    }
    let pkg = le32(b, 4);
    if pkg == 0 {
        return Ok(None);
    }
    Ok(Some(Slot {
        number,
        pkg,
        block: u64::from(le32(b, 8)),
        blocks: u64::from(le32(b, 12)),
    }))
}

/// Charges a slot's extent to the budget, or refuses it when the budget is spent.
fn spend(budget: &mut u64, s: &Slot, file_len: u64) -> Result<Slot, RpmError> {
    let size = s.blocks * BLOCK;
    *budget = budget.checked_sub(size).ok_or_else(|| {
        ndb(format!(
            "slot {} (package {}) takes the blobs past the {file_len}-byte file: slots overlap",
            s.number, s.pkg
        ))
    })?;
    Ok(*s)
}

/// Reads the blob a slot points at, checking it against the slot and the file.
fn read_blob<R: Read + Seek>(r: &mut R, file_len: u64, s: &Slot) -> Result<Blob, RpmError> {
    let (start, size) = (s.block * BLOCK, s.blocks * BLOCK);
    let what = format!("slot {} (package {})", s.number, s.pkg);
    if size < BLOB_HEADER {
        return Err(ndb(format!(
            "{what} has {} blocks, too few for a blob",
            s.blocks
        )));
    }
    if start == 0 || start + size > file_len {
        return Err(ndb(format!(
            "{what} points at bytes {start}..{} past the end of the {file_len}-byte file",
            start + size
        )));
    }
    let mut head = [0u8; BLOB_HEADER as usize];
    read_at(r, start, &mut head).map_err(|e| io(&format!("reading {what}"), e))?;
    if &head[..4] != BLOB_MAGIC || le32(&head, 4) != s.pkg {
        return Err(ndb(format!(
            "{what} does not point at that package's BlbS blob"
        )));
    }
    let len = u64::from(le32(&head, 12));
    if len > MAX_BLOB_BYTES || BLOB_HEADER + len > size {
        return Err(ndb(format!(
            "{what} blob claims {len} bytes, more than its {size}-byte extent"
        )));
    }
    let mut data = vec![0u8; len as usize];
    r.read_exact(&mut data)
        .map_err(|e| io(&format!("reading {what}"), e))?;
    Ok(Blob {
        instance: s.pkg,
        data,
    })
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(buf)
}

fn ndb(message: String) -> RpmError {
    RpmError::Ndb(message)
}

fn io(context: &str, source: std::io::Error) -> RpmError {
    RpmError::Io {
        context: format!("ndb {context}"),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn corpus_ndb() -> Vec<u8> {
        std::fs::read(crate::rpm::tests::corpus(
            "go-rpmdb/pkg/testdata/sle15-bci/Packages.db",
        ))
        .unwrap()
    }

    #[test]
    fn slot_pointing_past_eof_is_an_error_and_others_survive() {
        let mut db = corpus_ndb();
        // Slot 0 sits right after the 32-byte header.
        db[32 + 8..32 + 12].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
        let (blobs, errors) = read_blobs(Cursor::new(db));
        assert_eq!(blobs.len(), 34);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .starts_with("ndb slot 0 (package 1) points at bytes 4294967280.."),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn slots_sharing_a_blob_cannot_multiply_work() {
        let mut db = corpus_ndb();
        let first = db[32..48].to_vec();
        // Every slot claims package 1's blob, made as large as the file allows.
        let blocks = (db.len() as u32 - 4096) / 16;
        for slot in db[32..4096].chunks_exact_mut(16) {
            slot.copy_from_slice(&first);
            slot[12..16].copy_from_slice(&blocks.to_le_bytes());
        }
        let (blobs, errors) = read_blobs(Cursor::new(db));
        assert_eq!(blobs.len(), 1);
        assert!(
            errors[0].to_string().contains("slots overlap"),
            "{errors:?}"
        );
        assert!(errors.len() > MAX_ERRORS, "gave up rather than reading on");
    }

    #[test]
    fn bad_headers_are_errors() {
        let db = corpus_ndb();
        for (at, bytes, expect) in [
            (0, &b"XpmP"[..], "RpmP magic"),
            (4, &1u32.to_le_bytes()[..], "version 1"),
            (12, &0u32.to_le_bytes()[..], "0 slot pages"),
            (12, &9999u32.to_le_bytes()[..], "9999 slot pages"),
            (12, &2000u32.to_le_bytes()[..], "2000 slot pages need"),
        ] {
            let mut bad = db.clone();
            bad[at..at + bytes.len()].copy_from_slice(bytes);
            let (blobs, errors) = read_blobs(Cursor::new(bad));
            assert!(blobs.is_empty());
            assert!(
                errors[0].to_string().contains(expect),
                "{expect}: {:?}",
                errors
            );
        }
    }

    #[test]
    fn blob_that_claims_too_much_is_an_error() {
        let mut db = corpus_ndb();
        let blk = le32(&db, 32 + 8) as usize * 16;
        db[blk + 12..blk + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        let (blobs, errors) = read_blobs(Cursor::new(db));
        assert_eq!(blobs.len(), 34);
        assert!(
            errors[0].to_string().contains("more than its"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_truncation_is_handled() {
        let db = corpus_ndb();
        for len in (0..db.len())
            .step_by(4093)
            .chain([31, 32, 4095, 4096, 4100])
        {
            let (blobs, errors) = read_blobs(Cursor::new(db[..len].to_vec()));
            assert!(!errors.is_empty() || blobs.len() == 35, "len {len}");
        }
    }
}
