//! CA store files: PEM bundles and single DER X.509 certificates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::certs::parse_store_bytes;

fuzz_target!(|data: &[u8]| {
    let _ = parse_store_bytes(data, "/etc/ssl/certs/fuzz.pem");
});
