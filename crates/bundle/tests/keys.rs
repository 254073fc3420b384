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
fn the_builtin_key_is_the_release_key_and_never_the_test_key() {
    let tmp = tempfile::tempdir().unwrap();
    let test = common::test_key(tmp.path());
    let builtin = TrustedKeys::builtin();
    assert_eq!(builtin.key_ids(), vec![RELEASE_KEY_ID.to_owned()]);
    assert!(!builtin.key_ids().contains(&test.key_id()));
    // The key id the keys README promises custodians is the one built in.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/README.md"))
            .unwrap();
    assert!(
        readme.contains(RELEASE_KEY_ID),
        "keys/README.md must name the release key"
    );
}

/// The release key's id (`minisign -G` printed it); changing the built-in key
/// must be a deliberate edit here too.
const RELEASE_KEY_ID: &str = "DBB6AA1533B5EB07";

#[test]
fn a_stock_build_refuses_a_bundle_signed_with_the_public_test_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::catalog_dir(tmp.path(), "cat", "2099.01.01", true);
    let bundle = common::pack_with(&dir, &common::test_key(tmp.path()), 0);
    assert!(uproot_bundle::verify(&bundle, &common::test_trusted()).is_ok());
    let err = uproot_bundle::verify(&bundle, &TrustedKeys::builtin()).unwrap_err();
    assert!(matches!(err, BundleError::Signature(_)), "{err}");
    assert!(err.to_string().contains("not trusted"), "{err}");
}

/// A password-protected key made by the reference `minisign` 0.11 CLI
/// (`minisign -G`, recipe in tests/keys/README.md) opens with its password,
/// is refused without it or with a wrong one, and signs bundles `minisign`'s
/// own public key file verifies.
#[test]
fn a_password_protected_minisign_cli_key_signs_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    let sk_path = tmp.path().join("enc.key");
    std::fs::copy(keys.join("test-encrypted.key"), &sk_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sk_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let no_pw = SecretKey::load(&sk_path, None).unwrap_err();
    assert!(no_pw.to_string().contains("password-protected"), "{no_pw}");
    assert!(SecretKey::load(&sk_path, Some("wrong")).is_err());
    let sk = SecretKey::load(&sk_path, Some("test-only-password")).unwrap();
    let trusted = TrustedKeys::from_file(&keys.join("test-encrypted.pub")).unwrap();
    assert_eq!(trusted.key_ids(), vec![sk.key_id()]);
    let dir = common::catalog_dir(tmp.path(), "cat", "2099.01.01", false);
    let bundle = common::pack_with(&dir, &sk, 0);
    let v = uproot_bundle::verify(&bundle, &trusted).unwrap();
    assert_eq!(v.key_id, sk.key_id());
}

#[test]
fn keygen_with_a_password_encrypts_the_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.key");
    let info = uproot_bundle::keygen_with(&path, Some("correct horse")).unwrap();
    assert!(SecretKey::load(&path, None).is_err());
    let sk = SecretKey::load(&path, Some("correct horse")).unwrap();
    assert_eq!(sk.key_id(), info.key_id);
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
