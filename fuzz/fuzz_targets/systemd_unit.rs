//! systemd unit-file key/value reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::systemd::parse_unit;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_unit(&text);
});
