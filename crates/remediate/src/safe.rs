//! Checks on names and paths taken from a report, and quoting for scripts.
//!
//! A report describes a scanned image, and an image is hostile input: a
//! package may be called `--admindir=/`, a path may hold `..` or a newline.
//! Every value that reaches a command line or a script passes one of these
//! checks first; a value that fails becomes a manual step, never a command.

/// Normalises an in-root path: it must be absolute, and may not contain `.`,
/// `..`, NUL or control characters. Repeated and trailing `/` are dropped.
pub fn normalize(path: &str) -> Result<String, &'static str> {
    if !path.starts_with('/') {
        return Err("not an absolute path");
    }
    if path.chars().any(char::is_control) {
        return Err("control character in path");
    }
    let mut out = String::with_capacity(path.len());
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        if comp == "." || comp == ".." {
            return Err("`.` or `..` in path");
        }
        out.push('/');
        out.push_str(comp);
    }
    if out.is_empty() {
        return Err("the root itself");
    }
    Ok(out)
}

/// System directories that are never deleted, whatever a catalog rule says.
const PROTECTED: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/etc/ssl",
    "/etc/ssl/certs",
    "/etc/systemd",
    "/etc/systemd/system",
    "/etc/init.d",
    "/etc/pki",
    "/usr/bin",
    "/usr/lib",
    "/usr/lib/systemd",
    "/usr/lib/systemd/system",
    "/usr/local",
    "/usr/sbin",
    "/usr/share",
    "/usr/local/share",
    "/usr/local/share/ca-certificates",
    "/usr/share/ca-certificates",
    "/var/lib",
    "/var/log",
    "/var/opt",
    "/var/lib/dpkg",
    "/var/lib/rpm",
    "/lib/modules",
    "/usr/lib/modules",
    "/applications",
    "/library",
    "/system",
    "/users",
    "/private",
    "/library/application support",
    "/library/launchdaemons",
    "/library/launchagents",
    "/library/extensions",
    "/library/systemextensions",
    "/program files",
    "/program files (x86)",
    "/programdata",
    "/windows",
    "/windows/system32",
    "/windows/system32/drivers",
];

/// True for a path uproot refuses to delete: one level deep, or a well-known
/// system directory. Compared case-insensitively (Windows and macOS roots).
pub fn is_protected(path: &str) -> bool {
    let depth = path.split('/').filter(|c| !c.is_empty()).count();
    if depth < 2 {
        return true;
    }
    let lower = path.trim_end_matches('/').to_lowercase();
    if PROTECTED.contains(&lower.as_str()) {
        return true;
    }
    // A user's home, a Windows profile, or a macOS user library.
    let comps: Vec<&str> = lower.split('/').filter(|c| !c.is_empty()).collect();
    matches!(
        comps.as_slice(),
        ["home", _] | ["users", _] | ["users", _, "library"] | ["users", _, "appdata"]
    )
}

fn all(s: &str, max: usize, first: impl Fn(char) -> bool, rest: impl Fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if first(c) => {}
        _ => return false,
    }
    s.len() <= max && chars.all(rest)
}

/// A package name any of dpkg, rpm, apk, pacman, snap or flatpak could have,
/// and that no tool can read as an option.
pub fn package_name(s: &str) -> bool {
    all(
        s,
        200,
        |c| c.is_ascii_alphanumeric(),
        |c| c.is_ascii_alphanumeric() || "._+~:@-".contains(c),
    )
}

/// A systemd unit name or SysV script name.
pub fn service_name(s: &str) -> bool {
    all(
        s,
        255,
        |c| c.is_ascii_alphanumeric(),
        |c| c.is_ascii_alphanumeric() || "._@:-\\".contains(c),
    )
}

/// A kernel module, launchd label, bundle id or Windows service name.
pub fn ident(s: &str) -> bool {
    all(
        s,
        255,
        |c| c.is_ascii_alphanumeric(),
        |c| c.is_ascii_alphanumeric() || "._-".contains(c),
    )
}

/// A Windows Installer ProductCode: `{8-4-4-4-12}` hex.
pub fn product_code(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 38 || b[0] != b'{' || b[37] != b'}' {
        return false;
    }
    s[1..37].char_indices().all(|(i, c)| {
        if [8, 13, 18, 23].contains(&i) {
            c == '-'
        } else {
            c.is_ascii_hexdigit()
        }
    })
}

/// `n` hex digits.
pub fn hex(s: &str, n: usize) -> bool {
    s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// An Apple Developer Team ID.
pub fn team_id(s: &str) -> bool {
    s.len() == 10
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A machine registry key uproot may delete: `HKLM\SOFTWARE\…` at least
/// three levels deep, no control characters or empty components.
pub fn machine_registry_key(s: &str) -> Option<String> {
    if s.chars().any(char::is_control) || s.contains("\\\\") || s.ends_with('\\') {
        return None;
    }
    let (hive, rest) = s.split_once('\\')?;
    if !matches!(
        hive.to_ascii_uppercase().as_str(),
        "HKLM" | "HKEY_LOCAL_MACHINE"
    ) {
        return None;
    }
    let comps: Vec<&str> = rest.split('\\').collect();
    if comps.len() < 2
        || comps
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return None;
    }
    Some(format!("HKLM\\{rest}"))
}

/// Quotes a value for POSIX sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Quotes a value for PowerShell: a single-quoted string, where PowerShell
/// also treats the typographic quotes U+2018..U+201B as quote characters.
pub fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Makes a value safe to print on one line (control characters become `?`).
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `/Program Files/X` → `C:\Program Files\X`.
pub fn windows_path(path: &str) -> String {
    format!("C:{}", path.replace('/', "\\"))
}

/// True when `path` is `dir` or lies under it (`ci`: ignoring ASCII case).
pub fn is_under(path: &str, dir: &str, ci: bool) -> bool {
    let (p, d) = if ci {
        (path.to_lowercase(), dir.to_lowercase())
    } else {
        (path.to_owned(), dir.to_owned())
    };
    p == d || p.starts_with(&format!("{}/", d.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_or_refused() {
        assert_eq!(normalize("/opt//kaspersky/").unwrap(), "/opt/kaspersky");
        assert!(normalize("opt/kaspersky").is_err());
        assert!(normalize("/opt/../etc").is_err());
        assert!(normalize("/opt/./x").is_err());
        assert!(normalize("/opt/a\nb").is_err());
        assert!(normalize("/").is_err());
    }

    #[test]
    fn system_directories_are_protected() {
        for p in [
            "/opt",
            "/etc",
            "/usr/lib",
            "/home/alice",
            "/Program Files (x86)",
            "/Users/bob/Library",
        ] {
            assert!(is_protected(p), "{p}");
        }
        for p in [
            "/opt/kaspersky",
            "/var/opt/kaspersky",
            "/Program Files (x86)/Kaspersky Lab",
        ] {
            assert!(!is_protected(p), "{p}");
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        assert!(package_name("kesl"));
        assert!(package_name("libstdc++6"));
        assert!(!package_name("--admindir=/"));
        assert!(!package_name("a b"));
        assert!(!package_name("$(reboot)"));
        assert!(product_code("{C9EF800D-54AA-4F60-AB96-5A3966550F53}"));
        assert!(!product_code("{C9EF800D-54AA-4F60-AB96-5A3966550F5}"));
        assert!(!product_code("C9EF800D-54AA-4F60-AB96-5A3966550F53"));
        assert_eq!(
            machine_registry_key(r"HKLM\SOFTWARE\KasperskyLab").as_deref(),
            Some(r"HKLM\SOFTWARE\KasperskyLab")
        );
        assert_eq!(machine_registry_key(r"HKLM\SOFTWARE"), None);
        assert_eq!(
            machine_registry_key(r"HKU\alice\Software\KasperskyLab"),
            None
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(ps_quote("it's"), "'it''s'");
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(windows_path("/Program Files/X"), r"C:\Program Files\X");
        assert!(is_under("/opt/kaspersky/kesl", "/opt/kaspersky", false));
        assert!(!is_under("/opt/kasperskyx", "/opt/kaspersky", false));
        assert!(is_under(
            "/Program Files/Kaspersky Lab/x",
            "/program files/kaspersky lab",
            true
        ));
    }
}
