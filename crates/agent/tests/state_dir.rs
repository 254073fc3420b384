//! The default state directory. One test in its own binary: it changes the
//! process environment.
#![cfg(unix)]

use std::path::PathBuf;

use uproot_agent::{default_state_dir, State};

#[test]
fn uproot_home_wins_then_root_then_xdg_then_home() {
    std::env::set_var("UPROOT_HOME", "/srv/uproot-state");
    assert_eq!(default_state_dir(), PathBuf::from("/srv/uproot-state"));
    std::env::remove_var("UPROOT_HOME");
    std::env::set_var("XDG_STATE_HOME", "/xdg/state");
    std::env::set_var("HOME", "/home/someone");
    // The effective uid owns /proc/self.
    let euid_is_root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let want = if euid_is_root {
        PathBuf::from("/var/lib/uproot")
    } else {
        PathBuf::from("/xdg/state/uproot")
    };
    assert_eq!(default_state_dir(), want);
    if !euid_is_root {
        std::env::remove_var("XDG_STATE_HOME");
        assert_eq!(
            default_state_dir(),
            PathBuf::from("/home/someone/.local/state/uproot")
        );
    }
}

#[test]
fn debug_output_never_shows_the_token() {
    let s = State {
        server: "https://fleet.example".into(),
        host_id: 1,
        token: "uph_secret_value".into(),
        ca_cert: None,
        enrolled_at: None,
    };
    let shown = format!("{s:?}");
    assert!(!shown.contains("uph_secret_value"), "{shown}");
    assert!(shown.contains("fleet.example"));
}
