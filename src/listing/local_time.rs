//! Times a listing prints in the server's local time, without a zone: Apache's
//! `2021-03-04 05:06`, lighttpd's `2021-Mar-04 05:06:07`, IIS's `3/4/2021  5:06 AM`,
//! mini_httpd's `04Mar2021 05:06`, WEBrick's `2021/03/04 05:06`. Read here as a
//! civil (naive) time with the precision it was printed to; only the host's offset,
//! learnt from a `Last-Modified` header ([`crate::listing::offset`]), turns one into
//! a [`ListedTime`](crate::listing::ListedTime).

use jiff::civil::DateTime;

/// How finely a listing printed a time: servers truncate, never round, so a time
/// printed to the minute covers the 60 seconds from the printed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `05:06`: any second of that minute.
    Minute,
    /// `05:06:07`.
    Second,
}

impl Precision {
    /// The seconds one printed value covers.
    pub fn seconds(self) -> i64 {
        match self {
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

/// Finds a zone-less local time in the text of a listing row: the first pair of
/// tokens that reads as one of the styles above. nginx's `04-Mar-2021 05:06` is not
/// one (nginx prints GMT by default: [`super::formats::html::rows::time_in_row`]),
/// nor is a time followed by a zone (`+00:00`, `GMT`, `UTC`).
pub fn local_time_in_row(text: &str) -> Option<LocalTime> {
    let tokens: Vec<&str> = text
        .split(|character: char| character.is_whitespace() || character == '\u{a0}')
        .filter(|token| !token.is_empty())
        .collect();
    tokens.windows(2).enumerate().find_map(|(index, pair)| {
        let (year, month, day) = read_date(pair[0])?;
        let next = tokens.get(index + 2).copied();
        if next.is_some_and(is_zone) {
            return None;
        }
        let (hour, minute, second, precision) = read_clock(pair[1], next)?;
        let civil = DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
        Some(LocalTime { civil, precision })
    })
}

/// `+05:30`, `-0800`, `Z`, `GMT`, `UTC`: the time before it has a zone.
fn is_zone(token: &str) -> bool {
    matches!(token, "Z" | "GMT" | "UTC")
        || (token.starts_with(['+', '-'])
            && token.len() >= 3
            && token[1..].chars().all(|c| c.is_ascii_digit() || c == ':'))
}

/// `2021-03-04` (Apache), `2021-Mar-04` (lighttpd), `3/4/2021` (IIS, en-US),
/// `04Mar2021` (mini_httpd), `2021/03/04` (WEBrick). Not nginx's `04-Mar-2021`.
fn read_date(token: &str) -> Option<(i16, i8, i8)> {
    let number = |text: &str| -> Option<i16> {
        (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let small = |value: i16| i8::try_from(value).ok();
    let parts: Vec<&str> = token.split(['-', '/']).collect();
    match parts.as_slice() {
        [year, month, day] if year.len() == 4 && token.contains('-') => {
            let month = number(month)
                .and_then(small)
                .or_else(|| month_number(month))?;
            Some((number(year)?, month, small(number(day)?)?))
        }
        [year, month, day] if year.len() == 4 => {
            Some((number(year)?, small(number(month)?)?, small(number(day)?)?))
        }
        [month, day, year] if year.len() == 4 && token.contains('/') => {
            Some((number(year)?, small(number(month)?)?, small(number(day)?)?))
        }
        [compact] if compact.len() == 9 && compact.is_char_boundary(2) => {
            let (day, rest) = compact.split_at(2);
            let (month, year) = rest.split_at_checked(3)?;
            Some((number(year)?, month_number(month)?, small(number(day)?)?))
        }
        _ => None,
    }
}

/// `05:06`, `05:06:07`, or `5:06` followed by `AM`/`PM` (IIS).
fn read_clock(token: &str, next: Option<&str>) -> Option<(i8, i8, i8, Precision)> {
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
    let hour = match next {
        Some("AM") if (1..=12).contains(&hour) => hour % 12,
        Some("PM") if (1..=12).contains(&hour) => hour % 12 + 12,
        _ => hour,
    };
    Some((hour, minute, second, precision))
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
}
