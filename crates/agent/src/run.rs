//! The agent loop: scan, spool, deliver with backoff, sleep, repeat.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backoff::{jitter_interval, Backoff};
use crate::client::{Client, Outcome, Timeouts};
use crate::error::{Error, Result};
use crate::log::Log;
use crate::spool::{Spool, SpoolLimits};
use crate::state::State;

/// What the scan callback returns: the `uproot.report/1` JSON, or why not.
pub type ScanResult = std::result::Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

/// How `run` behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Holds `state.json` and `spool/`.
    pub state_dir: PathBuf,
    /// Time between scans (each one jittered by ±10%).
    pub interval: Duration,
    /// One cycle (scan, spool, one delivery pass) and return.
    pub once: bool,
    /// Spool bounds.
    pub limits: SpoolLimits,
    /// Retry schedule while the server is unreachable.
    pub backoff: Backoff,
    /// HTTP timeouts.
    pub timeouts: Timeouts,
    /// Where log lines go.
    pub log: Log,
    /// Set to make `run` return at its next wait.
    pub stop: Arc<AtomicBool>,
}

impl Options {
    /// Defaults for a state directory: 6 h interval, default bounds and backoff.
    pub fn new(state_dir: PathBuf) -> Self {
        Options {
            state_dir,
            interval: Duration::from_secs(6 * 3600),
            once: false,
            limits: SpoolLimits::default(),
            backoff: Backoff::default(),
            timeouts: Timeouts::default(),
            log: Log::stderr(),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Counts over a delivery pass, or a whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Ids delivered (202), in delivery order.
    pub delivered: Vec<String>,
    /// Ids the server refused, now in `spool/rejected/`.
    pub rejected: Vec<String>,
    /// Reports still spooled.
    pub remaining: usize,
    /// Why the last pass stopped early, when it did.
    pub retry_reason: Option<String>,
    /// The server's last `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl Delivery {
    fn absorb(&mut self, pass: Delivery) {
        self.delivered.extend(pass.delivered);
        self.rejected.extend(pass.rejected);
        self.remaining = pass.remaining;
        self.retry_reason = pass.retry_reason;
        self.retry_after = pass.retry_after;
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cycles started.
    pub cycles: u64,
    /// Scans that produced a report.
    pub scans: u64,
    /// Scans that failed, or whose report could not be spooled.
    pub scan_errors: u64,
    /// Deliveries over the run.
    pub delivery: Delivery,
}

/// One pass over the spool, oldest first: 202 deletes, a 4xx moves to
/// `rejected/`, anything retryable stops the pass (later reports would
/// meet the same outage, and order is kept).
pub fn flush(spool: &Spool, client: &Client, token: &str, log: &Log) -> Result<Delivery> {
    let entries = spool.entries()?;
    let mut out = Delivery::default();
    for (i, entry) in entries.iter().enumerate() {
        let body = match spool.read(entry) {
            Ok(b) => b,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                continue
            }
            Err(e) => return Err(e),
        };
        match client.submit(token, &body) {
            Outcome::Accepted {
                report_id,
                duplicate,
            } => {
                spool.remove(entry)?;
                if report_id.as_ref().is_some_and(|r| *r != entry.id) {
                    log.line(&format!(
                        "warning: server stored report {} as {}; ids should match",
                        entry.id,
                        report_id.as_deref().unwrap_or_default()
                    ));
                }
                let dup = if duplicate {
                    " (already on the server)"
                } else {
                    ""
                };
                log.line(&format!("delivered report {}{dup}", entry.id));
                out.delivered.push(entry.id.clone());
            }
            Outcome::Rejected { status, message } => {
                let to = spool.reject(entry, &message)?;
                log.line(&format!(
                    "REJECTED report {}: server answered {status}: {message}; moved to {} \
                     and going on with the next one",
                    entry.id,
                    to.display()
                ));
                out.rejected.push(entry.id.clone());
            }
            Outcome::Retry {
                reason,
                retry_after,
            } => {
                out.remaining = entries.len() - i;
                out.retry_reason = Some(reason);
                out.retry_after = retry_after;
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// Flushes until the spool is empty, retrying with backoff, giving up at
/// `deadline` (or at the first failure when `deadline` is `None`).
pub fn deliver(
    spool: &Spool,
    client: &Client,
    token: &str,
    opts: &Options,
    deadline: Option<Instant>,
) -> Result<Delivery> {
    let mut total = Delivery::default();
    let mut attempt: u32 = 0;
    loop {
        let pass = flush(spool, client, token, &opts.log)?;
        let progressed = !pass.delivered.is_empty() || !pass.rejected.is_empty();
        total.absorb(pass);
        let Some(reason) = total.retry_reason.clone() else {
            return Ok(total);
        };
        if progressed {
            attempt = 0;
        }
        let delay = opts.backoff.next_delay(attempt, total.retry_after);
        attempt = attempt.saturating_add(1);
        let Some(deadline) = deadline else {
            opts.log.line(&format!(
                "{} report(s) stay spooled in {}: {reason}",
                total.remaining,
                spool.dir().display()
            ));
            return Ok(total);
        };
        let wake = Instant::now() + delay;
        opts.log.line(&format!(
            "{} report(s) spooled; retrying in {:.1}s: {reason}",
            total.remaining,
            delay.as_secs_f64()
        ));
        if !sleep_until(wake.min(deadline), &opts.stop) || wake >= deadline {
            return Ok(total);
        }
    }
}

/// The agent: `loop { scan; spool; deliver until the next scan is due; sleep }`.
/// `scan` returns the report JSON; it keeps this crate free of the collectors.
pub fn run(opts: &Options, mut scan: impl FnMut() -> ScanResult) -> Result<Summary> {
    let mut state = State::load(&opts.state_dir)?;
    let mut client = Client::new(&state.server, state.ca_cert.as_deref(), opts.timeouts)?;
    let spool = Spool::open(
        &Spool::dir_in(&opts.state_dir),
        opts.limits,
        opts.log.clone(),
    )?;
    let mut summary = Summary::default();
    loop {
        summary.cycles += 1;
        if summary.cycles > 1 {
            reload(opts, &mut state, &mut client);
        }
        let next = Instant::now() + jitter_interval(opts.interval, fastrand::f64());
        match scan() {
            Ok(json) => match spool.push(&json) {
                Ok(pushed) => {
                    summary.scans += 1;
                    opts.log.line(&format!(
                        "scanned; report {} spooled ({} bytes of JSON)",
                        pushed.id,
                        json.len()
                    ));
                }
                // A full or read-only disk loses this scan, not the agent:
                // what is already spooled can still be delivered.
                Err(e) => {
                    summary.scan_errors += 1;
                    opts.log.line(&format!("cannot spool the report: {e}"));
                }
            },
            Err(e) => {
                summary.scan_errors += 1;
                opts.log.line(&format!("scan failed: {e}"));
            }
        }
        let deadline = (!opts.once).then_some(next);
        let d = deliver(&spool, &client, &state.token, opts, deadline)?;
        summary.delivery.absorb(d);
        if opts.once || !sleep_until(next, &opts.stop) {
            return Ok(summary);
        }
    }
}

/// Picks up a re-enrollment (new token, server or CA) without a restart;
/// a state file that became unreadable or unsafe keeps the one in memory.
fn reload(opts: &Options, state: &mut State, client: &mut Client) {
    match State::load(&opts.state_dir) {
        Ok(fresh) if fresh == *state => {}
        Ok(fresh) => match Client::new(&fresh.server, fresh.ca_cert.as_deref(), opts.timeouts) {
            Ok(c) => {
                opts.log.line(&format!(
                    "state file changed; now reporting to {} as host {}",
                    fresh.server, fresh.host_id
                ));
                *client = c;
                *state = fresh;
            }
            Err(e) => opts.log.line(&format!(
                "state file changed but is unusable ({e}); keeping the previous enrollment"
            )),
        },
        Err(e) => opts.log.line(&format!(
            "cannot reload the state file ({e}); keeping the previous enrollment"
        )),
    }
}

/// Sleeps until `when` in short slices; false when `stop` was set.
fn sleep_until(when: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= when {
            return true;
        }
        std::thread::sleep((when - now).min(Duration::from_millis(200)));
    }
}
