//! `uproot catalog keygen|pack|verify|update|diff`: signed catalog bundles.

use std::path::Path;

use anyhow::{Context, Result};
use uproot_bundle::{PackOptions, SecretKey, TrustedKeys};
use uproot_catalog::Catalog;

use crate::cli::{CatalogAction, CatalogOpt};

/// The keys bundles must be signed by: the built-in release key (unless
/// `--no-builtin-key`) plus `--trusted-key` files.
pub fn trusted_keys(opt: &CatalogOpt) -> Result<TrustedKeys> {
    let mut keys = if opt.no_builtin_key {
        TrustedKeys::empty()
    } else {
        TrustedKeys::builtin()
    };
    for f in &opt.trusted_keys {
        let more =
            TrustedKeys::from_file(f).with_context(|| format!("trusted key {}", f.display()))?;
        keys.extend(&more);
    }
    Ok(keys)
}

/// The installed bundle's catalog, verified again, if one newer than the
/// built-in catalog is installed. A bundle that no longer verifies is not
/// used, and the scan says so rather than silently falling back.
pub fn installed_catalog(opt: &CatalogOpt) -> Result<Option<Catalog>> {
    let keys = trusted_keys(opt)?;
    let dir = uproot_bundle::default_dir();
    match uproot_bundle::load_installed(&dir, &keys) {
        Ok(c) => Ok(c),
        Err(e) => {
            eprintln!(
                "uproot: warning: installed catalog bundle in {} is not used: {e}",
                dir.display()
            );
            Ok(None)
        }
    }
}

/// Runs a bundle action; `None` for the other catalog actions.
pub fn run(action: &CatalogAction, opt: &CatalogOpt) -> Result<Option<i32>> {
    match action {
        CatalogAction::Keygen {
            file,
            password_file,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let info = uproot_bundle::keygen_with(file, password.as_deref())?;
            println!(
                "key {}: secret {} (0600{}), public {}",
                info.key_id,
                info.secret_path.display(),
                if password.is_some() {
                    ", encrypted"
                } else {
                    ""
                },
                info.public_path.display()
            );
        }
        CatalogAction::Pack {
            dir,
            key,
            password_file,
            serial,
            previous,
            output,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let sk = SecretKey::load(key, password.as_deref())?;
            let previous = match previous {
                Some(p) => Some(uproot_bundle::verify(&read(p)?, &trusted_keys(opt)?)?.catalog),
                None => None,
            };
            let bytes = uproot_bundle::pack(
                dir,
                &sk,
                &PackOptions {
                    serial: *serial,
                    created: None,
                    previous,
                },
            )?;
            std::fs::write(output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            // `pack` has verified its own output against the key's public half.
            println!(
                "wrote {} ({} bytes); review it with `uproot catalog verify` or `catalog diff`",
                output.display(),
                bytes.len()
            );
        }
        CatalogAction::Verify { file } => {
            let v = uproot_bundle::verify(&read(file)?, &trusted_keys(opt)?)
                .with_context(|| format!("{}", file.display()))?;
            println!(
                "{}: valid, catalog {}, signed by key {} ({} files)",
                file.display(),
                v.version,
                v.key_id,
                v.manifest.files.len()
            );
            for w in &v.warnings {
                println!("warning: {w}");
            }
            print!("{}", v.manifest.changes.render());
        }
        CatalogAction::Update { file, state_dir } => {
            let dir = state_dir.clone().unwrap_or_else(uproot_bundle::default_dir);
            let installed = uproot_bundle::install(&read(file)?, &trusted_keys(opt)?, &dir)
                .with_context(|| format!("{}", file.display()))?;
            match &installed.previous {
                Some(p) => println!("catalog {} installed (was {p})", installed.version),
                None => println!("catalog {} installed", installed.version),
            }
            println!("in {}", installed.path.display());
        }
        CatalogAction::Diff { old, new } => {
            let keys = trusted_keys(opt)?;
            let (a, b) = (side(old, &keys)?, side(new, &keys)?);
            print!("{}", uproot_bundle::diff(&a, &b).render());
        }
        CatalogAction::OuiUpdate {
            ieee,
            output,
            allow_older,
        } => {
            let (table, summary) = uproot_net::update_table(ieee)?;
            // Dates are YYYY-MM-DD, so text order is date order.
            if table.registry_date.as_str() < uproot_net::REGISTRY_DATE && !allow_older {
                anyhow::bail!(
                    "{}: registry dated {} is older than the built-in one ({}); \
                     --allow-older to use it anyway",
                    ieee.display(),
                    table.registry_date,
                    uproot_net::REGISTRY_DATE
                );
            }
            let path = output.clone().unwrap_or_else(oui_table_path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let tmp = path.with_extension("tsv.tmp");
            std::fs::write(&tmp, table.to_tsv())
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "{}: covered-vendor prefixes from registry dated {}",
                path.display(),
                table.registry_date
            );
            for (vendor, by_registry) in &summary.vendor_counts {
                let n: usize = by_registry.values().sum();
                println!("  {vendor:?}: {n} blocks");
            }
            for e in &summary.errors {
                println!("warning: {e}");
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(0))
}

/// Where `catalog oui-update` writes the refreshed table, beside the
/// installed catalog bundle.
pub fn oui_table_path() -> std::path::PathBuf {
    let catalog = uproot_bundle::default_dir();
    catalog
        .parent()
        .unwrap_or(Path::new("."))
        .join("oui/covered-oui.tsv")
}

fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
}

/// A catalog directory, or a bundle (verified before it is compared).
fn side(p: &Path, keys: &TrustedKeys) -> Result<Catalog> {
    if p.is_dir() {
        Ok(uproot_bundle::load_dir(p)?)
    } else {
        Ok(uproot_bundle::verify(&read(p)?, keys)
            .with_context(|| format!("{}", p.display()))?
            .catalog)
    }
}

/// A password from the first line of `path`. A file rather than a flag or an
/// environment variable, so it never shows in `ps` or a shell history.
fn read_password(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read password file {}", path.display()))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        anyhow::bail!("password file {} is empty", path.display());
    }
    Ok(line.to_owned())
}
