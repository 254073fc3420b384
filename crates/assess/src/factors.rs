//! The risk factors: what each one means, its weight, and when it applies.
//!
//! Weights are chosen so the bands read naturally: anything with kernel reach
//! or a trusted interception root is `critical`; an installed, running or
//! telemetry-enabled product is `high`; files, extensions and signed binaries
//! on disk are `medium`; leftovers are `low`.

use uproot_inventory::Inventory;
use uproot_matcher::Finding;

use crate::Factor;

/// Every factor: id, points, and why it counts.
pub const FACTORS: &[(&str, i32, &str)] = &[
    ("presence", 10, "Covered-vendor code is present on the host."),
    ("kernel-component", 40, "It runs in the kernel (driver, kernel module, minifilter or system extension): it sees all file and network I/O, loads before user space, and survives a user-mode uninstall."),
    ("tls-interception", 60, "A trusted root certificate the vendor controls lets it mint a certificate for any site: TLS interception, and a standing ability to do so that outlives the product."),
    ("active", 25, "It is running, loaded, or enabled to start: the risk is current, not latent."),
    ("installed-product", 20, "The package manager records the product as installed."),
    ("cloud-telemetry", 35, "Cloud telemetry (Kaspersky Security Network) is on: file samples, URLs and system data go to the vendor's infrastructure."),
    ("browser-access", 20, "A browser extension can read and change every page the user visits."),
    ("installed-files", 15, "The product's files or registry configuration are present: it can run or be re-enabled."),
    ("code-signer", 10, "An executable signed by the vendor is on disk."),
    ("embedded-engine", 15, "Covered code ships inside another vendor's product: it runs and updates under that product's name, and NDAA §1634 covers it 'in whole or in part'."),
    ("sbom-component", 15, "A covered component is part of software the organisation builds or buys."),
    ("self-protection", 10, "Kaspersky's self-defence and uninstall password block removal: msiexec needs KLLOGIN/KLPASSWD (Network Agent: KLUNINSTPASSWD), so removal needs credentials or kavremover."),
    ("no-vendor-updates", 10, "The BIS determination bars Kaspersky signature and code updates in the U.S. from 2024-09-29: its protection has decayed since."),
    ("official-source", 5, "The indicator comes from official material (vendor, Microsoft or government)."),
    ("corroborated-source", -5, "The indicator comes only from several independent public files, not from official material or identified tooling: confirm before acting."),
    ("leftover", 5, "Only leftovers remain: nothing runs, but the removal is incomplete and an auditor will ask about it."),
];

fn factor(id: &str) -> Factor {
    let (id, points, why) = FACTORS
        .iter()
        .find(|(i, _, _)| *i == id)
        .copied()
        .expect("factor ids are listed in FACTORS");
    Factor {
        id: id.to_owned(),
        points,
        why: why.to_owned(),
    }
}

fn detail<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.evidence.detail.get(key).map(String::as_str)
}

/// Running, loaded or set to start, from the evidence the collectors recorded.
fn is_active(f: &Finding) -> bool {
    match f.kind.as_str() {
        "process" => true,
        "service" => detail(f, "enabled") == Some("true"),
        "kernel-module" => detail(f, "loaded") == Some("true"),
        "driver" => matches!(
            detail(f, "start"),
            Some("boot" | "system" | "auto" | "activated_enabled")
        ),
        _ => false,
    }
}

/// The factors that apply to one finding, in table order.
pub fn factors_for(f: &Finding, _inv: &Inventory, today: &str) -> Vec<Factor> {
    let mut ids: Vec<&str> = Vec::new();
    let kind = f.kind.as_str();
    if f.remnant {
        ids.push("leftover");
    } else {
        ids.push("presence");
        if matches!(kind, "driver" | "kernel-module") {
            ids.push("kernel-component");
        }
        if kind == "certificate" {
            ids.push("tls-interception");
        }
        if is_active(f) {
            ids.push("active");
        }
        if kind == "package" && detail(f, "state").is_none_or(|s| s == "installed") {
            ids.push("installed-product");
        }
        if kind == "setting" {
            ids.push("cloud-telemetry");
        }
        if kind == "browser-extension" {
            ids.push("browser-access");
        }
        if kind == "file" || kind == "registry-key" {
            ids.push("installed-files");
        }
        if kind == "signer" && f.embedded_in.is_none() {
            ids.push("code-signer");
        }
        if f.embedded_in.is_some() {
            ids.push("embedded-engine");
        }
        if kind == "sbom-component" {
            ids.push("sbom-component");
        }
        if f.vendor == "kaspersky"
            && kind == "package"
            && detail(f, "package_source") == Some("windows-uninstall")
        {
            ids.push("self-protection");
        }
        let runs = matches!(
            kind,
            "package" | "driver" | "kernel-module" | "service" | "process"
        );
        if f.vendor == "kaspersky" && runs && today >= "2024-09-29" {
            ids.push("no-vendor-updates");
        }
    }
    match f.confidence.as_str() {
        "official" => ids.push("official-source"),
        "corroborated" => ids.push("corroborated-source"),
        _ => {}
    }
    ids.into_iter().map(factor).collect()
}
