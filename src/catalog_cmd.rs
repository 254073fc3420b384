//! `uproot catalog list|show|lint|keygen|pack|verify|update|diff`.

use anyhow::{bail, Result};
use uproot_catalog::{Catalog, Level};

use crate::cli::{CatalogAction, CatalogArgs};
use crate::scan_cmd::load_catalog;

pub fn run(args: &CatalogArgs) -> Result<i32> {
    if let Some(code) = crate::bundle_cmd::run(&args.action, &args.catalog)? {
        return Ok(code);
    }
    let catalog = load_catalog(&args.catalog)?;
    match &args.action {
        CatalogAction::List => list(&catalog),
        CatalogAction::Show { id } => show(&catalog, id)?,
        CatalogAction::Lint => return Ok(lint(&catalog)),
        _ => unreachable!("bundle actions are handled above"),
    }
    Ok(0)
}

fn list(c: &Catalog) {
    println!("catalog {}", c.version());
    println!(
        "{:<14} {:<48} {:>8} {:>10}  authorities",
        "vendor", "name", "products", "indicators"
    );
    for v in &c.vendors {
        let auth: Vec<&str> = v.authorities.iter().map(|a| a.id.as_str()).collect();
        println!(
            "{:<14} {:<48} {:>8} {:>10}  {}",
            v.id,
            v.name,
            v.products.len(),
            v.indicators.len(),
            auth.join(", ")
        );
    }
    println!("\nauthorities:");
    for a in &c.authorities {
        println!("  {:<20} {}  {}", a.id, a.issued, a.title);
    }
}

fn show(c: &Catalog, id: &str) -> Result<()> {
    if let Some(v) = c.vendor(id) {
        println!("{}", toml_of(v)?);
    } else if let Some((v, i)) = c.indicator(id) {
        println!(
            "# vendor {} ({}), loaded from {}",
            v.id,
            v.name,
            c.origin(id)
        );
        println!("{}", toml_of(i)?);
    } else if let Some(a) = c.authority(id) {
        println!("{}", toml_of(a)?);
    } else if let Some((vid, pid)) = id.split_once('/') {
        let Some(v) = c.vendor(vid) else {
            bail!("no vendor `{vid}`")
        };
        let Some(p) = v.products.iter().find(|p| p.id == pid) else {
            bail!("vendor `{vid}` has no product `{pid}`")
        };
        println!("{}", toml_of(p)?);
        for i in v.indicators.iter().filter(|i| i.product == pid) {
            println!("# indicator {}\n{}", i.id, toml_of(i)?);
        }
    } else {
        bail!(
            "no vendor, product, indicator or authority with id `{id}` (try `uproot catalog list`)"
        );
    }
    Ok(())
}

fn toml_of<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(toml::to_string_pretty(v)?)
}

fn lint(c: &Catalog) -> i32 {
    let diags = c.lint();
    for d in &diags {
        println!("{d}");
    }
    let errors = diags.iter().filter(|d| d.level == Level::Error).count();
    let indicators: usize = c.vendors.iter().map(|v| v.indicators.len()).sum();
    println!(
        "{} vendors, {indicators} indicators: {errors} error(s), {} warning(s)",
        c.vendors.len(),
        diags.len() - errors
    );
    i32::from(errors > 0)
}
