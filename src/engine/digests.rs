//! The expected digests of a run, filled from checksum files while it crawls, and
//! which checksum files were read (or failed to be).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use url::Url;

use crate::checksum::Expected;
use crate::checksum::sums::{self, ChecksumIndex, Conflict};

/// The expected digests of a run, shared by the crawl (which fills it) and the
/// transfers (which check against it).
///
/// A poisoned lock is recovered: each update is one insert, which a panic elsewhere
/// cannot leave half done.
#[derive(Debug, Default)]
pub(crate) struct ExpectedDigests {
    index: Mutex<ChecksumIndex>,
    /// Checksum files already read (by URL), so each is fetched once per run.
    read: Mutex<HashSet<String>>,
    /// Checksum files of a listing that could not be read: each counts as one
    /// failure, already, when its own transfer fails too.
    unread: Mutex<HashSet<String>>,
}

impl ExpectedDigests {
    /// Adds the entries of the checksum file at `sums_url` (called `source` in
    /// messages); returns how many files they give a digest for.
    pub(crate) fn add(&self, sums_url: &Url, source: &str, entries: &[sums::Entry]) -> usize {
        self.index
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(sums_url, source, entries)
    }

    /// The digest the file at `url` is expected to have, if a checksum file said,
    /// or the conflict between two checksum lines about it.
    pub(crate) fn expected(&self, url: &Url) -> Option<Result<Expected, Conflict>> {
        self.index
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
    }

    /// Records the checksum file at `url` as read; false if it was read already.
    pub(crate) fn admit_read(&self, url: &Url) -> bool {
        self.read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.to_string())
    }

    /// Records that the checksum file at `url` could not be read (its failure is
    /// counted once, there).
    pub(crate) fn mark_unread(&self, url: &Url) {
        self.unread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.to_string());
    }

    /// Whether `url` is a checksum file whose failure to be read was counted.
    pub(crate) fn failure_counted(&self, url: &Url) -> bool {
        self.unread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(url.as_str())
    }
}
