//! Shared test helpers: the test key, a catalog directory to pack, and
//! bundle surgery.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use uproot_bundle::{keygen, pack, PackOptions, SecretKey, TrustedKeys};

/// The indicator the updated catalog adds.
pub const NEW_INDICATOR: &str = "zte.zte-any.package-tr069-agent";
/// The package it matches, which the built-in catalog does not cover.
pub const NEW_PACKAGE: &str = "zxhn-tr069-agent";
/// Its source citation.
pub const NEW_SOURCE: &str =
    "Test fixture: ZTE ZXHN TR-069 agent package name (uproot bundle tests)";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed TEST key, copied to a 0600 file (git does not keep modes).
pub fn test_key(tmp: &Path) -> SecretKey {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/test-only.key");
    let dst = tmp.join("test-only.key");
    std::fs::copy(&src, &dst).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    SecretKey::load(&dst, None).unwrap()
}

/// The keys the tests trust: the committed TEST public key. The built-in
/// release key is not used, since nobody here holds its secret half.
pub fn test_trusted() -> TrustedKeys {
    TrustedKeys::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/test-only.pub"))
        .unwrap()
}

/// A fresh key that nobody trusts.
pub fn other_key(tmp: &Path) -> (SecretKey, TrustedKeys) {
    let path = tmp.join("other.key");
    let info = keygen(&path).unwrap();
    let trusted = TrustedKeys::from_file(&info.public_path).unwrap();
    (SecretKey::load(&path, None).unwrap(), trusted)
}

/// A copy of the repository's `catalog/` at `version`, optionally with the
/// new indicator added to `vendors/zte.toml`.
pub fn catalog_dir(tmp: &Path, name: &str, version: &str, add_indicator: bool) -> PathBuf {
    let src = repo().join("catalog");
    let dst = tmp.join(name);
    std::fs::create_dir_all(dst.join("vendors")).unwrap();
    for f in ["catalog.toml", "authorities.toml"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("vendors")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join("vendors").join(e.file_name())).unwrap();
    }
    let cat = std::fs::read_to_string(dst.join("catalog.toml")).unwrap();
    let builtin = uproot_bundle::Catalog::builtin().unwrap().version();
    let cat = cat.replace(
        &format!("version = \"{builtin}\""),
        &format!("version = \"{version}\""),
    );
    std::fs::write(dst.join("catalog.toml"), cat).unwrap();
    if add_indicator {
        let mut zte = std::fs::read_to_string(dst.join("vendors/zte.toml")).unwrap();
        zte.push_str(&format!(
            r#"
[[vendor.indicator]]
id = "{NEW_INDICATOR}"
product = "zte-any"
kind = "package"
match = {{ name = ["{NEW_PACKAGE}"] }}
confidence = "official"
source = "{NEW_SOURCE}"
description = "ZTE TR-069 management agent package"
"#
        ));
        std::fs::write(dst.join("vendors/zte.toml"), zte).unwrap();
    }
    dst
}

/// Packs `dir` with `key` against the built-in catalog.
pub fn pack_with(dir: &Path, key: &SecretKey, serial: u32) -> Vec<u8> {
    let opts = PackOptions {
        serial,
        created: Some("2026-12-01T00:00:00Z".into()),
        previous: None,
    };
    pack(dir, key, &opts).unwrap()
}

/// Edits the bundle as JSON.
pub fn edit(bytes: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    f(&mut v);
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Replaces the first occurrence of `from` in the raw bytes (same length).
pub fn replace_once(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let pos = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} not in bundle"));
    let mut out = bytes.to_vec();
    out[pos..pos + from.len()].copy_from_slice(to.as_bytes());
    out
}
