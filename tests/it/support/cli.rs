//! Running the `fetchall` binary from a test.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs the binary in `dir` with `defaults` then `args` (stdin empty), killing it
/// if it has not ended within a minute: `None` then, and the test fails instead
/// of hanging the suite.
pub fn run_within_a_minute(dir: &Path, defaults: &[&str], args: &[&str]) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(defaults)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetchall");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if child.try_wait().expect("status").is_some() {
            return Some(child.wait_with_output().expect("output"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
