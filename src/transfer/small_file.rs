//! Small files, written in one go: the body (at most [`SMALL_FILE_BYTES`]) is
//! gathered in memory, then a single blocking call creates the hidden partial file,
//! writes, syncs, sets the time and renames it into place. A mirror of thousands of
//! small files spends its time in round trips, not in a dozen file-system calls
//! and thread hand-offs per file.

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use crate::checksum::BodyHasher;
use crate::error::TransferError;
use crate::pace::speed::{self, LowSpeed, SpeedMeter};
use crate::transfer::{Outcome, Progress, Settings};

/// Bodies below this size take the in-memory path, and are not worth resuming:
/// fetching one again costs less than the sidecar file resuming needs. With 16
/// transfers in flight that is 1 MiB of buffers at most.
pub const SMALL_FILE_BYTES: u64 = 64 * 1024;

/// Small bodies received and waiting to be written, at most: 4 MiB of memory.
pub(crate) const PENDING_WRITES: usize = 16;

/// Where the file goes and what it is given.
pub(crate) struct Placement {
    /// The hidden file written first.
    pub temporary: PathBuf,
    /// The final name.
    pub destination: PathBuf,
    /// The server's Last-Modified, given to the file.
    pub modified: Option<SystemTime>,
    /// The folders between the output folder and the file, checked and created first.
    pub folders: crate::disk::safe_fs::Folders,
}

/// Receives a body of exactly `length` bytes and puts it in place.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one transfer, as transfer::receive has them"
)]
pub(crate) async fn receive(
    mut response: reqwest::Response,
    length: u64,
    placement: Placement,
    suggested_name: Option<String>,
    settings: Settings<'_>,
    low_speed: LowSpeed,
    cancel: &CancellationToken,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    let mut body = Vec::with_capacity(length as usize);
    let mut meter = SpeedMeter::new(low_speed);
    loop {
        let chunk =
            speed::next_chunk(&mut response, &mut meter, settings.read_timeout, cancel).await?;
        let Some(chunk) = chunk else { break };
        if body.len() as u64 + chunk.len() as u64 > length {
            return Err(TransferError::TooLong { expected: length });
        }
        if let Some(limiter) = settings.limiter {
            limiter.take(chunk.len(), cancel).await?;
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
    let mut hasher = BodyHasher::new(settings.checks);
    hasher.update(&body);
    let digest = hasher.finish().map_err(TransferError::Checksum)?;
    // The connection is free for the next file while this one is written, but only
    // so many bodies wait for the disk at once.
    let _pending = settings.pending_writes.acquire().await;
    progress.body_received();
    let temporary = placement.temporary.clone();
    let written = tokio::task::spawn_blocking(move || write_in_place(&body, &placement))
        .await
        .map_err(|error| TransferError::io("write", temporary, std::io::Error::other(error)))?;
    written?;
    Ok(Outcome::Downloaded {
        bytes: length,
        suggested_name,
        transferred: length,
        digest,
    })
}

/// Create, write, sync, time, rename; on failure the hidden file is removed. The
/// hidden file is locked and never reached through a symlink ([`crate::disk::safe_fs`]).
fn write_in_place(body: &[u8], placement: &Placement) -> Result<(), TransferError> {
    let temporary = &placement.temporary;
    let part = placement.folders.open_part(temporary, true)?;
    let result = (|| {
        let mut file = part.file();
        file.write_all(body)
            .map_err(|source| TransferError::io("write", temporary, source))?;
        // Durable before it gets its final name: a crash never leaves a short file there.
        file.sync_data()
            .map_err(|source| TransferError::io("write", temporary, source))?;
        if let Some(modified) = placement.modified {
            file.set_modified(modified)
                .map_err(|source| TransferError::io("set the time of", temporary, source))?;
        }
        part.rename_to(&placement.destination, Some(body.len() as u64))
            .map_err(|source| TransferError::io("rename into", &placement.destination, source))
    })();
    if result.is_err() {
        part.remove();
    }
    result
}
