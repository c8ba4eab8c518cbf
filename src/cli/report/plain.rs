//! One line per event, for pipes and log files — like the seed program's output.

use std::io::Write;
use std::sync::Mutex;

use fetchall::{Event, Reporter};

use super::Verbosity;
use super::text::{Stream, describe};

/// Writes plain lines to stdout (errors to stderr).
pub struct PlainReporter {
    verbosity: Verbosity,
    // One lock so lines from concurrent transfers never interleave.
    lock: Mutex<()>,
}

impl PlainReporter {
    pub fn new(verbosity: Verbosity) -> Self {
        PlainReporter {
            verbosity,
            lock: Mutex::new(()),
        }
    }
}

impl Reporter for PlainReporter {
    fn report(&self, event: &Event) {
        let Some((stream, line)) = describe(event, self.verbosity) else {
            return;
        };
        let _guard = self.lock.lock();
        // A closed pipe (`fetchall URL | head`) must not stop the downloads.
        let _ = match stream {
            Stream::Stdout => writeln!(std::io::stdout().lock(), "{line}"),
            Stream::Stderr => writeln!(std::io::stderr().lock(), "{line}"),
        };
    }
}
