//! Shared helpers for the SBOM tests.
#![allow(dead_code)]

pub mod gen;

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

/// Rows of an `EXPECTED_summary_python.txt` (`|`-separated, `#` header skipped).
pub fn expected(rel: &str) -> Vec<Vec<String>> {
    let p = corpora().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// Files in a directory whose names start with `prefix`, sorted.
pub fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    out.sort();
    out
}

/// The CycloneDX specification's test vectors for one version.
pub fn cdx_vectors(version: &str) -> PathBuf {
    corpora()
        .join("cyclonedx/specification/tools/src/test/resources")
        .join(version)
}
