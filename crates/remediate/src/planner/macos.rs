//! macOS: the vendor's uninstaller when the scan found one; otherwise (and as
//! an idempotent follow-up) launchd jobs, app bundles, receipts, system and
//! kernel extensions, then leftover paths.

use uproot_matcher::Finding;

use super::{detail, phase, signer_path, Builder, Pending};
use crate::model::Action;
use crate::safe;

pub(super) fn plan(b: &mut Builder, findings: &[&Finding]) {
    uninstaller(b, findings);
    for f in findings {
        match f.kind.as_str() {
            "service" => launchd(b, f),
            "package" => package(b, f),
            "driver" => driver(b, f),
            "certificate" => keychain_certificate(b, f),
            "browser-extension" => super::linux::browser_extension(b, f),
            "file" => super::linux::leftover(b, f),
            "signer" => b.delete(f, signer_path(f), "signed file", phase::LEFTOVER),
            "setting" => b.delete(f, &f.evidence.source, "configuration file", phase::LEFTOVER),
            "process" => b.unplanned(f, super::linux::PROCESS_REASON),
            other => b.unplanned(f, &format!("no macOS removal step for `{other}` evidence")),
        }
    }
    super::linux::certificates(b, findings, true);
}

/// A vendor uninstaller the scan saw (`Uninstall Kaspersky.app`, `kavremover`).
fn uninstaller(b: &mut Builder, findings: &[&Finding]) {
    let found: Vec<(&Finding, String)> = findings
        .iter()
        .filter_map(|f| {
            let path = match f.kind.as_str() {
                "file" => f.evidence.key.clone(),
                "package" => detail(f, "install_location").unwrap_or("").to_owned(),
                _ => return None,
            };
            let name = path.rsplit('/').next().unwrap_or("").to_lowercase();
            ((name.contains("uninstall") || name.contains("remover")) && name.ends_with(".app"))
                .then_some((*f, path))
        })
        .collect();
    for (f, path) in found {
        b.push(
            Pending::new(
                phase::UNINSTALL,
                path.clone(),
                format!("Run the vendor uninstaller {}", safe::printable(&path)),
                Action::Manual {
                    instructions: format!(
                        "Open {} as an administrator and follow it; it removes the product and deactivates its system extension the supported way. The steps below then find little or nothing left to do.",
                        safe::printable(&path)
                    ),
                },
            )
            .findings([f.id.as_str()])
            .changes("Nothing automatically; the vendor's uninstaller is interactive.")
            .verify("A rescan no longer reports the product's bundle, receipts or launchd jobs."),
        );
    }
}

fn launchd(b: &mut Builder, f: &Finding) {
    let scope = detail(f, "scope").unwrap_or("");
    let domain = match scope {
        "launchd-daemon" => "system",
        "launchd-agent" => "gui",
        other => return b.unplanned(f, &format!("a `{other}` service has no macOS removal step")),
    };
    let label = f.evidence.key.as_str();
    let plist = match safe::normalize(&f.evidence.source) {
        Ok(p) if safe::ident(label) => p,
        _ => {
            return b.manual_for(
                f,
                &format!(
                    "Unload and delete the launchd job {:?} by hand.",
                    safe::printable(label)
                ),
            )
        }
    };
    if b.attach(
        &f.id,
        |a| matches!(a, Action::LaunchdRemove { plist: p, .. } if p.eq_ignore_ascii_case(&plist)),
    ) {
        return;
    }
    let how = if domain == "system" {
        format!("`launchctl bootout system/{label}`")
    } else {
        format!("`launchctl bootout gui/<console user>/{label}`")
    };
    b.push(
        Pending::new(
            phase::SERVICE,
            plist.clone(),
            format!("Unload and delete launchd job {label}"),
            Action::LaunchdRemove {
                label: label.to_owned(),
                plist: plist.clone(),
                domain: domain.to_owned(),
            },
        )
        .findings([f.id.as_str()])
        .changes(format!(
            "Unloads the job with {how} (a job that is not loaded is fine), then deletes {plist}."
        ))
        .verify(format!(
            "{plist} is gone and `launchctl print {domain}/{label}` finds no such job."
        )),
    );
}

fn package(b: &mut Builder, f: &Finding) {
    match detail(f, "package_source") {
        Some("mac-app") => {
            let path = detail(f, "install_location")
                .map(str::to_owned)
                .or_else(|| {
                    f.evidence
                        .source
                        .strip_suffix("/Contents/Info.plist")
                        .map(str::to_owned)
                });
            match path.filter(|p| p.to_lowercase().ends_with(".app")) {
                Some(p) => b.delete(f, &p, "application bundle", phase::BUNDLE),
                None => b.manual_for(f, "Move the application to the Trash by hand (its bundle path is unknown)."),
            }
        }
        Some("mac-receipt") if detail(f, "state") == Some("history") => b.unplanned(
            f,
            "an entry in /Library/Receipts/InstallHistory.plist, the system's install log; uproot keeps the log",
        ),
        Some("mac-receipt") => {
            let id = detail(f, "id").unwrap_or(&f.evidence.key);
            if !safe::ident(id) {
                return b.manual_for(f, &format!("Forget the receipt {:?} by hand with pkgutil --forget.", safe::printable(id)));
            }
            if b.attach(&f.id, |a| matches!(a, Action::PkgutilForget { id: x } if x == id)) {
                return;
            }
            b.push(
                Pending::new(phase::RECEIPT, id, format!("Forget package receipt {id}"), Action::PkgutilForget { id: id.to_owned() })
                    .findings([f.id.as_str()])
                    .changes(format!(
                        "`pkgutil --forget {id}` deletes the receipt (/var/db/receipts/{id}.plist and .bom); the files it lists are removed by the other steps."
                    ))
                    .verify(format!("`pkgutil --pkg-info {id}` reports no such package.")),
            );
        }
        other => b.unplanned(f, &format!("a `{}` package has no macOS removal step", other.unwrap_or("?"))),
    }
}

fn driver(b: &mut Builder, f: &Finding) {
    let bundle = f.evidence.key.as_str();
    match detail(f, "driver_type") {
        Some("system-extension") => {
            let team = detail(f, "team_id").unwrap_or("");
            if !safe::ident(bundle) || !safe::team_id(team) {
                return b.manual_for(f, "Remove the system extension by hand: delete its containing app from /Applications with the Finder, or `systemextensionsctl uninstall TEAMID BUNDLEID`.");
            }
            b.push(
                Pending::new(
                    phase::DRIVER,
                    format!("s{bundle}"),
                    format!("Uninstall system extension {bundle}"),
                    Action::SystemExtensionUninstall {
                        team_id: team.to_owned(),
                        bundle_id: bundle.to_owned(),
                    },
                )
                .findings([f.id.as_str()])
                .changes(format!(
                    "`systemextensionsctl uninstall {team} {bundle}` deactivates and deletes the extension (Apple allows this only with System Integrity Protection relaxed; otherwise deleting the containing app with the Finder does it, after which this step is already done)."
                ))
                .verify(format!("`systemextensionsctl list` no longer shows {bundle}.")),
            );
        }
        Some("kext") => {
            if !safe::ident(bundle) {
                return b.manual_for(f, "Unload and delete the kernel extension by hand.");
            }
            b.push(
                Pending::new(
                    phase::DRIVER,
                    format!("k{bundle}"),
                    format!("Unload kernel extension {bundle}"),
                    Action::KextUnload { bundle_id: bundle.to_owned() },
                )
                .findings([f.id.as_str()])
                .changes(format!("`kmutil unload -b {bundle}` (kextunload on macOS before 11) unloads it if loaded."))
                .verify(format!("`kmutil showloaded` does not list {bundle}.")),
            );
            if let Some(file) = detail(f, "file") {
                b.delete(f, file, "kernel extension", phase::DRIVER_FILE);
            }
        }
        other => b.unplanned(
            f,
            &format!(
                "a `{}` driver has no macOS removal step",
                other.unwrap_or("?")
            ),
        ),
    }
}

fn keychain_certificate(b: &mut Builder, f: &Finding) {
    let src = f.evidence.source.as_str();
    if !(src.ends_with(".keychain") || src.ends_with(".keychain-db")) {
        return; // PEM stores: handled with the Linux CA step.
    }
    let sha1 = detail(f, "sha1").unwrap_or("").to_ascii_uppercase();
    let Ok(keychain) = safe::normalize(src) else {
        return b.manual_for(f, "Delete the certificate with Keychain Access.");
    };
    if !safe::hex(&sha1, 40) {
        return b.manual_for(f, "Delete the certificate with Keychain Access.");
    }
    b.push(
        Pending::new(
            phase::CERT,
            format!("{keychain}{sha1}"),
            format!(
                "Delete certificate {} from {keychain}",
                safe::printable(detail(f, "subject").unwrap_or(""))
            ),
            Action::MacRemoveCertificate {
                sha1: sha1.clone(),
                keychain: keychain.clone(),
            },
        )
        .findings([f.id.as_str()])
        .changes(format!(
            "`security delete-certificate -Z {sha1} {keychain}` deletes it and its trust settings."
        ))
        .verify(format!(
            "`security find-certificate -Z -a {keychain}` does not list {sha1}."
        )),
    );
}
