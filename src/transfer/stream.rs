//! Streaming one body into the partial file beside the destination — from byte 0,
//! or after the bytes an earlier attempt wrote — then checking it against the
//! announced size and the expected digests, and placing it. A small body takes the
//! in-memory path instead ([`crate::transfer::small_file`]).

use crate::checksum::{BodyDigest, BodyHasher, Checks};
use crate::disk::body_writer::BodyWriter;
use crate::disk::part::{PartPaths, open_to_write};
use crate::disk::place::{Placement, place_part};
use crate::disk::resume::{Partial, Validator};
use crate::error::TransferError;
use crate::event::SkipReason;
use crate::plan::Task;
use crate::transfer::body::{Body, BodyLimits};
use crate::transfer::headers::{content_length, last_modified};
use crate::transfer::small_file::{SMALL_FILE_BYTES, receive_small_file};
use crate::transfer::types::{Attempt, Outcome, Progress};

/// Streams a 200 (from byte 0) or a fitting 206 (after `partial`) into the partial
/// file, then puts the file in place.
pub(crate) async fn stream_to_part(
    response: reqwest::Response,
    task: &Task,
    parts: &PartPaths,
    partial: Option<Partial>,
    attempt: Attempt<'_>,
    limits: BodyLimits<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    let body_length = content_length(response.headers());
    if partial.is_none()
        && let Some(length) = body_length.filter(|length| *length < SMALL_FILE_BYTES)
    {
        let placement = Placement {
            temporary: parts.data.clone(),
            destination: task.destination.clone(),
            modified: last_modified(response.headers()),
            folders: attempt.folders(task),
        };
        return receive_small_file(response, length, placement, attempt, limits.pace, progress)
            .await;
    }
    let (start, file) = open_part_for(&response, task, parts, partial, attempt).await?;
    let expected = start
        .validator
        .total
        .or_else(|| body_length.map(|length| start.offset + length));
    let streamed = write_stream(
        response,
        file,
        parts,
        &start,
        expected,
        attempt.checks,
        limits,
        progress,
    )
    .await?;
    let (received, digest) = match streamed {
        Streamed::Complete { received, digest } => (received, digest),
        Streamed::TooLarge { max_size } => return Ok(too_large(max_size)),
    };
    place_part(parts, &start.validator, &task.destination, received).await?;
    Ok(Outcome::Downloaded {
        bytes: received,
        suggested_name: None,
        transferred: received - start.offset,
        digest,
    })
}

/// Opens the partial file for `response`'s body: after the bytes of `partial`, or
/// emptied for a new one whose validator is then saved (if it is worth keeping).
async fn open_part_for(
    response: &reqwest::Response,
    task: &Task,
    parts: &PartPaths,
    partial: Option<Partial>,
    attempt: Attempt<'_>,
) -> Result<(Partial, std::fs::File), TransferError> {
    if let Some(partial) = partial {
        let file = open_to_write(parts, &attempt.folders(task), Some(partial.offset))?;
        return Ok((partial, file));
    }
    let body_length = content_length(response.headers());
    let validator = Validator::from_response(&task.url, response.headers(), body_length);
    let file = open_to_write(parts, &attempt.folders(task), None)?;
    // The validator is on disk before the first byte, so a partial file never holds
    // bytes without the version they belong to.
    if keeps_partial(&validator, body_length) {
        parts.save(&validator).await?;
    }
    let start = Partial {
        offset: 0,
        validator,
    };
    Ok((start, file))
}

/// How a streamed body ended well.
enum Streamed {
    /// All of it is in the partial file, `received` bytes in all (resumed ones
    /// included), and it has the expected digests.
    Complete {
        /// Bytes of the file in the partial file.
        received: u64,
        /// The digests computed on the way.
        digest: BodyDigest,
    },
    /// It passed `--max-size` and was stopped there; the partial file is gone.
    TooLarge {
        /// The `--max-size` it passed.
        max_size: u64,
    },
}

/// Writes the body after the `start.offset` bytes on disk, hashing it on the way
/// (both on the blocking pool, see [`BodyWriter`]).
/// Whatever happens, what arrived is written out: it is the next attempt's start,
/// unless it cannot be (no validator, too long, bad digest).
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one body, as stream_to_part has them"
)]
async fn write_stream(
    response: reqwest::Response,
    file: std::fs::File,
    parts: &PartPaths,
    start: &Partial,
    expected: Option<u64>,
    checks: Checks,
    limits: BodyLimits<'_>,
    progress: &mut dyn Progress,
) -> Result<Streamed, TransferError> {
    // A resumed file: the bytes an earlier attempt wrote are hashed once, here.
    let hasher = crate::disk::hash::feed_prefix(BodyHasher::new(checks), &parts.data, start.offset)
        .await
        .map_err(|source| TransferError::io("read", &parts.data, source))?;
    let mut writer = BodyWriter::new(file, hasher);
    let mut received = start.offset;
    let mut body = Body::new(response, limits.pace);
    let streamed = async {
        while let Some(chunk) = body.next_chunk().await? {
            if let Some(max_size) = limits.max_size
                && received + chunk.len() as u64 > max_size
            {
                return Ok(Some(max_size));
            }
            received += chunk.len() as u64;
            if let Some(expected) = expected
                && received > expected
            {
                return Err(TransferError::TooLong { expected });
            }
            writer
                .write(&chunk)
                .await
                .map_err(|source| TransferError::io("write", &parts.data, source))?;
            progress.advanced(received);
        }
        Ok(None)
    }
    .await;
    if let Ok(Some(max_size)) = streamed {
        // Dropping the body closes the connection: nothing more is read.
        drop(body);
        drop(writer);
        parts.discard().await;
        return Ok(Streamed::TooLarge { max_size });
    }
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
        let resumable = keeps_partial(&start.validator, expected)
            && !matches!(error, TransferError::TooLong { .. });
        if !resumable {
            parts.discard().await;
        }
        return Err(error);
    }
    progress.body_received();
    let hasher = writer
        .into_hasher()
        .map_err(|source| TransferError::io("write", &parts.data, source))?;
    match hasher.finish() {
        Ok(digest) => Ok(Streamed::Complete { received, digest }),
        Err(mismatch) => {
            // Bad bytes are never kept, not even to resume from.
            parts.discard().await;
            Err(TransferError::Checksum(mismatch))
        }
    }
}

/// Whether a partial file of this answer is kept for resuming: it needs a validator,
/// and a body of unknown or sizeable length.
fn keeps_partial(validator: &Validator, body_length: Option<u64>) -> bool {
    validator.if_range().is_some() && body_length.is_none_or(|length| length >= SMALL_FILE_BYTES)
}

/// The skip reason of a body stopped as it passed `--max-size`.
fn too_large(max_size: u64) -> Outcome {
    Outcome::Filtered(SkipReason::Filtered(format!(
        "larger than --max-size (stopped after {max_size} bytes)"
    )))
}
