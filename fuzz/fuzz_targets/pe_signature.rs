//! Authenticode signatures of PE images: `deep::pe::read_pe_signature` with the
//! sweep's default limit (headers, the security directory, the certificate
//! table, PKCS#7 and the certificates in it).
#![no_main]

#[path = "../common/authenticode.rs"]
mod authenticode;

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use uproot_collect::deep::pe::{read_pe_signature, DEFAULT_MAX_SIGNATURE_BYTES};

fuzz_target!(|data: &[u8]| {
    match read_pe_signature(&mut Cursor::new(data), DEFAULT_MAX_SIGNATURE_BYTES) {
        Ok(Some(sig)) => authenticode::check(&sig, data.len()),
        other => {
            if std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some() {
                eprintln!("{other:?}");
            }
        }
    }
});
