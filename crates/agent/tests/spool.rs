//! The spool on its own: naming, compression, order and bounds.
#![cfg(unix)]

mod common;

use std::io::Read;

use uproot_agent::{report_id_of_bytes, Spool, SpoolLimits};

fn open(
    dir: &std::path::Path,
    limits: SpoolLimits,
) -> (Spool, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let (log, lines) = common::capture_log();
    (Spool::open(dir, limits, log).unwrap(), lines)
}

#[test]
fn report_ids_are_sha256_of_the_uncompressed_json() {
    // Known answer: SHA-256("abc"), the same digest uproot_fleet::report_id_of_bytes uses.
    assert_eq!(
        report_id_of_bytes(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_report_is_named_by_its_id_and_stored_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = open(dir.path(), SpoolLimits::default());
    let json = common::fake_report(1);
    let pushed = spool.push(&json).unwrap();
    let hex = pushed.id.strip_prefix("sha256:").unwrap();
    assert_eq!(pushed.path, dir.path().join(format!("{hex}.json.gz")));
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&pushed.path).unwrap())
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, json);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&pushed.path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // Spooling the same report again changes nothing.
    let again = spool.push(&json).unwrap();
    assert!(again.already);
    assert_eq!(spool.entries().unwrap().len(), 1);
}

#[test]
fn entries_come_oldest_first_even_when_spooled_in_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = open(dir.path(), SpoolLimits::default());
    let ids: Vec<String> = (0..50)
        .map(|n| spool.push(&common::fake_report(n)).unwrap().id)
        .collect();
    let listed: Vec<String> = spool.entries().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(listed, ids);
    // And a reopened spool (after a restart) sees the same order.
    let (again, _) = open(dir.path(), SpoolLimits::default());
    let listed: Vec<String> = again.entries().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(listed, ids);
}

#[test]
fn over_the_file_bound_the_oldest_are_dropped_with_a_loud_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let limits = SpoolLimits {
        max_files: 3,
        max_bytes: u64::MAX,
    };
    let (spool, lines) = open(dir.path(), limits);
    let ids: Vec<String> = (0..5)
        .map(|n| spool.push(&common::fake_report(n)).unwrap().id)
        .collect();
    let kept: Vec<String> = spool.entries().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(kept, ids[2..]);
    let lines = lines.lock().unwrap();
    let drops: Vec<&String> = lines.iter().filter(|l| l.contains("DROPPED")).collect();
    assert_eq!(drops.len(), 2, "{lines:?}");
    assert!(
        drops[0].contains(&ids[0]) && drops[1].contains(&ids[1]),
        "{drops:?}"
    );
    assert!(drops[0].contains("at most 3 reports"), "{}", drops[0]);
}

#[test]
fn over_the_byte_bound_the_oldest_are_dropped_but_never_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let (probe, _) = open(&dir.path().join("probe"), SpoolLimits::default());
    let one = probe.push(&common::fake_report(0)).unwrap();
    let size = std::fs::metadata(&one.path).unwrap().len();
    let limits = SpoolLimits {
        max_files: 100,
        max_bytes: size * 2 + size / 2,
    };
    let (spool, lines) = open(&dir.path().join("s"), limits);
    let ids: Vec<String> = (0..4)
        .map(|n| spool.push(&common::fake_report(n)).unwrap().id)
        .collect();
    let kept: Vec<String> = spool.entries().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(kept, ids[2..]);
    assert_eq!(
        lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("DROPPED"))
            .count(),
        2
    );
    // A single report bigger than the bound is kept: dropping it would lose the newest scan.
    let tiny = SpoolLimits {
        max_files: 10,
        max_bytes: 1,
    };
    let (small, _) = open(&dir.path().join("t"), tiny);
    small.push(&common::fake_report(9)).unwrap();
    assert_eq!(small.entries().unwrap().len(), 1);
}

#[test]
fn temp_files_from_a_crash_are_cleaned_and_never_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = open(dir.path(), SpoolLimits::default());
    spool.push(&common::fake_report(1)).unwrap();
    let torn = dir
        .path()
        .join(format!(".{}.json.gz.tmp-999", "a".repeat(64)));
    std::fs::write(&torn, b"half a gzip").unwrap();
    std::fs::write(dir.path().join("README"), b"not a report").unwrap();
    assert_eq!(spool.entries().unwrap().len(), 1);
    let (_reopened, _) = open(dir.path(), SpoolLimits::default());
    assert!(!torn.exists());
}
