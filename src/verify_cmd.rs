//! `uproot verify` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(_args: &VerifyArgs) -> Result<i32> {
    bail!("`uproot verify` is not implemented yet")
}
