//! `uproot plan` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(_args: &PlanArgs) -> Result<i32> {
    bail!("`uproot plan` is not implemented yet")
}
