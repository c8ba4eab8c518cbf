//! Segmented downloads: one large file over several connections, each asking for
//! its own byte range, all writing into one preallocated partial file at their
//! offsets. It matters most when a server throttles each connection.
//!
//! The segments and how much of each is on disk live in the partial file's sidecar
//! (see [`crate::disk::resume`]), saved before the first byte and then every second, so a
//! later attempt — after a dropped connection, a Ctrl-C or a `kill -9` — continues
//! every segment where it stopped. A saved count is never ahead of the disk: a
//! segment's count grows only after its bytes were written, so a stale sidecar only
//! costs re-fetching a few bytes. Each segment is retried on its own; the file is
//! renamed into place only when every segment is complete.
//!
//! The first connection runs on the transfer's own slot; each other one needs a
//! slot of the run (see [`crate::pace::slots`]): as many start as are free, and more as
//! other transfers give theirs back, so `--jobs` bounds the connections of a run
//! however many large files are split. A connection whose segment is done takes the
//! next segment no connection has started, else the second half of the segment with
//! the most left (as aria2 does), so one slow connection does not hold the file back
//! while the others sit idle; the connections in use never exceed the segments
//! planned.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_RANGE, ETAG, HeaderMap, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::disk::resume::{PartPaths, Validator, parse_content_range};
use crate::error::TransferError;
use crate::http::client::HttpClient;
use crate::pace::retry::{RetryPolicy, is_transient};
use crate::pace::slots::{HostSlots, Slot};
use crate::pace::speed::{self, SpeedMeter};
use crate::plan::Task;
use crate::transfer::{
    Outcome, Progress, Settings, check_complete, file_request, finish, send_request, with_range,
};

/// Bytes a segment gathers before one positioned write.
const SEGMENT_BUFFER_BYTES: usize = 256 * 1024;
/// How often the segments' progress is saved to the sidecar.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// A segment is split for an idle connection only if each half is at least this
/// large: smaller, a new request's round trip costs more than it saves. Well above
/// what a segment holds unwritten ([`SEGMENT_BUFFER_BYTES`] and one chunk), so its
/// new end is never behind bytes it already has.
const MIN_STOLEN_BYTES: u64 = 1024 * 1024;

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

/// One byte range of the file, `start..end`, of which `done` bytes from `start` are
/// on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Bytes written from `start`.
    pub done: u64,
}

impl Segment {
    fn next_byte(&self) -> u64 {
        self.start + self.done
    }

    fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.next_byte())
    }
}

/// The segments for a file of `total` bytes, or `None` when it should not be split.
pub fn plan_segments(total: u64, policy: SplitPolicy) -> Option<Vec<Segment>> {
    let by_size = total / policy.min_segment_size.max(1);
    let count = (policy.max_segments as u64).min(by_size);
    if count < 2 {
        return None;
    }
    let size = total.div_ceil(count);
    Some(
        (0..count)
            .map(|index| Segment {
                start: index * size,
                end: ((index + 1) * size).min(total),
                done: 0,
            })
            .filter(|segment| segment.start < segment.end)
            .collect(),
    )
}

/// True when a full answer says ranges can be asked for (`Accept-Ranges: bytes`).
pub fn accepts_ranges(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT_RANGES)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("bytes"))
}

/// How a split download ended.
#[derive(Debug)]
pub(crate) enum Split {
    /// Every segment arrived (or the file was filtered, or is up to date).
    Done(Outcome),
    /// The server does not honour ranges for this file, although its validators
    /// are unchanged: it is to be fetched over one connection instead, from this
    /// whole-file (200) answer when one came, else from a new plain request.
    Single(Option<reqwest::Response>),
}

/// What every segment of one file shares.
struct Shared<'a> {
    client: &'a HttpClient,
    task: &'a Task,
    parts: &'a PartPaths,
    file: Arc<std::fs::File>,
    validator: Validator,
    layout: Mutex<Layout>,
    progress: Mutex<&'a mut dyn Progress>,
    settings: Settings<'a>,
    retry: RetryPolicy,
    cancel: &'a CancellationToken,
    /// A whole-file (200) answer of the same version to a range request: the
    /// server ignores Range, and this answer serves the file instead.
    whole: Mutex<Option<reqwest::Response>>,
}

/// The segments of the file, and which of them a connection has taken.
struct Layout {
    segments: Vec<Segment>,
    taken: Vec<bool>,
}

/// What a free connection takes next.
#[derive(Debug, Clone, Copy)]
enum NextSegment {
    /// A segment no connection has taken.
    Untaken(usize),
    /// The second half of this segment, the one with the most left.
    SecondHalfOf(usize),
}

impl Layout {
    /// What a free connection would take next: a segment no connection has taken,
    /// else the second half of the one with the most left if each half is worth a
    /// request; `None` when nothing is. The one rule for starting a connection and
    /// for giving one work.
    fn next(&self) -> Option<NextSegment> {
        if let Some(index) = (0..self.segments.len())
            .find(|&index| !self.taken[index] && self.segments[index].remaining() > 0)
        {
            return Some(NextSegment::Untaken(index));
        }
        let (largest, remaining) = self
            .segments
            .iter()
            .map(Segment::remaining)
            .enumerate()
            .max_by_key(|&(_, remaining)| remaining)?;
        (remaining >= 2 * MIN_STOLEN_BYTES).then_some(NextSegment::SecondHalfOf(largest))
    }

    /// Marks `next` taken and returns its segment's index. A second half becomes a
    /// new segment; the old one's connection stops at its new end (it reads `end`
    /// on every chunk).
    fn take(&mut self, next: NextSegment) -> usize {
        match next {
            NextSegment::Untaken(index) => {
                self.taken[index] = true;
                index
            }
            NextSegment::SecondHalfOf(largest) => {
                let segment = self.segments[largest];
                let middle = segment.next_byte() + segment.remaining() / 2;
                self.segments[largest].end = middle;
                self.segments.push(Segment {
                    start: middle,
                    end: segment.end,
                    done: 0,
                });
                self.taken.push(true);
                self.segments.len() - 1
            }
        }
    }
}

/// A connection's right to run: a slot of the run, or `None` when the run sets no
/// limit.
type Permit = Option<Slot>;

/// A permit if one is free now.
fn permit_now(slots: Option<&HostSlots>) -> Option<Permit> {
    match slots {
        Some(slots) => slots.try_take().map(Some),
        None => Some(None),
    }
}

/// Downloads `task` in `segments`, continuing from their `done` counts. `first` is
/// the full (200) answer that revealed the file's size; it serves the first segment.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one transfer, as transfer::download has them"
)]
pub(crate) async fn download(
    client: &HttpClient,
    task: &Task,
    parts: &PartPaths,
    mut validator: Validator,
    segments: Vec<Segment>,
    first: Option<reqwest::Response>,
    settings: Settings<'_>,
    cancel: &CancellationToken,
    progress: &mut dyn Progress,
) -> Result<Split, TransferError> {
    let total = segments.last().map_or(0, |segment| segment.end);
    let already_done: u64 = segments.iter().map(|segment| segment.done).sum();
    validator.total = Some(total);
    validator.segments = Some(segments.clone());
    let file = open_preallocated(task, parts, settings, total).await?;
    // The segments are on disk before the first byte: the partial file is never
    // without the layout its bytes follow.
    parts.save(&validator).await?;
    let shared = Shared {
        client,
        task,
        parts,
        file: Arc::new(file),
        validator,
        layout: Mutex::new(Layout {
            taken: vec![false; segments.len()],
            segments: segments.clone(),
        }),
        progress: Mutex::new(progress),
        settings,
        retry: settings.retry,
        cancel,
        whole: Mutex::new(None),
    };
    shared.report_progress();
    // A resumed file may have more segments than `--split` (halves handed out).
    let wanted = segments.len().min(settings.split.max_segments.max(1));
    let mut connections = FuturesUnordered::new();
    // The first connection runs on the transfer's own slot; a fresh download's
    // first segment is read from the full answer already in hand.
    if let Some(index) = shared.next_segment() {
        let first = first.filter(|_| index == 0 && segments[0].done == 0);
        connections.push(shared.connection(None, index, first));
    }
    let all = async {
        let mut waiting: Option<Pin<Box<dyn Future<Output = Option<Slot>> + Send + '_>>> = None;
        loop {
            while connections.len() < wanted && shared.has_work_for_another() {
                let Some(permit) = permit_now(settings.slots) else {
                    break;
                };
                let Some(index) = shared.next_segment() else {
                    break;
                };
                connections.push(shared.connection(permit, index, None));
            }
            if connections.is_empty() {
                return Ok(());
            }
            // Short of connections: wait for a slot, in turn with the run's other
            // requests. Else stop waiting, which leaves the queue.
            let short = connections.len() < wanted && shared.has_work_for_another();
            match (short, settings.slots) {
                (true, Some(slots)) if waiting.is_none() => waiting = Some(Box::pin(slots.take())),
                (false, _) => waiting = None,
                _ => {}
            }
            tokio::select! {
                finished = connections.next() => {
                    if let Some(result) = finished {
                        result?;
                    }
                }
                slot = async {
                    match waiting.as_mut() {
                        Some(waiting) => waiting.await,
                        None => std::future::pending().await,
                    }
                } => {
                    waiting = None;
                    if let Some(slot) = slot
                        && let Some(index) = shared.next_segment()
                    {
                        connections.push(shared.connection(Some(slot), index, None));
                    }
                }
            }
        }
    };
    let result = tokio::select! {
        result = all => result,
        () = shared.save_periodically() => Ok(()),
    };
    match result {
        Err(TransferError::Changed { detail }) => {
            parts.discard().await;
            return Err(TransferError::Changed { detail });
        }
        Err(TransferError::RangesIgnored) => {
            // Not a change, nor a failure: the caller fetches the file over one
            // connection and the partial file starts again from byte 0.
            let whole = shared
                .whole
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            return Ok(Split::Single(whole));
        }
        _ => {}
    }
    // Whatever happened, the counts reached are the next attempt's start.
    shared.save().await;
    result?;
    if let Ok(mut progress) = shared.progress.lock() {
        progress.body_received();
    }
    let sync = Arc::clone(&shared.file);
    tokio::task::spawn_blocking(move || sync.sync_data())
        .await
        .map_err(|error| TransferError::io("write", &parts.data, std::io::Error::other(error)))?
        .map_err(|source| TransferError::io("write", &parts.data, source))?;
    // The ranges arrive out of order: checksums are checked over the assembled file.
    let digest = check_complete(parts, settings.checks).await?;
    let mut validator = shared.validator.clone();
    validator.segments = None;
    // The file (and its lock) is closed; `finish` locks it again to rename it.
    drop(connections);
    drop(shared);
    let outcome = finish(task, parts, &validator, total).await?;
    Ok(Split::Done(match outcome {
        Outcome::Downloaded {
            bytes,
            suggested_name,
            ..
        } => Outcome::Downloaded {
            bytes,
            suggested_name,
            transferred: total - already_done,
            digest,
        },
        other => other,
    }))
}

/// What shows that an answer is another version of the file than `validator`
/// names: a different strong ETag, a different Last-Modified, or a different total
/// size (`total`, when the answer states it). `None` when nothing does: a weak or
/// missing ETag, or a missing date, proves no change.
pub(crate) fn version_change(
    validator: &Validator,
    headers: &HeaderMap,
    total: Option<u64>,
) -> Option<String> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
            .map(|value| value.trim().to_string())
    };
    let etag = text(ETAG).filter(|etag| etag.starts_with('"'));
    if let (Some(ours), Some(theirs)) = (&validator.etag, &etag)
        && ours != theirs
    {
        return Some(format!("ETag {ours} became {theirs}"));
    }
    if let (Some(ours), Some(theirs)) = (&validator.last_modified, text(LAST_MODIFIED))
        && *ours != theirs
    {
        return Some(format!("Last-Modified `{ours}` became `{theirs}`"));
    }
    if let (Some(ours), Some(theirs)) = (validator.total, total)
        && ours != theirs
    {
        return Some(format!("size {ours} bytes became {theirs} bytes"));
    }
    None
}

/// The partial file, locked by this process and never reached through a symlink
/// ([`crate::disk::safe_fs`]), at its full size.
async fn open_preallocated(
    task: &Task,
    parts: &PartPaths,
    settings: Settings<'_>,
    total: u64,
) -> Result<std::fs::File, TransferError> {
    let folders = crate::transfer::folders(task, settings);
    let parts = parts.clone();
    tokio::task::spawn_blocking(move || {
        let file = parts.open(&folders, false)?.into_file();
        // Sparse until written; a full disk shows up at the first write that needs room.
        let sized = file.metadata().and_then(|metadata| {
            if metadata.len() != total {
                file.set_len(total)
            } else {
                Ok(())
            }
        });
        sized.map_err(|source| TransferError::io("create", &parts.data, source))?;
        Ok(file)
    })
    .await
    .map_err(|error| TransferError::io("create", &task.destination, std::io::Error::other(error)))?
}

impl Shared<'_> {
    /// The segments, locked. Nothing panics while holding them, so a poisoned lock
    /// still holds consistent counts.
    fn layout(&self) -> MutexGuard<'_, Layout> {
        self.layout.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn snapshot(&self) -> Vec<Segment> {
        self.layout().segments.clone()
    }

    fn report_progress(&self) {
        let done: u64 = self
            .layout()
            .segments
            .iter()
            .map(|segment| segment.done)
            .sum();
        if let Ok(mut progress) = self.progress.lock() {
            progress.advanced(done);
        }
    }

    async fn save(&self) {
        let mut validator = self.validator.clone();
        validator.segments = Some(self.snapshot());
        // A failed save costs at most re-fetching what it would have recorded.
        let _ = self.parts.save(&validator).await;
    }

    async fn save_periodically(&self) {
        loop {
            tokio::time::sleep(SAVE_INTERVAL).await;
            self.save().await;
        }
    }

    /// One connection: fetches segment `index`. On the transfer's own slot (or with
    /// no limit) it goes on with each next segment until none is left. On a slot of
    /// the run it gives the slot back after one segment, and the file takes one again
    /// in turn: a listing page or a file waiting for a slot goes first, rather than
    /// waiting for the whole file. The connection itself stays pooled for the next.
    async fn connection(
        &self,
        permit: Permit,
        mut index: usize,
        mut first: Option<reqwest::Response>,
    ) -> Result<(), TransferError> {
        let holds_a_run_slot = permit.is_some();
        let _permit = permit;
        loop {
            self.fetch_segment(index, first.take()).await?;
            if holds_a_run_slot {
                return Ok(());
            }
            match self.next_segment() {
                Some(next) => index = next,
                None => return Ok(()),
            }
        }
    }

    /// Whether another connection would have something to fetch.
    fn has_work_for_another(&self) -> bool {
        self.layout().next().is_some()
    }

    /// The segment a free connection fetches next (see [`Layout::next`]); `None`
    /// when nothing is left worth a request.
    fn next_segment(&self) -> Option<usize> {
        let mut layout = self.layout();
        let next = layout.next()?;
        Some(layout.take(next))
    }

    /// Lets segment `index`, read from the whole-file answer, run on into the
    /// segment after it if no connection has taken that one (no slot was free), and
    /// returns its end. Stopping would cost a request for the next segment, and the
    /// connection itself: an answer left unread cannot be reused.
    fn run_on(&self, index: usize) -> u64 {
        let mut layout = self.layout();
        let Layout { segments, taken } = &mut *layout;
        let end = segments[index].end;
        let next = (0..segments.len()).find(|&next| {
            !taken[next] && segments[next].start == end && segments[next].remaining() > 0
        });
        if let Some(next) = next
            && segments[next].done == 0
        {
            taken[next] = true;
            segments[index].end = segments[next].end;
            // Left empty rather than removed: indexes of other segments stay valid.
            segments[next].end = segments[next].start;
        }
        segments[index].end
    }

    /// Fetches one segment to its end, retrying on its own.
    async fn fetch_segment(
        &self,
        index: usize,
        mut first: Option<reqwest::Response>,
    ) -> Result<(), TransferError> {
        let mut failures: u32 = 0;
        let mut too_slow: u32 = 0;
        loop {
            let before = self.segment(index);
            if before.remaining() == 0 {
                return Ok(());
            }
            let error = match self.fetch_segment_once(index, first.take()).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            failures = if self.segment(index).done > before.done {
                1
            } else {
                failures + 1
            };
            if matches!(
                error,
                TransferError::Changed { .. } | TransferError::RangesIgnored
            ) || !is_transient(&error)
            {
                return Err(error);
            }
            // A too-slow connection gets one more try on a new one, progress or not.
            if matches!(error, TransferError::TooSlow { .. }) {
                too_slow += 1;
            }
            if failures > self.retry.retries || too_slow > crate::pace::retry::TOO_SLOW_RETRIES {
                // Not transient any more: the caller must not retry the whole file.
                return Err(TransferError::GaveUp {
                    attempts: failures,
                    last: Box::new(error),
                });
            }
            let delay = self
                .retry
                .backoff(failures, crate::pace::retry::random_fraction());
            tokio::select! {
                () = self.cancel.cancelled() => return Err(TransferError::Interrupted),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// One segment as it is now: read on every chunk, so without copying the rest.
    fn segment(&self, index: usize) -> Segment {
        self.layout().segments[index]
    }

    async fn fetch_segment_once(
        &self,
        index: usize,
        first: Option<reqwest::Response>,
    ) -> Result<(), TransferError> {
        let segment = self.segment(index);
        // Only the whole-file answer runs on past the end of its segment.
        let whole_file = first.is_some();
        let mut response = match first {
            Some(response) => response,
            None => self.request(segment).await?,
        };
        let mut position = segment.next_byte();
        let mut buffer = Vec::with_capacity(SEGMENT_BUFFER_BYTES);
        // Each connection is measured on its own: one slow range fails alone.
        let mut meter = SpeedMeter::new(self.client.low_speed());
        loop {
            let chunk = speed::next_chunk(
                &mut response,
                &mut meter,
                self.settings.read_timeout,
                self.cancel,
            )
            .await
            .map_err(TransferError::from);
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    self.write(index, position, buffer).await?;
                    return Err(error);
                }
            };
            let mut end = self.segment(index).end;
            let Some(chunk) = chunk else {
                let written = position + buffer.len() as u64;
                self.write(index, position, buffer).await?;
                return if written >= end {
                    Ok(())
                } else {
                    Err(TransferError::Truncated {
                        expected: end,
                        received: written,
                    })
                };
            };
            if let Some(limiter) = self.settings.limiter {
                limiter.take(chunk.len(), self.cancel).await?;
            }
            if whole_file && position + (buffer.len() + chunk.len()) as u64 > end {
                end = self.run_on(index);
            }
            // Else it stops at its own end.
            let room = end.saturating_sub(position + buffer.len() as u64) as usize;
            // Copied into buffers of exactly SEGMENT_BUFFER_BYTES, and the chunk is
            // dropped before a write is awaited: a buffer never grows past its size,
            // and hyper reuses its read buffer only once no chunk of it is alive.
            let mut rest = &chunk[..chunk.len().min(room)];
            let mut filled = Vec::new();
            while !rest.is_empty() {
                let space = SEGMENT_BUFFER_BYTES - buffer.len();
                let (now, later) = rest.split_at(rest.len().min(space));
                buffer.extend_from_slice(now);
                rest = later;
                if buffer.len() == SEGMENT_BUFFER_BYTES {
                    let next = Vec::with_capacity(SEGMENT_BUFFER_BYTES);
                    filled.push(std::mem::replace(&mut buffer, next));
                }
            }
            drop(chunk);
            let pending: u64 = filled.iter().map(|data| data.len() as u64).sum();
            if position + pending + buffer.len() as u64 >= end {
                filled.push(std::mem::take(&mut buffer));
            }
            for data in filled {
                let length = data.len() as u64;
                self.write(index, position, data).await?;
                position += length;
            }
            if position >= end {
                return Ok(());
            }
        }
    }

    /// Asks for the rest of one segment, and checks that the answer is exactly that
    /// range of the same version.
    async fn request(&self, segment: Segment) -> Result<reqwest::Response, TransferError> {
        let request = with_range(
            file_request(self.client, &self.task.url),
            segment.next_byte(),
            Some(segment.end - 1),
            &self.validator,
        );
        let response = send_request(
            self.client,
            request,
            self.settings.read_timeout,
            self.cancel,
        )
        .await?;
        let status = response.status();
        if status == StatusCode::OK {
            // The whole file: either another version (If-Range did not match), or
            // the same one from a server that ignores Range. Only the validators
            // tell which, and only a difference they show is a change.
            let length = crate::transfer::content_length(response.headers());
            if let Some(detail) = version_change(&self.validator, response.headers(), length) {
                return Err(TransferError::Changed { detail });
            }
            *self.whole.lock().unwrap_or_else(PoisonError::into_inner) = Some(response);
            return Err(TransferError::RangesIgnored);
        }
        if status != StatusCode::PARTIAL_CONTENT {
            return Err(TransferError::Status {
                status,
                redirected_to: crate::error::redirect_target(&self.task.url, response.url()),
                retry_after: crate::pace::retry::retry_after(response.headers()),
            });
        }
        let range = response
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_content_range);
        if let Some(detail) = version_change(
            &self.validator,
            response.headers(),
            range.and_then(|range| range.total),
        ) {
            return Err(TransferError::Changed { detail });
        }
        // Same version, but not the bytes asked for (or no Content-Range): the
        // server's ranges cannot be assembled into a file.
        if range.is_none_or(|range| range.start != Some(segment.next_byte())) {
            return Err(TransferError::RangesIgnored);
        }
        Ok(response)
    }

    /// Writes `data` at `position`, then counts it as done: never the other way round.
    async fn write(&self, index: usize, position: u64, data: Vec<u8>) -> Result<(), TransferError> {
        if data.is_empty() {
            return Ok(());
        }
        let length = data.len() as u64;
        let file = Arc::clone(&self.file);
        let written = tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            file.write_all_at(&data, position)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|result| result);
        written.map_err(|source| TransferError::io("write", &self.parts.data, source))?;
        self.layout().segments[index].done += length;
        self.report_progress();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_validators_that_differ_are_a_change() {
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let validator = Validator {
            url: "http://h/f".into(),
            etag: Some("\"v1\"".into()),
            last_modified: Some(date.into()),
            total: Some(100),
            segments: None,
        };
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().expect("header value"));
            }
            map
        };
        // Same, or nothing to compare: no change.
        let same = headers(&[("etag", "\"v1\""), ("last-modified", date)]);
        assert_eq!(version_change(&validator, &same, Some(100)), None);
        assert_eq!(version_change(&validator, &HeaderMap::new(), None), None);
        let weak = headers(&[("etag", "W/\"v2\"")]);
        assert_eq!(version_change(&validator, &weak, Some(100)), None);
        // Each validator that differs is a change, and is named.
        let etag = headers(&[("etag", "\"v2\"")]);
        assert_eq!(
            version_change(&validator, &etag, None).as_deref(),
            Some("ETag \"v1\" became \"v2\"")
        );
        let later = headers(&[("last-modified", "Thu, 22 Oct 2015 07:28:00 GMT")]);
        assert!(
            version_change(&validator, &later, None)
                .is_some_and(|detail| detail.starts_with("Last-Modified"))
        );
        assert_eq!(
            version_change(&validator, &same, Some(101)).as_deref(),
            Some("size 100 bytes became 101 bytes")
        );
    }

    #[test]
    fn files_are_split_only_when_large_enough() {
        let policy = SplitPolicy {
            max_segments: 4,
            min_segment_size: 100,
        };
        assert_eq!(plan_segments(150, policy), None);
        let two = plan_segments(200, policy).expect("split");
        assert_eq!(two.len(), 2);
        let four = plan_segments(1001, policy).expect("split");
        assert_eq!(four.len(), 4);
        assert_eq!(four[0].start, 0);
        assert_eq!(four[3].end, 1001);
        for pair in four.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "segments touch");
        }
        let off = SplitPolicy {
            max_segments: 1,
            ..policy
        };
        assert_eq!(plan_segments(1_000_000, off), None);
    }
}
