//! One attempt at one file over FTP: its version (the listing's exact size and
//! time, else `SIZE` and `MDTM`), then its body (`RETR`, after `REST` to continue
//! a partial file of the same version) into the same partial file as over HTTP,
//! read within the read timeout, the low-speed rule, `--limit-rate` and Ctrl-C,
//! hashed on the way, checked against the size, and placed with its time.
//! Retries are [`crate::transfer::retrying`]'s, as for HTTP; a `4xx` reply or a
//! lost connection is transient, a `5xx` reply final.
//!
//! FTP has no ranges over several connections: `--split` does not apply, a
//! file comes over one data connection.

use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use crate::checksum::BodyHasher;
use crate::disk::body_writer::BodyWriter;
use crate::disk::part::{PartPaths, open_to_write};
use crate::disk::place::{place_part, verify_part};
use crate::disk::resume::Validator;
use crate::error::TransferError;
use crate::event::SkipReason;
use crate::ftp::FtpSessions;
use crate::listing::meta::ListedTime;
use crate::pace::speed::{SpeedMeter, next_read};
use crate::plan::Task;
use crate::select::filter::Filters;
use crate::transfer::small_file::SMALL_FILE_BYTES;
use crate::transfer::types::{Attempt, Existing, Outcome, Progress};

/// Bytes read from the data connection at once.
const READ_BYTES: usize = 64 * 1024;

/// One attempt at `task`, an `ftp://` or `ftps://` file, on the run's
/// `sessions`. A partial file of the same version (size and time) is continued
/// with `REST`; any other is dropped.
pub(crate) async fn attempt(
    sessions: &FtpSessions,
    task: &Task,
    attempt: Attempt<'_>,
    cancel: &CancellationToken,
    filters: &Filters,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    if let Some(outcome) = attempt.settled_on_disk(task, false)? {
        return Ok(outcome);
    }
    attempt.folders(task).check()?;
    let (size, time) = version(sessions, task).await?;
    if let Err(reason) = filters.check_metadata(size, time) {
        return Ok(Outcome::Filtered(reason));
    }
    if attempt.existing == Existing::Compare
        && task.local.matches(size, time.map(ListedTime::exact))
    {
        return Ok(Outcome::UpToDate);
    }
    let validator = Validator {
        url: task.url.to_string(),
        etag: None,
        last_modified: time.map(httpdate::fmt_http_date),
        total: size,
        segments: None,
    };
    let parts = PartPaths::new(&task.destination);
    let offset = match parts.load(&task.url).await {
        Some(partial)
            if partial.validator.last_modified == validator.last_modified
                && partial.validator.total == validator.total =>
        {
            partial.offset
        }
        Some(_) => {
            parts.discard().await;
            0
        }
        None => 0,
    };
    progress.started(size);
    if offset > 0 && Some(offset) == size {
        // Every byte arrived before: checked, then placed.
        let digest = verify_part(&parts, attempt.checks).await?;
        place_part(&parts, &validator, &task.destination, offset).await?;
        return Ok(Outcome::Downloaded {
            bytes: offset,
            suggested_name: None,
            transferred: 0,
            digest,
        });
    }
    let body = Body {
        sessions,
        task,
        parts: &parts,
        validator: &validator,
        attempt,
        cancel,
        max_size: filters.max_size,
    };
    body.receive(offset, progress).await
}

/// The size and time of `task`'s file: the listing's when it gave them
/// exactly, else the server's `SIZE` and `MDTM`. A `LIST` time (a minute, a
/// day) keeps the `MDTM` second inside it, else its first second, so that the
/// next run's listing finds the file up to date.
async fn version(
    sessions: &FtpSessions,
    task: &Task,
) -> Result<(Option<u64>, Option<SystemTime>), TransferError> {
    let listed = task.listed_modified;
    if let (Some(size), Some(time)) = (task.listed_size, listed)
        && time.earliest == time.latest
    {
        return Ok((Some(size), Some(time.earliest)));
    }
    let (size, exact) = sessions
        .size_and_time(&task.url)
        .await
        .map_err(TransferError::Ftp)?;
    let time = match (listed, exact) {
        (Some(listed), Some(exact)) if listed.contains(exact) => Some(exact),
        (Some(listed), _) => Some(listed.earliest),
        (None, exact) => exact,
    };
    Ok((task.listed_size.or(size), time))
}

/// What receiving one body needs.
struct Body<'a> {
    sessions: &'a FtpSessions,
    task: &'a Task,
    parts: &'a PartPaths,
    validator: &'a Validator,
    attempt: Attempt<'a>,
    cancel: &'a CancellationToken,
    max_size: Option<u64>,
}

impl Body<'_> {
    /// Receives the file from byte `offset` into the partial file, then places it.
    async fn receive(
        &self,
        offset: u64,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, TransferError> {
        let task = self.task;
        let mut download = self
            .sessions
            .retrieve(&task.url, offset)
            .await
            .map_err(TransferError::Ftp)?;
        let folders = self.attempt.folders(task);
        let file = open_to_write(self.parts, &folders, (offset > 0).then_some(offset))?;
        let expected = self.validator.total;
        let resumable = self.validator.if_range().is_some()
            && expected.is_none_or(|size| size >= SMALL_FILE_BYTES);
        if offset == 0 && resumable {
            self.parts.save(self.validator).await?;
        }
        let hasher = BodyHasher::new(self.attempt.checks);
        let hasher = crate::disk::hash::feed_prefix(hasher, &self.parts.data, offset)
            .await
            .map_err(|source| TransferError::io("read", &self.parts.data, source))?;
        let mut writer = BodyWriter::new(file, hasher);
        let mut meter = SpeedMeter::new(self.sessions.low_speed());
        let mut buffer = vec![0; READ_BYTES];
        let mut received = offset;
        let streamed: Result<Option<u64>, TransferError> = async {
            loop {
                let read = next_read(
                    download.reader(),
                    &mut buffer,
                    &mut meter,
                    self.attempt.read_timeout,
                    self.cancel,
                );
                let count = read.await?;
                if count == 0 {
                    return Ok(None);
                }
                if let Some(limiter) = self.attempt.limiter {
                    limiter.take(count, self.cancel).await?;
                }
                if let Some(max_size) = self.max_size
                    && received + count as u64 > max_size
                {
                    return Ok(Some(max_size));
                }
                received += count as u64;
                if let Some(expected) = expected
                    && received > expected
                {
                    return Err(TransferError::TooLong { expected });
                }
                writer
                    .write(&buffer[..count])
                    .await
                    .map_err(|source| TransferError::io("write", &self.parts.data, source))?;
                progress.advanced(received);
            }
        }
        .await;
        if let Ok(Some(max_size)) = streamed {
            drop(download);
            drop(writer);
            self.parts.discard().await;
            return Ok(Outcome::Filtered(SkipReason::Filtered(format!(
                "larger than --max-size (stopped after {max_size} bytes)"
            ))));
        }
        let flushed = writer
            .flush()
            .await
            .map_err(|source| TransferError::io("write", &self.parts.data, source));
        let result = match streamed.and(flushed) {
            // The server's closing reply says whether it sent everything.
            Ok(_) => download
                .finish(self.sessions)
                .await
                .map_err(TransferError::Ftp),
            Err(error) => Err(error),
        };
        let result = result.and_then(|()| match expected {
            Some(expected) if received != expected => {
                Err(TransferError::Truncated { expected, received })
            }
            _ => Ok(()),
        });
        if let Err(error) = result {
            if !resumable || matches!(error, TransferError::TooLong { .. }) {
                self.parts.discard().await;
            }
            return Err(error);
        }
        progress.body_received();
        let hasher = writer
            .into_hasher()
            .map_err(|source| TransferError::io("write", &self.parts.data, source))?;
        let digest = match hasher.finish() {
            Ok(digest) => digest,
            Err(mismatch) => {
                self.parts.discard().await;
                return Err(TransferError::Checksum(mismatch));
            }
        };
        place_part(self.parts, self.validator, &task.destination, received).await?;
        Ok(Outcome::Downloaded {
            bytes: received,
            suggested_name: None,
            transferred: received - offset,
            digest,
        })
    }
}
