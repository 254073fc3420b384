//! Apple code signatures read straight from Mach-O files, without `codesign`.
//!
//! The Team ID in a signature survives renaming a bundle, its executable or
//! its bundle id, so it is the indicator that catches a relabelled product
//! (`codesign -dv` shows it as `TeamIdentifier=`). We read it the way the
//! kernel finds it, seeking to each structure and reading only its bytes:
//!
//! ```text
//! fat header (0xcafebabe / 0xcafebabf, big-endian) ─ one slice per arch
//!   └ thin header (0xfeedface / 0xfeedfacf, either byte order)
//!       └ load commands ─ LC_CODE_SIGNATURE (0x1d): dataoff, datasize
//!           └ SuperBlob (0xfade0cc0, big-endian): count, index of (type, offset)
//!               └ CodeDirectory (0xfade0c02): identOffset → identifier,
//!                                             teamOffset (version ≥ 0x20200) → Team ID
//! ```
//!
//! Every count, size and offset is checked against the file, the slice and the
//! blob that contain it, so a hostile file gives a [`MachoError`], never a
//! panic, a huge allocation or a loop. The layouts follow Apple's
//! `<mach-o/loader.h>`, `<mach-o/fat.h>` and xnu's `cs_blobs.h`.
//!
//! Only the CodeDirectory is read: the signature's CMS blob (the certificate
//! chain) is not verified, so the Team ID is what the file *claims*. That is
//! what a compliance inventory needs; Gatekeeper does the cryptography.

use std::io::{Read, Seek, SeekFrom};

/// `LC_CODE_SIGNATURE`.
const LC_CODE_SIGNATURE: u32 = 0x1d;
/// `CSMAGIC_EMBEDDED_SIGNATURE`: the SuperBlob.
const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
/// `CSMAGIC_CODEDIRECTORY`.
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
/// `CSSLOT_CODEDIRECTORY`: the primary CodeDirectory.
const CSSLOT_CODEDIRECTORY: u32 = 0;
/// `CSSLOT_ALTERNATE_CODEDIRECTORIES` .. `+ 4`: SHA-256 and other alternates.
const CSSLOT_ALTERNATE_FIRST: u32 = 0x1000;
const CSSLOT_ALTERNATE_LAST: u32 = 0x1004;
/// CodeDirectory version that added `teamOffset`.
const CS_SUPPORTSTEAMID: u32 = 0x20200;

/// Most slices a fat header may declare. `file(1)` uses the same kind of
/// bound to tell a fat Mach-O (few archs) from a Java class file, which
/// shares the `0xcafebabe` magic but has a version ≥ 45 in that place.
pub const MAX_FAT_ARCHS: u32 = 30;
/// Largest load-command area read (real binaries have tens of KiB).
pub const MAX_SIZEOFCMDS: u32 = 4 << 20;
/// Most blobs a SuperBlob index may declare (real ones have fewer than 16).
pub const MAX_BLOBS: u32 = 128;
/// Longest identifier or Team ID string read.
pub const MAX_STRING: usize = 1024;

/// A Mach-O code signature's identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppleSignature {
    /// The CodeDirectory identifier (`Identifier=` in `codesign -dv`), usually the bundle id.
    pub identifier: Option<String>,
    /// The Apple Developer Team ID (`TeamIdentifier=`); absent for ad-hoc and
    /// Apple platform signatures and for CodeDirectories older than 0x20200.
    pub team_id: Option<String>,
}

/// Why a Mach-O signature could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MachoError {
    /// Reading failed (a short file reads as "failed to fill whole buffer").
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with a Mach-O or fat magic.
    #[error("not a Mach-O file")]
    NotMacho,
    /// A structure points outside the file, slice or blob that holds it.
    #[error("{what} is out of bounds")]
    OutOfBounds {
        /// The structure.
        what: &'static str,
    },
    /// A declared count or size is over the limit this reader accepts.
    #[error("{what} is {value}, over the limit of {limit}")]
    TooLarge {
        /// The field.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A structure is malformed.
    #[error("{0}")]
    Malformed(&'static str),
}

/// True when `head` (the first 8 bytes or more of a file) is a thin or fat Mach-O.
pub fn is_macho(head: &[u8]) -> bool {
    match head.get(..4) {
        Some(m) if thin_kind(m).is_some() => true,
        Some(m) if fat_kind(m).is_some() => head
            .get(4..8)
            .map(|n| (1..=MAX_FAT_ARCHS).contains(&be32(n)))
            .unwrap_or(false),
        _ => false,
    }
}

/// Reads the code signature of a thin or fat Mach-O.
///
/// Returns `Ok(None)` for a well-formed Mach-O without `LC_CODE_SIGNATURE`
/// (or whose signature has no CodeDirectory), and [`MachoError::NotMacho`]
/// when the magic is neither thin nor fat. For a fat file the first slice
/// with a signature wins; slices of one product carry the same identity.
pub fn read_signature<R: Read + Seek>(r: &mut R) -> Result<Option<AppleSignature>, MachoError> {
    let file_len = r.seek(SeekFrom::End(0))?;
    let head = read_at(r, 0, 8.min(file_len) as usize)?;
    if head.len() < 4 {
        return Err(MachoError::NotMacho);
    }
    if thin_kind(&head[..4]).is_some() {
        return read_thin(r, 0, file_len);
    }
    let Some(is64) = fat_kind(&head[..4]) else {
        return Err(MachoError::NotMacho);
    };
    if !is_macho(&head) {
        return Err(MachoError::NotMacho);
    }
    let nfat = be32(&head[4..8]);
    let entry = if is64 { 32 } else { 20 };
    let table = read_exact_at(r, 8, nfat as usize * entry, file_len, "fat arch table")?;
    let mut first_err = None;
    for arch in table.chunks_exact(entry) {
        let (offset, size) = if is64 {
            (be64(&arch[8..16]), be64(&arch[16..24]))
        } else {
            (
                u64::from(be32(&arch[8..12])),
                u64::from(be32(&arch[12..16])),
            )
        };
        let end = offset
            .checked_add(size)
            .ok_or(MachoError::OutOfBounds { what: "fat slice" });
        if end.map(|e| e > file_len || offset < 8).unwrap_or(true) {
            first_err.get_or_insert(MachoError::OutOfBounds { what: "fat slice" });
            continue;
        }
        let magic = read_exact_at(r, offset, 4, file_len, "slice header")?;
        if thin_kind(&magic).is_none() {
            first_err.get_or_insert(MachoError::Malformed("fat slice is not a thin Mach-O"));
            continue;
        }
        match read_thin(r, offset, size) {
            Ok(Some(sig)) => return Ok(Some(sig)),
            Ok(None) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// Byte order and width of a thin header magic: `(big_endian, is64)`.
fn thin_kind(m: &[u8]) -> Option<(bool, bool)> {
    match m {
        [0xfe, 0xed, 0xfa, 0xce] => Some((true, false)),
        [0xce, 0xfa, 0xed, 0xfe] => Some((false, false)),
        [0xfe, 0xed, 0xfa, 0xcf] => Some((true, true)),
        [0xcf, 0xfa, 0xed, 0xfe] => Some((false, true)),
        _ => None,
    }
}

/// `Some(is64)` for a fat magic (always stored big-endian).
fn fat_kind(m: &[u8]) -> Option<bool> {
    match m {
        [0xca, 0xfe, 0xba, 0xbe] => Some(false),
        [0xca, 0xfe, 0xba, 0xbf] => Some(true),
        _ => None,
    }
}

/// Reads the signature of the thin Mach-O at `base`, `len` bytes long.
fn read_thin<R: Read + Seek>(
    r: &mut R,
    base: u64,
    len: u64,
) -> Result<Option<AppleSignature>, MachoError> {
    let end = base + len;
    let head = read_exact_at(r, base, 28, end, "Mach-O header")?;
    let (big, is64) = thin_kind(&head[..4]).ok_or(MachoError::NotMacho)?;
    let u32_at = |b: &[u8], o: usize| {
        let v = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if big {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    };
    let ncmds = u32_at(&head, 16);
    let sizeofcmds = u32_at(&head, 20);
    if sizeofcmds > MAX_SIZEOFCMDS {
        return Err(MachoError::TooLarge {
            what: "sizeofcmds",
            value: sizeofcmds.into(),
            limit: MAX_SIZEOFCMDS.into(),
        });
    }
    if u64::from(ncmds) * 8 > u64::from(sizeofcmds) {
        return Err(MachoError::Malformed("ncmds does not fit in sizeofcmds"));
    }
    let header_len = if is64 { 32 } else { 28 };
    let cmds = read_exact_at(
        r,
        base + header_len,
        sizeofcmds as usize,
        end,
        "load commands",
    )?;
    let mut off = 0usize;
    let mut sig = None;
    for _ in 0..ncmds {
        let Some(lc) = cmds.get(off..off + 8) else {
            return Err(MachoError::OutOfBounds {
                what: "load command",
            });
        };
        let (cmd, size) = (u32_at(lc, 0), u32_at(lc, 4) as usize);
        // A zero or tiny cmdsize would never advance: that is how a looping file is built.
        if size < 8 || off + size > cmds.len() {
            return Err(MachoError::Malformed("load command has a bad cmdsize"));
        }
        if cmd == LC_CODE_SIGNATURE {
            if size < 16 {
                return Err(MachoError::Malformed("LC_CODE_SIGNATURE is too short"));
            }
            let c = &cmds[off..off + 16];
            sig = Some((u32_at(c, 8), u32_at(c, 12)));
        }
        off += size;
    }
    let Some((dataoff, datasize)) = sig else {
        return Ok(None);
    };
    let (dataoff, datasize) = (u64::from(dataoff), u64::from(datasize));
    if dataoff + datasize > len {
        return Err(MachoError::OutOfBounds {
            what: "code signature",
        });
    }
    read_superblob(r, base + dataoff, datasize)
}

/// Reads the CodeDirectory of the SuperBlob at `at`, at most `avail` bytes long.
fn read_superblob<R: Read + Seek>(
    r: &mut R,
    at: u64,
    avail: u64,
) -> Result<Option<AppleSignature>, MachoError> {
    let end = at + avail;
    let head = read_exact_at(r, at, 12, end, "SuperBlob header")?;
    if be32(&head[0..4]) != CSMAGIC_EMBEDDED_SIGNATURE {
        return Err(MachoError::Malformed(
            "code signature is not an embedded-signature SuperBlob",
        ));
    }
    let length = u64::from(be32(&head[4..8]));
    let count = be32(&head[8..12]);
    if length < 12 || length > avail {
        return Err(MachoError::OutOfBounds {
            what: "SuperBlob length",
        });
    }
    if count > MAX_BLOBS {
        return Err(MachoError::TooLarge {
            what: "SuperBlob count",
            value: count.into(),
            limit: MAX_BLOBS.into(),
        });
    }
    let index = read_exact_at(
        r,
        at + 12,
        count as usize * 8,
        at + length,
        "SuperBlob index",
    )?;
    let mut entries: Vec<(u32, u32)> = index
        .chunks_exact(8)
        .map(|e| (be32(&e[0..4]), be32(&e[4..8])))
        .filter(|(t, _)| {
            *t == CSSLOT_CODEDIRECTORY
                || (CSSLOT_ALTERNATE_FIRST..=CSSLOT_ALTERNATE_LAST).contains(t)
        })
        .collect();
    // The primary CodeDirectory first; alternates (other hash types) carry the same identity.
    entries.sort_by_key(|(t, _)| *t);
    for (_, offset) in entries {
        let offset = u64::from(offset);
        if offset + 8 > length {
            return Err(MachoError::OutOfBounds {
                what: "SuperBlob index entry",
            });
        }
        if let Some(sig) = read_code_directory(r, at + offset, length - offset)? {
            return Ok(Some(sig));
        }
    }
    Ok(None)
}

/// Reads one CodeDirectory; `Ok(None)` when the blob is of another kind.
fn read_code_directory<R: Read + Seek>(
    r: &mut R,
    at: u64,
    avail: u64,
) -> Result<Option<AppleSignature>, MachoError> {
    let head = read_exact_at(r, at, 8, at + avail, "CodeDirectory")?;
    if be32(&head[0..4]) != CSMAGIC_CODEDIRECTORY {
        return Ok(None);
    }
    let length = u64::from(be32(&head[4..8]));
    if length > avail {
        return Err(MachoError::OutOfBounds {
            what: "CodeDirectory length",
        });
    }
    if length < 44 {
        return Err(MachoError::Malformed(
            "CodeDirectory is shorter than its header",
        ));
    }
    let fixed = read_exact_at(r, at, length.min(52) as usize, at + length, "CodeDirectory")?;
    let version = be32(&fixed[8..12]);
    let ident_offset = be32(&fixed[20..24]);
    let team_offset = if version >= CS_SUPPORTSTEAMID && fixed.len() >= 52 {
        be32(&fixed[48..52])
    } else {
        0
    };
    let string = |r: &mut R, off: u32| -> Result<Option<String>, MachoError> {
        if off == 0 {
            return Ok(None);
        }
        if u64::from(off) >= length {
            return Err(MachoError::OutOfBounds {
                what: "CodeDirectory string",
            });
        }
        read_cstring(r, at + u64::from(off), at + length).map(Some)
    };
    let identifier = string(r, ident_offset)?;
    let team_id = string(r, team_offset)?;
    Ok(Some(AppleSignature {
        identifier: identifier.filter(|s| !s.is_empty()),
        team_id: team_id.filter(|s| !s.is_empty()),
    }))
}

/// A NUL-terminated string at `at` that must end before `end`.
fn read_cstring<R: Read + Seek>(r: &mut R, at: u64, end: u64) -> Result<String, MachoError> {
    let want = ((end - at) as usize).min(MAX_STRING + 1);
    let bytes = read_exact_at(r, at, want, end, "CodeDirectory string")?;
    let Some(nul) = bytes.iter().position(|&b| b == 0) else {
        return Err(MachoError::Malformed(
            "CodeDirectory string is not terminated",
        ));
    };
    Ok(String::from_utf8_lossy(&bytes[..nul]).into_owned())
}

/// Reads exactly `n` bytes at `at`, which must end by `limit`.
fn read_exact_at<R: Read + Seek>(
    r: &mut R,
    at: u64,
    n: usize,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, MachoError> {
    match at.checked_add(n as u64) {
        Some(e) if e <= limit => {}
        _ => return Err(MachoError::OutOfBounds { what }),
    }
    let buf = read_at(r, at, n)?;
    if buf.len() < n {
        return Err(MachoError::OutOfBounds { what });
    }
    Ok(buf)
}

/// Reads up to `n` bytes at `at` (fewer at the end of the file).
fn read_at<R: Read + Seek>(r: &mut R, at: u64, n: usize) -> Result<Vec<u8>, MachoError> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}
