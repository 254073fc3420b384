//! The commands a step runs, as argv lists. The plan shows them and the
//! executor runs them from the same functions, so what was reviewed is what runs.

use std::collections::BTreeMap;

use crate::model::{Action, InitSystem, MsiProperty, PackageManager};

/// One command: argv, with the positions that hold secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Indexes into `argv` that carry a secret input (redacted in logs).
    pub secret: Vec<usize>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

impl CommandSpec {
    /// A command from string slices.
    pub fn new<S: AsRef<str>>(argv: impl IntoIterator<Item = S>) -> Self {
        CommandSpec {
            argv: argv.into_iter().map(|s| s.as_ref().to_owned()).collect(),
            secret: Vec::new(),
            env: Vec::new(),
        }
    }

    /// argv with secrets replaced by `***`, for logs and output.
    pub fn shown(&self) -> Vec<String> {
        self.argv
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if self.secret.contains(&i) {
                    match a.split_once('=') {
                        Some((k, _)) => format!("{k}=***"),
                        None => "***".to_owned(),
                    }
                } else {
                    a.clone()
                }
            })
            .collect()
    }
}

/// The front end a live rpm host removes packages with, from its distro id.
pub fn rpm_frontend(distro: Option<&str>) -> &'static str {
    match distro.unwrap_or("") {
        d if d.starts_with("opensuse") || d.starts_with("sles") || d == "suse" => "zypper",
        _ => "dnf",
    }
}

/// Package removal commands.
pub fn remove_packages(
    manager: PackageManager,
    packages: &[String],
    db: Option<&str>,
    db_backend: Option<&str>,
    root: &str,
    live: bool,
    frontend: &str,
) -> CommandSpec {
    let mut argv: Vec<String> = Vec::new();
    let mut env = Vec::new();
    match (manager, live) {
        (PackageManager::Dpkg, true) => {
            argv.extend(["apt-get", "purge", "-y"].map(String::from));
            env.push(("DEBIAN_FRONTEND".into(), "noninteractive".into()));
        }
        (PackageManager::Dpkg, false) => {
            argv.push("dpkg".into());
            argv.push(format!("--root={root}"));
            argv.push(format!(
                "--log={}/var/log/dpkg.log",
                root.trim_end_matches('/')
            ));
            argv.push("--purge".into());
        }
        (PackageManager::Rpm, true) => match frontend {
            "zypper" => argv.extend(
                ["zypper", "--non-interactive", "remove", "--no-clean-deps"].map(String::from),
            ),
            fe => {
                argv.extend(
                    [
                        fe,
                        "remove",
                        "-y",
                        "--setopt=clean_requirements_on_remove=False",
                    ]
                    .map(String::from),
                );
            }
        },
        (PackageManager::Rpm, false) => {
            argv.extend(["rpm".to_owned(), "--root".to_owned(), root.to_owned()]);
            argv.extend([
                "--dbpath".to_owned(),
                db.unwrap_or("/var/lib/rpm").to_owned(),
            ]);
            if let Some(b) = db_backend.filter(|b| *b != "bdb") {
                argv.extend(["--define".to_owned(), format!("_db_backend {b}")]);
            }
            argv.push("-e".into());
        }
        (PackageManager::Apk, true) => argv.extend(["apk", "del"].map(String::from)),
        (PackageManager::Apk, false) => argv.extend([
            "apk".to_owned(),
            "--root".to_owned(),
            root.to_owned(),
            "del".to_owned(),
        ]),
        (PackageManager::Pacman, true) => {
            argv.extend(["pacman", "-R", "--noconfirm"].map(String::from))
        }
        (PackageManager::Pacman, false) => argv.extend([
            "pacman".to_owned(),
            "--sysroot".to_owned(),
            root.to_owned(),
            "-R".to_owned(),
            "--noconfirm".to_owned(),
        ]),
        (PackageManager::Snap, _) => argv.extend(["snap", "remove", "--purge"].map(String::from)),
        (PackageManager::Flatpak, _) => {
            argv.extend(["flatpak", "uninstall", "-y", "--noninteractive"].map(String::from))
        }
    }
    argv.extend(packages.iter().cloned());
    CommandSpec {
        argv,
        secret: Vec::new(),
        env,
    }
}

/// `msiexec /x {code} PROP=value … /qn /norestart`. With `inputs` = None the
/// values are shown as `<NAME>`; an empty input leaves its property off.
pub fn msiexec(
    code: &str,
    properties: &[MsiProperty],
    inputs: Option<&BTreeMap<String, String>>,
) -> CommandSpec {
    let mut c = CommandSpec::new(["msiexec.exe", "/x", code]);
    for p in properties {
        let value = match inputs {
            None => format!("<{}>", p.input),
            Some(map) => match map.get(&p.input).map(String::as_str).unwrap_or("") {
                "" => continue,
                v if p.encoding.as_deref() == Some("utf16le-hex") => utf16le_hex(v),
                v => v.to_owned(),
            },
        };
        if inputs.is_some() && p.property != "KLLOGIN" {
            c.secret.push(c.argv.len());
        }
        c.argv.push(format!("{}={value}", p.property));
    }
    c.argv.extend(["/qn", "/norestart"].map(String::from));
    c
}

/// A password as msiexec expects it for `KLUNINSTPASSWD`: the UTF-16LE bytes in uppercase hex.
pub fn utf16le_hex(s: &str) -> String {
    s.encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The main commands of an action on a host (not the idempotence probes).
pub fn for_action(
    action: &Action,
    root: &str,
    live: bool,
    distro: Option<&str>,
    inputs: Option<&BTreeMap<String, String>>,
) -> Vec<CommandSpec> {
    match action {
        Action::RemovePackages {
            manager,
            packages,
            db,
            db_backend,
        } => vec![remove_packages(
            *manager,
            packages,
            db.as_deref(),
            db_backend.as_deref(),
            root,
            live,
            rpm_frontend(distro),
        )],
        Action::RemoveService {
            init,
            name,
            link_dir,
            ..
        } if live => match init {
            InitSystem::Systemd if link_dir == "/etc/systemd/system" => vec![
                CommandSpec::new(["systemctl", "disable", "--now", name.as_str()]),
                CommandSpec::new(["systemctl", "daemon-reload"]),
            ],
            InitSystem::Systemd => Vec::new(),
            InitSystem::Sysv => vec![CommandSpec::new(["service", name.as_str(), "stop"])],
        },
        Action::RemoveKernelModule {
            module,
            file,
            kernel,
        } => {
            let mut v = Vec::new();
            if live {
                v.push(CommandSpec::new(["modprobe", "-r", module.as_str()]));
            }
            if let (Some(_), Some(k)) = (file, kernel) {
                if live {
                    v.push(CommandSpec::new(["depmod", k.as_str()]));
                } else {
                    v.push(CommandSpec::new(["depmod", "-b", root, k.as_str()]));
                }
            }
            v
        }
        Action::RemoveCaCertificate { refresh, .. } if live && !refresh.is_empty() => {
            vec![CommandSpec::new(refresh)]
        }
        Action::MsiUninstall {
            product_code,
            properties,
            ..
        } => vec![msiexec(product_code, properties, inputs)],
        Action::WindowsRemoveCertificate {
            store, thumbprint, ..
        } => {
            vec![CommandSpec::new([
                "certutil.exe",
                "-delstore",
                store.as_str(),
                thumbprint.as_str(),
            ])]
        }
        Action::WindowsDeleteService { name, .. } => vec![
            CommandSpec::new(["sc.exe", "stop", name.as_str()]),
            CommandSpec::new(["sc.exe", "delete", name.as_str()]),
        ],
        Action::WindowsDeleteRegistryKey { key } => {
            vec![CommandSpec::new(["reg.exe", "delete", key.as_str(), "/f"])]
        }
        Action::LaunchdRemove { label, domain, .. } => {
            let target = if domain == "system" {
                format!("system/{label}")
            } else {
                format!("gui/<console uid>/{label}")
            };
            vec![CommandSpec::new([
                "launchctl".to_owned(),
                "bootout".to_owned(),
                target,
            ])]
        }
        Action::PkgutilForget { id } => {
            vec![CommandSpec::new(["pkgutil", "--forget", id.as_str()])]
        }
        Action::KextUnload { bundle_id } => vec![CommandSpec::new([
            "kmutil",
            "unload",
            "-b",
            bundle_id.as_str(),
        ])],
        Action::SystemExtensionUninstall { team_id, bundle_id } => vec![CommandSpec::new([
            "systemextensionsctl",
            "uninstall",
            team_id.as_str(),
            bundle_id.as_str(),
        ])],
        Action::MacRemoveCertificate { sha1, keychain } => vec![CommandSpec::new([
            "security",
            "delete-certificate",
            "-Z",
            sha1.as_str(),
            keychain.as_str(),
        ])],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_agent_password_is_utf16le_hex() {
        // The encoding the Network Agent's KLUNINSTPASSWD expects: "ab" → 61 00 62 00.
        assert_eq!(utf16le_hex("ab"), "61006200");
        assert_eq!(utf16le_hex("é"), "E900");
    }

    #[test]
    fn secrets_are_redacted_and_empty_inputs_left_off() {
        let props = vec![
            MsiProperty {
                property: "KLLOGIN".into(),
                input: "KLLOGIN".into(),
                encoding: None,
            },
            MsiProperty {
                property: "KLPASSWD".into(),
                input: "KLPASSWD".into(),
                encoding: None,
            },
        ];
        let code = "{C9EF800D-54AA-4F60-AB96-5A3966550F53}";
        let shown = msiexec(code, &props, None).shown();
        assert_eq!(
            shown,
            [
                "msiexec.exe",
                "/x",
                code,
                "KLLOGIN=<KLLOGIN>",
                "KLPASSWD=<KLPASSWD>",
                "/qn",
                "/norestart"
            ]
        );
        let inputs: BTreeMap<String, String> = [
            ("KLLOGIN".to_owned(), "admin".to_owned()),
            ("KLPASSWD".to_owned(), "s3cret".to_owned()),
        ]
        .into();
        let c = msiexec(code, &props, Some(&inputs));
        assert!(c.argv.contains(&"KLPASSWD=s3cret".to_owned()));
        assert!(!c.shown().iter().any(|a| a.contains("s3cret")));
        let empty: BTreeMap<String, String> = [("KLLOGIN".to_owned(), String::new())].into();
        assert_eq!(
            msiexec(code, &props, Some(&empty)).argv,
            ["msiexec.exe", "/x", code, "/qn", "/norestart"]
        );
    }
}
