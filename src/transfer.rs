//! One file over HTTP: streamed in chunks into a temporary file beside the
//! destination, checked against Content-Length, then renamed into place. A file under
//! its final name is therefore always complete.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_LENGTH, HeaderMap, IF_MODIFIED_SINCE, LAST_MODIFIED,
};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio_util::sync::CancellationToken;

use crate::error::TransferError;
use crate::event::SkipReason;
use crate::filter::Filters;
use crate::paths::MAX_NAME_BYTES;
use crate::plan::{LocalFile, Task};

/// Bytes buffered before a write reaches the file: few system calls, bounded memory.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// How a transfer ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The body was written and renamed into place.
    Downloaded {
        /// Bytes written.
        bytes: u64,
    },
    /// The server says the local file is current; no body was transferred.
    UpToDate,
    /// The size or date the server announced is outside the user's filters.
    Filtered(SkipReason),
}

/// Receives a transfer's progress.
pub trait Progress: Send {
    /// The server answered with a body of this size (if announced).
    fn started(&mut self, size: Option<u64>);
    /// `total` bytes of the body have arrived so far.
    fn advanced(&mut self, total: u64);
}

/// Downloads `task.url` to `task.destination`.
pub async fn download(
    client: &reqwest::Client,
    task: &Task,
    read_timeout: Duration,
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
    // `identity`: the bytes on disk must be the bytes on the server, so a `.tar.gz`
    // is never transparently gunzipped.
    let mut request = client
        .get(task.url.clone())
        .header(ACCEPT_ENCODING, "identity");
    if let LocalFile::Present {
        modified: Some(modified),
        ..
    } = task.local
    {
        request = request.header(IF_MODIFIED_SINCE, httpdate::fmt_http_date(modified));
    }
    let mut response = cancellable(cancel, read_timeout, request.send())
        .await?
        .map_err(TransferError::Request)?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Outcome::UpToDate);
    }
    if !status.is_success() {
        return Err(TransferError::Status { status });
    }
    // `dir` answered by a redirect to `dir/`: a folder linked without its slash.
    if response.url().path().ends_with('/') && !task.url.path().ends_with('/') {
        return Ok(Outcome::Filtered(SkipReason::Directory));
    }
    let expected = content_length(response.headers());
    let last_modified = last_modified(response.headers());
    // Size and date filters are judged on the answer's headers: no extra request.
    if let Err(reason) = filters.check_metadata(expected, last_modified) {
        return Ok(Outcome::Filtered(reason));
    }
    if is_same_as_local(task.local, expected, last_modified) {
        // Dropping the response closes the body without reading it.
        return Ok(Outcome::UpToDate);
    }
    progress.started(expected);

    let temporary = temporary_path(&task.destination);
    let result = async {
        if let Some(parent) = temporary.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|source| TransferError::io("create folder", parent, source))?;
        }
        let file = tokio::fs::File::create(&temporary)
            .await
            .map_err(|source| TransferError::io("create", &temporary, source))?;
        let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        let mut received: u64 = 0;
        loop {
            let chunk = cancellable(cancel, read_timeout, response.chunk())
                .await?
                .map_err(TransferError::Request)?;
            let Some(chunk) = chunk else { break };
            received += chunk.len() as u64;
            if let Some(expected) = expected
                && received > expected
            {
                return Err(TransferError::TooLong { expected });
            }
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| TransferError::io("write", &temporary, source))?;
            progress.advanced(received);
        }
        if let Some(expected) = expected
            && received != expected
        {
            return Err(TransferError::Truncated { expected, received });
        }
        writer
            .flush()
            .await
            .map_err(|source| TransferError::io("write", &temporary, source))?;
        let file = writer.into_inner();
        // Durable before it gets its final name: a crash never leaves a short file there.
        file.sync_data()
            .await
            .map_err(|source| TransferError::io("write", &temporary, source))?;
        drop(file);
        if let Some(modified) = last_modified {
            filetime::set_file_mtime(&temporary, filetime::FileTime::from_system_time(modified))
                .map_err(|source| TransferError::io("set the time of", &temporary, source))?;
        }
        tokio::fs::rename(&temporary, &task.destination)
            .await
            .map_err(|source| TransferError::io("rename into", &task.destination, source))?;
        Ok(Outcome::Downloaded { bytes: received })
    }
    .await;
    if result.is_err() {
        // Best effort: the error that matters is the one we return.
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    result
}

/// Awaits `future`, giving up when nothing happens for `idle` or the run is cancelled.
async fn cancellable<T>(
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

/// True when the server's size and date match the local file exactly, so the body
/// need not be transferred. Both must be known: a size alone proves nothing.
fn is_same_as_local(
    local: LocalFile,
    remote_size: Option<u64>,
    remote_modified: Option<SystemTime>,
) -> bool {
    let LocalFile::Present {
        size,
        modified: Some(local_modified),
    } = local
    else {
        return false;
    };
    remote_size == Some(size)
        && remote_modified.is_some_and(|remote| same_second(remote, local_modified))
}

/// HTTP dates have one-second resolution.
fn same_second(a: SystemTime, b: SystemTime) -> bool {
    let seconds = |time: SystemTime| {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .map(|duration| duration.as_secs())
            .ok()
    };
    seconds(a) == seconds(b)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn last_modified(headers: &HeaderMap) -> Option<SystemTime> {
    httpdate::parse_http_date(headers.get(LAST_MODIFIED)?.to_str().ok()?).ok()
}

/// The temporary file for `destination`: hidden, in the same folder (so the final
/// rename is atomic), and never longer than a file system allows.
pub fn temporary_path(destination: &Path) -> PathBuf {
    let name = destination
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let candidate = format!(".{name}.fetchall-part");
    let temporary_name = if candidate.len() <= MAX_NAME_BYTES {
        candidate
    } else {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut hasher);
        format!(".fetchall-{:016x}.fetchall-part", hasher.finish())
    };
    destination.with_file_name(temporary_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_stay_short_and_beside_the_file() {
        let short = temporary_path(Path::new("out/a.zip"));
        assert_eq!(short, Path::new("out/.a.zip.fetchall-part"));
        let long_name = "é".repeat(120);
        let long = temporary_path(&Path::new("out").join(&long_name));
        assert_eq!(long.parent(), Some(Path::new("out")));
        let file_name = long
            .file_name()
            .map(|name| name.len())
            .unwrap_or(usize::MAX);
        assert!(file_name <= MAX_NAME_BYTES);
    }

    #[test]
    fn up_to_date_needs_both_size_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let local = LocalFile::Present {
            size: 10,
            modified: Some(now),
        };
        assert!(is_same_as_local(local, Some(10), Some(now)));
        assert!(!is_same_as_local(local, Some(11), Some(now)));
        assert!(!is_same_as_local(local, Some(10), None));
        assert!(!is_same_as_local(LocalFile::Missing, Some(10), Some(now)));
    }
}
