//! Readers the index pass stacks on a blob: hashing, decompression, and the
//! tee that spools a compressed layer's tar bytes to an unlinked temp file
//! while counting them against the decompression bound.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use sha2::{Digest, Sha256};

/// How a layer blob is compressed, from its first bytes (media types lie:
/// Docker labels uncompressed layers `tar.gzip` in some paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (one or more members).
    Gzip,
    /// zstd (one or more frames, skippable frames allowed).
    Zstd,
}

impl Compression {
    pub(crate) fn sniff(head: &[u8]) -> Result<Compression, &'static str> {
        match head {
            [0x1f, 0x8b, ..] => Ok(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Ok(Compression::Zstd),
            [b'B', b'Z', b'h', ..] => Err("bzip2-compressed layers are not supported"),
            [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Err("xz-compressed layers are not supported"),
            _ => Ok(Compression::None),
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compression::None => "tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

/// Hashes (optionally) everything read through it.
pub(crate) struct Hashing<R> {
    pub inner: R,
    pub hasher: Option<Sha256>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Why the tee stopped, kept so the caller can tell a decompression error
/// or a blown bound from a tar format error.
#[derive(Debug)]
pub(crate) enum TeeFailure {
    Limit,
    Decode(String),
    Spool(io::Error),
}

/// Decompressed bytes flow through here on their way to the tar reader:
/// counted against the bound, hashed for the diff_id, spooled to the temp
/// file that later serves file contents.
pub(crate) struct Tee<R> {
    inner: R,
    out: BufWriter<File>,
    pub hasher: Option<Sha256>,
    pub count: u64,
    limit: u64,
    pub failure: Option<TeeFailure>,
}

impl<R: Read> Tee<R> {
    pub fn new(inner: R, spool: File, hasher: Option<Sha256>, limit: u64) -> Tee<R> {
        Tee {
            inner,
            out: BufWriter::with_capacity(256 << 10, spool),
            hasher,
            count: 0,
            limit,
            failure: None,
        }
    }

    /// Reads the rest of the stream (padding after the tar's end, which
    /// the digest covers) and returns the spool file.
    pub fn finish(mut self) -> Result<(R, File, Option<Sha256>, u64), TeeFailure> {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(self
                        .failure
                        .take()
                        .unwrap_or(TeeFailure::Decode(e.to_string())))
                }
            }
        }
        let file = self
            .out
            .into_inner()
            .map_err(|e| TeeFailure::Spool(e.into_error()))?;
        Ok((self.inner, file, self.hasher, self.count))
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failure.is_some() {
            return Err(io::Error::other("layer stream already failed"));
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let msg = e.to_string();
                self.failure = Some(TeeFailure::Decode(msg.clone()));
                return Err(io::Error::new(e.kind(), msg));
            }
        };
        self.count += n as u64;
        if self.count > self.limit {
            self.failure = Some(TeeFailure::Limit);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let kind = e.kind();
            let msg = format!("writing the temporary layer file: {e}");
            self.failure = Some(TeeFailure::Spool(e));
            return Err(io::Error::new(kind, msg));
        }
        Ok(n)
    }
}

/// A zstd stream of any number of frames (ruzstd's own reader stops after
/// the first), skipping skippable frames as `zstd -d` does.
pub(crate) struct Zstd<R: Read> {
    src: BufReader<R>,
    dec: FrameDecoder,
    in_frame: bool,
}

impl<R: Read> Zstd<R> {
    pub fn new(src: R) -> Zstd<R> {
        Zstd {
            src: BufReader::with_capacity(128 << 10, src),
            dec: FrameDecoder::new(),
            in_frame: false,
        }
    }
}

impl<R: Read> Zstd<R> {
    /// The compressed input, for finishing its hash.
    pub fn into_inner(self) -> R {
        self.src.into_inner()
    }
}

impl<R: Read> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                if self.dec.can_collect() == 0 && !self.dec.is_finished() {
                    self.dec
                        .decode_blocks(
                            &mut self.src,
                            BlockDecodingStrategy::UptoBytes(buf.len().max(64 << 10)),
                        )
                        .map_err(|e| {
                            io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
                        })?;
                }
                let n = self.dec.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if self.dec.is_finished() && self.dec.can_collect() == 0 {
                    self.in_frame = false;
                }
                continue;
            }
            if self.src.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.dec.reset(&mut self.src) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.src).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd: truncated skippable frame",
                        ));
                    }
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("zstd: {e}"),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_recognises_magic_bytes() {
        assert_eq!(
            Compression::sniff(&[0x1f, 0x8b, 8]).unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]).unwrap(),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"etc/\0\0").unwrap(), Compression::None);
        assert!(Compression::sniff(b"BZh91AY")
            .unwrap_err()
            .contains("bzip2"));
    }

    #[test]
    fn zstd_reads_every_frame_and_skips_skippable_ones() {
        let a = ruzstd::encoding::compress_to_vec(
            &b"hello "[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let b = ruzstd::encoding::compress_to_vec(
            &b"world"[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let mut data = a;
        // Skippable frame: magic 0x184D2A50, length 3, payload.
        data.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        data.extend_from_slice(&b);
        let mut out = String::new();
        Zstd::new(&data[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello world");
        let mut bad = data.clone();
        bad.truncate(data.len() - 3);
        assert!(Zstd::new(&bad[..]).read_to_end(&mut Vec::new()).is_err());
    }
}
