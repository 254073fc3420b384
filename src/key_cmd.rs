//! `uproot key`: create (once) or show this host's evidence-signing key.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use uproot_evidence::keys;

/// Arguments of `uproot key`.
///
/// The key pair signs the evidence records `uproot verify` writes. It is
/// created once and never overwritten: `evidence-key.pem` (PKCS#8, mode 0600)
/// and `evidence-key.pub.pem` (give this, or the fingerprint, to the auditor).
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Key directory. Default: $UPROOT_HOME; else /var/lib/uproot when run as
    /// root; else $XDG_DATA_HOME/uproot or ~/.local/share/uproot.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Only show the existing key; never create one (exit 2 when there is none).
    #[arg(long)]
    pub show: bool,
}

/// The key directory from a flag, or the default.
pub fn key_dir(flag: Option<&PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(d) => Ok(d.clone()),
        None => keys::default_key_dir().context("cannot choose a key directory"),
    }
}

pub fn run(args: &KeyArgs) -> Result<i32> {
    let dir = key_dir(args.dir.as_ref())?;
    let (key, created) = if args.show {
        (keys::load(&dir)?, false)
    } else {
        keys::load_or_create(&dir)?
    };
    if created {
        println!("created a new evidence-signing key in {}", dir.display());
    } else if !args.show {
        println!("a key already exists in {}; left unchanged", dir.display());
    }
    println!(
        "private key:  {} (mode 0600; keep it on this host)",
        key.private_path().display()
    );
    println!("public key:   {}", key.public_path().display());
    println!("ed25519:      {}", key.public_hex());
    println!("fingerprint:  {}", key.fingerprint());
    println!();
    print!("{}", key.public_pem());
    Ok(0)
}
