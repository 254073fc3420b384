//! `uproot evidence check`: verify a signed evidence record.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use uproot_evidence::{check, keys, Artifact, CheckedRecord};

/// Arguments of `uproot evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    pub action: EvidenceAction,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceAction {
    /// Verify an evidence record: canonical form, payload digest, ed25519
    /// signature, the expected signer (--pubkey), and the files it names.
    ///
    /// Exit codes: 0 the record is authentic (whatever status it records,
    /// unless --require-passed), 1 it is not, 2 the file cannot be read or an
    /// argument is wrong.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The evidence record written by `uproot verify`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Require this signer: a public key PEM file (evidence-key.pub.pem), 64
    /// hex digits, or a `sha256:` fingerprint as `uproot key` prints it.
    #[arg(long, value_name = "KEY")]
    pub pubkey: Option<String>,
    /// Also require that this file is the before report the record names (SHA-256).
    #[arg(long, value_name = "FILE")]
    pub before: Option<PathBuf>,
    /// Also require that this file is the after report (`uproot verify --save-after`).
    #[arg(long, value_name = "FILE")]
    pub after: Option<PathBuf>,
    /// Also require that this file is the action log the record names.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Exit 1 unless the record's status is `clean` (everything removed, host protected).
    #[arg(long)]
    pub require_passed: bool,
}

pub fn run(args: &EvidenceArgs) -> Result<i32> {
    match &args.action {
        EvidenceAction::Check(c) => run_check(c),
    }
}

fn run_check(args: &CheckArgs) -> Result<i32> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let expected = args
        .pubkey
        .as_deref()
        .map(keys::parse_expected)
        .transpose()
        .context("--pubkey")?;
    let shown = args.file.display();
    let Ok(text) = String::from_utf8(bytes) else {
        println!("INVALID: {shown}: not UTF-8 text, so not an evidence record");
        return Ok(1);
    };
    let record = match check(&text, expected.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            println!("INVALID: {shown}: {e}");
            return Ok(1);
        }
    };
    let p = &record.payload;
    let mut problems = Vec::new();
    let files: [(&str, Option<&PathBuf>, Option<&Artifact>); 3] = [
        (
            "before report",
            args.before.as_ref(),
            Some(&p.before.report),
        ),
        ("after report", args.after.as_ref(), Some(&p.after.report)),
        ("action log", args.log.as_ref(), p.action_log.as_ref()),
    ];
    let mut confirmed = Vec::new();
    for (what, file, recorded) in files {
        let Some(file) = file else { continue };
        match digest_matches(file, recorded)? {
            Ok(()) => confirmed.push(format!("{what} {} matches", file.display())),
            Err(msg) => problems.push(format!("{what} {}: {msg}", file.display())),
        }
    }
    if !problems.is_empty() {
        println!("INVALID: {shown}: the signature is valid, but:");
        for m in &problems {
            println!("  {m}");
        }
        return Ok(1);
    }
    print_valid(&record, &shown.to_string(), expected.is_some(), &confirmed);
    if args.require_passed && !p.summary.passed {
        println!(
            "NOT PASSED: the record's status is {}",
            p.summary.status.as_str()
        );
        return Ok(1);
    }
    Ok(0)
}

fn digest_matches(
    file: &Path,
    recorded: Option<&Artifact>,
) -> Result<std::result::Result<(), String>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let Some(recorded) = recorded else {
        return Ok(Err("the record names no such file".into()));
    };
    let actual = Artifact::of(None, &bytes);
    if actual.sha256 == recorded.sha256 && actual.bytes == recorded.bytes {
        Ok(Ok(()))
    } else {
        Ok(Err(format!(
            "SHA-256 {} ({} bytes), but the record names {} ({} bytes)",
            actual.sha256, actual.bytes, recorded.sha256, recorded.bytes
        )))
    }
}

fn print_valid(r: &CheckedRecord, file: &str, pinned: bool, confirmed: &[String]) {
    let p = &r.payload;
    let who = if pinned {
        "the expected key"
    } else {
        "the key it embeds"
    };
    println!(
        "VALID: {file}: signature verified with {who} ({})",
        r.fingerprint
    );
    if !pinned {
        println!(
            "  (pass --pubkey with the host's public key or fingerprint to check who signed it)"
        );
    }
    for c in confirmed {
        println!("  {c}");
    }
    println!(
        "host {}  ({}, root {})  signed {}  by uproot {}",
        p.host.hostname, p.host.os, p.host.root, p.created_at, p.tool.version
    );
    println!(
        "before: {} findings ({}, sha256 {})",
        p.before.findings.len(),
        p.before.generated_at,
        p.before.report.sha256
    );
    println!(
        "after:  {} findings ({}, {}, sha256 {})",
        p.after.findings.len(),
        p.after.generated_at,
        p.after.method,
        p.after.report.sha256
    );
    match &p.action_log {
        Some(log) => println!(
            "action log: sha256 {} ({} entries)",
            log.sha256,
            log.lines.unwrap_or(0)
        ),
        None => println!("action log: none recorded"),
    }
    let c = &p.summary.counts;
    println!(
        "status: {}  ({} removed, {} still present, {} remnant, {} unverified, {} new; {})",
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
    println!("replacement: {}", p.replacement.reason);
    for hf in &p.host_findings {
        println!("  ! {}: {}", hf.kind, hf.summary);
    }
}
