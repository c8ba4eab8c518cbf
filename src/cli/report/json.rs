//! `--json`: one JSON object per event on stdout, for programs.

use std::sync::Arc;

use fetchall::{Event, Reporter};

use crate::cli::output::{Output, Stream};

/// Writes each event as a JSON line on stdout.
pub struct JsonReporter {
    output: Arc<Output>,
}

impl JsonReporter {
    pub fn new(output: Arc<Output>) -> Self {
        JsonReporter { output }
    }
}

impl Reporter for JsonReporter {
    fn report(&self, event: &Event) {
        let Ok(line) = serde_json::to_string(event) else {
            return;
        };
        self.output.line(Stream::Stdout, &line);
    }
}
