//! fetchall: download every file linked from a web page — typically a web server's
//! directory listing — concurrently, streamed to disk, and atomically.
//!
//! The data flows up through one folder per stage; each uses only the folders
//! listed below it (`scripts/module-graph.py`, run by CI, checks that, and that no
//! two files import each other, directly or around a cycle):
//!
//! ```text
//! engine/    mirror(): options, the run, start URLs, the crawl          Options -> Summary
//!            (producer), dispatch (consumer), checksum files, dry runs,
//!            --delete's decision
//! transfer/  one file into a part file: one attempt, the body's chunks,  Task -> bytes on disk
//!            small files, split downloads, the retrying wrapper
//! disk/      every write: part files, sidecars, resume decisions,       Partial -> Decision
//!            placing a file, no symlink followed, the run lock,
//!            --delete's removals;
//!            hashing and verifying files already on disk
//! plan/      a link's safe local path, deduplication, collisions,       Verdict -> Task
//!            content-disposition names
//! select/    scope, the user's filters, --shard: pure                    Link -> Verdict
//! listing/   fetch and decode a page, extract its links, listed sizes   Url -> Page -> Links
//!            and times; formats/ has one file per listing format
//! ftp/       FTP and FTPS sessions: login, MLSD/LIST, SIZE/MDTM, REST+RETR
//! http/      the client, DNS, what each request carries (headers,
//!            credentials, netrc, cookies), redirects, TLS, redaction
//! pace/      request slots, --limit-rate and --wait, the retry policy,
//!            the low-speed rule
//! event/     what the engine reports (Event, Summary, Reporter), the
//!            run log that reports and counts in one call, --manifest
//! checksum/  hashing while bytes stream in, SHA256SUMS formats: pure
//! error.rs   the error vocabulary; imports nothing from the crate
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

// The stages a library user may call on their own (pure parsing, paths, hashing,
// the folder lock, verifying a mirror) are public; the machinery that runs a
// mirror (engine, transfer, http, pace) is reached through `mirror()` and the
// options below.
pub mod checksum;
pub mod disk;
pub(crate) mod engine;
pub mod error;
pub mod event;
pub(crate) mod ftp;
pub(crate) mod http;
pub mod listing;
pub(crate) mod pace;
pub mod plan;
pub mod select;
pub(crate) mod transfer;

pub use engine::mirror::mirror;
pub use engine::options::{ChecksumSource, Options};
pub use engine::starts::read_url_list;
pub use error::{Error, TransferError};
pub use event::{Event, NoopReporter, Reporter, SkipReason, Summary};
pub use http::credentials::Credentials;
pub use http::redact::redact_text;
pub use http::request::RequestOptions;
pub use pace::retry::RetryPolicy;
pub use pace::speed::LowSpeed;
pub use select::filter::{FilterError, Filters};
pub use select::shard::Shard;
pub use tokio_util::sync::CancellationToken;
pub use transfer::{Existing, SplitPolicy};
