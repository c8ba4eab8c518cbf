//! `--json`: one JSON object per event on stdout, for programs.

use std::io::Write;
use std::sync::Mutex;

use fetchall::{Event, Reporter};

/// Writes each event as a JSON line on stdout.
pub struct JsonReporter {
    lock: Mutex<()>,
}

impl JsonReporter {
    pub fn new() -> Self {
        JsonReporter {
            lock: Mutex::new(()),
        }
    }
}

impl Reporter for JsonReporter {
    fn report(&self, event: &Event) {
        let Ok(line) = serde_json::to_string(event) else {
            return;
        };
        let _guard = self.lock.lock();
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}
