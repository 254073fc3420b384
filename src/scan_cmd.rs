//! `uproot scan`: collect → match → report.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use uproot_catalog::Catalog;
use uproot_collect::{CollectOptions, Platform, Root};
use uproot_report::{CatalogInfo, Report};

use crate::cli::{CatalogOpt, Color, Format, ScanArgs};

pub fn load_catalog(opt: &CatalogOpt) -> Result<Catalog> {
    // A verified bundle installed with `uproot catalog update` replaces the
    // built-in rules; `--catalog` overlays apply on top of either.
    let mut catalog = match crate::bundle_cmd::installed_catalog(opt)? {
        Some(c) => c,
        None => Catalog::builtin().context("built-in catalog")?,
    };
    for f in &opt.catalog {
        catalog.merge_file(f)?;
    }
    Ok(catalog)
}

/// What to scan: the options every command that scans shares
/// (`scan`, `assess`, `plan`, `remove`, `verify`).
#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub root: Option<std::path::PathBuf>,
    pub image: Option<std::path::PathBuf>,
    pub platform: Option<String>,
    pub verify_digests: bool,
    pub skip: Vec<String>,
    pub deep: bool,
    pub paths: Vec<String>,
    pub catalog: CatalogOpt,
}

impl ScanSpec {
    pub fn from_args(args: &ScanArgs) -> Self {
        ScanSpec {
            root: args.root.clone(),
            image: args.image.clone(),
            platform: args.platform.clone(),
            verify_digests: !args.no_verify_digests,
            skip: args.skip.clone(),
            deep: args.deep,
            paths: args.paths.clone(),
            catalog: args.catalog.clone(),
        }
    }

    /// A scan of a root directory (or this host), as the remediation
    /// commands and the agent run it: no image, no extra sweep paths.
    pub fn of_root(
        root: Option<std::path::PathBuf>,
        skip: &[String],
        deep: bool,
        catalog: &CatalogOpt,
    ) -> Self {
        ScanSpec {
            root,
            image: None,
            platform: None,
            verify_digests: true,
            skip: skip.to_vec(),
            deep,
            paths: Vec::new(),
            catalog: catalog.clone(),
        }
    }
}

pub fn run(args: &ScanArgs) -> Result<i32> {
    let report = scan(&ScanSpec::from_args(args))?;
    write_text(&args.output, args.format, args.color, &report)?;
    Ok(report.exit_code())
}

/// Opens the root a scan names: the running system, or a mounted image.
pub fn open_root(root: Option<&std::path::Path>) -> Result<(Root, String)> {
    Ok(match root {
        Some(dir) => {
            let root = Root::new(dir, false)
                .with_context(|| format!("cannot scan root {}", dir.display()))?;
            // Scanning `/` by path is still the running system.
            let live = root.host_base() == Some(std::path::Path::new("/"));
            (Root::new(dir, live)?, dir.display().to_string())
        }
        None => (Root::new("/", true)?, "/".to_owned()),
    })
}

/// collect → match → report, for any command that needs a fresh scan.
pub fn scan(spec: &ScanSpec) -> Result<Report> {
    let catalog = load_catalog(&spec.catalog)?;
    let compiled = catalog.compile()?;
    let (root, shown, image) = match &spec.image {
        Some(path) => {
            let (root, image) = open_image(path, spec.platform.as_deref(), spec.verify_digests)?;
            (root, format!("image:{}", path.display()), Some(image))
        }
        None => {
            let (root, shown) = open_root(spec.root.as_deref())?;
            (root, shown, None)
        }
    };
    let platform = uproot_collect::detect_platform(&root);
    // NTFS and APFS ignore case; a mounted image must be read the way its OS reads it.
    let root = root.with_case_insensitive(platform != Platform::Linux);
    let opts = CollectOptions {
        probe_paths: catalog.probe_paths(),
        setting_files: catalog.setting_files(),
        registry_paths: catalog.registry_paths(),
        skip: spec.skip.clone(),
    };
    let collectors = uproot_collect::collectors_for(platform);
    let bar = progress(collectors.len() as u64);
    let mut out = uproot_collect::collect_with(&root, &opts, &collectors, &|name| {
        bar.set_message(name);
        bar.inc(1);
    });
    bar.finish_and_clear();
    if spec.deep || !spec.paths.is_empty() {
        out.extend(deep_sweep(&root, &catalog, &spec.paths));
    }
    let mut findings = uproot_matcher::match_inventory(&compiled, &out.inventory);
    if let Some(image) = &image {
        crate::image_scan::attribute_layers(image, &root, &mut findings);
        out.errors.extend(
            image
                .warnings()
                .iter()
                .map(|w| uproot_inventory::SourceError::new(shown.clone(), w.clone())),
        );
    }
    let host = uproot_collect::host::host_facts(&root, &shown, platform, out.host.as_ref());
    let info = CatalogInfo {
        version: catalog.version(),
        overlays: catalog.overlays.clone(),
    };
    let mut report = Report::new(
        host,
        info,
        out.inventory,
        findings,
        out.errors,
        uproot_report::rfc3339_now(),
    );
    attach_assessment(&mut report, &catalog);
    Ok(report)
}

/// Matches an inventory that did not come from a root (SBOMs, network
/// evidence) and builds its assessed report.
pub fn report_of(
    catalog: &Catalog,
    catalog_version: String,
    host: uproot_inventory::Host,
    inventory: uproot_inventory::Inventory,
    errors: Vec<uproot_inventory::SourceError>,
) -> Result<Report> {
    let findings = uproot_matcher::match_inventory(&catalog.compile()?, &inventory);
    let info = CatalogInfo {
        version: catalog_version,
        overlays: catalog.overlays.clone(),
    };
    let mut report = Report::new(
        host,
        info,
        inventory,
        findings,
        errors,
        uproot_report::rfc3339_now(),
    );
    attach_assessment(&mut report, catalog);
    Ok(report)
}

/// Assesses the report's findings and makes each finding's severity the
/// assessed one, so every output shows one severity with its reasons.
pub fn attach_assessment(report: &mut Report, catalog: &Catalog) {
    let today = report
        .generated_at
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_owned();
    let protection = crate::assess_cmd::protection(report);
    let a = uproot_assess::assess(
        &report.findings,
        &report.inventory,
        catalog,
        &today,
        &protection,
    );
    report.apply_assessment(a);
}

fn deep_sweep(root: &Root, catalog: &Catalog, paths: &[String]) -> uproot_collect::Output {
    let mut opts = uproot_collect::deep::DeepOptions {
        name_globs: catalog.deep_name_globs(),
        ..Default::default()
    };
    if !paths.is_empty() {
        opts.paths = paths.to_vec();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} deep sweep: {pos} files {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = uproot_collect::deep::sweep(root, &opts, &|n| bar.set_position(n));
    bar.finish_and_clear();
    out
}

/// A bar on stderr; indicatif hides it when stderr is not a terminal.
fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} collecting {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Opens a container image as a virtual root.
fn open_image(
    path: &std::path::Path,
    platform: Option<&str>,
    verify_digests: bool,
) -> Result<(Root, std::sync::Arc<uproot_image::Image>)> {
    let image = crate::image_scan::open(path, platform, verify_digests)?;
    let root = Root::from_vfs(image.clone());
    Ok((root, image))
}

/// Writes a report in the chosen format to `output` or standard output.
pub fn write_text(
    output: &Option<std::path::PathBuf>,
    format: Format,
    color: Color,
    report: &Report,
) -> Result<()> {
    let to_tty = output.is_none() && std::io::stdout().is_terminal();
    let color = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_tty && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match format {
        Format::Table => report.to_table(color),
        Format::Json => report.to_json(),
        Format::Sarif => report.to_sarif(),
        Format::Csv => report.to_csv(),
        Format::Cyclonedx => uproot_report::cyclonedx::to_json(
            report,
            &uproot_report::cyclonedx::Options {
                // An image scan names its root `image:<file>`; its BOM describes a container.
                image: report.host.root.strip_prefix("image:").map(str::to_owned),
            },
        ),
    };
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(text.as_bytes()) {
                // `uproot scan | head` closing the pipe is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// The report a remediation command works on: a saved one, or a fresh scan.
pub fn target_report(t: &crate::cli::TargetArgs) -> Result<Report> {
    match &t.report {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let report: Report = serde_json::from_str(&text)
                .with_context(|| format!("{}: not an uproot.report/1 document", path.display()))?;
            if report.schema != uproot_report::SCHEMA {
                anyhow::bail!(
                    "{}: schema is {}, expected {}",
                    path.display(),
                    report.schema,
                    uproot_report::SCHEMA
                );
            }
            Ok(report)
        }
        None => scan(&ScanSpec::of_root(
            t.root.clone(),
            &t.skip,
            t.deep,
            &t.catalog,
        )),
    }
}
