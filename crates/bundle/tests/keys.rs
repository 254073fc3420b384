//! Key generation and loading.

use std::path::Path;

mod common;

use uproot_bundle::{keygen, BundleError, SecretKey, TrustedKeys};

#[test]
fn keygen_writes_a_0600_secret_key_and_a_matching_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.key");
    let info = keygen(&path).unwrap();
    assert_eq!(info.public_path, dir.path().join("catalog.key.pub"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let sk = SecretKey::load(&path, None).unwrap();
    assert_eq!(sk.key_id(), info.key_id);
    assert_eq!(sk.public_base64().unwrap(), info.public_base64);
    let trusted = TrustedKeys::from_file(&info.public_path).unwrap();
    assert_eq!(trusted.key_ids(), vec![info.key_id.clone()]);
    let pub_text = std::fs::read_to_string(&info.public_path).unwrap();
    assert!(pub_text.starts_with("untrusted comment: minisign public key"));
    // An existing key is never replaced.
    assert!(keygen(&path).is_err());
}

#[cfg(unix)]
#[test]
fn a_secret_key_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    keygen(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SecretKey::load(&path, None).unwrap_err();
    assert!(matches!(err, BundleError::Key { .. }), "{err}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn the_builtin_key_is_the_committed_test_key() {
    let tmp = tempfile::tempdir().unwrap();
    let sk = common::test_key(tmp.path());
    assert_eq!(TrustedKeys::builtin().key_ids(), vec![sk.key_id()]);
}

/// Makes the committed test key pair. Run once, by hand:
/// `UPROOT_REGEN_TEST_KEY=1 cargo test -p uproot-bundle --test keys -- --ignored`
#[test]
#[ignore]
fn regenerate_test_key() {
    if std::env::var_os("UPROOT_REGEN_TEST_KEY").is_none() {
        return;
    }
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    let _ = std::fs::remove_file(keys.join("test-only.key"));
    let _ = std::fs::remove_file(keys.join("test-only.pub"));
    let tmp = keys.join("test-only.key");
    let info = keygen(&tmp).unwrap();
    std::fs::rename(&info.public_path, keys.join("test-only.pub")).unwrap();
}
