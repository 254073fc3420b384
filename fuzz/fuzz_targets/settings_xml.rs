//! Product settings files: `<Name>value</Name>` XML leaves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::settings::parse_xml_leaves;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_xml_leaves(&text);
});
