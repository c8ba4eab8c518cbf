//! One line per event, for pipes and log files — like the seed program's output.

use std::sync::Arc;

use fetchall::{Event, Reporter};

use super::Verbosity;
use super::text::describe;
use crate::cli::output::Output;

/// Writes plain lines to stdout (errors to stderr).
pub struct PlainReporter {
    verbosity: Verbosity,
    output: Arc<Output>,
}

impl PlainReporter {
    pub fn new(verbosity: Verbosity, output: Arc<Output>) -> Self {
        PlainReporter { verbosity, output }
    }
}

impl Reporter for PlainReporter {
    fn report(&self, event: &Event) {
        if let Some((stream, line)) = describe(event, self.verbosity) {
            self.output.line(stream, &line);
        }
    }
}
