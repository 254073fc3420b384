//! nmap XML reader (uproot-net): never panics, and what it keeps is sane.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_net::nmap::parse_nmap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_nmap(&text, "scan.xml") {
        Ok(scan) => {
            for e in &scan.errors {
                assert_eq!(e.file, "scan.xml");
                assert!(e.line.is_some(), "unlocated error: {e}");
            }
            // Matching what was read must not panic either.
            let _ = uproot_net::match_devices(
                scan.hosts,
                &uproot_net::UseContext::default(),
                uproot_net::oui::Table::builtin(),
            );
        }
        Err(e) => assert_eq!(e.file, "scan.xml"),
    }
});
