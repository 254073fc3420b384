//! Alpine apk: `/lib/apk/db/installed`.
//!
//! One-letter keys (`P:` name, `V:` version, `A:` arch, `m:` maintainer,
//! `o:` origin), records separated by blank lines. A record without a name
//! or version is reported as an error, not turned into a nameless package.

use uproot_inventory::{Package, PackageSource};

use crate::{CollectOptions, Collector, Output, Root};

/// The apk collector.
pub struct Apk;

const INSTALLED: &str = "/lib/apk/db/installed";

impl Collector for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        match root.read_to_string(INSTALLED) {
            Ok(text) => {
                let (pkgs, errs) = parse_installed(&text, INSTALLED);
                out.inventory.packages.extend(pkgs);
                for e in errs {
                    out.error(INSTALLED, e);
                }
            }
            Err(e) => out.error_unless_missing(e),
        }
    }
}

#[derive(Default)]
struct Rec {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    maintainer: Option<String>,
}

/// Parses an apk `installed` database.
pub fn parse_installed(text: &str, location: &str) -> (Vec<Package>, Vec<String>) {
    let mut pkgs = Vec::new();
    let mut errors = Vec::new();
    let mut cur: Option<Rec> = None;
    let finish = |rec: Option<Rec>, pkgs: &mut Vec<Package>, errors: &mut Vec<String>| {
        let Some(r) = rec else { return };
        match (r.name, r.version) {
            (Some(n), Some(v)) => {
                let mut p = Package::new(&n, &v, PackageSource::Apk, location);
                p.arch = r.arch;
                p.vendor = r.maintainer;
                p.state = Some("installed".into());
                pkgs.push(p);
            }
            (n, _) => errors.push(format!(
                "line {}: record {} has no version (V:)",
                r.line,
                n.map(|n| format!("`{n}`"))
                    .unwrap_or_else(|| "without a name (P:)".into())
            )),
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            finish(cur.take(), &mut pkgs, &mut errors);
            continue;
        }
        let rec = cur.get_or_insert_with(|| Rec {
            line: i + 1,
            ..Rec::default()
        });
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = Some(v.to_owned());
        match k {
            "P" => rec.name = v,
            "V" => rec.version = v,
            "A" => rec.arch = v,
            "m" => rec.maintainer = v,
            _ => {}
        }
    }
    finish(cur.take(), &mut pkgs, &mut errors);
    (pkgs, errors)
}
