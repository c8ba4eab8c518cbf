//! The words used for each event, shared by the plain and the progress-bar reporters.

use fetchall::{Event, Summary};
use indicatif::HumanBytes;

use super::Verbosity;

pub use crate::cli::output::Stream;

/// The line for `event` at this verbosity, if it gets one.
pub fn describe(event: &Event, verbosity: Verbosity) -> Option<(Stream, String)> {
    if let Some(line) = error_line(event) {
        return Some((Stream::Stderr, line));
    }
    progress_line(event, verbosity).map(|line| (Stream::Stdout, line))
}

/// A failure, said on standard error at every verbosity.
fn error_line(event: &Event) -> Option<String> {
    let line = match event {
        Event::PageFailed { url, error } => {
            format!(
                "{} failed to fetch page {url}: {error}",
                console::style("error:").red().bold().for_stderr()
            )
        }
        Event::ChecksumsFailed { url, error } => {
            format!(
                "{} cannot read checksum file {url} (its files are downloaded unverified): {error}",
                console::style("error:").red().bold().for_stderr()
            )
        }
        Event::DeleteHeld { reason, .. } => {
            format!(
                "{} --delete deleted nothing: {reason}",
                console::style("error:").red().bold().for_stderr()
            )
        }
        Event::Failed {
            url, path, error, ..
        } if url.is_empty() => {
            // A file `--delete` could not remove: no URL names it.
            format!(
                "{} {path}: {error}",
                console::style("failed").red().bold().for_stderr()
            )
        }
        Event::Failed {
            url, path, error, ..
        } => {
            format!(
                "{} {url} -> {path}: {error}",
                console::style("failed").red().bold().for_stderr()
            )
        }
        _ => return None,
    };
    Some(line)
}

/// What happened, said on standard output when `verbosity` asks for it.
fn progress_line(event: &Event, verbosity: Verbosity) -> Option<String> {
    let normal = verbosity >= Verbosity::Normal;
    let line = match event {
        Event::PageListed { url, links, files } if normal => {
            format!(
                "found {} in {url} ({})",
                counted(*links as u64, "link"),
                counted(*files as u64, "file")
            )
        }
        Event::FolderFound { url, folder } if normal => {
            format!(
                "{} is a folder: reading {}",
                printable(url),
                printable(folder)
            )
        }
        Event::Skipped { link, reason, .. } if normal => {
            format!("skipped {} ({reason})", printable(link))
        }
        Event::Planned {
            url,
            path,
            size,
            exists,
            ..
        } => {
            let size = size.map_or_else(
                || "size unknown".to_string(),
                |size| HumanBytes(size).to_string(),
            );
            let exists = if *exists { ", exists" } else { "" };
            format!("{url} -> {path} ({size}{exists})")
        }
        Event::Renamed {
            url,
            path,
            taken_by,
        } if normal => format!("renamed {url} -> {path} (the name is taken by {taken_by})"),
        Event::Started { path, size, .. } if verbosity >= Verbosity::Verbose => match size {
            Some(size) => format!("started {path} ({})", HumanBytes(*size)),
            None => format!("started {path}"),
        },
        Event::Retrying {
            url,
            attempt,
            delay_secs,
            error,
            ..
        } if verbosity >= Verbosity::Verbose => {
            format!("retrying {url} in {delay_secs:.1} s (attempt {attempt}): {error}")
        }
        Event::Downloaded {
            path,
            bytes,
            verified,
            ..
        } if normal => {
            let verified = verified
                .map(|algorithm| format!(", {algorithm} {}", console::style("OK").green()))
                .unwrap_or_default();
            format!(
                "downloaded {} -> {path} ({}{verified})",
                file_name(path),
                HumanBytes(*bytes)
            )
        }
        Event::ChecksumsLoaded { url, entries } if normal => {
            format!("checksums: {entries} files listed in {url}")
        }
        Event::UpToDate { path, .. } if normal => format!("up to date {path}"),
        Event::Deleted {
            path,
            folder,
            dry_run,
        } if normal => {
            let verb = if *dry_run { "would delete" } else { "deleted" };
            let kind = if *folder { " (empty folder)" } else { "" };
            format!("{verb} {}{kind}", printable(path))
        }
        Event::Summary(summary) if normal => summary_line(summary),
        _ => return None,
    };
    Some(line)
}

/// `1 file`, `2 files`.
pub fn counted(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The last line of a run: counts, bytes, time and mean rate.
pub fn summary_line(summary: &Summary) -> String {
    let head = if summary.interrupted {
        "interrupted"
    } else {
        "done"
    };
    if summary.planned > 0 {
        return dry_run_summary_line(summary);
    }
    // Folders left out as symlink loops are named: files under them are not fetched.
    let skipped = match summary.loops_skipped {
        0 => summary.skipped.to_string(),
        loops => format!(
            "{} ({} as symlink loops)",
            summary.skipped,
            counted(loops, "folder")
        ),
    };
    // Only a `--delete` run deletes: the count is named when there is one.
    let deleted = match summary.deleted {
        0 => String::new(),
        count => format!(", {count} deleted"),
    };
    format!(
        "{head}: {} downloaded, {} up to date, {skipped} skipped{deleted}, {} failed; {} in {:.1} s ({}/s)",
        summary.downloaded,
        summary.up_to_date,
        summary.failed + summary.pages_failed,
        HumanBytes(summary.bytes),
        summary.elapsed_secs,
        HumanBytes(summary.rate() as u64),
    )
}

/// The last line of a dry run: what would be downloaded, and what a real run would
/// find failing (a missing file, a listing that cannot be read), never left out.
pub fn dry_run_summary_line(summary: &Summary) -> String {
    let head = if summary.interrupted {
        "interrupted"
    } else {
        "done"
    };
    let deleted = match summary.deleted {
        0 => String::new(),
        count => format!(", {count} would be deleted"),
    };
    format!(
        "{head}: {} would be downloaded, {} up to date, {} skipped{deleted}, {} failed (dry run)",
        counted(summary.planned, "file"),
        summary.up_to_date,
        summary.skipped,
        summary.failed + summary.pages_failed,
    )
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A link as written in a page may hold anything, terminal escapes included.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|character| {
            if character.is_control() {
                character.escape_default().collect::<Vec<_>>()
            } else {
                vec![character]
            }
        })
        .collect()
}
