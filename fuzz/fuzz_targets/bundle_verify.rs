//! Catalog bundle verification on hostile bytes: every input is an error or
//! a verified bundle, never a panic. Without the secret key a fuzzer cannot
//! get past the signature, so the bytes are also checked as an already
//! trusted-by-nobody bundle and with the built-in key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_bundle::{verify, TrustedKeys};

fuzz_target!(|data: &[u8]| {
    for keys in [TrustedKeys::builtin(), TrustedKeys::empty()] {
        if let Ok(b) = verify(data, &keys) {
            assert!(!b.manifest.files.is_empty());
        }
    }
    // Public-key parsing sees administrator files.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TrustedKeys::empty().add_text(text);
    }
});
