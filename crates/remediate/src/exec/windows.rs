//! Windows steps, on the running system only. Thin: each is one command with
//! an "already done?" check first; files go through the deletion guard.

use std::os::windows::process::CommandExt;
use std::process::Command;

use super::guard::PathGuard;
use super::{check, delete, must, tolerate, Ctx, Judge};
use crate::commands::{self, CommandSpec};
use crate::model::{Action, Step};

pub(super) fn run(ctx: &mut Ctx, step: &Step) -> Option<Result<(), String>> {
    let g = PathGuard::for_step(step);
    Some(match &step.action {
        Action::MsiUninstall {
            product_code,
            properties,
            ..
        } => {
            let spec = commands::msiexec(product_code, properties, Some(ctx.inputs));
            ctx.command("command", &spec, |o| match o.code {
                Some(0) | Some(1641) | Some(3010) => Judge::Changed,
                // ERROR_UNKNOWN_PRODUCT: not installed (any more).
                Some(1605) => Judge::Checked,
                _ => Judge::Failed(format!(
                    "msiexec exit {:?} (1603 is a generic failure; with Kaspersky often a wrong or missing uninstall password): {}",
                    o.code,
                    o.tail()
                )),
            })
            .map(|_| ())
        }
        Action::WindowsRemoveCertificate {
            store, thumbprint, ..
        } => (|| {
            let probe = ctx.command(
                "check",
                &CommandSpec::new([
                    "certutil.exe",
                    "-store",
                    store.as_str(),
                    thumbprint.as_str(),
                ]),
                check,
            )?;
            if !probe.ok() {
                return Ok(());
            }
            ctx.command(
                "command",
                &CommandSpec::new([
                    "certutil.exe",
                    "-delstore",
                    store.as_str(),
                    thumbprint.as_str(),
                ]),
                must,
            )
            .map(|_| ())
        })(),
        Action::WindowsDeleteService { name, .. } => (|| {
            let q = ctx.command(
                "check",
                &CommandSpec::new(["sc.exe", "query", name.as_str()]),
                check,
            )?;
            // ERROR_SERVICE_DOES_NOT_EXIST
            if q.code == Some(1060) {
                return Ok(());
            }
            ctx.command(
                "command",
                &CommandSpec::new(["sc.exe", "stop", name.as_str()]),
                tolerate,
            )?;
            ctx.command(
                "command",
                &CommandSpec::new(["sc.exe", "delete", name.as_str()]),
                |o| {
                    // 1072: already marked for deletion (gone after a reboot).
                    if o.ok() || o.code == Some(1072) {
                        Judge::Changed
                    } else {
                        must(o)
                    }
                },
            )
            .map(|_| ())
        })(),
        Action::WindowsDeleteRegistryKey { key } => (|| {
            let q = ctx.command(
                "check",
                &CommandSpec::new(["reg.exe", "query", key.as_str()]),
                check,
            )?;
            if !q.ok() {
                return Ok(());
            }
            ctx.command(
                "command",
                &CommandSpec::new(["reg.exe", "delete", key.as_str(), "/f"]),
                must,
            )
            .map(|_| ())
        })(),
        Action::DeletePath { paths, .. } => paths
            .iter()
            .try_for_each(|p| delete(ctx, &g, p).map(|_| ())),
        _ => return None,
    })
}

/// msiexec reads `PROP="value"`; Rust would quote the whole argument, so
/// msiexec's arguments are passed raw with their values quoted its way.
pub(super) fn raw_args(cmd: &mut Command, spec: &CommandSpec) -> bool {
    if !spec
        .argv
        .first()
        .is_some_and(|p| p.eq_ignore_ascii_case("msiexec.exe"))
    {
        return false;
    }
    for a in &spec.argv[1..] {
        match a.split_once('=') {
            Some((k, v)) => {
                cmd.raw_arg(format!("{k}=\"{}\"", v.replace('"', "\"\"")));
            }
            None => {
                cmd.arg(a);
            }
        }
    }
    true
}
