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
use std::sync::{Arc, Mutex};
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
pub struct ManifestReporter {
    file: Mutex<Manifest>,
    inner: Arc<dyn Reporter>,
}

/// The manifest file, emptied when the run reports its first event.
struct Manifest {
    writer: std::io::BufWriter<std::fs::File>,
    emptied: bool,
}

impl Manifest {
    /// A run refused at the start (another run holds its output folder) reports no
    /// event, so it leaves the manifest of the run that holds the folder alone.
    fn empty_once(&mut self) {
        if !self.emptied {
            self.emptied = true;
            let _ = self.writer.get_ref().set_len(0);
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
            file: Mutex::new(Manifest {
                writer: std::io::BufWriter::new(file),
                emptied: false,
            }),
            inner,
        })
    }

    fn write(&self, line: &ManifestLine) {
        let Ok(text) = serde_json::to_string(line) else {
            return;
        };
        if let Ok(mut manifest) = self.file.lock() {
            manifest.empty_once();
            // Flushed per line: a run stopped half-way still leaves a valid manifest.
            let writer = &mut manifest.writer;
            let _ = writeln!(writer, "{text}").and_then(|()| writer.flush());
        }
    }
}

impl Reporter for ManifestReporter {
    fn report(&self, event: &Event) {
        if let Ok(mut manifest) = self.file.lock() {
            manifest.empty_once();
        }
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
