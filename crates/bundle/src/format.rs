//! The bundle container, its manifest, and verification.
//!
//! Every check happens before anything from the bundle is used, and every
//! input is bounded before it is parsed: the whole file, the number of
//! files, each file, and the names (see [`check_path`]).

use serde::{Deserialize, Serialize};
use uproot_catalog::{Catalog, Diagnostic, Level};

use crate::diff::CatalogDiff;
use crate::keys::TrustedKeys;
use crate::version::BundleVersion;
use crate::{sha256_hex, BundleError};

/// The container and manifest format name.
pub const FORMAT: &str = "uproot.catalog-bundle/1";
/// Largest bundle accepted, in bytes.
pub const MAX_BUNDLE_BYTES: usize = 16 * 1024 * 1024;
/// Most files a bundle may carry.
pub const MAX_FILES: usize = 256;
/// Largest single catalog file, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Longest file name inside a bundle.
const MAX_PATH: usize = 128;

/// The on-disk container.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Container {
    pub format: String,
    /// The manifest JSON, kept as text so the signed bytes are the stored bytes.
    pub manifest: String,
    /// minisign signature of `manifest`; absent or empty means unsigned.
    #[serde(default)]
    pub signature: Option<String>,
    pub files: Vec<ContainerFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContainerFile {
    pub path: String,
    pub text: String,
}

/// One file as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the catalog directory (`vendors/acme.toml`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// What a bundle says about itself. Signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The catalog version (`[catalog] version` in `catalog.toml`).
    pub version: String,
    /// Re-issue serial of that catalog version (0 for the first).
    #[serde(default)]
    pub serial: u32,
    /// When the bundle was packed (RFC 3339, UTC).
    pub created: String,
    /// The files, in load order.
    pub files: Vec<FileEntry>,
    /// What changed relative to the catalog it was packed against.
    pub changes: CatalogDiff,
}

impl Manifest {
    /// The bundle's version (catalog version and serial).
    pub fn bundle_version(&self) -> Result<BundleVersion, BundleError> {
        BundleVersion::new(&self.version, self.serial).map_err(BundleError::Malformed)
    }
}

/// A bundle that passed every check in [`verify`].
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// The signed manifest.
    pub manifest: Manifest,
    /// Its version.
    pub version: BundleVersion,
    /// The catalog it carries, loaded (not merged with the built-in one).
    pub catalog: Catalog,
    /// The id of the trusted key that signed it.
    pub key_id: String,
    /// The signature's trusted comment.
    pub trusted_comment: String,
    /// Lint warnings (errors would have failed verification).
    pub warnings: Vec<Diagnostic>,
}

/// Checks a bundle: bounds and shape, the signature against `trusted`, every
/// file's hash, that the catalog loads with the manifest's version, lints
/// without errors and compiles.
pub fn verify(bytes: &[u8], trusted: &TrustedKeys) -> Result<VerifiedBundle, BundleError> {
    let container = parse_container(bytes)?;
    let signature = match container.signature.as_deref() {
        Some(s) if !s.trim().is_empty() => s,
        _ => return Err(BundleError::Unsigned),
    };
    let (key_id, trusted_comment) = trusted.verify(container.manifest.as_bytes(), signature)?;
    // Domain separation: a signature the same key made over anything else
    // (a release tarball, say) carries another trusted comment.
    if !trusted_comment.starts_with(&format!("{FORMAT} ")) {
        return Err(BundleError::Signature(format!(
            "signature is not for a catalog bundle (trusted comment {trusted_comment:?})"
        )));
    }
    // From here on the manifest is authentic.
    let manifest: Manifest = serde_json::from_str(&container.manifest)
        .map_err(|e| BundleError::Malformed(format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BundleError::Malformed(format!(
            "manifest format {:?}, expected {FORMAT:?}",
            manifest.format
        )));
    }
    let version = manifest.bundle_version()?;
    check_files(&manifest, &container.files)?;
    let catalog = load_catalog(&manifest, &container.files)?;
    let loaded = catalog.version();
    if loaded != manifest.version {
        return Err(BundleError::Catalog(format!(
            "catalog.toml says version {loaded}, the manifest says {}",
            manifest.version
        )));
    }
    let (errors, warnings): (Vec<_>, Vec<_>) = catalog
        .lint()
        .into_iter()
        .partition(|d| d.level == Level::Error);
    if !errors.is_empty() {
        return Err(BundleError::Catalog(format!(
            "lint reports {} error(s):\n{}",
            errors.len(),
            errors
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    catalog
        .compile()
        .map_err(|e| BundleError::Catalog(e.to_string()))?;
    Ok(VerifiedBundle {
        manifest,
        version,
        catalog,
        key_id,
        trusted_comment,
        warnings,
    })
}

/// Parses the container with every bound applied; checks file names.
pub(crate) fn parse_container(bytes: &[u8]) -> Result<Container, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::Malformed(format!(
            "{} bytes, more than the {MAX_BUNDLE_BYTES} allowed",
            bytes.len()
        )));
    }
    let c: Container = serde_json::from_slice(bytes)
        .map_err(|e| BundleError::Malformed(format!("not a catalog bundle: {e}")))?;
    if c.format != FORMAT {
        return Err(BundleError::Malformed(format!(
            "format {:?}, expected {FORMAT:?}",
            c.format
        )));
    }
    if c.files.len() > MAX_FILES {
        return Err(BundleError::Malformed(format!(
            "{} files, more than the {MAX_FILES} allowed",
            c.files.len()
        )));
    }
    for f in &c.files {
        check_path(&f.path)?;
        if f.text.len() > MAX_FILE_BYTES {
            return Err(BundleError::Malformed(format!(
                "{}: more than {MAX_FILE_BYTES} bytes",
                f.path
            )));
        }
    }
    Ok(c)
}

/// Only the shape of `catalog/` is accepted: `catalog.toml`,
/// `authorities.toml`, `vendors/<name>.toml` with `name` of ASCII letters,
/// digits, `-` and `_`. This refuses `..`, absolute paths, backslashes,
/// NULs and any other directory before a name is ever joined to a path.
pub(crate) fn check_path(path: &str) -> Result<(), BundleError> {
    let ok = path.len() <= MAX_PATH
        && match path {
            "catalog.toml" | "authorities.toml" => true,
            _ => path
                .strip_prefix("vendors/")
                .and_then(|n| n.strip_suffix(".toml"))
                .is_some_and(|n| {
                    !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        && !n.starts_with('-')
                }),
        };
    if ok {
        Ok(())
    } else {
        Err(BundleError::Malformed(format!(
            "file name {path:?} is not allowed (only catalog.toml, authorities.toml, vendors/NAME.toml)"
        )))
    }
}

/// The files must be exactly the manifest's, each with its size and hash.
fn check_files(manifest: &Manifest, files: &[ContainerFile]) -> Result<(), BundleError> {
    if manifest.files.len() > MAX_FILES {
        return Err(BundleError::Malformed("too many files in manifest".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for e in &manifest.files {
        check_path(&e.path)?;
        if !seen.insert(e.path.as_str()) {
            return Err(BundleError::Malformed(format!(
                "{}: listed twice in the manifest",
                e.path
            )));
        }
    }
    if !seen.contains("catalog.toml") {
        return Err(BundleError::Malformed("no catalog.toml".into()));
    }
    let mut present = std::collections::HashSet::new();
    for f in files {
        if !present.insert(f.path.as_str()) {
            return Err(BundleError::Tampered {
                path: f.path.clone(),
                message: "appears twice in the bundle".into(),
            });
        }
        let Some(entry) = manifest.files.iter().find(|e| e.path == f.path) else {
            return Err(BundleError::Tampered {
                path: f.path.clone(),
                message: "not listed in the signed manifest".into(),
            });
        };
        let size = f.text.len() as u64;
        if size != entry.size {
            return Err(BundleError::Tampered {
                path: f.path.clone(),
                message: format!("{size} bytes, the manifest says {}", entry.size),
            });
        }
        let hash = sha256_hex(f.text.as_bytes());
        if hash != entry.sha256 {
            return Err(BundleError::Tampered {
                path: f.path.clone(),
                message: format!("sha256 {hash}, the manifest says {}", entry.sha256),
            });
        }
    }
    if let Some(missing) = manifest
        .files
        .iter()
        .find(|e| !present.contains(e.path.as_str()))
    {
        return Err(BundleError::Tampered {
            path: missing.path.clone(),
            message: "listed in the manifest but missing from the bundle".into(),
        });
    }
    Ok(())
}

/// Loads the files in manifest order, naming each `bundle:<version>/<path>`.
fn load_catalog(manifest: &Manifest, files: &[ContainerFile]) -> Result<Catalog, BundleError> {
    let mut catalog = Catalog::default();
    for e in &manifest.files {
        let Some(f) = files.iter().find(|f| f.path == e.path) else {
            continue;
        };
        catalog
            .merge_str(&format!("bundle:{}/{}", manifest.version, f.path), &f.text)
            .map_err(|e| BundleError::Catalog(e.to_string()))?;
    }
    Ok(catalog)
}
