//! Progress bars on a terminal: one overall bar (files, bytes, rate, ETA) and one
//! line per active transfer. Events worth a line are printed above the bars.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use fetchall::{Event, Reporter};
use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressStyle};

use super::Verbosity;
use super::text::describe;

/// Draws bars on stderr.
pub struct BarsReporter {
    verbosity: Verbosity,
    bars: MultiProgress,
    overall: ProgressBar,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    transfers: HashMap<u64, ProgressBar>,
    bytes: u64,
    progress: HashMap<u64, u64>,
}

impl BarsReporter {
    pub fn new(verbosity: Verbosity) -> Self {
        let bars = MultiProgress::new();
        let overall = bars.add(ProgressBar::new(0));
        overall.set_style(style(
            "{spinner:.green} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} files  {msg}  ETA {eta}",
        ));
        overall.enable_steady_tick(Duration::from_millis(120));
        BarsReporter {
            verbosity,
            bars,
            overall,
            state: Mutex::new(State::default()),
        }
    }

    fn println(&self, line: &str) {
        let _ = self.bars.println(line);
    }

    fn update_bytes(&self, state: &State) {
        let rate = self.overall.elapsed().as_secs_f64();
        let rate = if rate > 0.0 {
            (state.bytes as f64 / rate) as u64
        } else {
            0
        };
        self.overall.set_message(format!(
            "{}  {}/s",
            HumanBytes(state.bytes),
            HumanBytes(rate)
        ));
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
        match event {
            Event::PageListed { files, .. } => self.overall.inc_length(*files as u64),
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
            }
            Event::Progress { id, bytes } => {
                if let Some(bar) = state.transfers.get(id) {
                    bar.set_position(*bytes);
                }
                let previous = state.progress.insert(*id, *bytes).unwrap_or(0);
                state.bytes += bytes.saturating_sub(previous);
                self.update_bytes(&state);
            }
            Event::Downloaded { id, bytes, .. } => {
                let previous = state.progress.remove(id).unwrap_or(0);
                state.bytes += bytes.saturating_sub(previous);
                self.update_bytes(&state);
                self.finish(&mut state, Some(*id));
            }
            Event::UpToDate { id, .. } | Event::Failed { id, .. } => {
                if let Some(id) = id {
                    state.progress.remove(id);
                }
                self.finish(&mut state, *id);
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
                    println!("{line}");
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
        self.overall.inc(1);
        if let Some(bar) = id.and_then(|id| state.transfers.remove(&id)) {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
    }
}
