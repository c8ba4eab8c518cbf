//! fetchall: download every file linked from a web page — typically a web server's
//! directory listing — concurrently, streamed to disk, and atomically.
//!
//! The data flows through one module per step:
//!
//! ```text
//! page      fetch a listing page (decompress, decode its charset)   Url  -> Page
//! extract   every <a href> of the page, resolved                   Page -> Vec<Link>
//! scope     which links are files to fetch, and why others are not Link -> Verdict
//! paths     URL -> a safe path under the output folder             Url  -> RelativePath
//! plan      deduplicate, refuse collisions, look at the disk       Verdict -> Task
//! transfer  one file over HTTP into a temporary file, then rename  Task -> Outcome
//! segmented a large file over several ranged connections           Task -> Outcome
//! filter    globs, regexes, sizes and dates the user asked for      Link -> Verdict
//! crawl     listing pages in breadth-first order, recursively     Url  -> Tasks
//! resume    partial files, their validators, Range answers        Partial -> Decision
//! retry     transient failures, backoff, Retry-After, host pacing  Task -> Outcome
//! slots     --jobs and --per-host: one slot per request in flight
//! options   what a run is asked to do (plain data)
//! mirror    the engine that runs all of the above concurrently     Options -> Summary
//! event     what the engine reports, and the Reporter trait
//! ```
//!
//! Around them, for issue 5:
//!
//! ```text
//! checksum         Algorithm, Expected, Verifier: hashing while bytes stream in
//! sums             SHA256SUMS / MD5SUMS / *.sha256 formats, digests by URL
//! checksum_source  --checksums auto|off|FILE|URL, read before a page's files start
//! verify           re-checking an existing mirror against its checksum files
//! manifest         --manifest: one JSON line per downloaded file
//! shard            --shard K/N: a stable split of the files across machines
//! request          -H, -u, netrc, cookies, proxy, TLS: what each request carries
//! netrc, cookies   the .netrc and Netscape cookies.txt formats
//! client           the HTTP client, decorating each request for its URL
//! dns              host names looked up once per run
//! throttle         --limit-rate token bucket, --wait spacing per host
//! input            -i URL lists, direct file links as start URLs
//! redact           passwords masked in every reported URL and message
//! ```
//!
//! And for issue 11, the output folder's safety:
//!
//! ```text
//! lock             one run per output folder (.fetchall.lock, flock)
//! safe_fs          no symlink followed inside the output folder; locked partial files
//! ```
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

pub use engine::checksum_source::ChecksumSource;
pub use engine::mirror::{Options, mirror};
pub use error::{Error, TransferError};
pub use event::{Event, NoopReporter, Reporter, SkipReason, Summary};
pub use http::request::{Credentials, RequestOptions};
pub use pace::retry::RetryPolicy;
pub use pace::speed::LowSpeed;
pub use select::filter::{FilterError, Filters};
pub use select::shard::Shard;
pub use tokio_util::sync::CancellationToken;
pub use transfer::Existing;
pub use transfer::SplitPolicy;
