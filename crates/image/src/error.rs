//! Why an image could not be opened. Every variant names the file, blob,
//! layer or tar entry at fault, because the image is usually someone else's
//! and the message is all the user has to go on.

/// An image that could not be opened or indexed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Reading the image file or directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (or `image:member`) being read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path is neither a docker save archive nor an OCI layout.
    #[error("{path}: not a container image: {reason}")]
    NotAnImage {
        /// The path given.
        path: String,
        /// What was looked for and not found.
        reason: String,
    },
    /// A metadata file (manifest.json, index.json, a manifest or config blob)
    /// is malformed.
    #[error("{file}: {reason}")]
    Metadata {
        /// The file or blob, as named inside the image.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A blob the manifest lists is not in the image.
    #[error("{what}: {name} is listed but missing from the image")]
    MissingBlob {
        /// What the blob is for (`layer 2 (sha256:…)`, `config`, `manifest`).
        what: String,
        /// The member or blob path that was looked for.
        name: String,
    },
    /// A blob's content does not hash to the digest that names it.
    #[error("{name}: sha256 mismatch: expected {expected}, content hashes to {actual}")]
    DigestMismatch {
        /// The blob (and which layer it is, for layers).
        name: String,
        /// `sha256:…` the image claims.
        expected: String,
        /// `sha256:…` of what is actually there.
        actual: String,
    },
    /// No image in the index fits the requested platform.
    #[error("no image for platform {wanted} in {file} (available: {})", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    NoPlatform {
        /// The platform asked for (`linux/amd64` by default).
        wanted: String,
        /// The index file.
        file: String,
        /// Platforms the index offers.
        available: Vec<String>,
    },
    /// A layer is corrupt (bad compression, bad tar) or unsupported.
    #[error("layer {index} ({digest}): {reason}")]
    Layer {
        /// Layer index, 0 = base.
        index: usize,
        /// Layer digest.
        digest: String,
        /// What went wrong.
        reason: String,
    },
    /// One tar entry of a layer is refused (path traversal, bad header).
    #[error("layer {index} ({digest}): entry `{entry}`: {reason}")]
    Entry {
        /// Layer index, 0 = base.
        index: usize,
        /// Layer digest.
        digest: String,
        /// The entry's path as stored in the tar (lossy UTF-8, truncated).
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// The layers decompress to more than `ImageOptions::max_total_bytes`
    /// (a decompression bomb, or an image larger than allowed).
    #[error("layer {index} ({digest}): image expands to more than {limit} bytes of layer tar (limit ImageOptions::max_total_bytes)")]
    TooLarge {
        /// Layer being read when the limit was passed.
        index: usize,
        /// Its digest.
        digest: String,
        /// The limit in force.
        limit: u64,
    },
    /// The layers hold more than `ImageOptions::max_entries` tar entries.
    #[error("layer {index} ({digest}): image has more than {limit} tar entries (limit ImageOptions::max_entries)")]
    TooManyEntries {
        /// Layer being read when the limit was passed.
        index: usize,
        /// Its digest.
        digest: String,
        /// The limit in force.
        limit: u64,
    },
}

impl ImageError {
    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> ImageError {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn meta(file: impl Into<String>, reason: impl Into<String>) -> ImageError {
        ImageError::Metadata {
            file: file.into(),
            reason: reason.into(),
        }
    }
}
