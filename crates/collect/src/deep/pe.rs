//! Authenticode signatures of PE files (`.exe`, `.dll`, `.sys`, `.efi`).
//!
//! Only the bytes needed are read: the DOS header (`MZ`, `e_lfanew`), the
//! `PE\0\0` signature, the COFF header, the optional header up to data
//! directory 4 (`IMAGE_DIRECTORY_ENTRY_SECURITY`), and then the attribute
//! certificate table that directory points at. Unlike every other data
//! directory, its address is a **file offset**, not an RVA, and the table is
//! not mapped into memory. The table holds `WIN_CERTIFICATE` entries
//! (8-byte aligned); type `0x0002` carries a PKCS#7 `SignedData`, which is
//! walked with a small bounded DER reader here, while certificates are parsed
//! with `x509_parser`.
//!
//! Signatures are **not verified**: neither the image hash nor the chain is
//! checked. The subject is what the file claims; anyone can make a
//! certificate that says `O=AO Kaspersky Lab` (the test fixtures do). That is
//! the right trade for finding covered code, and the wrong one for trusting it.
//!
//! Nested signatures (unauthenticated attribute `1.3.6.1.4.1.311.2.4.1`, how
//! `signtool /as` dual-signs SHA-1 + SHA-256) are returned in
//! [`AuthenticodeSignature::nested`]. Timestamp countersignatures are not
//! interpreted, but the certificates they carry in the outer bag show up in
//! [`AuthenticodeSignature::all_subjects`].

use std::io::{Read, Seek, SeekFrom};

use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

/// How many bytes of a file the sweep sniffs, and how many header bytes
/// [`read_pe_signature`] reads in one go.
pub const HEAD_BYTES: usize = 4096;

/// Default cap on the attribute certificate table (real tables are a few KiB
/// to a few hundred KiB; 16 MiB is far above any seen).
pub const DEFAULT_MAX_SIGNATURE_BYTES: u64 = 16 << 20;

/// Most nested signatures followed, in depth and in count.
const MAX_NESTED: usize = 8;
/// Most certificates parsed from one bag.
const MAX_CERTS: usize = 256;

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]; // 1.2.840.113549.1.7.2
const OID_NESTED_SIGNATURE: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x04, 0x01]; // 1.3.6.1.4.1.311.2.4.1
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 0x0002;

/// Why a PE signature could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    /// The file could not be read.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ends inside a structure.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A structure holds values that cannot be right.
    #[error("{0}")]
    Malformed(String),
    /// The certificate table is larger than the limit.
    #[error("certificate table is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size the security directory claims.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
}

fn malformed(msg: impl Into<String>) -> PeError {
    PeError::Malformed(msg.into())
}

/// The signer of one Authenticode signature, as the signature claims it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthenticodeSignature {
    /// Subject of the signer certificate (RFC 4514-like, as `x509_parser` prints it:
    /// `C=RU, O=AO Kaspersky Lab, CN=AO Kaspersky Lab`).
    pub signer_subject: String,
    /// Issuer of the signer certificate.
    pub signer_issuer: String,
    /// Serial number of the signer certificate, `aa:bb:…` hex.
    pub signer_serial: String,
    /// Subjects from the signer up: each certificate's issuer is looked up in
    /// the bag. When the top certificate found is not self-signed, its issuer
    /// name (which the signature carries, though not the certificate) ends the list.
    pub chain: Vec<String>,
    /// Subjects of every certificate in the bag, in bag order (includes
    /// timestamping certificates and cross-certificates).
    pub all_subjects: Vec<String>,
    /// Nested signatures (`1.3.6.1.4.1.311.2.4.1`), in order; each may nest further.
    pub nested: Vec<AuthenticodeSignature>,
}

impl AuthenticodeSignature {
    /// This signature and every nested one, depth first (the primary first).
    pub fn flatten(&self) -> Vec<&AuthenticodeSignature> {
        let mut out = vec![self];
        for n in &self.nested {
            out.extend(n.flatten());
        }
        out
    }
}

/// Where the attribute certificate table is, as the optional header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityDirectory {
    /// File offset (not an RVA).
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    b.get(off..off.checked_add(2)?)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off.checked_add(4)?)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads up to `buf.len()` bytes at `offset`, stopping early only at EOF.
fn read_at<R: Read + Seek>(r: &mut R, offset: u64, buf: &mut [u8]) -> Result<usize, PeError> {
    r.seek(SeekFrom::Start(offset))?;
    read_full(r, buf)
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, PeError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// Locates the security directory from the first bytes of a file.
///
/// `head` is the start of the file (at least the first [`HEAD_BYTES`] when the
/// file is that long); when the NT headers lie beyond it, they are read from
/// `r`. Returns `Ok(None)` for a file that is not a PE image (no `MZ`, or a
/// DOS/NE/LE executable with no `PE\0\0`), or a PE with no certificate table.
pub fn security_directory<R: Read + Seek>(
    r: &mut R,
    head: &[u8],
    file_len: u64,
) -> Result<Option<SecurityDirectory>, PeError> {
    if head.len() < 2 || &head[..2] != b"MZ" {
        return Ok(None);
    }
    let e_lfanew = u32_at(head, 0x3c).ok_or(PeError::Truncated("DOS header"))? as u64;
    if e_lfanew < 0x40 {
        // Plain DOS executable (or a file that merely starts with "MZ").
        return Ok(None);
    }
    if e_lfanew.saturating_add(4) > file_len {
        return Err(malformed(format!(
            "e_lfanew {e_lfanew:#x} points past the end of the file ({file_len} bytes)"
        )));
    }
    // COFF (20) + optional header up to and including data directory 4 of a
    // PE32+ (112 + 5 * 8 = 152): 176 bytes cover both layouts.
    const NT_NEED: usize = 4 + 20 + 152;
    let mut far = [0u8; NT_NEED];
    let nt: &[u8] = match head.get(e_lfanew as usize..) {
        Some(s) if s.len() >= NT_NEED || (head.len() as u64) >= file_len => s,
        _ => {
            let n = read_at(r, e_lfanew, &mut far)?;
            if n < 4 {
                // Only reachable when the caller did not know the length.
                return Err(malformed(format!(
                    "e_lfanew {e_lfanew:#x} points past the end of the file"
                )));
            }
            &far[..n]
        }
    };
    if nt.len() < 4 || &nt[..4] != b"PE\0\0" {
        // NE, LE, LX or junk: not a PE image.
        return Ok(None);
    }
    let coff = nt.get(4..24).ok_or(PeError::Truncated("COFF header"))?;
    let size_of_optional = u16_at(coff, 16).unwrap_or(0) as usize;
    let opt = &nt[24..];
    let magic = u16_at(opt, 0).ok_or(PeError::Truncated("optional header"))?;
    let (count_off, dirs_off) = match magic {
        0x10b => (92usize, 96usize),
        0x20b => (108, 112),
        0x107 => return Ok(None), // ROM image: no data directories
        m => return Err(malformed(format!("unknown optional header magic {m:#06x}"))),
    };
    if size_of_optional < dirs_off {
        return Err(malformed(format!(
            "optional header is {size_of_optional} bytes, too small for its data directories"
        )));
    }
    let count = u32_at(opt, count_off).ok_or(PeError::Truncated("optional header"))?;
    if count <= 4 || size_of_optional < dirs_off + 5 * 8 {
        return Ok(None);
    }
    let entry = dirs_off + 4 * 8;
    let offset = u32_at(opt, entry).ok_or(PeError::Truncated("data directories"))? as u64;
    let size = u32_at(opt, entry + 4).ok_or(PeError::Truncated("data directories"))? as u64;
    if offset == 0 || size == 0 {
        return Ok(None);
    }
    Ok(Some(SecurityDirectory { offset, size }))
}

/// Reads the Authenticode signature of a PE image, reading only its headers
/// and its certificate table (at most `max` bytes).
///
/// `Ok(None)`: not a PE image, or an unsigned one. `Err`: a PE whose headers
/// or signature are truncated, out of bounds, oversized or malformed.
pub fn read_pe_signature<R: Read + Seek>(
    r: &mut R,
    max: u64,
) -> Result<Option<AuthenticodeSignature>, PeError> {
    let file_len = r.seek(SeekFrom::End(0))?;
    let mut head = vec![0u8; HEAD_BYTES];
    let n = read_at(r, 0, &mut head)?;
    head.truncate(n);
    read_pe_signature_with_head(r, &head, file_len, max)
}

/// [`read_pe_signature`] for a caller that has already read the start of the file.
pub fn read_pe_signature_with_head<R: Read + Seek>(
    r: &mut R,
    head: &[u8],
    file_len: u64,
    max: u64,
) -> Result<Option<AuthenticodeSignature>, PeError> {
    let Some(dir) = security_directory(r, head, file_len)? else {
        return Ok(None);
    };
    if dir.size > max {
        return Err(PeError::TooLarge {
            size: dir.size,
            limit: max,
        });
    }
    let end = dir.offset.saturating_add(dir.size);
    if end > file_len {
        return Err(malformed(format!(
            "security directory {:#x}+{:#x} points past the end of the file ({file_len} bytes)",
            dir.offset, dir.size
        )));
    }
    let mut table = vec![0u8; dir.size as usize];
    let n = read_at(r, dir.offset, &mut table)?;
    if n < table.len() {
        return Err(PeError::Truncated(
            "certificate table (file shrank while reading)",
        ));
    }
    parse_certificate_table(&table).map(Some)
}

/// Parses an attribute certificate table (a run of `WIN_CERTIFICATE`s) and
/// returns the first PKCS#7 signature. Later `WIN_CERTIFICATE` entries, which
/// Windows ignores, are ignored too.
pub fn parse_certificate_table(table: &[u8]) -> Result<AuthenticodeSignature, PeError> {
    let mut pos = 0usize;
    let mut seen_types = Vec::new();
    while pos + 8 <= table.len() {
        let len = u32_at(table, pos).unwrap_or(0) as usize;
        let revision = u16_at(table, pos + 4).unwrap_or(0);
        let ctype = u16_at(table, pos + 6).unwrap_or(0);
        if len < 8 || len > table.len() - pos {
            return Err(malformed(format!(
                "WIN_CERTIFICATE at +{pos:#x} has dwLength {len}, outside the {}-byte table",
                table.len()
            )));
        }
        if ctype == WIN_CERT_TYPE_PKCS_SIGNED_DATA {
            if revision != 0x0200 && revision != 0x0100 {
                return Err(malformed(format!(
                    "WIN_CERTIFICATE revision {revision:#06x} is neither 1.0 nor 2.0"
                )));
            }
            return parse_pkcs7_signed_data(&table[pos + 8..pos + len]);
        }
        seen_types.push(ctype);
        // Entries are quadword aligned.
        pos = pos.saturating_add(len.saturating_add(7) & !7);
    }
    if seen_types.is_empty() {
        Err(PeError::Truncated("WIN_CERTIFICATE header"))
    } else {
        Err(malformed(format!(
            "no PKCS#7 signature in the certificate table (certificate types {seen_types:x?})"
        )))
    }
}

// ---------------------------------------------------------------------------
// A tiny bounded DER reader: enough of X.690 to walk ContentInfo/SignedData.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Tlv<'a> {
    /// Identifier octet (low-tag-number form only).
    tag: u8,
    /// Contents.
    body: &'a [u8],
    /// The whole encoding, header included.
    raw: &'a [u8],
}

struct Der<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Der { rest: bytes, what }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn next(&mut self) -> Result<Tlv<'a>, PeError> {
        let b = self.rest;
        let what = self.what;
        let bad = |m: &str| malformed(format!("{what}: {m}"));
        let tag = *b.first().ok_or_else(|| bad("unexpected end of data"))?;
        if tag & 0x1f == 0x1f {
            return Err(bad("high-tag-number form is not used in SignedData"));
        }
        let l0 = *b.get(1).ok_or_else(|| bad("truncated length"))?;
        let (len, hdr) = if l0 < 0x80 {
            (l0 as usize, 2usize)
        } else if l0 == 0x80 {
            return Err(bad("indefinite length (BER) is not DER"));
        } else {
            let n = (l0 & 0x7f) as usize;
            if n > 4 {
                return Err(bad("length of length over 4 bytes"));
            }
            let bytes = b.get(2..2 + n).ok_or_else(|| bad("truncated length"))?;
            let len = bytes.iter().fold(0usize, |acc, &x| (acc << 8) | x as usize);
            (len, 2 + n)
        };
        let end = hdr
            .checked_add(len)
            .filter(|&e| e <= b.len())
            .ok_or_else(|| bad(&format!("length {len} runs past the end of its container")))?;
        self.rest = &b[end..];
        Ok(Tlv {
            tag,
            body: &b[hdr..end],
            raw: &b[..end],
        })
    }

    fn expect(&mut self, tag: u8, name: &str) -> Result<Tlv<'a>, PeError> {
        let t = self.next()?;
        if t.tag != tag {
            return Err(malformed(format!(
                "{}: expected {name} (tag {tag:#04x}), found tag {:#04x}",
                self.what, t.tag
            )));
        }
        Ok(t)
    }
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const CTX0_CONS: u8 = 0xa0;
const CTX1_CONS: u8 = 0xa1;
const CTX0_PRIM: u8 = 0x80;

/// Parses a PKCS#7 `ContentInfo` holding `SignedData` (the body of a
/// `WIN_CERTIFICATE` of type 2) and names its signer.
pub fn parse_pkcs7_signed_data(der: &[u8]) -> Result<AuthenticodeSignature, PeError> {
    parse_content_info(der, 0)
}

fn parse_content_info(der: &[u8], depth: usize) -> Result<AuthenticodeSignature, PeError> {
    let mut top = Der::new(der, "ContentInfo");
    let ci = top.expect(SEQUENCE, "SEQUENCE")?;
    let mut ci = Der::new(ci.body, "ContentInfo");
    let oid = ci.expect(OID, "contentType")?;
    if oid.body != OID_SIGNED_DATA {
        return Err(malformed(format!(
            "ContentInfo type is {}, not signedData (1.2.840.113549.1.7.2)",
            oid_string(oid.body)
        )));
    }
    let explicit = ci.expect(CTX0_CONS, "[0] content")?;
    let sd = Der::new(explicit.body, "SignedData").expect(SEQUENCE, "SEQUENCE")?;
    parse_signed_data(sd.body, depth)
}

struct Cert<'a> {
    x: X509Certificate<'a>,
}

impl Cert<'_> {
    fn subject(&self) -> String {
        self.x.subject().to_string()
    }
    fn issuer(&self) -> String {
        self.x.issuer().to_string()
    }
    fn self_signed(&self) -> bool {
        self.x.subject().as_raw() == self.x.issuer().as_raw()
    }
    fn ski(&self) -> Option<&[u8]> {
        self.x
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            })
    }
}

fn parse_signed_data(body: &[u8], depth: usize) -> Result<AuthenticodeSignature, PeError> {
    let mut sd = Der::new(body, "SignedData");
    sd.expect(INTEGER, "version")?;
    sd.expect(SET, "digestAlgorithms")?;
    sd.expect(SEQUENCE, "contentInfo")?;
    let mut certs: Vec<Cert<'_>> = Vec::new();
    if sd.peek_tag() == Some(CTX0_CONS) {
        let bag = sd.next()?;
        let mut bag = Der::new(bag.body, "certificates");
        while !bag.is_empty() {
            let t = bag.next()?;
            // CertificateChoices: only plain certificates (SEQUENCE) are of
            // interest; extended or attribute certificates are skipped.
            if t.tag != SEQUENCE {
                continue;
            }
            if certs.len() >= MAX_CERTS {
                return Err(malformed(format!("more than {MAX_CERTS} certificates")));
            }
            let (_, x) = X509Certificate::from_der(t.raw).map_err(|e| {
                malformed(format!("certificate {} in the bag: {e}", certs.len() + 1))
            })?;
            certs.push(Cert { x });
        }
    }
    if sd.peek_tag() == Some(CTX1_CONS) {
        sd.next()?; // crls
    }
    let infos = sd.expect(SET, "signerInfos")?;
    let mut infos = Der::new(infos.body, "signerInfos");
    if infos.is_empty() {
        return Err(malformed("SignedData has no signerInfo"));
    }
    // Authenticode requires exactly one signerInfo; read the first.
    let si = infos.expect(SEQUENCE, "SignerInfo")?;
    let mut si = Der::new(si.body, "SignerInfo");
    si.expect(INTEGER, "version")?;
    let sid = si.next()?;
    let signer = match sid.tag {
        SEQUENCE => {
            let mut ias = Der::new(sid.body, "issuerAndSerialNumber");
            let issuer = ias.expect(SEQUENCE, "issuer Name")?;
            let serial = ias.expect(INTEGER, "serialNumber")?;
            certs.iter().position(|c| {
                c.x.issuer().as_raw() == issuer.raw && same_serial(c.x.raw_serial(), serial.body)
            })
        }
        CTX0_PRIM => certs.iter().position(|c| c.ski() == Some(sid.body)),
        t => {
            return Err(malformed(format!(
                "SignerInfo: unknown signer identifier (tag {t:#04x})"
            )))
        }
    };
    let Some(signer) = signer else {
        return Err(malformed(format!(
            "the signer certificate is not among the {} certificates of the signature",
            certs.len()
        )));
    };
    // digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, [1] unsignedAttrs
    let mut nested = Vec::new();
    while !si.is_empty() {
        let t = si.next()?;
        if t.tag == CTX1_CONS {
            nested = nested_signatures(t.body, depth)?;
        }
    }

    let chain = build_chain(&certs, signer);
    let s = &certs[signer];
    Ok(AuthenticodeSignature {
        signer_subject: s.subject(),
        signer_issuer: s.issuer(),
        signer_serial: s.x.raw_serial_as_string(),
        chain,
        all_subjects: certs.iter().map(Cert::subject).collect(),
        nested,
    })
}

/// INTEGERs compare by value: tolerate a redundant leading zero on either side.
fn same_serial(a: &[u8], b: &[u8]) -> bool {
    fn trim(s: &[u8]) -> &[u8] {
        let mut s = s;
        while s.len() > 1 && s[0] == 0 {
            s = &s[1..];
        }
        s
    }
    trim(a) == trim(b)
}

fn build_chain(certs: &[Cert<'_>], signer: usize) -> Vec<String> {
    let mut chain = vec![certs[signer].subject()];
    let mut used = vec![false; certs.len()];
    used[signer] = true;
    let mut cur = signer;
    loop {
        if certs[cur].self_signed() {
            break;
        }
        let issuer = certs[cur].x.issuer().as_raw();
        match certs
            .iter()
            .enumerate()
            .position(|(i, c)| !used[i] && c.x.subject().as_raw() == issuer)
        {
            Some(next) => {
                used[next] = true;
                chain.push(certs[next].subject());
                cur = next;
            }
            None => {
                // The issuer's certificate is not in the bag, but its name is known.
                chain.push(certs[cur].issuer());
                break;
            }
        }
    }
    chain
}

fn nested_signatures(attrs: &[u8], depth: usize) -> Result<Vec<AuthenticodeSignature>, PeError> {
    let mut out = Vec::new();
    let mut attrs = Der::new(attrs, "unsignedAttrs");
    while !attrs.is_empty() {
        let a = attrs.expect(SEQUENCE, "Attribute")?;
        let mut a = Der::new(a.body, "Attribute");
        let oid = a.expect(OID, "attrType")?;
        if oid.body != OID_NESTED_SIGNATURE {
            continue;
        }
        if depth + 1 > MAX_NESTED {
            return Err(malformed(format!(
                "nested signatures deeper than {MAX_NESTED}"
            )));
        }
        let values = a.expect(SET, "attrValues")?;
        let mut values = Der::new(values.body, "nested signature");
        while !values.is_empty() {
            let v = values.next()?;
            if out.len() >= MAX_NESTED {
                return Err(malformed(format!(
                    "more than {MAX_NESTED} nested signatures"
                )));
            }
            out.push(parse_content_info(v.raw, depth + 1)?);
        }
    }
    Ok(out)
}

fn oid_string(body: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut acc: u64 = 0;
    for (i, &b) in body.iter().enumerate() {
        acc = (acc << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (acc / 40).min(2);
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
        if i > 64 {
            break;
        }
    }
    if parts.is_empty() {
        return "(empty OID)".into();
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn pe(magic: u16, sec: (u32, u32), extra: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 0x80];
        b[0..2].copy_from_slice(b"MZ");
        b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        b.extend_from_slice(b"PE\0\0");
        let opt_size: u16 = if magic == 0x20b { 240 } else { 224 };
        let mut coff = [0u8; 20];
        coff[16..18].copy_from_slice(&opt_size.to_le_bytes());
        b.extend_from_slice(&coff);
        let mut opt = vec![0u8; opt_size as usize];
        opt[0..2].copy_from_slice(&magic.to_le_bytes());
        let (count_off, dirs) = if magic == 0x20b { (108, 112) } else { (92, 96) };
        opt[count_off..count_off + 4].copy_from_slice(&16u32.to_le_bytes());
        opt[dirs + 32..dirs + 36].copy_from_slice(&sec.0.to_le_bytes());
        opt[dirs + 36..dirs + 40].copy_from_slice(&sec.1.to_le_bytes());
        b.extend_from_slice(&opt);
        b.extend_from_slice(extra);
        b
    }

    #[test]
    fn unsigned_pe32_and_pe32plus_are_none() {
        for m in [0x10b, 0x20b] {
            let b = pe(m, (0, 0), &[]);
            assert!(read_pe_signature(&mut Cursor::new(b), 1 << 20)
                .unwrap()
                .is_none());
        }
    }

    #[test]
    fn not_a_pe_is_none() {
        for b in [&b""[..], b"MZ", b"\x7fELF", &[b'M', b'Z', 0, 0][..]] {
            let r = read_pe_signature(&mut Cursor::new(b.to_vec()), 1 << 20);
            // "MZ" alone is a truncated DOS header, everything else is not a PE.
            assert!(r.is_err() == (b.len() >= 2 && &b[..2] == b"MZ"), "{b:?}");
        }
        let mut dos = vec![0u8; 0x40];
        dos[..2].copy_from_slice(b"MZ");
        assert!(read_pe_signature(&mut Cursor::new(dos), 1 << 20)
            .unwrap()
            .is_none());
    }

    #[test]
    fn security_directory_past_eof_is_an_error() {
        let b = pe(0x20b, (0x10_0000, 0x100), &[]);
        let e = read_pe_signature(&mut Cursor::new(b), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("past the end"), "{e}");
    }

    #[test]
    fn huge_security_directory_is_refused_before_reading() {
        let b = pe(0x10b, (0x200, 0xffff_ff00), &[]);
        let e = read_pe_signature(&mut Cursor::new(b), 16 << 20).unwrap_err();
        assert!(matches!(e, PeError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn bad_win_certificate_lengths_are_errors() {
        let base = pe(0x20b, (0, 0), &[]).len() as u32;
        for entry in [
            vec![0u8; 8],                                       // dwLength 0
            [&64u32.to_le_bytes()[..], &[0, 2, 2, 0]].concat(), // longer than the table
            [
                &16u32.to_le_bytes()[..],
                &[0, 2, 2, 0],
                &[0x30, 0x80, 0, 0, 0, 0, 0, 0],
            ]
            .concat(),
        ] {
            let b = pe(0x20b, (base, entry.len() as u32), &entry);
            assert!(read_pe_signature(&mut Cursor::new(b), 1 << 20).is_err());
        }
    }

    #[test]
    fn der_reader_rejects_lengths_past_the_container() {
        let mut d = Der::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00], "t");
        assert!(d.next().is_err());
        let mut d = Der::new(&[0x30, 0x85, 1, 1, 1, 1, 1], "t");
        assert!(d.next().is_err());
        assert!(parse_pkcs7_signed_data(&[]).is_err());
        assert!(parse_pkcs7_signed_data(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn oid_strings() {
        assert_eq!(oid_string(OID_SIGNED_DATA), "1.2.840.113549.1.7.2");
        assert_eq!(oid_string(OID_NESTED_SIGNATURE), "1.3.6.1.4.1.311.2.4.1");
    }
}
