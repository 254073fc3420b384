//! Runs the deep sweep on a directory and prints counts (for `scripts/bench-deep`
//! until `uproot scan --deep --path` is wired).
//!
//! ```sh
//! cargo run --release -p uproot-collect --example deep_sweep -- ROOT [--path DIR]... [--glob NAME]... [--live] [--threads N] [--list]
//! ```

use uproot_collect::deep::{sweep_with_stats, DeepOptions};
use uproot_collect::Root;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut root_dir = None;
    let mut opts = DeepOptions {
        paths: Vec::new(),
        ..DeepOptions::default()
    };
    let (mut live, mut list) = (false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--path" => opts.paths.extend(args.next()),
            "--glob" => opts.name_globs.extend(args.next()),
            "--threads" => opts.threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "--live" => live = true,
            "--list" => list = true,
            _ if root_dir.is_none() => root_dir = Some(a),
            _ => {
                eprintln!("usage: deep_sweep ROOT [--path DIR]... [--glob NAME]... [--live] [--threads N] [--list]");
                std::process::exit(2);
            }
        }
    }
    let Some(root_dir) = root_dir else {
        eprintln!("usage: deep_sweep ROOT [--path DIR]... [--glob NAME]... [--live] [--threads N] [--list]");
        std::process::exit(2);
    };
    let root = match Root::new(&root_dir, live) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("deep_sweep: {e}");
            std::process::exit(1);
        }
    };
    let (out, stats) = sweep_with_stats(&root, &opts, &|_| {});
    println!(
        "files={} dirs={} symlinks={} skipped={} pe={} macho={} signatures={} name_matches={} errors={}",
        stats.files,
        stats.dirs,
        stats.symlinks,
        stats.skipped,
        stats.pe,
        stats.macho,
        stats.signatures,
        out.inventory.files.len(),
        out.errors.len()
    );
    if list {
        for s in &out.inventory.signers {
            println!(
                "signer\t{}\t{}\t{}\t{}",
                s.path,
                s.subject.as_deref().unwrap_or("-"),
                s.team_id.as_deref().unwrap_or("-"),
                s.enclosing.as_deref().unwrap_or("-")
            );
        }
        for f in &out.inventory.files {
            println!("file\t{}\t{}", f.path, f.file_type);
        }
        for e in &out.errors {
            println!("error\t{}\t{}", e.source, e.message);
        }
    }
}
