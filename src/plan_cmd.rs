//! `uproot plan`: the ordered removal steps for each finding, as text, JSON
//! (`uproot.plan/1`) or a reviewed, idempotent script.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

/// Arguments of `uproot plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
    /// Output format: text for people, the `uproot.plan/1` JSON document, or a
    /// script (POSIX sh for Linux and macOS, PowerShell for Windows).
    #[arg(long, short, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Write the plan here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    /// For people: each step with what it runs, changes and verifies.
    Text,
    /// The versioned `uproot.plan/1` document.
    Json,
    /// An idempotent removal script to review and run (sh or PowerShell).
    Script,
}

/// The target with `--root` made absolute, so plans and scripts name the
/// same directory wherever they are run from.
pub fn absolute_target(t: &crate::cli::TargetArgs) -> Result<crate::cli::TargetArgs> {
    let mut t = t.clone();
    if let Some(root) = &t.root {
        t.root = Some(
            std::fs::canonicalize(root)
                .with_context(|| format!("cannot use root {}", root.display()))?,
        );
    }
    Ok(t)
}

pub fn run(args: &PlanArgs) -> Result<i32> {
    let report = crate::scan_cmd::target_report(&absolute_target(&args.target)?)?;
    let plan = uproot_remediate::plan(&report);
    let text = match args.format {
        PlanFormat::Text => uproot_remediate::render::text(&plan),
        PlanFormat::Json => uproot_remediate::render::json(&plan),
        PlanFormat::Script => uproot_remediate::render::script(&plan),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            #[cfg(unix)]
            if args.format == PlanFormat::Script {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("cannot make {} executable", path.display()))?;
            }
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r.context("cannot write to standard output")?,
            }
        }
    }
    Ok(0)
}
