//! `uproot net`: network evidence → devices with covered-vendor OUIs →
//! matcher (the catalog's `mac-oui` rules) → report.
//!
//! `uproot-net` reads the inputs and looks each MAC up in the built-in IEEE
//! table; the catalog then decides, as for every other kind of evidence, so
//! findings carry the vendor's authorities, condition and action.

use anyhow::{Context, Result};
use uproot_inventory::{Host, Inventory, NetworkDevice, SourceError};
use uproot_report::Report;

use crate::cli::NetArgs;
use crate::scan_cmd::{load_catalog, report_of, write_text};

pub fn run(args: &NetArgs) -> Result<i32> {
    let report = scan(args)?;
    write_text(&args.output, args.format, args.color, &report)?;
    let code = report.exit_code();
    // The process ends right after this: freeing a report of 100,000s of
    // devices one allocation at a time took ~10% of a million-row run.
    std::mem::forget(report);
    Ok(code)
}

fn scan(args: &NetArgs) -> Result<Report> {
    let catalog = load_catalog(&args.catalog)?;
    let ctx = match &args.context {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            uproot_net::UseContext::from_toml(&text, &p.display().to_string())?
        }
        None => uproot_net::UseContext::default(),
    };
    let csv_mapping = match &args.csv_map {
        Some(m) => {
            uproot_net::CsvMapping::parse(m).map_err(|e| anyhow::anyhow!("--csv-map {m:?}: {e}"))?
        }
        None => uproot_net::CsvMapping::default(),
    };
    let inputs = uproot_net::NetInputs {
        nmap: args.nmap.clone(),
        csv: args.csv.clone(),
        csv_mapping,
        dhcp_leases: args.dhcp_leases.clone(),
        live_neighbors: args.neighbors,
        neighbor_sources: Vec::new(),
        table: refreshed_table()?,
        // Only findings, unknowables and errors go into the report: the
        // records themselves need not be kept (a million-row CSV: ~600 MB).
        discard_devices: true,
    };
    let net = uproot_net::scan(&inputs, &ctx);
    let mut inventory = Inventory::default();
    inventory
        .network_devices
        .extend(net.findings.iter().map(device));
    let errors: Vec<SourceError> = net
        .errors
        .iter()
        .map(|e| SourceError::new(&e.file, e.to_string()))
        .collect();
    // Randomised and multicast addresses say nothing about a vendor: listed
    // in the inventory, so an auditor sees they were not silently dropped,
    // but with no organisation no rule can match them.
    inventory
        .network_devices
        .extend(net.unknowable.iter().map(|u| NetworkDevice {
            mac: u.mac.to_string(),
            coverage: format!("unknowable ({} address)", label(&u.class)),
            location: locations(&u.sources),
            ..NetworkDevice::default()
        }));
    let host = Host {
        hostname: "network".into(),
        os: "network".into(),
        root: inputs_label(args),
        live: args.neighbors,
        ..Host::default()
    };
    let version = format!(
        "{} (IEEE registry {})",
        catalog.version(),
        net.registry_date
    );
    // Everything the report needs is copied out: freed now, the matched
    // records do not add to the catalog match's peak.
    drop(net);
    report_of(&catalog, version, host, inventory, errors)
}

/// The table `uproot catalog oui-update` wrote, if any.
fn refreshed_table() -> Result<Option<uproot_net::oui::Table>> {
    let path = crate::bundle_cmd::oui_table_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(uproot_net::oui::Table::from_tsv(
            &text,
            &path.display().to_string(),
        )?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn label<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn device(f: &uproot_net::NetFinding) -> NetworkDevice {
    NetworkDevice {
        mac: f.mac.to_string(),
        organization: f.organization.clone(),
        prefix: f.prefix.clone(),
        ips: f.ips.iter().map(ToString::to_string).collect(),
        hostnames: f.hostnames.clone(),
        coverage: label(&f.coverage),
        use_tag: f
            .use_match
            .as_ref()
            .map(|m| format!("{}: {}", m.from, label(&m.tag))),
        corroboration: f.corroboration.clone(),
        location: locations(&f.sources),
    }
}

fn locations(sources: &[uproot_net::Source]) -> String {
    let mut out = sources
        .iter()
        .map(|s| match s.line {
            Some(l) => format!("{}:{l}", s.file),
            None => s.file.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    // A MAC read out of a DHCPv6 DUID may be another interface's: the
    // auditor sees where it came from (once, however many leases say so).
    let mut notes: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.mac_from.as_deref())
        .collect();
    notes.sort_unstable();
    notes.dedup();
    if !notes.is_empty() {
        out = format!("{out} (MAC from {})", notes.join("; "));
    }
    out
}

fn inputs_label(args: &NetArgs) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (what, files) in [
        ("nmap", &args.nmap),
        ("csv", &args.csv),
        ("leases", &args.dhcp_leases),
    ] {
        parts.extend(files.iter().map(|f| format!("{what}:{}", f.display())));
    }
    if args.neighbors {
        parts.push("neighbours".into());
    }
    parts.join(", ")
}
