//! UTC instants as `YYYY-MM-DDTHH:MM:SSZ`, the form the store keeps; the
//! calendar arithmetic is uproot-assess's.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, now.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `secs` since the epoch as RFC 3339 UTC.
pub(crate) fn rfc3339(secs: i64) -> String {
    uproot_assess::rfc3339(secs)
}

/// Now, as RFC 3339 UTC.
pub(crate) fn now() -> String {
    rfc3339(now_secs())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (or the date part of an
/// RFC 3339 instant).
pub(crate) fn days_of_date(date: &str) -> Option<i64> {
    uproot_assess::days_from_civil(date.get(..10)?)
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub(crate) fn date_of_days(days: i64) -> String {
    uproot_assess::date_of_days(days).unwrap_or_default()
}

/// Normalises a user-typed date or instant to RFC 3339 UTC: `YYYY-MM-DD`
/// means the end of that day; a full instant is kept. `None` if malformed.
pub(crate) fn parse_instant(s: &str, end_of_day: bool) -> Option<String> {
    let s = s.trim();
    let days = days_of_date(s)?;
    match s.len() {
        10 => Some(rfc3339(days * 86_400 + if end_of_day { 86_399 } else { 0 })),
        // `YYYY-MM-DDTHH:MM` from an <input type="datetime-local">.
        16 if clock_ok(&s[10..]) => Some(format!("{s}:00Z")),
        20 if s.ends_with('Z') && clock_ok(&s[10..19]) => Some(s.to_string()),
        _ => None,
    }
}

/// `THH:MM` or `THH:MM:SS` with each field in range.
fn clock_ok(t: &str) -> bool {
    let Some(t) = t.strip_prefix('T') else {
        return false;
    };
    let limits = [24, 60, 60];
    let parts: Vec<&str> = t.split(':').collect();
    parts.len() <= 3
        && parts.iter().zip(limits).all(|(p, max)| {
            p.len() == 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|v| v < max)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(days_of_date("2017-09-13"), Some(17_422));
        assert_eq!(date_of_days(17_422), "2017-09-13");
        assert_eq!(days_of_date("2024-02-29T12:00:00Z"), Some(19_782));
        assert_eq!(days_of_date("2024-13-01"), None);
    }

    #[test]
    fn parses_user_dates() {
        assert_eq!(
            parse_instant("2027-01-31", true).as_deref(),
            Some("2027-01-31T23:59:59Z")
        );
        assert_eq!(
            parse_instant("2027-01-31T08:30", false).as_deref(),
            Some("2027-01-31T08:30:00Z")
        );
        assert_eq!(parse_instant("tomorrow", true), None);
        assert_eq!(parse_instant("2027-01-31T25:00", true), None);
        assert_eq!(parse_instant("2027-01-31Tab:cd", true), None);
        assert_eq!(
            parse_instant("2027-01-31T08:30:15Z", true).as_deref(),
            Some("2027-01-31T08:30:15Z")
        );
    }
}
