//! Product settings files: `key=value` / ini.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::settings::parse_ini;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (k, _v) in parse_ini(&text) {
        assert!(!k.is_empty());
    }
});
