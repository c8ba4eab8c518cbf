//! One file's transfer, as the run sees it: the transfer's settings made from the
//! run, its progress turned into events, and its outcome reported and counted.

use std::time::{Duration, Instant};

use crate::checksum::BodyDigest;
use crate::engine::checksums::checks_for;
use crate::engine::run::Run;
use crate::error::TransferError;
use crate::event::{Event, SkipReason, TransferId};
use crate::http::redact::error_chain;
use crate::pace::slots::{HostSlots, Slot};
use crate::plan::Task;
use crate::transfer::{self, Outcome};

/// Downloads one file. Its `slot` is given back as soon as the body has arrived,
/// so the next transfer starts while this one's file is synced and renamed; a
/// split file's other connections take theirs from `host_slots`.
pub(crate) async fn transfer_file(run: &Run, mut task: Task, slot: Slot, host_slots: &HostSlots) {
    let checks = match checks_for(run, &task.url) {
        Ok(checks) => checks,
        // Whatever its bytes, one of the two digests says they are wrong: nothing
        // to download.
        Err(conflict) => {
            let event = Event::Failed {
                id: None,
                url: task.url.to_string(),
                path: task.destination.display().to_string(),
                error: conflict.to_string(),
            };
            run.file_failed(&task.url, event);
            return;
        }
    };
    let id = run.next_transfer_id();
    let url = task.url.to_string();
    let path = task.destination.display().to_string();
    let mut progress = ReportedProgress {
        run,
        id,
        url: &url,
        path: &path,
        last_report: None,
        slot: Some(slot),
    };
    let attempt = transfer::Attempt {
        read_timeout: run.options.read_timeout,
        existing: run.options.existing,
        split: run.options.split,
        retry: run.options.retry,
        checks,
        limiter: run.limiter.as_ref(),
        slots: Some(host_slots),
        follow_symlinks: run.options.follow_symlinks,
        small_files: &run.small_files,
        ftp: Some(&run.ftp),
    };
    let result = transfer::download_with_retries(
        &run.client,
        &task,
        attempt,
        run.options.retry,
        &run.pacer,
        &run.cancel,
        &run.options.filters,
        &mut progress,
    )
    .await;
    report_outcome(run, &mut task, &mut progress, result).await;
}

/// Reports how the transfer of `task` ended, and counts it.
async fn report_outcome(
    run: &Run,
    task: &mut Task,
    progress: &mut ReportedProgress<'_>,
    result: Result<Outcome, TransferError>,
) {
    let id = progress.id;
    let url = task.url.to_string();
    let path = task.destination.display().to_string();
    match result {
        Ok(Outcome::Downloaded {
            bytes,
            suggested_name,
            transferred,
            digest,
        }) => {
            let path = match suggested_name.filter(|_| run.options.content_disposition) {
                Some(name) => {
                    // The link's name wins over a suggested one, even a link
                    // read later (`--flat`, another start URL): wait for every
                    // link to claim its path, holding no slot meanwhile.
                    progress.slot = None;
                    // A file, not a folder: the crawl (which waits for every
                    // folder probe) must not wait for this wait.
                    task.folder_probe = None;
                    run.all_claimed.cancelled().await;
                    rename_to_suggested(run, task, &name, path).await
                }
                None => path,
            };
            downloaded(run, id, url, path, bytes, transferred, digest);
        }
        Ok(Outcome::UpToDate) => run.log.up_to_date(Some(id), url, path),
        // Under `-r`: the crawler reads it as a folder (and hands it back as a
        // file if it is no listing after all).
        Ok(Outcome::Folder {
            url: folder,
            redirected,
        }) if task.folder_probe.is_some() => {
            run.log.report(Event::FolderFound {
                url,
                folder: folder.to_string(),
            });
            if let Some(probe) = &task.folder_probe {
                probe.found(folder, redirected, task);
            }
        }
        Ok(Outcome::Folder { .. }) => run.log.skipped(url.clone(), url, SkipReason::Directory),
        Ok(Outcome::Filtered(reason)) => run.log.skipped(url.clone(), url, reason),
        // Not a failure of the file: the user stopped the run (which the
        // summary says, exit 130). Never a silent end of a file otherwise.
        Err(TransferError::Interrupted) if run.cancel.is_cancelled() => {}
        Err(error) => {
            let event = Event::Failed {
                id: Some(id),
                url,
                path,
                error: error_chain(&error),
            };
            run.file_failed(&task.url, event);
        }
    }
}

/// A file is in place: counted with the bytes this run received, and reported.
fn downloaded(
    run: &Run,
    id: TransferId,
    url: String,
    path: String,
    bytes: u64,
    transferred: u64,
    digest: BodyDigest,
) {
    let event = Event::Downloaded {
        id,
        url,
        path,
        bytes,
        verified: digest.verified,
        sha256: digest.sha256,
    };
    run.log.record(event, |summary| {
        summary.downloaded += 1;
        summary.bytes += transferred;
    });
}

/// `--content-disposition`: moves a downloaded file to the name its server
/// suggested, in the same folder, unless another file of the run has that path
/// (then it keeps its link's name). Returns the path it ends up at.
async fn rename_to_suggested(run: &Run, task: &Task, name: &str, path: String) -> String {
    let suggested = task.destination.with_file_name(name);
    if suggested == task.destination || !run.claim(&suggested) {
        return path;
    }
    match tokio::fs::rename(&task.destination, &suggested).await {
        Ok(()) => suggested.display().to_string(),
        Err(_) => path,
    }
}

/// Turns a transfer's progress into events, at most ten a second per transfer, and
/// gives back its slot once the body is in.
struct ReportedProgress<'a> {
    run: &'a Run,
    id: TransferId,
    url: &'a str,
    path: &'a str,
    last_report: Option<Instant>,
    slot: Option<Slot>,
}

impl transfer::Progress for ReportedProgress<'_> {
    fn started(&mut self, size: Option<u64>) {
        self.run.log.report(Event::Started {
            id: self.id,
            url: self.url.to_string(),
            path: self.path.to_string(),
            size,
        });
    }

    fn body_received(&mut self) {
        self.slot = None;
    }

    fn retrying(&mut self, attempt: u32, delay: Duration, error: &TransferError) {
        self.run.log.report(Event::Retrying {
            id: self.id,
            url: self.url.to_string(),
            attempt,
            delay_secs: delay.as_secs_f64(),
            error: error_chain(error),
        });
    }

    fn advanced(&mut self, total: u64) {
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < Duration::from_millis(100))
        {
            return;
        }
        self.last_report = Some(now);
        self.run.log.report(Event::Progress {
            id: self.id,
            bytes: total,
        });
    }
}
