//! Installed programs: the `Uninstall` keys that Programs and Features, winget
//! and every inventory tool read.
//!
//! Three places hold them: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
//! (64-bit and machine-wide), the same under `SOFTWARE\WOW6432Node` (32-bit
//! installers on 64-bit Windows; libguestfs' test guest spells it `WOW6432node`,
//! so lookups ignore case), and each user's
//! `NTUSER.DAT\Software\Microsoft\Windows\CurrentVersion\Uninstall` (per-user
//! installs, which only that user's hive shows; logged-off users included).
//!
//! A subkey is a program when it has a `DisplayName`, as Programs and Features
//! decides; reglookup lists every subkey, so a subkey without one (a component
//! registration, a leftover) is in reglookup's output and not here. Entries that
//! Programs and Features hides (`SystemComponent=1`, updates with a
//! `ParentKeyName`) are kept: a hidden Kaspersky component is still installed.

use uproot_inventory::{Package, PackageSource};

use super::hive::{Hive, HiveError, Key};
use super::source::Hives;
use crate::{CollectOptions, Collector, Output, Root};

/// The Uninstall-key collector.
pub struct Uninstall;

/// Uninstall keys in SOFTWARE, with the architecture their programs have.
pub const MACHINE_KEYS: [(&str, Option<&str>); 2] = [
    ("Microsoft\\Windows\\CurrentVersion\\Uninstall", None),
    (
        "WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        Some("x86"),
    ),
];
/// The per-user Uninstall key in NTUSER.DAT.
pub const USER_KEY: &str = "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall";

impl Collector for Uninstall {
    fn name(&self) -> &'static str {
        "windows-uninstall"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = Hives::new(root);
        collect_from(&mut hives, opts, out);
        hives.report(out);
    }
}

/// Reads machine-wide and per-user programs from already-open hives.
pub fn collect_from(hives: &mut Hives, _opts: &CollectOptions, out: &mut Output) {
    let (software, users) = hives.software_and_users(out);
    if let Some(h) = software {
        for (key, arch) in MACHINE_KEYS {
            read_into(h, key, "machine", arch, out);
        }
    }
    for user in users.iter_mut() {
        let scope = format!("user:{}", user.profile);
        read_into(&mut user.hive, USER_KEY, &scope, None, out);
    }
}

fn read_into(hive: &mut Hive, key: &str, scope: &str, arch: Option<&str>, out: &mut Output) {
    match read_uninstall(hive, key, scope, arch) {
        Ok(pkgs) => out.inventory.packages.extend(pkgs),
        Err(e) => out.error(hive.location(), format!("{key}: {e}")),
    }
}

/// Reads the programs under `key_path` of `hive`. `scope` is `machine` or
/// `user:<profile>`; `arch` is set for `WOW6432Node` entries. A missing key is
/// no programs, not an error.
pub fn read_uninstall(
    hive: &mut Hive,
    key_path: &str,
    scope: &str,
    arch: Option<&str>,
) -> Result<Vec<Package>, HiveError> {
    let Some(key) = hive.key(key_path)? else {
        return Ok(Vec::new());
    };
    let location = hive.location().to_owned();
    Ok(hive
        .subkeys(&key)?
        .iter()
        .filter_map(|k| to_package(k, &location, scope, arch))
        .collect())
}

/// One Uninstall subkey as a package, or `None` when it has no `DisplayName`.
pub fn to_package(
    key: &Key,
    hive_location: &str,
    scope: &str,
    arch: Option<&str>,
) -> Option<Package> {
    let name = key.text("DisplayName")?;
    let version = key.text("DisplayVersion").unwrap_or_default();
    let location = format!("{hive_location}\\{}", key.path());
    let mut p = Package::new(&name, &version, PackageSource::WindowsUninstall, &location);
    p.vendor = key.text("Publisher");
    p.arch = arch.map(str::to_owned);
    p.uninstall = key.text("UninstallString");
    p.install_location = key.text("InstallLocation");
    p.scope = Some(scope.to_owned());
    if is_guid(key.name()) || key.number("WindowsInstaller") == Some(1) {
        p.id = Some(key.name().to_owned());
    }
    Some(p)
}

/// True for a braced GUID such as an MSI ProductCode, `{C9EF800D-54AA-4F60-AB96-5A3966550F53}`.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b[0] == b'{'
        && b[37] == b'}'
        && b[1..37].iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid("{C9EF800D-54AA-4F60-AB96-5A3966550F53}"));
        assert!(is_guid("{042365c3-6595-5b1c-9db7-bb6ec2e7f0db}"));
        assert!(!is_guid("{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1"));
        assert!(!is_guid("GitHubDesktop"));
    }
}
