//! apk `lib/apk/db/installed` parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::apk::parse_installed;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_installed(&text, "/lib/apk/db/installed");
});
