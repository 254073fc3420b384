//! snap `meta/snap.yaml` top-level name/version reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::snap::parse_snap_yaml;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((name, version)) = parse_snap_yaml(&text) {
        assert!(!name.is_empty() && !version.is_empty());
    }
});
