//! Sizes printed in HTML listings, next to each link. Servers print them differently
//! (`12345` from nginx and IIS, `1.5M` from Apache, `0.9K` from lighttpd, `1.0 KiB`
//! from Caddy and rclone, or `data-size="1023"` in Caddy's markup), and most round
//! them: a size here is a range, exact only when the server printed every byte.

/// A file size as a listing states it: `low..=high` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedSize {
    /// Smallest size the printed value allows.
    pub low: u64,
    /// Largest size the printed value allows.
    pub high: u64,
}

impl ListedSize {
    /// A size known to the byte.
    pub fn exact(bytes: u64) -> Self {
        ListedSize {
            low: bytes,
            high: bytes,
        }
    }

    /// The size, when it is known to the byte.
    pub fn exact_bytes(&self) -> Option<u64> {
        (self.low == self.high).then_some(self.low)
    }
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
        // `04 Mar 2021` or `Mar 4 2021`: a day or a year, not a size.
        if is_month(tokens.get(index + 1)) || index > 0 && is_month(tokens.get(index - 1)) {
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
    use super::*;

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
        // A day and a year next to a month name are not sizes.
        assert_eq!(size_in_row("Thu, 26 Nov 2026 06:33:00 GMT"), None);
        assert_eq!(
            size_in_row("26 Nov 2026 06:33  4K").map(|s| s.low > 3000),
            Some(true)
        );
    }
}
