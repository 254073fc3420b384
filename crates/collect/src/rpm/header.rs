//! The rpm header blob, as every database backend stores it.
//!
//! Whatever the container (sqlite row, BerkeleyDB record, ndb blob), rpm keeps
//! each installed package as one "header" without the 8-byte magic that package
//! files carry: a big-endian count of index entries (`il`) and of data bytes
//! (`dl`), then `il` 16-byte entries (tag, type, offset, count), then the data.
//! We read only the handful of tags that identify a package, and check every
//! offset against the data so that a hostile blob can only produce an error.

use super::RpmError;

/// rpm's own ceiling on index entries (`HEADER_TAGS_MAX`).
pub const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// Largest header blob we accept, from any backend.
pub const MAX_BLOB_BYTES: u64 = 64 << 20;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_PACKAGER: u32 = 1015;
const TAG_ARCH: u32 = 1022;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// The identifying fields of one installed package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    /// `NAME` (tag 1000).
    pub name: String,
    /// `VERSION` (tag 1001).
    pub version: String,
    /// `RELEASE` (tag 1002); every real package has one.
    pub release: Option<String>,
    /// `EPOCH` (tag 1003), when the tag is present.
    pub epoch: Option<u32>,
    /// `ARCH` (tag 1022); absent for the `gpg-pubkey` pseudo-packages.
    pub arch: Option<String>,
    /// `VENDOR` (tag 1011).
    pub vendor: Option<String>,
    /// `PACKAGER` (tag 1015).
    pub packager: Option<String>,
}

impl RpmHeader {
    /// `[EPOCH:]VERSION[-RELEASE]`, with the epoch only when present and non-zero,
    /// which is how `rpm -q` prints a package and how rpm compares versions
    /// (a missing epoch and epoch 0 are equal).
    pub fn evr(&self) -> String {
        let vr = match &self.release {
            Some(r) => format!("{}-{}", self.version, r),
            None => self.version.clone(),
        };
        match self.epoch {
            Some(e) if e != 0 => format!("{e}:{vr}"),
            _ => vr,
        }
    }

    /// `VENDOR`, or `PACKAGER` when the vendor is missing or empty.
    pub fn vendor_or_packager(&self) -> Option<&str> {
        [&self.vendor, &self.packager]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
    }
}

/// One 16-byte index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: u32,
    count: u32,
}

/// Parses a header blob as stored in an rpm database (no leading magic).
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, RpmError> {
    let (entries, data) = split(blob)?;
    let mut h = RpmHeader::default();
    let mut name = None;
    let mut version = None;
    for e in entries.chunks_exact(16).map(entry) {
        let slot = match e.tag {
            TAG_NAME => &mut name,
            TAG_VERSION => &mut version,
            TAG_RELEASE => &mut h.release,
            TAG_VENDOR => &mut h.vendor,
            TAG_PACKAGER => &mut h.packager,
            TAG_ARCH => &mut h.arch,
            TAG_EPOCH => {
                if h.epoch.is_none() {
                    h.epoch = Some(int32(&e, data)?);
                }
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(string(&e, data)?);
        }
    }
    h.name = name.ok_or(RpmError::HeaderMissing("NAME"))?;
    h.version = version.ok_or(RpmError::HeaderMissing("VERSION"))?;
    Ok(h)
}

/// Checks the counts and splits the blob into the index and the data store.
fn split(blob: &[u8]) -> Result<(&[u8], &[u8]), RpmError> {
    let il = be32(blob, 0).ok_or(RpmError::HeaderTruncated {
        part: "preamble",
        need: 8,
        len: blob.len(),
    })?;
    let dl = be32(blob, 4).ok_or(RpmError::HeaderTruncated {
        part: "preamble",
        need: 8,
        len: blob.len(),
    })?;
    if il == 0 {
        return Err(RpmError::HeaderEmpty);
    }
    if il > MAX_INDEX_ENTRIES {
        return Err(RpmError::HeaderTooManyEntries(il));
    }
    if u64::from(dl) > MAX_BLOB_BYTES {
        return Err(RpmError::HeaderDataTooLarge(dl));
    }
    let index_end = 8 + 16 * il as usize;
    let need = index_end as u64 + u64::from(dl);
    if need > blob.len() as u64 {
        return Err(RpmError::HeaderTruncated {
            part: "index and data",
            need,
            len: blob.len(),
        });
    }
    Ok((&blob[8..index_end], &blob[index_end..need as usize]))
}

fn entry(b: &[u8]) -> Entry {
    let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Entry {
        tag: word(0),
        ty: word(4),
        offset: word(8),
        count: word(12),
    }
}

/// The first string of a STRING, I18NSTRING or STRING_ARRAY entry.
fn string(e: &Entry, data: &[u8]) -> Result<String, RpmError> {
    if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
        return Err(bad(e, format!("has type {}, not a string", e.ty)));
    }
    if e.count == 0 {
        return Err(bad(e, "has a count of 0".into()));
    }
    let rest = data.get(e.offset as usize..).filter(|r| !r.is_empty());
    let rest = rest.ok_or_else(|| {
        bad(
            e,
            format!(
                "offset {} is outside the {}-byte data",
                e.offset,
                data.len()
            ),
        )
    })?;
    let end = rest
        .iter()
        .position(|&c| c == 0)
        .ok_or_else(|| bad(e, "string is not NUL-terminated".into()))?;
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The first value of an INT32 entry.
fn int32(e: &Entry, data: &[u8]) -> Result<u32, RpmError> {
    if e.ty != TYPE_INT32 || e.count == 0 {
        return Err(bad(
            e,
            format!("has type {} and count {}, not INT32", e.ty, e.count),
        ));
    }
    be32(data, e.offset as usize).ok_or_else(|| {
        bad(
            e,
            format!(
                "offset {} is outside the {}-byte data",
                e.offset,
                data.len()
            ),
        )
    })
}

fn bad(e: &Entry, problem: String) -> RpmError {
    RpmError::HeaderTag {
        tag: e.tag,
        problem,
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, payload) triples.
    pub(crate) fn build(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, payload) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for w in [*tag, *ty, data.len() as u32, 1] {
                index.extend_from_slice(&w.to_be_bytes());
            }
            data.extend_from_slice(payload);
        }
        let mut blob = (entries.len() as u32).to_be_bytes().to_vec();
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(data);
        blob
    }

    /// A plausible header for `name`.
    pub(crate) fn sample(name: &str, epoch: Option<u32>) -> Vec<u8> {
        let n = format!("{name}\0");
        let e = epoch.unwrap_or(0).to_be_bytes();
        let mut v: Vec<(u32, u32, &[u8])> = vec![
            (TAG_NAME, TYPE_STRING, n.as_bytes()),
            (TAG_VERSION, TYPE_STRING, b"1.2\0"),
            (TAG_RELEASE, TYPE_STRING, b"3.el9\0"),
            (TAG_ARCH, TYPE_STRING, b"x86_64\0"),
            (TAG_PACKAGER, TYPE_STRING, b"Builder <b@example.com>\0"),
        ];
        if epoch.is_some() {
            v.push((TAG_EPOCH, TYPE_INT32, &e));
        }
        build(&v)
    }

    #[test]
    fn reads_the_identifying_tags() {
        let h = parse_header(&sample("kesl", Some(2))).unwrap();
        assert_eq!(h.name, "kesl");
        assert_eq!(h.evr(), "2:1.2-3.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.vendor, None);
        assert_eq!(h.vendor_or_packager(), Some("Builder <b@example.com>"));
    }

    #[test]
    fn epoch_zero_and_missing_epoch_print_alike() {
        let zero = parse_header(&sample("a", Some(0))).unwrap();
        let none = parse_header(&sample("a", None)).unwrap();
        assert_eq!(zero.epoch, Some(0));
        assert_eq!(none.epoch, None);
        assert_eq!(zero.evr(), "1.2-3.el9");
        assert_eq!(none.evr(), "1.2-3.el9");
    }

    #[test]
    fn hostile_counts_are_errors() {
        let mut blob = sample("a", None);
        blob[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = parse_header(&blob).unwrap_err();
        assert!(
            err.to_string().contains("4294967295 index entries"),
            "{err}"
        );

        let mut blob = sample("a", None);
        blob[4..8].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(matches!(
            parse_header(&blob),
            Err(RpmError::HeaderDataTooLarge(_))
        ));

        let mut blob = sample("a", None);
        blob[..4].copy_from_slice(&0u32.to_be_bytes());
        assert!(matches!(parse_header(&blob), Err(RpmError::HeaderEmpty)));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let blob = sample("truncated", Some(1));
        for len in 0..blob.len() {
            assert!(parse_header(&blob[..len]).is_err(), "len {len}");
        }
    }

    #[test]
    fn offsets_outside_the_data_are_errors() {
        let mut blob = build(&[
            (TAG_NAME, TYPE_STRING, b"x\0"),
            (TAG_VERSION, TYPE_STRING, b"1\0"),
        ]);
        // Point NAME's offset far past the data store.
        blob[8 + 8..8 + 12].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        let err = parse_header(&blob).unwrap_err();
        assert!(
            err.to_string().starts_with("header tag 1000 offset"),
            "{err}"
        );

        let blob = build(&[
            (TAG_NAME, TYPE_STRING, b"no-nul"),
            (TAG_VERSION, TYPE_STRING, b"1\0"),
        ]);
        // The data store is "no-nul1\0", so NAME runs into VERSION: valid but odd.
        assert_eq!(parse_header(&blob).unwrap().name, "no-nul1");
        let blob = build(&[
            (TAG_VERSION, TYPE_STRING, b"1\0"),
            (TAG_NAME, TYPE_STRING, b"no-nul"),
        ]);
        assert!(parse_header(&blob)
            .unwrap_err()
            .to_string()
            .contains("NUL-terminated"));
    }

    #[test]
    fn missing_name_is_an_error() {
        let blob = build(&[(TAG_VERSION, TYPE_STRING, b"1\0")]);
        assert_eq!(
            parse_header(&blob).unwrap_err().to_string(),
            "header has no NAME tag"
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let blob = build(&[
            (TAG_NAME, TYPE_INT32, &[0, 0, 0, 1]),
            (TAG_VERSION, TYPE_STRING, b"1\0"),
        ]);
        assert!(parse_header(&blob)
            .unwrap_err()
            .to_string()
            .contains("not a string"));
        let blob = build(&[
            (TAG_NAME, TYPE_STRING, b"a\0"),
            (TAG_VERSION, TYPE_STRING, b"1\0"),
            (TAG_EPOCH, TYPE_STRING, b"1\0"),
        ]);
        assert!(parse_header(&blob)
            .unwrap_err()
            .to_string()
            .contains("not INT32"));
    }
}
