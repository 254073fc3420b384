//! `uproot catalog update FILE`: install a verified bundle into the state
//! directory, and load it again (verified again) for each scan.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use uproot_catalog::Catalog;

use crate::format::{verify, VerifiedBundle, MAX_BUNDLE_BYTES};
use crate::keys::TrustedKeys;
use crate::version::BundleVersion;
use crate::{io_err, BundleError};

/// The installed bundle's file name inside the catalog state directory.
pub const BUNDLE_FILE: &str = "current.ucb";

/// What [`install`] did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The file written.
    pub path: PathBuf,
    /// The version now installed.
    pub version: BundleVersion,
    /// The version it replaced, if a bundle was installed before.
    pub previous: Option<BundleVersion>,
    /// The verified bundle.
    pub bundle: VerifiedBundle,
}

/// The catalog state directory: `$UPROOT_STATE_DIR/catalog` when set, else
/// `/var/lib/uproot/catalog`.
pub fn default_dir() -> PathBuf {
    match std::env::var_os("UPROOT_STATE_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d).join("catalog"),
        None => PathBuf::from("/var/lib/uproot/catalog"),
    }
}

/// Verifies `bytes` and installs them as the current catalog in `dir`
/// (created if missing). Refuses anything [`verify`] refuses, and a bundle
/// whose version is not newer than the installed bundle's, or whose catalog
/// version is not newer than the built-in catalog's (a serial cannot make
/// the built-in version newer, since reports would then name one version
/// for two different rule sets). The file is written to a temporary name,
/// fsynced, renamed over the old one and the directory fsynced, so a crash
/// leaves either the old bundle or the new one.
pub fn install(bytes: &[u8], trusted: &TrustedKeys, dir: &Path) -> Result<Installed, BundleError> {
    let bundle = verify(bytes, trusted)?;
    let builtin = Catalog::builtin().map_err(|e| BundleError::Catalog(e.to_string()))?;
    let builtin_version = builtin.version();
    if let Ok(b) = BundleVersion::new(&builtin_version, 0) {
        if bundle.version.cmp_catalog(&b).is_le() {
            return Err(BundleError::Downgrade {
                bundle: bundle.version.to_string(),
                against: "built-in",
                current: builtin_version,
            });
        }
    }
    let previous = installed_version(dir, trusted);
    if let Some(prev) = &previous {
        if bundle.version <= *prev {
            return Err(BundleError::Downgrade {
                bundle: bundle.version.to_string(),
                against: "installed",
                current: prev.to_string(),
            });
        }
    }
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join(BUNDLE_FILE);
    write_atomic(&path, bytes)?;
    Ok(Installed {
        path,
        version: bundle.version.clone(),
        previous,
        bundle,
    })
}

/// The version of the bundle installed in `dir`, if there is one that
/// still verifies. A bundle that no longer verifies (edited on disk, key
/// removed from the trusted set) counts as none, so a good update can
/// replace it.
pub fn installed_version(dir: &Path, trusted: &TrustedKeys) -> Option<BundleVersion> {
    read_installed(dir, trusted)
        .ok()
        .flatten()
        .map(|b| b.version)
}

/// The installed catalog, verified again now, to use instead of the built-in
/// one. `Ok(None)` when no bundle is installed, or when the installed
/// catalog is not newer than the built-in one (the binary was upgraded past
/// it). An error when a bundle is installed but does not verify: the caller
/// should say so and fall back to the built-in catalog.
pub fn load_installed(dir: &Path, trusted: &TrustedKeys) -> Result<Option<Catalog>, BundleError> {
    let Some(b) = read_installed(dir, trusted)? else {
        return Ok(None);
    };
    let builtin = Catalog::builtin().map_err(|e| BundleError::Catalog(e.to_string()))?;
    match BundleVersion::new(&builtin.version(), 0) {
        Ok(v) if b.version.cmp_catalog(&v).is_le() => Ok(None),
        _ => Ok(Some(b.catalog)),
    }
}

fn read_installed(
    dir: &Path,
    trusted: &TrustedKeys,
) -> Result<Option<VerifiedBundle>, BundleError> {
    use std::io::Read;
    let path = dir.join(BUNDLE_FILE);
    let f = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut bytes = Vec::new();
    f.take(MAX_BUNDLE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(&path))?;
    verify(&bytes, trusted).map(Some)
}

/// temp file in the same directory + fsync + rename + fsync(dir).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{BUNDLE_FILE}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o644);
        }
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io_err(path))?;
        #[cfg(unix)]
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
