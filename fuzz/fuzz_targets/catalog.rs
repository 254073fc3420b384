//! Catalog TOML loader, lint and compiler.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_catalog::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut c = Catalog::default();
    if c.merge_str("fuzz.toml", text).is_ok() {
        let _ = c.lint();
        let _ = c.compile();
        let _ = c.version();
        let _ = c.probe_paths();
        let _ = c.setting_files();
    }
});
