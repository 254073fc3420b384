//! Linux: packages by their manager, then units, kernel modules, CA
//! certificates, browser extensions and the leftover paths the catalog names.

use std::collections::BTreeMap;

use uproot_matcher::Finding;

use super::{detail, phase, signer_path, Builder, Pending};
use crate::model::{Action, InitSystem, PackageManager};
use crate::safe;

pub(super) fn plan(b: &mut Builder, findings: &[&Finding]) {
    packages(b, findings);
    for f in findings {
        match f.kind.as_str() {
            "package" => {}
            "service" => service(b, f),
            "kernel-module" => {}
            "certificate" => {}
            "browser-extension" => browser_extension(b, f),
            "file" => leftover(b, f),
            "signer" => b.delete(f, signer_path(f), "signed file", phase::LEFTOVER),
            "setting" => b.delete(f, &f.evidence.source, "configuration file", phase::LEFTOVER),
            "process" => b.unplanned(f, PROCESS_REASON),
            other => b.unplanned(f, &format!("no Linux removal step for `{other}` evidence")),
        }
    }
    kernel_modules(b, findings);
    certificates(b, findings, false);
}

pub(super) const PROCESS_REASON: &str =
    "a running process stops when its package and service are removed by the steps above; `uproot verify` checks that it is gone";

fn manager_of(source: &str) -> Option<PackageManager> {
    Some(match source {
        "dpkg" => PackageManager::Dpkg,
        "rpm" => PackageManager::Rpm,
        "apk" => PackageManager::Apk,
        "pacman" => PackageManager::Pacman,
        "snap" => PackageManager::Snap,
        "flatpak" => PackageManager::Flatpak,
        _ => return None,
    })
}

type PkgGroup = (PackageManager, Option<String>, Option<String>);

fn packages(b: &mut Builder, findings: &[&Finding]) {
    let mut groups: BTreeMap<PkgGroup, Vec<(&str, &str)>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind == "package") {
        let source = detail(f, "package_source").unwrap_or("");
        let Some(manager) = manager_of(source) else {
            b.unplanned(
                f,
                &format!("a `{source}` package has no Linux removal step"),
            );
            continue;
        };
        let name = f.evidence.key.as_str();
        if !safe::package_name(name) {
            b.manual_for(
                f,
                &format!(
                    "The package name {:?} is not one uproot will pass to a package manager. Inspect the package database and remove it by hand.",
                    safe::printable(name)
                ),
            );
            continue;
        }
        if manager == PackageManager::Dpkg
            && f.evidence.source.starts_with("/var/lib/dpkg/status.d/")
        {
            b.manual_for(
                f,
                &format!(
                    "This is a distroless image (dpkg status.d, no dpkg to run): rebuild the image without the package {name}."
                ),
            );
            continue;
        }
        if matches!(manager, PackageManager::Snap | PackageManager::Flatpak) && !b.live() {
            b.manual_for(
                f,
                &format!(
                    "{} packages are removed inside the running system: boot it and run `{}`.",
                    manager.as_str(),
                    if manager == PackageManager::Snap {
                        format!("snap remove --purge {name}")
                    } else {
                        format!("flatpak uninstall {name}")
                    }
                ),
            );
            continue;
        }
        let (db, backend) = if manager == PackageManager::Rpm {
            let src = f.evidence.source.as_str();
            let (dir, file) = src.rsplit_once('/').unwrap_or(("/var/lib/rpm", src));
            let backend = match file {
                "rpmdb.sqlite" => Some("sqlite"),
                "Packages.db" => Some("ndb"),
                "Packages" => Some("bdb"),
                _ => None,
            };
            let dir = safe::normalize(dir).unwrap_or_else(|_| "/var/lib/rpm".into());
            (Some(dir), backend.map(str::to_owned))
        } else {
            (None, None)
        };
        groups
            .entry((manager, db, backend))
            .or_default()
            .push((name, f.id.as_str()));
    }
    let root = b.report.host.root.clone();
    let live = b.live();
    for ((manager, db, db_backend), mut list) in groups {
        list.sort();
        let mut names: Vec<String> = list.iter().map(|(n, _)| n.to_string()).collect();
        names.dedup();
        let shown = names.join(" ");
        let (changes, verify) = match manager {
            PackageManager::Dpkg if live => (
                format!("apt-get purges {shown}: their files, configuration files and dpkg records. uproot first simulates the purge and stops if apt would remove any package this plan does not name."),
                format!("`dpkg-query -W {shown}` finds none of them installed or half-removed."),
            ),
            PackageManager::Dpkg => (
                format!("dpkg purges {shown} inside {root}: their files, configuration files and records in {root}/var/lib/dpkg (maintainer scripts, if any, run chrooted into the root). dpkg refuses if another package depends on them."),
                format!("`dpkg-query --admindir {root}/var/lib/dpkg -W {shown}` finds none of them installed or half-removed."),
            ),
            PackageManager::Rpm if live => (
                format!("The package manager removes {shown} and their files. uproot first checks with `rpm -e --test` that no other package depends on them, and disables the removal of unused dependencies."),
                format!("`rpm -q {shown}` reports each as not installed."),
            ),
            PackageManager::Rpm => (
                format!("rpm erases {shown} inside {root}: their files and records in the rpm database {}; rpm refuses if another package depends on them.", db.as_deref().unwrap_or("/var/lib/rpm")),
                format!("`rpm --root {root} --dbpath {} -q {shown}` reports each as not installed.", db.as_deref().unwrap_or("/var/lib/rpm")),
            ),
            PackageManager::Apk => (
                format!("apk removes {shown} and their files (apk refuses if another package depends on them)."),
                format!("{shown} no longer appear in /lib/apk/db/installed."),
            ),
            PackageManager::Pacman => (
                format!("pacman removes {shown} and their files (without -s: no dependency is removed; pacman refuses if another package requires them)."),
                format!("{shown} no longer appear under /var/lib/pacman/local."),
            ),
            PackageManager::Snap => (
                format!("snapd removes {shown} and, with --purge, their data snapshots."),
                format!("`snap list {shown}` finds none of them."),
            ),
            PackageManager::Flatpak => (
                format!("Flatpak uninstalls {shown}."),
                format!("`flatpak info {shown}` finds none of them."),
            ),
        };
        let verb = if manager == PackageManager::Dpkg {
            "Purge"
        } else {
            "Remove"
        };
        b.push(
            Pending::new(
                phase::UNINSTALL,
                manager.as_str(),
                format!("{verb} {} package(s) {shown}", manager.as_str()),
                Action::RemovePackages {
                    manager,
                    packages: names,
                    db,
                    db_backend,
                },
            )
            .findings(list.iter().map(|(_, id)| *id))
            .changes(changes)
            .verify(verify),
        );
    }
}

fn service(b: &mut Builder, f: &Finding) {
    let scope = detail(f, "scope").unwrap_or("system");
    let init = match scope {
        "system" | "user" => InitSystem::Systemd,
        "sysv" => InitSystem::Sysv,
        other => return b.unplanned(f, &format!("a `{other}` service has no Linux removal step")),
    };
    let name = f.evidence.key.as_str();
    let file = match safe::normalize(&f.evidence.source) {
        Ok(p) if safe::service_name(name) => p,
        _ => {
            return b.manual_for(
                f,
                &format!(
                    "The service {:?} ({}) has a name or path uproot will not act on; disable and delete it by hand.",
                    safe::printable(name),
                    safe::printable(&f.evidence.source)
                ),
            )
        }
    };
    if b.attach(
        &f.id,
        |a| matches!(a, Action::RemoveService { file: x, .. } if *x == file),
    ) {
        return;
    }
    let link_dir = match init {
        InitSystem::Sysv => "/etc".to_owned(),
        InitSystem::Systemd if scope == "system" => "/etc/systemd/system".to_owned(),
        InitSystem::Systemd => match file.find("/.config/systemd/user/") {
            Some(i) => format!("{}/.config/systemd/user", &file[..i]),
            None => "/etc/systemd/user".to_owned(),
        },
    };
    let live = b.live();
    let (title, changes, verify) = match init {
        InitSystem::Systemd => (
            format!("Disable and delete systemd unit {name}"),
            format!(
                "{}Removes the symlinks named {name} in {link_dir}/*.wants, *.requires and *.upholds (its enablement), then deletes the unit file {file}{}.",
                if live && scope == "system" { format!("Runs `systemctl disable --now {name}` (a failure there is logged and the step goes on). ") } else { String::new() },
                if live && scope == "system" { " and runs `systemctl daemon-reload`" } else { "" }
            ),
            format!("{file} and every {name} link under {link_dir} are gone."),
        ),
        InitSystem::Sysv => (
            format!("Delete SysV init script {name}"),
            format!(
                "{}Removes the {name} start/stop symlinks in /etc/rc?.d, then deletes {file}.",
                if live { format!("Runs `service {name} stop` (a failure there is logged and the step goes on). ") } else { String::new() }
            ),
            format!("{file} and its /etc/rc?.d links are gone."),
        ),
    };
    b.push(
        Pending::new(
            phase::SERVICE,
            file.clone(),
            title,
            Action::RemoveService {
                init,
                name: name.to_owned(),
                file,
                link_dir,
            },
        )
        .findings([f.id.as_str()])
        .changes(changes)
        .verify(verify),
    );
}

fn kernel_release(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/lib/modules/")
        .or_else(|| path.strip_prefix("/usr/lib/modules/"))?;
    let k = rest.split('/').next()?;
    safe::package_name(k).then(|| k.to_owned())
}

fn kernel_modules(b: &mut Builder, findings: &[&Finding]) {
    let mut by_name: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind == "kernel-module") {
        by_name.entry(f.evidence.key.as_str()).or_default().push(f);
    }
    let live = b.live();
    for (name, fs) in by_name {
        if !safe::ident(name) {
            for f in fs {
                b.manual_for(f, "The module name is not one uproot will pass to modprobe; unload and delete it by hand.");
            }
            continue;
        }
        let files: Vec<String> = fs
            .iter()
            .filter(|f| f.evidence.source != "/proc/modules")
            .filter_map(|f| safe::normalize(&f.evidence.source).ok())
            .collect();
        if files.is_empty() && !live {
            for f in fs {
                b.unplanned(
                    f,
                    "a loaded module seen without its file; unload it on the running system",
                );
            }
            continue;
        }
        // One step per file (the same module may be installed for several kernels).
        let targets: Vec<Option<String>> = if files.is_empty() {
            vec![None]
        } else {
            files.into_iter().map(Some).collect()
        };
        for (i, file) in targets.into_iter().enumerate() {
            let kernel = file.as_deref().and_then(kernel_release);
            let mut changes = String::new();
            if live {
                changes.push_str(&format!("If {name} is loaded, unloads it with `modprobe -r {name}` (the step fails if it is in use). "));
            }
            if let Some(file) = &file {
                changes.push_str(&format!("Deletes the module file {file}"));
                if let Some(k) = &kernel {
                    changes.push_str(&format!(
                        ", then runs depmod for {k} if that kernel has a modules.dep"
                    ));
                }
                changes.push('.');
            }
            let verify = match &file {
                Some(file) if live => format!("{name} is not in /proc/modules and {file} is gone."),
                Some(file) => format!("{file} is gone."),
                None => format!("{name} is not in /proc/modules."),
            };
            let ids: Vec<&str> = if i == 0 {
                fs.iter().map(|f| f.id.as_str()).collect()
            } else {
                Vec::new()
            };
            b.push(
                Pending::new(
                    phase::MODULE,
                    format!("{name} {}", file.as_deref().unwrap_or("")),
                    format!("Unload and delete kernel module {name}"),
                    Action::RemoveKernelModule {
                        module: name.to_owned(),
                        file,
                        kernel,
                    },
                )
                .findings(ids)
                .changes(changes)
                .verify(verify),
            );
        }
    }
}

/// File names of multi-certificate bundles: a certificate is cut out of
/// these, never deleted with them.
pub(crate) fn is_bundle_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "ca-certificates.crt"
            | "ca-bundle.crt"
            | "ca-bundle.pem"
            | "ca-bundle.trust.crt"
            | "tls-ca-bundle.pem"
            | "email-ca-bundle.pem"
            | "objsign-ca-bundle.pem"
            | "cert.pem"
            | "ca-root-nss.crt"
    ) || path.contains("/extracted/")
}

fn is_nss_db(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "cert9.db" | "cert8.db")
}

/// CA certificates (Linux, and PEM files on macOS): one step per certificate.
pub(super) fn certificates(b: &mut Builder, findings: &[&Finding], macos: bool) {
    let mut by_sha: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind == "certificate") {
        if macos
            && (f.evidence.source.ends_with(".keychain")
                || f.evidence.source.ends_with(".keychain-db"))
        {
            continue;
        }
        let sha = detail(f, "sha256")
            .unwrap_or(&f.evidence.key)
            .to_ascii_lowercase();
        if !safe::hex(&sha, 64) {
            b.manual_for(
                f,
                "The certificate has no usable SHA-256; remove it from the store by hand.",
            );
            continue;
        }
        by_sha.entry(sha).or_default().push(f);
    }
    let live = b.live();
    let distro = b.report.host.distro.clone().unwrap_or_default();
    for (sha, fs) in by_sha {
        let subject = detail(fs[0], "subject").unwrap_or("").to_owned();
        let mut paths = Vec::new();
        let mut ids = Vec::new();
        for f in &fs {
            let src = &f.evidence.source;
            if is_nss_db(src) {
                let dir = src.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
                let shown_dir = if live {
                    dir.to_owned()
                } else {
                    format!("{}{dir}", b.report.host.root.trim_end_matches('/'))
                };
                b.manual_for(
                    f,
                    &format!(
                        "The certificate is trusted in the NSS database {}. Find its nickname with `certutil -d sql:{} -L`, then delete it with `certutil -d sql:{} -D -n NICKNAME` (close the browser first).",
                        safe::printable(src),
                        safe::printable(&shown_dir),
                        safe::printable(&shown_dir)
                    ),
                );
                continue;
            }
            match safe::normalize(src) {
                Ok(p) => {
                    if !paths.contains(&p) {
                        paths.push(p);
                    }
                    ids.push(f.id.as_str());
                }
                Err(_) => b.manual_for(
                    f,
                    "The certificate's store path is not one uproot will edit; remove it by hand.",
                ),
            }
        }
        if paths.is_empty() {
            continue;
        }
        paths.sort();
        let conf = paths
            .iter()
            .any(|p| p.starts_with("/usr/share/ca-certificates/"))
            .then(|| "/etc/ca-certificates.conf".to_owned());
        let refresh: Vec<String> = if macos {
            Vec::new()
        } else if paths.iter().any(|p| p.starts_with("/etc/pki/")) {
            vec!["update-ca-trust".into(), "extract".into()]
        } else if matches!(distro.as_str(), "arch" | "manjaro" | "endeavouros")
            || paths.iter().any(|p| p.starts_with("/etc/ca-certificates/"))
        {
            vec!["trust".into(), "extract-compat".into()]
        } else {
            vec!["update-ca-certificates".into()]
        };
        let (bundles, files): (Vec<&String>, Vec<&String>) =
            paths.iter().partition(|p| is_bundle_path(p));
        let link_dirs = if macos {
            Vec::new()
        } else {
            vec!["/etc/ssl/certs".to_owned()]
        };
        let mut changes = String::new();
        if !files.is_empty() {
            changes.push_str(&format!(
                "Deletes {} (a file that also holds another certificate only has this one cut out). ",
                join(&files)
            ));
        }
        if !bundles.is_empty() {
            changes.push_str(&format!(
                "Removes the PEM block with SHA-256 {sha} from {}, keeping every other certificate byte for byte (written to a new file, then renamed over the old one). ",
                join(&bundles)
            ));
        }
        if !link_dirs.is_empty() {
            changes.push_str(
                "Removes symlinks in /etc/ssl/certs that lead to a deleted file (the hash links). ",
            );
        }
        if let Some(c) = &conf {
            changes.push_str(&format!("Deselects the certificate in {c} (`!` prefix) so the store is not rebuilt with it. "));
        }
        if live && !refresh.is_empty() {
            changes.push_str(&format!("Then runs `{}`.", refresh.join(" ")));
        }
        b.push(
            Pending::new(
                phase::CERT,
                sha.clone(),
                format!("Stop trusting CA certificate {}", safe::printable(&subject)),
                Action::RemoveCaCertificate {
                    sha256: sha.clone(),
                    subject,
                    paths,
                    link_dirs,
                    conf,
                    refresh,
                },
            )
            .findings(ids)
            .changes(changes.trim_end().to_owned())
            .verify(format!(
                "No file named above holds a certificate with SHA-256 {sha}, and a rescan no longer reports it."
            )),
        );
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The directory (or files) that make up a browser extension.
pub(super) fn browser_extension(b: &mut Builder, f: &Finding) {
    let src = f.evidence.source.as_str();
    let id = f.evidence.key.as_str();
    let browser = detail(f, "browser").unwrap_or("");
    let id_ok = !id.is_empty()
        && !id.contains(['/', '\\'])
        && id != "."
        && id != ".."
        && !id.chars().any(char::is_control);
    if browser == "firefox" || src.ends_with("/extensions.json") {
        let profile = src.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if id_ok && !profile.is_empty() {
            b.delete(
                f,
                &format!("{profile}/extensions/{id}.xpi"),
                "browser extension",
                phase::EXTENSION,
            );
            b.delete(
                f,
                &format!("{profile}/extensions/{id}"),
                "browser extension",
                phase::EXTENSION,
            );
            return;
        }
    } else if id_ok {
        let marker = format!("/Extensions/{id}/");
        if let Some(i) = src.find(&marker) {
            let dir = &src[..i + marker.len() - 1];
            b.delete(f, dir, "browser extension", phase::EXTENSION);
            return;
        }
    }
    b.manual_for(
        f,
        &format!(
            "Remove the extension {} from the browser's extension settings.",
            safe::printable(id)
        ),
    );
}

pub(super) fn leftover(b: &mut Builder, f: &Finding) {
    let what = match (detail(f, "file_type"), f.remnant) {
        (Some("dir"), true) => "leftover directory",
        (Some("dir"), false) => "directory",
        (Some("symlink"), _) => "symlink",
        (_, true) => "leftover file",
        _ => "file",
    };
    b.delete(f, &f.evidence.key, what, phase::LEFTOVER);
}
