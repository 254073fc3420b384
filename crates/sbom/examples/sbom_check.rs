//! Reads SBOM files and prints what `uproot-sbom` makes of them: format,
//! counts and violations (`cargo run -p uproot-sbom --example sbom_check -- FILE…`).

use uproot_sbom::{read_file, Limits};

fn main() {
    let mut failed = false;
    for arg in std::env::args().skip(1) {
        match read_file(arg.as_ref(), &Limits::default()) {
            Ok(doc) => {
                println!(
                    "{arg}: {} {} subject={} components={} pedigree={} dependencies={} violations={}",
                    doc.format,
                    doc.spec_version,
                    doc.subject.as_ref().map_or("-".to_string(), |s| s.label()),
                    doc.components.len(),
                    doc.pedigree.len(),
                    doc.dependencies,
                    doc.violations.len()
                );
                for v in &doc.violations {
                    println!("  {v}");
                }
            }
            Err(e) => {
                failed = true;
                println!("{e}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
