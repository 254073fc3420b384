//! The service files in dist/ are well-formed and keep the scanner able to
//! read the whole filesystem.

use std::path::PathBuf;
use std::process::Command;

fn dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist")
}

#[test]
fn the_launchd_plist_parses_and_the_unit_verifies() {
    let out = Command::new("sh")
        .arg(dist().join("check"))
        .output()
        .expect("run dist/check (needs sh and python3)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("plist ok"), "{text}");
}

#[test]
fn the_systemd_unit_is_hardened_but_can_read_everything() {
    let unit = std::fs::read_to_string(dist().join("systemd/uproot-agent.service")).unwrap();
    let has = |l: &str| unit.lines().any(|x| x.trim() == l);
    for line in [
        "Type=simple",
        "ExecStart=/usr/local/bin/uproot agent run --interval 6h",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/uproot",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "Restart=on-failure",
        "ProtectHome=read-only",
    ] {
        assert!(has(line), "missing {line}");
    }
    // Each of these would hide something the collectors read.
    for hiding in [
        "ProtectKernelModules=yes",
        "ProtectHome=yes",
        "ProcSubset=pid",
        "ProtectProc=invisible",
        "InaccessiblePaths=",
    ] {
        assert!(
            !unit.lines().any(|l| l.trim().starts_with(hiding)),
            "{hiding} hides files the scanner must read"
        );
    }
}

#[test]
fn the_windows_notes_register_a_localsystem_service() {
    let md = std::fs::read_to_string(dist().join("windows/README.md")).unwrap();
    for needle in ["sc.exe create", "New-Service", "LocalSystem", "agent run"] {
        assert!(md.contains(needle), "missing {needle}");
    }
}
