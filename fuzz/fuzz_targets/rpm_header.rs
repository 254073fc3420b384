//! rpm header blob (as stored in every rpm database backend).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::rpm::parse_header;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = parse_header(data) {
        // Exercise the derived fields the collector uses.
        let _ = h.evr();
        let _ = h.vendor_or_packager();
    }
});
