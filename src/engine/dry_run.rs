//! `--dry-run`: each planned file is asked for its size with HEAD, nothing is
//! written. A file the server will not give (404, 403, a refused certificate, or a
//! failure that outlasts the retries a real run makes) is reported and counted as
//! failed, as the real run would: a dry run must not plan what cannot be fetched.

use url::Url;

use crate::engine::head::head_then_get;
use crate::engine::run::Run;
use crate::error::TransferError;
use crate::event::manifest::rfc3339;
use crate::event::{Event, SkipReason};
use crate::http::redact::error_chain;
use crate::listing::meta::ListedTime;
use crate::pace::retry;
use crate::plan::{LocalFile, Task};
use crate::transfer::{self, Existing};

/// What a dry run's probe learns of a file.
#[derive(Default)]
struct Head {
    size: Option<u64>,
    modified: Option<std::time::SystemTime>,
    /// A link without a slash that answered as a folder: redirected to `…/` (true),
    /// or with a page type (false), as [`transfer::Outcome::Folder`].
    folder: Option<(Url, bool)>,
}

/// Decides what a real run would do with `task`, asking the server only what the
/// listing did not say, and reports it as planned, up to date, skipped or failed.
pub(crate) async fn probe_file(run: &Run, task: Task) {
    // What a real run decides before any request, decided the same way: a folder
    // on disk where a link without its slash points is asked, as the transfer does.
    let folder_on_disk = task.local == LocalFile::Other
        && task.folder_probe.is_some()
        && std::fs::symlink_metadata(&task.destination).is_ok_and(|meta| meta.is_dir());
    if task.local == LocalFile::Other && !folder_on_disk {
        return cannot_replace(run, &task);
    }
    let existing = run.options.existing;
    if (existing == Existing::Keep && task.local.is_kept_by_no_clobber())
        || (existing == Existing::Compare && task.is_up_to_date_by_listing())
    {
        up_to_date(run, &task);
        return;
    }
    let (size, modified, time) = if task.listed_size.is_some() && !folder_on_disk {
        (
            task.listed_size,
            task.listed_modified.map(|time| time.latest),
            task.listed_modified,
        )
    } else {
        let head = match head_with_retries(run, &task.url).await {
            Ok(head) => head,
            Err(TransferError::Interrupted) => return,
            Err(error) => return file_failed(run, &task, error_chain(&error)),
        };
        // A folder linked without its slash, as the transfer would find it.
        match (head.folder, &task.folder_probe) {
            (Some((folder, redirected)), Some(folder_probe)) => {
                folder_probe.found(folder, redirected, &task);
                return;
            }
            (None, _) if folder_on_disk => return cannot_replace(run, &task),
            (Some((_, true)), None) => {
                let url = task.url.to_string();
                run.log.skipped(url.clone(), url, SkipReason::Directory);
                return;
            }
            _ => (
                head.size,
                head.modified,
                head.modified.map(ListedTime::exact),
            ),
        }
    };
    if let Err(reason) = run.options.filters.check_metadata(size, modified) {
        let url = task.url.to_string();
        run.log.skipped(url.clone(), url, reason);
        return;
    }
    // The real run's rule for an answer: the local file has its size and date.
    if existing == Existing::Compare
        && task.listed_size.is_none()
        && task.local.matches(size, modified.map(ListedTime::exact))
    {
        up_to_date(run, &task);
        return;
    }
    let event = Event::Planned {
        url: task.url.to_string(),
        path: task.destination.display().to_string(),
        size,
        exists: task.local != LocalFile::Missing,
        relative_path: task.relative.to_string(),
        // A listing's size is used only when exact; otherwise the HEAD's is.
        size_exact: size.is_some(),
        modified: time.map(|time| rfc3339(time.earliest)),
        modified_latest: time
            .filter(|time| rfc3339(time.earliest) != rfc3339(time.latest))
            .map(|time| rfc3339(time.latest)),
    };
    run.log.record(event, |summary| summary.planned += 1);
}

/// Something that is no regular file is where a file would go.
fn cannot_replace(run: &Run, task: &Task) {
    let error = format!(
        "cannot replace `{}`: it exists and is not a regular file",
        task.destination.display()
    );
    file_failed(run, task, error);
}

/// A file a real run would leave alone as up to date.
fn up_to_date(run: &Run, task: &Task) {
    run.log.up_to_date(
        None,
        task.url.to_string(),
        task.destination.display().to_string(),
    );
}

/// A file a real run would fail on.
fn file_failed(run: &Run, task: &Task, error: String) {
    let event = Event::Failed {
        id: None,
        url: task.url.to_string(),
        path: task.destination.display().to_string(),
        error,
    };
    run.file_failed(&task.url, event);
}

/// [`head`] with the retries (and the waits, `Retry-After` included) a real
/// transfer of the file would make before it gives up.
async fn head_with_retries(run: &Run, url: &Url) -> Result<Head, TransferError> {
    let policy = run.options.retry;
    let host = url.host_str().unwrap_or_default();
    let mut attempts: u32 = 0;
    loop {
        run.pacer.wait(host, &run.cancel).await?;
        attempts += 1;
        let error = tokio::select! {
            () = run.cancel.cancelled() => return Err(TransferError::Interrupted),
            asked = head(run, url) => match asked {
                Ok(found) => return Ok(found),
                Err(error) => error,
            },
        };
        if !retry::is_transient(&error) || attempts > policy.retries {
            return Err(retry::gave_up(attempts, error));
        }
        let delay = retry::delay_after(&error, attempts, policy);
        tokio::select! {
            () = run.cancel.cancelled() => return Err(TransferError::Interrupted),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// The size and modification time of a file, from a HEAD answer; or why a real
/// run would not get the file.
///
/// Only a successful HEAD is trusted. Any other answer (a HEAD the server refuses
/// with 405 or 501, a HEAD-only 403 of a URL signed for GET, a 404) is checked
/// with the GET a real run sends: its status decides.
async fn head(run: &Run, url: &Url) -> Result<Head, TransferError> {
    if crate::ftp::is_ftp(url) {
        // FTP: `SIZE` and `MDTM`, as a real run asks them.
        let (size, modified) = run
            .ftp
            .size_and_time(url)
            .await
            .map_err(TransferError::Ftp)?;
        return Ok(Head {
            size,
            modified,
            folder: None,
        });
    }
    let response = head_then_get(&run.client, url, run.options.read_timeout, |head| {
        !head.status().is_success()
    })
    .await?;
    let status = response.status();
    if !status.is_success() {
        return Err(TransferError::Status {
            status,
            redirected_to: crate::error::redirect_target(url, response.url()),
            retry_after: retry::retry_after(response.headers()),
        });
    }
    let folder = if url.path().ends_with('/') {
        None
    } else if response.url().path().ends_with('/') {
        Some((response.url().clone(), true))
    } else {
        crate::listing::page::states_page_type(response.headers()).then(|| (url.clone(), false))
    };
    Ok(Head {
        size: transfer::content_length(response.headers()),
        modified: transfer::last_modified(response.headers()),
        folder,
    })
}
