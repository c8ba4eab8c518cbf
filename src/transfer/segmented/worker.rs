//! The connections of a split file: each fetches one segment at a time, retrying
//! it on its own, and writes its bytes at their offsets in the shared partial file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_RANGE;
use tokio_util::sync::CancellationToken;

use crate::disk::part::{PartPaths, WritesInFlight, write_at};
use crate::disk::resume::{Segment, Validator, parse_content_range, version_change};
use crate::error::TransferError;
use crate::http::client::HttpClient;
use crate::pace::retry::{RetryState, is_transient};
use crate::pace::slots::Slot;
use crate::plan::Task;
use crate::transfer::body::{Body, BodyPace};
use crate::transfer::headers::content_length;
use crate::transfer::segmented::plan::Layout;
use crate::transfer::send::{file_request, send_request, with_range};
use crate::transfer::types::{Attempt, Progress};

/// Bytes a segment gathers before one positioned write.
pub(super) const SEGMENT_BUFFER_BYTES: usize = 256 * 1024;
/// How often the segments' progress is saved to the sidecar.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the bytes written are looked at for a write-behind sync.
const SYNC_POLL: Duration = Duration::from_millis(50);
/// Bytes written since the last sync that start the next one.
const SYNC_BEHIND_BYTES: u64 = 8 * 1024 * 1024;

/// A connection's right to run: a slot of the run, or `None` when the run sets no
/// limit.
pub(super) type Permit = Option<Slot>;

/// What every connection of one split file shares.
///
/// Its locks are recovered when poisoned: nothing panics while holding them, so a
/// poisoned lock still holds consistent counts.
pub(super) struct SplitFile<'a> {
    pub client: &'a HttpClient,
    pub task: &'a Task,
    /// The partial file's paths: its data and its sidecar.
    pub parts: &'a PartPaths,
    /// The partial file, preallocated: every connection writes at its offsets.
    pub file: Arc<std::fs::File>,
    /// Its writes still running on the blocking pool.
    pub writes: WritesInFlight,
    /// The version every range must be of.
    pub validator: Validator,
    /// The segments, and which a connection has taken.
    pub layout: Mutex<Layout>,
    /// The transfer's progress, told by every connection.
    pub progress: Mutex<&'a mut dyn Progress>,
    pub attempt: Attempt<'a>,
    pub cancel: &'a CancellationToken,
    /// A whole-file (200) answer of the same version to a range request: the
    /// server ignores Range, and this answer serves the file instead.
    pub whole: Mutex<Option<reqwest::Response>>,
    /// Bytes written to the partial file by this attempt.
    pub written: AtomicU64,
    /// Held by a write-behind sync while it runs on the blocking pool (see
    /// [`SplitFile::sync_behind`]).
    pub syncing: Arc<tokio::sync::Semaphore>,
}

impl<'a> SplitFile<'a> {
    /// The segments, locked.
    fn layout(&self) -> MutexGuard<'_, Layout> {
        self.layout.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The transfer's progress, locked.
    pub fn progress(&self) -> MutexGuard<'_, &'a mut dyn Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The whole-file answer a connection kept, if one did.
    pub fn take_whole(&self) -> Option<reqwest::Response> {
        self.whole
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn snapshot(&self) -> Vec<Segment> {
        self.layout().segments.clone()
    }

    /// Tells the transfer's progress how many bytes of the file are on disk.
    pub fn report_progress(&self) {
        let done: u64 = self
            .layout()
            .segments
            .iter()
            .map(|segment| segment.done)
            .sum();
        self.progress().advanced(done);
    }

    /// Saves the segments' counts in the sidecar.
    pub async fn save(&self) {
        let mut validator = self.validator.clone();
        validator.segments = Some(self.snapshot());
        // A failed save costs at most re-fetching what it would have recorded.
        let _ = self.parts.save(&validator).await;
    }

    /// Saves the counts every [`SAVE_INTERVAL`], forever.
    pub async fn save_periodically(&self) {
        loop {
            tokio::time::sleep(SAVE_INTERVAL).await;
            self.save().await;
        }
    }

    /// Write-behind: whenever [`SYNC_BEHIND_BYTES`] more were written, flushes the
    /// partial file to disk on the blocking pool, one flush at a time, forever. The
    /// file is made durable before its rename anyway; flushing while the bytes
    /// arrive leaves that last flush only the last few megabytes, where it had the
    /// whole file (0.3 s for 200 MiB here, after the last byte had arrived). Its
    /// last flush may outlive this future: [`SplitFile::sync_ended`] waits for it.
    pub async fn sync_behind(&self) {
        let mut synced = 0;
        loop {
            tokio::time::sleep(SYNC_POLL).await;
            let written = self.written.load(Ordering::Relaxed);
            if written < synced + SYNC_BEHIND_BYTES {
                continue;
            }
            // Never closed; were it, the flushes before the rename would still be made.
            let Ok(running) = Arc::clone(&self.syncing).acquire_owned().await else {
                return std::future::pending().await;
            };
            let file = Arc::clone(&self.file);
            let flushed = tokio::task::spawn_blocking(move || {
                // A failed flush costs nothing here: the one before the rename reports it.
                let _ = file.sync_data();
                // The descriptor is let go before the flush counts as ended.
                drop(file);
                drop(running);
            });
            let _ = flushed.await;
            synced = written;
        }
    }

    /// Waits until no write-behind flush is running (one may have been left running
    /// when [`SplitFile::sync_behind`] was dropped): its descriptor holds the
    /// partial file's lock.
    pub async fn sync_ended(&self) {
        let _idle = self.syncing.acquire().await;
    }

    /// One connection: fetches segment `index`. On the transfer's own slot (or with
    /// no limit) it goes on with each next segment until none is left. On a slot of
    /// the run it gives the slot back after one segment, and the file takes one again
    /// in turn: a listing page or a file waiting for a slot goes first, rather than
    /// waiting for the whole file. The connection itself stays pooled for the next.
    pub async fn connection(
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
    pub fn has_work_for_another(&self) -> bool {
        self.layout().next().is_some()
    }

    /// The segment a free connection fetches next (see [`Layout::next`]); `None`
    /// when nothing is left worth a request.
    pub fn next_segment(&self) -> Option<usize> {
        let mut layout = self.layout();
        let next = layout.next()?;
        Some(layout.take(next))
    }

    /// One segment as it is now: read on every chunk, so without copying the rest.
    pub fn segment(&self, index: usize) -> Segment {
        self.layout().segments[index]
    }

    /// Fetches one segment to its end, retrying on its own.
    async fn fetch_segment(
        &self,
        index: usize,
        mut first: Option<reqwest::Response>,
    ) -> Result<(), TransferError> {
        let mut retry = RetryState::new(self.attempt.retry);
        loop {
            let before = self.segment(index);
            if before.remaining() == 0 {
                return Ok(());
            }
            // A request asks for part of the segment at most: the next asks for more.
            let result = self.fetch_segment_once(index, first.take()).await;
            self.layout().answered(index);
            let error = match result {
                Ok(()) => continue,
                Err(error) => error,
            };
            // Another version, or ranges that cannot be used: the whole file's concern.
            if matches!(
                error,
                TransferError::Changed { .. } | TransferError::RangesIgnored
            ) || !is_transient(&error)
            {
                return Err(error);
            }
            // A too-slow connection gets one more try on a new one, progress or not.
            let progress = self.segment(index).done.saturating_sub(before.done);
            if !retry.may_retry(&error, progress) {
                // Not transient any more: the caller must not retry the whole file.
                return Err(TransferError::GaveUp {
                    attempts: retry.failures(),
                    last: Box::new(error),
                });
            }
            tokio::select! {
                () = self.cancel.cancelled() => return Err(TransferError::Interrupted),
                () = tokio::time::sleep(retry.backoff()) => {}
            }
        }
    }

    /// One request for the next part of a segment (see [`Layout::ask`]), read to
    /// the end of the range it asked for; or the whole-file answer `first`, read to
    /// the segment's end. What arrived before a failure is written: it is the next
    /// try's start.
    async fn fetch_segment_once(
        &self,
        index: usize,
        first: Option<reqwest::Response>,
    ) -> Result<(), TransferError> {
        // Only the whole-file answer runs on past the end of its segment, and only it
        // is cut short (when its segment ends): its range is open.
        let whole_file = first.is_some();
        let (mut position, response, asked_end) = match first {
            Some(response) => (self.segment(index).next_byte(), response, None),
            None => {
                let (start, end) = self.layout().ask(index);
                (start, self.request(start, end).await?, Some(end))
            }
        };
        let mut buffer = Vec::with_capacity(SEGMENT_BUFFER_BYTES);
        // Each connection is measured on its own: one slow range fails alone.
        let pace = BodyPace {
            read_timeout: self.attempt.read_timeout,
            low_speed: self.client.low_speed(),
            limiter: self.attempt.limiter,
            cancel: self.cancel,
        };
        let mut body = Body::new(response, pace);
        loop {
            let chunk = match body.next_chunk().await {
                Ok(chunk) => chunk,
                Err(error) => {
                    self.write(index, position, buffer).await?;
                    return Err(error);
                }
            };
            // A segment is never cut before the range its request asked for.
            let mut end = asked_end.map_or(self.segment(index).end, |asked| {
                asked.min(self.segment(index).end)
            });
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
            if whole_file && position + (buffer.len() + chunk.len()) as u64 > end {
                end = self.layout().run_on(index);
            }
            // Else it stops at its own end.
            let room = end.saturating_sub(position + buffer.len() as u64) as usize;
            let mut filled = fill(&mut buffer, &chunk[..chunk.len().min(room)]);
            // Dropped before a write is awaited: hyper reuses its read buffer only
            // once no chunk of it is alive.
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

    /// Asks for bytes `start..end` (a closed range: the server sends no byte past
    /// it), and checks that the answer is exactly that range of the same version.
    async fn request(&self, start: u64, end: u64) -> Result<reqwest::Response, TransferError> {
        let request = with_range(
            file_request(self.client, &self.task.url),
            start,
            Some(end - 1),
            &self.validator,
        );
        let read_timeout = self.attempt.read_timeout;
        let response = send_request(self.client, request, read_timeout, self.cancel).await?;
        let status = response.status();
        if status == StatusCode::OK {
            // The whole file: either another version (If-Range did not match), or
            // the same one from a server that ignores Range. Only the validators
            // tell which, and only a difference they show is a change.
            let length = content_length(response.headers());
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
        if range.is_none_or(|range| range.start != Some(start)) {
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
        write_at(&self.file, &self.writes, &self.parts.data, position, data).await?;
        self.written.fetch_add(length, Ordering::Relaxed);
        self.layout().segments[index].done += length;
        self.report_progress();
        Ok(())
    }
}

/// Copies `bytes` into `buffer`, in buffers of exactly [`SEGMENT_BUFFER_BYTES`]:
/// the ones it fills are returned, to be written; the rest stays in `buffer`. A
/// buffer never grows past its size.
fn fill(buffer: &mut Vec<u8>, mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut filled = Vec::new();
    while !bytes.is_empty() {
        let space = SEGMENT_BUFFER_BYTES - buffer.len();
        let (now, later) = bytes.split_at(bytes.len().min(space));
        buffer.extend_from_slice(now);
        bytes = later;
        if buffer.len() == SEGMENT_BUFFER_BYTES {
            let next = Vec::with_capacity(SEGMENT_BUFFER_BYTES);
            filled.push(std::mem::replace(buffer, next));
        }
    }
    filled
}
