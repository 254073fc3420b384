//! `uproot`: find, assess and remove covered-vendor software.
//!
//! This binary is flags and glue only; the work happens in the library
//! crates, in data-flow order: `uproot-collect` → `uproot-inventory` →
//! `uproot-matcher` (with `uproot-catalog`) → `uproot-report`.

mod catalog_cmd;
mod cli;
mod scan_cmd;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli.command {
        cli::Command::Scan(args) => scan_cmd::run(&args),
        cli::Command::Catalog(args) => catalog_cmd::run(&args),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("uproot: error: {e:#}");
            std::process::exit(2);
        }
    }
}
