//! The per-host evidence-signing key.
//!
//! One ed25519 key pair per host, created once and never overwritten:
//!
//! * `evidence-key.pem`: the private key, PKCS#8 PEM, mode 0600 (created
//!   with that mode, so it is never readable by others, even briefly);
//! * `evidence-key.pub.pem`: the public key, SubjectPublicKeyInfo PEM.
//!
//! Both are standard encodings: `openssl pkey -in evidence-key.pem -pubout`
//! prints the same public key. The fingerprint is `sha256:` and the SHA-256
//! of the 32 raw public-key bytes, in hex.
//!
//! The key is written to a temporary file in the same directory and then
//! hard-linked to its name, which fails if the name exists: two runs racing to
//! create a key end up with one key, and an existing key is never replaced.
//! Loading refuses a private key file that group or others can read, as
//! OpenSSH does.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::canonical::{hex, sha256_hex, unhex};

/// File name of the private key.
pub const PRIVATE_KEY_FILE: &str = "evidence-key.pem";
/// File name of the public key.
pub const PUBLIC_KEY_FILE: &str = "evidence-key.pub.pem";

/// What can go wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key in the directory.
    #[error("no evidence-signing key in {0} (create one with `uproot key`)")]
    Missing(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The private key can be read by group or others.
    #[error("{path}: private key is accessible by others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// A key file is not what it should be.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The system random source failed.
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
    /// No directory could be chosen.
    #[error("no key directory: set UPROOT_HOME or HOME, or pass --key-dir")]
    NoDirectory,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// This host's signing key, with the directory it lives in.
pub struct HostKey {
    signing: SigningKey,
    dir: PathBuf,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey")
            .field("dir", &self.dir)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl HostKey {
    /// A key from its 32 secret bytes (tests and imports).
    pub fn from_secret(secret: [u8; 32], dir: impl Into<PathBuf>) -> HostKey {
        HostKey {
            signing: SigningKey::from_bytes(&secret),
            dir: dir.into(),
        }
    }

    /// The directory the key files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the private key file.
    pub fn private_path(&self) -> PathBuf {
        self.dir.join(PRIVATE_KEY_FILE)
    }

    /// Path of the public key file.
    pub fn public_path(&self) -> PathBuf {
        self.dir.join(PUBLIC_KEY_FILE)
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key as lowercase hex (64 digits).
    pub fn public_hex(&self) -> String {
        hex(self.verifying_key().as_bytes())
    }

    /// `sha256:<hex>` of the raw public key.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.verifying_key())
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    pub fn public_pem(&self) -> String {
        public_pem(&self.verifying_key())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> ed25519_dalek::Signature {
        use ed25519_dalek::Signer;
        self.signing.sign(message)
    }
}

/// `sha256:<hex>` of a raw public key.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!("sha256:{}", sha256_hex(key.as_bytes()))
}

/// A public key as SubjectPublicKeyInfo PEM.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// The default key directory: `$UPROOT_HOME`; else `/var/lib/uproot` when
/// running as root; else `$XDG_DATA_HOME/uproot`, else
/// `$HOME/.local/share/uproot`.
pub fn default_key_dir() -> Result<PathBuf, KeyError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = var("UPROOT_HOME") {
        return Ok(PathBuf::from(home));
    }
    if is_root() {
        return Ok(PathBuf::from("/var/lib/uproot"));
    }
    if let Some(data) = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(data.join("uproot"));
    }
    match var("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/uproot")),
        None => Err(KeyError::NoDirectory),
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// Loads the key in `dir`; [`KeyError::Missing`] when there is none.
pub fn load(dir: &Path) -> Result<HostKey, KeyError> {
    let path = dir.join(PRIVATE_KEY_FILE);
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyError::Missing(dir.to_owned()))
        }
        Err(e) => return Err(io(&path)(e)),
    };
    if !meta.file_type().is_file() {
        return Err(KeyError::Invalid {
            path,
            message: "not a regular file".into(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions { path, mode });
        }
    }
    let text = zeroize_string(fs::read_to_string(&path).map_err(io(&path))?);
    let signing = SigningKey::from_pkcs8_pem(&text).map_err(|e| KeyError::Invalid {
        path: path.clone(),
        message: format!("not an ed25519 PKCS#8 private key: {e}"),
    })?;
    let key = HostKey {
        signing,
        dir: dir.to_owned(),
    };
    let pub_path = key.public_path();
    match fs::read_to_string(&pub_path) {
        Ok(text) => {
            let public =
                VerifyingKey::from_public_key_pem(&text).map_err(|e| KeyError::Invalid {
                    path: pub_path.clone(),
                    message: format!("not an ed25519 public key: {e}"),
                })?;
            if public != key.verifying_key() {
                return Err(KeyError::Invalid {
                    path: pub_path,
                    message: format!(
                        "does not match the private key in {} (fingerprint {})",
                        path.display(),
                        key.fingerprint()
                    ),
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&pub_path)(e)),
    }
    Ok(key)
}

/// Wraps key text so it is wiped from memory when dropped.
fn zeroize_string(s: String) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(s)
}

/// Loads the key in `dir`, or creates it when there is none. Returns the key
/// and whether it was created now. An existing key is never replaced.
pub fn load_or_create(dir: &Path) -> Result<(HostKey, bool), KeyError> {
    match load(dir) {
        Ok(key) => {
            write_public_if_missing(&key)?;
            return Ok((key, false));
        }
        Err(KeyError::Missing(_)) => {}
        Err(e) => return Err(e),
    }
    create_dir(dir)?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = HostKey::from_secret(secret, dir);
    secret.fill(0);
    // PKCS#8 v1 (RFC 8410, the seed only), as `openssl genpkey` writes it:
    // OpenSSL 3.0 cannot read the v2 form that also carries the public key.
    let v1 = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.signing.to_bytes(),
        public_key: None,
    };
    let pem = v1
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Invalid {
            path: key.private_path(),
            message: format!("cannot encode the key: {e}"),
        })?;
    let created = write_new(&key.private_path(), pem.as_bytes(), 0o600)?;
    if !created {
        // Another process created a key first: use that one.
        let key = load(dir)?;
        write_public_if_missing(&key)?;
        return Ok((key, false));
    }
    write_public_if_missing(&key)?;
    Ok((key, true))
}

fn write_public_if_missing(key: &HostKey) -> Result<(), KeyError> {
    let path = key.public_path();
    if path.exists() {
        return Ok(());
    }
    write_new(&path, key.public_pem().as_bytes(), 0o644)?;
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))
}

/// Writes `bytes` to `path` only if `path` does not exist, atomically: a
/// temporary file with the final mode, then a hard link (which never
/// replaces). Returns false when `path` already existed.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<bool, KeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        hex(&nonce)
    ));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut f = opts.open(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io(path)(e)),
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// A public key given by a person: a PEM file (public or, on this host, the
/// private key), a PEM string, 64 hex digits, or a `sha256:` fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedSigner {
    /// This exact key.
    Key(VerifyingKey),
    /// A key with this fingerprint (`sha256:<hex>`, lowercase).
    Fingerprint(String),
}

impl ExpectedSigner {
    /// True when `key` is the expected signer.
    pub fn matches(&self, key: &VerifyingKey) -> bool {
        match self {
            ExpectedSigner::Key(k) => k == key,
            ExpectedSigner::Fingerprint(f) => *f == fingerprint(key),
        }
    }

    /// How it is shown.
    pub fn describe(&self) -> String {
        match self {
            ExpectedSigner::Key(k) => fingerprint(k),
            ExpectedSigner::Fingerprint(f) => f.clone(),
        }
    }
}

/// Parses `--pubkey`: a file path, or a key or fingerprint given inline.
pub fn parse_expected(arg: &str) -> Result<ExpectedSigner, KeyError> {
    let invalid = |message: String| KeyError::Invalid {
        path: PathBuf::from(arg),
        message,
    };
    let trimmed = arg.trim();
    if let Some(fp) = trimmed.strip_prefix("sha256:") {
        let fp = fp.to_lowercase();
        return match unhex(&fp) {
            Some(bytes) if bytes.len() == 32 => {
                Ok(ExpectedSigner::Fingerprint(format!("sha256:{fp}")))
            }
            _ => Err(invalid(
                "a fingerprint is `sha256:` and 64 hex digits".into(),
            )),
        };
    }
    if trimmed.len() == 64 {
        if let Some(bytes) = unhex(trimmed) {
            let arr: [u8; 32] = bytes
                .try_into()
                .map_err(|_| invalid("not 32 bytes".into()))?;
            return VerifyingKey::from_bytes(&arr)
                .map(ExpectedSigner::Key)
                .map_err(|e| invalid(format!("not an ed25519 public key: {e}")));
        }
    }
    let text = if trimmed.starts_with("-----BEGIN") {
        trimmed.to_owned()
    } else {
        let path = Path::new(arg);
        fs::read_to_string(path).map_err(io(path))?
    };
    public_from_pem(&text)
        .map(ExpectedSigner::Key)
        .ok_or_else(|| {
            invalid(
                "not an ed25519 public key (PEM), 64 hex digits, or a sha256: fingerprint".into(),
            )
        })
}

/// An ed25519 public key from a PEM public key, or derived from a PEM private key.
fn public_from_pem(text: &str) -> Option<VerifyingKey> {
    if let Ok(k) = VerifyingKey::from_public_key_pem(text.trim()) {
        return Some(k);
    }
    SigningKey::from_pkcs8_pem(text.trim())
        .ok()
        .map(|s| s.verifying_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_once_then_load_the_same_key() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        let (key, created) = load_or_create(&dir).unwrap();
        assert!(created);
        let before = fs::read(key.private_path()).unwrap();
        let (again, created) = load_or_create(&dir).unwrap();
        assert!(!created);
        assert_eq!(again.verifying_key(), key.verifying_key());
        assert_eq!(fs::read(key.private_path()).unwrap(), before);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&key.private_path()), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        // No temporary files are left behind.
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(key.fingerprint().starts_with("sha256:"));
        assert_eq!(key.fingerprint().len(), 7 + 64);
    }

    #[test]
    fn missing_loose_and_mismatched_keys_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(load(tmp.path()), Err(KeyError::Missing(_))));
        let (key, _) = load_or_create(tmp.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(key.private_path(), fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                load(tmp.path()),
                Err(KeyError::Permissions { .. })
            ));
            fs::set_permissions(key.private_path(), fs::Permissions::from_mode(0o600)).unwrap();
        }
        let other = HostKey::from_secret([7; 32], tmp.path());
        fs::write(key.public_path(), other.public_pem()).unwrap();
        let err = load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn expected_signer_forms() {
        let tmp = tempfile::tempdir().unwrap();
        let (key, _) = load_or_create(tmp.path()).unwrap();
        let vk = key.verifying_key();
        for arg in [
            key.public_hex(),
            key.public_pem(),
            key.public_path().display().to_string(),
            key.private_path().display().to_string(),
        ] {
            assert_eq!(
                parse_expected(&arg).unwrap(),
                ExpectedSigner::Key(vk),
                "{arg}"
            );
        }
        let fp = parse_expected(
            &key.fingerprint()
                .to_uppercase()
                .replace("SHA256:", "sha256:"),
        )
        .unwrap();
        assert!(fp.matches(&vk));
        assert!(!fp.matches(&HostKey::from_secret([1; 32], ".").verifying_key()));
        assert!(parse_expected("sha256:abcd").is_err());
        assert!(parse_expected("/nonexistent/key.pem").is_err());
    }
}
