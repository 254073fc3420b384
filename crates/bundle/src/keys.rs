//! Minisign keys: the signer's secret key, and the public keys a host trusts.
//!
//! The files are minisign's own format, so keys made with `minisign -G`
//! work here and keys made by [`keygen`] work with `minisign`. The secret
//! key is written unencrypted with mode 0600 (created with that mode, never
//! replaced); a password-protected key from `minisign -G` is loaded with
//! [`SecretKey::load`] and its password.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{io_err, BundleError};

/// The project's release keys, built into the binary: catalog bundles the
/// project publishes are signed with one of them.
///
/// The secret halves are password-protected and kept offline by the release
/// custodian, never in the repository (`crates/bundle/keys/README.md` has the
/// key ids, the custody rules and how a key is rotated). The committed
/// *test* key under `tests/keys/` is deliberately not here: its secret half
/// is public, so a build that trusted it would accept anyone's bundle.
pub const BUILTIN_PUBLIC_KEY: &str = include_str!("../keys/release.pub");

/// Largest key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Public keys whose signatures a host accepts.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<(String, minisign_verify::PublicKey)>,
}

impl TrustedKeys {
    /// The keys built into the binary ([`BUILTIN_PUBLIC_KEY`]).
    pub fn builtin() -> TrustedKeys {
        let mut k = TrustedKeys::default();
        // The constant is checked by a unit test, so this cannot fail in a build.
        let _ = k.add_text(BUILTIN_PUBLIC_KEY);
        k
    }

    /// No keys at all (nothing verifies).
    pub fn empty() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Keys from a file: one or more minisign public keys, either `.pub`
    /// files concatenated (`untrusted comment:` line, then the base64 key)
    /// or bare base64 lines; `#` lines and blank lines are ignored.
    pub fn from_file(path: &Path) -> Result<TrustedKeys, BundleError> {
        let text = read_small(path)?;
        let mut k = TrustedKeys::default();
        k.add_text(&text).map_err(|message| BundleError::Key {
            path: path.to_owned(),
            message,
        })?;
        Ok(k)
    }

    /// Adds every key in `text` (same syntax as [`TrustedKeys::from_file`]).
    pub fn add_text(&mut self, text: &str) -> Result<usize, String> {
        let mut n = 0;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with("untrusted comment:") {
                continue;
            }
            let key = minisign_verify::PublicKey::from_base64(line)
                .map_err(|e| format!("not a minisign public key ({e}): {line:?}"))?;
            let id = key_id_of_base64(line).unwrap_or_default();
            if !self.keys.iter().any(|(k, _)| *k == id) {
                self.keys.push((id, key));
            }
            n += 1;
        }
        if n == 0 {
            return Err("no minisign public key found".into());
        }
        Ok(n)
    }

    /// Adds all keys of `other`.
    pub fn extend(&mut self, other: &TrustedKeys) {
        for (id, k) in &other.keys {
            if !self.keys.iter().any(|(x, _)| x == id) {
                self.keys.push((id.clone(), k.clone()));
            }
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Key ids (16 upper-case hex digits, as `minisign` prints them).
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Verifies a minisign signature over `message`; returns the signing key's
    /// id and the trusted comment. Legacy (non-prehashed) signatures are refused.
    pub(crate) fn verify(
        &self,
        message: &[u8],
        signature: &str,
    ) -> Result<(String, String), BundleError> {
        let sig = minisign_verify::Signature::decode(signature)
            .map_err(|e| BundleError::Signature(format!("unreadable signature: {e}")))?;
        if self.keys.is_empty() {
            return Err(BundleError::Signature("no trusted keys configured".into()));
        }
        let mut last = None;
        for (id, key) in &self.keys {
            match key.verify(message, &sig, false) {
                Ok(()) => return Ok((id.clone(), sig.trusted_comment().to_owned())),
                Err(minisign_verify::Error::UnexpectedKeyId) => {}
                Err(e) => last = Some(format!("key {id}: {e}")),
            }
        }
        Err(BundleError::Signature(last.unwrap_or_else(|| {
            format!(
                "signed by a key that is not trusted (trusted: {})",
                self.key_ids().join(", ")
            )
        })))
    }
}

/// The minisign key id of a base64 public key: bytes 2..10, little-endian,
/// printed as `minisign` does.
fn key_id_of_base64(b64: &str) -> Option<String> {
    let pk = minisign::PublicKey::from_base64(b64).ok()?;
    Some(key_id(pk.keynum()))
}

pub(crate) fn key_id(keynum: &[u8]) -> String {
    keynum.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// A signer's secret key.
pub struct SecretKey {
    sk: minisign::SecretKey,
    pk: Option<minisign::PublicKey>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Loads a minisign secret key file. An encrypted key needs `password`;
    /// without one it is refused (never prompted for). On Unix a key file that
    /// group or others can read is refused, as OpenSSH does.
    pub fn load(path: &Path, password: Option<&str>) -> Result<SecretKey, BundleError> {
        let bad = |message: String| BundleError::Key {
            path: path.to_owned(),
            message,
        };
        let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
        if !meta.file_type().is_file() {
            return Err(bad("not a regular file".into()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "secret key is accessible by others (mode {mode:o}); run `chmod 600 {}`",
                    path.display()
                )));
            }
        }
        let text = read_small(path)?;
        let sk_box = minisign::SecretKeyBox::from_string(&text)
            .map_err(|e| bad(format!("not a minisign secret key: {e}")))?;
        let sk = match password {
            Some(p) => sk_box.into_secret_key(Some(p.to_owned())),
            None => sk_box.into_unencrypted_secret_key(),
        }
        .map_err(|e| {
            bad(format!(
                "cannot open secret key{}: {e}",
                if password.is_none() {
                    " (is it password-protected?)"
                } else {
                    ""
                }
            ))
        })?;
        let pk = minisign::PublicKey::from_secret_key(&sk).ok();
        Ok(SecretKey { sk, pk })
    }

    /// The key id, as `minisign` prints it.
    pub fn key_id(&self) -> String {
        key_id(self.sk.keynum())
    }

    /// The public key, base64 (the second line of a `.pub` file).
    pub fn public_base64(&self) -> Option<String> {
        self.pk.as_ref().map(|p| p.to_base64())
    }

    /// Signs `message`; the result is a `.minisig` text.
    pub(crate) fn sign(
        &self,
        message: &[u8],
        trusted_comment: &str,
    ) -> Result<String, BundleError> {
        let sig = minisign::sign(
            self.pk.as_ref(),
            &self.sk,
            message,
            Some(trusted_comment),
            Some(&format!(
                "signature from uproot catalog key {}",
                self.key_id()
            )),
        )
        .map_err(|e| BundleError::Pack(format!("signing failed: {e}")))?;
        Ok(sig.into_string())
    }
}

/// What [`keygen`] wrote.
#[derive(Debug, Clone)]
pub struct KeyPairInfo {
    /// The secret key file (mode 0600).
    pub secret_path: PathBuf,
    /// The public key file (`<secret>.pub`).
    pub public_path: PathBuf,
    /// Key id.
    pub key_id: String,
    /// The public key, base64, for a trusted-keys file.
    pub public_base64: String,
}

/// Generates a minisign key pair: the unencrypted secret key at `path`
/// (created with mode 0600; an existing file is never replaced) and the
/// public key at `path` with `.pub` appended to its extension
/// (`catalog.key` → `catalog.key.pub`).
pub fn keygen(path: &Path) -> Result<KeyPairInfo, BundleError> {
    keygen_with(path, None)
}

/// [`keygen`], with the secret key encrypted under `password` when one is
/// given (minisign's scrypt box, so `minisign -S` opens it too). A release
/// key should be encrypted: it then survives a copied backup.
pub fn keygen_with(path: &Path, password: Option<&str>) -> Result<KeyPairInfo, BundleError> {
    let public_path = {
        let mut s = path.as_os_str().to_owned();
        s.push(".pub");
        PathBuf::from(s)
    };
    let kp = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p.to_owned())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| BundleError::Pack(format!("key generation failed: {e}")))?;
    let id = key_id(kp.pk.keynum());
    let sk_text = kp
        .sk
        .to_box(Some(&format!("uproot catalog secret key {id}")))
        .map_err(|e| BundleError::Pack(format!("key encoding failed: {e}")))?
        .into_string();
    let pk_text = kp
        .pk
        .to_box()
        .map_err(|e| BundleError::Pack(format!("key encoding failed: {e}")))?
        .into_string();
    write_new(path, sk_text.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public_path, pk_text.as_bytes(), 0o644) {
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(KeyPairInfo {
        secret_path: path.to_owned(),
        public_path,
        key_id: id,
        public_base64: kp.pk.to_base64(),
    })
}

/// Creates `path` with `mode` (never replacing a file), writes and fsyncs it.
fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<(), BundleError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(io_err(path))?;
    f.write_all(data).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn read_small(path: &Path) -> Result<String, BundleError> {
    use std::io::Read;
    let f = fs::File::open(path).map_err(io_err(path))?;
    let mut text = String::new();
    f.take(MAX_KEY_FILE + 1)
        .read_to_string(&mut text)
        .map_err(io_err(path))?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(BundleError::Key {
            path: path.to_owned(),
            message: "key file is too large".into(),
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_key_parses() {
        let k = TrustedKeys::builtin();
        assert_eq!(k.len(), 1);
        assert_eq!(k.key_ids()[0].len(), 16);
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(TrustedKeys::default().add_text("hello").is_err());
        assert!(TrustedKeys::default().add_text("").is_err());
    }
}
