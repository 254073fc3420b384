//! Arch pacman: `/var/lib/pacman/local/<name>-<pkgver>-<pkgrel>/desc`.
//!
//! `pacman -Q` takes name and version from the directory name, so we do too;
//! the `desc` file supplies arch and packager. When `desc` disagrees with the
//! directory (syft's `corrupt` fixture), the package is still listed as pacman
//! lists it, and the disagreement is an error naming the file.

use uproot_inventory::{Package, PackageSource};

use crate::root::{join, EntryType};
use crate::{CollectOptions, Collector, Output, Root};

/// The pacman collector.
pub struct Pacman;

const LOCAL: &str = "/var/lib/pacman/local";

impl Collector for Pacman {
    fn name(&self) -> &'static str {
        "pacman"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let entries = match root.read_dir(LOCAL) {
            Ok(e) => e,
            Err(e) => return out.error_unless_missing(e),
        };
        for e in entries.iter().filter(|e| e.file_type == EntryType::Dir) {
            let Some((name, version)) = split_dir_name(&e.name) else {
                out.error(
                    join(LOCAL, &e.name),
                    "directory name is not <name>-<version>-<release>",
                );
                continue;
            };
            let desc_path = join(&join(LOCAL, &e.name), "desc");
            let mut p = Package::new(name, version, PackageSource::Pacman, &desc_path);
            p.state = Some("installed".into());
            match root.read_to_string(&desc_path) {
                Ok(text) => {
                    let desc = parse_desc(&text);
                    p.arch = desc.get("ARCH").cloned();
                    p.vendor = desc.get("PACKAGER").cloned();
                    if desc.get("NAME").map(String::as_str) != Some(name)
                        || desc.get("VERSION").map(String::as_str) != Some(version)
                    {
                        out.error(&desc_path, format!("desc does not name {name} {version} as its directory does; listed as the directory says"));
                    }
                }
                Err(err) => out.error(&desc_path, crate::root_message(&err)),
            }
            out.inventory.packages.push(p);
        }
    }
}

/// Splits `name-pkgver-pkgrel` at the second-to-last dash.
pub fn split_dir_name(dir: &str) -> Option<(&str, &str)> {
    let rel = dir.rfind('-')?;
    let ver = dir[..rel].rfind('-')?;
    (ver > 0).then(|| (&dir[..ver], &dir[ver + 1..]))
}

/// Parses `%KEY%` sections; each value is the first line after the header.
pub fn parse_desc(text: &str) -> std::collections::HashMap<String, String> {
    let mut map = std::collections::HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(key) = line.strip_prefix('%').and_then(|l| l.strip_suffix('%')) {
            if let Some(v) = lines.next() {
                map.entry(key.to_owned()).or_insert_with(|| v.to_owned());
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    #[test]
    fn dir_names_split_like_pacman() {
        assert_eq!(
            super::split_dir_name("tree-sitter-0.22.6-1"),
            Some(("tree-sitter", "0.22.6-1"))
        );
        assert_eq!(
            super::split_dir_name("gmp-1:6.2.1-2"),
            Some(("gmp", "1:6.2.1-2"))
        );
        assert_eq!(super::split_dir_name("nodash"), None);
    }
}
