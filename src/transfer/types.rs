//! The words every part of a transfer shares: how it ended ([`Outcome`]), who
//! hears of its progress ([`Progress`]), and what each attempt is given
//! ([`Attempt`]).

use std::time::Duration;

use url::Url;

use crate::checksum::{BodyDigest, Checks};
use crate::disk::safe_fs::Folders;
use crate::error::TransferError;
use crate::event::SkipReason;
use crate::pace::retry::RetryPolicy;
use crate::pace::slots::HostSlots;
use crate::pace::throttle::RateLimiter;
use crate::plan::{LocalFile, Task};

/// How a transfer ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The body was written and renamed into place.
    Downloaded {
        /// Bytes written.
        bytes: u64,
        /// The sanitised name of the answer's `Content-Disposition`, if it had one.
        suggested_name: Option<String>,
        /// Bytes received over the network in this run: less than `bytes` when the
        /// file was resumed.
        transferred: u64,
        /// Digests computed on the way ([`Attempt::checks`]).
        digest: BodyDigest,
    },
    /// The server says the local file is current; no body was transferred.
    UpToDate,
    /// Not a file after all, or its size or date is outside the user's filters.
    Filtered(SkipReason),
    /// In recursive mode, a link without a trailing slash that answered as a folder:
    /// a redirect to `…/` (`redirected`), or a listing page served as it is. The
    /// crawler reads it (the `crawl` module).
    Folder {
        /// The folder's URL: where the redirect led, or the link.
        url: Url,
        /// True for a redirect to `…/`; false when the answer only looks like a
        /// listing and the crawler still has to read it to tell.
        redirected: bool,
    },
}

impl Outcome {
    /// This outcome, named by `name` (the `Content-Disposition` of the answer that
    /// decided how the file was received): whichever way its bytes then came —
    /// whole, appended, split, or already complete (416) — the name is the same.
    pub(crate) fn suggesting(self, name: Option<String>) -> Outcome {
        match self {
            Outcome::Downloaded {
                bytes,
                transferred,
                digest,
                ..
            } => Outcome::Downloaded {
                bytes,
                suggested_name: name,
                transferred,
                digest,
            },
            other => other,
        }
    }
}

/// Receives a transfer's progress.
pub trait Progress: Send {
    /// The server answered with a body; `size` is the whole file's size (if announced).
    fn started(&mut self, size: Option<u64>);
    /// `total` bytes of the file are on disk so far (resumed bytes included).
    fn advanced(&mut self, total: u64);
    /// Attempt number `attempt` will start after `delay`, because of `error`.
    fn retrying(&mut self, _attempt: u32, _delay: Duration, _error: &TransferError) {}
    /// The whole body has arrived: what is left is local work (sync, rename). The
    /// engine lets the next transfer use the connection meanwhile.
    fn body_received(&mut self) {}
}

/// How one transfer treats what is already on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Ask the server whether the local file is current (If-Modified-Since, then
    /// size and date), and replace it only if not.
    #[default]
    Compare,
    /// Never touch an existing file: it counts as up to date, with no request.
    Keep,
    /// Download everything again: no conditional request, leftover partials dropped.
    Replace,
}

/// How large files are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitPolicy {
    /// Most connections for one file; 1 turns splitting off.
    pub max_segments: usize,
    /// No segment is smaller than this, so a file is split only when it is at least
    /// twice this size.
    pub min_segment_size: u64,
}

impl Default for SplitPolicy {
    fn default() -> Self {
        SplitPolicy {
            max_segments: 8,
            min_segment_size: 10 * 1024 * 1024,
        }
    }
}

/// How every attempt at one file is made, besides the task: the same for each
/// attempt of the file.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// Limit for any wait with no bytes arriving.
    pub read_timeout: Duration,
    /// How existing files are treated.
    pub existing: Existing,
    /// When and how large files are split over several connections.
    pub split: SplitPolicy,
    /// How the segments of a split file are retried, each on its own.
    pub retry: RetryPolicy,
    /// Digests to check or compute while the body streams in.
    pub checks: Checks,
    /// `--limit-rate`: the bandwidth budget shared by every transfer of the run.
    pub limiter: Option<&'a RateLimiter>,
    /// Where a split file's connections after its first take their slots; `None`:
    /// as many as `split` allows.
    pub slots: Option<&'a HostSlots>,
    /// `--follow-symlinks`: write through symlinked folders that lead outside the
    /// output folder.
    pub follow_symlinks: bool,
    /// The run's writer of small files, durable in batches
    /// ([`crate::disk::batch`]): the run's own, so two runs in one process do not
    /// share it.
    pub small_files: &'a crate::disk::batch::SmallFileWriter,
    /// The run's FTP sessions, for `ftp://` and `ftps://` files.
    pub ftp: Option<&'a crate::ftp::FtpSessions>,
}

impl Attempt<'_> {
    /// What `task` comes to before any request, by what is on disk: an error for a
    /// non-file at its path (never replaced; `folder_on_disk` excepted: a link
    /// without its slash to a folder mirrored earlier), up to date for a file that
    /// `--no-clobber` keeps, else `None` (ask the server).
    pub(crate) fn settled_on_disk(
        &self,
        task: &Task,
        folder_on_disk: bool,
    ) -> Result<Option<Outcome>, TransferError> {
        if task.local == LocalFile::Other && !folder_on_disk {
            return Err(TransferError::io(
                "replace",
                &task.destination,
                std::io::Error::other("it exists and is not a regular file"),
            ));
        }
        let kept = self.existing == Existing::Keep && task.local.is_kept_by_no_clobber();
        Ok(kept.then_some(Outcome::UpToDate))
    }

    /// The folders of `task`, to be checked and created before its files are.
    pub(crate) fn folders(&self, task: &Task) -> Folders {
        Folders {
            root: task.root.clone(),
            relative: task.relative.clone(),
            follow_symlinks: self.follow_symlinks,
            real_roots: self.small_files.real_roots(),
        }
    }
}
