//! PEM bundles: find certificate blocks, fingerprint them, cut one out.
//!
//! The rest of a bundle is kept byte for byte: only the matched block (and
//! the line break that ends it) is removed.

use sha2::{Digest, Sha256};

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";

/// One certificate block in a PEM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Byte offset of `-----BEGIN`.
    pub start: usize,
    /// Byte offset just past the END line's line break.
    pub end: usize,
    /// SHA-256 of the certificate's DER, lowercase hex (None if undecodable).
    pub sha256: Option<String>,
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn line_end(text: &[u8], from: usize) -> usize {
    match text[from..].iter().position(|&b| b == b'\n') {
        Some(i) => from + i + 1,
        None => text.len(),
    }
}

/// The certificate blocks (`CERTIFICATE`, `TRUSTED CERTIFICATE`, `X509 CERTIFICATE`).
pub fn blocks(text: &[u8]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(text, BEGIN, pos) {
        let label_end = line_end(text, start);
        let label = String::from_utf8_lossy(&text[start + BEGIN.len()..label_end]);
        let label = label.trim_end().trim_end_matches('-').to_owned();
        let Some(end_at) = find(text, END, label_end) else {
            break;
        };
        let end = line_end(text, end_at);
        pos = end;
        if !label.ends_with("CERTIFICATE") {
            continue;
        }
        let der = base64_decode(&text[label_end..end_at]);
        out.push(Block {
            start,
            end,
            sha256: der.as_deref().and_then(first_tlv).map(sha256_hex),
        });
    }
    out
}

/// The SHA-256 fingerprints of every certificate in a file (PEM, or one DER certificate).
pub fn fingerprints(content: &[u8]) -> Vec<Option<String>> {
    let b = blocks(content);
    if b.is_empty() && content.first() == Some(&0x30) {
        return vec![first_tlv(content).map(sha256_hex)];
    }
    b.into_iter().map(|b| b.sha256).collect()
}

/// `content` without the certificate blocks whose SHA-256 is `sha256`;
/// returns the new content and how many blocks were removed.
pub fn strip(content: &[u8], sha256: &str) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(content.len());
    let mut last = 0;
    let mut removed = 0;
    for b in blocks(content) {
        if b.sha256.as_deref() == Some(sha256) {
            out.extend_from_slice(&content[last..b.start]);
            last = b.end;
            removed += 1;
        }
    }
    out.extend_from_slice(&content[last..]);
    (out, removed)
}

/// The first DER element (a `TRUSTED CERTIFICATE` is the certificate followed by trust data).
fn first_tlv(der: &[u8]) -> Option<&[u8]> {
    if der.len() < 2 || der[0] != 0x30 {
        return None;
    }
    let (len, hdr) = match der[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (*der.get(2)? as usize, 3),
        0x82 => ((*der.get(2)? as usize) << 8 | *der.get(3)? as usize, 4),
        0x83 => (
            (*der.get(2)? as usize) << 16 | (*der.get(3)? as usize) << 8 | *der.get(4)? as usize,
            5,
        ),
        _ => return None,
    };
    der.get(..hdr + len)
}

fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in text {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGVs\nbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode(b"a*"), None);
    }

    #[test]
    fn strip_keeps_everything_else_byte_for_byte() {
        // Two fake "certificates": DER SEQUENCEs of 3 bytes.
        let a = "-----BEGIN CERTIFICATE-----\nMAEA\n-----END CERTIFICATE-----\n"; // 30 01 00
        let b = "-----BEGIN CERTIFICATE-----\nMAEB\n-----END CERTIFICATE-----\n"; // 30 01 01
        let text = format!("# comment\n{a}{b}trailer\n");
        let sha_a = sha256_hex(&[0x30, 0x01, 0x00]);
        let (out, n) = strip(text.as_bytes(), &sha_a);
        assert_eq!(n, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("# comment\n{b}trailer\n")
        );
        let (same, n) = strip(text.as_bytes(), &"0".repeat(64));
        assert_eq!((same.as_slice(), n), (text.as_bytes(), 0));
        assert_eq!(fingerprints(text.as_bytes()).len(), 2);
    }
}
