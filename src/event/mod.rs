//! What the engine reports while it runs. The engine never prints; a [`Reporter`]
//! decides how events look (progress bars, plain lines, JSON lines, or nothing).

pub mod manifest;
pub(crate) mod run_log;

use serde::Serialize;

/// Identifies one transfer across its `Started`, `Progress` and end events.
pub type TransferId = u64;

/// One thing that happened during a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A page was fetched and its links extracted.
    PageListed {
        /// The page URL (after redirects).
        url: String,
        /// How many `<a href>` links it holds.
        links: usize,
        /// How many of them are files to fetch (the others are reported as skipped).
        files: usize,
    },
    /// A start page could not be fetched or read.
    PageFailed {
        /// The page URL.
        url: String,
        /// The reason, in plain words.
        error: String,
    },
    /// A link that will not be downloaded, and why.
    Skipped {
        /// The link as written in the page.
        link: String,
        /// The link as resolved (or as written, when it could not be resolved).
        url: String,
        /// Why it is skipped.
        reason: SkipReason,
    },
    /// In a dry run: a file that would be downloaded.
    Planned {
        /// The file URL.
        url: String,
        /// Where it would be written.
        path: String,
        /// Its size, when the server said it.
        size: Option<u64>,
        /// Whether a file is already at that path.
        exists: bool,
        /// Its path relative to the output folder, names joined by `/`: what a run
        /// of the plan (`-i PLAN -o DIR`) writes under `DIR`.
        relative_path: String,
        /// Whether `size` is exact to the byte (false when it is not known).
        size_exact: bool,
        /// Its modification time, RFC 3339 UTC (`2024-01-31T12:00:00Z`): exact, or
        /// the earliest the listing allows when it gives a range.
        modified: Option<String>,
        /// The latest time the listing allows, when it gives a range (nginx's
        /// whole minute); `None` when `modified` is exact or unknown.
        modified_latest: Option<String>,
    },
    /// `--flat`: a file's name was taken by another file, so it gets a numbered name.
    Renamed {
        /// The file URL.
        url: String,
        /// The path it is saved under instead.
        path: String,
        /// The URL that has the plain name.
        taken_by: String,
    },
    /// A file was planned and handed to the transfers (it will end with `Started`
    /// and one of `Downloaded`, `UpToDate`, `Failed` or `Skipped`; or, under `-r`, with
    /// `FolderFound`). Progress
    /// displays add up the sizes of these to show bytes left.
    Queued {
        /// The file URL.
        url: String,
        /// Where it will be written.
        path: String,
        /// Its size as the listing states it exactly, if it does.
        size: Option<u64>,
    },
    /// Under `-r`: a file link without a trailing slash turned out to be a folder
    /// (its server redirected it to `…/`, or answered it with a listing), so it is
    /// read as a folder instead of downloaded. This ends its `Queued`.
    FolderFound {
        /// The link, as the file URL it was queued as.
        url: String,
        /// The folder URL it is read as.
        folder: String,
    },
    /// A transfer started.
    Started {
        /// The transfer.
        id: TransferId,
        /// The file URL.
        url: String,
        /// Where it is being written.
        path: String,
        /// The size the server announced, if any.
        size: Option<u64>,
    },
    /// Bytes arrived for a transfer (throttled; `bytes` is the running total).
    Progress {
        /// The transfer.
        id: TransferId,
        /// Bytes received so far.
        bytes: u64,
    },
    /// A transfer failed for a reason that may pass, and will be tried again (from
    /// where it stopped) after a wait.
    Retrying {
        /// The transfer.
        id: TransferId,
        /// The file URL.
        url: String,
        /// The number of the attempt about to be made (2 for the first retry).
        attempt: u32,
        /// The wait before it, in seconds.
        delay_secs: f64,
        /// Why the previous attempt failed, in plain words.
        error: String,
    },
    /// A file was downloaded and renamed into place.
    Downloaded {
        /// The transfer.
        id: TransferId,
        /// The file URL.
        url: String,
        /// The final path.
        path: String,
        /// Its size.
        bytes: u64,
        /// The algorithm it was verified with, when a checksum file listed it.
        verified: Option<crate::checksum::Algorithm>,
        /// Its SHA-256 (hexadecimal), when asked for (`--manifest`).
        sha256: Option<String>,
    },
    /// A checksum file was read; its digests are checked as files stream in.
    ChecksumsLoaded {
        /// The checksum file's URL (or local path).
        url: String,
        /// How many files it gives a digest for.
        entries: usize,
    },
    /// A checksum file linked from a listing could not be read; the files it lists
    /// are downloaded without verification.
    ChecksumsFailed {
        /// The checksum file's URL.
        url: String,
        /// The reason, in plain words.
        error: String,
    },
    /// A file on disk already matches the server's, so nothing was transferred.
    UpToDate {
        /// The transfer, when one was started to ask the server.
        id: Option<TransferId>,
        /// The file URL.
        url: String,
        /// The local path.
        path: String,
    },
    /// A file could not be downloaded; the run goes on.
    Failed {
        /// The transfer, when one was started.
        id: Option<TransferId>,
        /// The file URL.
        url: String,
        /// The local path it was meant for.
        path: String,
        /// The reason, in plain words.
        error: String,
    },
    /// `--delete`: a local file (or symlink) that its folder's complete listing no
    /// longer names was removed, or a folder left empty by that; in a dry run,
    /// would be.
    Deleted {
        /// Its path.
        path: String,
        /// Whether it is a folder (removed once empty).
        folder: bool,
        /// A dry run: nothing was removed.
        dry_run: bool,
    },
    /// `--delete`: nothing was deleted, and why (more files than `--max-delete`
    /// would go; a listing failed).
    DeleteHeld {
        /// How many files would have been deleted (0 when not counted).
        files: u64,
        /// Why nothing was deleted, in plain words.
        reason: String,
    },
    /// The run is over.
    Summary(Summary),
}

/// Why a link is not downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum SkipReason {
    /// `#section` on the same page.
    Fragment,
    /// A link back to the page itself, such as a sort link `?C=N;O=D`.
    SamePage,
    /// A query on the listing itself, e.g. Apache's `?C=M;O=A`.
    QueryOnly,
    /// `javascript:`, `mailto:`, `data:`, `ftp:`...
    Scheme(String),
    /// The href cannot be resolved to a URL.
    InvalidUrl(String),
    /// The parent directory, or any ancestor of the start folder.
    ParentDirectory,
    /// Same host, but not under the start URL's folder.
    OutsideStart,
    /// Another host, and `span_hosts` is off.
    OtherHost(String),
    /// A sub-directory; followed only in recursive mode.
    Directory,
    /// A sub-directory deeper than `--level` (or than 100 levels).
    TooDeep,
    /// A folder that lists exactly what one of its ancestors lists: a symlink loop.
    Loop,
    /// Left out by a filter (`--accept`, `--reject`, `--include`, `--exclude`, sizes, dates).
    Filtered(String),
    /// The same URL was already seen on this page.
    Duplicate,
    /// The link cannot be turned into a safe local path.
    UnsafePath(String),
    /// Another link already writes this local path.
    Collision(String),
    /// A sub-directory whose listing redirects out of the start folder (another
    /// path, host or port); the detail is where it redirects to.
    RedirectedOutside(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Fragment => f.write_str("fragment of the page"),
            SkipReason::SamePage => f.write_str("link to the page itself"),
            SkipReason::QueryOnly => f.write_str("query on the listing, such as a sort link"),
            SkipReason::Scheme(scheme) => write!(f, "{scheme}: link"),
            SkipReason::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            SkipReason::ParentDirectory => f.write_str("parent directory"),
            SkipReason::OutsideStart => f.write_str("not under the start folder"),
            SkipReason::OtherHost(host) => {
                write!(f, "on another host ({host}); use --span-hosts")
            }
            SkipReason::Directory => f.write_str("sub-directory; use --recursive"),
            SkipReason::TooDeep => f.write_str("deeper than --level"),
            SkipReason::Loop => {
                f.write_str("lists the same entries as a parent folder (symlink loop)")
            }
            SkipReason::Filtered(why) => write!(f, "filtered: {why}"),
            SkipReason::Duplicate => f.write_str("duplicate link"),
            SkipReason::UnsafePath(why) => write!(f, "unsafe local path: {why}"),
            SkipReason::Collision(other) => {
                write!(f, "would write the same local path as {other}")
            }
            SkipReason::RedirectedOutside(target) => {
                write!(f, "redirects to {target}, outside the start folder")
            }
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Files downloaded.
    pub downloaded: u64,
    /// Files already up to date on disk.
    pub up_to_date: u64,
    /// Links skipped (directories, parents, other hosts...).
    pub skipped: u64,
    /// Of the skipped links: folders not read because they list exactly what a
    /// folder above them lists (server-side symlink loops).
    pub loops_skipped: u64,
    /// Files that failed.
    pub failed: u64,
    /// Start pages that could not be fetched.
    pub pages_failed: u64,
    /// In a dry run: files that would be downloaded.
    pub planned: u64,
    /// `--delete`: local files removed because their listing no longer names them
    /// (in a dry run: that would be).
    pub deleted: u64,
    /// Bytes of file bodies received in this run (resumed bytes from an earlier run
    /// are not counted again).
    pub bytes: u64,
    /// Wall time of the run in seconds.
    pub elapsed_secs: f64,
    /// Whether the run was interrupted before it finished.
    pub interrupted: bool,
}

impl Summary {
    /// Mean download rate in bytes per second.
    pub fn rate(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.bytes as f64 / self.elapsed_secs
        } else {
            0.0
        }
    }
}

/// Receives the events of a run. Called from many tasks at once, so it must be cheap
/// and thread-safe.
pub trait Reporter: Send + Sync {
    /// Handles one event.
    fn report(&self, event: &Event);
}

/// A reporter that ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopReporter;

impl Reporter for NoopReporter {
    fn report(&self, _event: &Event) {}
}
