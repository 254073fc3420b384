//! PKCS#7 `SignedData` as Authenticode stores it (the body of a
//! `WIN_CERTIFICATE`): `deep::pe::parse_pkcs7_signed_data`, including nested
//! signatures.
#![no_main]

#[path = "../common/authenticode.rs"]
mod authenticode;

use libfuzzer_sys::fuzz_target;
use uproot_collect::deep::pe::parse_pkcs7_signed_data;

fuzz_target!(|data: &[u8]| {
    match parse_pkcs7_signed_data(data) {
        Ok(sig) => authenticode::check(&sig, data.len()),
        Err(e) => {
            if std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some() {
                eprintln!("{e}");
            }
        }
    }
});
