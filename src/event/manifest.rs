//! `--manifest FILE`: one JSON line per downloaded file, written as each finishes:
//!
//! ```text
//! {"path":"out/a.zip","size":1024,"sha256":"9f86…","url":"https://h/a.zip","mtime":"2024-01-31T12:00:00Z"}
//! ```
//!
//! `path` is the local path as reported in events, `mtime` the file's modification
//! time (the server's `Last-Modified` when it sent one) in UTC. Only files downloaded
//! by this run are listed; the SHA-256 is computed while the body streams in (set
//! [`crate::Options::record_sha256`]).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde::Serialize;

use crate::event::{Event, Reporter};

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestLine {
    /// The local path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hexadecimal (`null` if it was not computed).
    pub sha256: Option<String>,
    /// The URL it came from.
    pub url: String,
    /// Its modification time, RFC 3339 UTC (`null` if the file system has none).
    pub mtime: Option<String>,
}

/// A [`Reporter`] that writes the manifest, then passes every event on.
///
/// A line that cannot be written (disk full, an I/O error) is never left half
/// written: the file is cut back to its last whole line, no later line is written
/// (so the manifest stays a true prefix of the run, not a list with holes), and the
/// error is kept for [`ManifestReporter::failure`], which the caller must check: a
/// manifest that lacks files is a failure of the run.
pub struct ManifestReporter {
    path: std::path::PathBuf,
    state: Mutex<Writer>,
    inner: Arc<dyn Reporter>,
}

struct Writer {
    file: std::fs::File,
    /// Whether the file was emptied: at the run's first event, so a run refused at
    /// the start (another run holds its output folder) reports no event and leaves
    /// the manifest of the run that holds the folder alone.
    emptied: bool,
    /// Bytes of whole lines written so far.
    written: u64,
    /// Lines written, and lines that could not be.
    lines: u64,
    lost: u64,
    /// The first write error, as text.
    error: Option<String>,
}

/// Why a manifest is incomplete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot write the manifest `{path}`: {error}; it lists only {lines} of the {} files downloaded",
    lines + lost
)]
pub struct ManifestFailure {
    /// The manifest file.
    pub path: String,
    /// The system's reason.
    pub error: String,
    /// Lines written before the failure.
    pub lines: u64,
    /// Downloaded files that are not in it.
    pub lost: u64,
}

impl Writer {
    fn empty_once(&mut self) {
        if !self.emptied {
            self.emptied = true;
            // Only a regular file is emptied: `--manifest /dev/stdout` may be a pipe.
            let regular = self
                .file
                .metadata()
                .is_ok_and(|metadata| metadata.is_file());
            if regular && let Err(error) = self.file.set_len(0) {
                self.error.get_or_insert(error.to_string());
            }
        }
    }
}

impl ManifestReporter {
    /// Opens (creating) the manifest at `path`; it is emptied at the run's first event.
    pub fn create(path: &Path, inner: Arc<dyn Reporter>) -> std::io::Result<ManifestReporter> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(ManifestReporter {
            path: path.to_path_buf(),
            state: Mutex::new(Writer {
                file,
                emptied: false,
                written: 0,
                lines: 0,
                lost: 0,
                error: None,
            }),
            inner,
        })
    }

    /// Why the manifest lacks some downloaded files, if it does. Also flushes the
    /// file to disk, so a manifest said complete survives a crash.
    pub fn failure(&self) -> Option<ManifestFailure> {
        let mut writer = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Only a regular file is synced: `--manifest /dev/stdout` may be a pipe.
        let regular = writer
            .file
            .metadata()
            .is_ok_and(|metadata| metadata.is_file());
        if writer.error.is_none()
            && regular
            && let Err(error) = writer.file.sync_all()
        {
            writer.error = Some(error.to_string());
        }
        writer.error.clone().map(|error| ManifestFailure {
            path: self.path.display().to_string(),
            error,
            lines: writer.lines,
            lost: writer.lost,
        })
    }

    fn write(&self, line: &ManifestLine) {
        let mut writer = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        writer.empty_once();
        if writer.error.is_some() {
            writer.lost += 1;
            return;
        }
        let text = match serde_json::to_string(line) {
            Ok(text) => text + "\n",
            Err(error) => {
                writer.error = Some(error.to_string());
                writer.lost += 1;
                return;
            }
        };
        // One write per line, straight to the file: a run stopped half-way still
        // leaves a valid manifest.
        match writer.file.write_all(text.as_bytes()) {
            Ok(()) => {
                writer.written += text.len() as u64;
                writer.lines += 1;
            }
            Err(error) => {
                // Part of the line may have gone out: cut it off.
                let whole = writer.written;
                let _ = writer.file.set_len(whole);
                writer.error = Some(error.to_string());
                writer.lost += 1;
            }
        }
    }
}

impl Reporter for ManifestReporter {
    fn report(&self, event: &Event) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .empty_once();
        if let Event::Downloaded {
            url,
            path,
            bytes,
            sha256,
            ..
        } = event
        {
            let mtime = std::fs::metadata(path)
                .and_then(|metadata| metadata.modified())
                .ok()
                .map(rfc3339);
            self.write(&ManifestLine {
                path: path.clone(),
                size: *bytes,
                sha256: sha256.clone(),
                url: url.clone(),
                mtime,
            });
        }
        self.inner.report(event);
    }
}

/// `2024-01-31T12:00:00Z` (whole seconds; times before 1970 are clamped to it).
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|duration| duration.as_secs())
        .unwrap_or(0);
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_rfc3339_utc() {
        let at = |seconds| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_706_702_400), "2024-01-31T12:00:00Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
