//! The whole rpm pipeline from bytes: format sniffing, BerkeleyDB/ndb, headers.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use uproot_collect::rpm::read_headers;

fuzz_target!(|data: &[u8]| {
    let (headers, _errors) = read_headers(Cursor::new(data));
    for h in &headers {
        let _ = h.evr();
    }
});
