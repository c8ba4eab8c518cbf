//! A host's clock, learnt: the offset between the local times its listing prints
//! ([`LocalTime`]) and the true (UTC) times its `Last-Modified` headers state.
//!
//! The rule, for safety first: a sample (one file's listed local time and its
//! `Last-Modified`) gives an offset only if `true − listed`, allowing for the
//! listing's precision, holds a whole multiple of 15 minutes within ±14 hours, and
//! every sample must agree; otherwise the host's offset is unknown and each file is
//! asked about, as without this.
//!
//! Offsets change with daylight saving time: a server in Berlin lists January
//! files at +01:00 and July files at +02:00. An offset learnt from one file is
//! therefore used only for listed times in the span around that sample in which
//! **no** time zone of the tz database that had this offset at the sample changes
//! its offset ([`HostClock::span`]): +05:30 learnt today holds back to 2006
//! (Asia/Colombo's last change), +01:00 learnt in January holds only until the last
//! Sunday of March. A listed time outside the span is unknown: the file is asked.
//! Without a tz database on the machine no span can be known, and nothing is learnt.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use jiff::tz::Offset;

use crate::listing::local_time::{LocalTime, Precision};
use crate::listing::meta::ListedTime;

/// What a host's listing times mean, learnt from samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostClock {
    /// Local time minus UTC, in seconds.
    pub offset_seconds: i32,
    /// The UTC instants (seconds since the epoch) between which the offset holds:
    /// no zone that had it at the sample changes it in between (end excluded).
    pub span: (i64, i64),
}

/// The greatest offset any zone uses: ±14 hours.
const MAX_OFFSET: i64 = 14 * 3600;

/// Offsets are whole quarters of an hour.
const OFFSET_STEP: i64 = 15 * 60;

/// The offset one sample gives: `listed` as printed, `true_time` its file's
/// `Last-Modified`. `None` when no whole quarter-hour within ±14 hours fits.
pub fn sample_offset(listed: LocalTime, true_time: SystemTime) -> Option<i32> {
    // A date alone fits dozens of offsets: it tells none.
    if listed.precision == Precision::Day {
        return None;
    }
    let listed_seconds = utc_seconds(listed)?;
    let true_seconds = unix_seconds(true_time)?;
    // listed ≤ true + offset < listed + precision (servers truncate).
    let low = listed_seconds - true_seconds;
    let high = low + listed.precision.seconds();
    let offset = low.div_euclid(OFFSET_STEP) * OFFSET_STEP;
    let offset = if offset < low {
        offset + OFFSET_STEP
    } else {
        offset
    };
    (offset < high && offset.abs() <= MAX_OFFSET)
        .then(|| i32::try_from(offset).ok())
        .flatten()
}

/// The clock of a host from its samples: all must give one offset. `None` when
/// there is none, one gives no offset, two disagree, or no span can be known.
pub fn learn(samples: &[(LocalTime, SystemTime)]) -> Option<HostClock> {
    let (first, rest) = samples.split_first()?;
    let offset = sample_offset(first.0, first.1)?;
    for (listed, true_time) in rest {
        if sample_offset(*listed, *true_time)? != offset {
            return None;
        }
    }
    let mut span = (i64::MIN, i64::MAX);
    for (_, true_time) in samples {
        let (start, end) = stable_span(offset, unix_seconds(*true_time)?)?;
        span = (span.0.max(start), span.1.min(end));
    }
    let every_sample_inside = samples.iter().all(|(_, time)| {
        unix_seconds(*time).is_some_and(|second| span.0 <= second && second < span.1)
    });
    every_sample_inside.then_some(HostClock {
        offset_seconds: offset,
        span,
    })
}

/// The span around `at` in which every zone of the tz database whose offset at `at`
/// is `offset` keeps it. `None` if no zone has that offset then, or no database.
fn stable_span(offset_seconds: i32, at: i64) -> Option<(i64, i64)> {
    let offset = Offset::from_seconds(offset_seconds).ok()?;
    let instant = Timestamp::from_second(at).ok()?;
    let database = jiff::tz::db();
    let mut span = (i64::MIN, i64::MAX);
    let mut zones = 0;
    for name in database.available() {
        let Ok(zone) = database.get(name.as_str()) else {
            continue;
        };
        if zone.to_offset(instant) != offset {
            continue;
        }
        zones += 1;
        // Any transition counts, even one that only renames the zone: cautious.
        if let Some(before) = zone
            .preceding(
                instant
                    .checked_add(jiff::SignedDuration::from_secs(1))
                    .ok()?,
            )
            .next()
        {
            span.0 = span.0.max(before.timestamp().as_second());
        }
        if let Some(after) = zone.following(instant).next() {
            span.1 = span.1.min(after.timestamp().as_second());
        }
    }
    (zones > 0).then_some(span)
}

impl HostClock {
    /// The UTC range `listed` covers on this host, or `None` when it lies outside
    /// the span in which the learnt offset is known to hold.
    pub fn listed_time(&self, listed: LocalTime) -> Option<ListedTime> {
        let as_utc = utc_seconds(listed)?;
        let earliest = as_utc - i64::from(self.offset_seconds);
        let latest = earliest + listed.precision.seconds() - 1;
        if earliest < self.span.0 || latest >= self.span.1 {
            return None;
        }
        let time = |second: i64| {
            u64::try_from(second)
                .ok()
                .map(|second| SystemTime::UNIX_EPOCH + Duration::from_secs(second))
        };
        Some(ListedTime {
            earliest: time(earliest)?,
            latest: time(latest)?,
        })
    }
}

/// The printed local time read as if it were UTC, in seconds since the epoch.
fn utc_seconds(listed: LocalTime) -> Option<i64> {
    Some(Offset::UTC.to_timestamp(listed.civil).ok()?.as_second())
}

fn unix_seconds(time: SystemTime) -> Option<i64> {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str, precision: Precision) -> LocalTime {
        LocalTime {
            civil: text.parse().expect("a civil time"),
            precision,
        }
    }

    fn utc(text: &str) -> SystemTime {
        let timestamp: Timestamp = text.parse().expect("a timestamp");
        SystemTime::try_from(timestamp).expect("a system time")
    }

    #[test]
    fn an_offset_is_a_quarter_hour_within_fourteen_hours() {
        let truth = utc("2021-03-04T05:06:07Z");
        let minute = Precision::Minute;
        // Apache in Kolkata prints 10:36 for 05:06:07 UTC.
        assert_eq!(
            sample_offset(local("2021-03-04T10:36", minute), truth),
            Some(19_800)
        );
        // Los Angeles, to the second (lighttpd).
        assert_eq!(
            sample_offset(local("2021-03-03T21:06:07", Precision::Second), truth),
            Some(-28_800)
        );
        assert_eq!(
            sample_offset(local("2021-03-04T05:06", minute), truth),
            Some(0)
        );
        // Nepal, +05:45; the Chatham Islands in summer, +13:45.
        assert_eq!(
            sample_offset(local("2021-03-04T10:51", minute), truth),
            Some(20_700)
        );
        // Seven minutes off: no zone; to the second, one second off: none either.
        assert_eq!(
            sample_offset(local("2021-03-04T05:13", minute), truth),
            None
        );
        assert_eq!(
            sample_offset(local("2021-03-04T05:06:08", Precision::Second), truth),
            None
        );
        // A listed minute before the file's own (no truncation explains it).
        assert_eq!(
            sample_offset(local("2021-03-04T05:05", minute), truth),
            None
        );
        // Beyond ±14 hours.
        assert_eq!(
            sample_offset(local("2021-03-04T20:06", minute), truth),
            None
        );
    }

    #[test]
    fn samples_must_agree_and_daylight_saving_bounds_the_offset() {
        let kolkata = (
            local("2021-03-04T10:36", Precision::Minute),
            utc("2021-03-04T05:06:07Z"),
        );
        let clock = learn(&[kolkata]).expect("+05:30 is learnt");
        assert_eq!(clock.offset_seconds, 19_800);
        // A file of 2024 in Kolkata: the same offset.
        let listed = clock
            .listed_time(local("2024-07-01T12:00", Precision::Minute))
            .expect("inside the span");
        assert!(listed.contains(utc("2024-07-01T06:30:59Z")));
        assert!(!listed.contains(utc("2024-07-01T06:31:00Z")));
        // Samples that disagree: nothing is learnt.
        let other = (
            local("2021-03-04T11:06", Precision::Minute),
            utc("2021-03-04T05:06:07Z"),
        );
        assert_eq!(learn(&[kolkata, other]), None);
        assert_eq!(learn(&[]), None);
        // Berlin in January (+01:00): a July file is outside the span, since CET
        // zones change to +02:00 in March.
        let berlin = (
            local("2021-01-10T13:00", Precision::Minute),
            utc("2021-01-10T12:00:30Z"),
        );
        let clock = learn(&[berlin]).expect("+01:00 is learnt");
        assert!(
            clock
                .listed_time(local("2021-02-01T09:00", Precision::Minute))
                .is_some()
        );
        assert_eq!(
            clock.listed_time(local("2021-07-01T09:00", Precision::Minute)),
            None
        );
        // A January and a July sample of Berlin disagree (+01:00, +02:00).
        let summer = (
            local("2021-07-10T14:00", Precision::Minute),
            utc("2021-07-10T12:00:30Z"),
        );
        assert_eq!(learn(&[berlin, summer]), None);
    }
}
