//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find covered-vendor software (Kaspersky, Huawei, ZTE, Hytera, Hikvision,
/// Dahua) on a host or a mounted image, and report it with the legal
/// authority and the action each finding requires.
///
/// Exit codes: 0 clean, 1 covered software found, 2 error (or a source
/// could not be read and nothing was found).
#[derive(Debug, Parser)]
#[command(name = "uproot", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a host (live) or a mounted disk image / unpacked container root.
    ///
    /// Reads package databases (dpkg, rpm in sqlite/BerkeleyDB/ndb, apk,
    /// pacman, snap, flatpak), systemd units, kernel modules, CA stores, browser
    /// extensions, install paths, processes (live only) and product settings.
    /// Never executes anything it finds and never writes under the root.
    Scan(ScanArgs),
    /// Inspect the covered-vendor catalog: list, show one entry, or lint.
    Catalog(CatalogArgs),
    /// Explainable risk assessment of each finding and of the host.
    Assess(crate::assess_cmd::AssessArgs),
    /// The ordered removal steps for each finding, per OS (text, JSON or a script).
    Plan(crate::plan_cmd::PlanArgs),
    /// Carry out the plan. A dry run that prints the plan unless --apply is given.
    Remove(crate::remove_cmd::RemoveArgs),
    /// Rescan, compare with the findings before removal, check that replacement
    /// protection is active, and write a signed evidence record.
    Verify(crate::verify_cmd::VerifyArgs),
    /// Create or show this host's evidence-signing key (ed25519).
    Key(crate::key_cmd::KeyArgs),
    /// Check evidence records.
    Evidence(crate::evidence_cmd::EvidenceArgs),
    /// Run the fleet server: agent API, admin API, dashboard and exports.
    Serve(crate::serve_cmd::ServeArgs),
    /// Enroll this host with a fleet server, then scan and report on a schedule.
    Agent(crate::agent_cmd::AgentArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped by vendor.
    Table,
    /// The versioned `uproot.report/1` document.
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// One row per finding.
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogOpt {
    /// Extra catalog file (TOML); its rules add to or replace the built-in ones. Repeatable.
    #[arg(long = "catalog", value_name = "FILE", global = true)]
    pub catalog: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Root directory to scan: a mounted image or unpacked container. Default: this host, live.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip collectors by name, comma-separated or repeated. Linux: dpkg, rpm, apk, pacman,
    /// snap, flatpak, systemd, kmod, procs. Windows: windows-uninstall, windows-services,
    /// windows-registry-keys, windows-certs, windows-protection. macOS: macos-apps,
    /// macos-receipts, launchd, macos-extensions. Every OS: certs, browser, paths, settings.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Also sweep the file tree: report covered code signers (Authenticode on PE
    /// files, Apple Team IDs on Mach-O) and catalog file names, wherever they lie.
    /// Reads only headers and signature tables, in parallel.
    #[arg(long)]
    pub deep: bool,
    /// Directory inside the root to sweep (repeatable; implies --deep). Default: the whole root.
    #[arg(long = "path", value_name = "DIR")]
    pub paths: Vec<String>,
    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub action: CatalogAction,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// List vendors, their authorities and indicator counts.
    List,
    /// Show one vendor, product (vendor/product), indicator or authority by id.
    Show {
        /// Vendor, `vendor/product`, indicator or authority id.
        id: String,
    },
    /// Check every rule; fails (exit 1) on a rule without source or confidence, or a broken pattern.
    Lint,
}

/// Which host a remediation command works on: a fresh scan of a root (or of
/// this host), or a saved `uproot scan --format json` report.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Root directory to scan (a mounted image or a chroot). Default: this host, live.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Use this saved JSON report instead of scanning.
    #[arg(long, value_name = "FILE", conflicts_with = "root")]
    pub report: Option<PathBuf>,
    /// Skip collectors, as for `scan`.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Include the deep sweep, as for `scan --deep`.
    #[arg(long)]
    pub deep: bool,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}
