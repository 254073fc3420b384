//! Where the agent's log lines go: standard error (the journal, under
//! systemd) unless a test or embedder captures them.

use std::sync::Arc;

/// A sink for log lines.
#[derive(Clone)]
pub struct Log(Arc<dyn Fn(&str) + Send + Sync>);

impl Log {
    /// Lines to standard error, prefixed `uproot agent: `.
    pub fn stderr() -> Self {
        Log(Arc::new(|line| eprintln!("uproot agent: {line}")))
    }

    /// Lines to `f`.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Log(Arc::new(f))
    }

    /// Emits one line.
    pub fn line(&self, msg: &str) {
        (self.0)(msg)
    }
}

impl Default for Log {
    fn default() -> Self {
        Log::stderr()
    }
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}
