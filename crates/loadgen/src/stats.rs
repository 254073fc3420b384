//! Latency and status bookkeeping, and the printed table.

use std::collections::BTreeMap;

use serde::Serialize;

/// Raw samples of one phase (or one route).
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// Latency of every request, microseconds.
    pub micros: Vec<u32>,
    /// Count per outcome: HTTP status, or `conn-error`.
    pub outcomes: BTreeMap<String, u64>,
}

impl Samples {
    /// Records one request.
    pub fn record(&mut self, outcome: &str, micros: u128) {
        self.micros.push(micros.min(u128::from(u32::MAX)) as u32);
        *self.outcomes.entry(outcome.to_owned()).or_default() += 1;
    }

    /// Adds another set.
    pub fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
        for (k, v) in other.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
    }

    /// Percentiles and counts.
    pub fn summary(&self) -> Latency {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let pct = |p: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            let i = ((p / 100.0) * v.len() as f64).ceil() as usize;
            f64::from(v[i.clamp(1, v.len()) - 1]) / 1000.0
        };
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64 / 1000.0
        };
        Latency {
            requests: v.len() as u64,
            p50_ms: pct(50.0),
            p95_ms: pct(95.0),
            p99_ms: pct(99.0),
            max_ms: v.last().map_or(0.0, |&x| f64::from(x) / 1000.0),
            mean_ms: mean,
            outcomes: self.outcomes.clone(),
        }
    }
}

/// Summary of a set of samples.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Requests made.
    pub requests: u64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Count per outcome (HTTP status or `conn-error`).
    pub outcomes: BTreeMap<String, u64>,
}

/// One row of the printed table.
pub fn row(name: &str, rate: Option<f64>, l: &Latency) -> String {
    let outcomes: Vec<String> = l.outcomes.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!(
        "| {name} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        l.requests,
        rate.map_or("-".into(), |r| format!("{r:.1}")),
        l.p50_ms,
        l.p95_ms,
        l.p99_ms,
        l.max_ms,
        outcomes.join(" ")
    )
}

/// The header of the printed table.
pub const HEADER: &str = "| phase | requests | per s | p50 ms | p95 ms | p99 ms | max ms | outcomes |\n|---|---|---|---|---|---|---|---|";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut s = Samples::default();
        for i in 1..=100 {
            s.record("202", i * 1000);
        }
        let l = s.summary();
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert_eq!(l.outcomes["202"], 100);
    }
}
