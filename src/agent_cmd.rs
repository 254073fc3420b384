//! `uproot agent`: enroll with a fleet server, then scan and report to it on
//! a schedule (see `uproot-agent` for the spool and delivery rules).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use uproot_agent::{Enrollment, HostFacts, Options, Spool, SpoolLimits, State, Timeouts};

use crate::cli::CatalogOpt;
use crate::scan_cmd::{self, ScanSpec};

/// Arguments of `uproot agent`.
///
/// State (server URL, host id, host token) lives in `state.json`, mode 0600,
/// in the state directory; reports wait in its `spool/` until the server has
/// stored them, so an outage or a reboot loses nothing.
#[derive(Debug, Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: AgentCommand,
    /// State directory. Default: $UPROOT_HOME; else /var/lib/uproot when run as
    /// root; else $XDG_STATE_HOME/uproot or ~/.local/state/uproot.
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Trade the enrollment secret for this host's token and save it (0600).
    Enroll(EnrollArgs),
    /// Scan, spool and submit reports, every --interval (or once).
    Run(RunArgs),
    /// Show the enrollment and what waits in the spool.
    Status,
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Fleet server base URL, e.g. https://fleet.example.org:8470.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Enrollment secret (visible in `ps` and shell history; prefer --secret-file).
    #[arg(long, value_name = "S", required_unless_present = "secret_file")]
    pub secret: Option<String>,
    /// Read the enrollment secret from this file (first line).
    #[arg(long, value_name = "FILE", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
    /// PEM file with a private CA to trust besides the public (webpki) roots.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Take the host facts from this root, as `agent run --root` will scan it.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Enroll again even if this state directory already holds a token.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Time between scans: 30s, 15m, 6h, 1d (each jittered by ±10%).
    #[arg(long, value_name = "DURATION", default_value = "6h", value_parser = parse_interval)]
    pub interval: Duration,
    /// One cycle: scan, spool, one delivery attempt, then exit (0 when all
    /// was delivered, 2 when reports stay spooled).
    #[arg(long)]
    pub once: bool,
    /// Root directory to scan. Default: this host, live.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Skip collectors, as for `scan`.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Include the deep sweep, as for `scan --deep`.
    #[arg(long)]
    pub deep: bool,
    /// Most reports kept in the spool; beyond it the oldest are dropped (and logged).
    #[arg(long, value_name = "N", default_value_t = SpoolLimits::default().max_files)]
    pub spool_max_files: usize,
    /// Most compressed bytes kept in the spool.
    #[arg(long, value_name = "BYTES", default_value_t = SpoolLimits::default().max_bytes)]
    pub spool_max_bytes: u64,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = uproot_agent::parse_duration(s)?;
    if d < Duration::from_secs(1) {
        return Err("the interval must be at least 1s".into());
    }
    Ok(d)
}

pub fn run(args: &AgentArgs) -> Result<i32> {
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(uproot_agent::default_state_dir);
    match &args.command {
        AgentCommand::Enroll(e) => enroll(e, &dir),
        AgentCommand::Run(r) => run_agent(r, &dir),
        AgentCommand::Status => status(&dir),
    }
}

fn enroll(args: &EnrollArgs, dir: &Path) -> Result<i32> {
    let state_file = State::path_in(dir);
    if state_file.exists() && !args.force {
        anyhow::bail!(
            "{} already holds an enrollment; pass --force to enroll again (the old token stops being used)",
            state_file.display()
        );
    }
    let secret = match (&args.secret, &args.secret_file) {
        (Some(s), _) => s.trim().to_owned(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        (None, None) => anyhow::bail!("give --secret or --secret-file"),
    };
    anyhow::ensure!(!secret.is_empty(), "the enrollment secret is empty");
    if args.server.trim_start().starts_with("http://") {
        eprintln!(
            "uproot agent: warning: {} is plain HTTP; the host token and reports travel unencrypted",
            args.server
        );
    }
    let facts = host_facts(args.root.as_deref())?;
    let req = Enrollment {
        server: args.server.clone(),
        secret,
        ca_cert: args.ca_cert.clone(),
        facts: facts.clone(),
        timeouts: Timeouts::default(),
    };
    let state = uproot_agent::enroll(&req, dir)?;
    println!(
        "enrolled {} with {} as host {}",
        facts.name, state.server, state.host_id
    );
    println!("state: {} (mode 0600)", state_file.display());
    Ok(0)
}

/// The facts the server records at enrollment; the machine id must match
/// the one later reports carry, so it comes from the same root they scan.
fn host_facts(root: Option<&Path>) -> Result<HostFacts> {
    let (root, shown) = scan_cmd::open_root(root)?;
    let platform = uproot_collect::detect_platform(&root);
    let host = uproot_collect::host::host_facts(&root, &shown, platform, None);
    Ok(HostFacts {
        name: host.hostname,
        machine_id: host.machine_id,
        os: host.os,
    })
}

fn run_agent(args: &RunArgs, dir: &Path) -> Result<i32> {
    let mut opts = Options::new(dir.to_owned());
    opts.interval = args.interval;
    opts.once = args.once;
    opts.limits = SpoolLimits {
        max_files: args.spool_max_files.max(1),
        max_bytes: args.spool_max_bytes,
    };
    let spec = ScanSpec::of_root(args.root.clone(), &args.skip, args.deep, &args.catalog);
    let summary = uproot_agent::run(&opts, || {
        update_catalog(dir, &args.catalog);
        let report = scan_cmd::scan(&spec).map_err(|e| format!("{e:#}"))?;
        Ok(report.to_json().into_bytes())
    })?;
    let d = &summary.delivery;
    if args.once {
        println!(
            "scanned {}, delivered {}, rejected {}, still spooled {}",
            summary.scans,
            d.delivered.len(),
            d.rejected.len(),
            d.remaining
        );
    }
    let clean = summary.scan_errors == 0 && d.remaining == 0 && d.rejected.is_empty();
    Ok(if clean { 0 } else { 2 })
}

/// Installs the catalog bundle the server publishes, if it is newer and
/// signed by a trusted key, before each scan. A failure is logged and the
/// scan goes on with the catalog already in force: findings keep flowing.
/// The ETag of the last bundle dealt with is kept, so an unchanged bundle
/// costs a 304 rather than a download and a verification per scan.
fn update_catalog(dir: &Path, catalog: &crate::cli::CatalogOpt) {
    let result = (|| -> Result<Option<String>> {
        let state = State::load(dir)?;
        let trusted = crate::bundle_cmd::trusted_keys(catalog)?;
        let client = uproot_agent::Client::new(
            &state.server,
            state.ca_cert.as_deref(),
            uproot_agent::Timeouts::default(),
        )?;
        let bundles = uproot_bundle::default_dir();
        // The tag is sent only while the catalog in force is at least the
        // version it named: after a local removal of a newer bundle the
        // agent downloads it again.
        let builtin = uproot_bundle::Catalog::builtin()?.version();
        let in_force = std::cmp::max(
            uproot_bundle::installed_version(&bundles, &trusted),
            uproot_bundle::BundleVersion::new(&builtin, 0).ok(),
        );
        let known = uproot_agent::known_catalog_etag(dir).filter(|k| {
            k.version
                .parse::<uproot_bundle::BundleVersion>()
                .is_ok_and(|v| in_force.as_ref().is_some_and(|f| v <= *f))
        });
        let fetched = match uproot_agent::fetch_catalog_bundle(
            &client,
            &state.token,
            &trusted,
            known.as_ref().map(|k| k.etag.as_str()),
        )? {
            uproot_agent::CatalogFetch::Fetched(f) => f,
            // Said, so an operator (and the tests) can tell a revalidated
            // bundle from one downloaded again.
            uproot_agent::CatalogFetch::Unchanged => {
                return Ok(Some("catalog bundle unchanged (304)".to_owned()))
            }
            uproot_agent::CatalogFetch::NotPublished => return Ok(None),
        };
        let outcome = match uproot_bundle::install(&fetched.bytes, &trusted, &bundles) {
            Ok(i) => Some(format!("catalog {} installed", i.version)),
            // The same or an older catalog than the one in force: nothing to do.
            Err(uproot_bundle::BundleError::Downgrade { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let remembered = fetched.etag.map(|etag| uproot_agent::KnownBundle {
            etag,
            version: fetched.bundle.version.to_string(),
        });
        uproot_agent::remember_catalog_etag(dir, remembered.as_ref())?;
        Ok(outcome)
    })();
    match result {
        Ok(Some(msg)) => eprintln!("uproot agent: {msg}"),
        Ok(None) => {}
        Err(e) => eprintln!("uproot agent: catalog update skipped: {e:#}"),
    }
}

fn status(dir: &Path) -> Result<i32> {
    use std::fmt::Write as _;
    let state = State::load(dir)?;
    let mut out = String::new();
    let _ = writeln!(out, "server:     {}", state.server);
    let _ = writeln!(out, "host id:    {}", state.host_id);
    let _ = writeln!(out, "token:      {}", mask(&state.token));
    if let Some(at) = &state.enrolled_at {
        let _ = writeln!(out, "enrolled:   {at}");
    }
    if let Some(ca) = &state.ca_cert {
        let _ = writeln!(out, "private CA: {}", ca.display());
    }
    let _ = writeln!(out, "state file: {}", State::path_in(dir).display());
    let spool = Spool::open(
        &Spool::dir_in(dir),
        SpoolLimits::default(),
        uproot_agent::Log::stderr(),
    )?;
    let waiting = spool.entries()?;
    let bytes: u64 = waiting.iter().map(|e| e.bytes).sum();
    let _ = writeln!(
        out,
        "spool:      {} report(s), {bytes} bytes, in {}",
        waiting.len(),
        spool.dir().display()
    );
    for e in &waiting {
        let _ = writeln!(out, "  {}  {}  {} bytes", when(e.spooled_at), e.id, e.bytes);
    }
    let rejected = spool.rejected()?;
    if !rejected.is_empty() {
        let _ = writeln!(
            out,
            "rejected:   {} report(s) in {}",
            rejected.len(),
            spool.rejected_dir().display()
        );
        for e in &rejected {
            let note = e.path.with_extension("").with_extension("error.txt");
            let why = std::fs::read_to_string(note).unwrap_or_default();
            let _ = writeln!(out, "  {}  {}  {}", when(e.spooled_at), e.id, why.trim());
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        // `uproot agent status | head` closing the pipe is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("cannot write to standard output")?,
    }
    Ok(0)
}

/// Enough of the token to tell two apart, not enough to use.
fn mask(token: &str) -> String {
    let shown: String = token.chars().take(8).collect();
    format!("{shown}… ({} chars)", token.chars().count())
}

fn when(t: SystemTime) -> String {
    uproot_assess::rfc3339_of(t)
}
