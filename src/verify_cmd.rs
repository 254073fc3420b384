//! `uproot verify`: rescan after removal, compare with the report from
//! before, check that replacement protection is active, and write a signed
//! `uproot.evidence/1` record. The logic is in `uproot-evidence`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use uproot_evidence::{
    compare, comparison_warnings, host_mismatch, keys, replacement_with, sign, Artifact, Inputs,
    Payload, ReplacementOptions, Verdict, XPROTECT_PATHS,
};
use uproot_inventory::FileEntry;
use uproot_report::Report;

/// Arguments of `uproot verify`.
///
/// Exit codes: 0 everything found before is removed, nothing new appeared and
/// replacement protection is active; 1 anything is still present, left
/// behind, unverified or new, or the host is unprotected; 2 error.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to verify: --root DIR (or this host, live) is rescanned; --report FILE
    /// uses a report saved after removal instead.
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
    /// The report saved before removal (`uproot scan --format json --output FILE`).
    #[arg(long, value_name = "REPORT")]
    pub before: PathBuf,
    /// The action log of `uproot remove --apply` (JSON lines); its SHA-256 goes into the record.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Where to write the signed evidence record (never overwritten).
    /// Default: uproot-evidence-HOST-TIME.json in the current directory.
    #[arg(long = "output", short, visible_alias = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also save the after report here (JSON), so an auditor can check its digest.
    #[arg(long, value_name = "FILE")]
    pub save_after: Option<PathBuf>,
    /// Directory of the signing key, created there if missing. Default: as for `uproot key`.
    #[arg(long, value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
    /// Compare even when the two reports name different hosts (recorded as a warning).
    #[arg(long)]
    pub allow_host_change: bool,
}

pub fn run(args: &VerifyArgs) -> Result<i32> {
    // Fail before the scan, not after it; `write_new` still refuses at write time.
    for path in [args.out.as_ref(), args.save_after.as_ref()]
        .into_iter()
        .flatten()
    {
        if path.exists() {
            bail!("{} exists; evidence is never overwritten", path.display());
        }
    }
    let before_bytes = std::fs::read(&args.before)
        .with_context(|| format!("cannot read {}", args.before.display()))?;
    let before = parse_report(&args.before, &before_bytes)?;
    let (after, after_bytes, method) = match &args.target.report {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            (parse_report(path, &bytes)?, bytes, "saved-report")
        }
        None => {
            let report = crate::scan_cmd::target_report(&args.target)?;
            let bytes = report.to_json().into_bytes();
            (report, bytes, "rescan")
        }
    };

    let mut warnings = Vec::new();
    if let Some(why) = host_mismatch(&before, &after) {
        if !args.allow_host_change {
            bail!("the before report and the after scan are of different hosts ({why}); pass --allow-host-change to compare anyway");
        }
        warnings.push(format!("compared across a host change: {why}"));
    }
    warnings.extend(comparison_warnings(&before, &after));
    if !args.target.skip.is_empty() {
        warnings.push(format!(
            "collectors skipped in the after scan: {}; findings they would have seen count as removed",
            args.target.skip.join(", ")
        ));
    }

    let action_log = match &args.log {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let bad = String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
                .count();
            if bad > 0 {
                warnings.push(format!(
                    "the action log {} has {bad} line(s) that are not JSON",
                    path.display()
                ));
            }
            Some(Artifact::of_log(Some(path), &bytes))
        }
        None => None,
    };

    let opts = replacement_options(args, &after)?;
    let verification = compare(&before, &after);
    let replacement = replacement_with(&after, &opts);

    let dir = crate::key_cmd::key_dir(args.key_dir.as_ref())?;
    let (key, created) = keys::load_or_create(&dir)?;
    if created {
        eprintln!(
            "uproot: created a new evidence-signing key in {} ({})",
            dir.display(),
            key.fingerprint()
        );
    }

    let created_at = uproot_report::rfc3339_now();
    let after_path = args.save_after.as_deref().or(args.target.report.as_deref());
    let payload = Payload::build(
        Inputs {
            before: (&before, Artifact::of(Some(&args.before), &before_bytes)),
            after: (&after, Artifact::of(after_path, &after_bytes), method),
            action_log,
            verification: &verification,
            replacement: &replacement,
            warnings,
            created_at: created_at.clone(),
        },
        &key,
    );
    let text = sign(&payload, &key);

    if let Some(path) = &args.save_after {
        write_new(path, &after_bytes)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&after.host.hostname, &created_at));
    write_new(&out, text.as_bytes())?;

    print_summary(&payload, &out, &key);
    Ok(if payload.summary.passed { 0 } else { 1 })
}

fn parse_report(path: &Path, bytes: &[u8]) -> Result<Report> {
    let report: Report = serde_json::from_slice(bytes)
        .with_context(|| format!("{}: not an uproot.report/1 document", path.display()))?;
    if report.schema != uproot_report::SCHEMA {
        bail!(
            "{}: schema is {}, expected {}",
            path.display(),
            report.schema,
            uproot_report::SCHEMA
        );
    }
    Ok(report)
}

/// Covered-vendor names from the catalog, and (macOS) the XProtect probe:
/// the macOS collectors do not record XProtect, so verify looks for it under
/// the root itself, through the same contained `Root` the collectors use.
fn replacement_options(args: &VerifyArgs, after: &Report) -> Result<ReplacementOptions> {
    let catalog = crate::scan_cmd::load_catalog(&args.target.catalog)?;
    let mut opts = ReplacementOptions::default();
    for v in &catalog.vendors {
        opts.covered_terms.push(v.name.clone());
        opts.covered_terms.extend(v.aliases.iter().cloned());
    }
    if after.host.os == "macos" && args.target.report.is_none() {
        let (root, _) = crate::scan_cmd::open_root(args.target.root.as_deref())?;
        let root = root.with_case_insensitive(true);
        for path in XPROTECT_PATHS {
            if let Ok(meta) = root.symlink_metadata(path) {
                let file_type = if meta.is_dir() {
                    "dir"
                } else if meta.is_symlink() {
                    "symlink"
                } else {
                    "file"
                };
                opts.probed.push(FileEntry {
                    path: (*path).to_owned(),
                    file_type: file_type.into(),
                    size: meta.is_file().then_some(meta.len()),
                });
            }
        }
        opts.root_probed = true;
    }
    Ok(opts)
}

fn default_out(hostname: &str, created_at: &str) -> PathBuf {
    let host: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp: String = created_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    PathBuf::from(format!("uproot-evidence-{host}-{stamp}.json"))
}

/// Writes a new file; an existing one is never replaced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| {
            if path.exists() {
                format!("{} exists; evidence is never overwritten", path.display())
            } else {
                format!("cannot create {}", path.display())
            }
        })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn print_summary(p: &Payload, out: &Path, key: &keys::HostKey) {
    let h = &p.host;
    println!(
        "uproot verify  host {}  ({}, root {})",
        h.hostname, h.os, h.root
    );
    println!(
        "before: {} findings ({})   after: {} findings ({}, {})",
        p.before.findings.len(),
        p.before.generated_at,
        p.after.findings.len(),
        p.after.generated_at,
        p.after.method
    );
    for (vendor, s) in &p.summary.by_vendor {
        let c = &s.counts;
        println!();
        println!(
            "{} [{vendor}]  removed {}, still present {}, remnant {}, unverified {}, new {}",
            s.vendor_name, c.removed, c.still_present, c.remnant, c.unverified, c.new
        );
        for v in p.verdicts.iter().filter(|v| &v.vendor == vendor) {
            println!(
                "  {:<14} {:<18} {}",
                v.verdict.as_str().to_uppercase(),
                v.kind,
                v.summary
            );
            if v.verdict != Verdict::Removed {
                println!("  {:<14} {:<18} {}", "", "", v.reason);
            }
        }
    }
    println!();
    let r = &p.replacement;
    println!(
        "replacement: {}  {}",
        if r.protected {
            "PROTECTED"
        } else {
            "NOT PROTECTED"
        },
        r.reason
    );
    for n in &r.notes {
        println!("  note: {n}");
    }
    for hf in &p.host_findings {
        println!("  ! {} ({}): {}", hf.kind, hf.severity, hf.summary);
        println!("    action: {}", hf.action);
    }
    for w in &p.warnings {
        println!("warning: {w}");
    }
    let c = &p.summary.counts;
    println!();
    println!(
        "{}: {} — {} removed, {} still present, {} remnant, {} unverified, {} new; {}",
        if p.summary.passed {
            "VERIFIED"
        } else {
            "NOT VERIFIED"
        },
        p.summary.status.as_str(),
        c.removed,
        c.still_present,
        c.remnant,
        c.unverified,
        c.new,
        if p.summary.protected {
            "protected"
        } else {
            "not protected"
        }
    );
    println!(
        "evidence: {}  signed by {} (key in {})",
        out.display(),
        key.fingerprint(),
        key.dir().display()
    );
}
