//! Where hives come from: the files of a mounted image (every OS), or the
//! running registry (Windows only, saved to files first, see `live.rs`).
//!
//! Both sides implement [`RegistrySource`] and hand back [`Hive`]s parsed by the
//! same offline reader, so a live scan and a scan of the same machine's disk
//! give the same inventory.
//!
//! User hives: every profile folder under `/Users` (and XP's
//! `/Documents and Settings`) that holds an `NTUSER.DAT`, logged-on or not,
//! plus profiles that `ProfileList` places elsewhere (service profiles under
//! `Windows\ServiceProfiles`, `systemprofile`). `Default` is read too when it
//! has a hive: it is the template new accounts are copied from. `Public` and
//! `All Users` never have one and are skipped.

use std::collections::BTreeMap;

use super::hive::{name_eq, Hive};
use crate::root::{join, EntryType};
use crate::{Output, Root};

/// A machine-wide hive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineHive {
    /// `HKLM\SOFTWARE`.
    Software,
    /// `HKLM\SYSTEM`.
    System,
}

impl MachineHive {
    /// Name under `HKLM` and in `config/`.
    pub fn name(self) -> &'static str {
        match self {
            MachineHive::Software => "SOFTWARE",
            MachineHive::System => "SYSTEM",
        }
    }

    /// Registry path of the hive's root key, e.g. `HKLM\SOFTWARE`.
    pub fn root_path(self) -> String {
        format!("HKLM\\{}", self.name())
    }
}

/// One user's `NTUSER.DAT`.
#[derive(Debug)]
pub struct UserHive {
    /// Profile folder name (`alice`), the `<name>` of scope `user:<name>`.
    pub profile: String,
    /// The account's SID, where `ProfileList` or the live registry says it.
    pub sid: Option<String>,
    /// The parsed hive.
    pub hive: Hive,
}

/// A source of hives.
pub trait RegistrySource {
    /// The machine hive, or `None` when it is absent (problems go to `out`).
    fn machine(&self, which: MachineHive, out: &mut Output) -> Option<Hive>;
    /// Every user hive that could be read. `software` is the SOFTWARE hive if the
    /// caller has it open (for `ProfileList`); otherwise the source opens it.
    fn users(&self, software: Option<&mut Hive>, out: &mut Output) -> Vec<UserHive>;
}

/// The source a collector should use for `root`: the live registry when
/// scanning the running Windows system, the hive files otherwise.
pub fn for_root(root: &Root) -> Box<dyn RegistrySource + '_> {
    #[cfg(windows)]
    if root.is_live() {
        return Box::new(super::live::LiveRegistry::new(root));
    }
    Box::new(OfflineRegistry::new(root))
}

/// Hive files under a root.
#[derive(Debug, Clone)]
pub struct OfflineRegistry {
    root: Root,
}

/// A user profile folder found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Folder name.
    pub name: String,
    /// In-root path of its `NTUSER.DAT`, spelled as on disk.
    pub hive_path: String,
    /// SID from `ProfileList`, when it names this folder.
    pub sid: Option<String>,
}

impl OfflineRegistry {
    /// Reads hives under `root`, ignoring case in paths (as NTFS does).
    pub fn new(root: &Root) -> Self {
        OfflineRegistry {
            root: root.clone().with_case_insensitive(true),
        }
    }

    /// The root, case-insensitive.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// In-root path of a machine hive, spelled as on disk.
    pub fn machine_path(&self, which: MachineHive) -> String {
        real_path(
            &self.root,
            &format!("/Windows/System32/config/{}", which.name()),
        )
    }

    /// Profile folders holding an `NTUSER.DAT`, sorted by path.
    pub fn profiles(&self, software: Option<&mut Hive>, out: &mut Output) -> Vec<Profile> {
        let mut dirs: Vec<String> = Vec::new();
        for base in ["/Users", "/Documents and Settings"] {
            match self.root.read_dir(base) {
                Ok(entries) => dirs.extend(
                    entries
                        .into_iter()
                        .filter(|e| matches!(e.file_type, EntryType::Dir | EntryType::Symlink))
                        .map(|e| join(&real_path(&self.root, base), &e.name)),
                ),
                Err(e) => out.error_unless_missing(e),
            }
        }
        let sids = match software {
            Some(h) => profile_list(h, out),
            None => match self.machine(MachineHive::Software, &mut Output::default()) {
                Some(mut h) => profile_list(&mut h, out),
                None => BTreeMap::new(),
            },
        };
        dirs.extend(
            sids.keys()
                .filter(|&p| self.root.is_dir(p))
                .map(|p| real_path(&self.root, p)),
        );

        let mut seen: Vec<String> = Vec::new();
        let mut found = Vec::new();
        for dir in dirs {
            let Some(hive_path) = find_child(&self.root, &dir, "NTUSER.DAT") else {
                continue;
            };
            // Two spellings or a symlink can lead to the same file: read it once.
            let Ok(host) = self.root.canonical(&hive_path) else {
                continue;
            };
            if seen.contains(&host) {
                continue;
            }
            seen.push(host);
            let sid = sids
                .iter()
                .find(|(p, _)| path_eq(p, &dir))
                .map(|(_, s)| s.clone());
            let name = dir.rsplit('/').next().unwrap_or(&dir).to_owned();
            found.push(Profile {
                name,
                hive_path,
                sid,
            });
        }
        found.sort_by(|a, b| a.hive_path.cmp(&b.hive_path));
        found
    }
}

impl RegistrySource for OfflineRegistry {
    fn machine(&self, which: MachineHive, out: &mut Output) -> Option<Hive> {
        let path = self.machine_path(which);
        if !self.root.exists(&path) {
            return None;
        }
        match Hive::open(&self.root, &path) {
            Ok(h) => Some(h),
            Err(e) => {
                out.error(&path, e.to_string());
                None
            }
        }
    }

    fn users(&self, software: Option<&mut Hive>, out: &mut Output) -> Vec<UserHive> {
        let mut hives = Vec::new();
        for p in self.profiles(software, out) {
            match Hive::open(&self.root, &p.hive_path) {
                Ok(hive) => hives.push(UserHive {
                    profile: p.name,
                    sid: p.sid,
                    hive,
                }),
                Err(e) => out.error(&p.hive_path, e.to_string()),
            }
        }
        hives
    }
}

/// `ProfileList`: in-root profile folder → SID, for folders on the system drive.
pub fn profile_list(software: &mut Hive, out: &mut Output) -> BTreeMap<String, String> {
    const KEY: &str = "Microsoft\\Windows NT\\CurrentVersion\\ProfileList";
    let mut map = BTreeMap::new();
    let list = match software.key(KEY).and_then(|k| match k {
        Some(k) => software.subkeys(&k),
        None => Ok(Vec::new()),
    }) {
        Ok(l) => l,
        Err(e) => {
            out.error(software.location(), format!("{KEY}: {e}"));
            return map;
        }
    };
    for entry in list {
        if let Some(dir) = entry
            .text("ProfileImagePath")
            .and_then(|p| windows_to_root(&p))
        {
            map.insert(dir, entry.name().to_owned());
        }
    }
    map
}

/// Maps a Windows path on the system drive to an in-root path:
/// `C:\Users\bob`, `%SystemDrive%\Users\bob` and `%SystemRoot%\…` are
/// understood; other drives and other variables are not on this root.
pub fn windows_to_root(p: &str) -> Option<String> {
    let p = p.trim().trim_matches('"');
    let lower = p.to_ascii_lowercase();
    let rest = if let Some(r) = strip_ci(p, &lower, "%systemdrive%") {
        r.to_owned()
    } else if let Some(r) =
        strip_ci(p, &lower, "%systemroot%").or_else(|| strip_ci(p, &lower, "%windir%"))
    {
        format!("\\Windows{r}")
    } else if lower.starts_with("c:") {
        p[2..].to_owned()
    } else if lower.starts_with("\\systemroot") {
        format!("\\Windows{}", &p["\\systemroot".len()..])
    } else {
        return None;
    };
    let parts: Vec<&str> = rest.split(['\\', '/']).filter(|s| !s.is_empty()).collect();
    if parts.iter().any(|s| *s == ".." || *s == ".") {
        return None;
    }
    Some(format!("/{}", parts.join("/")))
}

fn strip_ci<'a>(p: &'a str, lower: &str, prefix: &str) -> Option<&'a str> {
    lower.starts_with(prefix).then(|| &p[prefix.len()..])
}

fn path_eq(a: &str, b: &str) -> bool {
    name_eq(a.trim_end_matches('/'), b.trim_end_matches('/'))
}

/// `dir/name` spelled as on disk, if `dir` holds an entry equal to `name` ignoring case.
pub fn find_child(root: &Root, dir: &str, name: &str) -> Option<String> {
    let entries = root.read_dir(dir).ok()?;
    let found = entries
        .iter()
        .find(|e| e.name == name)
        .or_else(|| entries.iter().find(|e| name_eq(&e.name, name)))?;
    Some(join(dir, &found.name))
}

/// An in-root path with each existing component spelled as on disk (for
/// locations in the report); components that do not exist are kept as given.
pub fn real_path(root: &Root, path: &str) -> String {
    let mut out = String::new();
    for part in path.split('/').filter(|s| !s.is_empty()) {
        let dir = if out.is_empty() {
            "/".to_owned()
        } else {
            out.clone()
        };
        out = find_child(root, &dir, part).unwrap_or_else(|| join(&dir, part));
    }
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// The hives of one scan, each opened and parsed at most once.
///
/// Every Windows collector needs SOFTWARE and most need the user hives; a real
/// SOFTWARE hive is 50–150 MiB, and parsing it once per collector, in parallel,
/// multiplied both time and memory. The registry collector opens a `Hives`
/// and hands it to each reader in turn.
pub struct Hives<'a> {
    src: Box<dyn RegistrySource + 'a>,
    software: Option<Option<Hive>>,
    system: Option<Option<Hive>>,
    users: Option<Vec<UserHive>>,
}

impl<'a> Hives<'a> {
    /// Hives of `root`, none opened yet.
    pub fn new(root: &'a Root) -> Self {
        Hives {
            src: for_root(root),
            software: None,
            system: None,
            users: None,
        }
    }

    /// SOFTWARE, opened on first use.
    pub fn software(&mut self, out: &mut Output) -> Option<&mut Hive> {
        let src = &self.src;
        self.software
            .get_or_insert_with(|| src.machine(MachineHive::Software, out))
            .as_mut()
    }

    /// SYSTEM, opened on first use.
    pub fn system(&mut self, out: &mut Output) -> Option<&mut Hive> {
        let src = &self.src;
        self.system
            .get_or_insert_with(|| src.machine(MachineHive::System, out))
            .as_mut()
    }

    /// SOFTWARE and every user hive together (the Uninstall and certificate
    /// readers walk both), users opened on first use.
    pub fn software_and_users(
        &mut self,
        out: &mut Output,
    ) -> (Option<&mut Hive>, &mut Vec<UserHive>) {
        let src = &self.src;
        let software = self
            .software
            .get_or_insert_with(|| src.machine(MachineHive::Software, out))
            .as_mut();
        match self.users {
            Some(ref mut users) => (software, users),
            None => {
                let mut software = software;
                let users = src.users(software.as_deref_mut(), out);
                (software, self.users.insert(users))
            }
        }
    }

    /// Reports each open hive's structural problems once.
    pub fn report(&mut self, out: &mut Output) {
        for h in [&mut self.software, &mut self.system]
            .into_iter()
            .flatten()
            .flatten()
        {
            h.report(out);
        }
        for u in self.users.iter_mut().flatten() {
            u.hive.report(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_map_onto_the_system_drive_only() {
        assert_eq!(
            windows_to_root("C:\\Users\\alice").as_deref(),
            Some("/Users/alice")
        );
        assert_eq!(
            windows_to_root("%SystemDrive%\\Users\\bob").as_deref(),
            Some("/Users/bob")
        );
        assert_eq!(
            windows_to_root("%systemroot%\\system32\\config\\systemprofile").as_deref(),
            Some("/Windows/system32/config/systemprofile")
        );
        assert_eq!(windows_to_root("D:\\Users\\carol"), None);
        assert_eq!(windows_to_root("C:\\Users\\..\\..\\etc"), None);
    }
}
