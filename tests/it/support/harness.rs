//! In-process runs: `fetchall::mirror` with a reporter that records every event, for
//! tests whose facts are events and counts (skip reasons, failures, retries, pages
//! listed). What the binary adds (argument parsing, output format, exit codes) is
//! tested end to end through `support::cli`.
//!
//! A run here shares this test process: it must not need the environment or the
//! current folder, so options always name their output folder. Tests whose point is
//! the environment (`HOME` for `--netrc`, `SSL_CERT_FILE`, `*_PROXY`) run the binary.
//!
//! ```ignore
//! let mut options = harness::options([server.url("/pub/")], &work.path().join("out"));
//! options.recursive = true;
//! let run = harness::mirror(&options);
//! assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
//! assert_eq!(run.skipped(SkipReason::Loop).len(), 2);
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use fetchall::{CancellationToken, Event, Options, Reporter, SkipReason, Summary};

/// Keeps every event of a run, in the order they were reported.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("events lock").clone()
    }
}

impl Reporter for Recorder {
    fn report(&self, event: &Event) {
        self.events.lock().expect("events lock").push(event.clone());
    }
}

/// Options for `urls`, written into `output` (never the current folder).
pub fn options(urls: impl IntoIterator<Item = impl Into<String>>, output: &Path) -> Options {
    let mut options = Options::new(urls);
    options.output = Some(output.to_path_buf());
    options
}

/// `--retry-wait`: no wait between attempts longer than `wait`.
pub fn retry_wait(options: &mut Options, wait: std::time::Duration) {
    options.retry.max_wait = wait;
    options.retry.base_wait = options.retry.base_wait.min(wait);
}

/// Runs `options` to the end on a runtime of its own, as the binary does, and
/// records what it reported.
pub fn mirror(options: &Options) -> Run {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let recorder = Arc::new(Recorder::default());
    let result = runtime.block_on(fetchall::mirror(
        options,
        recorder.clone(),
        CancellationToken::new(),
    ));
    Run {
        result,
        events: recorder.events(),
    }
}

/// How a run ended: the facts the binary's exit codes stand for (0, 1, 2, 130),
/// or the error that stopped it before anything ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every file downloaded, up to date or skipped (exit 0).
    Clean,
    /// Some files (or pages found on the way, or lines of a list) failed (exit 1).
    SomeFailed,
    /// A start page could not be read (exit 2).
    StartPageFailed,
    /// Cancelled before the end (exit 130).
    Interrupted,
    /// `mirror` returned this error (its text) before running.
    Error(String),
}

/// One finished run: its result and every event it reported.
pub struct Run {
    pub result: Result<Summary, fetchall::Error>,
    pub events: Vec<Event>,
}

impl Run {
    /// What `pick` takes from each event, in order.
    fn pick<T, C: FromIterator<T>>(&self, pick: impl FnMut(&Event) -> Option<T>) -> C {
        self.events.iter().filter_map(pick).collect()
    }

    /// The totals; panics, with the error, when the run did not start.
    pub fn summary(&self) -> &Summary {
        match &self.result {
            Ok(summary) => summary,
            Err(error) => panic!("the run did not start: {error}"),
        }
    }

    /// How the run ended, in the order the binary picks its exit code.
    pub fn ending(&self) -> Ending {
        match &self.result {
            Err(error) => Ending::Error(error.to_string()),
            Ok(summary) if summary.interrupted => Ending::Interrupted,
            Ok(summary) if summary.pages_failed > 0 => Ending::StartPageFailed,
            Ok(summary) if summary.failed > 0 => Ending::SomeFailed,
            Ok(_) => Ending::Clean,
        }
    }

    /// Every event, one per line: for assertion messages.
    pub fn log(&self) -> String {
        let mut log: String = self
            .events
            .iter()
            .map(|event| format!("{event:?}\n"))
            .collect();
        if let Err(error) = &self.result {
            log.push_str(&format!("error: {error}\n"));
        }
        log
    }

    /// The URLs of the links skipped for a reason `is` picks, in order.
    pub fn skipped_where(&self, is: impl Fn(&SkipReason) -> bool) -> Vec<String> {
        self.pick(|event| match event {
            Event::Skipped { url, reason, .. } if is(reason) => Some(url.clone()),
            _ => None,
        })
    }

    /// The URLs of the links skipped for `reason`, in order.
    pub fn skipped(&self, reason: SkipReason) -> Vec<String> {
        self.skipped_where(|skipped| *skipped == reason)
    }

    /// The `(link, url)` of every skipped link.
    pub fn skipped_links(&self) -> Vec<(String, String)> {
        self.pick(|event| match event {
            Event::Skipped { link, url, .. } => Some((link.clone(), url.clone())),
            _ => None,
        })
    }

    /// How many times the page whose URL path is `path` was listed.
    pub fn pages_listed(&self, path: &str) -> usize {
        self.events
            .iter()
            .filter(|event| match event {
                Event::PageListed { url, .. } => {
                    url::Url::parse(url).is_ok_and(|url| url.path() == path)
                }
                _ => false,
            })
            .count()
    }

    /// The URLs of the files that failed.
    pub fn failed_urls(&self) -> BTreeSet<String> {
        self.failures().into_iter().map(|(url, _)| url).collect()
    }

    /// `(url, error)` of every file that failed, in order.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.pick(|event| match event {
            Event::Failed { url, error, .. } => Some((url.clone(), error.clone())),
            _ => None,
        })
    }

    /// The error the file at `url` failed with.
    pub fn failure_of(&self, url: &str) -> Option<String> {
        self.failures()
            .into_iter()
            .find(|(failed, _)| failed == url)
            .map(|(_, error)| error)
    }

    /// `(url, error)` of every page that could not be read, in order.
    pub fn page_failures(&self) -> Vec<(String, String)> {
        self.pick(|event| match event {
            Event::PageFailed { url, error } => Some((url.clone(), error.clone())),
            _ => None,
        })
    }

    /// The error the page at `url` could not be read with.
    pub fn page_failure_of(&self, url: &str) -> Option<String> {
        self.page_failures()
            .into_iter()
            .find(|(failed, _)| failed == url)
            .map(|(_, error)| error)
    }

    /// The URLs of the pages that could not be read.
    pub fn page_failed_urls(&self) -> BTreeSet<String> {
        self.page_failures()
            .into_iter()
            .map(|(url, _)| url)
            .collect()
    }

    /// `(path, verified)` of every file downloaded: `verified` names the algorithm
    /// it was checked with (`sha256`, `md5`…, as `--json` writes it).
    pub fn downloaded(&self) -> Vec<(String, Option<String>)> {
        self.pick(|event| match event {
            Event::Downloaded { path, verified, .. } => {
                let verified = serde_json::to_value(verified)
                    .ok()
                    .and_then(|name| name.as_str().map(str::to_string));
                Some((path.clone(), verified))
            }
            _ => None,
        })
    }

    /// `(url, entries)` of every checksum file read.
    pub fn checksums_loaded(&self) -> Vec<(String, usize)> {
        self.pick(|event| match event {
            Event::ChecksumsLoaded { url, entries } => Some((url.clone(), *entries)),
            _ => None,
        })
    }

    /// The URLs of the checksum files that could not be read.
    pub fn checksums_failed_urls(&self) -> BTreeSet<String> {
        self.pick(|event| match event {
            Event::ChecksumsFailed { url, .. } => Some(url.clone()),
            _ => None,
        })
    }

    /// The `(url, path)` of every file a dry run planned.
    pub fn planned(&self) -> Vec<(String, String)> {
        self.pick(|event| match event {
            Event::Planned { url, path, .. } => Some((url.clone(), path.clone())),
            _ => None,
        })
    }

    /// The `(attempt, delay_secs, error)` of every retry, in order.
    pub fn retries(&self) -> Vec<(u32, f64, String)> {
        self.pick(|event| match event {
            Event::Retrying {
                attempt,
                delay_secs,
                error,
                ..
            } => Some((*attempt, *delay_secs, error.clone())),
            _ => None,
        })
    }

    /// The `(url, path)` of every file saved under a numbered name (`--flat`).
    pub fn renamed(&self) -> Vec<(String, String)> {
        self.pick(|event| match event {
            Event::Renamed { url, path, .. } => Some((url.clone(), path.clone())),
            _ => None,
        })
    }
}
