//! Kernel-module file name → module name (one name per input line).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::kmod::module_name;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in std::iter::once(text.as_ref()).chain(text.lines().take(64)) {
        if let Some(m) = module_name(name) {
            assert!(!m.contains('-'), "{name:?} gave {m:?}");
        }
    }
});
