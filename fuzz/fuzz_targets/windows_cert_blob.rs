//! Registry certificate `Blob` values: `windows::certs::blob_properties`,
//! `parse_cert_blob` (then the DER through `certs::certificate`, as
//! `read_store` does) and `friendly_name`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::certs::certificate;
use uproot_collect::windows::certs::{blob_properties, friendly_name, parse_cert_blob};

/// `certs::MAX_PROPERTIES` (private).
const MAX_PROPERTIES: usize = 256;

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(props) = blob_properties(data) {
        assert!(props.len() <= MAX_PROPERTIES, "{} properties", props.len());
        // Each property is a 12-byte header and its bytes, in the blob, in order.
        let used: usize = props.iter().map(|(_, b)| 12 + b.len()).sum();
        assert!(
            used <= data.len(),
            "{used} bytes of properties in {}",
            data.len()
        );
        assert!(props.iter().all(|(_, b)| inside(data, b)));
    }
    if let Ok(der) = parse_cert_blob(data) {
        assert!(der.len() <= data.len());
        let cert = certificate(
            &der,
            "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\fuzz",
        );
        if std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some() {
            eprintln!("{:?}", cert.map(|c| c.subject));
        }
    }
    if let Some(name) = friendly_name(data) {
        // UTF-16 units become at most 3 UTF-8 bytes each.
        assert!(
            name.len() <= data.len() / 2 * 3,
            "{} bytes of name",
            name.len()
        );
    }
});
