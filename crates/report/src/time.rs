//! UTC timestamps; the calendar arithmetic is the assessment crate's.

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_now() -> String {
    uproot_assess::rfc3339_of(std::time::SystemTime::now())
}

/// Formats seconds since the epoch.
pub fn rfc3339(secs: u64) -> String {
    uproot_assess::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_505_260_800), "2017-09-13T00:00:00Z");
        assert_eq!(super::rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
    }
}
