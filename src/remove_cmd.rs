//! `uproot remove`: rescan, print the plan, and with `--apply` carry it out.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use uproot_remediate::{ActionLog, ExecOptions, StepResult};

/// Arguments of `uproot remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
    /// Carry out the plan. Without it, a dry run: the plan is printed and nothing changes.
    #[arg(long)]
    pub apply: bool,
    /// Append-only action log (JSON lines: time, step, command, exit code, output digest, result).
    #[arg(long, value_name = "FILE", default_value = "uproot-actions.jsonl")]
    pub log: PathBuf,
    /// A value the plan asks for, e.g. `--input KLPASSWD=…` (repeatable; an empty value
    /// means "none"). `UPROOT_INPUT_<NAME>` in the environment works too and keeps
    /// passwords out of the process list.
    #[arg(long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,
}

pub fn run(args: &RemoveArgs) -> Result<i32> {
    if args.apply && args.target.report.is_some() {
        bail!("--apply always rescans the target; a saved report (--report) can only be used for a dry run");
    }
    let target = crate::plan_cmd::absolute_target(&args.target)?;
    let report = crate::scan_cmd::target_report(&target)?;
    let plan = uproot_remediate::plan(&report);
    let mut out = std::io::stdout().lock();
    write!(out, "{}", uproot_remediate::render::text(&plan))?;
    let automatic = plan.steps.iter().filter(|s| !s.is_manual()).count();
    if !args.apply {
        writeln!(
            out,
            "\nDRY RUN: nothing was changed. Run again with --apply to carry out the {automatic} automatic step(s)."
        )?;
        return Ok(0);
    }

    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for kv in &args.inputs {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--input {kv:?}: expected NAME=VALUE");
        };
        if !plan.inputs.iter().any(|i| i.name == k) {
            eprintln!("uproot: warning: this plan does not use the input {k}; ignored");
            continue;
        }
        inputs.insert(k.to_owned(), v.to_owned());
    }
    for i in &plan.inputs {
        if !inputs.contains_key(&i.name) {
            if let Ok(v) = std::env::var(format!("UPROOT_INPUT_{}", i.name)) {
                inputs.insert(i.name.clone(), v);
            }
        }
    }

    let live = report.host.live;
    let root = match &target.root {
        Some(r) if !live => r.clone(),
        _ if cfg!(windows) => PathBuf::from(format!(
            "{}\\",
            std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into())
        )),
        _ => PathBuf::from("/"),
    };
    let mut log = ActionLog::open(&args.log)
        .with_context(|| format!("cannot open the action log {}", args.log.display()))?;
    let opts = ExecOptions {
        root,
        live,
        apply: true,
        inputs,
    };
    let result = uproot_remediate::execute_with(&plan, &opts, &mut log)?;

    writeln!(out, "\nAPPLIED (action log: {}):", args.log.display())?;
    for s in &result.steps {
        writeln!(out, "  {:>3}. {:<13} {}", s.id, s.result.as_str(), s.title)?;
        if s.result == StepResult::Failed {
            if let Some(m) = &s.message {
                writeln!(out, "       {m}")?;
            }
        }
    }
    if let Some(id) = &result.failed_step {
        writeln!(
            out,
            "\nFAILED at step {id}; later steps did not run. The action log records what ran and how it ended.\n\
             Fix the cause and run `uproot remove --apply` again: steps already done are skipped."
        )?;
        return Ok(1);
    }
    if result.manual() > 0 {
        writeln!(
            out,
            "\n{} step(s) need a person (see `by hand` above).",
            result.manual()
        )?;
    }
    // What is left, from a fresh scan (`uproot verify` writes the signed record).
    let spec = crate::scan_cmd::ScanSpec::of_root(
        target.root.clone(),
        &target.skip,
        target.deep,
        &target.catalog,
    );
    match crate::scan_cmd::scan(&spec) {
        Ok(after) => {
            let remnants = after.findings.iter().filter(|f| f.remnant).count();
            writeln!(
                out,
                "\nAfter removal: {} finding(s) remain ({remnants} remnant). Run `uproot verify` for the signed evidence record.",
                after.findings.len()
            )?;
        }
        Err(e) => eprintln!("uproot: warning: rescan after removal failed: {e:#}"),
    }
    Ok(0)
}
