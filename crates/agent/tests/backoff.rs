//! The pure backoff and interval-jitter functions.

use std::time::Duration;

use uproot_agent::{jitter_interval, parse_duration, Backoff};

#[test]
fn the_ceiling_doubles_from_2s_to_a_5_minute_cap() {
    let b = Backoff::default();
    let secs: Vec<u64> = (0..10).map(|a| b.ceiling(a).as_secs()).collect();
    assert_eq!(secs, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    assert_eq!(b.ceiling(1000), Duration::from_secs(300), "no overflow");
}

#[test]
fn full_jitter_stays_within_zero_and_the_ceiling() {
    let b = Backoff::default();
    for attempt in 0..40 {
        let ceiling = b.ceiling(attempt);
        assert_eq!(b.delay(attempt, None, 0.0), Duration::ZERO);
        assert!(b.delay(attempt, None, 0.999_999) <= ceiling);
        assert_eq!(b.delay(attempt, None, 0.5), ceiling / 2);
        // Out-of-range randomness is clamped, never widens the bounds.
        assert!(b.delay(attempt, None, 7.0) <= ceiling);
        assert_eq!(b.delay(attempt, None, -1.0), Duration::ZERO);
        assert_eq!(b.delay(attempt, None, f64::NAN), Duration::ZERO);
    }
    // Real draws: inside bounds and spread over them (mean near half the ceiling).
    for attempt in [0u32, 3, 9] {
        let ceiling = b.ceiling(attempt);
        let draws: Vec<Duration> = (0..20_000).map(|_| b.next_delay(attempt, None)).collect();
        assert!(draws.iter().all(|d| *d <= ceiling));
        let mean = draws.iter().sum::<Duration>().as_secs_f64() / draws.len() as f64;
        let half = ceiling.as_secs_f64() / 2.0;
        assert!((mean - half).abs() < half * 0.05, "mean {mean} vs {half}");
        assert!(draws.iter().any(|d| *d < ceiling / 10));
        assert!(draws.iter().any(|d| *d > ceiling * 9 / 10));
    }
}

#[test]
fn retry_after_is_a_floor_and_itself_capped() {
    let b = Backoff::default();
    let ra = Some(Duration::from_secs(30));
    assert_eq!(b.delay(0, ra, 0.0), Duration::from_secs(30));
    assert_eq!(b.delay(0, ra, 0.99), Duration::from_secs(30));
    // A long backoff beats a short Retry-After.
    assert_eq!(
        b.delay(8, Some(Duration::from_secs(1)), 0.5),
        Duration::from_secs(150)
    );
    // A hostile or broken Retry-After cannot park the agent for days.
    assert_eq!(
        b.delay(0, Some(Duration::from_secs(10 * 86400)), 0.1),
        Duration::from_secs(3600)
    );
}

#[test]
fn the_scan_interval_moves_by_at_most_ten_percent() {
    let six_h = Duration::from_secs(6 * 3600);
    assert_eq!(jitter_interval(six_h, 0.0), six_h.mul_f64(0.9));
    assert_eq!(jitter_interval(six_h, 0.5), six_h);
    assert!(jitter_interval(six_h, 1.0) <= six_h.mul_f64(1.1));
    for _ in 0..10_000 {
        let d = jitter_interval(six_h, fastrand::f64());
        assert!(d >= six_h.mul_f64(0.9) && d <= six_h.mul_f64(1.1), "{d:?}");
    }
}

#[test]
fn durations_parse_like_the_cli_documents() {
    let s = |n| Duration::from_secs(n);
    assert_eq!(parse_duration("30s").unwrap(), s(30));
    assert_eq!(parse_duration("15m").unwrap(), s(900));
    assert_eq!(parse_duration("6h").unwrap(), s(21600));
    assert_eq!(parse_duration("1d").unwrap(), s(86400));
    assert_eq!(parse_duration("1h30m").unwrap(), s(5400));
    assert_eq!(parse_duration("45").unwrap(), s(45));
    for bad in ["", "h", "6x", "6h5", "-1s", "1.5h", "99999999999999999999d"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}
