//! Every line fetchall writes: one place that knows what a failed write means.
//!
//! A line that cannot be written to stdout is never ignored: a plan written to a
//! full disk, or JSON events read by a program that has gone, would otherwise be
//! lost while the run goes on and exits 0. The first failure stops the run the way
//! Ctrl-C does (through its `CancellationToken`: partial files keep their hidden
//! names, the lock is released) and nothing more is written; the exit code says
//! why ([`Output::exit`]). A failed write to stderr has no one to tell: it is
//! dropped, never a panic.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use fetchall::CancellationToken;

use crate::Exit;

/// Where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// stdout and stderr, shared by the reporters of one run.
pub struct Output {
    cancel: CancellationToken,
    /// The first write to stdout that failed. Also the lock that keeps lines of
    /// concurrent transfers from interleaving.
    failure: Mutex<Option<io::ErrorKind>>,
}

impl Output {
    /// Output for a run that `cancel` stops.
    pub fn new(cancel: CancellationToken) -> Self {
        Output {
            cancel,
            failure: Mutex::new(None),
        }
    }

    /// Output for a command with no run to stop.
    pub fn standalone() -> Self {
        Output::new(CancellationToken::new())
    }

    /// Writes `text` and a newline on `stream`, unless stdout has already failed.
    pub fn line(&self, stream: Stream, text: &str) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if failure.is_some() {
            // The reader is gone or the disk is full: nothing more, on either stream.
            return;
        }
        match stream {
            Stream::Stdout => {
                let mut stdout = io::stdout().lock();
                let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
                if let Err(error) = written {
                    *failure = Some(error.kind());
                    if error.kind() != io::ErrorKind::BrokenPipe {
                        stderr_line(format_args!("error: cannot write to stdout: {error}"));
                    }
                    self.cancel.cancel();
                }
            }
            Stream::Stderr => stderr_line(format_args!("{text}")),
        }
    }

    /// Writes `bytes` as they are on stdout (a man page, a completion script).
    pub fn bytes(&self, bytes: &[u8]) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if failure.is_some() {
            return;
        }
        let mut stdout = io::stdout().lock();
        if let Err(error) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
            *failure = Some(error.kind());
            if error.kind() != io::ErrorKind::BrokenPipe {
                stderr_line(format_args!("error: cannot write to stdout: {error}"));
            }
            self.cancel.cancel();
        }
    }

    /// The exit code a failed write to stdout calls for, if one failed: 141 when
    /// the reader is gone (what a shell shows for a program killed by SIGPIPE),
    /// else [`Exit::OutputFailed`] (the reason was said on stderr).
    pub fn exit(&self) -> Option<Exit> {
        let failure = *self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        failure.map(|kind| match kind {
            io::ErrorKind::BrokenPipe => Exit::BrokenPipe,
            _ => Exit::OutputFailed,
        })
    }
}

/// One line on stderr, dropped if stderr cannot take it (`eprintln!` would panic).
pub fn stderr_line(text: std::fmt::Arguments) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}
