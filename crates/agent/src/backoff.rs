//! Exponential backoff with full jitter, and the ±10% jitter on the scan
//! interval, so a fleet that lost its server does not return in lockstep.

use std::time::Duration;

/// How long to wait between delivery attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first ceiling; doubles on each failed attempt.
    pub base: Duration,
    /// The ceiling never exceeds this.
    pub cap: Duration,
    /// A server's `Retry-After` beyond this is treated as this.
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The ceiling for the wait after `attempt` failures (0-based):
    /// `min(cap, base · 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait after `attempt` failures, given `unit` uniform in `[0, 1)`:
    /// full jitter, `unit · ceiling(attempt)`, but never less than the
    /// server's `Retry-After` (itself capped at `max_retry_after`).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let jittered = self.ceiling(attempt).mul_f64(unit);
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.max_retry_after)),
            None => jittered,
        }
    }

    /// [`Backoff::delay`] with a fresh random `unit`.
    pub fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.delay(attempt, retry_after, fastrand::f64())
    }
}

/// `interval` scaled by a factor in `[0.9, 1.1]` chosen by `unit` in `[0, 1)`.
pub fn jitter_interval(interval: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    interval.mul_f64(0.9 + 0.2 * unit)
}

/// Parses a duration like `30s`, `15m`, `6h`, `1d` or a bare number of
/// seconds; compound forms (`1h30m`) also work.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?} (want e.g. 30s, 15m, 6h, 1d)");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}
