//! `--shard K/N`: split one mirror across N machines (or processes) with no
//! coordination. Each file belongs to exactly one share, decided by its path relative
//! to the start URL alone, so the N runs download disjoint sets whose union is the
//! full mirror, whatever the listing order and whichever machine crawls first.
//!
//! The share of a file is `1 + (u64::from_be_bytes(SHA-256(path)[0..8]) mod N)`, where
//! `path` is the UTF-8 of the percent-decoded, `/`-separated path relative to the
//! start URL's folder (`sub/dir/file.tar.gz`; a file on another host with
//! `--span-hosts` uses its file name). Any tool can recompute it, e.g. in Python:
//! `1 + int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big") % n`.
//!
//! ```
//! use fetchall::Shard;
//!
//! let shard: Shard = "2/3".parse().expect("K/N");
//! assert_eq!(Shard::share_of("sub/b.bin", 3), 2);
//! assert!(shard.contains("sub/b.bin"));
//! ```

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Share `index` of `count` (1-based: 1 ≤ index ≤ count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Share `index` of `count`; `None` unless 1 ≤ index ≤ count.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index >= 1 && index <= count).then_some(Shard { index, count })
    }

    /// The share (1..=count) a relative path belongs to.
    pub fn share_of(relative_path: &str, count: u64) -> u64 {
        let digest = Sha256::digest(relative_path.as_bytes());
        let mut first = [0_u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % count.max(1) + 1
    }

    /// Whether this share holds the file at `relative_path`.
    pub fn contains(&self, relative_path: &str) -> bool {
        Shard::share_of(relative_path, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, as in `--shard 2/8`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not K/N (e.g. 2/8)"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{text}` is not K/N (e.g. 2/8)"))
        };
        let (index, count) = (number(index)?, number(count)?);
        Shard::new(index, count).ok_or_else(|| format!("`{text}`: K must be between 1 and N"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_documented_hash() {
        // Computed independently with Python's hashlib (see the module docs).
        assert_eq!(Shard::share_of("a.txt", 3), 3);
        assert_eq!(Shard::share_of("a.txt", 10), 10);
        assert_eq!(Shard::share_of("sub/b.bin", 3), 2);
        assert_eq!(Shard::share_of("sub/b.bin", 10), 9);
        assert_eq!(Shard::share_of("café.txt", 3), 3);
        assert_eq!(Shard::share_of("anything", 1), 1);
    }

    #[test]
    fn k_of_n_is_parsed_and_checked() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(
            " 1 / 1 ".parse::<Shard>().map(|s| s.to_string()),
            Ok("1/1".into())
        );
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "-1/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_path_is_in_exactly_one_share() {
        for path in ["a", "b/c", "d e/f", "ünïcode", "x.tar.gz"] {
            let owners = (1..=7)
                .filter(|&k| Shard::new(k, 7).is_some_and(|shard| shard.contains(path)))
                .count();
            assert_eq!(owners, 1, "{path}");
        }
    }
}
