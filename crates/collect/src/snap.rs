//! Snap: `/snap/<name>/current/meta/snap.yaml`.
//!
//! Only the mounted revision that `current` points to is installed; the
//! other revisions are kept for rollback and are not counted.

use uproot_inventory::{Package, PackageSource};

use crate::root::{join, EntryType};
use crate::{CollectOptions, Collector, Output, Root};

/// The snap collector.
pub struct Snap;

const SNAP_DIR: &str = "/snap";

impl Collector for Snap {
    fn name(&self) -> &'static str {
        "snap"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let entries = match root.read_dir(SNAP_DIR) {
            Ok(e) => e,
            Err(e) => return out.error_unless_missing(e),
        };
        for e in entries
            .iter()
            .filter(|e| e.file_type == EntryType::Dir && e.name != "bin")
        {
            let yaml = join(&join(SNAP_DIR, &e.name), "current/meta/snap.yaml");
            match root.read_limited(&yaml, 1 << 20) {
                Ok(bytes) => match parse_snap_yaml(&String::from_utf8_lossy(&bytes)) {
                    Ok((name, version)) => {
                        let mut p = Package::new(&name, &version, PackageSource::Snap, &yaml);
                        p.state = Some("installed".into());
                        out.inventory.packages.push(p);
                    }
                    Err(msg) => out.error(&yaml, msg),
                },
                Err(err) => out.error_unless_missing(err),
            }
        }
    }
}

/// Reads the top-level `name:` and `version:` of a snap.yaml.
pub fn parse_snap_yaml(text: &str) -> Result<(String, String), String> {
    let top = |key: &str| {
        text.lines()
            .filter(|l| !l.starts_with([' ', '\t', '#']))
            .find_map(|l| {
                l.strip_prefix(key)?
                    .strip_prefix(':')
                    .map(|v| unquote(v.trim()))
            })
            .filter(|v| !v.is_empty())
    };
    match (top("name"), top("version")) {
        (Some(n), Some(v)) => Ok((n, v)),
        (None, _) => Err("snap.yaml has no top-level `name`".into()),
        (_, None) => Err("snap.yaml has no top-level `version`".into()),
    }
}

fn unquote(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(|c| c == '\'' || c == '"').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_scalibr_fixtures() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpora/osv-scalibr/extractor/filesystem/os/snap/testdata"
        );
        let read = |f: &str| {
            std::fs::read_to_string(format!("{dir}/{f}"))
                .expect("shared/corpora must be beside the repo")
        };
        let (n, v) = super::parse_snap_yaml(&read("single-arch.yaml")).unwrap();
        assert!(!n.is_empty() && !v.is_empty());
        assert!(super::parse_snap_yaml(&read("missing-name.yaml")).is_err());
        assert!(super::parse_snap_yaml(&read("missing-version.yaml")).is_err());
    }
}
