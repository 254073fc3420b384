//! `uproot assess` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(args: &AssessArgs) -> Result<i32> {
    let _report = crate::scan_cmd::target_report(&args.target)?;
    bail!("`uproot assess` is not implemented yet")
}
