//! The run context: what the crawl and the transfers of one run share. A plain
//! struct, built once by [`mirror`](crate::engine::mirror::mirror) and passed to
//! the functions of each step.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::disk::batch::SmallFileWriter;
use crate::engine::clocks::HostClocks;
use crate::engine::digests::ExpectedDigests;
use crate::engine::listed::Listings;
use crate::engine::options::Options;
use crate::event::run_log::RunLog;
use crate::event::{Event, Reporter, TransferId};
use crate::http::client::{HttpClient, STREAMS_PER_SLOT};
use crate::pace::retry::HostPacer;
use crate::pace::slots::HostSlots;
use crate::pace::throttle::{HostSpacing, RateLimiter};

/// The state shared by the crawler and the transfers of one run.
///
/// Locks are held for one insert or one increment; a poisoned one (a panic
/// elsewhere) is recovered, never taken for empty.
pub(crate) struct Run {
    pub(crate) client: HttpClient,
    pub(crate) options: Options,
    /// Reports every event, and counts those that end something in the summary.
    pub(crate) log: RunLog,
    pub(crate) cancel: CancellationToken,
    /// Holds back requests to a host that answered 429 or 503.
    pub(crate) pacer: HostPacer,
    /// Expected digests, from checksum files.
    pub(crate) digests: ExpectedDigests,
    /// `--limit-rate`, shared by every transfer.
    pub(crate) limiter: Option<RateLimiter>,
    /// `--wait`: spacing of requests per host.
    pub(crate) spacing: HostSpacing,
    /// Writes small files, durable in batches (see [`crate::transfer::Attempt::small_files`]).
    pub(crate) small_files: SmallFileWriter,
    /// Cancelled once every file of the run has been handed to the dispatcher (and
    /// so has claimed its path): a `--content-disposition` name is applied only
    /// then, so it never takes the path of a link read later.
    pub(crate) all_claimed: CancellationToken,
    /// The learnt clock of each host whose listing prints local times.
    pub(crate) clocks: HostClocks,
    /// `--delete`: what the listings named, folder by folder.
    pub(crate) listings: Listings,
    /// The FTP sessions of `ftp://` and `ftps://` URLs, kept between uses.
    pub(crate) ftp: crate::ftp::FtpSessions,
    /// `--jobs`: requests in flight at once, listing pages and transfers together,
    /// so `-j 16` means 16 connections' worth of work, as with other tools.
    slots: Arc<Semaphore>,
    /// `--per-host`: requests in flight at once to each host, by host name.
    host_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The same for hosts that answer over HTTP/2, whose requests share
    /// connections: [`STREAMS_PER_SLOT`] times as many (see [`Run::slots_for`]).
    stream_slots: Arc<Semaphore>,
    host_stream_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    next_id: Mutex<TransferId>,
    /// Paths written by this run, for `--content-disposition` collisions.
    claimed: Mutex<HashSet<PathBuf>>,
}

impl Run {
    /// The context of a run of `options` over `client`, reporting to `reporter`.
    pub(crate) fn new(
        options: &Options,
        client: HttpClient,
        reporter: Arc<dyn Reporter>,
        cancel: CancellationToken,
    ) -> Run {
        let ftp = crate::ftp::FtpSessions::new(client.clone(), options.jobs_per_host);
        Run {
            ftp,
            client,
            options: Options {
                // Read by the crawl from their own copy (`url_list`): a list given
                // whole is not kept twice.
                list_urls: Vec::new(),
                ..options.clone()
            },
            log: RunLog::new(reporter),
            cancel,
            pacer: HostPacer::default(),
            digests: ExpectedDigests::default(),
            limiter: options.limit_rate.map(RateLimiter::new),
            spacing: HostSpacing::new(options.wait, options.random_wait),
            small_files: SmallFileWriter::default(),
            all_claimed: CancellationToken::new(),
            clocks: HostClocks::default(),
            listings: Listings::new(options.delete),
            slots: Arc::new(Semaphore::new(options.jobs.max(1))),
            host_slots: Mutex::new(HashMap::new()),
            stream_slots: Arc::new(Semaphore::new(options.jobs.max(1) * STREAMS_PER_SLOT)),
            host_stream_slots: Mutex::new(HashMap::new()),
            next_id: Mutex::new(0),
            claimed: Mutex::new(HashSet::new()),
        }
    }

    /// The slots a request to `url` takes: one of the run's and one of its host's.
    /// Once its host has answered over HTTP/2, a slot is a stream: the host's
    /// requests share a few connections, and [`STREAMS_PER_SLOT`] times as many are
    /// in flight (`-j 16`: 64, on two connections), drawn from the run's and the
    /// host's stream slots. Requests already in flight keep what they took.
    pub(crate) fn slots_for(&self, url: &Url) -> HostSlots {
        let (run, hosts, per_host) = if self.client.is_multiplexed(url) {
            let per_host = self.options.jobs_per_host.max(1) * STREAMS_PER_SLOT;
            (&self.stream_slots, &self.host_stream_slots, per_host)
        } else {
            (
                &self.slots,
                &self.host_slots,
                self.options.jobs_per_host.max(1),
            )
        };
        let host = url.host_str().unwrap_or_default().to_string();
        let mut hosts = hosts.lock().unwrap_or_else(PoisonError::into_inner);
        let host = hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(per_host)));
        HostSlots::new(Arc::clone(run), Arc::clone(host))
    }

    /// A new transfer's id: 1, 2, 3…
    pub(crate) fn next_transfer_id(&self) -> TransferId {
        let mut next = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        *next
    }

    /// Records `path` as written by this run; false if something else claimed it.
    pub(crate) fn claim(&self, path: &Path) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_path_buf())
    }

    /// A file failed: counted, unless it is a checksum file whose failure to be
    /// read was counted already; reported either way.
    pub(crate) fn file_failed(&self, url: &Url, event: Event) {
        let counted = self.digests.failure_counted(url);
        self.log.record(event, |summary| {
            if !counted {
                summary.failed += 1;
            }
        });
    }
}
