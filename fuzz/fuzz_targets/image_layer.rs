//! Container image reader: arbitrary bytes as a docker save archive, or as
//! one layer blob inside a well-formed one (see `testimage::fuzz_image`).
//! Needs `uproot-image = { path = "../crates/image", features = ["test-support"] }`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _opened = uproot_image::testimage::fuzz_image(data);
});
