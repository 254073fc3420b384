//! Throughput of the CycloneDX JSON reader on a generated SBOM (100k
//! components by default), next to serde_json's own floors and to
//! `cyclonedx-bom` 0.8 (a dev-dependency) reading the same bytes:
//! `cargo run --release -p uproot-sbom --example sbom_bench [-- COMPONENTS]`.
//! `SBOM_BENCH=ours` or `SBOM_BENCH=cyclonedx-bom` runs that reader once
//! and nothing else, for comparing peak memory with `/usr/bin/time -v`.

#[path = "../tests/common/gen.rs"]
mod gen;

use std::time::Instant;

use uproot_sbom::{parse, Limits};

/// Best of `runs`, in seconds.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |s| s.parse().expect("a number"));
    let only = std::env::var("SBOM_BENCH").ok();
    let runs = if only.is_some() { 1 } else { 5 };
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);

    let mut json = Vec::new();
    let edges = gen::write_cyclonedx(&mut json, n, 4, 0).expect("writing to memory");
    let mb = json.len() as f64 / 1e6;
    println!("CycloneDX 1.5 JSON: {n} components, {edges} dependency edges, {mb:.1} MB");
    if cfg!(debug_assertions) {
        println!("(a debug build: run with --release for real figures)");
    }
    let show = |what: &str, secs: f64| {
        println!(
            "{what:<14} {:>8.1} ms  {:>10.0} components/s  {:>6.0} MB/s",
            secs * 1e3,
            n as f64 / secs,
            mb / secs
        );
    };

    if only.is_none() {
        // Floors: serde_json skipping everything, and building a Value of it all.
        let (secs, _) = best(runs, || {
            serde_json::from_slice::<serde::de::IgnoredAny>(&json).expect("valid JSON")
        });
        show("serde skip:", secs);
        let (secs, _) = best(runs, || {
            serde_json::from_slice::<serde_json::Value>(&json).expect("valid JSON")
        });
        show("serde Value:", secs);
    }
    if wanted("ours") {
        let limits = Limits::default();
        let (secs, doc) = best(runs, || {
            parse(&json, "bench.json", &limits).expect("the generated SBOM parses")
        });
        assert_eq!(doc.components.len(), n);
        assert_eq!(doc.dependencies, edges);
        assert!(doc.violations.is_empty());
        show("uproot-sbom:", secs);
    }
    if wanted("cyclonedx-bom") {
        let (secs, bom) = best(runs.min(3), || {
            cyclonedx_bom::models::bom::Bom::parse_from_json(&json[..])
                .expect("cyclonedx-bom reads 1.5")
        });
        let count = bom.components.as_ref().map_or(0, |c| {
            c.0.iter()
                .map(|t| 1 + t.components.as_ref().map_or(0, |k| k.0.len()))
                .sum::<usize>()
        });
        assert_eq!(count, n);
        show("cyclonedx-bom:", secs);
    }
}
