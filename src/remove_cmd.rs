//! `uproot remove` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(_args: &RemoveArgs) -> Result<i32> {
    bail!("`uproot remove` is not implemented yet")
}
