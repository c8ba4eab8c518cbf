//! The engine: reads each start page, plans its files and transfers them with
//! bounded concurrency, reporting every step as an [`Event`].
//!
//! Pages are read by a producer that sends [`Task`]s down a bounded channel; a
//! dispatcher starts a transfer for each as soon as a slot (global and per host) is
//! free, so downloads begin while the listing is still being processed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::engine::checksum_source::ChecksumState;
use crate::engine::crawl::Start;
pub use crate::engine::options::Options;
use crate::error::{Error, TransferError, error_chain};
use crate::event::{Event, Reporter, SkipReason, Summary, TransferId};
use crate::http::client::{ClientSettings, HttpClient};
use crate::http::request::RequestRules;
use crate::pace::retry::{self, HostPacer};
use crate::pace::slots::{HostSlots, Slot};
use crate::pace::throttle::{HostSpacing, RateLimiter};
use crate::plan::paths;
use crate::plan::{LocalFile, Task};
use crate::select::filter::Filters;
use crate::transfer::{self, Outcome};

/// Runs a whole download: every start URL, every file. Returns the totals.
///
/// Fatal errors (an invalid URL, an output folder that cannot be created) are
/// returned before anything is downloaded. A start page that cannot be fetched is
/// reported as [`Event::PageFailed`] and counted in [`Summary::pages_failed`] (in
/// [`Summary::failed`] when it came from [`Options::list_urls`]); a file that fails
/// is reported and counted, and the run goes on.
pub async fn mirror(
    options: &Options,
    reporter: Arc<dyn Reporter>,
    cancel: CancellationToken,
) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut starts = options
        .urls
        .iter()
        .map(|input| parse_start_url(input))
        .collect::<Result<Vec<_>, _>>()?;
    // A `-i` list is a batch: a line that is not a URL (`htps://…`, a stray word)
    // is one failed item, reported with the line; the others are still done.
    let mut invalid_list_entries = Vec::new();
    for input in &options.list_urls {
        match parse_start_url(input) {
            Ok(url) => starts.push(url),
            Err(error) => invalid_list_entries.push((input.clone(), error)),
        }
    }
    // `https://user:pass@host/` works like `-u` for that host; from here on the URLs
    // (and so every event) carry no credentials.
    let rules = RequestRules::new(&options.request, &starts)?;
    crate::http::request::strip_credentials(&mut starts);
    let list_urls = starts[options.urls.len().min(starts.len())..]
        .iter()
        .cloned()
        .collect();
    let client = HttpClient::new(
        &ClientSettings {
            user_agent: options.user_agent.clone(),
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            concurrency_per_host: options.jobs.min(options.jobs_per_host).max(1),
            proxy: options.request.proxy.clone(),
            cacert: options.request.cacert.clone(),
            insecure: options.request.insecure,
            low_speed: options.low_speed,
        },
        rules,
    )?;
    let mut outputs = Vec::new();
    for start in &starts {
        let output = options
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(default_output_name(start)));
        if !options.dry_run {
            std::fs::create_dir_all(&output).map_err(|source| Error::OutputDir {
                path: output.clone(),
                source,
            })?;
        }
        outputs.push(output);
    }
    // One run per output folder, held until this function returns.
    let _locks = crate::disk::lock::lock_outputs(&outputs, options).await?;

    let engine = Arc::new(Engine {
        client,
        options: options.clone(),
        reporter,
        cancel,
        filters: options.filters.clone(),
        summary: Mutex::new(Summary::default()),
        next_id: Mutex::new(0),
        claimed: Mutex::new(std::collections::HashSet::new()),
        pacer: HostPacer::default(),
        checksums: ChecksumState::default(),
        limiter: options.limit_rate.map(RateLimiter::new),
        spacing: HostSpacing::new(options.wait, options.random_wait),
        slots: Arc::new(Semaphore::new(options.jobs.max(1))),
        pending_writes: Semaphore::new(crate::transfer::small_file::PENDING_WRITES),
        host_slots: Mutex::new(HashMap::new()),
        list_urls,
        all_claimed: CancellationToken::new(),
    });
    for (input, error) in invalid_list_entries {
        engine.count(|summary| summary.failed += 1);
        engine.report(Event::PageFailed {
            url: crate::http::redact::redact_text(&input),
            error: error_chain(&error),
        });
    }
    let start_urls: Vec<Url> = starts.clone();
    engine.load_given_checksums(&start_urls).await?;
    let (sender, receiver) = mpsc::channel::<Task>(1024);
    let starts = starts
        .into_iter()
        .zip(outputs)
        .map(|(url, output)| Start { url, output })
        .collect();
    let producer = {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move { engine.crawl(starts, sender).await })
    };
    engine.dispatch(receiver).await;
    // The producer has finished once the channel closed. A panic in it (a bug, or a
    // panicking `Reporter`) means pages were left unread: a failure the user sees.
    if let Err(error) = producer.await
        && error.is_panic()
    {
        engine.crawler_panicked(&start_urls, error);
    }

    let mut summary = engine.take_summary();
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    summary.interrupted = engine.cancel.is_cancelled();
    engine.reporter.report(&Event::Summary(summary.clone()));
    Ok(summary)
}

/// Parses a start URL, accepting only http and https.
pub fn parse_start_url(input: &str) -> Result<Url, Error> {
    // A bare `%` typed or listed (`100%.txt`) is a literal percent sign.
    let repaired = crate::listing::extract::repair_percent(input.trim());
    let url = Url::parse(&repaired).map_err(|source| Error::InvalidUrl {
        input: input.to_string(),
        source,
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        _ => Err(Error::UnsupportedScheme {
            url: input.to_string(),
        }),
    }
}

/// The default output folder for a start URL, as `wget -nH --cut-dirs` users would
/// name it by hand: `https://h/files/quake/bots/` → `bots`, `https://h/` → `h`.
pub fn default_output_name(start: &Url) -> String {
    let folder = crate::select::scope::folder_of(start);
    folder
        .path_segments()
        .and_then(|segments| segments.rev().find(|segment| !segment.is_empty()))
        .and_then(|segment| paths::local_name(segment).ok())
        .or_else(|| start.host_str().map(str::to_string))
        .unwrap_or_else(|| "download".to_string())
}

/// The state shared by the crawler and the transfers of one run.
pub(crate) struct Engine {
    pub(crate) client: crate::http::client::HttpClient,
    pub(crate) options: Options,
    pub(crate) filters: Filters,
    reporter: Arc<dyn Reporter>,
    pub(crate) cancel: CancellationToken,
    summary: Mutex<Summary>,
    next_id: Mutex<TransferId>,
    /// Paths written by this run, for `--content-disposition` collisions.
    claimed: Mutex<std::collections::HashSet<PathBuf>>,
    /// Holds back requests to a host that answered 429 or 503.
    pacer: HostPacer,
    /// Expected digests, from checksum files.
    pub(crate) checksums: ChecksumState,
    /// `--limit-rate`, shared by every transfer.
    limiter: Option<RateLimiter>,
    /// `--wait`: spacing of requests per host.
    pub(crate) spacing: HostSpacing,
    /// `--jobs`: requests in flight at once, listing pages and transfers together,
    /// so `-j 16` means 16 connections' worth of work, as with other tools.
    slots: Arc<Semaphore>,
    /// Small bodies waiting for the disk (see [`transfer::Attempt::pending_writes`]).
    pending_writes: Semaphore,
    /// `--per-host`: requests in flight at once to each host, by host name.
    host_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The start URLs that came from a `-i` list.
    list_urls: std::collections::HashSet<Url>,
    /// Cancelled once every file of the run has been handed to the dispatcher (and
    /// so has claimed its path): a `--content-disposition` name is applied only
    /// then, so it never takes the path of a link read later.
    all_claimed: CancellationToken,
}

impl Engine {
    /// The slots a request to `url` takes: one of the run's and one of its host's.
    pub(crate) fn slots_for(&self, url: &Url) -> HostSlots {
        let host = url.host_str().unwrap_or_default().to_string();
        let mut hosts = self
            .host_slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let host = hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.options.jobs_per_host.max(1))));
        HostSlots::new(Arc::clone(&self.slots), Arc::clone(host))
    }

    /// Reports that `task` goes to the transfers (not in a dry run, whose plan is
    /// its `Planned` events).
    pub(crate) fn queued(&self, task: &Task) {
        if !self.options.dry_run {
            self.report(Event::Queued {
                url: task.url.to_string(),
                path: task.destination.display().to_string(),
                size: task.listed_size,
            });
        }
    }

    /// Whether `url` is a start URL read from a `-i` list.
    pub(crate) fn is_list_url(&self, url: &Url) -> bool {
        self.list_urls.contains(url)
    }

    pub(crate) fn report(&self, event: Event) {
        self.reporter.report(&event);
    }

    pub(crate) fn count(&self, update: impl FnOnce(&mut Summary)) {
        update(
            &mut self
                .summary
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    fn take_summary(&self) -> Summary {
        // A panic elsewhere must not erase the counts: a poisoned lock still holds them.
        self.summary
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The crawler task panicked: every page it had not read yet is lost. Counted as
    /// a failure (exit 1), reported as the failure of the start pages' crawl.
    fn crawler_panicked(&self, starts: &[Url], error: tokio::task::JoinError) {
        let message = panic_message(error);
        self.count(|summary| summary.failed += 1);
        // One crawler reads every start URL in turn; the event names the first (a
        // `-i` list may hold thousands) and says how many there were.
        let url = starts.first().map(Url::to_string).unwrap_or_default();
        let others = match starts.len() {
            0 | 1 => String::new(),
            count => format!(" (crawling {count} start URLs)"),
        };
        self.report_guarded(Event::PageFailed {
            url,
            error: format!(
                "internal error: the crawler panicked{others} ({message}); pages it had not read yet were not downloaded"
            ),
        });
    }

    /// A transfer task panicked: its file is a failure like any other.
    fn transfer_panicked(&self, file: Option<(String, String)>, error: tokio::task::JoinError) {
        let message = panic_message(error);
        let (url, path) = file.unwrap_or_default();
        self.count(|summary| summary.failed += 1);
        self.report_guarded(Event::Failed {
            id: None,
            url,
            path,
            error: format!("internal error: the transfer panicked ({message})"),
        });
    }

    /// Reports an event about a panic; if the reporter panics again, the failure is
    /// still counted in the summary, which is what the exit code is made from.
    fn report_guarded(&self, event: Event) {
        let reporter = &self.reporter;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reporter.report(&event);
        }));
    }

    fn next_transfer_id(&self) -> TransferId {
        let mut next = self
            .next_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *next += 1;
        *next
    }

    /// Starts a transfer (or, in a dry run, a size probe) for each task, with at most
    /// `jobs` in flight and `jobs_per_host` per host.
    async fn dispatch(self: &Arc<Self>, mut tasks: mpsc::Receiver<Task>) {
        let mut running = JoinSet::new();
        // What each transfer task is for, to name the file if it panics.
        let mut files: HashMap<tokio::task::Id, (String, String)> = HashMap::new();
        loop {
            let task = tokio::select! {
                () = self.cancel.cancelled() => break,
                task = tasks.recv() => task,
            };
            let Some(task) = task else { break };
            if self.options.content_disposition && !self.claim(&task.destination) {
                // A Content-Disposition name took this path earlier in the run.
                self.count(|summary| summary.skipped += 1);
                let url = task.url.to_string();
                self.report(Event::Skipped {
                    link: url.clone(),
                    url,
                    reason: SkipReason::Collision("a Content-Disposition name".into()),
                });
                continue;
            }
            // Up to date by the listing alone: no request, so no slot.
            if !self.options.dry_run
                && self.options.existing == crate::transfer::Existing::Compare
                && task.is_up_to_date_by_listing()
            {
                self.count(|summary| summary.up_to_date += 1);
                self.report(Event::UpToDate {
                    id: None,
                    url: task.url.to_string(),
                    path: task.destination.display().to_string(),
                });
                continue;
            }
            let host_slots = self.slots_for(&task.url);
            let slot = tokio::select! {
                () = self.cancel.cancelled() => break,
                slot = host_slots.take() => slot,
            };
            let Some(slot) = slot else { break };
            tokio::select! {
                () = self.cancel.cancelled() => break,
                () = self.spacing.wait(task.url.host_str().unwrap_or_default()) => {}
            }
            let engine = Arc::clone(self);
            let file = (task.url.to_string(), task.destination.display().to_string());
            let handle = running.spawn(async move {
                if engine.options.dry_run {
                    let _slot = slot;
                    engine.probe(task).await;
                } else {
                    engine.transfer(task, slot, &host_slots).await;
                }
            });
            files.insert(handle.id(), file);
            // Reap finished transfers so the set does not grow with the listing.
            while let Some(joined) = running.try_join_next_with_id() {
                self.joined(joined, &mut files);
            }
        }
        // Closing the channel stops the producer promptly after a Ctrl-C.
        drop(tasks);
        // Every path of the run is claimed: Content-Disposition names may go on.
        self.all_claimed.cancel();
        while let Some(joined) = running.join_next_with_id().await {
            self.joined(joined, &mut files);
        }
    }

    /// A transfer task ended: a panic is a failed file, never a silent one.
    fn joined(
        &self,
        joined: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
        files: &mut HashMap<tokio::task::Id, (String, String)>,
    ) {
        match joined {
            Ok((id, ())) => {
                files.remove(&id);
            }
            Err(error) => {
                let file = files.remove(&error.id());
                if error.is_panic() {
                    self.transfer_panicked(file, error);
                }
            }
        }
    }

    /// Downloads one file. Its `slot` is given back as soon as the body has arrived,
    /// so the next transfer starts while this one's file is synced and renamed; a
    /// split file's other connections take theirs from `host_slots`.
    async fn transfer(&self, mut task: Task, slot: Slot, host_slots: &HostSlots) {
        let id = self.next_transfer_id();
        let url = task.url.to_string();
        let path = task.destination.display().to_string();
        let mut progress = ReportedProgress {
            engine: self,
            id,
            url: &url,
            path: &path,
            last_report: None,
            slot: Some(slot),
        };
        let attempt = transfer::Attempt {
            read_timeout: self.options.read_timeout,
            existing: self.options.existing,
            split: self.options.split,
            retry: self.options.retry,
            checks: self.checks_for(&task.url),
            limiter: self.limiter.as_ref(),
            slots: Some(host_slots),
            follow_symlinks: self.options.follow_symlinks,
            pending_writes: &self.pending_writes,
        };
        let result = transfer::download_with_retries(
            &self.client,
            &task,
            attempt,
            self.options.retry,
            &self.pacer,
            &self.cancel,
            &self.filters,
            &mut progress,
        )
        .await;
        match result {
            Ok(Outcome::Downloaded {
                bytes,
                suggested_name,
                transferred,
                digest,
            }) => {
                let path = match suggested_name.filter(|_| self.options.content_disposition) {
                    Some(name) => {
                        // The link's name wins over a suggested one, even a link
                        // read later (`--flat`, another start URL): wait for every
                        // link to claim its path, holding no slot meanwhile.
                        progress.slot = None;
                        // A file, not a folder: the crawl (which waits for every
                        // folder probe) must not wait for this wait.
                        task.folder_probe = None;
                        self.all_claimed.cancelled().await;
                        self.rename_to_suggested(&task, &name, path).await
                    }
                    None => path,
                };
                self.count(|summary| {
                    summary.downloaded += 1;
                    summary.bytes += transferred;
                });
                self.report(Event::Downloaded {
                    id,
                    url,
                    path,
                    bytes,
                    verified: digest.verified,
                    sha256: digest.sha256,
                });
            }
            Ok(Outcome::UpToDate) => {
                self.count(|summary| summary.up_to_date += 1);
                self.report(Event::UpToDate {
                    id: Some(id),
                    url,
                    path,
                });
            }
            // Under `-r`: the crawler reads it as a folder (and hands it back as a
            // file if it is no listing after all).
            Ok(Outcome::Folder {
                url: folder,
                redirected,
            }) if task.folder_probe.is_some() => {
                self.report(Event::FolderFound {
                    url,
                    folder: folder.to_string(),
                });
                if let Some(probe) = &task.folder_probe {
                    probe.found(folder, redirected, &task);
                }
            }
            Ok(Outcome::Folder { .. }) => {
                self.count(|summary| summary.skipped += 1);
                self.report(Event::Skipped {
                    link: url.clone(),
                    url,
                    reason: SkipReason::Directory,
                });
            }
            Ok(Outcome::Filtered(reason)) => {
                self.count(|summary| summary.skipped += 1);
                self.report(Event::Skipped {
                    link: url.clone(),
                    url,
                    reason,
                });
            }
            // Not a failure of the file: the user stopped the run (which the
            // summary says, exit 130). Never a silent end of a file otherwise.
            Err(TransferError::Interrupted) if self.cancel.is_cancelled() => {}
            Err(error) => {
                self.count_failed_file(&task.url);
                self.report(Event::Failed {
                    id: Some(id),
                    url,
                    path,
                    error: error_chain(&error),
                });
            }
        }
    }

    /// Counts the failure of the file at `url`, unless it is a checksum file whose
    /// failure to be read was counted already.
    fn count_failed_file(&self, url: &Url) {
        if !self.checksums.failure_counted(url) {
            self.count(|summary| summary.failed += 1);
        }
    }

    /// Records `path` as written by this run; false if something else claimed it.
    fn claim(&self, path: &std::path::Path) -> bool {
        self.claimed
            .lock()
            .map(|mut claimed| claimed.insert(path.to_path_buf()))
            .unwrap_or(false)
    }

    /// `--content-disposition`: moves a downloaded file to the name its server
    /// suggested, in the same folder, unless another file of the run has that path
    /// (then it keeps its link's name). Returns the path it ends up at.
    async fn rename_to_suggested(&self, task: &Task, name: &str, path: String) -> String {
        let suggested = task.destination.with_file_name(name);
        if suggested == task.destination || !self.claim(&suggested) {
            return path;
        }
        match tokio::fs::rename(&task.destination, &suggested).await {
            Ok(()) => suggested.display().to_string(),
            Err(_) => path,
        }
    }

    /// Dry run: ask the server for the size with HEAD, write nothing. A file the
    /// server will not give (404, 403, a refused certificate, or a failure that
    /// outlasts the retries a real run makes) is reported and counted as failed, as
    /// the real run would: a dry run must not plan what cannot be fetched.
    async fn probe(&self, task: Task) {
        // What a real run decides before any request, decided the same way.
        if task.local == LocalFile::Other {
            self.count_failed_file(&task.url);
            self.report(Event::Failed {
                id: None,
                url: task.url.to_string(),
                path: task.destination.display().to_string(),
                error: format!(
                    "cannot replace `{}`: it exists and is not a regular file",
                    task.destination.display()
                ),
            });
            return;
        }
        let present = matches!(task.local, LocalFile::Present { .. });
        let existing = self.options.existing;
        if (existing == crate::transfer::Existing::Keep && present)
            || (existing == crate::transfer::Existing::Compare && task.is_up_to_date_by_listing())
        {
            self.probed_up_to_date(&task);
            return;
        }
        let (size, modified) = if task.listed_size.is_some() {
            (
                task.listed_size,
                task.listed_modified.map(|time| time.latest),
            )
        } else {
            let head = match self.probe_with_retries(&task.url).await {
                Ok(head) => head,
                Err(TransferError::Interrupted) => return,
                Err(error) => {
                    self.count_failed_file(&task.url);
                    self.report(Event::Failed {
                        id: None,
                        url: task.url.to_string(),
                        path: task.destination.display().to_string(),
                        error: error_chain(&error),
                    });
                    return;
                }
            };
            // A folder linked without its slash, as the transfer would find it.
            match (head.folder, &task.folder_probe) {
                (Some((folder, redirected)), Some(folder_probe)) => {
                    folder_probe.found(folder, redirected, &task);
                    return;
                }
                (Some((_, true)), None) => {
                    self.count(|summary| summary.skipped += 1);
                    let url = task.url.to_string();
                    self.report(Event::Skipped {
                        link: url.clone(),
                        url,
                        reason: SkipReason::Directory,
                    });
                    return;
                }
                _ => (head.size, head.modified),
            }
        };
        if let Err(reason) = self.filters.check_metadata(size, modified) {
            self.count(|summary| summary.skipped += 1);
            let url = task.url.to_string();
            self.report(Event::Skipped {
                link: url.clone(),
                url,
                reason,
            });
            return;
        }
        // The real run's rule for an answer: the local file has its size and date.
        if existing == crate::transfer::Existing::Compare
            && task.listed_size.is_none()
            && task
                .local
                .matches(size, modified.map(crate::listing::meta::ListedTime::exact))
        {
            self.probed_up_to_date(&task);
            return;
        }
        self.count(|summary| summary.planned += 1);
        self.report(Event::Planned {
            url: task.url.to_string(),
            path: task.destination.display().to_string(),
            size,
            exists: task.local != LocalFile::Missing,
        });
    }

    /// Dry run: a file a real run would leave alone as up to date.
    fn probed_up_to_date(&self, task: &Task) {
        self.count(|summary| summary.up_to_date += 1);
        self.report(Event::UpToDate {
            id: None,
            url: task.url.to_string(),
            path: task.destination.display().to_string(),
        });
    }

    /// [`probe`] with the retries (and the waits, `Retry-After` included) a real
    /// transfer of the file would make before it gives up.
    async fn probe_with_retries(&self, url: &Url) -> Result<Head, TransferError> {
        let policy = self.options.retry;
        let host = url.host_str().unwrap_or_default();
        let mut attempts: u32 = 0;
        loop {
            self.pacer.wait(host, &self.cancel).await?;
            attempts += 1;
            let error = tokio::select! {
                () = self.cancel.cancelled() => return Err(TransferError::Interrupted),
                probed = probe(&self.client, url, self.options.read_timeout) => match probed {
                    Ok(found) => return Ok(found),
                    Err(error) => error,
                },
            };
            if !retry::is_transient(&error) || attempts > policy.retries {
                return Err(retry::gave_up(attempts, error));
            }
            let delay = retry::delay_after(&error, attempts, policy);
            tokio::select! {
                () = self.cancel.cancelled() => return Err(TransferError::Interrupted),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }
}

/// The message a panic carried, for the error event.
fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string()),
        Err(error) => error.to_string(),
    }
}

/// What a dry run's probe learns of a file.
#[derive(Default)]
struct Head {
    size: Option<u64>,
    modified: Option<std::time::SystemTime>,
    /// A link without a slash that answered as a folder: redirected to `…/` (true),
    /// or with a page type (false), as [`Outcome::Folder`].
    folder: Option<(Url, bool)>,
}

/// The size and modification time of a file, from a HEAD answer; or why a real
/// run would not get the file.
///
/// Only a successful HEAD is trusted. Any other answer (a HEAD the server refuses
/// with 405 or 501, a HEAD-only 403 of a URL signed for GET, a 404) is checked
/// with the GET a real run sends, whose body is not read: its status decides.
async fn probe(
    client: &crate::http::client::HttpClient,
    url: &Url,
    timeout: Duration,
) -> Result<Head, TransferError> {
    let head = client
        .head(url.clone())
        .header(reqwest::header::ACCEPT_ENCODING, "identity");
    let response = probe_request(client, head, timeout).await?;
    let response = if response.status().is_success() {
        response
    } else {
        let get = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT_ENCODING, "identity");
        // Dropping the answer unread closes its connection: no body is fetched.
        probe_request(client, get, timeout).await?
    };
    let status = response.status();
    if !status.is_success() {
        return Err(TransferError::Status {
            status,
            redirected_to: crate::error::redirect_target(url, response.url()),
            retry_after: retry::retry_after(response.headers()),
        });
    }
    let folder = if url.path().ends_with('/') {
        None
    } else if response.url().path().ends_with('/') {
        Some((response.url().clone(), true))
    } else {
        crate::listing::page::states_page_type(response.headers()).then(|| (url.clone(), false))
    };
    Ok(Head {
        size: transfer::content_length(response.headers()),
        modified: transfer::last_modified(response.headers()),
        folder,
    })
}

/// Sends one request of a dry run's probe, within the read timeout.
async fn probe_request(
    client: &crate::http::client::HttpClient,
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<reqwest::Response, TransferError> {
    match tokio::time::timeout(timeout, client.send(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) if error.is_timeout() && !error.is_connect() => {
            Err(TransferError::ReadTimeout(timeout))
        }
        Ok(Err(error)) => Err(TransferError::Request(error)),
        Err(_) => Err(TransferError::ReadTimeout(timeout)),
    }
}

/// Turns a transfer's progress into events, at most ten a second per transfer, and
/// gives back its slot once the body is in.
struct ReportedProgress<'a> {
    engine: &'a Engine,
    id: TransferId,
    url: &'a str,
    path: &'a str,
    last_report: Option<Instant>,
    slot: Option<Slot>,
}

impl transfer::Progress for ReportedProgress<'_> {
    fn started(&mut self, size: Option<u64>) {
        self.engine.report(Event::Started {
            id: self.id,
            url: self.url.to_string(),
            path: self.path.to_string(),
            size,
        });
    }

    fn body_received(&mut self) {
        self.slot = None;
    }

    fn retrying(&mut self, attempt: u32, delay: Duration, error: &TransferError) {
        self.engine.report(Event::Retrying {
            id: self.id,
            url: self.url.to_string(),
            attempt,
            delay_secs: delay.as_secs_f64(),
            error: error_chain(error),
        });
    }

    fn advanced(&mut self, total: u64) {
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < Duration::from_millis(100))
        {
            return;
        }
        self.last_report = Some(now);
        self.engine.report(Event::Progress {
            id: self.id,
            bytes: total,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_folder_is_the_last_path_segment() {
        let name = |url: &str| default_output_name(&Url::parse(url).expect("test URL"));
        assert_eq!(name("https://h/files/quake/bots/"), "bots");
        assert_eq!(name("https://h/files/quake/bots/index.html"), "bots");
        assert_eq!(name("https://h/caf%C3%A9/"), "café");
        assert_eq!(name("https://h/"), "h");
        assert_eq!(name("https://h/%2e%2e/"), "h");
    }
}
