//! The run's log: every event of a run goes to its [`Reporter`], and an event that
//! ends a link, a file or a page is counted in the [`Summary`] by the same call, so
//! a count can never be forgotten beside its event (or its event beside a count).

use std::sync::{Arc, Mutex, PoisonError};

use crate::event::{Event, Reporter, SkipReason, Summary, TransferId};

/// Reports the events of one run and keeps its totals.
///
/// A poisoned lock (a panic elsewhere while counting) is recovered, never treated
/// as empty: the counts are what the exit code is made from.
pub(crate) struct RunLog {
    reporter: Arc<dyn Reporter>,
    summary: Mutex<Summary>,
}

impl RunLog {
    /// A log that reports to `reporter`, with every total at zero.
    pub(crate) fn new(reporter: Arc<dyn Reporter>) -> Self {
        RunLog {
            reporter,
            summary: Mutex::new(Summary::default()),
        }
    }

    /// Reports an event that counts nothing (progress, a page listed, a file queued).
    pub(crate) fn report(&self, event: Event) {
        self.reporter.report(&event);
    }

    /// Counts an event in the summary with `count`, then reports it.
    pub(crate) fn record(&self, event: Event, count: impl FnOnce(&mut Summary)) {
        count(&mut self.summary.lock().unwrap_or_else(PoisonError::into_inner));
        self.reporter.report(&event);
    }

    /// A link not downloaded: counted as skipped (and a symlink loop as one too).
    pub(crate) fn skipped(&self, link: String, url: String, reason: SkipReason) {
        let is_loop = reason == SkipReason::Loop;
        self.record(Event::Skipped { link, url, reason }, |summary| {
            summary.skipped += 1;
            if is_loop {
                summary.loops_skipped += 1;
            }
        });
    }

    /// A file the disk already holds as the server has it.
    pub(crate) fn up_to_date(&self, id: Option<TransferId>, url: String, path: String) {
        self.record(Event::UpToDate { id, url, path }, |summary| {
            summary.up_to_date += 1;
        });
    }

    /// Counts a failure, then reports it even if the reporter panics (it is a
    /// panic being reported): the count is what the exit code is made from.
    pub(crate) fn record_failure_guarded(&self, event: Event) {
        self.summary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failed += 1;
        let reporter = &self.reporter;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reporter.report(&event);
        }));
    }

    /// The totals so far.
    pub(crate) fn summary(&self) -> Summary {
        // A panic elsewhere must not erase the counts: a poisoned lock still holds them.
        self.summary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NoopReporter;

    #[test]
    fn a_skipped_loop_counts_as_skipped_and_as_a_loop() {
        let log = RunLog::new(Arc::new(NoopReporter));
        log.skipped("a/".into(), "http://h/a/".into(), SkipReason::Loop);
        log.skipped("b".into(), "http://h/b".into(), SkipReason::Directory);
        log.up_to_date(None, "http://h/c".into(), "c".into());
        let summary = log.summary();
        assert_eq!(summary.skipped, 2);
        assert_eq!(summary.loops_skipped, 1);
        assert_eq!(summary.up_to_date, 1);
    }
}
