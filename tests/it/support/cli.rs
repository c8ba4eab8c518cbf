//! Running the `fetchall` binary from a test.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in `dir` with `defaults` then `args`, and waits for it.
pub fn run(dir: &Path, defaults: &[&str], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(defaults)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run fetchall")
}

/// Output bytes as text, for assertions and failure messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
