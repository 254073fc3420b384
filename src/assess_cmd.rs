//! `uproot assess`: the explainable risk assessment of a host.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{Args, ValueEnum};
use uproot_assess::{HostAssessment, Protection};
use uproot_report::Report;

/// Arguments of `uproot assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = AssessFormat::Table)]
    pub format: AssessFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AssessFormat {
    /// Human-readable: status, deadlines, and each finding with its factors.
    Table,
    /// The `uproot.risk/1` assessment object.
    Json,
}

/// Replacement protection as far as the report shows it: the evidence
/// crate's replacement check (Defender / Security Center on Windows,
/// XProtect on macOS, ClamAV or a known EDR service on Linux), as the
/// assessment's plain `Protection`.
pub fn protection(report: &Report) -> Protection {
    let r = uproot_evidence::replacement(report);
    Protection {
        protected: Some(r.protected),
        products: r
            .products
            .iter()
            .filter(|p| p.counts)
            .map(|p| p.name.clone())
            .collect(),
        reason: r.reason,
    }
}

pub fn run(args: &AssessArgs) -> Result<i32> {
    let mut report = crate::scan_cmd::target_report(&args.target)?;
    if report.assessment.is_none() {
        let catalog = crate::scan_cmd::load_catalog(&args.target.catalog)?;
        crate::scan_cmd::attach_assessment(&mut report, &catalog);
    }
    let a = report.assessment.as_ref().expect("attached above");
    match args.format {
        AssessFormat::Json => println!("{}", serde_json::to_string_pretty(a)?),
        AssessFormat::Table => print!("{}", table(&report, a)),
    }
    Ok(report.exit_code())
}

fn table(r: &Report, a: &HostAssessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "host {}: {} (severity {}, score {}; model {}, {})",
        r.host.hostname,
        a.status.as_str(),
        a.severity,
        a.score,
        a.model,
        a.date
    );
    let prot = match a.protection.protected {
        Some(true) => format!("yes: {}", a.protection.products.join(", ")),
        Some(false) => format!("NO ({})", a.protection.reason),
        None => format!("unknown ({})", a.protection.reason),
    };
    let _ = writeln!(out, "replacement protection: {prot}");
    if !a.deadlines.is_empty() {
        let _ = writeln!(out, "\ndeadlines:");
        for d in &a.deadlines {
            let mark = if d.passed { "PASSED" } else { "due   " };
            let _ = writeln!(
                out,
                "  {mark} {}  {:<20} {:<18} {}",
                d.due, d.authority, d.milestone, d.requires
            );
        }
    }
    for (f, fa) in r.findings.iter().zip(&a.findings) {
        let _ = writeln!(
            out,
            "\n{} (score {}) {} [{}]",
            fa.severity.to_uppercase(),
            fa.score,
            f.summary,
            f.vendor
        );
        for x in &fa.factors {
            let _ = writeln!(out, "  {:+4} {:<20} {}", x.points, x.id, x.why);
        }
    }
    out
}
