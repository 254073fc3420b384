//! `uproot sbom`: SBOM files → components → matcher → report.
//!
//! The SBOM is evidence like a package database: each component becomes an
//! [`SbomComponent`](uproot_inventory::SbomComponent) record and the catalog
//! decides. Schema violations do not stop the match (a covered component in a
//! sloppy SBOM is still covered); they are reported as located errors, so the
//! exit code says 2 when an SBOM was invalid and nothing was found.

use anyhow::Result;
use uproot_inventory::{Host, Inventory, SourceError};
use uproot_report::Report;

use crate::cli::SbomArgs;
use crate::scan_cmd::{load_catalog, report_of, write_text};

/// Violations listed per file before the rest are counted.
const MAX_VIOLATIONS_SHOWN: usize = 50;

pub fn run(args: &SbomArgs) -> Result<i32> {
    let report = scan(args)?;
    write_text(&args.output, args.format, args.color, &report)?;
    Ok(report.exit_code())
}

fn scan(args: &SbomArgs) -> Result<Report> {
    let catalog = load_catalog(&args.catalog)?;
    let limits = uproot_sbom::Limits {
        max_bytes: args.max_bytes,
        ..uproot_sbom::Limits::default()
    };
    let mut inventory = Inventory::default();
    let mut errors = Vec::new();
    let mut subjects = Vec::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let doc = match uproot_sbom::read_file(path, &limits) {
            Ok(d) => d,
            Err(e) => {
                errors.push(SourceError::new(&shown, e.to_string()));
                continue;
            }
        };
        if !args.no_validate {
            errors.extend(violations(&shown, &doc));
        }
        if let Some(s) = &doc.subject {
            subjects.push(s.label());
        }
        inventory.sbom_components.extend(doc.subject);
        inventory.sbom_components.extend(doc.components);
        // A pedigree names what a component was forked or patched from:
        // covered code there is still in the product.
        inventory.sbom_components.extend(doc.pedigree);
    }
    let host = Host {
        hostname: if subjects.is_empty() {
            "sbom".into()
        } else {
            subjects.join(", ")
        },
        os: "sbom".into(),
        root: args
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        live: false,
        ..Host::default()
    };
    report_of(&catalog, catalog.version(), host, inventory, errors)
}

fn violations(shown: &str, doc: &uproot_sbom::Document) -> Vec<SourceError> {
    let mut out: Vec<SourceError> = doc
        .violations
        .iter()
        .take(MAX_VIOLATIONS_SHOWN)
        .map(|v| {
            SourceError::new(
                shown,
                format!(
                    "{} {}: {}: {}",
                    doc.format.as_str(),
                    doc.spec_version,
                    v.pointer,
                    v.message
                ),
            )
        })
        .collect();
    if doc.violations.len() > MAX_VIOLATIONS_SHOWN {
        out.push(SourceError::new(
            shown,
            format!(
                "and {} more schema violations",
                doc.violations.len() - MAX_VIOLATIONS_SHOWN
            ),
        ));
    }
    out
}
