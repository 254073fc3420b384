//! The default human output: findings grouped by vendor, each with what was
//! found, where, the authority and the required action; then errors; then a
//! one-line verdict. Plain ASCII when not colouring, so it survives logs.

use std::fmt::Write;

use crate::Report;

/// The action most findings of a vendor share, printed once per vendor.
fn first_action<'a>(fs: &[&'a uproot_matcher::Finding]) -> &'a str {
    fs.iter()
        .find(|f| !f.remnant)
        .or(fs.first())
        .map(|f| f.action.as_str())
        .unwrap_or_default()
}

pub fn render(r: &Report, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    let h = &r.host;
    let os = h.pretty_name.as_deref().unwrap_or(&h.os);
    let _ = writeln!(
        out,
        "uproot {}  host {}  ({os}, root {}{})",
        r.tool.version,
        h.hostname,
        h.root,
        if h.live { ", live" } else { "" }
    );
    let _ = writeln!(out, "catalog {}  inventory: {} packages, {} services, {} kernel modules, {} certificates, {} browser extensions\n",
        r.catalog.version, r.inventory.packages.len(), r.inventory.services.len(), r.inventory.kernel_modules.len(), r.inventory.certificates.len(), r.inventory.browser_extensions.len());
    if let Some(a) = &r.assessment {
        let prot = match a.protection.protected {
            Some(true) => format!("active ({})", a.protection.products.join(", ")),
            Some(false) => "NONE active".to_owned(),
            None => "unknown".to_owned(),
        };
        let _ = writeln!(
            out,
            "status: {} (severity {}); replacement protection: {prot}\n",
            a.status.as_str(),
            a.severity
        );
    }
    let mut vendors: Vec<&str> = r.findings.iter().map(|f| f.vendor.as_str()).collect();
    vendors.dedup();
    for v in vendors {
        let fs: Vec<_> = r.findings.iter().filter(|f| f.vendor == v).collect();
        let first = fs[0];
        let _ = writeln!(
            out,
            "{}  ({} finding{})",
            paint("1", &format!("{} [{}]", first.vendor_name, first.vendor)),
            fs.len(),
            if fs.len() == 1 { "" } else { "s" }
        );
        let auth: Vec<String> = first
            .authorities
            .iter()
            .map(|a| format!("{} (since {})", a.id, a.since))
            .collect();
        let _ = writeln!(out, "  authorities: {}", auth.join(", "));
        if let Some(c) = &first.condition {
            let _ = writeln!(out, "  condition:   {c}");
        }
        let _ = writeln!(out, "  action:      {}", first_action(&fs));
        for f in &fs {
            let sev = match f.severity.as_str() {
                "critical" => paint("1;31", "CRITICAL"),
                "high" => paint("31", "HIGH    "),
                "medium" => paint("33", "MEDIUM  "),
                _ => paint("2", "LOW     "),
            };
            let rem = if f.remnant { " [remnant]" } else { "" };
            let _ = writeln!(out, "  {sev} {:<18} {}{rem}", f.kind, f.summary);
            let _ = writeln!(out, "           where:    {}", f.evidence.source);
            let _ = writeln!(
                out,
                "           product:  {}   rule: {} ({})",
                f.product_name, f.indicator, f.confidence
            );
            if f.action != first_action(&fs) {
                let _ = writeln!(out, "           action:   {}", f.action);
            }
        }
        out.push('\n');
    }
    if !r.errors.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                "33",
                &format!("{} source(s) could not be read:", r.errors.len())
            )
        );
        for e in &r.errors {
            let _ = writeln!(out, "  {}: {}", e.source, e.message);
        }
        out.push('\n');
    }
    let verdict = match r.exit_code() {
        0 => paint("32", "CLEAN: no covered-vendor software found."),
        1 => paint(
            "1;31",
            &format!(
                "FOUND: {} covered-vendor finding(s) ({} remnant).",
                r.findings.len(),
                r.summary.remnants
            ),
        ),
        _ => paint(
            "33",
            "INCOMPLETE: no findings, but some sources could not be read.",
        ),
    };
    let _ = writeln!(out, "{verdict}");
    out
}
