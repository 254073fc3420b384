//! The action log: append-only JSON lines, one object per action.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One line of the action log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogRecord {
    /// When the action finished (RFC 3339, UTC).
    pub time: String,
    /// Run id: every record of one `execute` call shares it.
    pub run: String,
    /// Step id (absent on run-start and run-end records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The step type (`remove-packages`, …), or `run`.
    pub action: String,
    /// What was done: `run-start`, `run-end`, `step`, `check`, `command`,
    /// `delete`, `unlink`, `edit`.
    pub op: String,
    /// Command argv (secret inputs shown as `***`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// Path inside the root, for file operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Exit code of a command (absent when it could not start or was killed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// SHA-256 of the command's standard output followed by its standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_sha256: Option<String>,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// `ok`, `already-done`, `failed`, `manual`, `not-run`, `ignored`, `checked`, `started`.
    pub result: String,
    /// Details: the error, the end of a failing command's output, what was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where records go: a file opened for appending, plus this run's records in memory.
#[derive(Debug)]
pub struct ActionLog {
    file: Option<File>,
    path: Option<PathBuf>,
    records: Vec<LogRecord>,
}

impl ActionLog {
    /// Opens (or creates, mode 0600) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<ActionLog> {
        let mut opts = OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        Ok(ActionLog {
            file: Some(opts.open(path)?),
            path: Some(path.to_owned()),
            records: Vec::new(),
        })
    }

    /// A log kept only in memory (tests, dry runs).
    pub fn in_memory() -> ActionLog {
        ActionLog {
            file: None,
            path: None,
            records: Vec::new(),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one record: one `write` of one complete line, then flush and sync.
    pub fn append(&mut self, rec: LogRecord) -> std::io::Result<()> {
        if let Some(f) = &mut self.file {
            let mut line = serde_json::to_vec(&rec).map_err(std::io::Error::other)?;
            line.push(b'\n');
            f.write_all(&line)?;
            f.flush()?;
            f.sync_data()?;
        }
        self.records.push(rec);
        Ok(())
    }

    /// The records appended through this handle.
    pub fn records(&self) -> &[LogRecord] {
        &self.records
    }
}

/// Reads an action log file (for verification and tests).
pub fn read_log(path: &Path) -> std::io::Result<Vec<LogRecord>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}
