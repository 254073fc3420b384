//! Signed catalog bundles: how a catalog update travels from the people who
//! write rules to hosts that cannot reach the internet, and why a host can
//! trust it.
//!
//! A bundle is one JSON file (`*.ucb`, format `uproot.catalog-bundle/1`):
//!
//! ```json
//! {
//!   "format": "uproot.catalog-bundle/1",
//!   "manifest": "{\"format\":\"uproot.catalog-bundle/1\",\"version\":\"2026.12.01\",…}",
//!   "signature": "untrusted comment: …\nRUQ…\ntrusted comment: uproot.catalog-bundle/1 …\n…\n",
//!   "files": [ { "path": "catalog.toml", "text": "…" }, { "path": "vendors/acme.toml", "text": "…" } ]
//! }
//! ```
//!
//! * `files` are the catalog files of a directory shaped like `catalog/`:
//!   `catalog.toml`, `authorities.toml`, `vendors/<name>.toml`. Nothing else
//!   is accepted: no other directories, no `..`, no absolute paths.
//! * `manifest` is a JSON document kept as a *string*, so the signed bytes
//!   are exactly the bytes stored ([`Manifest`]): the catalog version and an
//!   optional serial, the creation time, the size and SHA-256 of every file
//!   in load order, and the changes relative to the catalog it was packed
//!   against (indicators added / removed / changed, each with its `source`).
//! * `signature` is a minisign signature (ed25519, pre-hashed) of the
//!   manifest bytes. Its trusted comment starts with
//!   `uproot.catalog-bundle/1 `, so a signature the same key made over
//!   something else is not a bundle signature. The stock tool can check it:
//!   `jq -j .manifest b.ucb > m; jq -j .signature b.ucb > m.minisig;
//!   minisign -V -p key.pub -m m`.
//!
//! [`verify`] checks, in order: size and shape bounds, the signature against
//! the trusted keys, every file's size and hash against the manifest (and
//! that the file set is exactly the manifest's), that the catalog loads, that
//! its version is the manifest's, that lint reports no errors and that it
//! compiles. [`install`] also refuses a bundle that is not newer than both the
//! installed one and the catalog built into the binary, and writes it with
//! temp file + fsync + rename; [`load_installed`] verifies it again before
//! every use, so a file changed on disk is never used.
//!
//! Keys: [`keygen`] writes a minisign key pair (secret key mode 0600), and
//! [`keygen_with`] one whose secret key is password-protected.
//! [`TrustedKeys::builtin`] holds [`BUILTIN_PUBLIC_KEY`], the project's
//! release key (its secret half is kept offline, see `keys/README.md`);
//! administrators add their own with [`TrustedKeys::from_file`] or trust
//! only theirs. The test key under `tests/keys/` is never built in.
//!
//! ```
//! use uproot_bundle::{BundleVersion, TrustedKeys};
//! let v: BundleVersion = "2026.12.01".parse().unwrap();
//! assert!(v > "2026.11.29".parse().unwrap());
//! assert_eq!(TrustedKeys::builtin().len(), 1);
//! ```
#![deny(missing_docs)]

mod diff;
mod format;
mod install;
mod keys;
mod pack;
mod version;

pub use diff::{diff, CatalogDiff, Change, IndicatorChange, ItemChange};
pub use format::{
    verify, FileEntry, Manifest, VerifiedBundle, FORMAT, MAX_BUNDLE_BYTES, MAX_FILES,
    MAX_FILE_BYTES,
};
pub use install::{
    default_dir, install, installed_version, load_installed, Installed, BUNDLE_FILE,
};
pub use keys::{keygen, keygen_with, KeyPairInfo, SecretKey, TrustedKeys, BUILTIN_PUBLIC_KEY};
pub use pack::{load_dir, pack, read_dir, PackOptions};
pub use version::BundleVersion;

/// The catalog a bundle is loaded into; re-exported for callers' convenience.
pub use uproot_catalog::Catalog;

use std::path::PathBuf;

/// Why a bundle was not packed, verified or installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The bundle is not a well-formed bundle (bounds, JSON, paths).
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// The bundle carries no signature.
    #[error("bundle is not signed")]
    Unsigned,
    /// No trusted key made the signature, or the signature does not verify.
    #[error("bad signature: {0}")]
    Signature(String),
    /// A file does not match the manifest.
    #[error("{path}: {message}")]
    Tampered {
        /// The file inside the bundle.
        path: String,
        /// What does not match.
        message: String,
    },
    /// The catalog inside does not load, lint clean or compile.
    #[error("catalog in bundle is invalid: {0}")]
    Catalog(String),
    /// The bundle is not newer than what is installed or built in.
    #[error(
        "refusing downgrade: bundle {bundle} is not newer than the {against} catalog {current}"
    )]
    Downgrade {
        /// The bundle's version.
        bundle: String,
        /// `installed` or `built-in`.
        against: &'static str,
        /// That catalog's version.
        current: String,
    },
    /// A key file is unusable.
    #[error("{path}: {message}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Packing failed (bad directory, signing error).
    #[error("cannot pack: {0}")]
    Pack(String),
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of `bytes`, lowercase hex, as the manifest records file hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
