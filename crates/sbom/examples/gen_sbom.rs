//! Writes a synthetic CycloneDX 1.5 JSON SBOM with nesting and dependencies:
//! `cargo run -p uproot-sbom --example gen_sbom -- OUT.json [COMPONENTS] [PAD]`
//! (default 100,000 components; PAD bytes of description each, default 0).

#[path = "../tests/common/gen.rs"]
mod gen;

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: gen_sbom OUT.json [COMPONENTS] [PAD]");
        std::process::exit(2);
    };
    let n: usize = args
        .next()
        .map_or(100_000, |s| s.parse().expect("COMPONENTS is a number"));
    let pad: usize = args
        .next()
        .map_or(0, |s| s.parse().expect("PAD is a number"));
    let mut w = BufWriter::new(std::fs::File::create(&out)?);
    let edges = gen::write_cyclonedx(&mut w, n, 4, pad)?;
    w.flush()?;
    let size = std::fs::metadata(&out)?.len();
    println!("{out}: {n} components, {edges} dependency edges, {size} bytes");
    Ok(())
}
