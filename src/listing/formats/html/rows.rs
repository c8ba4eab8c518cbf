//! What the text of an HTML listing row says besides the link: its size and, for
//! nginx, its time. Servers print sizes differently (`12345` from nginx and IIS,
//! `1.5M` from Apache, `0.9K` from lighttpd, `1.0 KiB` from Caddy and rclone), and
//! most round them: a size read here is a range, exact only when the server printed
//! every byte.

use crate::listing::meta::{ListedSize, ListedTime};

/// Finds nginx's `04-Mar-2021 05:06` in a listing row, read as the UTC minute it
/// names (nginx's default, `autoindex_localtime off`). A server that prints local
/// time only makes the minute disagree with the file's, and then fetchall asks the
/// server instead. Other servers' local times without a zone (Apache, lighttpd,
/// IIS...) are read by [`crate::listing::local_time`], and used once the host's
/// offset is learnt.
pub fn time_in_row(text: &str) -> Option<ListedTime> {
    nginx_time(text).or_else(|| zoned_time(text))
}

/// A time that states its zone: Plack's HTTP date (`Thu, 04 Mar 2021 05:06:07
/// GMT`), rclone's `2021-03-04 05:06:07 +0000 UTC`, `… +05:30`: exact to the second.
fn zoned_time(text: &str) -> Option<ListedTime> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let http = tokens.windows(6).find_map(|six| {
        let weekday = six[0].strip_suffix(',')?;
        (weekday.len() == 3 && six[5] == "GMT")
            .then(|| httpdate::parse_http_date(&six.join(" ")).ok())
            .flatten()
    });
    let iso = || {
        tokens.windows(3).find_map(|three| {
            let offset = three[2];
            let signed = offset.starts_with(['+', '-']) && offset.len() >= 5;
            let text = format!("{}T{}{offset}", three[0], three[1]);
            signed
                .then(|| text.parse::<jiff::Timestamp>().ok())
                .flatten()
                .and_then(|timestamp| std::time::SystemTime::try_from(timestamp).ok())
        })
    };
    http.or_else(iso).map(ListedTime::exact)
}

fn nginx_time(text: &str) -> Option<ListedTime> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.windows(2).find_map(|pair| {
        let mut date = pair[0].split('-');
        let day: u32 = date.next()?.parse().ok()?;
        let month = month_number(date.next()?)?;
        let year: i64 = date.next()?.parse().ok()?;
        let (hour, minute) = pair[1].split_once(':')?;
        let earliest = crate::listing::timestamp::utc(
            year,
            month,
            day,
            hour.parse().ok()?,
            minute.parse().ok()?,
            0,
        )?;
        Some(ListedTime {
            earliest,
            latest: earliest + std::time::Duration::from_secs(59),
        })
    })
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .iter()
        .position(|month| *month == name)
        .and_then(|index| u32::try_from(index + 1).ok())
}

/// Finds the size in the text that belongs to one listing row (the link's own text
/// excluded). Dates (`2021-03-04`, `05:06`, `3/4/2021`, `04 Mar 2021`), MIME types
/// and `-` are ignored; the last size-like token wins, since every server prints
/// the size after the date.
pub fn size_in_row(text: &str) -> Option<ListedSize> {
    let tokens: Vec<&str> = text
        .split(|character: char| character.is_whitespace() || character == '\u{a0}')
        .filter(|token| !token.is_empty())
        .collect();
    let is_month = |token: Option<&&str>| {
        token.is_some_and(|token| {
            const MONTHS: [&str; 12] = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ];
            let token = token.trim_end_matches([',', '.']).to_ascii_lowercase();
            MONTHS.iter().any(|month| token.starts_with(month))
        })
    };
    let mut found = None;
    for (index, token) in tokens.iter().enumerate() {
        if token.contains(['-', ':', '/', ',']) {
            continue;
        }
        // `04 Mar 2021`, `Mar 4 2021` or `ls`'s `Mar  4  2021`: a day or a year,
        // not a size. But in `ls -l`'s `1234 Dec  2 14:03` the month is followed
        // by its day: what comes before it is the size.
        let is_day = |token: Option<&&str>| {
            token.is_some_and(|token| token.len() <= 2 && token.bytes().all(|b| b.is_ascii_digit()))
        };
        if is_month(tokens.get(index + 1)) && !is_day(tokens.get(index + 2))
            || index > 0 && is_month(tokens.get(index - 1))
            || index > 1 && token.len() == 4 && is_month(tokens.get(index - 2))
        {
            continue;
        }
        let next = tokens.get(index + 1).copied();
        if let Some(size) = parse_size_token(token, next) {
            found = Some(size);
        }
    }
    found
}

/// `12345`, `1.5M`, `12K`, or `1.0` followed by a unit token such as `KiB`.
fn parse_size_token(token: &str, next: Option<&str>) -> Option<ListedSize> {
    let digits_end = token
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(token.len());
    let (number, suffix) = token.split_at(digits_end);
    if number.is_empty() || number.starts_with('.') {
        return None;
    }
    let unit = if suffix.is_empty() {
        next.and_then(unit_multiplier)
    } else {
        Some(unit_multiplier(suffix)?)
    };
    let value: f64 = number.parse().ok()?;
    let decimals = number
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    match unit {
        // A bare integer is a byte count: nginx, IIS, `autoindex_exact_size on`.
        None if decimals == 0 => Some(ListedSize::exact(value as u64)),
        None => None,
        Some(1) if decimals == 0 => Some(ListedSize::exact(value as u64)),
        Some(multiplier) => {
            // The last printed digit is uncertain by one (servers round or truncate).
            let step = 10f64.powi(-(decimals as i32));
            let multiplier = multiplier as f64;
            let low = ((value - step).max(0.0) * multiplier).floor() as u64;
            let high = ((value + step) * multiplier).ceil() as u64;
            Some(ListedSize { low, high })
        }
    }
}

/// Bytes per unit, for the units listings print (all powers of 1024 in practice).
fn unit_multiplier(unit: &str) -> Option<u64> {
    Some(match unit {
        "B" | "bytes" => 1,
        "K" | "KiB" | "KB" | "k" | "kB" => 1 << 10,
        "M" | "MiB" | "MB" => 1 << 20,
        "G" | "GiB" | "GB" => 1 << 30,
        "T" | "TiB" | "TB" => 1 << 40,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn reads_nginx_minutes_as_a_range() {
        let time = time_in_row("  04-Mar-2021 05:06     1574098\r\n").expect("a time");
        let at = |second| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(second);
        assert!(time.contains(at(1_614_834_360)));
        assert!(time.contains(at(1_614_834_367)));
        assert!(time.contains(at(1_614_834_419)));
        assert!(!time.contains(at(1_614_834_420)));
        assert!(!time.contains(at(1_614_834_359)));
        assert_eq!(time_in_row("2021-03-04 05:06  1.5M"), None);
    }

    #[test]
    fn reads_times_that_state_their_zone_exactly() {
        let exact = |second| {
            Some(ListedTime::exact(
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(second),
            ))
        };
        let march = 1_614_834_367;
        let plack = "30 text/plain Thu, 04 Mar 2021 05:06:07 GMT";
        assert_eq!(time_in_row(plack), exact(march));
        assert_eq!(
            time_in_row("30 2021-03-04 05:06:07 +0000 UTC"),
            exact(march)
        );
        assert_eq!(time_in_row("2021-03-04 10:36:07 +05:30"), exact(march));
        assert_eq!(time_in_row("2021-03-03 21:06:07 -0800 PST"), exact(march));
        // No zone: a local time, not read here.
        assert_eq!(time_in_row("2021-03-04 05:06:07 30"), None);
        assert_eq!(time_in_row("Thu, 04 Mar 2021 05:06:07 CET"), None);
    }

    #[test]
    fn reads_the_sizes_of_real_listing_rows() {
        let exact = |bytes| Some(ListedSize::exact(bytes));
        // nginx: date, time, exact bytes.
        assert_eq!(
            size_in_row("  04-Mar-2021 05:06     1574098\r\n"),
            exact(1_574_098)
        );
        // nginx directory: no size.
        assert_eq!(size_in_row("  04-Mar-2021 05:06   -\r\n"), None);
        // IIS: the size comes before the link, after the date.
        assert_eq!(size_in_row("  3/4/2021  5:06 AM           28 "), exact(28));
        // Caddy and rclone print a value and a unit.
        assert_eq!(size_in_row("1023 B  2021-03-04"), exact(1023));
        let caddy = size_in_row("1.0 KiB").expect("a size");
        assert!(caddy.low <= 1024 && caddy.high >= 1024 && caddy.exact_bytes().is_none());
        // Apache and lighttpd round: 1.5M covers 1,574,098 bytes.
        let apache = size_in_row("2021-03-04 05:06  1.5M  ").expect("a size");
        assert!(apache.low <= 1_574_098 && 1_574_098 <= apache.high);
        let lighttpd =
            size_in_row("2021-Mar-04 05:06:07 0.9K application/octet-stream").expect("a size");
        assert!(lighttpd.low <= 1023 && 1023 <= lighttpd.high);
        assert_eq!(size_in_row("&nbsp; Description text"), None);
        // `ls -l`: the size before the month and day, the link count is no size.
        assert_eq!(
            size_in_row("-rw-r--r--   1 ftp  ftp        30 Dec  2 22:35 "),
            exact(30)
        );
        assert_eq!(
            size_in_row("-rw-r--r--   1 ftp  ftp   1574098 Mar  4  2021 "),
            exact(1_574_098)
        );
        // Squid: `ls`'s date, then KiB rounded up.
        let squid = size_in_row("Mar 04  2021    1538k").expect("a size");
        assert!(squid.low <= 1_574_098 && 1_574_098 <= squid.high);
        // A day and a year next to a month name are not sizes.
        assert_eq!(size_in_row("Thu, 26 Nov 2026 06:33:00 GMT"), None);
        assert_eq!(
            size_in_row("26 Nov 2026 06:33  4K").map(|s| s.low > 3000),
            Some(true)
        );
    }
}
