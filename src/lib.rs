//! fetchall: download every file linked from a web page — typically a web server's
//! directory listing — concurrently, streamed to disk, and atomically.
//!
//! The data flows up through one folder per stage; each uses only the folders
//! listed below it (`scripts/module-graph.py` checks there is no cycle between files):
//!
//! ```text
//! engine/    mirror(): options, the run, start URLs, crawl (producer),    Options -> Summary
//!            dispatch (consumer), checksum files, dry runs
//! transfer/  one file over HTTP into a part file, small files in memory,  Task -> bytes on disk
//!            split downloads, the retrying wrapper
//! disk/      the only code that writes: part files, sidecars, resume       Partial -> Decision
//!            decisions, placing a file; no symlink followed; the run lock
//! checksum/  hashes while bytes stream in, SHA256SUMS formats, verify      bytes -> verdict
//! plan/      a link's safe local path, deduplication, collisions,          Verdict -> Task
//!            content-disposition names
//! select/    scope, the user's filters, --shard: pure                       Link -> Verdict
//! listing/   fetch and decode a page, extract its links, listed sizes      Url -> Page -> Links
//!            and times, one file per listing format
//! http/      the client, DNS, what each request carries (headers,
//!            credentials, netrc, cookies), redirects, redaction
//! pace/      request slots, --limit-rate and --wait, the retry policy,
//!            the low-speed rule
//! event/     what the engine reports (Event, Summary, Reporter), manifest
//! error.rs   the error vocabulary
//! ```
//!
//! fetchall runs on Unix-like systems (Linux, macOS, the BSDs): the output folder's
//! safety rests on `O_NOFOLLOW`, `flock` and positioned writes.
//!
//! The library never prints: it reports [`Event`]s to a [`Reporter`], and the binary
//! turns them into progress bars, plain lines or JSON. A reporter of your own:
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use fetchall::{CancellationToken, Event, Options, Reporter};
//!
//! /// Counts the bytes of the files downloaded, and prints failures.
//! #[derive(Default)]
//! struct Tally(AtomicU64);
//!
//! impl Reporter for Tally {
//!     fn report(&self, event: &Event) {
//!         match event {
//!             Event::Downloaded { bytes, .. } => {
//!                 self.0.fetch_add(*bytes, Ordering::Relaxed);
//!             }
//!             Event::Failed { url, error, .. } => eprintln!("{url}: {error}"),
//!             _ => {}
//!         }
//!     }
//! }
//!
//! # async fn example() -> Result<(), fetchall::Error> {
//! let mut options = Options::new(["https://host/files/"]);
//! options.output = Some("files".into());
//! options.recursive = true;
//! let tally = Arc::new(Tally::default());
//! let summary = fetchall::mirror(&options, tally.clone(), CancellationToken::new()).await?;
//! assert_eq!(summary.bytes, tally.0.load(Ordering::Relaxed));
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

#[cfg(not(unix))]
compile_error!(
    "fetchall runs on Unix-like systems only: it relies on O_NOFOLLOW, flock and positioned writes"
);

pub mod checksum;
pub mod disk;
pub mod engine;
pub mod error;
pub mod event;
pub mod http;
pub mod listing;
pub mod pace;
pub mod plan;
pub mod select;
pub mod transfer;

pub use engine::mirror::mirror;
pub use engine::options::{ChecksumSource, Options};
pub use error::{Error, TransferError};
pub use event::{Event, NoopReporter, Reporter, SkipReason, Summary};
pub use http::credentials::Credentials;
pub use http::request::RequestOptions;
pub use pace::retry::RetryPolicy;
pub use pace::speed::LowSpeed;
pub use select::filter::{FilterError, Filters};
pub use select::shard::Shard;
pub use tokio_util::sync::CancellationToken;
pub use transfer::Existing;
pub use transfer::SplitPolicy;
