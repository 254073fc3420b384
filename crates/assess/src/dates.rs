//! Calendar dates as `YYYY-MM-DD` and UTC instants as RFC 3339, the forms
//! reports, the fleet store and the dashboard keep. One place, on the `time`
//! crate, so every deadline is computed the same way.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};

/// Days since the Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

fn parse(date: &str) -> Option<Date> {
    let mut it = date.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

fn show(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` unless it is a real
/// calendar date.
pub fn days_from_civil(date: &str) -> Option<i64> {
    parse(date).map(|d| i64::from(d.to_julian_day() - UNIX_EPOCH_JULIAN_DAY))
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01); `None` outside
/// the years -9999..=9999.
pub fn date_of_days(days: i64) -> Option<String> {
    let jd = i32::try_from(days.checked_add(i64::from(UNIX_EPOCH_JULIAN_DAY))?).ok()?;
    Date::from_julian_day(jd).ok().map(show)
}

/// `date` plus `days`, as `YYYY-MM-DD`.
pub fn add_days(date: &str, days: i64) -> Option<String> {
    date_of_days(days_from_civil(date)?.checked_add(days)?)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`, saturating at the
/// years 0000 and 9999 (a corrupt timestamp must not stop a report).
pub fn rfc3339(secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
        PrimitiveDateTime::MIN.assume_utc()
    } else {
        PrimitiveDateTime::MAX.assume_utc()
    });
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        show(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A file or clock time as [`rfc3339`]. Never panics: file times far
/// outside the calendar (a hostile `touch -d`) saturate like [`rfc3339`].
pub fn rfc3339_of(t: std::time::SystemTime) -> String {
    rfc3339(unix_secs(t))
}

/// Seconds since the epoch of `t`, negative before it, saturating.
pub fn unix_secs(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bod_17_01_milestones() {
        // The directive's own dates: identify by 2017-10-13, plan by 2017-11-12, act at 2017-12-12.
        assert_eq!(add_days("2017-09-13", 30).as_deref(), Some("2017-10-13"));
        assert_eq!(add_days("2017-09-13", 60).as_deref(), Some("2017-11-12"));
        assert_eq!(add_days("2017-09-13", 90).as_deref(), Some("2017-12-12"));
        // BIS: 2024-06-20 + 101 days is the 2024-09-29 cut-off.
        assert_eq!(add_days("2024-06-20", 101).as_deref(), Some("2024-09-29"));
        assert_eq!(days_from_civil("1970-01-01"), Some(0));
        assert_eq!(add_days("2024-02-28", 1).as_deref(), Some("2024-02-29"));
        assert_eq!(days_from_civil("2024-13-01"), None);
        assert_eq!(days_from_civil("2023-02-29"), None);
        assert_eq!(days_from_civil("2024-02-29"), Some(19_782));
        assert_eq!(date_of_days(-1).as_deref(), Some("1969-12-31"));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "-9999-01-01T00:00:00Z");
        let far = std::time::UNIX_EPOCH + std::time::Duration::from_secs(300_000_000_000);
        assert_eq!(rfc3339_of(far), "9999-12-31T23:59:59Z");
        assert_eq!(
            rfc3339_of(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_716_163_200)),
            "2024-05-20T00:00:00Z"
        );
    }
}
