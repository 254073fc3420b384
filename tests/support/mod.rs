//! Shared setup for the end-to-end tests that need a signed catalog bundle.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The package the next catalog covers and the built-in one does not.
pub const NEW_PACKAGE: &str = "acme-av-engine";
/// The indicator the next catalog adds for it.
pub const NEW_INDICATOR: &str = "kaspersky.test.acme-engine";
/// The next catalog's version.
pub const NEXT_VERSION: &str = "2099.01.01";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A root whose dpkg database lists [`NEW_PACKAGE`] only.
pub fn host_with_new_package(dir: &Path) -> PathBuf {
    let host = dir.join("host");
    std::fs::create_dir_all(host.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        host.join("var/lib/dpkg/status"),
        format!(
            "Package: {NEW_PACKAGE}\nStatus: install ok installed\nVersion: 1.0\n\
             Architecture: amd64\nMaintainer: ACME <a@example.com>\nDescription: test\n"
        ),
    )
    .unwrap();
    host
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The repository's catalog as the next release: version [`NEXT_VERSION`]
/// and one more indicator, [`NEW_INDICATOR`].
pub fn next_catalog_dir(dir: &Path) -> PathBuf {
    let out = dir.join("catalog");
    copy_dir(&repo().join("catalog"), &out);
    let cat = std::fs::read_to_string(out.join("catalog.toml")).unwrap();
    let current = cat
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("catalog.toml has a version")
        .to_owned();
    std::fs::write(
        out.join("catalog.toml"),
        cat.replace(
            &format!("version = \"{current}\""),
            &format!("version = \"{NEXT_VERSION}\""),
        ),
    )
    .unwrap();
    let mut kas = std::fs::read_to_string(out.join("vendors/kaspersky.toml")).unwrap();
    kas.push_str(&format!(
        "\n[[vendor.indicator]]\nid = \"{NEW_INDICATOR}\"\nproduct = \"kaspersky-any\"\n\
         kind = \"package\"\nmatch = {{ name = [\"{NEW_PACKAGE}\"] }}\nconfidence = \"official\"\n\
         source = \"test bundle (tests/support)\"\ndescription = \"white-label engine package\"\n"
    ));
    std::fs::write(out.join("vendors/kaspersky.toml"), kas).unwrap();
    out
}

/// A fresh signing key and the next catalog signed with it:
/// (bundle file, public key file, catalog directory).
pub fn signed_next_bundle(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let catalog = next_catalog_dir(dir);
    let key = dir.join("signing.key");
    let bin = env!("CARGO_BIN_EXE_uproot");
    let st = Command::new(bin)
        .args(["catalog", "keygen", key.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success(), "catalog keygen");
    let bundle = dir.join("next.ucb");
    let st = Command::new(bin)
        .args(["catalog", "pack", catalog.to_str().unwrap(), "--key"])
        .arg(&key)
        .arg("-o")
        .arg(&bundle)
        .status()
        .unwrap();
    assert!(st.success(), "catalog pack");
    (bundle, dir.join("signing.key.pub"), catalog)
}
