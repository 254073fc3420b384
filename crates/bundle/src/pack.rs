//! `uproot catalog pack DIR --key K`.

use std::path::Path;

use uproot_catalog::Catalog;

use crate::format::{self, Container, ContainerFile, FileEntry, Manifest, FORMAT};
use crate::keys::SecretKey;
use crate::version::BundleVersion;
use crate::{io_err, sha256_hex, BundleError};

/// Options for [`pack`].
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// Re-issue serial of the catalog version (default 0).
    pub serial: u32,
    /// Creation time to record (RFC 3339); default now.
    pub created: Option<String>,
    /// The catalog to record changes against (the previous bundle's
    /// catalog); default the catalog built into this binary.
    pub previous: Option<Catalog>,
}

/// Reads the catalog files of a directory shaped like `catalog/`, in load
/// order: `catalog.toml`, `authorities.toml`, then `vendors/*.toml` by
/// name. Anything else in the directory is ignored; symlinks are refused.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, BundleError> {
    let mut out = Vec::new();
    for name in ["catalog.toml", "authorities.toml"] {
        let p = dir.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(_) => out.push((name.to_owned(), read_file(&p)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&p)(e)),
        }
    }
    let vendors = dir.join("vendors");
    if vendors.is_dir() {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&vendors).map_err(io_err(&vendors))? {
            let entry = entry.map_err(io_err(&vendors))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") {
                names.push(name);
            }
        }
        names.sort();
        for name in names {
            let rel = format!("vendors/{name}");
            format::check_path(&rel).map_err(|_| {
                BundleError::Pack(format!(
                    "{rel}: vendor file names may use only letters, digits, '-' and '_'"
                ))
            })?;
            out.push((rel, read_file(&vendors.join(&name))?));
        }
    }
    if !out.iter().any(|(p, _)| p == "catalog.toml") {
        return Err(BundleError::Pack(format!(
            "{}: no catalog.toml (with [catalog] version)",
            dir.display()
        )));
    }
    if out.len() > format::MAX_FILES {
        return Err(BundleError::Pack(format!(
            "{} files, more than the {} a bundle may carry",
            out.len(),
            format::MAX_FILES
        )));
    }
    Ok(out)
}

/// Loads the catalog in a directory shaped like `catalog/` (for `catalog
/// diff` against a directory), in [`read_dir`] order, naming files by path.
pub fn load_dir(dir: &Path) -> Result<Catalog, BundleError> {
    let mut catalog = Catalog::default();
    for (path, text) in read_dir(dir)? {
        catalog
            .merge_str(&dir.join(&path).display().to_string(), &text)
            .map_err(|e| BundleError::Catalog(e.to_string()))?;
    }
    Ok(catalog)
}

fn read_file(p: &Path) -> Result<String, BundleError> {
    let meta = std::fs::symlink_metadata(p).map_err(io_err(p))?;
    if !meta.file_type().is_file() {
        return Err(BundleError::Pack(format!(
            "{}: not a regular file",
            p.display()
        )));
    }
    if meta.len() > format::MAX_FILE_BYTES as u64 {
        return Err(BundleError::Pack(format!("{}: too large", p.display())));
    }
    std::fs::read_to_string(p).map_err(io_err(p))
}

/// Packs and signs the catalog in `dir`. The catalog must load, lint
/// without errors and compile, exactly as [`crate::verify`] will demand;
/// the result is verified with the signing key's own public key before it
/// is returned.
pub fn pack(dir: &Path, key: &SecretKey, opts: &PackOptions) -> Result<Vec<u8>, BundleError> {
    pack_files(read_dir(dir)?, key, opts)
}

/// [`pack`] from `(path, text)` pairs already in load order.
pub(crate) fn pack_files(
    files: Vec<(String, String)>,
    key: &SecretKey,
    opts: &PackOptions,
) -> Result<Vec<u8>, BundleError> {
    let mut catalog = Catalog::default();
    for (path, text) in &files {
        format::check_path(path)?;
        catalog
            .merge_str(path, text)
            .map_err(|e| BundleError::Pack(e.to_string()))?;
    }
    let version = catalog
        .meta
        .as_ref()
        .map(|m| m.version.clone())
        .ok_or_else(|| BundleError::Pack("catalog.toml has no [catalog] version".into()))?;
    BundleVersion::new(&version, opts.serial).map_err(BundleError::Pack)?;
    let errors: Vec<String> = catalog
        .lint()
        .into_iter()
        .filter(|d| d.level == uproot_catalog::Level::Error)
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(BundleError::Pack(format!(
            "catalog does not lint clean:\n{}",
            errors.join("\n")
        )));
    }
    catalog
        .compile()
        .map_err(|e| BundleError::Pack(e.to_string()))?;
    let previous = match &opts.previous {
        Some(c) => c.clone(),
        None => Catalog::builtin().map_err(|e| BundleError::Pack(e.to_string()))?,
    };
    let changes = crate::diff::diff(&previous, &catalog);
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        version: version.clone(),
        serial: opts.serial,
        created: opts
            .created
            .clone()
            .unwrap_or_else(uproot_report::rfc3339_now),
        files: files
            .iter()
            .map(|(path, text)| FileEntry {
                path: path.clone(),
                size: text.len() as u64,
                sha256: sha256_hex(text.as_bytes()),
            })
            .collect(),
        changes,
    };
    let manifest_text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BundleError::Pack(format!("manifest: {e}")))?;
    let bv = BundleVersion::new(&version, opts.serial).map_err(BundleError::Pack)?;
    let trusted_comment = format!(
        "{FORMAT} version={bv} created={} manifest-sha256={}",
        manifest.created,
        sha256_hex(manifest_text.as_bytes())
    );
    let signature = key.sign(manifest_text.as_bytes(), &trusted_comment)?;
    let container = Container {
        format: FORMAT.to_owned(),
        manifest: manifest_text,
        signature: Some(signature),
        files: files
            .into_iter()
            .map(|(path, text)| ContainerFile { path, text })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&container)
        .map_err(|e| BundleError::Pack(format!("bundle: {e}")))?;
    bytes.push(b'\n');
    // Never hand out a bundle that would not verify with the signer's key.
    if let Some(b64) = key.public_base64() {
        let mut own = crate::TrustedKeys::empty();
        own.add_text(&b64).map_err(BundleError::Pack)?;
        crate::verify(&bytes, &own)?;
    }
    Ok(bytes)
}
