//! Dates as people type them (`--newer-than`) and as listings print them. Only what
//! is needed, without a calendar crate: civil dates to Unix time, in UTC.

use std::time::{Duration, SystemTime};

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A UTC civil time as a `SystemTime`, if the fields are in range.
pub fn utc(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<SystemTime> {
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    let seconds = u64::try_from(seconds).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Parses `2024-01-31`, `2024-01-31 12:00`, `2024-01-31T12:00:00Z` (UTC) or an HTTP
/// date (`Wed, 31 Jan 2024 12:00:00 GMT`).
pub fn parse_user_date(text: &str) -> Result<SystemTime, String> {
    let text = text.trim();
    if let Ok(time) = httpdate::parse_http_date(text) {
        return Ok(time);
    }
    parse_iso(text).ok_or_else(|| {
        format!(
            "`{text}` is not a date such as 2024-01-31, 2024-01-31 12:00 or 2024-01-31T12:00:00Z"
        )
    })
}

/// A time that says it is UTC: `2021-03-04T05:06:07Z` (fractions allowed) or an
/// offset of zero. A time without a zone is refused: it is some server's local time.
pub fn parse_utc(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let zoned = text.ends_with('Z') || text.ends_with("+00:00") || text.ends_with("-00:00");
    if !zoned || !text.contains('T') {
        return None;
    }
    let text = text
        .trim_end_matches('Z')
        .trim_end_matches("+00:00")
        .trim_end_matches("-00:00");
    parse_iso(text)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z]`, read as UTC.
pub fn parse_iso(text: &str) -> Option<SystemTime> {
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, time.trim()),
        None => (text, ""),
    };
    let mut date_parts = date.splitn(3, '-');
    let year = date_parts.next()?.parse().ok()?;
    let month = date_parts.next()?.parse().ok()?;
    let day = date_parts.next()?.parse().ok()?;
    let (hour, minute, second) = parse_clock(time)?;
    utc(year, month, day, hour, minute, second)
}

/// `HH:MM[:SS[.fraction]]`, or nothing (midnight).
fn parse_clock(time: &str) -> Option<(u32, u32, u32)> {
    if time.is_empty() {
        return Some((0, 0, 0));
    }
    let time = time.split(['.', '+']).next()?;
    let mut parts = time.split(':');
    let hour = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    let second = parts.next().map_or(Some(0), |second| second.parse().ok())?;
    Some((hour, minute, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(time: SystemTime) -> u64 {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    #[test]
    fn parses_the_forms_people_type() {
        assert_eq!(parse_user_date("2021-03-04").map(unix), Ok(1_614_816_000));
        assert_eq!(
            parse_user_date("2021-03-04 05:06").map(unix),
            Ok(1_614_834_360)
        );
        assert_eq!(
            parse_user_date("2021-03-04T05:06:07Z").map(unix),
            Ok(1_614_834_367)
        );
        assert_eq!(
            parse_user_date("Thu, 04 Mar 2021 05:06:07 GMT").map(unix),
            Ok(1_614_834_367)
        );
        assert_eq!(unix(utc(1970, 1, 1, 0, 0, 0).expect("epoch")), 0);
        assert_eq!(
            unix(utc(2000, 2, 29, 0, 0, 0).expect("leap day")),
            951_782_400
        );
        assert!(parse_user_date("yesterday").is_err());
        assert_eq!(
            parse_utc(" 2021-03-04T05:06:07Z").map(unix),
            Some(1_614_834_367)
        );
        assert_eq!(
            parse_utc("2021-03-04T05:06:07.5+00:00").map(unix),
            Some(1_614_834_367)
        );
        assert_eq!(parse_utc("2021-03-04T05:06:07"), None);
        assert_eq!(parse_utc("2021-03-04T05:06:07+02:00"), None);
        assert!(parse_user_date("2021-13-01").is_err());
    }
}
