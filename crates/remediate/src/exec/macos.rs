//! macOS steps, on the running Mac only. Thin: each is one or two commands
//! with an "already done?" check first; files go through the deletion guard.

use std::os::unix::fs::MetadataExt;

use super::guard::{self, Node, PathGuard};
use super::{check, delete, must, tolerate, Ctx};
use crate::commands::CommandSpec;
use crate::model::{Action, Step};

pub(super) fn run(ctx: &mut Ctx, step: &Step) -> Option<Result<(), String>> {
    let g = PathGuard::for_step(step);
    Some(match &step.action {
        Action::LaunchdRemove {
            label,
            plist,
            domain,
        } => launchd(ctx, &g, label, plist, domain),
        Action::PkgutilForget { id } => forget(ctx, id),
        Action::KextUnload { bundle_id } => kext(ctx, bundle_id),
        Action::SystemExtensionUninstall { team_id, bundle_id } => sysext(ctx, team_id, bundle_id),
        Action::MacRemoveCertificate { sha1, keychain } => cert(ctx, sha1, keychain),
        _ => return None,
    })
}

/// The uid of the user at the console (owner of /dev/console).
fn console_uid() -> u32 {
    std::fs::metadata("/dev/console")
        .map(|m| m.uid())
        .unwrap_or(0)
}

fn launchd(
    ctx: &mut Ctx,
    g: &PathGuard,
    label: &str,
    plist: &str,
    domain: &str,
) -> Result<(), String> {
    if matches!(guard::inspect(ctx.root, plist), Ok(Node::Absent)) {
        return Ok(());
    }
    let target = if domain == "system" {
        format!("system/{label}")
    } else {
        format!("gui/{}/{label}", console_uid())
    };
    // Not loaded is fine: bootout then fails and the plist is still deleted.
    ctx.command(
        "command",
        &CommandSpec::new(["launchctl", "bootout", target.as_str()]),
        tolerate,
    )?;
    delete(ctx, g, plist).map(|_| ())
}

fn forget(ctx: &mut Ctx, id: &str) -> Result<(), String> {
    let info = ctx.command(
        "check",
        &CommandSpec::new(["pkgutil", "--pkg-info", id]),
        check,
    )?;
    if !info.ok() {
        return Ok(());
    }
    ctx.command(
        "command",
        &CommandSpec::new(["pkgutil", "--forget", id]),
        must,
    )
    .map(|_| ())
}

fn kext(ctx: &mut Ctx, bundle: &str) -> Result<(), String> {
    let loaded = ctx.command(
        "check",
        &CommandSpec::new(["kmutil", "showloaded", "--list-only"]),
        check,
    )?;
    let listed = if loaded.not_found() {
        let old = ctx.command("check", &CommandSpec::new(["kextstat", "-l"]), check)?;
        String::from_utf8_lossy(&old.stdout).contains(bundle)
    } else {
        String::from_utf8_lossy(&loaded.stdout).contains(bundle)
    };
    if !listed {
        return Ok(());
    }
    let spec = if loaded.not_found() {
        CommandSpec::new(["kextunload", "-b", bundle])
    } else {
        CommandSpec::new(["kmutil", "unload", "-b", bundle])
    };
    ctx.command("command", &spec, must).map(|_| ())
}

fn sysext(ctx: &mut Ctx, team: &str, bundle: &str) -> Result<(), String> {
    let list = ctx.command(
        "check",
        &CommandSpec::new(["systemextensionsctl", "list"]),
        check,
    )?;
    if !String::from_utf8_lossy(&list.stdout).contains(bundle) {
        return Ok(());
    }
    ctx.command(
        "command",
        &CommandSpec::new(["systemextensionsctl", "uninstall", team, bundle]),
        must,
    )
    .map(|_| ())
}

fn cert(ctx: &mut Ctx, sha1: &str, keychain: &str) -> Result<(), String> {
    let keychain = format!("{}{keychain}", ctx.root_str().trim_end_matches('/'));
    let found = ctx.command(
        "check",
        &CommandSpec::new([
            "security",
            "find-certificate",
            "-a",
            "-Z",
            keychain.as_str(),
        ]),
        check,
    )?;
    if !String::from_utf8_lossy(&found.stdout)
        .to_uppercase()
        .contains(sha1)
    {
        return Ok(());
    }
    ctx.command(
        "command",
        &CommandSpec::new([
            "security",
            "delete-certificate",
            "-Z",
            sha1,
            keychain.as_str(),
        ]),
        must,
    )
    .map(|_| ())
}
