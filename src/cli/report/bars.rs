//! Progress bars on a terminal: one overall bar (bytes, files, rate, ETA) and one
//! line per active transfer. Events worth a line are printed above the bars.
//!
//! The overall bar measures bytes whenever the size of every file still to come is
//! known — from the listing (`Queued`) or the answer's `Content-Length`
//! (`Started`) — and its ETA is the bytes left at the run's mean rate: one large
//! file still to come weighs what it weighs, however many small ones are done.
//! When some size is unknown, it shows the bytes done and the rate, and the files
//! done for the bar, with no ETA rather than a made-up one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fetchall::{Event, Reporter};
use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressStyle};

use super::Verbosity;
use super::text::describe;
use crate::cli::output::{Output, Stream};

/// Draws bars on stderr.
pub struct BarsReporter {
    verbosity: Verbosity,
    bars: MultiProgress,
    overall: ProgressBar,
    output: Arc<Output>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    transfers: HashMap<u64, ProgressBar>,
    totals: Totals,
}

/// Steps of the overall bar: it shows a fraction, of bytes or of files.
const BAR_STEPS: u64 = 1000;

/// The run as the overall bar sees it, from the events alone.
#[derive(Debug, Default)]
pub struct Totals {
    files_total: u64,
    files_done: u64,
    /// Bytes received in this run.
    bytes_done: u64,
    /// Files queued and not started, by URL: their listed sizes. Bounded by the
    /// engine's queue (the crawler waits while it is full).
    queued: HashMap<String, Option<u64>>,
    /// Transfers under way, by id.
    active: HashMap<u64, Active>,
    /// When the first transfer started: the rate is measured from then, not from
    /// the start of the run (the listing took its time before any byte came).
    transfers_began: Option<Duration>,
}

/// No ETA before transfers have run this long: the first instants' rate is noise.
const SETTLING: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Active {
    url: String,
    size: Option<u64>,
    received: u64,
}

/// What the overall bar shows at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    /// Bytes still to come, when every unfinished file's size is known.
    pub bytes_left: Option<u64>,
    /// Mean bytes per second since the first transfer started.
    pub rate: f64,
    /// `bytes_left` at `rate`, when both are known.
    pub eta: Option<Duration>,
}

impl Snapshot {
    /// How full the bar is, from 0 to 1: bytes when sizes are known, else files.
    pub fn fraction(&self) -> f64 {
        match self.bytes_left {
            Some(left) if self.bytes_done + left > 0 => {
                self.bytes_done as f64 / (self.bytes_done + left) as f64
            }
            _ if self.files_total > 0 => self.files_done as f64 / self.files_total as f64,
            _ => 0.0,
        }
    }

    /// The text beside the bar.
    pub fn message(&self) -> String {
        let files = format!("{}/{} files", self.files_done, self.files_total);
        let rate = format!("{}/s", HumanBytes(self.rate as u64));
        match (self.bytes_left, self.eta) {
            (Some(left), Some(eta)) => format!(
                "{}/{}  {files}  {rate}  ETA {}",
                HumanBytes(self.bytes_done),
                HumanBytes(self.bytes_done + left),
                indicatif::HumanDuration(eta)
            ),
            (Some(left), None) => format!(
                "{}/{}  {files}  {rate}",
                HumanBytes(self.bytes_done),
                HumanBytes(self.bytes_done + left)
            ),
            (None, _) => format!("{}  {files}  {rate}", HumanBytes(self.bytes_done)),
        }
    }
}

impl Totals {
    /// Takes in one event, which happened `elapsed` into the run.
    pub fn record(&mut self, event: &Event, elapsed: Duration) {
        if matches!(event, Event::Started { .. }) && self.transfers_began.is_none() {
            self.transfers_began = Some(elapsed);
        }
        match event {
            Event::Queued { url, size, .. } => {
                self.files_total += 1;
                self.queued.insert(url.clone(), *size);
            }
            Event::Started { id, url, size, .. } => {
                let listed = match self.queued.remove(url) {
                    Some(listed) => listed,
                    None => {
                        // Not announced (an engine without `Queued`): count it now.
                        self.files_total += 1;
                        None
                    }
                };
                self.active.insert(
                    *id,
                    Active {
                        url: url.clone(),
                        size: size.or(listed),
                        received: 0,
                    },
                );
            }
            Event::Progress { id, bytes } => {
                if let Some(active) = self.active.get_mut(id) {
                    self.bytes_done += bytes.saturating_sub(active.received);
                    active.received = active.received.max(*bytes);
                }
            }
            Event::Downloaded { id, bytes, .. } => {
                let received = self.active.remove(id).map_or(0, |active| active.received);
                self.bytes_done += bytes.saturating_sub(received);
                self.files_done += 1;
            }
            Event::UpToDate { id, url, .. } | Event::Failed { id, url, .. } => {
                let known = match id {
                    Some(id) => self.active.remove(id).is_some(),
                    None => false,
                };
                if known || self.queued.remove(url).is_some() {
                    self.files_done += 1;
                }
            }
            // Never a file: it leaves the count rather than being done.
            Event::FolderFound { url, .. } if self.queued.remove(url).is_some() => {
                self.files_total = self.files_total.saturating_sub(1);
            }
            Event::Skipped { url, .. } => {
                // Skipped after it was queued: a filter that needed the answer, or a
                // Content-Disposition name already taken.
                let started = self
                    .active
                    .iter()
                    .find(|(_, active)| active.url == *url)
                    .map(|(id, _)| *id);
                let was_queued = match started {
                    Some(id) => self.active.remove(&id).is_some(),
                    None => self.queued.remove(url).is_some(),
                };
                if was_queued {
                    self.files_done += 1;
                }
            }
            _ => {}
        }
    }

    /// The bar's state after `elapsed` of the run.
    pub fn snapshot(&self, elapsed: Duration) -> Snapshot {
        let running = self
            .transfers_began
            .map_or(Duration::ZERO, |began| elapsed.saturating_sub(began));
        let rate = if running > Duration::ZERO {
            self.bytes_done as f64 / running.as_secs_f64()
        } else {
            0.0
        };
        let queued = self.queued.values().copied();
        let active = self
            .active
            .values()
            .map(|active| active.size.map(|size| size.saturating_sub(active.received)));
        let bytes_left = queued
            .chain(active)
            .try_fold(0_u64, |sum, left| Some(sum + left?));
        let eta = bytes_left
            .filter(|_| rate > 0.0 && running >= SETTLING)
            .map(|left| Duration::from_secs_f64(left as f64 / rate));
        Snapshot {
            files_done: self.files_done,
            files_total: self.files_total,
            bytes_done: self.bytes_done,
            bytes_left,
            rate,
            eta,
        }
    }
}

impl BarsReporter {
    pub fn new(verbosity: Verbosity, output: Arc<Output>) -> Self {
        let bars = MultiProgress::new();
        let overall = bars.add(ProgressBar::new(BAR_STEPS));
        overall.set_style(style(
            "{spinner:.green} [{elapsed_precise}] {bar:40.cyan/blue} {msg}",
        ));
        overall.enable_steady_tick(Duration::from_millis(120));
        BarsReporter {
            verbosity,
            bars,
            overall,
            output,
            state: Mutex::new(State::default()),
        }
    }

    fn println(&self, line: &str) {
        let _ = self.bars.println(line);
    }

    fn update_overall(&self, state: &State) {
        let snapshot = state.totals.snapshot(self.overall.elapsed());
        self.overall
            .set_position((snapshot.fraction() * BAR_STEPS as f64) as u64);
        self.overall.set_message(snapshot.message());
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Reporter for BarsReporter {
    fn report(&self, event: &Event) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let elapsed = self.overall.elapsed();
        state.totals.record(event, elapsed);
        match event {
            Event::Started { id, path, size, .. } => {
                // Added to the multi-bar before anything is set on it: a free-standing
                // bar would draw itself on stderr and break the multi-bar's layout.
                let bar = match size {
                    Some(size) => {
                        let bar = self.bars.add(ProgressBar::new(*size));
                        bar.set_style(style(
                            "  {bar:30.cyan/blue} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {msg}",
                        ));
                        bar
                    }
                    None => {
                        let bar = self.bars.add(ProgressBar::new_spinner());
                        bar.set_style(style("  {spinner} {bytes:>10} {bytes_per_sec:>12} {msg}"));
                        bar
                    }
                };
                bar.set_message(path.clone());
                state.transfers.insert(*id, bar);
                self.update_overall(&state);
            }
            Event::Progress { id, bytes } => {
                if let Some(bar) = state.transfers.get(id) {
                    bar.set_position(*bytes);
                }
                self.update_overall(&state);
            }
            Event::Downloaded { id, .. } => {
                self.finish(&mut state, Some(*id));
            }
            Event::UpToDate { id, .. } | Event::Failed { id, .. } => {
                self.finish(&mut state, *id);
            }
            Event::Queued { .. } | Event::FolderFound { .. } | Event::Skipped { .. } => {
                self.update_overall(&state)
            }
            Event::Summary(_) => {
                // Transfers cut short by Ctrl-C never finished: clear their bars too.
                for (_, bar) in state.transfers.drain() {
                    bar.finish_and_clear();
                    self.bars.remove(&bar);
                }
                self.overall.finish_and_clear();
                let _ = self.bars.clear();
                if let Some((_, line)) = describe(event, self.verbosity) {
                    self.output.line(Stream::Stdout, &line);
                }
                return;
            }
            _ => {}
        }
        // Lines are printed above the bars; the summary after they are gone.
        let verbosity = match event {
            // With bars, per-file lines would scroll the bars away: show them only
            // when asked.
            Event::Downloaded { .. } | Event::UpToDate { .. } | Event::Skipped { .. }
                if self.verbosity < Verbosity::Verbose =>
            {
                return;
            }
            _ => self.verbosity,
        };
        if let Some((_, line)) = describe(event, verbosity) {
            self.println(&line);
        }
    }
}

impl BarsReporter {
    fn finish(&self, state: &mut State, id: Option<u64>) {
        self.update_overall(state);
        if let Some(bar) = id.and_then(|id| state.transfers.remove(&id)) {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;
    const T0: Duration = Duration::ZERO;

    fn queued(url: &str, size: Option<u64>) -> Event {
        Event::Queued {
            url: url.into(),
            path: url.into(),
            size,
        }
    }

    fn started(id: u64, url: &str, size: Option<u64>) -> Event {
        Event::Started {
            id,
            url: url.into(),
            path: url.into(),
            size,
        }
    }

    fn downloaded(id: u64, url: &str, bytes: u64) -> Event {
        Event::Downloaded {
            id,
            url: url.into(),
            path: url.into(),
            bytes,
            verified: None,
            sha256: None,
        }
    }

    /// 110 files of 1 MB done and a 300 MB file at 50 MB, after 10 s: 16 MB/s, so
    /// the 250 MB left take about 15.6 s — not the `0s` a count of files gives.
    #[test]
    fn one_large_file_left_weighs_its_bytes_not_one_file() {
        for listed in [Some(300 * MB), None] {
            let mut totals = Totals::default();
            for index in 0..110 {
                let url = format!("f{index}");
                totals.record(&queued(&url, Some(MB)), T0);
                totals.record(&started(index, &url, Some(MB)), T0);
                totals.record(&downloaded(index, &url, MB), T0);
            }
            // The big file's size from the listing, or only from Content-Length.
            totals.record(&queued("big", listed), T0);
            totals.record(&started(200, "big", Some(300 * MB)), T0);
            totals.record(
                &Event::Progress {
                    id: 200,
                    bytes: 50 * MB,
                },
                T0,
            );
            let snapshot = totals.snapshot(Duration::from_secs(10));
            assert_eq!((snapshot.files_done, snapshot.files_total), (110, 111));
            assert_eq!(snapshot.bytes_done, 160 * MB);
            assert_eq!(snapshot.bytes_left, Some(250 * MB));
            let eta = snapshot.eta.expect("an ETA").as_secs_f64();
            assert!((eta - 250.0 / 16.0).abs() < 0.01, "{eta}");
            assert!((snapshot.fraction() - 160.0 / 410.0).abs() < 1e-9);
            let message = snapshot.message();
            assert!(message.contains("110/111 files"), "{message}");
            assert!(message.contains("ETA 16 seconds"), "{message}");
        }
    }

    /// Under `-r`, a link queued as a file of unknown size that turns out to be a
    /// folder leaves the count: it neither stays "to come" nor hides the ETA.
    #[test]
    fn a_link_found_to_be_a_folder_leaves_the_count() {
        let mut totals = Totals::default();
        totals.record(&queued("dir", None), T0);
        totals.record(&queued("a", Some(10 * MB)), T0);
        totals.record(
            &Event::FolderFound {
                url: "dir".into(),
                folder: "dir/".into(),
            },
            T0,
        );
        totals.record(&started(1, "a", Some(10 * MB)), T0);
        totals.record(&Event::Progress { id: 1, bytes: MB }, T0);
        let snapshot = totals.snapshot(Duration::from_secs(2));
        assert_eq!((snapshot.files_done, snapshot.files_total), (0, 1));
        assert_eq!(snapshot.bytes_left, Some(9 * MB));
        assert!(snapshot.eta.is_some());
    }

    #[test]
    fn the_rate_counts_from_the_first_transfer_and_the_eta_waits_for_it_to_settle() {
        let mut totals = Totals::default();
        totals.record(&queued("a", Some(100 * MB)), Duration::from_secs(5));
        // The listing took 5 s; the file starts then.
        totals.record(&started(1, "a", Some(100 * MB)), Duration::from_secs(5));
        totals.record(
            &Event::Progress {
                id: 1,
                bytes: MB / 10,
            },
            Duration::from_millis(5_100),
        );
        let early = totals.snapshot(Duration::from_millis(5_100));
        assert_eq!(early.eta, None, "{early:?}");
        totals.record(
            &Event::Progress {
                id: 1,
                bytes: 20 * MB,
            },
            Duration::from_secs(7),
        );
        let snapshot = totals.snapshot(Duration::from_secs(7));
        // 20 MB in the 2 s since the start: 10 MB/s, 80 MB left.
        assert!(
            (snapshot.rate - 10.0 * MB as f64).abs() < 1.0,
            "{snapshot:?}"
        );
        assert_eq!(snapshot.eta, Some(Duration::from_secs(8)));
    }

    #[test]
    fn files_not_started_count_with_their_listed_sizes() {
        let mut totals = Totals::default();
        totals.record(&queued("a", Some(10 * MB)), T0);
        totals.record(&queued("b", Some(90 * MB)), T0);
        totals.record(&started(1, "a", Some(10 * MB)), T0);
        totals.record(&downloaded(1, "a", 10 * MB), T0);
        let snapshot = totals.snapshot(Duration::from_secs(1));
        // b has not started: its 90 MB are still to come.
        assert_eq!(snapshot.bytes_left, Some(90 * MB));
        assert_eq!(snapshot.eta, Some(Duration::from_secs(9)));
        assert!((snapshot.fraction() - 0.1).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_size_gives_bytes_and_rate_but_no_made_up_eta() {
        let mut totals = Totals::default();
        totals.record(&queued("a", Some(MB)), T0);
        totals.record(&queued("chunked", None), T0);
        totals.record(&queued("later", Some(MB)), T0);
        totals.record(&started(1, "a", Some(MB)), T0);
        totals.record(&downloaded(1, "a", MB), T0);
        totals.record(&started(2, "chunked", None), T0);
        totals.record(&Event::Progress { id: 2, bytes: MB }, T0);
        let snapshot = totals.snapshot(Duration::from_secs(2));
        assert_eq!(snapshot.bytes_done, 2 * MB);
        assert_eq!(snapshot.bytes_left, None);
        assert_eq!(snapshot.eta, None);
        // The bar falls back to files: 1 of 3.
        assert!((snapshot.fraction() - 1.0 / 3.0).abs() < 1e-9);
        let message = snapshot.message();
        assert!(!message.contains("ETA"), "{message}");
        assert!(message.contains("1/3 files"), "{message}");

        // Once the unknown one is done, the rest is known again.
        totals.record(&downloaded(2, "chunked", 3 * MB), T0);
        let snapshot = totals.snapshot(Duration::from_secs(3));
        assert_eq!(snapshot.bytes_done, 4 * MB);
        assert_eq!(snapshot.bytes_left, Some(MB));
        assert!(snapshot.eta.is_some());
    }

    #[test]
    fn files_that_end_without_bytes_leave_the_totals() {
        let mut totals = Totals::default();
        for url in ["same", "failed", "skipped", "filtered"] {
            totals.record(&queued(url, Some(100 * MB)), T0);
        }
        totals.record(&queued("left", Some(MB)), T0);
        // Up to date by the listing: no transfer at all.
        totals.record(
            &Event::UpToDate {
                id: None,
                url: "same".into(),
                path: "same".into(),
            },
            T0,
        );
        totals.record(&started(1, "failed", Some(100 * MB)), T0);
        totals.record(
            &Event::Progress {
                id: 1,
                bytes: 10 * MB,
            },
            T0,
        );
        totals.record(
            &Event::Failed {
                id: Some(1),
                url: "failed".into(),
                path: "failed".into(),
                error: "server answered 500".into(),
            },
            T0,
        );
        totals.record(
            &Event::Skipped {
                link: "skipped".into(),
                url: "skipped".into(),
                reason: fetchall::SkipReason::Collision("x".into()),
            },
            T0,
        );
        totals.record(&started(2, "filtered", Some(100 * MB)), T0);
        totals.record(
            &Event::Skipped {
                link: "filtered".into(),
                url: "filtered".into(),
                reason: fetchall::SkipReason::Filtered("too large".into()),
            },
            T0,
        );
        // A skipped link that was never queued does not count as a file.
        totals.record(
            &Event::Skipped {
                link: "../".into(),
                url: "parent".into(),
                reason: fetchall::SkipReason::ParentDirectory,
            },
            T0,
        );
        let snapshot = totals.snapshot(Duration::from_secs(1));
        assert_eq!((snapshot.files_done, snapshot.files_total), (4, 5));
        assert_eq!(snapshot.bytes_left, Some(MB));
        assert_eq!(snapshot.bytes_done, 10 * MB);
    }
}
