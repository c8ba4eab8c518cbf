//! `fetchall verify DIR`: one line per file, like `sha256sum -c`, then a summary.

use std::path::Path;

use fetchall::disk::verify::{Checked, Status, verify_tree};

use crate::Exit;
use crate::cli::output::{Output, Stream};

/// Verifies `dir`, printing `path: OK`, `path: FAILED (…)` or `path: missing`.
pub fn run(dir: &Path, strict: bool, json: bool) -> Exit {
    let output = Output::standalone();
    let print = |checked: &Checked| {
        let line = if json {
            serde_json::to_string(checked).unwrap_or_default()
        } else {
            match &checked.status {
                Status::Ok => format!(
                    "{}: {} ({})",
                    checked.path,
                    console::style("OK").green(),
                    checked.algorithm
                ),
                Status::Failed(why) => {
                    format!(
                        "{}: {} ({why})",
                        checked.path,
                        console::style("FAILED").red().bold()
                    )
                }
                Status::Missing => format!("{}: missing", checked.path),
                Status::Unreadable(why) => format!("{}: FAILED to read ({why})", checked.path),
            }
        };
        output.line(Stream::Stdout, &line);
    };
    let results = match verify_tree(dir, print) {
        Ok(results) => results,
        Err(error) => {
            stderr!("error: cannot verify `{}`", dir.display());
            stderr!("  caused by: {error}");
            return Exit::Usage;
        }
    };
    // A full disk lost lines: a failure. A closed pipe (`| head`) is not: the
    // reader saw what it wanted, and the exit code still says what was found.
    if output.exit() == Some(Exit::OutputFailed) {
        return Exit::OutputFailed;
    }
    let count = |wanted: fn(&Status) -> bool| results.iter().filter(|c| wanted(&c.status)).count();
    let ok = count(|status| *status == Status::Ok);
    let missing = count(|status| *status == Status::Missing);
    let failed = results.len() - ok - missing;
    if !json {
        output.line(
            Stream::Stderr,
            &format!("verified: {ok} OK, {failed} FAILED, {missing} missing"),
        );
    }
    if results.is_empty() {
        // Say what is there: a checksum file that lists nothing usable (an HTML page
        // saved under that name, a dangling link) is not "no checksum file".
        match checksum_files(dir).first() {
            Some(first) => stderr!(
                "error: no file to check in `{}`: its checksum files (`{}`…) hold no checksum line that can be read",
                dir.display(),
                first.display()
            ),
            None => stderr!(
                "error: no checksum file (SHA256SUMS, *.sha256, MD5SUMS...) found in `{}`",
                dir.display()
            ),
        }
        return Exit::SomeFailed;
    }
    if failed > 0 || (strict && missing > 0) {
        Exit::SomeFailed
    } else {
        Exit::Success
    }
}

/// The files under `dir` named like checksum files, in no particular order.
fn checksum_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                pending.push(path);
            } else if fetchall::checksum::sums::is_checksum_file(
                &entry.file_name().to_string_lossy(),
            ) {
                found.push(path);
            }
        }
    }
    found
}
