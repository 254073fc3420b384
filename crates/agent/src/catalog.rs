//! Catalog updates from the fleet server. The server only relays the
//! bundle; this host trusts it because the signature verifies against its
//! own trusted keys, checked here before the bytes are handed on.

use uproot_bundle::{TrustedKeys, VerifiedBundle};

use std::path::{Path, PathBuf};

use crate::client::{BundleResponse, Client};
use crate::error::{Error, Result};

/// A bundle fetched from the server that verified.
#[derive(Debug, Clone)]
pub struct FetchedBundle {
    /// The bundle file, for `uproot_bundle::install` (which verifies it
    /// again, and refuses downgrades).
    pub bytes: Vec<u8>,
    /// What verification found.
    pub bundle: VerifiedBundle,
    /// The server's ETag for it, to send back next time.
    pub etag: Option<String>,
}

/// What a catalog check found.
#[derive(Debug, Clone)]
pub enum CatalogFetch {
    /// The server publishes no bundle.
    NotPublished,
    /// The server's bundle is the one `known_etag` names: nothing fetched.
    Unchanged,
    /// A bundle that verified against the trusted keys (boxed: a verified
    /// catalog is large, the other answers are empty).
    Fetched(Box<FetchedBundle>),
}

/// `GET /api/v1/catalog/bundle` and verify it against `trusted`.
/// `known_etag` is the ETag of the bundle this host already has; when the
/// server's is the same, nothing is downloaded. [`Error::Bundle`] when the
/// bundle is unsigned, signed by an untrusted key, tampered with or
/// malformed.
pub fn fetch_catalog_bundle(
    client: &Client,
    token: &str,
    trusted: &TrustedKeys,
    known_etag: Option<&str>,
) -> Result<CatalogFetch> {
    let (bytes, etag) = match client.get_catalog_bundle(token, known_etag)? {
        BundleResponse::NotPublished => return Ok(CatalogFetch::NotPublished),
        BundleResponse::Unchanged => return Ok(CatalogFetch::Unchanged),
        BundleResponse::Bundle { bytes, etag } => (bytes, etag),
    };
    let bundle = uproot_bundle::verify(&bytes, trusted).map_err(|source| Error::Bundle {
        url: format!("{}/api/v1/catalog/bundle", client.server()),
        source,
    })?;
    Ok(CatalogFetch::Fetched(Box::new(FetchedBundle {
        bytes,
        bundle,
        etag,
    })))
}

/// The file, in the agent's state directory, that keeps the ETag of the
/// bundle last dealt with (installed, or found not newer than the catalog in
/// force) and that bundle's version. Losing it costs one download.
pub fn catalog_etag_path(dir: &Path) -> PathBuf {
    dir.join("catalog-bundle.etag")
}

/// What [`remember_catalog_etag`] kept: the server's ETag and the version of
/// the bundle it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownBundle {
    /// The ETag, quotes included.
    pub etag: String,
    /// `BundleVersion` text of that bundle.
    pub version: String,
}

/// The ETag and version kept by [`remember_catalog_etag`], if readable.
pub fn known_catalog_etag(dir: &Path) -> Option<KnownBundle> {
    let text = std::fs::read_to_string(catalog_etag_path(dir)).ok()?;
    let (etag, version) = text.trim_end().split_once('\t')?;
    // A tag is one short header value; anything else is not ours.
    let ok = !etag.is_empty() && etag.len() <= 200 && etag.is_ascii() && !version.is_empty();
    ok.then(|| KnownBundle {
        etag: etag.to_owned(),
        version: version.to_owned(),
    })
}

/// Keeps `known` for the next check; `None` forgets it.
pub fn remember_catalog_etag(dir: &Path, known: Option<&KnownBundle>) -> Result<()> {
    let path = catalog_etag_path(dir);
    match known {
        Some(k) => crate::fsutil::write_atomic(
            &path,
            format!("{}\t{}\n", k.etag, k.version).as_bytes(),
            None,
        ),
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::Io { path, source: e })
            }
            _ => Ok(()),
        },
    }
}
