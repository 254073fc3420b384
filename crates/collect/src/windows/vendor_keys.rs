//! Registry keys the catalog asks about, such as `HKLM\SOFTWARE\KasperskyLab`:
//! their existence is evidence (products leave them behind), and their values
//! name the product, its version and its folders.
//!
//! A query is a registry path with a root (`HKLM\SOFTWARE`, `HKLM\SYSTEM`,
//! `HKCU`, `HKU\<sid or profile>`, `HKCR`, or the `HKEY_…` long forms) and
//! segments that may hold `*` and `?` wildcards, all compared ignoring case.
//! `HKLM\SYSTEM\CurrentControlSet` is resolved through `Select\Current`.
//! `HKCU\…` is asked of every user hive, reported as `HKU\<profile>\…`.
//!
//! A `HKLM\SOFTWARE\X` query is also asked of `HKLM\SOFTWARE\WOW6432Node\X`,
//! because that is where a 32-bit installer's `HKLM\SOFTWARE\X` lands on
//! 64-bit Windows (registry redirection); the record carries the real path.
//!
//! `SOFTWARE\KasperskyLab\protected\*\environment` (product name, version and
//! root of every installed Kaspersky product, as Tenable's plugin reads it) is
//! always asked, whatever the catalog says.
//!
//! KSN consent is not collected here: indicators.md §1.13 documents it as an
//! MSI property and a policy toggle, with no registry value to read.

use std::collections::{BTreeMap, BTreeSet};

use uproot_inventory::RegistryKey;

use super::hive::{name_eq, Hive, HiveError, Key};
use super::services::current_control_set;
use super::source::{Hives, MachineHive};
use crate::{CollectOptions, Collector, Output, Root};

/// The vendor-key collector.
pub struct VendorKeys;

/// Queries asked on every scan.
pub const BUILTIN: &[&str] = &["HKLM\\SOFTWARE\\KasperskyLab\\protected\\*\\environment"];
/// Keys one query may match; the rest are reported as truncated.
pub const MAX_MATCHES: usize = 1000;
/// Values rendered per key.
pub const MAX_VALUES: usize = 256;

/// Which hive a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A machine hive.
    Machine(MachineHive),
    /// User hives whose SID or profile name matches the pattern (`*` for `HKCU`).
    Users(String),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The hive.
    pub target: Target,
    /// Path segments below the hive root (glob patterns).
    pub segments: Vec<String>,
}

/// Parses `HKLM\SOFTWARE\KasperskyLab\protected\*\environment` and the like;
/// `None` for roots that are not read from disk (`HKLM\SAM`, `HKEY_CURRENT_CONFIG`).
pub fn parse_query(path: &str) -> Option<Query> {
    let mut parts = path
        .split(['\\', '/'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter();
    let root = parts.next()?.to_ascii_uppercase();
    let mut rest: Vec<String> = parts.collect();
    let target = match root.as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => {
            if rest.is_empty() {
                return None;
            }
            let hive = rest.remove(0).to_ascii_uppercase();
            match hive.as_str() {
                "SOFTWARE" => Target::Machine(MachineHive::Software),
                "SYSTEM" => Target::Machine(MachineHive::System),
                _ => return None,
            }
        }
        "HKCR" | "HKEY_CLASSES_ROOT" => {
            rest.insert(0, "Classes".into());
            Target::Machine(MachineHive::Software)
        }
        "HKCU" | "HKEY_CURRENT_USER" => Target::Users("*".into()),
        "HKU" | "HKEY_USERS" => {
            if rest.is_empty() {
                return None;
            }
            Target::Users(rest.remove(0))
        }
        _ => return None,
    };
    Some(Query {
        target,
        segments: rest,
    })
}

/// Case-insensitive glob match of one key name (`*` any run, `?` one character).
pub fn glob_eq(pattern: &str, name: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return name_eq(pattern, name);
    }
    let p: Vec<char> = pattern.chars().flat_map(char::to_uppercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_uppercase).collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ni;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The keys of `hive` below its root that match `segments`; the flag is true
/// when more than [`MAX_MATCHES`] matched.
pub fn expand(hive: &mut Hive, segments: &[String]) -> Result<(Vec<Key>, bool), HiveError> {
    let mut frontier = vec![hive.root()?];
    let mut truncated = false;
    for seg in segments.iter().take(super::hive::MAX_DEPTH) {
        let mut next = Vec::new();
        for key in &frontier {
            if seg.contains(['*', '?']) {
                next.extend(
                    hive.subkeys(key)?
                        .into_iter()
                        .filter(|k| glob_eq(seg, k.name())),
                );
            } else if let Some(k) = hive.subkey(key, seg)? {
                next.push(k);
            }
            if next.len() > MAX_MATCHES {
                next.truncate(MAX_MATCHES);
                truncated = true;
                break;
            }
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    Ok((frontier, truncated))
}

/// A found key as a record. `display_root` is e.g. `HKLM\SOFTWARE` or `HKU\alice`.
pub fn to_record(key: &Key, display_root: &str, location: &str) -> RegistryKey {
    let mut values = BTreeMap::new();
    for (name, v) in key.values().into_iter().take(MAX_VALUES) {
        let name = if name.is_empty() {
            "(default)".to_owned()
        } else {
            name
        };
        values.insert(name, v.render());
    }
    let path = if key.path().is_empty() {
        display_root.to_owned()
    } else {
        format!("{display_root}\\{}", key.path())
    };
    RegistryKey {
        path,
        values,
        location: location.to_owned(),
    }
}

impl Collector for VendorKeys {
    fn name(&self) -> &'static str {
        "windows-registry-keys"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = Hives::new(root);
        collect_from(&mut hives, opts, out);
        hives.report(out);
    }
}

/// Reads the registry keys the catalog asks about from already-open hives.
pub fn collect_from(hives: &mut Hives, opts: &CollectOptions, out: &mut Output) {
    let mut queries: Vec<Query> = Vec::new();
    for p in BUILTIN
        .iter()
        .copied()
        .chain(opts.registry_paths.iter().map(String::as_str))
    {
        match parse_query(p) {
            Some(q) if !queries.contains(&q) => queries.push(q),
            Some(_) => {}
            None => out.error(
                p,
                "registry path not under HKLM\\SOFTWARE, HKLM\\SYSTEM, HKCR, HKCU or HKU; skipped",
            ),
        }
    }
    let mut seen = BTreeSet::new();
    let mut push = |out: &mut Output, rec: RegistryKey| {
        if seen.insert((rec.location.clone(), rec.path.to_ascii_lowercase())) {
            out.inventory.registry_keys.push(rec);
        }
    };
    for q in &queries {
        match &q.target {
            Target::Machine(MachineHive::Software) => {
                let Some(h) = hives.software(out) else {
                    continue;
                };
                let mut variants = vec![q.segments.clone()];
                if !q
                    .segments
                    .first()
                    .is_some_and(|s| glob_eq(s, "WOW6432Node"))
                {
                    variants.push([vec!["WOW6432Node".to_owned()], q.segments.clone()].concat());
                }
                for segs in variants {
                    for rec in run(h, &segs, "HKLM\\SOFTWARE", out) {
                        push(out, rec);
                    }
                }
            }
            Target::Machine(MachineHive::System) => {
                let Some(h) = hives.system(out) else { continue };
                let mut segs = q.segments.clone();
                let ccs = segs
                    .first()
                    .is_some_and(|s| name_eq(s, "CurrentControlSet"));
                if ccs {
                    match current_control_set(h) {
                        Ok(Some(set)) => segs[0] = set,
                        Ok(None) => continue,
                        Err(e) => {
                            out.error(h.location(), e.to_string());
                            continue;
                        }
                    }
                }
                for mut rec in run(h, &segs, "HKLM\\SYSTEM", out) {
                    if ccs {
                        // Report the path as the live registry names it.
                        let tail = rec.path.splitn(4, '\\').nth(3).unwrap_or("");
                        rec.path = format!("HKLM\\SYSTEM\\CurrentControlSet\\{tail}")
                            .trim_end_matches('\\')
                            .to_owned();
                    }
                    push(out, rec);
                }
            }
            Target::Users(who) => {
                let (_, users) = hives.software_and_users(out);
                for u in users.iter_mut() {
                    let matches = glob_eq(who, &u.profile)
                        || u.sid.as_deref().is_some_and(|s| glob_eq(who, s));
                    if matches {
                        let display = format!("HKU\\{}", u.profile);
                        for rec in run(&mut u.hive, &q.segments, &display, out) {
                            push(out, rec);
                        }
                    }
                }
            }
        }
    }
}

fn run(
    hive: &mut Hive,
    segments: &[String],
    display_root: &str,
    out: &mut Output,
) -> Vec<RegistryKey> {
    match expand(hive, segments) {
        Ok((keys, truncated)) => {
            if truncated {
                out.error(
                    hive.location(),
                    format!("{display_root}\\{}: more than {MAX_MATCHES} keys match; the rest are skipped", segments.join("\\")),
                );
            }
            let location = hive.location().to_owned();
            keys.iter()
                .map(|k| to_record(k, display_root, &location))
                .collect()
        }
        Err(e) => {
            out.error(
                hive.location(),
                format!("{display_root}\\{}: {e}", segments.join("\\")),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_ignore_case() {
        assert!(glob_eq("KES*", "kes.21.19"));
        assert!(glob_eq("*", "anything"));
        assert!(glob_eq("AVP??", "avp21"));
        assert!(!glob_eq("AVP??", "avp2"));
        assert!(glob_eq("environment", "Environment"));
        assert!(!glob_eq("KES*", "AVP21"));
    }

    #[test]
    fn queries_name_their_hive() {
        let q = parse_query("HKEY_LOCAL_MACHINE\\Software\\KasperskyLab").unwrap();
        assert_eq!(q.target, Target::Machine(MachineHive::Software));
        assert_eq!(q.segments, ["KasperskyLab"]);
        let q = parse_query("HKCU\\Software\\KasperskyLab").unwrap();
        assert_eq!(q.target, Target::Users("*".into()));
        let q = parse_query("HKCR\\kaspersky").unwrap();
        assert_eq!(q.segments, ["Classes", "kaspersky"]);
        assert!(parse_query("HKLM\\SAM\\x").is_none());
        assert!(parse_query("nonsense").is_none());
    }
}
