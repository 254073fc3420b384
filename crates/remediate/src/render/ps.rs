//! The PowerShell script for Windows plans.
//!
//! Every value from the plan is a single-quoted PowerShell string. Inputs are
//! read from `UPROOT_INPUT_<NAME>` environment variables (as `uproot remove`
//! reads them) and must be set; an empty value is allowed and means "no
//! password". Each step checks first whether its effect is in place, so
//! running the script twice is safe.

use std::fmt::Write;

use crate::model::{Action, Plan, Step};
use crate::safe::{printable, ps_quote as q};

const PRELUDE: &str = r#"function Say([string]$m) { Write-Host "uproot: $m" }
function Hex-UTF16LE([string]$s) { ([Text.Encoding]::Unicode.GetBytes($s) | ForEach-Object { '{0:X2}' -f $_ }) -join '' }
function Invoke-Msi([string[]]$ArgumentList) { (Start-Process -FilePath msiexec.exe -ArgumentList $ArgumentList -Wait -PassThru).ExitCode }
# PROP="value" as msiexec reads it; an empty value leaves the property off
# (callers wrap the call in @() so "nothing" stays an empty array).
function MsiProp([string]$k, [string]$v) { if ($v -eq '') { return @() }; return @("$k=`"$($v -replace '"', '""')`"") }
function Test-Link($item) { [bool]($item.Attributes -band [IO.FileAttributes]::ReparsePoint) }

# Deletes a path the plan names (relative to the system drive). A link or
# junction is removed itself; rmdir /s does not follow junctions inside a tree.
function Remove-NamedPath([string]$rel) {
    $p = $env:SystemDrive + $rel
    $parent = Split-Path -Path $p -Parent
    while ($parent -and $parent.Length -gt 3) {
        $i = Get-Item -LiteralPath $parent -Force -ErrorAction SilentlyContinue
        if ($i -and (Test-Link $i)) { throw "refusing ${p}: $parent is a link" }
        $parent = Split-Path -Path $parent -Parent
    }
    $item = Get-Item -LiteralPath $p -Force -ErrorAction SilentlyContinue
    if (-not $item) { Say "already gone: $p"; return }
    if (Test-Link $item) {
        if ($item.PSIsContainer) { [IO.Directory]::Delete($p, $false) } else { [IO.File]::Delete($p) }
    } elseif ($item.PSIsContainer) {
        & cmd.exe /d /c rmdir /s /q "$p"
        if (Test-Path -LiteralPath $p) { throw "cannot delete $p" }
    } else {
        Remove-Item -LiteralPath $p -Force
    }
    Say "deleted $p"
}
"#;

pub(super) fn render(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#Requires -RunAsAdministrator");
    let _ = writeln!(
        s,
        "# uproot removal script ({}, uproot {})",
        plan.schema, plan.tool.version
    );
    let _ = writeln!(
        s,
        "# Host {} (windows), from the scan of {} (catalog {}).",
        printable(&plan.host.hostname),
        plan.source.report_generated_at,
        plan.source.catalog_version
    );
    let _ = writeln!(s, "#\n# This script REMOVES:");
    for st in plan.steps.iter().filter(|st| !st.is_manual()) {
        let _ = writeln!(s, "#   {:>2}. {}", st.id, printable(&st.title));
    }
    if plan.steps.iter().any(|st| st.is_manual()) {
        let _ = writeln!(s, "# Steps a person carries out (printed, not run):");
        for st in plan.steps.iter().filter(|st| st.is_manual()) {
            let _ = writeln!(s, "#   {:>2}. {}", st.id, printable(&st.title));
        }
    }
    let _ = writeln!(
        s,
        "#\n# Review it, then run it in an elevated PowerShell on that host. It is\n\
         # idempotent: each step checks whether its effect is already in place and\n\
         # skips it, so it can be run again after a failure or a reboot. It stops at\n\
         # the first failing step."
    );
    let _ = writeln!(
        s,
        "Set-StrictMode -Version 2.0\n$ErrorActionPreference = 'Stop'\n"
    );
    if !plan.inputs.is_empty() {
        let _ = writeln!(
            s,
            "# ---------------------------------------------------------------- inputs"
        );
        let _ = writeln!(
            s,
            "# Set each as an environment variable before running; never guessed."
        );
        for i in &plan.inputs {
            let _ = writeln!(
                s,
                "# {} ({}): {}",
                i.name,
                if i.secret { "secret" } else { "not secret" },
                printable(&i.description)
            );
            let _ = writeln!(s, "${} = $env:UPROOT_INPUT_{}", i.name, i.name);
            let _ = writeln!(
                s,
                "if ($null -eq ${n}) {{ throw {} }}",
                q(&format!(
                    "Input {n} is not set: set $env:UPROOT_INPUT_{n} (it may be empty) and run again.",
                    n = i.name
                )),
                n = i.name
            );
        }
        let _ = writeln!(s);
    }
    s.push_str(PRELUDE);
    for st in &plan.steps {
        step(&mut s, st);
    }
    let _ = writeln!(
        s,
        "\n# ---------------------------------------------------------------- run"
    );
    for st in &plan.steps {
        let _ = writeln!(s, "Step{}", st.id);
    }
    let _ = writeln!(s, "Say 'all {} step(s) done'", plan.steps.len());
    s
}

fn step(s: &mut String, st: &Step) {
    let id = &st.id;
    let _ = writeln!(
        s,
        "\n# ---------------------------------------------------------------- step {id}"
    );
    let _ = writeln!(s, "# {}", printable(&st.title));
    let _ = writeln!(s, "# Changes: {}", printable(&st.changes));
    let _ = writeln!(s, "# Verify:  {}", printable(&st.verify));
    let _ = writeln!(s, "function Step{id} {{");
    let already = format!("Say {}; return", q(&format!("step {id}: already done")));
    let done = format!("    Say {}", q(&format!("step {id}: done")));
    match &st.action {
        Action::MsiUninstall {
            product_code,
            properties,
            ..
        } => {
            let _ = writeln!(s, "    $code = {}", q(product_code));
            let _ = writeln!(s, "    $keys = @(\"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$code\", \"HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$code\")");
            let _ = writeln!(s, "    if (-not ($keys | Where-Object {{ Test-Path -LiteralPath $_ }})) {{ {already} }}");
            let mut args = String::from("@('/x', $code)");
            for p in properties {
                let value = if p.encoding.as_deref() == Some("utf16le-hex") {
                    format!("(Hex-UTF16LE ${})", p.input)
                } else {
                    format!("${}", p.input)
                };
                args.push_str(&format!(" + @(MsiProp {} {value})", q(&p.property)));
            }
            args.push_str(" + @('/qn', '/norestart')");
            let _ = writeln!(s, "    $rc = Invoke-Msi ({args})");
            let _ = writeln!(s, "    if ($rc -notin 0, 1605, 1641, 3010) {{ throw \"step {id}: msiexec exit $rc (1603 with Kaspersky: often a wrong or missing uninstall password)\" }}");
            let _ = writeln!(
                s,
                "    Say \"step {id}: done (msiexec exit $rc; 3010 = reboot needed)\""
            );
        }
        Action::WindowsRemoveCertificate {
            store_location,
            store,
            thumbprint,
        } => {
            let _ = writeln!(
                s,
                "    $c = {}",
                q(&format!("Cert:\\{store_location}\\{store}\\{thumbprint}"))
            );
            let _ = writeln!(
                s,
                "    if (-not (Test-Path -LiteralPath $c)) {{ {already} }}"
            );
            let _ = writeln!(s, "    Remove-Item -LiteralPath $c");
            let _ = writeln!(s, "{done}");
        }
        Action::WindowsDeleteService { name, .. } => {
            let _ = writeln!(
                s,
                "    $k = {}",
                q(&format!(
                    "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\{name}"
                ))
            );
            let _ = writeln!(
                s,
                "    if (-not (Test-Path -LiteralPath $k)) {{ {already} }}"
            );
            let _ = writeln!(s, "    & sc.exe stop {} | Out-Null", q(name));
            let _ = writeln!(s, "    & sc.exe delete {}", q(name));
            let _ = writeln!(s, "    if ($LASTEXITCODE -notin 0, 1072) {{ throw \"step {id}: sc.exe delete exit $LASTEXITCODE\" }}");
            let _ = writeln!(s, "{done}");
        }
        Action::WindowsDeleteRegistryKey { key } => {
            let ps_key = key.replacen("HKLM\\", "HKLM:\\", 1);
            let _ = writeln!(s, "    $k = {}", q(&ps_key));
            let _ = writeln!(
                s,
                "    if (-not (Test-Path -LiteralPath $k)) {{ {already} }}"
            );
            let _ = writeln!(s, "    Remove-Item -LiteralPath $k -Recurse -Force");
            let _ = writeln!(s, "{done}");
        }
        Action::DeletePath { paths, .. } => {
            for p in paths {
                let _ = writeln!(s, "    Remove-NamedPath {}", q(&p.replace('/', "\\")));
            }
        }
        Action::Manual { instructions } => {
            let _ = writeln!(
                s,
                "    Say {}",
                q(&format!(
                    "step {id} is for a person: {}",
                    printable(instructions)
                ))
            );
        }
        other => {
            let _ = writeln!(
                s,
                "    throw {}",
                q(&format!(
                    "step {id}: a {} step cannot run on Windows",
                    other.kind()
                ))
            );
        }
    }
    let _ = writeln!(s, "}}");
}
