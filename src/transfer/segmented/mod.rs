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
//! next segment no connection has started, else the second half of what the segment
//! with the most left has not asked for yet, so one slow connection does not hold
//! the file back while the others sit idle; the connections in use never exceed the
//! segments planned.
//!
//! Every range asked for is closed and read to its end (see [`plan`]): a server
//! sends ahead of its reader, and a range dropped early is paid for in bytes sent
//! for nothing. Only the first, whole-file answer is left unread past its segment.

mod plan;
mod worker;

use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

use crate::disk::part::{PartPaths, WritesInFlight, open_preallocated};
use crate::disk::place::{place_part, verify_part};
use crate::disk::resume::{Segment, Validator};
use crate::error::TransferError;
use crate::http::client::HttpClient;
use crate::pace::slots::{HostSlots, Slot};
use crate::plan::Task;
use crate::transfer::types::{Attempt, Outcome, Progress};

use plan::Layout;
pub use plan::plan_segments;
use worker::{Permit, SplitFile};

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

/// Downloads `task` in `segments`, continuing from their `done` counts. `first` is
/// the full (200) answer that revealed the file's size; it serves the first segment.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one transfer, as transfer::attempt has them"
)]
pub(crate) async fn download_segments(
    client: &HttpClient,
    task: &Task,
    parts: &PartPaths,
    mut validator: Validator,
    segments: Vec<Segment>,
    first: Option<reqwest::Response>,
    attempt: Attempt<'_>,
    cancel: &CancellationToken,
    progress: &mut dyn Progress,
) -> Result<Split, TransferError> {
    // Not the last segment's end: halves handed out are saved after the others.
    let total = segments
        .iter()
        .map(|segment| segment.end)
        .max()
        .unwrap_or(0);
    let already_done: u64 = segments.iter().map(|segment| segment.done).sum();
    validator.total = Some(total);
    validator.segments = Some(segments.clone());
    let file = open_preallocated(parts, attempt.folders(task), total).await?;
    // The segments are on disk before the first byte: the partial file is never
    // without the layout its bytes follow.
    parts.save(&validator).await?;
    // A resumed file may have more segments than `--split` (halves handed out).
    let wanted = segments.len().min(attempt.split.max_segments.max(1));
    let shared = SplitFile {
        client,
        task,
        parts,
        file: Arc::new(file),
        writes: WritesInFlight::new(),
        validator,
        layout: Mutex::new(Layout::new(segments)),
        progress: Mutex::new(progress),
        attempt,
        cancel,
        whole: Mutex::new(None),
        written: Default::default(),
        syncing: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    shared.report_progress();
    let result = tokio::select! {
        result = run_connections(&shared, first, wanted) => result,
        () = shared.save_periodically() => Ok(()),
        () = shared.sync_behind() => Ok(()),
    };
    // A connection dropped mid-write (another one failed) leaves its write running:
    // it ends before anything else, so the counts saved and the lock let go are final.
    shared.writes.drain().await;
    shared.sync_ended().await;
    match result {
        Err(TransferError::Changed { detail }) => {
            parts.discard().await;
            return Err(TransferError::Changed { detail });
        }
        Err(TransferError::RangesIgnored) => {
            // Not a change, nor a failure: the caller fetches the file over one
            // connection and the partial file starts again from byte 0.
            return Ok(Split::Single(shared.take_whole()));
        }
        _ => {}
    }
    // Whatever happened, the counts reached are the next attempt's start.
    shared.save().await;
    result?;
    shared.progress().body_received();
    let sync = Arc::clone(&shared.file);
    tokio::task::spawn_blocking(move || sync.sync_data())
        .await
        .map_err(|error| TransferError::io("write", &parts.data, std::io::Error::other(error)))?
        .map_err(|source| TransferError::io("write", &parts.data, source))?;
    // The ranges arrive out of order: checksums are checked over the assembled file.
    let digest = verify_part(parts, attempt.checks).await?;
    let mut validator = shared.validator.clone();
    validator.segments = None;
    // The file (and its lock) is closed; `place_part` locks it again to rename it.
    drop(shared);
    place_part(parts, &validator, &task.destination, total).await?;
    Ok(Split::Done(Outcome::Downloaded {
        bytes: total,
        suggested_name: None,
        transferred: total.saturating_sub(already_done),
        digest,
    }))
}

/// Runs the file's connections until every segment is fetched: the first on the
/// transfer's own slot (reading `first`, the full answer in hand, for a fresh
/// download's first segment), up to `wanted` in all, each other one on a slot of
/// the run as one is free.
async fn run_connections(
    shared: &SplitFile<'_>,
    first: Option<reqwest::Response>,
    wanted: usize,
) -> Result<(), TransferError> {
    let slots = shared.attempt.slots;
    let mut connections = FuturesUnordered::new();
    if let Some(index) = shared.next_segment() {
        let first = first.filter(|_| index == 0 && shared.segment(0).done == 0);
        connections.push(shared.connection(None, index, first));
    }
    let mut waiting: Option<Pin<Box<dyn Future<Output = Option<Slot>> + Send + '_>>> = None;
    loop {
        while connections.len() < wanted && shared.has_work_for_another() {
            let Some(permit) = permit_now(slots) else {
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
        match (short, slots) {
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
}

/// A permit if one is free now.
fn permit_now(slots: Option<&HostSlots>) -> Option<Permit> {
    match slots {
        Some(slots) => slots.try_take().map(Some),
        None => Some(None),
    }
}
