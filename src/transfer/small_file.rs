//! Small files, written in one go: the body (at most [`SMALL_FILE_BYTES`]) is
//! gathered in memory, checked, then written and placed with others, durable in
//! batches ([`crate::disk::batch`]).

use crate::checksum::BodyHasher;
use crate::disk::place::Placement;
use crate::error::TransferError;
use crate::transfer::body::{Body, BodyPace};
use crate::transfer::types::{Attempt, Outcome, Progress};

/// Bodies below this size take the in-memory path, and are not worth resuming:
/// fetching one again costs less than the sidecar file resuming needs. With 16
/// transfers in flight that is 1 MiB of buffers at most.
pub const SMALL_FILE_BYTES: u64 = 64 * 1024;

/// Receives a body of exactly `length` bytes into memory and puts it in place.
pub(crate) async fn receive_small_file(
    response: reqwest::Response,
    length: u64,
    placement: Placement,
    attempt: Attempt<'_>,
    pace: BodyPace<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    let mut reading = Body::new(response, pace);
    let mut body = Vec::with_capacity(length as usize);
    while let Some(chunk) = reading.next_chunk().await? {
        if body.len() as u64 + chunk.len() as u64 > length {
            return Err(TransferError::TooLong { expected: length });
        }
        body.extend_from_slice(&chunk);
        progress.advanced(body.len() as u64);
    }
    if body.len() as u64 != length {
        return Err(TransferError::Truncated {
            expected: length,
            received: body.len() as u64,
        });
    }
    // Checked before anything is written: bad bytes never reach the disk.
    let mut hasher = BodyHasher::new(attempt.checks);
    hasher.update(&body);
    let digest = hasher.finish().map_err(TransferError::Checksum)?;
    // The connection is free for the next file while this one is written, but only
    // so many bodies (and files not yet renamed) wait for the disk at once.
    let room = attempt.small_files.room().await;
    progress.body_received();
    attempt.small_files.place(body, placement, room).await?;
    Ok(Outcome::Downloaded {
        bytes: length,
        suggested_name: None,
        transferred: length,
        digest,
    })
}
