//! SBOM reader on arbitrary bytes: every format, detected from the content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_sbom::{parse, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_components: 10_000,
        max_depth: 64,
    };
    if let Ok(doc) = parse(data, "fuzz", &limits) {
        let all = doc
            .subject
            .iter()
            .chain(&doc.components)
            .chain(&doc.pedigree);
        for c in all {
            assert_eq!(c.location, "fuzz");
            assert!(
                !c.path.is_empty() && c.path.len() <= 16,
                "path {:?}",
                c.path
            );
            assert_eq!(
                c.path.last(),
                Some(&c.label()),
                "a path ends at its component"
            );
        }
        assert!(doc.subject.iter().count() + doc.components.len() + doc.pedigree.len() <= 10_000);
    }
});
