//! The agent's error type.

use std::path::PathBuf;

/// Everything the agent library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state file grants access to group or other; the host token in it
    /// would be readable by other local users.
    #[error(
        "{path}: state file has mode {mode:04o}, readable by group or other users; \
         it holds this host's token, so it must be 0600 (chmod 600 {path})"
    )]
    InsecureStateFile {
        /// The state file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// No state file: the agent has not enrolled.
    #[error("{path}: not enrolled (run `uproot agent enroll --server URL --secret S` first)")]
    NotEnrolled {
        /// Where the state file was expected.
        path: PathBuf,
    },
    /// A file did not hold what it should.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A bad argument (server URL, CA certificate, duration).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached or the exchange failed midway.
    #[error("{url}: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: server answered {status}: {message}")]
    Server {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's `error` message, or the body.
        message: String,
    },
    /// A catalog bundle from the server did not verify.
    #[error("catalog bundle from {url}: {source}")]
    Bundle {
        /// The URL it came from.
        url: String,
        /// Why it was refused.
        source: uproot_bundle::BundleError,
    },
    /// The scan callback failed.
    #[error("scan failed: {0}")]
    Scan(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The agent's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
