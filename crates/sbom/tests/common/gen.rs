//! A synthetic CycloneDX 1.5 JSON SBOM of any size, for the size and
//! throughput tests and the `gen_sbom` / `sbom_bench` examples.
//!
//! Shape: `metadata.component` is the product; top-level components each
//! nest `children` components; the product depends on every top-level
//! component, each top-level component on its children and on the next
//! top-level one (a long chain, so paths are deep). Every component has a
//! bom-ref, a purl, a supplier, a SHA-256 hash and an SPDX licence; one in
//! `COVERED_EVERY` is supplied by a covered vendor, so matching has
//! something to find.
#![allow(dead_code)]

use std::io::{self, Write};

/// One component in this many has a covered vendor as its supplier.
pub const COVERED_EVERY: usize = 1000;
pub const COVERED_SUPPLIER: &str = "Huawei Technologies Co., Ltd.";

/// Writes an SBOM of `n` components (metadata.component not counted), each
/// top-level one nesting `children`, with `pad` bytes of description each.
/// Returns the number of dependency edges written.
pub fn write_cyclonedx(
    w: &mut impl Write,
    n: usize,
    children: usize,
    pad: usize,
) -> io::Result<usize> {
    let description = "x".repeat(pad);
    writeln!(
        w,
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,"#
    )?;
    writeln!(
        w,
        r#""metadata":{{"timestamp":"2024-01-01T00:00:00Z","component":{{"type":"application","bom-ref":"product","name":"product","version":"1.0.0"}}}},"#
    )?;
    write!(w, r#""components":["#)?;
    let group = children + 1;
    let tops = n.div_ceil(group);
    let mut written = 0;
    for t in 0..tops {
        if t > 0 {
            write!(w, ",")?;
        }
        let kids = children.min(n - written - 1);
        component(w, written, &description)?;
        written += 1;
        write!(w, r#","components":["#)?;
        for k in 0..kids {
            if k > 0 {
                write!(w, ",")?;
            }
            component(w, written, &description)?;
            written += 1;
            write!(w, "}}")?;
        }
        write!(w, "]}}")?;
    }
    writeln!(w, "],")?;
    write!(w, r#""dependencies":[{{"ref":"product","dependsOn":["#)?;
    let mut edges = 0;
    let mut i = 0;
    let mut first = true;
    while i < n {
        if !first {
            write!(w, ",")?;
        }
        first = false;
        write!(w, r#""c{i}""#)?;
        edges += 1;
        i += group;
    }
    write!(w, "]}}")?;
    let mut top = 0;
    while top < n {
        let kids = children.min(n - top - 1);
        write!(w, r#",{{"ref":"c{top}","dependsOn":["#)?;
        for k in 1..=kids {
            if k > 1 {
                write!(w, ",")?;
            }
            write!(w, r#""c{}""#, top + k)?;
            edges += 1;
        }
        if top + group < n {
            if kids > 0 {
                write!(w, ",")?;
            }
            write!(w, r#""c{}""#, top + group)?;
            edges += 1;
        }
        write!(w, "]}}")?;
        top += group;
    }
    writeln!(w, "]}}")?;
    Ok(edges)
}

/// One component, left open so the caller can add nested components.
fn component(w: &mut impl Write, i: usize, description: &str) -> io::Result<()> {
    let supplier = if i % COVERED_EVERY == COVERED_EVERY - 1 {
        COVERED_SUPPLIER.to_string()
    } else {
        format!("Vendor {}", i % 97)
    };
    let (eco, ns) = match i % 3 {
        0 => ("maven", format!("com.example.g{}", i % 53)),
        1 => ("npm", format!("%40scope{}", i % 31)),
        _ => ("deb", "debian".to_string()),
    };
    write!(
        w,
        r#"{{"type":"library","bom-ref":"c{i}","supplier":{{"name":"{supplier}"}},"name":"lib{i}","version":"{}.{}.{}","purl":"pkg:{eco}/{ns}/lib{i}@{}.{}.{}","description":"{description}","hashes":[{{"alg":"SHA-256","content":"{:064x}"}}],"licenses":[{{"license":{{"id":"MIT"}}}}]"#,
        i % 7,
        i % 11,
        i % 13,
        i % 7,
        i % 11,
        i % 13,
        i
    )
}
