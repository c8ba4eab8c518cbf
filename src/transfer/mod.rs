//! One attempt at one file over HTTP: streamed in chunks into a partial file beside
//! the destination (continuing an earlier attempt's bytes when the server allows),
//! checked against the announced size, then renamed into place. A file under its
//! final name is therefore always complete. Retries are [`crate::pace::retry`]'s job.

pub mod segmented;
pub(crate) mod small_file;

use std::time::{Duration, SystemTime};

use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, HeaderMap, IF_MODIFIED_SINCE, IF_RANGE,
    LAST_MODIFIED, RANGE,
};
use reqwest::{RequestBuilder, StatusCode};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::checksum::{BodyDigest, BodyHasher, Checks, VerifyError};
use crate::disk::resume::{self, Decision, PartPaths, Partial, Validator};
use crate::error::{TransferError, redirect_target};
use crate::event::SkipReason;
use crate::listing::meta::ListedTime;
use crate::pace::retry::RetryPolicy;
use crate::pace::speed::{self, LowSpeed, SpeedMeter};
use crate::plan::{LocalFile, Task};
use crate::select::filter::Filters;
use crate::transfer::segmented::{Segment, Split, SplitPolicy};
use crate::transfer::small_file::{Placement, SMALL_FILE_BYTES};

/// Bytes buffered before a write reaches the file: few system calls, bounded memory.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

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
        /// Digests computed on the way ([`Settings::checks`]).
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

/// What one attempt needs besides the task.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
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
    pub limiter: Option<&'a crate::pace::throttle::RateLimiter>,
    /// Where a split file's connections after its first take their slots; `None`:
    /// as many as `split` allows.
    pub slots: Option<&'a crate::pace::slots::HostSlots>,
    /// `--follow-symlinks`: write through symlinked folders that lead outside the
    /// output folder.
    pub follow_symlinks: bool,
    /// Small bodies received and waiting for the disk, at most (one permit each):
    /// the run's own, so two runs in one process do not share it.
    pub pending_writes: &'a tokio::sync::Semaphore,
}

/// One attempt at downloading `task.url` to `task.destination`, continuing a partial
/// file left by an earlier attempt when the server allows it (see [`crate::disk::resume`]).
///
/// On failure the partial file is kept for the next attempt if its version is known.
pub async fn download(
    client: &crate::http::client::HttpClient,
    task: &Task,
    settings: Settings<'_>,
    cancel: &CancellationToken,
    filters: &Filters,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    if task.local == LocalFile::Other {
        return Err(TransferError::io(
            "replace",
            &task.destination,
            std::io::Error::other("it exists and is not a regular file"),
        ));
    }
    if settings.existing == Existing::Keep && matches!(task.local, LocalFile::Present { .. }) {
        return Ok(Outcome::UpToDate);
    }
    let limits = BodyLimits::new(client, filters);
    let parts = PartPaths::new(&task.destination);
    // Nothing left by an earlier run is read or removed through a refused symlink.
    folders(task, settings).check()?;
    let mut partial = parts.load(&task.url).await;
    // False once the server showed it does not honour ranges for this file.
    let mut split_allowed = true;
    // A split download left by an earlier attempt: every segment continues.
    if let Some(resumed) = &partial
        && let Some(segments) = resumed.validator.segments.clone()
    {
        if let Err(reason) = filters.check_metadata(resumed.validator.total, None) {
            parts.discard().await;
            return Ok(Outcome::Filtered(reason));
        }
        progress.started(resumed.validator.total);
        let validator = resumed.validator.clone();
        match segmented::download(
            client, task, &parts, validator, segments, None, settings, cancel, progress,
        )
        .await?
        {
            Split::Done(outcome) => return Ok(outcome),
            Split::Single(Some(whole)) => {
                return receive_whole(whole, task, &parts, settings, limits, cancel, progress)
                    .await;
            }
            Split::Single(None) => {
                parts.discard().await;
                partial = None;
                split_allowed = false;
            }
        }
    }
    // At most three requests: a ranged one, a plain one if the range did not fit,
    // and a plain one if a split showed that the server's ranges cannot be used.
    loop {
        let response = send(client, task, settings, partial.as_ref(), cancel).await?;
        let status = response.status();
        match resume::decide(status, response.headers(), partial.as_ref()) {
            Decision::Restart => {
                parts.discard().await;
                partial = None;
                continue;
            }
            Decision::Complete => {
                let Some(partial) = partial else {
                    return Err(TransferError::Status {
                        status,
                        redirected_to: redirect_target(&task.url, response.url()),
                        retry_after: None,
                    });
                };
                progress.started(partial.validator.total);
                let digest = check_complete(&parts, settings.checks).await?;
                return finish(task, &parts, &partial.validator, partial.offset)
                    .await
                    .map(|outcome| outcome.with_digest(digest));
            }
            Decision::Append => {
                let Some(partial) = partial else {
                    return Err(TransferError::Status {
                        status,
                        redirected_to: redirect_target(&task.url, response.url()),
                        retry_after: None,
                    });
                };
                // `--max-size` may be new since the partial was started.
                if let Err(reason) = filters.check_metadata(partial.validator.total, None) {
                    drop(response);
                    parts.discard().await;
                    return Ok(Outcome::Filtered(reason));
                }
                progress.started(partial.validator.total);
                return receive(
                    response,
                    task,
                    &parts,
                    Some(partial),
                    settings,
                    limits,
                    cancel,
                    progress,
                )
                .await;
            }
            Decision::Fresh => {
                // `dir` answered by a redirect to `dir/`: a folder linked without its slash.
                if response.url().path().ends_with('/') && !task.url.path().ends_with('/') {
                    return Ok(match task.folder_probe {
                        Some(_) => Outcome::Folder {
                            url: response.url().clone(),
                            redirected: true,
                        },
                        None => Outcome::Filtered(SkipReason::Directory),
                    });
                }
                // `dir` answered by a page (HTML or JSON) without a redirect: maybe a
                // listing; under `-r` the crawler reads it and hands it back if not.
                if task.folder_probe.is_some()
                    && crate::listing::page::states_page_type(response.headers())
                {
                    return Ok(Outcome::Folder {
                        url: task.url.clone(),
                        redirected: false,
                    });
                }
                // Size and date filters are judged on the answer's headers: no extra request.
                let announced = content_length(response.headers());
                if let Err(reason) =
                    filters.check_metadata(announced, last_modified(response.headers()))
                {
                    return Ok(Outcome::Filtered(reason));
                }
                if partial.is_none()
                    && settings.existing == Existing::Compare
                    && task.local.matches(
                        content_length(response.headers()),
                        last_modified(response.headers()).map(ListedTime::exact),
                    )
                {
                    // Dropping the response closes the body without reading it.
                    return Ok(Outcome::UpToDate);
                }
                if let Some(partial) = partial.take() {
                    // A 200 to a ranged request: the server sends it all, from zero.
                    // The same version as the partial's means the server ignores
                    // Range (for this file at least): splitting it would not work.
                    if segmented::version_change(
                        &partial.validator,
                        response.headers(),
                        content_length(response.headers()),
                    )
                    .is_none()
                    {
                        split_allowed = false;
                    }
                    parts.discard().await;
                }
                progress.started(content_length(response.headers()));
                if split_allowed
                    && let Some((validator, segments)) = split_plan(task, &response, settings)
                {
                    match segmented::download(
                        client,
                        task,
                        &parts,
                        validator,
                        segments,
                        Some(response),
                        settings,
                        cancel,
                        progress,
                    )
                    .await?
                    {
                        Split::Done(outcome) => return Ok(outcome),
                        Split::Single(Some(whole)) => {
                            return receive_whole(
                                whole, task, &parts, settings, limits, cancel, progress,
                            )
                            .await;
                        }
                        Split::Single(None) => {
                            parts.discard().await;
                            split_allowed = false;
                            continue;
                        }
                    }
                }
                return receive(
                    response, task, &parts, None, settings, limits, cancel, progress,
                )
                .await;
            }
            Decision::Other => {}
        }
        if status == StatusCode::NOT_MODIFIED && partial.is_none() {
            return Ok(Outcome::UpToDate);
        }
        if status == StatusCode::PARTIAL_CONTENT {
            return Err(TransferError::UnexpectedPartial {
                content_range: response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("none")
                    .to_string(),
            });
        }
        return Err(TransferError::Status {
            status,
            redirected_to: redirect_target(&task.url, response.url()),
            retry_after: crate::pace::retry::retry_after(response.headers()),
        });
    }
}

/// A split download whose server sent the whole file (200, same version) to a
/// range request: that answer is the file, received over this one connection from
/// byte 0 (the bytes already on disk are of the same version, but simply written
/// again).
async fn receive_whole(
    whole: reqwest::Response,
    task: &Task,
    parts: &PartPaths,
    settings: Settings<'_>,
    limits: BodyLimits,
    cancel: &CancellationToken,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    parts.discard().await;
    receive(whole, task, parts, None, settings, limits, cancel, progress).await
}

/// Whether a partial file of this answer is kept for resuming: it needs a validator,
/// and a body of unknown or sizeable length.
fn keeps_partial(validator: &Validator, body_length: Option<u64>) -> bool {
    validator.if_range().is_some() && body_length.is_none_or(|length| length >= SMALL_FILE_BYTES)
}

/// The segments of a full answer worth splitting: large enough, ranges accepted, and
/// a validator (ETag or Last-Modified) so that every range is of the same version.
fn split_plan(
    task: &Task,
    response: &reqwest::Response,
    settings: Settings,
) -> Option<(Validator, Vec<Segment>)> {
    if response.status() != StatusCode::OK || !segmented::accepts_ranges(response.headers()) {
        return None;
    }
    let total = content_length(response.headers())?;
    let segments = segmented::plan_segments(total, settings.split)?;
    let validator = Validator::from_response(&task.url, response.headers(), Some(total));
    validator.if_range()?;
    Some((validator, segments))
}

/// Sends the request for one attempt: ranged when a partial file can be continued,
/// conditional when a local file may already be current.
async fn send(
    client: &crate::http::client::HttpClient,
    task: &Task,
    settings: Settings<'_>,
    partial: Option<&Partial>,
    cancel: &CancellationToken,
) -> Result<reqwest::Response, TransferError> {
    let mut request = file_request(client, &task.url);
    if let Some(partial) = partial {
        request = with_range(request, partial.offset, None, &partial.validator);
    } else if let (
        Existing::Compare,
        LocalFile::Present {
            modified: Some(modified),
            size,
        },
    ) = (settings.existing, task.local)
        // A listing that states another exact size already says the file changed;
        // If-Modified-Since could still answer 304 for a change within the same second.
        && task.listed_size.is_none_or(|listed| listed == size)
    {
        request = request.header(IF_MODIFIED_SINCE, httpdate::fmt_http_date(modified));
    }
    send_request(client, request, settings.read_timeout, cancel).await
}

/// A GET for a file body. `identity`: the bytes on disk must be the bytes on the
/// server, so a `.tar.gz` is never transparently gunzipped.
pub(crate) fn file_request(client: &crate::http::client::HttpClient, url: &Url) -> RequestBuilder {
    client.get(url.clone()).header(ACCEPT_ENCODING, "identity")
}

/// Asks for bytes `start..=end` (or `start..` when `end` is `None`) of the version
/// `validator` names: a changed file answers whole (`If-Range`) instead of mixing.
pub(crate) fn with_range(
    request: RequestBuilder,
    start: u64,
    end: Option<u64>,
    validator: &Validator,
) -> RequestBuilder {
    let end = end.map(|end| end.to_string()).unwrap_or_default();
    let request = request.header(RANGE, format!("bytes={start}-{end}"));
    match validator.if_range() {
        Some(if_range) => request.header(IF_RANGE, if_range),
        None => request,
    }
}

/// Sends `request`, giving up on the read timeout or a Ctrl-C.
pub(crate) async fn send_request(
    client: &crate::http::client::HttpClient,
    request: RequestBuilder,
    read_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<reqwest::Response, TransferError> {
    cancellable(cancel, read_timeout, client.send(request))
        .await?
        .map_err(|error| request_error(error, read_timeout))
}

/// reqwest's own read timeout fires before ours: say it in the same plain words.
pub(crate) fn request_error(error: reqwest::Error, read_timeout: Duration) -> TransferError {
    if error.is_timeout() && !error.is_connect() {
        TransferError::ReadTimeout(read_timeout)
    } else {
        TransferError::Request(error)
    }
}

/// What bounds one body besides the read timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    /// `--speed-limit`, `--speed-time`.
    pub low_speed: LowSpeed,
    /// `--max-size`: a file that passes it is stopped and skipped as too large.
    pub max_size: Option<u64>,
}

impl BodyLimits {
    fn new(client: &crate::http::client::HttpClient, filters: &Filters) -> BodyLimits {
        BodyLimits {
            low_speed: client.low_speed(),
            max_size: filters.max_size,
        }
    }
}

/// The skip reason of a body stopped as it passed `--max-size`.
fn too_large(max_size: u64) -> Outcome {
    Outcome::Filtered(SkipReason::Filtered(format!(
        "larger than --max-size (stopped after {max_size} bytes)"
    )))
}

/// Streams a 200 (from byte 0) or a fitting 206 (after `partial`) into the partial
/// file, then puts the file in place.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one transfer, as download has them"
)]
async fn receive(
    mut response: reqwest::Response,
    task: &Task,
    parts: &PartPaths,
    partial: Option<Partial>,
    settings: Settings<'_>,
    limits: BodyLimits,
    cancel: &CancellationToken,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    let body_length = content_length(response.headers());
    let suggested_name = response
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::plan::disposition::file_name);
    if partial.is_none()
        && let Some(length) = body_length.filter(|length| *length < SMALL_FILE_BYTES)
    {
        let placement = Placement {
            temporary: parts.data.clone(),
            destination: task.destination.clone(),
            modified: last_modified(response.headers()),
            folders: folders(task, settings),
        };
        return small_file::receive(
            response,
            length,
            placement,
            suggested_name,
            settings,
            limits.low_speed,
            cancel,
            progress,
        )
        .await;
    }
    let (validator, offset, file) = match partial {
        Some(partial) => {
            let file = open_part(task, parts, settings, Some(partial.offset))?;
            (partial.validator, partial.offset, file)
        }
        None => {
            let validator = Validator::from_response(&task.url, response.headers(), body_length);
            let file = open_part(task, parts, settings, None)?;
            // The validator is on disk before the first byte, so a partial file never
            // holds bytes without the version they belong to.
            if keeps_partial(&validator, body_length) {
                parts.save(&validator).await?;
            }
            (validator, 0, file)
        }
    };
    let expected = validator
        .total
        .or_else(|| body_length.map(|length| offset + length));
    // A resumed file: the bytes an earlier attempt wrote are hashed once, here.
    let mut hasher = BodyHasher::new(settings.checks)
        .feed_prefix(&parts.data, offset)
        .await
        .map_err(|source| TransferError::io("read", &parts.data, source))?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    let mut received = offset;
    let mut meter = SpeedMeter::new(limits.low_speed);
    // Set when the body passed --max-size: it is stopped there.
    let mut stopped_at = None;
    let streamed = async {
        loop {
            let chunk =
                speed::next_chunk(&mut response, &mut meter, settings.read_timeout, cancel).await?;
            let Some(chunk) = chunk else { break };
            if let Some(max_size) = limits.max_size
                && received + chunk.len() as u64 > max_size
            {
                stopped_at = Some(max_size);
                return Ok(());
            }
            received += chunk.len() as u64;
            if let Some(expected) = expected
                && received > expected
            {
                return Err(TransferError::TooLong { expected });
            }
            hasher.update(&chunk);
            if let Some(limiter) = settings.limiter {
                limiter.take(chunk.len(), cancel).await?;
            }
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| TransferError::io("write", &parts.data, source))?;
            progress.advanced(received);
        }
        Ok(())
    }
    .await;
    if let (Ok(()), Some(max_size)) = (&streamed, stopped_at) {
        // Dropping the response closes the connection: nothing more is read.
        drop(response);
        drop(writer);
        parts.discard().await;
        return Ok(too_large(max_size));
    }
    // Whatever happened, what arrived is written out: it is the next attempt's start.
    let flushed = writer
        .flush()
        .await
        .map_err(|source| TransferError::io("write", &parts.data, source));
    let result = streamed.and(flushed).and_then(|()| match expected {
        Some(expected) if received != expected => {
            Err(TransferError::Truncated { expected, received })
        }
        _ => Ok(()),
    });
    if let Err(error) = result {
        let resumable =
            keeps_partial(&validator, expected) && !matches!(error, TransferError::TooLong { .. });
        if !resumable {
            parts.discard().await;
        }
        return Err(error);
    }
    drop(writer);
    progress.body_received();
    let digest = match hasher.finish() {
        Ok(digest) => digest,
        Err(mismatch) => {
            // Bad bytes are never kept, not even to resume from.
            parts.discard().await;
            return Err(TransferError::Checksum(mismatch));
        }
    };
    let outcome = finish(task, parts, &validator, received).await?;
    Ok(match outcome {
        Outcome::Downloaded { bytes, .. } => Outcome::Downloaded {
            bytes,
            suggested_name,
            transferred: received - offset,
            digest,
        },
        other => other,
    })
}

/// The folders of `task`, to be checked and created before its files are.
pub(crate) fn folders(task: &Task, settings: Settings<'_>) -> crate::disk::safe_fs::Folders {
    crate::disk::safe_fs::Folders {
        root: task.root.clone(),
        relative: task.relative.clone(),
        follow_symlinks: settings.follow_symlinks,
    }
}

/// Opens the partial file of `task`, locked and never through a symlink: emptied, or
/// positioned after the `resume_at` bytes an earlier attempt wrote.
fn open_part(
    task: &Task,
    parts: &PartPaths,
    settings: Settings<'_>,
    resume_at: Option<u64>,
) -> Result<tokio::fs::File, TransferError> {
    let part = parts.open(&folders(task, settings), resume_at.is_none())?;
    let mut file = part.into_file();
    if let Some(offset) = resume_at {
        // The bytes the sidecar vouches for must still be there: a file replaced since
        // (a planted link removed on opening) is not continued.
        let positioned = file.metadata().and_then(|metadata| {
            if metadata.len() < offset {
                return Err(std::io::Error::other(
                    "the partial file was replaced since it was checked",
                ));
            }
            file.set_len(offset)?;
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))
        });
        positioned.map_err(|source| TransferError::io("append to", &parts.data, source))?;
    }
    Ok(tokio::fs::File::from_std(file))
}

/// A partial file the server says is complete: verified before it gets its name.
pub(crate) async fn check_complete(
    parts: &PartPaths,
    checks: Checks,
) -> Result<BodyDigest, TransferError> {
    match BodyHasher::check_file(checks, &parts.data).await {
        Ok(digest) => Ok(digest),
        Err(VerifyError::Mismatch(mismatch)) => {
            parts.discard().await;
            Err(TransferError::Checksum(mismatch))
        }
        Err(VerifyError::Io { path, source }) => Err(TransferError::io("read", path, source)),
    }
}

impl Outcome {
    /// The same outcome, carrying the digests computed for it.
    pub(crate) fn with_digest(self, digest: BodyDigest) -> Outcome {
        match self {
            Outcome::Downloaded {
                bytes,
                suggested_name,
                transferred,
                ..
            } => Outcome::Downloaded {
                bytes,
                suggested_name,
                transferred,
                digest,
            },
            other => other,
        }
    }
}

/// Makes the complete partial file durable, gives it the server's time and its final
/// name, and forgets its validator.
pub(crate) async fn finish(
    task: &Task,
    parts: &PartPaths,
    validator: &Validator,
    bytes: u64,
) -> Result<Outcome, TransferError> {
    let modified = validator
        .last_modified
        .as_deref()
        .and_then(|text| httpdate::parse_http_date(text).ok());
    let data = parts.data.clone();
    let destination = task.destination.clone();
    // Locked, checked and renamed while locked: the name gets the complete file this
    // process wrote, even if another process (without the folder lock) is at work.
    let placed = tokio::task::spawn_blocking(move || {
        let part = crate::disk::safe_fs::LockedPart::open(&data, false)
            .map_err(|source| TransferError::io("write", &data, source))?;
        // Durable before it gets its final name: a crash never leaves a short file there.
        part.file()
            .sync_data()
            .map_err(|source| TransferError::io("write", &data, source))?;
        if let Some(modified) = modified {
            part.file()
                .set_modified(modified)
                .map_err(|source| TransferError::io("set the time of", &data, source))?;
        }
        part.rename_to(&destination, Some(bytes))
            .map_err(|source| TransferError::io("rename into", &destination, source))
    })
    .await
    .map_err(|error| {
        TransferError::io(
            "rename into",
            &task.destination,
            std::io::Error::other(error),
        )
    })?;
    placed?;
    parts.finish().await;
    Ok(Outcome::Downloaded {
        bytes,
        suggested_name: None,
        transferred: 0,
        digest: BodyDigest::default(),
    })
}

/// Awaits `future`, giving up when nothing happens for `idle` or the run is cancelled.
pub(crate) async fn cancellable<T>(
    cancel: &CancellationToken,
    idle: Duration,
    future: impl Future<Output = T>,
) -> Result<T, TransferError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(TransferError::Interrupted),
        result = tokio::time::timeout(idle, future) => {
            result.map_err(|_| TransferError::ReadTimeout(idle))
        }
    }
}

/// The Content-Length header, if it is a number.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The Last-Modified header, if it is an HTTP date.
pub(crate) fn last_modified(headers: &HeaderMap) -> Option<SystemTime> {
    httpdate::parse_http_date(headers.get(LAST_MODIFIED)?.to_str().ok()?).ok()
}
