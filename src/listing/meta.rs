//! Sizes and times as a listing states them: a range, since most servers round
//! (`1.5M`, a whole minute), exact when the listing gives every byte and second
//! (JSON listings, Caddy's attributes). Each format reads them its own way (see
//! [`crate::listing::formats`]); the filters and the planner compare with them.

use std::time::SystemTime;

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

/// A modification time as a listing states it: `earliest..=latest`. Exact when the
/// listing gives seconds in UTC (JSON, Caddy); a whole minute for nginx's
/// `04-Mar-2021 05:06`, which nginx prints in GMT by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedTime {
    /// Earliest time the printed value allows.
    pub earliest: SystemTime,
    /// Latest time the printed value allows.
    pub latest: SystemTime,
}

impl ListedTime {
    /// A time known to the second.
    pub fn exact(time: SystemTime) -> Self {
        ListedTime {
            earliest: time,
            latest: time,
        }
    }

    /// True when `time` (to the second) is one the listing allows.
    pub fn contains(&self, time: SystemTime) -> bool {
        let second = |time: SystemTime| {
            time.duration_since(SystemTime::UNIX_EPOCH)
                .map(|duration| duration.as_secs())
                .unwrap_or(0)
        };
        second(self.earliest) <= second(time) && second(time) <= second(self.latest)
    }
}
