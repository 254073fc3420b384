//! A deterministic stand-in for the fuzz target (fuzz/fuzz_targets/sbom_parse.rs)
//! that runs with the tests: real corpus files with bytes flipped, ranges
//! cut, duplicated and spliced, and structural characters inserted. Every
//! result must be an error or a document whose paths end at their component.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::corpora;
use uproot_sbom::{parse, Limits};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "cyclonedx/specification/tools/src/test/resources/1.6/valid-bom-1.6.json",
    "cyclonedx/specification/tools/src/test/resources/1.6/valid-bom-1.6.xml",
    "cyclonedx/specification/tools/src/test/resources/1.7/valid-license-declared-concluded-mix-1.7.json",
    "cyclonedx/specification/tools/src/test/resources/1.5/valid-dependency-1.5.xml",
    "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml",
    "spdx/spdx-spec-2.3.1/SPDXJSONExample-v2.3.spdx.json",
    "spdx/spdx-spec-2.3.1/SPDXTagExample-v2.3.spdx",
];

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b"&#0;",
    b"<![CDATA[",
    b"<text>",
    b"</text>",
    b"\n",
    b"\\u0000",
    b"\xff",
    b"\"components\":[",
    b"<component>",
    b"\"bom-ref\":\"a\"",
    b"\"dependsOn\":[\"a\"]",
    b"Relationship: A DEPENDS_ON A\n",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len().max(1);
        match rng.below(6) {
            0 => {
                let i = rng.below(len);
                if i < b.len() {
                    b[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(len);
                b.truncate(i);
            }
            2 => {
                let (i, n) = (rng.below(len), rng.below(64));
                let end = (i + n).min(b.len());
                if i < end {
                    b.drain(i..end);
                }
            }
            3 => {
                let (i, n) = (rng.below(len), rng.below(256));
                let end = (i + n).min(b.len());
                if i < end {
                    let copy = b[i..end].to_vec();
                    let at = rng.below(b.len());
                    b.splice(at..at, copy);
                }
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(b.len() + 1).min(b.len());
                b.splice(at..at, t.iter().copied());
            }
        }
    }
    b
}

#[test]
fn mutated_corpus_files_never_panic() {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_components: 10_000,
        max_depth: 64,
    };
    let mut rng = Rng(0x5EED_5B0A);
    let (mut ok, mut err) = (0, 0);
    for seed in SEEDS {
        let input = std::fs::read(corpora().join(seed)).unwrap();
        for round in 0..250 {
            let bytes = mutate(&mut rng, &input);
            let result = catch_unwind(AssertUnwindSafe(|| parse(&bytes, "m", &limits)));
            let Ok(result) = result else {
                let keep = std::env::temp_dir().join(format!("sbom-panic-{round}.bin"));
                std::fs::write(&keep, &bytes).unwrap();
                panic!(
                    "{seed} round {round} panicked; input kept in {}",
                    keep.display()
                );
            };
            match result {
                Ok(doc) => {
                    ok += 1;
                    for c in doc
                        .subject
                        .iter()
                        .chain(&doc.components)
                        .chain(&doc.pedigree)
                    {
                        assert_eq!(c.path.last(), Some(&c.label()), "{seed} round {round}");
                        assert!(c.path.len() <= 16);
                    }
                }
                Err(e) => {
                    err += 1;
                    assert!(e.to_string().starts_with("m: "), "{e}");
                }
            }
        }
    }
    eprintln!("{ok} mutants read, {err} refused");
    assert!(
        ok > 100 && err > 100,
        "{ok} read, {err} refused: the mutations should produce both"
    );
}
