//! `uproot evidence` (being written).

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `uproot evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

pub fn run(_args: &EvidenceArgs) -> Result<i32> {
    bail!("`uproot evidence` is not implemented yet")
}
