//! Carrying out a plan: in order, stopping at the first failed step, logging
//! every action. Without `apply` nothing is run and nothing is written.

pub mod guard;
mod log;
pub mod pem;

#[cfg(unix)]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(windows)]
mod windows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use log::{read_log, ActionLog, LogRecord};

use crate::commands::CommandSpec;
use crate::model::{Action, Plan, Step, SCHEMA};

/// How to execute.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// The root the plan's paths are inside (`/` on a live host).
    pub root: PathBuf,
    /// True on the running system (commands such as `systemctl` and
    /// `modprobe` run only then).
    pub live: bool,
    /// Without it, nothing runs and nothing changes.
    pub apply: bool,
    /// Input values by name (`KLPASSWD`, …). Never logged.
    pub inputs: BTreeMap<String, String>,
}

/// The result of one step.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    /// It changed what it had to.
    Ok,
    /// Its effect was already in place; nothing changed.
    AlreadyDone,
    /// It failed; later steps did not run.
    Failed,
    /// A person must carry it out.
    Manual,
    /// Not run because an earlier step failed.
    NotRun,
    /// Dry run: would run.
    DryRun,
}

impl StepResult {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepResult::Ok => "ok",
            StepResult::AlreadyDone => "already-done",
            StepResult::Failed => "failed",
            StepResult::Manual => "manual",
            StepResult::NotRun => "not-run",
            StepResult::DryRun => "dry-run",
        }
    }
}

/// What happened to one step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepOutcome {
    /// Step id.
    pub id: String,
    /// Step title.
    pub title: String,
    /// Result.
    pub result: StepResult,
    /// Why it failed, or what a manual step asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What an execution did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExecReport {
    /// False for a dry run.
    pub applied: bool,
    /// Run id shared by this run's log records (empty for a dry run).
    pub run: String,
    /// One outcome per step, in order.
    pub steps: Vec<StepOutcome>,
    /// The step that failed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
}

impl ExecReport {
    /// 0 when every applied step succeeded (or this was a dry run), 1 when a step failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failed_step.is_some())
    }

    /// Steps a person still has to carry out.
    pub fn manual(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.result == StepResult::Manual)
            .count()
    }
}

/// Why execution did not start (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Not an `uproot.plan/1` document.
    #[error("not an {SCHEMA} plan (schema {0})")]
    Schema(String),
    /// The plan is for another OS than the one executing it.
    #[error("this plan is for {plan}; {why}")]
    WrongOs {
        /// The plan's OS.
        plan: String,
        /// What would be needed.
        why: String,
    },
    /// Plan made for a live host, execution asked for a root (or the reverse).
    #[error("the plan was made for {planned}, but execution was asked for {asked}; make the plan for the same target")]
    TargetMismatch {
        /// What the plan was made for.
        planned: String,
        /// What execution was asked for.
        asked: String,
    },
    /// Inputs the plan needs were not given.
    #[error("missing input(s) {}: set each with --input NAME=VALUE (an empty value is allowed where the input says so)", .0.join(", "))]
    MissingInputs(Vec<String>),
    /// The root is not a directory.
    #[error("root {path}: {source}")]
    Root {
        /// The root.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The action log could not be written.
    #[error("cannot write the action log: {0}")]
    Log(#[from] std::io::Error),
}

/// Executes `plan` on `root` (see [`execute_with`]).
pub fn execute(
    plan: &Plan,
    root: &Path,
    live: bool,
    apply: bool,
    log: &mut ActionLog,
) -> Result<ExecReport, ExecError> {
    execute_with(
        plan,
        &ExecOptions {
            root: root.to_owned(),
            live,
            apply,
            inputs: BTreeMap::new(),
        },
        log,
    )
}

/// Executes `plan`. Without `opts.apply` it returns the steps as `dry-run`,
/// runs nothing and writes nothing (not even the log). With it, the steps
/// run in order; the first failure stops the run (later steps are
/// `not-run`); every action is appended to `log`.
pub fn execute_with(
    plan: &Plan,
    opts: &ExecOptions,
    log: &mut ActionLog,
) -> Result<ExecReport, ExecError> {
    if plan.schema != SCHEMA {
        return Err(ExecError::Schema(plan.schema.clone()));
    }
    if !opts.apply {
        return Ok(ExecReport {
            applied: false,
            run: String::new(),
            steps: plan
                .steps
                .iter()
                .map(|s| StepOutcome {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    result: if s.is_manual() {
                        StepResult::Manual
                    } else {
                        StepResult::DryRun
                    },
                    message: None,
                })
                .collect(),
            failed_step: None,
        });
    }
    check_os(plan, opts)?;
    if plan.host.live != opts.live {
        let name = |live: bool| {
            if live {
                "the running system".to_owned()
            } else {
                "a root directory".to_owned()
            }
        };
        return Err(ExecError::TargetMismatch {
            planned: name(plan.host.live),
            asked: name(opts.live),
        });
    }
    let missing: Vec<String> = plan
        .inputs
        .iter()
        .filter(|i| !opts.inputs.contains_key(&i.name))
        .map(|i| i.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ExecError::MissingInputs(missing));
    }
    let root = std::fs::canonicalize(&opts.root).map_err(|e| ExecError::Root {
        path: opts.root.display().to_string(),
        source: e,
    })?;
    if !root.is_dir() {
        return Err(ExecError::Root {
            path: root.display().to_string(),
            source: std::io::Error::other("not a directory"),
        });
    }
    let run = format!(
        "{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
        std::process::id()
    );
    let plan_digest = pem::sha256_hex(&serde_json::to_vec(plan).unwrap_or_default());
    log.append(LogRecord {
        time: uproot_report::rfc3339_now(),
        run: run.clone(),
        step: None,
        action: "run".into(),
        op: "run-start".into(),
        argv: None,
        path: Some(root.display().to_string()),
        exit_code: None,
        output_sha256: Some(plan_digest),
        duration_ms: 0,
        result: "started".into(),
        message: Some(format!(
            "{} plan for {} ({}), {} step(s); output_sha256 is the plan's digest",
            plan.os,
            plan.host.hostname,
            if opts.live { "live" } else { "root" },
            plan.steps.len()
        )),
    })?;
    let started = Instant::now();
    let mut outcomes = Vec::new();
    let mut failed: Option<String> = None;
    for step in &plan.steps {
        if failed.is_some() {
            outcomes.push(StepOutcome {
                id: step.id.clone(),
                title: step.title.clone(),
                result: StepResult::NotRun,
                message: None,
            });
            continue;
        }
        let t = Instant::now();
        let mut ctx = Ctx {
            root: &root,
            live: opts.live,
            distro: plan.host.distro.as_deref(),
            inputs: &opts.inputs,
            log: &mut *log,
            run: &run,
            step: &step.id,
            action: step.action.kind(),
            changed: false,
            log_error: None,
        };
        let (result, message) = match &step.action {
            Action::Manual { instructions } => {
                ctx.note("manual", "manual", Some(instructions.clone()));
                (StepResult::Manual, Some(instructions.clone()))
            }
            _ => match run_step(&mut ctx, step) {
                Ok(()) if ctx.changed => (StepResult::Ok, None),
                Ok(()) => (StepResult::AlreadyDone, None),
                Err(e) => (StepResult::Failed, Some(e)),
            },
        };
        if let Some(e) = ctx.log_error.take() {
            return Err(ExecError::Log(e));
        }
        log.append(LogRecord {
            time: uproot_report::rfc3339_now(),
            run: run.clone(),
            step: Some(step.id.clone()),
            action: step.action.kind().into(),
            op: "step".into(),
            argv: None,
            path: None,
            exit_code: None,
            output_sha256: None,
            duration_ms: t.elapsed().as_millis() as u64,
            result: result.as_str().into(),
            message: message.clone().or_else(|| Some(step.title.clone())),
        })?;
        if result == StepResult::Failed {
            failed = Some(step.id.clone());
        }
        outcomes.push(StepOutcome {
            id: step.id.clone(),
            title: step.title.clone(),
            result,
            message,
        });
    }
    log.append(LogRecord {
        time: uproot_report::rfc3339_now(),
        run: run.clone(),
        step: failed.clone(),
        action: "run".into(),
        op: "run-end".into(),
        argv: None,
        path: None,
        exit_code: None,
        output_sha256: None,
        duration_ms: started.elapsed().as_millis() as u64,
        result: if failed.is_some() { "failed" } else { "ok" }.into(),
        message: failed.as_ref().map(|s| format!("stopped at step {s}")),
    })?;
    Ok(ExecReport {
        applied: true,
        run,
        steps: outcomes,
        failed_step: failed,
    })
}

fn check_os(plan: &Plan, opts: &ExecOptions) -> Result<(), ExecError> {
    let here = std::env::consts::OS;
    let ok = match plan.os.as_str() {
        // Linux steps: a live Linux host, or a root from any Unix host.
        "linux" => (opts.live && here == "linux") || (!opts.live && cfg!(unix)),
        "windows" => opts.live && cfg!(windows),
        "macos" => opts.live && cfg!(target_os = "macos"),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(ExecError::WrongOs {
        plan: plan.os.clone(),
        why: match plan.os.as_str() {
            "linux" => format!("Linux steps run on a live Linux host or on a root directory from a Unix host, not on {here}"),
            os => format!("{os} steps run only on that system itself (uproot remove --apply there, without --root), not on {here}; use `uproot plan --format script` to review them here"),
        },
    })
}

fn run_step(ctx: &mut Ctx, step: &Step) -> Result<(), String> {
    #[cfg(unix)]
    if let Some(r) = linux::run(ctx, step) {
        return r;
    }
    #[cfg(target_os = "macos")]
    if let Some(r) = macos::run(ctx, step) {
        return r;
    }
    #[cfg(windows)]
    if let Some(r) = windows::run(ctx, step) {
        return r;
    }
    Err(format!(
        "a {} step cannot run on {}",
        step.action.kind(),
        std::env::consts::OS
    ))
}

/// The output of a command.
#[derive(Debug, Default)]
pub(crate) struct CmdOut {
    /// The program that ran.
    pub program: String,
    /// Exit code (None: not started, or killed by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Why it could not start.
    pub spawn_error: Option<std::io::ErrorKind>,
}

impl CmdOut {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    #[cfg_attr(windows, allow(dead_code))]
    pub fn not_found(&self) -> bool {
        self.spawn_error == Some(std::io::ErrorKind::NotFound)
    }

    /// The last lines of stderr (or stdout), for a log message.
    pub fn tail(&self) -> String {
        let text = if self.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
            &self.stderr
        } else {
            &self.stdout
        };
        let s = String::from_utf8_lossy(text);
        let s = s.trim();
        let start = s.char_indices().rev().nth(600).map(|(i, _)| i).unwrap_or(0);
        s[start..].to_owned()
    }
}

/// How a command's result counts.
pub(crate) enum Judge {
    /// It changed the system.
    Changed,
    /// It ran and changed nothing (a check).
    Checked,
    /// It failed, and the failure does not matter (logged as `ignored`).
    Ignored(String),
    /// The step fails.
    Failed(String),
}

/// What a step's actions share: where to log, the root, whether anything changed.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) struct Ctx<'a> {
    pub root: &'a Path,
    pub live: bool,
    pub distro: Option<&'a str>,
    #[cfg_attr(not(windows), allow(dead_code))]
    pub inputs: &'a BTreeMap<String, String>,
    log: &'a mut ActionLog,
    run: &'a str,
    step: &'a str,
    action: &'static str,
    pub changed: bool,
    log_error: Option<std::io::Error>,
}

impl Ctx<'_> {
    /// The root as a string for command lines.
    #[cfg_attr(windows, allow(dead_code))]
    pub fn root_str(&self) -> String {
        self.root.display().to_string()
    }

    fn record(&mut self, mut rec: LogRecord) {
        rec.run = self.run.to_owned();
        rec.step = Some(self.step.to_owned());
        rec.action = self.action.to_owned();
        if let Err(e) = self.log.append(rec) {
            self.log_error.get_or_insert(e);
        }
    }

    /// Logs a note (no command, no file).
    pub fn note(&mut self, op: &str, result: &str, message: Option<String>) {
        self.record(LogRecord {
            time: uproot_report::rfc3339_now(),
            run: String::new(),
            step: None,
            action: String::new(),
            op: op.into(),
            argv: None,
            path: None,
            exit_code: None,
            output_sha256: None,
            duration_ms: 0,
            result: result.into(),
            message,
        });
    }

    /// Logs a file operation.
    pub fn fs(&mut self, op: &str, path: &str, result: &str, message: Option<String>) {
        if result == "ok" {
            self.changed = true;
        }
        self.record(LogRecord {
            time: uproot_report::rfc3339_now(),
            run: String::new(),
            step: None,
            action: String::new(),
            op: op.into(),
            argv: None,
            path: Some(path.to_owned()),
            exit_code: None,
            output_sha256: None,
            duration_ms: 0,
            result: result.into(),
            message,
        });
    }

    /// Runs a command (argv, no shell), logs it, and judges the result.
    pub fn command(
        &mut self,
        op: &str,
        spec: &CommandSpec,
        judge: impl FnOnce(&CmdOut) -> Judge,
    ) -> Result<CmdOut, String> {
        let t = Instant::now();
        let out = spawn(spec);
        let ms = t.elapsed().as_millis() as u64;
        let verdict = judge(&out);
        let (result, message, err) = match verdict {
            Judge::Changed => {
                self.changed = true;
                ("ok", None, None)
            }
            Judge::Checked => ("checked", None, None),
            Judge::Ignored(m) => ("ignored", Some(m), None),
            Judge::Failed(m) => ("failed", Some(m.clone()), Some(m)),
        };
        let mut all = out.stdout.clone();
        all.extend_from_slice(&out.stderr);
        self.record(LogRecord {
            time: uproot_report::rfc3339_now(),
            run: String::new(),
            step: None,
            action: String::new(),
            op: op.into(),
            argv: Some(spec.shown()),
            path: None,
            exit_code: out.code,
            output_sha256: out.spawn_error.is_none().then(|| pem::sha256_hex(&all)),
            duration_ms: ms,
            result: result.into(),
            message,
        });
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// Runs argv directly (never through a shell), stdin closed, `LC_ALL=C`.
fn spawn(spec: &CommandSpec) -> CmdOut {
    let Some((program, args)) = spec.argv.split_first() else {
        return CmdOut {
            spawn_error: Some(std::io::ErrorKind::InvalidInput),
            ..CmdOut::default()
        };
    };
    let mut cmd = Command::new(program);
    #[cfg(windows)]
    let raw = windows::raw_args(&mut cmd, spec);
    #[cfg(not(windows))]
    let raw = false;
    if !raw {
        cmd.args(args);
    }
    cmd.env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(o) => CmdOut {
            program: program.clone(),
            code: o.status.code(),
            stdout: o.stdout,
            stderr: o.stderr,
            spawn_error: None,
        },
        Err(e) => CmdOut {
            program: program.clone(),
            stderr: format!("{program}: {e}").into_bytes(),
            spawn_error: Some(e.kind()),
            ..CmdOut::default()
        },
    }
}

/// A command that must succeed.
pub(crate) fn must(out: &CmdOut) -> Judge {
    if out.ok() {
        Judge::Changed
    } else {
        Judge::Failed(format!(
            "`{}` failed ({}): {}",
            out.program,
            out.code
                .map(|c| format!("exit {c}"))
                .unwrap_or_else(|| "did not run".into()),
            out.tail()
        ))
    }
}

/// A command whose failure is logged and tolerated.
pub(crate) fn tolerate(out: &CmdOut) -> Judge {
    if out.ok() {
        Judge::Changed
    } else {
        Judge::Ignored(format!(
            "{}: {}",
            out.code
                .map(|c| format!("exit {c}"))
                .unwrap_or_else(|| "did not run".into()),
            out.tail()
        ))
    }
}

/// A read-only check.
pub(crate) fn check(_: &CmdOut) -> Judge {
    Judge::Checked
}

/// Finds a program on PATH.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            let f = d.join(program);
            f.is_file() || f.with_extension("exe").is_file()
        })
    })
}

/// Deletes one named path through the guard and logs it. True when something was removed.
pub(crate) fn delete(ctx: &mut Ctx, g: &guard::PathGuard, path: &str) -> Result<bool, String> {
    match g.remove(ctx.root, path) {
        Ok(guard::Removed::Absent) => {
            ctx.fs("delete", path, "already-done", Some("not present".into()));
            Ok(false)
        }
        Ok(r) => {
            let what = match r {
                guard::Removed::File => "file removed".to_owned(),
                guard::Removed::Symlink => {
                    "symlink removed (its target was not touched)".to_owned()
                }
                guard::Removed::Dir { entries } => {
                    format!("directory removed with {entries} entries below it")
                }
                guard::Removed::Absent => unreachable!(),
            };
            ctx.fs("delete", path, "ok", Some(what));
            Ok(true)
        }
        Err(e) => {
            ctx.fs("delete", path, "failed", Some(e.to_string()));
            Err(e.to_string())
        }
    }
}
