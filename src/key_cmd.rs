//! `uproot key` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot key`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(_args: &KeyArgs) -> Result<i32> {
    bail!("`uproot key` is not implemented yet")
}
