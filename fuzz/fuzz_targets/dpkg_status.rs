//! dpkg `status` / distroless `status.d` parser, with both `status_optional` values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::dpkg::parse_status;

fuzz_target!(|data: &[u8]| {
    // The collector reads files with lossy UTF-8 decoding; do the same.
    let text = String::from_utf8_lossy(data);
    for status_optional in [false, true] {
        let (pkgs, _errors) = parse_status(&text, "/var/lib/dpkg/status", status_optional);
        for p in &pkgs {
            assert!(!p.name.is_empty(), "package with an empty name: {p:?}");
        }
    }
});
