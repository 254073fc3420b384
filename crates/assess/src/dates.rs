//! Calendar dates as `YYYY-MM-DD`, without a date-time dependency.

/// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
pub fn days_from_civil(date: &str) -> Option<i64> {
    let mut it = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `date` plus `days`, as `YYYY-MM-DD`.
pub fn add_days(date: &str, days: i64) -> Option<String> {
    let z = days_from_civil(date)? + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!("{y:04}-{m:02}-{d:02}"))
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
    }
}
