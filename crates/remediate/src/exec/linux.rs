//! Linux steps (and the PEM-store and delete steps any Unix root uses).

use std::collections::{BTreeMap, BTreeSet};

use super::guard::{self, Node, PathGuard};
use super::{check, delete, must, on_path, pem, tolerate, CmdOut, Ctx, Judge};
use crate::commands::{self, CommandSpec};
use crate::model::{Action, InitSystem, PackageManager, Step};
use crate::planner::is_bundle_path;

pub(super) fn run(ctx: &mut Ctx, step: &Step) -> Option<Result<(), String>> {
    let g = PathGuard::for_step(step);
    Some(match &step.action {
        Action::RemovePackages {
            manager,
            packages,
            db,
            db_backend,
        } => remove_packages(
            ctx,
            *manager,
            packages,
            db.as_deref(),
            db_backend.as_deref(),
        ),
        Action::RemoveService {
            init,
            name,
            file,
            link_dir,
        } => remove_service(ctx, &g, *init, name, file, link_dir),
        Action::RemoveKernelModule {
            module,
            file,
            kernel,
        } => remove_module(ctx, &g, module, file.as_deref(), kernel.as_deref()),
        Action::RemoveCaCertificate {
            sha256,
            paths,
            link_dirs,
            conf,
            refresh,
            ..
        } => remove_ca(ctx, &g, sha256, paths, link_dirs, conf.as_deref(), refresh),
        Action::DeletePath { paths, .. } => paths
            .iter()
            .try_for_each(|p| delete(ctx, &g, p).map(|_| ())),
        _ => return None,
    })
}

fn euid_is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn db_args(ctx: &Ctx, db: Option<&str>, backend: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    if !ctx.live {
        v.extend(["--root".to_owned(), ctx.root_str()]);
        v.extend([
            "--dbpath".to_owned(),
            db.unwrap_or("/var/lib/rpm").to_owned(),
        ]);
        if let Some(b) = backend.filter(|b| *b != "bdb") {
            v.extend(["--define".to_owned(), format!("_db_backend {b}")]);
        }
    }
    v
}

fn spawn_failed(out: &CmdOut, what: &str) -> Option<String> {
    out.spawn_error
        .map(|_| format!("{}: cannot run it ({what}): {}", out.program, out.tail()))
}

/// The packages of `pkgs` that are still installed (or half-removed, or config-files).
fn present(
    ctx: &mut Ctx,
    manager: PackageManager,
    pkgs: &[String],
    db: Option<&str>,
    backend: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in pkgs {
        let here = match manager {
            PackageManager::Dpkg => {
                let mut argv = vec!["dpkg-query".to_owned()];
                if !ctx.live {
                    argv.push(format!(
                        "--admindir={}/var/lib/dpkg",
                        ctx.root_str().trim_end_matches('/')
                    ));
                }
                argv.extend([
                    "-W".to_owned(),
                    "-f=${db:Status-Abbrev}".to_owned(),
                    p.clone(),
                ]);
                let o = ctx.command("check", &CommandSpec::new(argv), check)?;
                if let Some(e) = spawn_failed(&o, "dpkg is needed to remove dpkg packages") {
                    return Err(e);
                }
                // Second letter of the abbreviation is the state; `n` = not-installed.
                o.ok() && o.stdout.get(1).is_some_and(|c| *c != b'n')
            }
            PackageManager::Rpm => {
                let mut argv = vec!["rpm".to_owned()];
                argv.extend(db_args(ctx, db, backend));
                argv.extend(["-q".to_owned(), p.clone()]);
                let o = ctx.command("check", &CommandSpec::new(argv), check)?;
                if let Some(e) = spawn_failed(&o, "rpm is needed to remove rpm packages") {
                    return Err(e);
                }
                o.ok()
            }
            PackageManager::Apk => match guard::inspect(ctx.root, "/lib/apk/db/installed")
                .map_err(|e| e.to_string())?
            {
                Node::File(text) => String::from_utf8_lossy(&text)
                    .lines()
                    .any(|l| l.strip_prefix("P:") == Some(p.as_str())),
                _ => false,
            },
            PackageManager::Pacman => guard::list_dir(ctx.root, "/var/lib/pacman/local")
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
                .iter()
                .any(|e| {
                    e.is_dir
                        && e.name
                            .strip_prefix(p.as_str())
                            .and_then(|r| r.strip_prefix('-'))
                            .is_some_and(|r| r.matches('-').count() == 1)
                }),
            PackageManager::Snap | PackageManager::Flatpak => {
                let argv = if manager == PackageManager::Snap {
                    vec!["snap", "list", p.as_str()]
                } else {
                    vec!["flatpak", "info", p.as_str()]
                };
                let o = ctx.command("check", &CommandSpec::new(argv), check)?;
                if let Some(e) = spawn_failed(&o, "needed to remove these packages") {
                    return Err(e);
                }
                o.ok()
            }
        };
        if here {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Package names apt would purge or remove, from `apt-get -s` output.
fn apt_simulated(stdout: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Purg ").or_else(|| l.strip_prefix("Remv ")))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|n| n.split(':').next().unwrap_or(n).to_owned())
        .collect()
}

fn remove_packages(
    ctx: &mut Ctx,
    manager: PackageManager,
    pkgs: &[String],
    db: Option<&str>,
    backend: Option<&str>,
) -> Result<(), String> {
    let todo = present(ctx, manager, pkgs, db, backend)?;
    if todo.is_empty() {
        return Ok(());
    }
    match (manager, ctx.live) {
        (PackageManager::Dpkg, true) => {
            let mut sim = CommandSpec::new(["apt-get", "-s", "purge"]);
            sim.argv.extend(todo.iter().cloned());
            let o = ctx.command("check", &sim, |o| {
                if o.ok() {
                    Judge::Checked
                } else {
                    Judge::Failed(format!("apt-get -s purge failed: {}", o.tail()))
                }
            })?;
            let extra: Vec<String> = apt_simulated(&o.stdout)
                .into_iter()
                .filter(|n| !pkgs.contains(n))
                .collect();
            if !extra.is_empty() {
                let msg = format!(
                    "apt would also remove {}, which this plan does not name; nothing was removed. Review them and remove them deliberately, then run again.",
                    extra.join(", ")
                );
                ctx.note("check", "failed", Some(msg.clone()));
                return Err(msg);
            }
        }
        (PackageManager::Rpm, true) => {
            let mut test = CommandSpec::new(["rpm", "-e", "--test"]);
            test.argv.extend(todo.iter().cloned());
            ctx.command("check", &test, |o| {
                if o.ok() {
                    Judge::Checked
                } else {
                    Judge::Failed(format!(
                        "other installed packages depend on {}; nothing was removed: {}",
                        todo.join(" "),
                        o.tail()
                    ))
                }
            })?;
        }
        _ => {}
    }
    let frontend = if manager == PackageManager::Rpm && ctx.live {
        let preferred = commands::rpm_frontend(ctx.distro);
        std::iter::once(preferred)
            .chain(["dnf", "yum", "zypper"])
            .find(|p| on_path(p))
            .ok_or("none of dnf, yum or zypper is installed")?
    } else {
        "dnf"
    };
    let root = ctx.root_str();
    let mut spec =
        commands::remove_packages(manager, &todo, db, backend, &root, ctx.live, frontend);
    if manager == PackageManager::Dpkg && !ctx.live {
        if !matches!(guard::inspect(ctx.root, "/var/log"), Ok(Node::Dir)) {
            for a in spec.argv.iter_mut().filter(|a| a.starts_with("--log=")) {
                *a = "--log=/dev/null".into();
            }
        }
        if !euid_is_root() {
            spec.argv.insert(1, "--force-not-root".into());
        }
    }
    ctx.command("command", &spec, must)?;
    let left = present(ctx, manager, pkgs, db, backend)?;
    if !left.is_empty() {
        return Err(format!("still installed after removal: {}", left.join(" ")));
    }
    Ok(())
}

/// Enablement links of a unit (`*.wants/NAME`, …) or a SysV script (`rc?.d/[SK]NNname`).
fn enable_links(
    ctx: &Ctx,
    init: InitSystem,
    name: &str,
    link_dir: &str,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    match init {
        InitSystem::Systemd => {
            let entries = guard::list_dir(ctx.root, link_dir)
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            for e in entries {
                if e.is_dir
                    && [".wants", ".requires", ".upholds"]
                        .iter()
                        .any(|s| e.name.ends_with(s))
                {
                    let link = format!("{link_dir}/{}/{name}", e.name);
                    if guard::read_link(ctx.root, &link)
                        .map_err(|e| e.to_string())?
                        .is_some()
                    {
                        out.push(link);
                    }
                }
            }
        }
        InitSystem::Sysv => {
            for rc in [
                "rc0.d", "rc1.d", "rc2.d", "rc3.d", "rc4.d", "rc5.d", "rc6.d", "rcS.d",
            ] {
                let dir = format!("{link_dir}/{rc}");
                let entries = guard::list_dir(ctx.root, &dir)
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                for e in entries {
                    let n = e.name;
                    let b = n.as_bytes();
                    if e.is_link
                        && b.len() > 3
                        && (b[0] == b'S' || b[0] == b'K')
                        && b[1].is_ascii_digit()
                        && b[2].is_ascii_digit()
                        && &n[3..] == name
                    {
                        out.push(format!("{dir}/{n}"));
                    }
                }
            }
        }
    }
    Ok(out)
}

fn unlink(ctx: &mut Ctx, link: &str, why: &str) -> Result<(), String> {
    match guard::unlink_symlink(ctx.root, link) {
        Ok(true) => {
            ctx.fs("unlink", link, "ok", Some(why.to_owned()));
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(e) => {
            ctx.fs("unlink", link, "failed", Some(e.to_string()));
            Err(e.to_string())
        }
    }
}

fn remove_service(
    ctx: &mut Ctx,
    g: &PathGuard,
    init: InitSystem,
    name: &str,
    file: &str,
    link_dir: &str,
) -> Result<(), String> {
    let present = !matches!(guard::inspect(ctx.root, file), Ok(Node::Absent));
    let system_unit = init == InitSystem::Systemd && link_dir == "/etc/systemd/system";
    if ctx.live && present {
        match init {
            InitSystem::Systemd if system_unit => {
                ctx.command(
                    "command",
                    &CommandSpec::new(["systemctl", "disable", "--now", name]),
                    tolerate,
                )?;
            }
            InitSystem::Sysv => {
                ctx.command(
                    "command",
                    &CommandSpec::new(["service", name, "stop"]),
                    tolerate,
                )?;
            }
            InitSystem::Systemd => {}
        }
    }
    for link in enable_links(ctx, init, name, link_dir)? {
        unlink(ctx, &link, &format!("enablement link of {name}"))?;
    }
    delete(ctx, g, file)?;
    if ctx.live && ctx.changed && system_unit {
        ctx.command(
            "command",
            &CommandSpec::new(["systemctl", "daemon-reload"]),
            tolerate,
        )?;
    }
    Ok(())
}

fn remove_module(
    ctx: &mut Ctx,
    g: &PathGuard,
    module: &str,
    file: Option<&str>,
    kernel: Option<&str>,
) -> Result<(), String> {
    if ctx.live {
        let loaded = std::fs::read_to_string("/proc/modules")
            .map(|s| s.lines().any(|l| l.split(' ').next() == Some(module)))
            .unwrap_or(false);
        if loaded {
            ctx.command(
                "command",
                &CommandSpec::new(["modprobe", "-r", module]),
                must,
            )?;
        }
    }
    let Some(file) = file else {
        return Ok(());
    };
    if delete(ctx, g, file)? {
        if let Some(k) = kernel {
            let base = if file.starts_with("/usr/lib/modules/") {
                "/usr/lib/modules"
            } else {
                "/lib/modules"
            };
            let dep = format!("{base}/{k}/modules.dep");
            if matches!(guard::inspect(ctx.root, &dep), Ok(Node::File(_))) {
                let root = ctx.root_str();
                let argv = if ctx.live {
                    vec!["depmod", k]
                } else {
                    vec!["depmod", "-b", root.as_str(), k]
                };
                ctx.command("command", &CommandSpec::new(argv), tolerate)?;
            } else {
                ctx.note(
                    "check",
                    "checked",
                    Some(format!("{dep} does not exist; depmod not needed")),
                );
            }
        }
    }
    Ok(())
}

/// `base` + a symlink target, resolved lexically inside the root.
fn lexical(dir: &str, target: &str) -> String {
    let joined = if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("{dir}/{target}")
    };
    let mut out: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

fn remove_ca(
    ctx: &mut Ctx,
    g: &PathGuard,
    sha: &str,
    paths: &[String],
    link_dirs: &[String],
    conf: Option<&str>,
    refresh: &[String],
) -> Result<(), String> {
    for p in paths {
        let node = guard::inspect(ctx.root, p).map_err(|e| {
            ctx.fs("check", p, "failed", Some(e.to_string()));
            e.to_string()
        })?;
        match node {
            Node::Absent => {}
            Node::Symlink => {
                delete(ctx, g, p)?;
            }
            Node::File(content) => {
                let fps = pem::fingerprints(&content);
                let matching = fps.iter().filter(|f| f.as_deref() == Some(sha)).count();
                let others = fps.len() - matching;
                if matching == 0 {
                    continue;
                }
                if others == 0 && !is_bundle_path(p) {
                    delete(ctx, g, p)?;
                } else {
                    let (new, n) = pem::strip(&content, sha);
                    match guard::replace_file(ctx.root, p, &new) {
                        Ok(()) => ctx.fs(
                            "edit",
                            p,
                            "ok",
                            Some(format!(
                                "removed {n} PEM block(s) with SHA-256 {sha}; {others} other certificate(s) kept; new content SHA-256 {}",
                                pem::sha256_hex(&new)
                            )),
                        ),
                        Err(e) => {
                            ctx.fs("edit", p, "failed", Some(e.to_string()));
                            return Err(e.to_string());
                        }
                    }
                }
            }
            Node::Dir | Node::Other => {
                let msg = format!("{p}: not a certificate file (a directory or special file); refusing to edit it");
                ctx.fs("check", p, "failed", Some(msg.clone()));
                return Err(msg);
            }
        }
    }
    // Named files that are gone now (this run or an earlier one).
    let mut gone: BTreeSet<String> = BTreeSet::new();
    for p in paths {
        if matches!(guard::inspect(ctx.root, p), Ok(Node::Absent)) {
            gone.insert(p.clone());
        }
    }
    for dir in link_dirs {
        let entries = guard::list_dir(ctx.root, dir)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let mut links: BTreeMap<String, String> = BTreeMap::new();
        for e in entries {
            if e.is_link {
                let link = format!("{dir}/{}", e.name);
                if let Some(t) = guard::read_link(ctx.root, &link).map_err(|e| e.to_string())? {
                    links.insert(link, lexical(dir, &t));
                }
            }
        }
        loop {
            let next: Vec<(String, String)> = links
                .iter()
                .filter(|(l, t)| !gone.contains(*l) && gone.contains(*t))
                .map(|(l, t)| (l.clone(), t.clone()))
                .collect();
            if next.is_empty() {
                break;
            }
            for (link, target) in next {
                unlink(ctx, &link, &format!("pointed to {target}, which is gone"))?;
                gone.insert(link);
            }
        }
    }
    if let Some(conf) = conf {
        deselect(ctx, conf, &gone)?;
    }
    if ctx.live && ctx.changed && !refresh.is_empty() {
        ctx.command("command", &CommandSpec::new(refresh), |o| {
            if o.not_found() {
                Judge::Ignored(format!(
                    "{} is not installed; the bundles were edited directly",
                    o.program
                ))
            } else {
                must(o)
            }
        })?;
    }
    for p in paths {
        if let Ok(Node::File(c)) = guard::inspect(ctx.root, p) {
            if pem::fingerprints(&c)
                .iter()
                .any(|f| f.as_deref() == Some(sha))
            {
                return Err(format!("{p} still holds the certificate {sha}"));
            }
        }
    }
    Ok(())
}

/// Marks certificates from /usr/share/ca-certificates as deselected (`!name`).
fn deselect(ctx: &mut Ctx, conf: &str, gone: &BTreeSet<String>) -> Result<(), String> {
    let rels: Vec<&str> = gone
        .iter()
        .filter_map(|p| p.strip_prefix("/usr/share/ca-certificates/"))
        .collect();
    if rels.is_empty() {
        return Ok(());
    }
    let Ok(Node::File(text)) = guard::inspect(ctx.root, conf) else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut changed = false;
    let new: String = text
        .split_inclusive('\n')
        .map(|line| {
            let bare = line.trim_end_matches(['\n', '\r']);
            if rels.contains(&bare) {
                changed = true;
                format!("!{line}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !changed {
        return Ok(());
    }
    match guard::replace_file(ctx.root, conf, new.as_bytes()) {
        Ok(()) => {
            ctx.fs(
                "edit",
                conf,
                "ok",
                Some(format!("deselected {}", rels.join(", "))),
            );
            Ok(())
        }
        Err(e) => {
            ctx.fs("edit", conf, "failed", Some(e.to_string()));
            Err(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets_resolve_lexically_inside_the_root() {
        assert_eq!(
            lexical("/etc/ssl/certs", "kaspersky-root.pem"),
            "/etc/ssl/certs/kaspersky-root.pem"
        );
        assert_eq!(
            lexical("/etc/ssl/certs", "/usr/local/share/x.crt"),
            "/usr/local/share/x.crt"
        );
        assert_eq!(lexical("/etc/ssl/certs", "../../../../x"), "/x");
    }

    #[test]
    fn apt_simulation_lists_removals() {
        let out = b"NOTE: This is only a simulation!\nRemv kesl-gui [12.1]\nPurg kesl:amd64 [12.1]\nConf x\n";
        let got: Vec<String> = apt_simulated(out).into_iter().collect();
        assert_eq!(got, ["kesl", "kesl-gui"]);
    }
}
