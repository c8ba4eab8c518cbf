//! The hand-over from the writer thread to the batch thread, and when a pass starts.
//!
//! Each pass costs a flush of the whole file system (`syncfs`), paid in the
//! process's own CPU time. Files that trickle in (one every few ms from a server
//! 50 ms away) got a pass for every two or three when passes came 2 ms apart: 382
//! flushes for 1,000 files (169 now). While the run is still sending files a pass waits for
//! company ([`PASS_GAP`]), or starts at once when [`FULL_PASS`] files wait; once the
//! run has sent its last file ([`Handoff::finish`]), passes come as close as
//! [`LAST_PASS_GAP`] again, so the end of a run never waits for company that is
//! not coming. A transfer gives its connection back once its body is queued, so
//! the wait delays only the report of a file, never the next request.
//!
//! The writer wakes the batch thread only when that matters — the first file after
//! a quiet spell, a full pass, the end — not for every file: a thread woken for
//! each file cost more than the files' writing.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Small files received and not yet renamed, at most: their bodies (until
/// written, at most 64 KiB each: 16 MiB) and open hidden files are bounded by it.
///
/// On a journaled disk the batch thread is what limits a mirror of tiny files
/// (each `syncfs` waits for a journal commit, ~2 ms): the more files may wait,
/// the larger a batch and the fewer the flushes. Measured on 20,000 tiny files
/// into a fresh ext4: 64 gave ~770 flushes and 3.96 s, 256 gave ~530 and 3.50 s,
/// 512 no better.
pub(crate) const WAITING: usize = 256;

/// Files in one pass, at most.
pub(crate) const MAX_BATCH: usize = WAITING;

/// Passes start no closer than this while the run is still sending files.
pub(crate) const PASS_GAP: Duration = Duration::from_millis(20);

/// Passes start no closer than this once the run has sent its last file: a file
/// arriving just after a pass waits at most this long for others to share the next.
pub(crate) const LAST_PASS_GAP: Duration = Duration::from_millis(2);

/// How long, once the run has sent its last file, renamed files whose names are
/// not durable yet wait for another file before they are flushed alone (before
/// that, [`PASS_GAP`]): a file arriving meanwhile carries them in its own pass.
pub(crate) const IDLE_FLUSH: Duration = Duration::from_millis(2);

/// Files waiting that start a pass before its gap is out: half of [`WAITING`], so
/// the other half can be written while this half is flushed.
pub(crate) const FULL_PASS: usize = WAITING / 2;

/// What the batch thread does next.
pub(crate) enum Pass<T> {
    /// A pass for these files (and any names waiting).
    Files(Vec<T>),
    /// A pass for the names waiting alone: no file came to carry them.
    NamesOnly,
    /// The writer has stopped and nothing is left.
    Done,
}

/// The files written and waiting for the batch thread.
pub(crate) struct Handoff<T> {
    state: Mutex<Handed<T>>,
    changed: Condvar,
}

struct Handed<T> {
    jobs: Vec<T>,
    /// The batch thread waits for a first file: any file wakes it.
    idle: bool,
    /// The run has sent its last file: passes come close again.
    finishing: bool,
    /// The writer has stopped: no file will come.
    closed: bool,
    /// The batch thread has stopped (it never does but by a bug): a file handed
    /// over now is given back.
    gone: bool,
}

impl<T> Default for Handoff<T> {
    fn default() -> Handoff<T> {
        Handoff {
            state: Mutex::new(Handed {
                jobs: Vec::new(),
                idle: false,
                finishing: false,
                closed: false,
                gone: false,
            }),
            changed: Condvar::new(),
        }
    }
}

impl<T> std::fmt::Debug for Handoff<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff").finish_non_exhaustive()
    }
}

impl<T> Handoff<T> {
    fn lock(&self) -> MutexGuard<'_, Handed<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `job` to the batch thread; gives it back if that thread is gone.
    pub(crate) fn hand(&self, job: T) -> Option<T> {
        let mut handed = self.lock();
        if handed.gone {
            return Some(job);
        }
        handed.jobs.push(job);
        if handed.idle || handed.jobs.len() >= FULL_PASS {
            self.changed.notify_one();
        }
        None
    }

    /// The run has sent its last file: the files still coming are not waited for.
    pub(crate) fn finish(&self) {
        self.lock().finishing = true;
        self.changed.notify_one();
    }

    /// The writer has stopped.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_one();
    }

    /// The batch thread has stopped: what waits is given back to the caller.
    pub(crate) fn abandon(&self) -> Vec<T> {
        let mut handed = self.lock();
        handed.gone = true;
        std::mem::take(&mut handed.jobs)
    }

    /// Waits until the next pass is due and says what it is for. `last_pass` is
    /// when the last pass started; `names_waiting`, whether renamed files wait for
    /// a flush to make their names durable.
    pub(crate) fn next_pass(&self, last_pass: Option<Instant>, names_waiting: bool) -> Pass<T> {
        let waiting_since = Instant::now();
        let mut handed = self.lock();
        loop {
            let now = Instant::now();
            let due = if handed.jobs.is_empty() {
                if !names_waiting {
                    if handed.closed {
                        return Pass::Done;
                    }
                    None
                } else {
                    let idle = if handed.finishing {
                        IDLE_FLUSH
                    } else {
                        PASS_GAP
                    };
                    let due = waiting_since + idle;
                    if handed.closed || now >= due {
                        return Pass::NamesOnly;
                    }
                    Some(due)
                }
            } else {
                let gap = if handed.finishing {
                    LAST_PASS_GAP
                } else {
                    PASS_GAP
                };
                let due = last_pass.map_or(now, |last| last + gap);
                if handed.closed || now >= due || handed.jobs.len() >= FULL_PASS {
                    let taken = handed.jobs.len().min(MAX_BATCH);
                    return Pass::Files(handed.jobs.drain(..taken).collect());
                }
                Some(due)
            };
            handed.idle = handed.jobs.is_empty();
            handed = match due {
                None => self
                    .changed
                    .wait(handed)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(due) => {
                    self.changed
                        .wait_timeout(handed, due.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            handed.idle = false;
        }
    }
}
