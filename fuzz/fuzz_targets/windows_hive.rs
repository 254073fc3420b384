//! Whole registry hives: `windows::hive::read_hive_bytes`, i.e. the byte
//! guard, notatin, and a bounded walk of every key and value.
//!
//! Panics that `hive.rs` catches around notatin (the hive is then reported
//! unreadable) are logged, not crashes; see `common/panics.rs`. Stack
//! overflows, hangs and panics that escape are crashes.
#![no_main]

#[path = "../common/panics.rs"]
mod panics;
#[path = "../common/peak.rs"]
mod peak;

use libfuzzer_sys::fuzz_target;
use uproot_collect::windows::hive::{read_hive_bytes, HiveError, SUMMARY_MAX_KEYS};

#[global_allocator]
static ALLOC: peak::Peak = peak::Peak;

/// `hive::MAX_PROBLEMS` (private) problems, plus the "… and N more" line.
const MAX_PROBLEMS_SHOWN: usize = 16 + 1;

/// "Without allocating more than a small multiple of the input": the guard
/// lets values claim the file size plus 1 MiB of data in all, and notatin,
/// the walk and the decoded copies each hold some of it at once. (Real hives
/// of 8 KiB to 11 MiB peak at 2.0 to 3.8 times their size.)
fn heap_bound(len: usize) -> usize {
    16 * len + (32 << 20)
}

fuzz_target!(init: panics::install(), |data: &[u8]| {
    panics::run(|| {
        let (result, peak) = peak::measure(|| read_hive_bytes(data));
        peak::report("read_hive_bytes", data.len(), peak);
        assert!(
            peak <= heap_bound(data.len()),
            "read_hive_bytes allocated {peak} bytes at once for a {}-byte hive",
            data.len()
        );
        match result {
            Ok(sum) => {
                assert!(sum.keys <= SUMMARY_MAX_KEYS, "{} keys", sum.keys);
                // The guard leaves every key one parent, so the walk meets each
                // key cell (8-byte aligned, distinct) once: more visits than
                // aligned offsets means a key was reached twice (a cycle).
                assert!(
                    sum.keys <= data.len() / 8 + 1,
                    "{} keys visited in a {}-byte hive: a key has two parents",
                    sum.keys,
                    data.len()
                );
                assert!(sum.problems.len() <= MAX_PROBLEMS_SHOWN, "{:?}", sum.problems);
                if peak::verbose() {
                    eprintln!(
                        "  {} keys, {} values, truncated {}, {} problem(s)",
                        sum.keys,
                        sum.values,
                        sum.truncated,
                        sum.problems.len()
                    );
                }
            }
            Err(HiveError::Panicked) => panics::note_caught("hive.rs (notatin under catch_unwind)"),
            Err(e) => {
                if peak::verbose() {
                    eprintln!("  {e}");
                }
            }
        }
    });
});
