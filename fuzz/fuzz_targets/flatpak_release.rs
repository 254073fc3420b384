//! flatpak AppStream metadata: version of the first `<release>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::flatpak::release_version;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = release_version(&text);
});
