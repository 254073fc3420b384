//! Shared helpers for the collector tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `shared/corpora` beside the repository; its absence fails loudly, never skips.
pub fn corpora() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    assert!(
        p.is_dir(),
        "{} is missing: the shared corpora must sit beside the repository",
        p.display()
    );
    p
}

/// A corpus file as text.
pub fn read(rel: &str) -> String {
    let p = corpora().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
