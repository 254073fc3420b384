//! Windows: msiexec by ProductCode (Kaspersky passwords as inputs), kavremover
//! as the documented fallback, root CA by thumbprint, services and driver
//! leftovers, registry keys, then leftover paths.

use std::collections::BTreeMap;

use uproot_matcher::Finding;

use super::{detail, phase, signer_path, Builder, Pending};
use crate::model::{Action, MsiProperty};
use crate::safe;

pub(super) fn plan(b: &mut Builder, findings: &[&Finding]) {
    let mut uninstalls = Vec::new();
    let mut registry: Vec<(String, &Finding)> = Vec::new();
    for f in findings {
        match f.kind.as_str() {
            "package" => {
                if package(b, f) {
                    uninstalls.push(*f);
                }
            }
            "certificate" => certificate(b, f),
            "service" => service(b, f, false),
            "driver" => {
                service(b, f, true);
                if let Some(path) = detail(f, "file").and_then(driver_path) {
                    b.delete(f, &path, "driver file", phase::DRIVER_FILE);
                }
            }
            "registry-key" => match safe::machine_registry_key(&f.evidence.key) {
                Some(k) => registry.push((k, f)),
                None => b.manual_for(
                    f,
                    &format!(
                        "Delete the registry key {} by hand (a user hive or an unusual path: load that user's hive, or log on as the user, then `reg delete KEY /f`).",
                        safe::printable(&f.evidence.key)
                    ),
                ),
            },
            "file" => super::linux::leftover(b, f),
            "signer" => b.delete(f, signer_path(f), "signed file", phase::LEFTOVER),
            "setting" => b.delete(f, &f.evidence.source, "configuration file", phase::LEFTOVER),
            "browser-extension" => super::linux::browser_extension(b, f),
            "process" => b.unplanned(f, super::linux::PROCESS_REASON),
            other => b.unplanned(f, &format!("no Windows removal step for `{other}` evidence")),
        }
    }
    if !uninstalls.is_empty() {
        kavremover(b, &uninstalls);
    }
    registry_keys(b, registry);
}

/// Returns true when an uninstall step (automatic or manual) was added.
fn package(b: &mut Builder, f: &Finding) -> bool {
    if detail(f, "package_source") != Some("windows-uninstall") {
        b.unplanned(f, "not a Windows Uninstall entry");
        return false;
    }
    let name = f.evidence.key.as_str();
    let code = detail(f, "id").filter(|c| safe::product_code(c));
    let scope = detail(f, "scope").unwrap_or("machine");
    let Some(code) = code.filter(|_| scope == "machine") else {
        let how = match (code, detail(f, "uninstall")) {
            (Some(code), _) => format!("run `msiexec /x {code}`"),
            (None, Some(cmd)) => format!("run its recorded uninstaller: {}", safe::printable(cmd)),
            (None, None) => "uninstall it from Settings > Apps".to_owned(),
        };
        let who = scope
            .strip_prefix("user:")
            .map(|u| format!("Log on as {} and ", safe::printable(u)))
            .unwrap_or_default();
        b.push(
            Pending::new(
                phase::UNINSTALL_OTHER,
                name,
                format!("Uninstall {} (by hand)", safe::printable(name)),
                Action::Manual {
                    instructions: format!(
                        "{who}{how}. uproot does not run uninstallers that are not Windows Installer packages, nor per-user installs from another account."
                    ),
                },
            )
            .findings([f.id.as_str()])
            .changes("Nothing automatically; a person runs the product's own uninstaller.")
            .verify("The Uninstall entry is gone from the registry and a rescan no longer reports it."),
        );
        return true;
    };
    let code = code.to_ascii_uppercase();
    if b.attach(
        &f.id,
        |a| matches!(a, Action::MsiUninstall { product_code, .. } if *product_code == code),
    ) {
        return true;
    }
    let is_kes = f.product == "kes-windows" || name.starts_with("Kaspersky Endpoint Security");
    let is_agent = f.product == "klnagent" || name.contains("Network Agent");
    let mut properties = Vec::new();
    if is_kes {
        b.input(
            "KLLOGIN",
            "Kaspersky Endpoint Security uninstall account: the user name set in KES password protection (Kaspersky Security Center policy or local settings). Set it empty when password protection is off.",
            false,
            None,
        );
        b.input(
            "KLPASSWD",
            "Password of the KES uninstall account. Set it empty when password protection is off.",
            true,
            None,
        );
        properties.push(MsiProperty {
            property: "KLLOGIN".into(),
            input: "KLLOGIN".into(),
            encoding: None,
        });
        properties.push(MsiProperty {
            property: "KLPASSWD".into(),
            input: "KLPASSWD".into(),
            encoding: None,
        });
    }
    if is_agent {
        b.input(
            "KLUNINSTPASSWD",
            "Network Agent uninstall password, in plain text (uproot passes it to msiexec as UTF-16LE bytes in hex, as the agent expects). Set it empty when the agent has no uninstall password.",
            true,
            Some("utf16le-hex"),
        );
        properties.push(MsiProperty {
            property: "KLUNINSTPASSWD".into(),
            input: "KLUNINSTPASSWD".into(),
            encoding: Some("utf16le-hex".into()),
        });
    }
    // KES before the Network Agent that manages it; everything else in between.
    let key = if is_kes {
        "0"
    } else if is_agent {
        "9"
    } else {
        "5"
    };
    let shown = safe::printable(name);
    b.push(
        Pending::new(
            phase::UNINSTALL,
            format!("{key}{name}"),
            format!("Uninstall {shown} (msiexec {code})"),
            Action::MsiUninstall {
                product_code: code.clone(),
                name: name.to_owned(),
                properties,
            },
        )
        .findings([f.id.as_str()])
        .changes(format!(
            "Windows Installer removes {shown}: its files, services, drivers and registry entries. /qn shows no UI; /norestart defers the reboot a driver unload may need.{}",
            if is_kes || is_agent { " Kaspersky's uninstall password properties come from inputs; empty inputs are left off the command line." } else { "" }
        ))
        .verify(format!(
            "The Uninstall entry {code} is gone (msiexec exits 1605, \"not installed\", on a re-run)."
        )),
    );
    true
}

fn kavremover(b: &mut Builder, uninstalls: &[&Finding]) {
    if !uninstalls.iter().any(|f| f.vendor == "kaspersky") {
        return;
    }
    b.push(
        Pending::new(
            phase::FALLBACK,
            "kavremover",
            "Fallback if an uninstall above fails: Kaspersky's kavremover",
            Action::Manual {
                instructions: "Only if an uninstall above fails (a forgotten password, a damaged installation): download kavremover (\"Kaspersky Lab Products Remover\") from Kaspersky's support site, run it as an administrator (in Safe Mode if self-protection blocks it), select the product, remove it and reboot. Then run `uproot remove --apply` again: steps already done are skipped.".into(),
            },
        )
        .findings(uninstalls.iter().filter(|f| f.vendor == "kaspersky").map(|f| f.id.as_str()))
        .changes("Nothing automatically; documented vendor fallback, run by a person.")
        .verify("A rescan no longer reports the product's Uninstall entry."),
    );
}

fn certificate(b: &mut Builder, f: &Finding) {
    let thumb = detail(f, "sha1").unwrap_or("").to_ascii_uppercase();
    let src = f.evidence.source.as_str();
    let lower = src.to_ascii_lowercase();
    let store = lower.find("\\systemcertificates\\").map(|i| {
        let rest = &src[i + "\\systemcertificates\\".len()..];
        rest.split('\\').next().unwrap_or("").to_owned()
    });
    let machine =
        lower.starts_with("/windows/system32/config/software") && !lower.contains("\\policies\\");
    let store = store.map(|s| match s.to_ascii_uppercase().as_str() {
        "ROOT" => "Root".to_owned(),
        "AUTHROOT" => "AuthRoot".to_owned(),
        "CA" => "CA".to_owned(),
        "TRUSTEDPUBLISHER" => "TrustedPublisher".to_owned(),
        "TRUST" => "Trust".to_owned(),
        "MY" => "My".to_owned(),
        _ => s,
    });
    let (Some(store), true, true) = (
        store.filter(|s| safe::ident(s)),
        machine,
        safe::hex(&thumb, 40),
    ) else {
        let how = if lower.contains("\\policies\\") {
            "It is distributed by Group Policy: remove it from the policy (Computer Configuration > Windows Settings > Security Settings > Public Key Policies), then run `gpupdate /force`."
        } else if lower.contains("ntuser.dat") {
            "It is in a user's store: log on as that user and run `certutil -user -delstore Root THUMBPRINT`."
        } else {
            "Remove it with the Certificates MMC snap-in (certlm.msc) by its thumbprint."
        };
        return b.manual_for(
            f,
            &format!(
                "Certificate {} (thumbprint {thumb}). {how}",
                safe::printable(&f.summary)
            ),
        );
    };
    if b.attach(&f.id, |a| matches!(a, Action::WindowsRemoveCertificate { thumbprint, store: s, .. } if *thumbprint == thumb && *s == store)) {
        return;
    }
    let subject = detail(f, "subject").unwrap_or("");
    b.push(
        Pending::new(
            phase::CERT,
            format!("{store}{thumb}"),
            format!("Remove CA certificate {} from LocalMachine\\{store}", safe::printable(subject)),
            Action::WindowsRemoveCertificate {
                store_location: "LocalMachine".into(),
                store: store.clone(),
                thumbprint: thumb.clone(),
            },
        )
        .findings([f.id.as_str()])
        .changes(format!(
            "Deletes the certificate with thumbprint {thumb} from Cert:\\LocalMachine\\{store} (HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\{store}\\Certificates\\{thumb})."
        ))
        .verify(format!("`Test-Path Cert:\\LocalMachine\\{store}\\{thumb}` is False.")),
    );
}

fn service(b: &mut Builder, f: &Finding, driver: bool) {
    let name = f.evidence.key.as_str();
    if !safe::ident(name) {
        return b.manual_for(
            f,
            &format!(
                "Delete the service {:?} by hand: `sc.exe delete NAME`.",
                safe::printable(name)
            ),
        );
    }
    let lname = name.to_ascii_lowercase();
    if b.attach(&f.id, |a| matches!(a, Action::WindowsDeleteService { name: n, .. } if n.to_ascii_lowercase() == lname)) {
        return;
    }
    let kind = if driver { "driver" } else { "service" };
    b.push(
        Pending::new(
            phase::DRIVER,
            format!("{}{name}", if driver { "b" } else { "a" }),
            format!("Delete {kind} {name}"),
            Action::WindowsDeleteService {
                name: name.to_owned(),
                driver,
            },
        )
        .findings([f.id.as_str()])
        .changes(format!(
            "Stops the {kind} {name} if it runs, then deletes its key HKLM\\SYSTEM\\CurrentControlSet\\Services\\{name} (`sc.exe delete`).{}",
            if driver { " A loaded driver is unloaded at the next reboot." } else { "" }
        ))
        .verify(format!("`sc.exe query {name}` reports that the service does not exist (1060).")),
    );
}

/// `\SystemRoot\System32\drivers\klif.sys`, `System32\DRIVERS\x.sys`,
/// `\??\C:\…` or a bare `klif.sys` → the path inside the root.
fn driver_path(file: &str) -> Option<String> {
    let f = file.trim().trim_matches('"').replace('/', "\\");
    let f = f.strip_prefix("\\??\\").unwrap_or(&f);
    let lower = f.to_ascii_lowercase();
    let rest = if let Some(r) = lower
        .strip_prefix("\\systemroot\\")
        .or_else(|| lower.strip_prefix("%systemroot%\\"))
    {
        format!("Windows\\{}", &f[f.len() - r.len()..])
    } else if lower.starts_with("system32\\") {
        format!("Windows\\{f}")
    } else if lower.starts_with("c:\\") {
        f[3..].to_owned()
    } else if !f.contains('\\') && !f.contains(':') {
        format!("Windows\\System32\\drivers\\{f}")
    } else {
        return None;
    };
    safe::normalize(&format!("/{}", rest.replace('\\', "/"))).ok()
}

fn registry_keys(b: &mut Builder, mut keys: Vec<(String, &Finding)>) {
    keys.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    let mut kept: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<(String, Vec<&Finding>)> = Vec::new();
    for (key, f) in keys {
        let lower = key.to_ascii_lowercase();
        let parent = kept
            .iter()
            .find(|(k, _)| lower == **k || lower.starts_with(&format!("{k}\\")))
            .map(|(_, i)| *i);
        match parent {
            Some(i) => groups[i].1.push(f),
            None => {
                kept.insert(lower, groups.len());
                groups.push((key, vec![f]));
            }
        }
    }
    for (key, fs) in groups {
        b.push(
            Pending::new(
                phase::REGISTRY,
                key.to_ascii_lowercase(),
                format!("Delete registry key {}", safe::printable(&key)),
                Action::WindowsDeleteRegistryKey { key: key.clone() },
            )
            .findings(fs.iter().map(|f| f.id.as_str()))
            .changes(format!(
                "Deletes {} with all its subkeys and values (`reg.exe delete KEY /f`).",
                safe::printable(&key)
            ))
            .verify(format!(
                "`reg.exe query {}` reports that the key does not exist.",
                safe::printable(&key)
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::driver_path;

    #[test]
    fn driver_paths() {
        assert_eq!(
            driver_path("klif.sys").as_deref(),
            Some("/Windows/System32/drivers/klif.sys")
        );
        assert_eq!(
            driver_path(r"\SystemRoot\System32\DRIVERS\klif.sys").as_deref(),
            Some("/Windows/System32/DRIVERS/klif.sys")
        );
        assert_eq!(
            driver_path(r"System32\drivers\klim6.sys").as_deref(),
            Some("/Windows/System32/drivers/klim6.sys")
        );
        assert_eq!(
            driver_path(r"\??\C:\Windows\x.sys").as_deref(),
            Some("/Windows/x.sys")
        );
        assert_eq!(driver_path(r"D:\x.sys"), None);
        assert_eq!(driver_path(r"..\x.sys"), None);
    }
}
