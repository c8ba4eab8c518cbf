//! Mirrors a listing with a custom [`Reporter`]: one line per finished file with
//! its SHA-256, and a closing tally, using only fetchall's public API.
//!
//! ```sh
//! cargo run --example mirror_with_reporter -- https://host/files/ [OUTPUT_DIR]
//! ```
//!
//! Exits 1 when a file failed, 2 when the run could not start.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;

use fetchall::{CancellationToken, Event, Options, Reporter};

/// Prints each finished file and keeps the failures for the end.
#[derive(Default)]
struct FileLog {
    failures: Mutex<Vec<String>>,
}

impl Reporter for FileLog {
    fn report(&self, event: &Event) {
        match event {
            Event::PageListed { url, files, .. } => println!("listing {url}: {files} files"),
            Event::Downloaded {
                path,
                bytes,
                sha256,
                verified,
                ..
            } => {
                let checked = verified.map(|algorithm| format!(" ({algorithm} verified)"));
                println!(
                    "{} {bytes:>10} {path}{}",
                    sha256.as_deref().unwrap_or("-"),
                    checked.unwrap_or_default()
                );
            }
            Event::UpToDate { path, .. } => println!("{:>75} {path}", "up to date"),
            Event::Failed { url, error, .. } => {
                if let Ok(mut failures) = self.failures.lock() {
                    failures.push(format!("{url}: {error}"));
                }
            }
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    let mut arguments = std::env::args().skip(1);
    let Some(url) = arguments.next() else {
        eprintln!("usage: mirror_with_reporter URL [OUTPUT_DIR]");
        return ExitCode::from(2);
    };
    let mut options = Options::new([url]);
    options.output = arguments.next().map(Into::into);
    options.recursive = true;
    // Ask for the SHA-256 of every file, computed while it streams in.
    options.record_sha256 = true;

    let log = Arc::new(FileLog::default());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(fetchall::mirror(
        &options,
        log.clone(),
        CancellationToken::new(),
    ));
    match result {
        Ok(summary) => {
            let failures = log.failures.lock().map(|f| f.clone()).unwrap_or_default();
            for failure in &failures {
                eprintln!("failed: {failure}");
            }
            println!(
                "{} downloaded, {} up to date, {} failed, {} bytes",
                summary.downloaded, summary.up_to_date, summary.failed, summary.bytes
            );
            if summary.failed > 0 || summary.pages_failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
