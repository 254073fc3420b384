//! The agent's enrollment state: one small JSON file, mode 0600.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "state.json";

/// What enrollment leaves behind and every later run needs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Base URL of the fleet server, without a trailing slash.
    pub server: String,
    /// The id the server gave this host.
    pub host_id: i64,
    /// This host's bearer token (`uph_…`).
    pub token: String,
    /// A PEM file with a private CA to trust besides the webpki roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// When the host enrolled (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_at: Option<String>,
}

// By hand, so a stray `{:?}` never puts the host token in a log.
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("server", &self.server)
            .field("host_id", &self.host_id)
            .field("token", &"<redacted>")
            .field("ca_cert", &self.ca_cert)
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

/// The default state directory: `$UPROOT_HOME`; else `/var/lib/uproot` when
/// running as root (the service case); else `$XDG_STATE_HOME/uproot` or
/// `~/.local/state/uproot`.
pub fn default_state_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(home) = env("UPROOT_HOME") {
        return home;
    }
    if is_root() {
        return system_dir();
    }
    if let Some(xdg) = env("XDG_STATE_HOME") {
        return xdg.join("uproot");
    }
    match env("HOME").or_else(|| env("USERPROFILE")) {
        Some(home) => home.join(".local").join("state").join("uproot"),
        None => system_dir(),
    }
}

fn system_dir() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData")
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
        base.join("uproot")
    } else {
        PathBuf::from("/var/lib/uproot")
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
fn is_root() -> bool {
    // A Windows service runs as LocalSystem, whose profile is not a place for state.
    std::env::var("USERNAME").is_ok_and(|u| u.ends_with('$') || u.eq_ignore_ascii_case("SYSTEM"))
}

impl State {
    /// The state file inside `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// Writes the state to `dir/state.json` atomically, mode 0600, creating
    /// `dir` (0700) if needed.
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        fsutil::create_private_dir(dir)?;
        let path = Self::path_in(dir);
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        json.push(b'\n');
        fsutil::write_atomic(&path, &json, None)?;
        Ok(path)
    }

    /// Reads `dir/state.json`, refusing a file that group or other may read.
    pub fn load(dir: &Path) -> Result<State> {
        let path = Self::path_in(dir);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotEnrolled { path })
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        check_private(&path, &meta)?;
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| Error::Invalid {
            path,
            message: format!("not an uproot agent state file: {e}"),
        })
    }
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(Error::InsecureStateFile {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    // Windows: the ACL of %ProgramData%\uproot is set by the installer (see dist/windows).
    Ok(())
}
