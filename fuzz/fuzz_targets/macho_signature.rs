//! Mach-O code signatures (thin and fat): `macos::macho::read_signature`.
//!
//! Checks that `is_macho` on the first 8 bytes (how the deep sweep picks
//! files) agrees with what `read_signature` calls a Mach-O, and the bounds on
//! the strings returned.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use uproot_collect::macos::macho::{is_macho, read_signature, MachoError, MAX_STRING};

fuzz_target!(|data: &[u8]| {
    let result = read_signature(&mut Cursor::new(data));
    if std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some() {
        eprintln!("{result:?}");
    }
    let sniffed = is_macho(&data[..data.len().min(8)]);
    assert_eq!(
        sniffed,
        !matches!(result, Err(MachoError::NotMacho)),
        "is_macho says {sniffed}, read_signature says {result:?}"
    );
    if let Ok(Some(sig)) = &result {
        for s in [&sig.identifier, &sig.team_id].into_iter().flatten() {
            assert!(!s.is_empty(), "empty string returned as Some");
            // At most MAX_STRING bytes, each invalid one shown as U+FFFD (3 bytes).
            assert!(s.len() <= 3 * MAX_STRING, "{}-byte string", s.len());
            assert!(!s.contains('\0'));
        }
    }
});
