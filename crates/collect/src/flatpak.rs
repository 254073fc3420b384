//! Flatpak: system (`/var/lib/flatpak`) and per-user (`~/.local/share/flatpak`)
//! installations, `{app,runtime}/<id>/<arch>/<branch>/active`.
//!
//! The version comes from the AppStream metainfo's newest `<release>`, as
//! `flatpak list` shows it; without metainfo the branch is the best we have.

use uproot_inventory::{Package, PackageSource};

use crate::root::{join, EntryType};
use crate::{users, CollectOptions, Collector, Output, Root};

/// The flatpak collector.
pub struct Flatpak;

impl Collector for Flatpak {
    fn name(&self) -> &'static str {
        "flatpak"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let mut bases = vec!["/var/lib/flatpak".to_owned()];
        bases.extend(
            users::homes(root)
                .into_iter()
                .map(|h| join(&h, ".local/share/flatpak")),
        );
        for base in bases {
            for kind in ["app", "runtime"] {
                scan_kind(root, &join(&base, kind), out);
            }
        }
    }
}

fn dirs(root: &Root, path: &str, out: &mut Output) -> Vec<String> {
    match root.read_dir(path) {
        Ok(es) => es
            .into_iter()
            .filter(|e| e.file_type == EntryType::Dir)
            .map(|e| e.name)
            .collect(),
        Err(e) => {
            out.error_unless_missing(e);
            Vec::new()
        }
    }
}

fn scan_kind(root: &Root, dir: &str, out: &mut Output) {
    for id in dirs(root, dir, out) {
        let id_dir = join(dir, &id);
        for arch in dirs(root, &id_dir, out) {
            let arch_dir = join(&id_dir, &arch);
            for branch in dirs(root, &arch_dir, out) {
                let active = join(&join(&arch_dir, &branch), "active");
                if !root.exists(&active) {
                    continue;
                }
                let metainfo = join(&active, &format!("files/share/metainfo/{id}.metainfo.xml"));
                let version = root
                    .read_limited(&metainfo, 4 << 20)
                    .ok()
                    .and_then(|b| release_version(&String::from_utf8_lossy(&b)))
                    .unwrap_or_else(|| branch.clone());
                let mut p = Package::new(&id, &version, PackageSource::Flatpak, &active);
                p.arch = Some(arch.clone());
                p.state = Some("installed".into());
                out.inventory.packages.push(p);
            }
        }
    }
}

/// The `version` attribute of the first `<release>` element (AppStream lists newest first).
pub fn release_version(xml: &str) -> Option<String> {
    let start = xml.find("<release ")?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let v = tag.split("version=").nth(1)?;
    // Only XML's own quotes delimit an attribute; a typographic quote is not one
    // (a fuzzer found that slicing past a multi-byte first char panicked).
    let quote = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &v[1..];
    Some(rest[..rest.find(quote)?].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_release_is_the_version() {
        let xml = r#"<component><releases><release version="1.2.3" date="2024"/><release version="1.0"/></releases></component>"#;
        assert_eq!(super::release_version(xml).as_deref(), Some("1.2.3"));
        assert_eq!(super::release_version("<component/>"), None);
    }

    #[test]
    fn fuzz_regressions_do_not_panic() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/regressions/flatpak_release"
        );
        for e in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let _ = super::release_version(&String::from_utf8_lossy(&bytes));
        }
        assert_eq!(
            super::release_version("<release version=\u{201c}1.0\u{201d}>"),
            None
        );
    }
}
