//! dpkg: `/var/lib/dpkg/status` and distroless `status.d/*`.
//!
//! Like `dpkg-query -W`, every package the database knows is listed except
//! `not-installed` ones, and the state is kept: a package in `config-files`
//! (removed, not purged) is a leftover, and `hold` is reported, because a
//! held covered package is one that someone chose to keep. Wazuh collected
//! only `install ok installed` and so missed held packages (wazuh#21705).

use uproot_inventory::{Package, PackageSource};

use crate::root::{join, EntryType};
use crate::{stanza, CollectOptions, Collector, Output, Root};

/// The dpkg collector.
pub struct Dpkg;

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d";

impl Collector for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        read_file(root, STATUS, false, out);
        match root.read_dir(STATUS_D) {
            Ok(entries) => {
                for e in entries {
                    // distroless keeps `<pkg>.md5sums` beside each stanza file.
                    if e.file_type == EntryType::Dir || e.name.ends_with(".md5sums") {
                        continue;
                    }
                    read_file(root, &join(STATUS_D, &e.name), true, out);
                }
            }
            Err(e) => out.error_unless_missing(e),
        }
    }
}

fn read_file(root: &Root, path: &str, status_optional: bool, out: &mut Output) {
    match root.read_to_string(path) {
        Ok(text) => {
            let (pkgs, errs) = parse_status(&text, path, status_optional);
            out.inventory.packages.extend(pkgs);
            for e in errs {
                out.error(path, e);
            }
        }
        Err(e) => out.error_unless_missing(e),
    }
}

/// Parses a dpkg status file. `status_optional` is for distroless `status.d`
/// files, which may omit `Status:` (the image builder wrote only installed packages).
pub fn parse_status(
    text: &str,
    location: &str,
    status_optional: bool,
) -> (Vec<Package>, Vec<String>) {
    let (stanzas, mut errors) = stanza::parse(text);
    if !text.is_empty() && !text.ends_with('\n') {
        // dpkg itself refuses such a file ("missing final newline"); we keep what parsed,
        // because a truncated database is still evidence, but say the last entry may be cut.
        errors.push(
            "file ends without a final newline: truncated, the last package may be incomplete"
                .into(),
        );
    }
    let mut pkgs = Vec::new();
    for s in &stanzas {
        match to_package(s, location, status_optional) {
            Ok(Some(p)) => pkgs.push(p),
            Ok(None) => {}
            Err(e) => errors.push(format!("line {}: {e}", s.line)),
        }
    }
    (pkgs, errors)
}

fn to_package(
    s: &stanza::Stanza,
    location: &str,
    status_optional: bool,
) -> Result<Option<Package>, String> {
    let name = s
        .get("Package")
        .filter(|n| !n.is_empty())
        .ok_or("stanza has no or an empty Package field")?;
    let (want, state) = match s.get("Status") {
        Some(st) => parse_status_field(st).map_err(|e| format!("package {name}: {e}"))?,
        None if status_optional => ("install", "installed"),
        None => return Err(format!("package {name}: no Status field")),
    };
    if state == "not-installed" {
        return Ok(None);
    }
    let version = match s.get("Version") {
        Some(v) if !v.is_empty() => v,
        _ if state == "config-files" => "",
        _ => return Err(format!("package {name}: no Version field")),
    };
    let mut p = Package::new(name, version, PackageSource::Dpkg, location);
    p.arch = s.get("Architecture").map(str::to_owned);
    p.vendor = s.get("Maintainer").map(str::to_owned);
    p.state = Some(state.to_owned());
    p.hold = want == "hold";
    Ok(Some(p))
}

/// `Status: <want> <flag> <state>`, e.g. `hold ok installed`.
fn parse_status_field(st: &str) -> Result<(&str, &str), String> {
    const WANTS: &[&str] = &["unknown", "install", "hold", "deinstall", "purge"];
    const STATES: &[&str] = &[
        "not-installed",
        "config-files",
        "half-installed",
        "unpacked",
        "half-configured",
        "triggers-awaited",
        "triggers-pending",
        "installed",
    ];
    let parts: Vec<&str> = st.split_whitespace().collect();
    match parts.as_slice() {
        [want, _flag, state] if WANTS.contains(want) && STATES.contains(state) => Ok((want, state)),
        _ => Err(format!(
            "malformed Status `{st}` (expected `<want> <flag> <state>`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_hold_and_last_stanza_without_newline() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\nMaintainer: X\n\nPackage: b\nStatus: hold ok installed\nVersion: 2\n\nPackage: c\nStatus: deinstall ok config-files\nVersion: 3\n\nPackage: d\nStatus: purge ok not-installed\n\nPackage: e\nStatus: install ok unpacked\nVersion: 5\n";
        let (p, e) = parse_status(text, "/s", false);
        assert!(e.is_empty(), "{e:?}");
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.state.as_deref().unwrap(), p.hold))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "installed", false),
                ("b", "installed", true),
                ("c", "config-files", false),
                ("e", "unpacked", false)
            ]
        );
        assert!(p[2].is_config_only());
    }

    #[test]
    fn truncated_file_keeps_packages_and_says_so() {
        let (p, e) = parse_status(
            "Package: kesl\nStatus: install ok installed\nVersion: 12\nMaintainer: AO Kasp",
            "/s",
            false,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].vendor.as_deref(), Some("AO Kasp"));
        assert!(e[0].contains("truncated"), "{e:?}");
    }

    #[test]
    fn malformed_status_is_an_error_with_line_and_package() {
        let (p, e) = parse_status(
            "Package: test1\nStatus: installed ok\nVersion: 1\n",
            "/s",
            false,
        );
        assert!(p.is_empty());
        assert_eq!(e, ["line 1: package test1: malformed Status `installed ok` (expected `<want> <flag> <state>`)"]);
    }
}
