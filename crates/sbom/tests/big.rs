//! A 100 MiB SBOM made by the test: read within memory proportional to its
//! components, or refused cleanly, before reading, under a smaller limit.
//! One test in its own binary, so the process's peak RSS is this test's.

mod common;

use std::io::{BufWriter, Write};

use common::gen::{write_cyclonedx, COVERED_EVERY, COVERED_SUPPLIER};
use uproot_sbom::{read_file, Limits, SbomError};

/// Peak resident set size of this process, in bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

#[test]
fn a_100_mib_sbom_is_read_in_bounded_memory_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.cdx.json");
    let n = 200_000;
    let mut w = BufWriter::new(std::fs::File::create(&path).unwrap());
    let edges = write_cyclonedx(&mut w, n, 4, 200).unwrap();
    w.flush().unwrap();
    drop(w);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size >= 100 << 20, "generated {size} bytes");

    // Under a 64 MiB limit: refused from the file's size, nothing read.
    let small = Limits {
        max_bytes: 64 << 20,
        ..Limits::default()
    };
    let before = peak_rss();
    let e = read_file(&path, &small).unwrap_err();
    assert!(
        matches!(e, SbomError::TooLarge { size: s, limit, .. } if s == size && limit == 64 << 20),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("is over the SBOM size limit of 67108864 bytes"),
        "{e}"
    );
    assert!(peak_rss() - before < 16 << 20, "refusing read the file");

    // Under the default 256 MiB limit: read whole.
    let doc = read_file(&path, &Limits::default()).unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert_eq!(doc.components.len(), n);
    assert_eq!(doc.dependencies, edges);
    assert!(
        doc.violations.is_empty(),
        "{:?}",
        &doc.violations[..doc.violations.len().min(5)]
    );
    let covered: Vec<_> = doc
        .components
        .iter()
        .filter(|c| c.supplier.as_deref() == Some(COVERED_SUPPLIER))
        .collect();
    assert_eq!(covered.len(), n / COVERED_EVERY);
    for c in &covered {
        assert_eq!(c.path.first().map(String::as_str), Some("product@1.0.0"));
        assert_eq!(c.path.last(), Some(&c.label()));
    }
    // The bytes (held while parsing), then ~1–2 KiB per component for its
    // record and its path of up to 16 labels; never several copies of the
    // document.
    let per_component = grown.saturating_sub(size) / n as u64;
    eprintln!("{size} bytes, {n} components: peak RSS grew {} MiB ({per_component} B/component past the bytes)", grown >> 20);
    assert!(
        grown < size + n as u64 * 3072,
        "peak RSS grew {grown} bytes for a {size}-byte SBOM"
    );
}
