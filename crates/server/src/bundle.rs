//! The published catalog bundle, read from disk only when the file changes.
//!
//! Every agent asks for the bundle before every scan, so the route answers
//! from memory and with an `ETag` (the SHA-256 of the bytes): an agent that
//! already has this bundle gets `304 Not Modified` and no body. Replacing
//! the file (by rename, as `uproot catalog pack -o` then `mv` does) changes
//! its identity and is picked up by the next request.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// Largest bundle served; the same bound as `uproot_bundle::MAX_BUNDLE_BYTES`,
/// which agents apply again before verifying.
pub(crate) const MAX_CATALOG_BUNDLE: u64 = 16 << 20;

/// One read of the bundle file.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    /// The file's bytes (cheap to clone into each response).
    pub bytes: axum::body::Bytes,
    /// Strong entity tag: `"sha256:<hex>"`, quotes included.
    pub etag: String,
}

/// What says the file is still the one cached: a rename gives a new inode,
/// an in-place write a new length or modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

/// The cache [`crate::state::AppState`] holds.
#[derive(Debug, Default)]
pub(crate) struct BundleCache(Mutex<Option<(Identity, Published)>>);

impl BundleCache {
    /// The bundle at `path`, from memory when the file has not changed;
    /// `Ok(None)` when there is no such file. Blocking: call it off the
    /// async runtime.
    pub(crate) fn get(&self, path: &Path) -> Result<Option<Published>, String> {
        let shown = |e: std::io::Error| format!("{}: {e}", path.display());
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(shown(e)),
        };
        let id = identity(&meta);
        if let Some((cached, published)) = self.lock().as_ref() {
            if *cached == id {
                return Ok(Some(published.clone()));
            }
        }
        let f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(shown(e)),
        };
        // The identity is read again from the open file, so a replacement
        // between the stat above and the open is cached under its own.
        let id = f.metadata().map(|m| identity(&m)).map_err(shown)?;
        let mut bytes = Vec::new();
        f.take(MAX_CATALOG_BUNDLE + 1)
            .read_to_end(&mut bytes)
            .map_err(shown)?;
        if bytes.len() as u64 > MAX_CATALOG_BUNDLE {
            return Err(format!(
                "{}: larger than {MAX_CATALOG_BUNDLE} bytes",
                path.display()
            ));
        }
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let published = Published {
            bytes: axum::body::Bytes::from(bytes),
            etag: format!("\"sha256:{hex}\""),
        };
        *self.lock() = Some((id, published.clone()));
        Ok(Some(published))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Identity, Published)>> {
        // A panic while holding the lock leaves at worst a stale entry,
        // which the identity check replaces.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn identity(meta: &std::fs::Metadata) -> Identity {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Identity {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    }
}

/// True when an `If-None-Match` header value names `etag` (or is `*`).
/// Weak comparison, as RFC 9110 §13.1.2 asks for this header.
pub(crate) fn none_match(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header.trim() == "*" || header.split(',').any(|t| bare(t) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let e = "\"sha256:ab\"";
        assert!(none_match("\"sha256:ab\"", e));
        assert!(none_match("\"x\", W/\"sha256:ab\"", e));
        assert!(none_match("*", e));
        assert!(!none_match("\"sha256:ac\"", e));
        assert!(!none_match("", e));
    }

    #[test]
    fn a_replaced_file_is_read_again_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.ucb");
        let cache = BundleCache::default();
        assert!(cache.get(&path).unwrap().is_none());
        std::fs::write(&path, b"one").unwrap();
        let a = cache.get(&path).unwrap().unwrap();
        assert_eq!(&a.bytes[..], b"one");
        assert_eq!(cache.get(&path).unwrap().unwrap().etag, a.etag);
        let tmp = dir.path().join("new");
        std::fs::write(&tmp, b"two!").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let b = cache.get(&path).unwrap().unwrap();
        assert_eq!(&b.bytes[..], b"two!");
        assert_ne!(a.etag, b.etag);
        std::fs::remove_file(&path).unwrap();
        assert!(cache.get(&path).unwrap().is_none());
    }
}
