//! `uproot`: find, assess and remove covered-vendor software.
//!
//! This binary is flags and glue only; the work happens in the library
//! crates, in data-flow order: `uproot-collect` → `uproot-inventory` →
//! `uproot-matcher` (with `uproot-catalog`) → `uproot-report`.

mod agent_cmd;
mod assess_cmd;
mod bundle_cmd;
mod catalog_cmd;
mod cli;
mod evidence_cmd;
mod image_scan;
mod key_cmd;
mod net_cmd;
mod plan_cmd;
mod remove_cmd;
mod sbom_cmd;
mod scan_cmd;
mod serve_cmd;
mod verify_cmd;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli.command {
        cli::Command::Scan(args) => scan_cmd::run(&args),
        cli::Command::Sbom(args) => sbom_cmd::run(&args),
        cli::Command::Net(args) => net_cmd::run(&args),
        cli::Command::Catalog(args) => catalog_cmd::run(&args),
        cli::Command::Assess(args) => assess_cmd::run(&args),
        cli::Command::Plan(args) => plan_cmd::run(&args),
        cli::Command::Remove(args) => remove_cmd::run(&args),
        cli::Command::Verify(args) => verify_cmd::run(&args),
        cli::Command::Key(args) => key_cmd::run(&args),
        cli::Command::Evidence(args) => evidence_cmd::run(&args),
        cli::Command::Serve(args) => serve_cmd::run(&args),
        cli::Command::Agent(args) => agent_cmd::run(&args),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("uproot: error: {e:#}");
            std::process::exit(2);
        }
    }
}
