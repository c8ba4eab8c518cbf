//! Reporters: turn the engine's events into progress bars (terminal), plain lines
//! (pipe or file) or JSON lines (`--json`).

mod bars;
mod json;
mod plain;
mod text;
mod tree;

pub use bars::BarsReporter;
pub use json::JsonReporter;
pub use plain::PlainReporter;
pub use tree::TreeReporter;

/// How much a human-facing reporter prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Pages, skips, files done or failed, and the summary.
    Normal,
    /// Also transfer starts.
    Verbose,
}
