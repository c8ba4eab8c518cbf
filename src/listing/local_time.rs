//! Times a listing prints in the server's local time, without a zone: Apache's
//! `2021-03-04 05:06`, lighttpd's `2021-Mar-04 05:06:07`, IIS's `3/4/2021  5:06 AM`
//! (and its other locales: `Thursday, March 4, 2021  5:06 AM`, `04.03.2021 05:06`,
//! `Donnerstag, 4. März 2021 05:06`, `2021-03-04 오전 5:06`, or a date alone),
//! mini_httpd's `04Mar2021 05:06`, WEBrick's `2021/03/04 05:06`, and `ls -l`'s
//! `Mar  4 05:06` (a date of the last six months, the year left out) or `Mar  4
//! 2021` (an older one, to the day), which webfsd, Squid's FTP pages and FTP
//! listings print. Read here as a civil (naive) time with the precision it was
//! printed to; only the host's offset, learnt from a `Last-Modified` header
//! ([`crate::listing::offset`]), turns one into a
//! [`ListedTime`](crate::listing::ListedTime).
//!
//! A date that could be read two ways is not read: `03/04/2021` with a 24-hour
//! clock or none is March 4 in the US and April 3 in Britain, so it is read only
//! when one of its numbers is over 12 (or an `AM`/`PM` says it is the US form).

use jiff::civil::{Date, DateTime};

/// How finely a listing printed a time: servers truncate, never round, so a time
/// printed to the minute covers the 60 seconds from the printed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// A date alone (`Mar  4  2021`, IIS without its time column): any second of it.
    Day,
    /// `05:06`: any second of that minute.
    Minute,
    /// `05:06:07`.
    Second,
}

impl Precision {
    /// The seconds one printed value covers.
    pub fn seconds(self) -> i64 {
        match self {
            Precision::Day => 86_400,
            Precision::Minute => 60,
            Precision::Second => 1,
        }
    }
}

/// A modification time as a listing printed it in the server's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// The printed date and time (seconds zero when only minutes were printed).
    pub civil: DateTime,
    /// How finely it was printed.
    pub precision: Precision,
}

/// Finds a zone-less local time in the text of a listing row: the first tokens
/// that read as one of the styles above. nginx's `04-Mar-2021 05:06` is not one
/// (nginx prints GMT by default: [`super::formats::html::rows::time_in_row`]),
/// nor is a time followed by a zone (`+00:00`, `GMT`, `UTC`, `CET`). A year-less
/// `ls` date is placed in the last year up to today (this machine's date).
pub fn local_time_in_row(text: &str) -> Option<LocalTime> {
    local_time_in_row_on(
        text,
        jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date(),
    )
}

/// [`local_time_in_row`], with `today` for the year-less `ls` dates.
pub fn local_time_in_row_on(text: &str, today: Date) -> Option<LocalTime> {
    let tokens: Vec<&str> = text
        .split(|character: char| character.is_whitespace() || character == '\u{a0}')
        .filter(|token| !token.is_empty())
        .collect();
    (0..tokens.len()).find_map(|index| {
        let rest = &tokens[index..];
        numeric_date(rest)
            .or_else(|| ls_date(rest, today))
            .or_else(|| long_date(rest))
    })
}

/// `2021-03-04`, `2021-Mar-04`, `3/4/2021`, `04.03.2021`, `04Mar2021`,
/// `2021/03/04`, then a clock (or, for IIS's forms, none: a date alone).
fn numeric_date(tokens: &[&str]) -> Option<LocalTime> {
    let (first, after) = tokens.split_first()?;
    let (year, month, day, form) = read_date(first)?;
    // Korean IIS: `2021-03-04 오전 5:06` (오전 = AM, 오후 = PM) before the clock.
    let (after, meridiem) = match after.split_first() {
        Some((&"오전", rest)) => (rest, Some("AM")),
        Some((&"오후", rest)) => (rest, Some("PM")),
        _ => (after, None),
    };
    let clock = read_clock_at(after, meridiem);
    let us_form = meridiem.is_some() || clock.as_ref().is_some_and(|clock| clock.twelve_hour);
    let (month, day) = match form {
        DateForm::Ordered => (month, day),
        DateForm::Dotted => (month, day),
        // `a/b/YYYY`: month first with AM/PM (en-US); otherwise only when no
        // other reading is possible.
        DateForm::Slashed if us_form => (month, day),
        DateForm::Slashed if day > 12 && month <= 12 => (month, day),
        DateForm::Slashed if month > 12 && day <= 12 => (day, month),
        DateForm::Slashed => return None,
    };
    let date = Date::new(year, month, day).ok()?;
    match clock {
        Some(clock) => clock.at(date),
        // A date alone only where servers print one (IIS without its time
        // column, in any of its locales): not Apache's ISO date cut from its time.
        None if form != DateForm::Ordered => date_alone(date, after),
        None => None,
    }
}

/// How a numeric date was written, for the order of its day and month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateForm {
    /// Year first, or the month named: no doubt.
    Ordered,
    /// `04.03.2021`: day first, in every locale that writes dots.
    Dotted,
    /// `3/4/2021`: month first in the US, day first elsewhere.
    Slashed,
}

/// `2021-03-04` (Apache), `2021-Mar-04` (lighttpd), `3/4/2021` (IIS), `04.03.2021`
/// (IIS, German and other locales), `04Mar2021` (mini_httpd), `2021/03/04`
/// (WEBrick). Not nginx's `04-Mar-2021`.
fn read_date(token: &str) -> Option<(i16, i8, i8, DateForm)> {
    let number = |text: &str| -> Option<i16> {
        (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let small = |value: i16| i8::try_from(value).ok();
    let parts: Vec<&str> = token.split(['-', '/', '.']).collect();
    let separator =
        token.contains('-') as u8 + token.contains('/') as u8 + token.contains('.') as u8;
    if separator > 1 {
        return None;
    }
    match parts.as_slice() {
        [year, month, day] if year.len() == 4 && token.contains('-') => {
            let month = number(month)
                .and_then(small)
                .or_else(|| month_number(month))?;
            Some((
                number(year)?,
                month,
                small(number(day)?)?,
                DateForm::Ordered,
            ))
        }
        [year, month, day] if year.len() == 4 && token.contains('/') => Some((
            number(year)?,
            small(number(month)?)?,
            small(number(day)?)?,
            DateForm::Ordered,
        )),
        [month, day, year] if year.len() == 4 && token.contains('/') => Some((
            number(year)?,
            small(number(month)?)?,
            small(number(day)?)?,
            DateForm::Slashed,
        )),
        [day, month, year] if year.len() == 4 && day.len() <= 2 && token.contains('.') => Some((
            number(year)?,
            small(number(month)?)?,
            small(number(day)?)?,
            DateForm::Dotted,
        )),
        [compact] if compact.len() == 9 && compact.is_char_boundary(2) => {
            let (day, rest) = compact.split_at(2);
            let (month, year) = rest.split_at_checked(3)?;
            Some((
                number(year)?,
                month_number(month)?,
                small(number(day)?)?,
                DateForm::Ordered,
            ))
        }
        _ => None,
    }
}

/// `ls -l`: `Mar  4 05:06` (the last six months, no year) or `Mar  4  2021`
/// (to the day, or with a clock after it).
fn ls_date(tokens: &[&str], today: Date) -> Option<LocalTime> {
    let [month, day, third, ..] = tokens else {
        return None;
    };
    let month = month_number(month)?;
    let day = day_of_month(day)?;
    let after = &tokens[3..];
    if third.len() == 4 && third.bytes().all(|b| b.is_ascii_digit()) {
        let date = Date::new(third.parse().ok()?, month, day).ok()?;
        return match read_clock_at(after, None) {
            Some(clock) => clock.at(date),
            None => date_alone(date, after),
        };
    }
    let clock = read_clock_at(&tokens[2..], None)?;
    if clock.twelve_hour {
        return None;
    }
    // Within the last six months: this year, or last year for a later date.
    let tomorrow = today.tomorrow().ok()?;
    let date = [today.year(), today.year() - 1]
        .into_iter()
        .filter_map(|year| Date::new(year, month, day).ok())
        .find(|date| *date <= tomorrow)?;
    clock.at(date)
}

/// IIS's long dates: `[Thursday,] March 4, 2021 [5:06 AM]` (en-US) and
/// `[Donnerstag,] 4. März 2021 [05:06]` (German).
fn long_date(tokens: &[&str]) -> Option<LocalTime> {
    let tokens = match tokens.first() {
        Some(weekday) if weekday.ends_with(',') && weekday.len() > 4 => &tokens[1..],
        _ => tokens,
    };
    let [first, second, year, after @ ..] = tokens else {
        return None;
    };
    let (month, day) = match (full_month(first), first.strip_suffix('.')) {
        (Some(month), _) => (month, day_of_month(second.strip_suffix(',')?)?),
        (None, Some(day)) => (full_month(second)?, day_of_month(day)?),
        (None, None) => return None,
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date = Date::new(year.parse().ok()?, month, day).ok()?;
    match read_clock_at(after, None) {
        Some(clock) => clock.at(date),
        None => date_alone(date, after),
    }
}

/// A date printed with no clock after it, to the day; `None` when what follows
/// is a clock that could not be read (`25:00`, `05:06 CET`) or a zone.
fn date_alone(date: Date, after: &[&str]) -> Option<LocalTime> {
    match after.first() {
        Some(next) if next.contains(':') || is_zone(next) => None,
        _ => day_long(date),
    }
}

/// A whole day: the date at midnight, to the day.
fn day_long(date: Date) -> Option<LocalTime> {
    Some(LocalTime {
        civil: date.to_datetime(jiff::civil::Time::midnight()),
        precision: Precision::Day,
    })
}

/// `1`..`31`, one or two digits.
fn day_of_month(token: &str) -> Option<i8> {
    (token.len() <= 2 && token.bytes().all(|b| b.is_ascii_digit()))
        .then(|| token.parse().ok())
        .flatten()
        .filter(|day| (1..=31).contains(day))
}

/// A clock read at the start of `tokens`.
struct Clock {
    hour: i8,
    minute: i8,
    second: i8,
    precision: Precision,
    /// An `AM`/`PM` was printed (the US form of a date).
    twelve_hour: bool,
}

impl Clock {
    fn at(&self, date: Date) -> Option<LocalTime> {
        let civil = date.at(self.hour, self.minute, self.second, 0);
        // Checked: `Date::at` panics on a field out of range.
        jiff::civil::Time::new(self.hour, self.minute, self.second, 0).ok()?;
        Some(LocalTime {
            civil,
            precision: self.precision,
        })
    }
}

/// `05:06`, `05:06:07`, or `5:06` followed by `AM`/`PM` (IIS), at the start of
/// `tokens`, not followed by a zone. `meridiem` is an `AM`/`PM` printed before it.
fn read_clock_at(tokens: &[&str], meridiem: Option<&str>) -> Option<Clock> {
    let (token, after) = tokens.split_first()?;
    let next = after.first().copied();
    let mut parts = token.split(':');
    let hour: i8 = parts.next()?.parse().ok()?;
    let minute_text = parts.next()?;
    if minute_text.len() != 2 {
        return None;
    }
    let minute: i8 = minute_text.parse().ok()?;
    let (second, precision) = match parts.next() {
        Some(second) if second.len() == 2 => (second.parse().ok()?, Precision::Second),
        Some(_) => return None,
        None => (0, Precision::Minute),
    };
    if parts.next().is_some() {
        return None;
    }
    let meridiem = meridiem.or(next.filter(|next| matches!(*next, "AM" | "PM")));
    if meridiem.is_none() && next.is_some_and(is_zone) {
        return None;
    }
    let hour = match meridiem {
        Some("AM") if (1..=12).contains(&hour) => hour % 12,
        Some("PM") if (1..=12).contains(&hour) => hour % 12 + 12,
        Some(_) => return None,
        None => hour,
    };
    (hour <= 23 && minute <= 59 && second <= 59).then_some(Clock {
        hour,
        minute,
        second,
        precision,
        twelve_hour: meridiem.is_some(),
    })
}

/// `+05:30`, `-0800`, `Z`, `GMT`, `UTC`, `CET`: the time before it has a zone.
/// Zone abbreviations are a list, not any capitals: a listing may print a type
/// (`ZIP`, `DIR`) after a local time.
fn is_zone(token: &str) -> bool {
    const ABBREVIATIONS: [&str; 40] = [
        "Z", "GMT", "UTC", "UT", "WET", "WEST", "BST", "IST", "CET", "CEST", "MET", "MEST", "EET",
        "EEST", "MSK", "SAST", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST",
        "AKDT", "HST", "AST", "NST", "JST", "KST", "HKT", "SGT", "AWST", "ACST", "ACDT", "AEST",
        "AEDT", "NZST", "NZDT",
    ];
    ABBREVIATIONS.contains(&token)
        || (token.starts_with(['+', '-'])
            && token.len() >= 3
            && token[1..].chars().all(|c| c.is_ascii_digit() || c == ':'))
}

fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .iter()
        .position(|month| *month == name)
        .and_then(|index| i8::try_from(index + 1).ok())
}

/// A month's full name, in English or German (IIS's long dates).
fn full_month(name: &str) -> Option<i8> {
    const ENGLISH: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const GERMAN: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    ENGLISH
        .iter()
        .position(|month| *month == name)
        .or_else(|| GERMAN.iter().position(|month| *month == name))
        .and_then(|index| i8::try_from(index + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, precision: Precision) -> Option<LocalTime> {
        Some(LocalTime {
            civil: text.parse().expect("a civil time"),
            precision,
        })
    }

    #[test]
    fn reads_each_servers_local_time() {
        let minute = at("2021-03-04T05:06:00", Precision::Minute);
        let second = at("2021-03-04T05:06:07", Precision::Second);
        assert_eq!(local_time_in_row(" 2021-03-04 05:06 1.5M "), minute);
        assert_eq!(
            local_time_in_row("2021-Mar-04 05:06:07 0.9K text/plain"),
            second
        );
        assert_eq!(local_time_in_row(" 3/4/2021 5:06 AM 28 "), minute);
        assert_eq!(
            local_time_in_row("12/31/2020 12:30 PM <dir>"),
            at("2020-12-31T12:30:00", Precision::Minute)
        );
        assert_eq!(
            local_time_in_row("1/1/2021 12:05 AM 7"),
            at("2021-01-01T00:05:00", Precision::Minute)
        );
        assert_eq!(local_time_in_row("04Mar2021 05:06 30"), minute);
        assert_eq!(local_time_in_row("2021/03/04 05:06 30"), minute);
        // nginx prints GMT; zoned times are not local ones.
        assert_eq!(local_time_in_row("04-Mar-2021 05:06 1574098"), None);
        assert_eq!(local_time_in_row("2021-03-04 05:06:07 +00:00"), None);
        assert_eq!(local_time_in_row("Thu, 04 Mar 2021 05:06:07 GMT"), None);
        // Impossible dates and clocks are no times.
        assert_eq!(local_time_in_row("2021-02-30 05:06"), None);
        assert_eq!(local_time_in_row("2021-03-04 25:06"), None);
        assert_eq!(local_time_in_row("2021-03-04 5:6"), None);
        assert_eq!(local_time_in_row("13/4/2021 5:06 AM"), None);
        assert_eq!(local_time_in_row("size 1.5M"), None);
    }

    fn on(text: &str, today: &str) -> Option<LocalTime> {
        local_time_in_row_on(text, today.parse().expect("a date"))
    }

    #[test]
    fn reads_ls_dates_with_and_without_their_year() {
        let today = "2026-12-02";
        // The last six months: this year's date, or last year's for a later one.
        assert_eq!(
            on("-rw-r--r-- 1 ftp ftp 1234 Nov 30 09:15 ", today),
            at("2026-11-30T09:15", Precision::Minute)
        );
        assert_eq!(
            on("Dec  3 23:59", today),
            at("2026-12-03T23:59", Precision::Minute),
            "tomorrow: a server ahead of this machine's zone"
        );
        assert_eq!(
            on("Dec  4 00:00", today),
            at("2025-12-04T00:00", Precision::Minute)
        );
        assert_eq!(
            on("Jun 30 14:03", "2026-01-15"),
            at("2025-06-30T14:03", Precision::Minute)
        );
        // Older: the year, to the day (webfsd, Squid, ls).
        assert_eq!(
            on("-rw-r--r-- root root Mar 04  2021    28  B", today),
            at("2021-03-04T00:00", Precision::Day)
        );
        assert_eq!(
            on("Mar 04  2021 1538k", today),
            at("2021-03-04T00:00", Precision::Day)
        );
        // Feb 29 without a year: the last leap year within reach, or nothing.
        assert_eq!(
            on("Feb 29 10:00", "2025-01-10"),
            at("2024-02-29T10:00", Precision::Minute)
        );
        assert_eq!(on("Feb 29 10:00", "2026-12-02"), None);
        assert_eq!(on("Feb 30  2021", today), None);
        assert_eq!(on("Mar 04 25:00", today), None);
        assert_eq!(on("Mar 04 2021 05:06:07 CET", today), None);
        // A type after the time is no zone.
        assert_eq!(
            on("2021-03-04 05:06 ZIP 1.5M", today),
            at("2021-03-04T05:06", Precision::Minute)
        );
    }

    #[test]
    fn reads_iis_dates_in_other_locales_and_never_guesses() {
        let today = "2026-12-02";
        let minute = |text| at(text, Precision::Minute);
        let day = |text| at(text, Precision::Day);
        // en-US, long and short; a date alone when the time column is off.
        assert_eq!(
            on("Wednesday, December 2, 2026  2:03 PM 1234", today),
            minute("2026-12-02T14:03")
        );
        assert_eq!(
            on("  Tuesday, June 9, 2015  2:57 AM <dir>", today),
            minute("2015-06-09T02:57")
        );
        assert_eq!(on(" 5/17/2020        <dir>", today), day("2020-05-17"));
        // German, long and short.
        assert_eq!(
            on("Mittwoch, 2. Dezember 2026 14:03 1234", today),
            minute("2026-12-02T14:03")
        );
        assert_eq!(
            on("Donnerstag, 4. März 2021 05:06 1234", today),
            minute("2021-03-04T05:06")
        );
        assert_eq!(
            on("02.12.2026 14:03 1234", today),
            minute("2026-12-02T14:03")
        );
        // ru, time column off.
        assert_eq!(on("30.05.2015      7580646", today), day("2015-05-30"));
        // ISO, and Korean (오전 = AM, 오후 = PM before the clock).
        assert_eq!(
            on("2026-12-02 14:03 1234", today),
            minute("2026-12-02T14:03")
        );
        assert_eq!(
            on("2017-08-10 오전 12:12 <dir>", today),
            minute("2017-08-10T00:12")
        );
        assert_eq!(
            on("2017-08-10 오후 1:05 <dir>", today),
            minute("2017-08-10T13:05")
        );
        // Day and month that could be either way round: not read.
        assert_eq!(on("12/2/2026 14:03 1234", today), None);
        assert_eq!(on("  5/7/2020   3221225472", today), None);
        assert_eq!(on("02/12/2026 14:03", today), None);
        // ...unless one of them is over 12, or AM/PM says it is the US form.
        assert_eq!(on("13/02/2026 14:03", today), minute("2026-02-13T14:03"));
        assert_eq!(
            on("12/2/2026  2:03 PM 1234", today),
            minute("2026-12-02T14:03")
        );
        // Locales not known (French, Spanish): no time rather than a wrong one.
        assert_eq!(on("mercredi 2 décembre 2026 14:03 1234", today), None);
        assert_eq!(on("miércoles, 2 de diciembre de 2026 14:03", today), None);
        // Apache's ISO date is never read without its clock.
        assert_eq!(on("2026-12-02 1.5M", today), None);
    }
}
