//! Container images without a container engine.
//!
//! [`Image::open`] reads a `docker save` archive (legacy `<id>/layer.tar`
//! and the Docker 25+ OCI-in-tar form), an OCI image layout directory, or an
//! OCI layout packed as a tar, picks the manifest for a platform (linux/amd64
//! unless told otherwise, nested indexes followed), and streams each layer
//! tar once to build a compact merged tree: layers applied in order, OCI
//! whiteouts (`.wh.<name>`, `.wh..wh..opq`) and hard links honoured, later
//! layers replacing earlier entries. Nothing is extracted: a file's content
//! is read later with `pread` at its offset inside the layer, which for an
//! uncompressed layer is the image file itself (offsets inside an outer tar
//! compose). A compressed layer is decompressed once, during the index pass,
//! into an unlinked temporary file holding that layer's own tar bytes, which
//! then serves its contents; it is never unpacked into a directory tree.
//! Blob digests are verified while streaming, total decompressed bytes and
//! tar entries are bounded ([`ImageOptions`]), tar headers are read by a
//! reader of our own that caps PAX and long-name records (so a small layer
//! cannot claim gigabytes of RAM), and a tar entry that is absolute or
//! climbs out with `..` makes the image an error. [`Image`]
//! implements [`uproot_collect::Vfs`], so `Root::from_vfs` runs every Linux
//! collector over it, with `Root`'s chroot-style resolution containing
//! symlinks that point out of the image; [`Image::layer_of`] says which layer
//! supplied a path, for attributing findings.
//!
//! ```no_run
//! use uproot_image::{Image, ImageOptions};
//! let image = Image::open("alpine.tar", &ImageOptions::default()).unwrap();
//! for l in image.layers() {
//!     println!("{} {} {:?}", l.index, l.digest, l.created_by);
//! }
//! println!("/etc/os-release from layer {:?}", image.layer_of("/etc/os-release"));
//! ```
#![deny(missing_docs)]

mod error;
mod fs;
mod layer;
mod manifest;
mod store;
mod stream;
mod tarscan;
mod tree;

#[cfg(feature = "test-support")]
pub mod testimage;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use sha2::{Digest, Sha256};

pub use error::ImageError;
pub use stream::Compression;

use manifest::{hex, PlannedLayer};
use store::{Blob, Store};
use tree::Tree;

/// Which kind of file the image came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// A `docker save` tar with only `manifest.json` (before Docker 25).
    DockerArchive,
    /// An unpacked `docker save` directory.
    DockerDirectory,
    /// A tar holding an OCI layout; Docker 25+ `docker save` writes this
    /// (with a `manifest.json` too, whose tags are kept).
    OciArchive,
    /// An OCI image layout directory.
    OciDirectory,
}

/// An OS/architecture pair, as OCI indexes name platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// `amd64`, `arm64`, `arm`, …
    pub architecture: String,
    /// `v7`, `v8`, … when it matters.
    pub variant: Option<String>,
}

impl Platform {
    /// linux/amd64, the default.
    pub fn default_linux_amd64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }

    /// True when an index entry for `offered` satisfies a request for `self`.
    /// A request without a variant takes any variant; arm64 without a
    /// variant means v8.
    pub fn matches(&self, offered: &Platform) -> bool {
        let norm = |p: &Platform| match (p.architecture.as_str(), p.variant.as_deref()) {
            ("arm64", None) => Some("v8".to_owned()),
            _ => p.variant.clone(),
        };
        self.os == offered.os
            && self.architecture == offered.architecture
            && (self.variant.is_none() || norm(self) == norm(offered))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    /// `os/arch[/variant]`, e.g. `linux/arm64/v8`.
    fn from_str(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: Some((*v).into()),
            }),
            _ => Err(format!(
                "platform `{s}`: expected os/arch[/variant], e.g. linux/arm64"
            )),
        }
    }
}

/// How to open an image.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// Platform to pick from a multi-platform index (linux/amd64 when None;
    /// an index holding a single image is then taken whatever its platform).
    pub platform: Option<Platform>,
    /// Image to pick when the file holds several: a `RepoTags` entry of
    /// `manifest.json` or an index's `org.opencontainers.image.ref.name` /
    /// `io.containerd.image.name` annotation.
    pub reference: Option<String>,
    /// Bound on the bytes of layer tar read in total (after decompression):
    /// the decompression-bomb limit. Compressed layers are spooled to a temp
    /// file, so this also bounds temporary disk use.
    pub max_total_bytes: u64,
    /// Bound on tar entries across all layers. The merged tree costs about
    /// 75 bytes per entry: a million entries peak at about 75 MB.
    pub max_entries: u64,
    /// Check each layer blob's sha256 (and diff_id). Costs one hash over
    /// every layer byte: for uncompressed layers it runs on two more
    /// threads beside the listing, and dominates the index pass's time.
    pub verify_digests: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            platform: None,
            reference: None,
            max_total_bytes: 64 << 30,
            max_entries: 1_000_000,
            verify_digests: true,
        }
    }
}

/// One layer of the image, base first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position, 0 for the base layer.
    pub index: usize,
    /// The layer digest: the blob's descriptor digest (OCI), or the
    /// config's diff_id (docker save; the file name when there is none).
    pub digest: String,
    /// `sha256:` of the uncompressed tar, from the config, when given.
    pub diff_id: Option<String>,
    /// Media type from the manifest (OCI only).
    pub media_type: Option<String>,
    /// Compression found from the blob's first bytes.
    pub compression: Compression,
    /// Blob size as stored.
    pub size: u64,
    /// Uncompressed tar size.
    pub tar_size: u64,
    /// Tar entries in the layer.
    pub entries: u64,
    /// The history entry's `created_by` (the Dockerfile step), if any.
    pub created_by: Option<String>,
}

/// Facts from the image config and manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `os` of the config (`linux`).
    pub os: Option<String>,
    /// `architecture` (`amd64`).
    pub architecture: Option<String>,
    /// `variant` (`v8`).
    pub variant: Option<String>,
    /// `created` timestamp as written.
    pub created: Option<String>,
    /// Names the image is known by (RepoTags, ref-name annotations).
    pub repo_tags: Vec<String>,
    /// `sha256:` of the config blob, the image ID.
    pub config_digest: Option<String>,
}

/// Where a layer's file contents are read from.
#[derive(Debug)]
struct Source {
    file: Arc<File>,
    base: u64,
}

/// An opened image: the merged, read-only view of its layers.
pub struct Image {
    path: PathBuf,
    format: ImageFormat,
    config: ImageConfig,
    layers: Vec<LayerInfo>,
    sources: Vec<Source>,
    tree: Tree,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("layers", &self.layers.len())
            .field("tree", &self.tree)
            .finish()
    }
}

impl Image {
    /// Opens an image file or directory, detecting its format, and indexes
    /// its layers.
    pub fn open(path: impl AsRef<Path>, opts: &ImageOptions) -> Result<Image, ImageError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| ImageError::io(&shown, e))?;
        let mut warnings = Vec::new();
        let (store, in_tar) = if meta.is_dir() {
            (Store::open_dir(path), false)
        } else {
            let file = Arc::new(File::open(path).map_err(|e| ImageError::io(&shown, e))?);
            let whole = Blob {
                file: file.clone(),
                offset: 0,
                len: meta.len(),
                name: shown.clone(),
            };
            let comp =
                Compression::sniff(&whole.head(6)?).map_err(|why| ImageError::NotAnImage {
                    path: shown.clone(),
                    reason: why.replace("layers", "archives"),
                })?;
            let store = if comp == Compression::None {
                Store::open_tar(file, meta.len(), &shown, opts.max_entries)?
            } else {
                // `docker save | gzip`: docker load takes it, so do we.
                let (spool, len) = decompress_whole(&whole, comp, opts.max_total_bytes, &shown)?;
                warnings.push(format!(
                    "{shown}: {comp}-compressed archive, decompressed to a temporary file ({len} bytes)"
                ));
                Store::open_tar(Arc::new(spool), len, &shown, opts.max_entries)?
            };
            (store, true)
        };
        let plan = manifest::resolve(&store, in_tar, opts, &shown)?;
        warnings.extend(plan.warnings);
        if plan.layers.len() > usize::from(u16::MAX) {
            return Err(ImageError::meta(
                "manifest",
                format!(
                    "{} layers; at most {} are supported",
                    plan.layers.len(),
                    u16::MAX
                ),
            ));
        }
        let (tree, sources, layers) = index_layers(&plan.layers, opts, &mut warnings)?;
        Ok(Image {
            path: path.to_path_buf(),
            format: plan.format,
            config: plan.config,
            layers,
            sources,
            tree,
            warnings,
        })
    }

    /// The path the image was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the image was stored.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// Config facts: OS, architecture, tags, image ID.
    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// Index of the layer that supplied the final version of `path` (the
    /// entry itself, not a symlink's target; symlinked parents are resolved
    /// inside the image). None when the path is not in the merged view.
    /// For a directory it is the newest layer whose tar lists it.
    pub fn layer_of(&self, path: &str) -> Option<usize> {
        let n = fs::resolve(&self.tree, path, false).ok()?;
        Some(usize::from(self.tree.node(n).layer))
    }

    /// [`Self::layer_of`], as the layer's description.
    pub fn layer_info_of(&self, path: &str) -> Option<&LayerInfo> {
        self.layer_of(path).and_then(|i| self.layers.get(i))
    }

    /// Things that did not stop the image from opening but that a user
    /// should see: symlinks pointing out of the image, skipped entries,
    /// metadata inconsistencies.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Nodes in the merged tree (including replaced ones kept for hard links).
    pub fn node_count(&self) -> usize {
        self.tree.len()
    }

    /// Approximate heap bytes of the merged tree.
    pub fn index_bytes(&self) -> usize {
        self.tree.heap_bytes()
    }
}

/// Decompresses a whole compressed archive into an unlinked temp file.
fn decompress_whole(
    blob: &Blob,
    comp: Compression,
    limit: u64,
    shown: &str,
) -> Result<(File, u64), ImageError> {
    let spool = tempfile::tempfile().map_err(|e| ImageError::io("temporary file", e))?;
    let dec = Decoder::new(comp, blob.reader(256 << 10));
    let tee = stream::Tee::new(dec, spool, None, limit);
    match tee.finish() {
        Ok((_, file, _, len)) => Ok((file, len)),
        Err(stream::TeeFailure::Limit) => Err(ImageError::NotAnImage {
            path: shown.to_owned(),
            reason: format!(
                "decompresses to more than {limit} bytes (limit ImageOptions::max_total_bytes)"
            ),
        }),
        Err(stream::TeeFailure::Decode(e)) => Err(ImageError::NotAnImage {
            path: shown.to_owned(),
            reason: format!("corrupt {comp} data: {e}"),
        }),
        Err(stream::TeeFailure::Spool(e)) => Err(ImageError::io("temporary file", e)),
    }
}

/// A decompressor whose input can be taken back (to finish its hash).
enum Decoder<R: Read> {
    Gzip(Box<flate2::read::MultiGzDecoder<R>>),
    Zstd(Box<stream::Zstd<R>>),
}

impl<R: Read> Decoder<R> {
    fn new(comp: Compression, r: R) -> Decoder<R> {
        match comp {
            Compression::Zstd => Decoder::Zstd(Box::new(stream::Zstd::new(r))),
            _ => Decoder::Gzip(Box::new(flate2::read::MultiGzDecoder::new(r))),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }
    }
}

/// What verification expects of one layer.
fn expected(l: &PlannedLayer) -> Vec<(&'static str, &str)> {
    let mut v = Vec::new();
    if let Some(h) = &l.blob_sha256 {
        v.push(("blob", h.as_str()));
    }
    if let Some(h) = &l.diff_id {
        v.push(("diff_id", h.as_str()));
    }
    v
}

fn mismatch(i: usize, l: &PlannedLayer, what: &str, want: &str, got: &str) -> ImageError {
    ImageError::DigestMismatch {
        name: format!("layer {i} ({}) {what} {}", l.digest, l.blob.name),
        expected: format!("sha256:{want}"),
        actual: format!("sha256:{got}"),
    }
}

/// sha256 of a blob, read with pread in large chunks; None when cancelled.
fn hash_blob(blob: &Blob, cancel: &AtomicBool) -> io::Result<Option<String>> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0u64;
    while off < blob.len {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let want = buf.len().min((blob.len - off) as usize);
        let n = store::read_full_at(&blob.file, &mut buf[..want], blob.offset + off)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        off += n as u64;
    }
    Ok(Some(hex(&h.finalize())))
}

type Indexed = (Tree, Vec<Source>, Vec<LayerInfo>);

/// The index pass. Uncompressed layers are listed with seeks (like
/// `tar -tf`) while up to two other threads hash them; compressed layers
/// are hashed inline as they stream through the decompressor.
fn index_layers(
    layers: &[PlannedLayer],
    opts: &ImageOptions,
    warnings: &mut Vec<String>,
) -> Result<Indexed, ImageError> {
    let mut comps = Vec::with_capacity(layers.len());
    for (i, l) in layers.iter().enumerate() {
        let c = Compression::sniff(&l.blob.head(6)?).map_err(|why| ImageError::Layer {
            index: i,
            digest: l.digest.clone(),
            reason: why.into(),
        })?;
        comps.push(c);
    }
    let mut jobs: Vec<(usize, Blob)> = layers
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            opts.verify_digests && comps[*i] == Compression::None && !expected(l).is_empty()
        })
        .map(|(i, l)| (i, l.blob.clone()))
        .collect();
    // Largest first, so two hashers finish close together; listing the
    // layers with seeks is quick, so hashing is what the wait is for.
    jobs.sort_by_key(|(_, b)| std::cmp::Reverse(b.len));
    let hashers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2)
        .min(jobs.len());
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let cancel = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..hashers {
            let (tx, queue, cancel) = (tx.clone(), &queue, &cancel);
            s.spawn(move || loop {
                let Some((i, blob)) = queue.lock().ok().and_then(|mut q| q.next()) else {
                    break;
                };
                let r = hash_blob(&blob, cancel);
                if matches!(r, Ok(None)) || tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        // Only the hashers hold senders now: the results loop ends with them.
        drop(tx);
        let out = index_all(layers, &comps, opts, warnings);
        let out = match out {
            Ok(v) => v,
            Err((i, e)) => {
                cancel.store(true, Ordering::Relaxed);
                // A corrupt blob usually fails as bad gzip or tar first; the
                // digest says why, so it wins.
                if let Some(l) = layers
                    .get(i)
                    .filter(|l| opts.verify_digests && !expected(l).is_empty())
                {
                    if comps[i] == Compression::None {
                        if let Ok(Some(got)) = hash_blob(&l.blob, &AtomicBool::new(false)) {
                            if let Some((what, want)) =
                                expected(l).into_iter().find(|(_, w)| *w != got)
                            {
                                return Err(mismatch(i, l, what, want, &got));
                            }
                        }
                    } else if let Some(want) = &l.blob_sha256 {
                        if let Ok(Some(got)) = hash_blob(&l.blob, &AtomicBool::new(false)) {
                            if &got != want {
                                return Err(mismatch(i, l, "blob", want, &got));
                            }
                        }
                    }
                }
                return Err(e);
            }
        };
        // Report the lowest corrupt layer, whichever hasher finished first.
        let mut results: Vec<(usize, io::Result<Option<String>>)> = rx.into_iter().collect();
        results.sort_by_key(|(i, _)| *i);
        for (i, r) in results {
            let l = &layers[i];
            let got = r
                .map_err(|e| ImageError::io(&l.blob.name, e))?
                .unwrap_or_default();
            if let Some((what, want)) = expected(l).into_iter().find(|(_, w)| *w != got) {
                return Err(mismatch(i, l, what, want, &got));
            }
        }
        Ok(out)
    })
}

fn index_all(
    layers: &[PlannedLayer],
    comps: &[Compression],
    opts: &ImageOptions,
    warnings: &mut Vec<String>,
) -> Result<Indexed, (usize, ImageError)> {
    let mut tree = Tree::new();
    let mut sources = Vec::with_capacity(layers.len());
    let mut infos = Vec::with_capacity(layers.len());
    let mut entries = 0u64;
    let mut total = 0u64;
    for (i, l) in layers.iter().enumerate() {
        let comp = comps[i];
        let mut pass = layer::LayerPass {
            index: i,
            digest: &l.digest,
            tree: &mut tree,
            warnings: &mut *warnings,
            entries: &mut entries,
            max_entries: opts.max_entries,
            stream_len: None,
        };
        let too_large = || ImageError::TooLarge {
            index: i,
            digest: l.digest.clone(),
            limit: opts.max_total_bytes,
        };
        let layer_err = |reason: String| ImageError::Layer {
            index: i,
            digest: l.digest.clone(),
            reason,
        };
        let (source, tar_size, count) = if comp == Compression::None {
            total = total.saturating_add(l.blob.len);
            if total > opts.max_total_bytes {
                return Err((i, too_large()));
            }
            pass.stream_len = Some(l.blob.len);
            let mut reader = tarscan::TarReader::new(l.blob.reader(64 << 10));
            let count = pass.run(&mut reader).map_err(|e| (i, e))?;
            let src = Source {
                file: l.blob.file.clone(),
                base: l.blob.offset,
            };
            (src, l.blob.len, count)
        } else {
            let verify = opts.verify_digests;
            let raw = stream::Hashing {
                inner: l.blob.reader(256 << 10),
                hasher: (verify && l.blob_sha256.is_some()).then(Sha256::new),
            };
            let spool =
                tempfile::tempfile().map_err(|e| (i, ImageError::io("temporary file", e)))?;
            let tee = stream::Tee::new(
                Decoder::new(comp, raw),
                spool,
                (verify && l.diff_id.is_some()).then(Sha256::new),
                opts.max_total_bytes.saturating_sub(total),
            );
            let mut reader = tarscan::TarReader::new(tarscan::Streamed(tee));
            let res = pass.run(&mut reader);
            let mut tee = reader.into_inner().0;
            let failed = tee.failure.take();
            let fail = |f: stream::TeeFailure| match f {
                stream::TeeFailure::Limit => too_large(),
                stream::TeeFailure::Decode(e) => layer_err(format!("corrupt {comp} data: {e}")),
                stream::TeeFailure::Spool(e) => ImageError::io("temporary layer file", e),
            };
            if let Some(f) = failed {
                return Err((i, fail(f)));
            }
            let count = res.map_err(|e| (i, e))?;
            let (dec, file, diff_hasher, tar_size) = tee.finish().map_err(|f| (i, fail(f)))?;
            let mut raw = match dec {
                Decoder::Gzip(d) => d.into_inner(),
                Decoder::Zstd(d) => (*d).into_inner(),
            };
            // The digest covers the whole blob, trailing bytes included.
            io::copy(&mut raw, &mut io::sink())
                .map_err(|e| (i, ImageError::io(&l.blob.name, e)))?;
            total += tar_size;
            if let (Some(h), Some(want)) = (raw.hasher.take(), &l.blob_sha256) {
                let got = hex(&h.finalize());
                if &got != want {
                    return Err((i, mismatch(i, l, "blob", want, &got)));
                }
            }
            if let (Some(h), Some(want)) = (diff_hasher, &l.diff_id) {
                let got = hex(&h.finalize());
                if &got != want {
                    return Err((i, mismatch(i, l, "diff_id", want, &got)));
                }
            }
            let src = Source {
                file: Arc::new(file),
                base: 0,
            };
            (src, tar_size, count)
        };
        sources.push(source);
        infos.push(LayerInfo {
            index: i,
            digest: l.digest.clone(),
            diff_id: l.diff_id.as_ref().map(|h| format!("sha256:{h}")),
            media_type: l.media_type.clone(),
            compression: comp,
            size: l.blob.len,
            tar_size,
            entries: count,
            created_by: l.created_by.clone(),
        });
    }
    Ok((tree, sources, infos))
}
