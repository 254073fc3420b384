//! BerkeleyDB hash `Packages`, read from memory.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use uproot_collect::rpm::{bdb, MAX_ERRORS};

fuzz_target!(|data: &[u8]| {
    let (blobs, errors) = bdb::read_blobs(Cursor::new(data));
    // Documented bounds: every page is read for at most one record, so the
    // records together are no larger than the file; the reader gives up after
    // MAX_ERRORS errors (plus the "giving up" one).
    let total: usize = blobs.iter().map(|b| b.data.len()).sum();
    assert!(total <= data.len(), "{total} blob bytes from a {}-byte file", data.len());
    assert!(errors.len() <= MAX_ERRORS + 1, "{} errors", errors.len());
});
