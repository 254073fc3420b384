//! Removal: findings → a plan of ordered steps → execution with a log.
//!
//! Data flows one way, through plain types:
//!
//! ```text
//! Report ──plan()──▶ Plan (uproot.plan/1) ──execute()──▶ ExecReport + action log (JSON lines)
//!                      │
//!                      └─ render::{text, json, script}
//! ```
//!
//! * [`plan`] is pure: it reads only the report. Each [`Step`] says what it
//!   changes and how it is verified, names the findings it removes, and lists
//!   the [`Input`]s it needs (Kaspersky uninstall passwords, never guessed).
//! * [`execute_with`] runs the steps in order on a live Linux host or a Linux
//!   root directory (Windows and macOS steps, through the same [`Action`]
//!   enum, only on that system itself). Without `apply` it runs nothing and
//!   writes nothing. It stops at the first failed step; every action goes to an
//!   append-only JSON-lines [`ActionLog`]. A step whose effect is already in
//!   place is `already-done`, so a second run completes what a failed one left.
//! * Every deletion goes through [`exec::guard::PathGuard`], which refuses a
//!   path the step does not name, never follows a symlink, and never deletes
//!   a system directory. Commands run as argv lists, never through a shell.
//!
//! ```
//! use uproot_remediate::{plan, render};
//! let report = uproot_report::Report::new(Default::default(), Default::default(),
//!     Default::default(), vec![], vec![], "2026-11-28T00:00:00Z".into());
//! let p = plan(&report);
//! assert_eq!(p.schema, "uproot.plan/1");
//! assert!(p.steps.is_empty());
//! assert!(render::text(&p).contains("Nothing to remove"));
//! ```
#![deny(missing_docs)]

pub mod commands;
pub mod exec;
mod model;
mod planner;
pub mod render;
pub mod safe;

pub use exec::guard::{GuardError, PathGuard, Removed};
pub use exec::{
    execute, execute_with, read_log, ActionLog, ExecError, ExecOptions, ExecReport, LogRecord,
    StepOutcome, StepResult,
};
pub use model::{
    Action, InitSystem, Input, MsiProperty, PackageManager, Plan, PlanSource, Step, Unplanned,
    SCHEMA,
};
pub use planner::plan;
