//! One attempt at one file over HTTP: the request (ranged to continue a partial
//! file, conditional when a local file may be current), and what its answer leads
//! to ([`crate::disk::resume::decide`]): append, restart, a whole new body over one
//! connection or several, or nothing to fetch. Retries are
//! [`crate::transfer::retrying`]'s job.

use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, IF_MODIFIED_SINCE};
use tokio_util::sync::CancellationToken;

use crate::disk::part::PartPaths;
use crate::disk::place::{place_part, verify_part};
use crate::disk::resume::{self, Decision, Partial, Segment, Validator, version_change};
use crate::error::{TransferError, redirect_target};
use crate::event::SkipReason;
use crate::http::client::HttpClient;
use crate::listing::meta::ListedTime;
use crate::plan::{LocalFile, Task};
use crate::select::filter::Filters;
use crate::transfer::body::{BodyLimits, BodyPace};
use crate::transfer::headers::{accepts_ranges, content_length, last_modified, suggested_name};
use crate::transfer::segmented::{Split, download_segments, plan_segments};
use crate::transfer::send::{file_request, send_request, with_range};
use crate::transfer::stream::stream_to_part;
use crate::transfer::types::{Attempt, Existing, Outcome, Progress};

/// One attempt at downloading `task.url` to `task.destination`, continuing a partial
/// file left by an earlier attempt when the server allows it (see [`crate::disk::resume`]).
///
/// On failure the partial file is kept for the next attempt if its version is known.
pub(crate) async fn attempt(
    client: &HttpClient,
    task: &Task,
    attempt: Attempt<'_>,
    cancel: &CancellationToken,
    filters: &Filters,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    // A folder on disk where a link without its slash points (`dir`, as mini_httpd
    // links folders), mirrored by an earlier run: under `-r` it is asked like any
    // such link, and read as the folder its answer shows (an answer that is a file
    // fails where it is placed: a folder is never replaced).
    // Only what the planner found to be no regular file is looked at again: the
    // usual file link costs no second lookup.
    let folder_on_disk = task.folder_probe.is_some()
        && task.local == LocalFile::Other
        && std::fs::symlink_metadata(&task.destination).is_ok_and(|meta| meta.is_dir());
    if let Some(outcome) = attempt.settled_on_disk(task, folder_on_disk)? {
        return Ok(outcome);
    }
    let file = FileAttempt::new(client, task, attempt, cancel, filters);
    // Nothing left by an earlier run is read or removed through a refused symlink.
    attempt.folders(task).check()?;
    let mut partial = file.parts.load(&task.url).await;
    // False once the server showed it does not honour ranges for this file.
    let mut split_allowed = true;
    // A split download left by an earlier attempt: every segment continues.
    if let Some(resumed) = partial.take_if(|partial| partial.validator.segments.is_some()) {
        if let Some(outcome) = file.resume_split(resumed, progress).await? {
            return Ok(outcome);
        }
        split_allowed = false;
    }
    // At most three requests: a ranged one, a plain one if the range did not fit,
    // and a plain one if a split showed that the server's ranges cannot be used.
    loop {
        let response = file.send(partial.as_ref()).await?;
        let status = response.status();
        let decision = resume::decide(status, response.headers(), partial.as_ref());
        let named = suggested_name(response.headers());
        // Every way on starts without the partial file: it is used up, or dropped.
        match (decision, partial.take()) {
            (Decision::Restart, _) => file.parts.discard().await,
            (Decision::Complete, Some(partial)) => {
                progress.started(partial.validator.total);
                let complete = file.place_complete(partial).await;
                return complete.map(|outcome| outcome.suggesting(named));
            }
            (Decision::Append, Some(partial)) => {
                let appended = file.append(response, partial, progress).await;
                return appended.map(|outcome| outcome.suggesting(named));
            }
            (Decision::Complete | Decision::Append, None) => {
                return Err(TransferError::Status {
                    status,
                    redirected_to: redirect_target(&task.url, response.url()),
                    retry_after: None,
                });
            }
            (Decision::Fresh, partial) => {
                let whole = file.receive_whole(response, partial, split_allowed, progress);
                match whole.await? {
                    Some(outcome) => return Ok(outcome.suggesting(named)),
                    None => split_allowed = false,
                }
            }
            // Up to date only when it answers the question asked: a 304 to a
            // request that compared nothing would claim a file nobody has.
            (Decision::Other, None) if status == StatusCode::NOT_MODIFIED => {
                return match file.compared_copy() {
                    Some(_) => Ok(Outcome::UpToDate),
                    None => Err(TransferError::UnaskedNotModified),
                };
            }
            (Decision::Other, _) => return Err(unusable(task, &response)),
        }
    }
}

/// What every step of one attempt at one file reads.
struct FileAttempt<'a> {
    client: &'a HttpClient,
    task: &'a Task,
    parts: PartPaths,
    attempt: Attempt<'a>,
    cancel: &'a CancellationToken,
    filters: &'a Filters,
    limits: BodyLimits<'a>,
}

impl<'a> FileAttempt<'a> {
    fn new(
        client: &'a HttpClient,
        task: &'a Task,
        attempt: Attempt<'a>,
        cancel: &'a CancellationToken,
        filters: &'a Filters,
    ) -> FileAttempt<'a> {
        let pace = BodyPace {
            read_timeout: attempt.read_timeout,
            low_speed: client.low_speed(),
            limiter: attempt.limiter,
            cancel,
        };
        FileAttempt {
            client,
            task,
            parts: PartPaths::new(&task.destination),
            attempt,
            cancel,
            filters,
            limits: BodyLimits {
                pace,
                max_size: filters.max_size,
            },
        }
    }

    /// Continues the split download `resumed` left by an earlier attempt. `None`
    /// when the server's ranges cannot be used: the partial file is gone, one
    /// connection starts again.
    async fn resume_split(
        &self,
        resumed: Partial,
        progress: &mut dyn Progress,
    ) -> Result<Option<Outcome>, TransferError> {
        let mut validator = resumed.validator;
        if let Err(reason) = self.filters.check_metadata(validator.total, None) {
            self.parts.discard().await;
            return Ok(Some(Outcome::Filtered(reason)));
        }
        progress.started(validator.total);
        let segments = validator.segments.take().unwrap_or_default();
        self.split(validator, segments, None, progress).await
    }

    /// Sends the request for one attempt: ranged when a partial file can be
    /// continued, conditional when a local file may already be current.
    async fn send(&self, partial: Option<&Partial>) -> Result<reqwest::Response, TransferError> {
        let mut request = file_request(self.client, &self.task.url);
        if let Some(partial) = partial {
            request = with_range(request, partial.offset, None, &partial.validator);
        } else if let Some(modified) = self.compared_copy() {
            request = request.header(IF_MODIFIED_SINCE, httpdate::fmt_http_date(modified));
        }
        send_request(self.client, request, self.attempt.read_timeout, self.cancel).await
    }

    /// The time of the local copy a request without Range asks the server to
    /// compare with (`If-Modified-Since`), if any: only a copy that may be current
    /// is compared, and only then does a 304 mean "keep it".
    fn compared_copy(&self) -> Option<SystemTime> {
        let task = self.task;
        match (self.attempt.existing, task.local) {
            (
                Existing::Compare,
                LocalFile::Present {
                    modified: Some(modified),
                    size,
                },
            )
            // A listing that states another exact size already says the file changed;
            // If-Modified-Since could still answer 304 for a change within the same second.
            if task.listed_size.is_none_or(|listed| listed == size) => Some(modified),
            _ => None,
        }
    }

    /// A partial file the server says is whole (416): verified, then placed.
    async fn place_complete(&self, partial: Partial) -> Result<Outcome, TransferError> {
        let digest = verify_part(&self.parts, self.attempt.checks).await?;
        let bytes = partial.offset;
        place_part(
            &self.parts,
            &partial.validator,
            &self.task.destination,
            bytes,
        )
        .await?;
        Ok(Outcome::Downloaded {
            bytes,
            suggested_name: None,
            transferred: 0,
            digest,
        })
    }

    /// A 206 that continues `partial`: the rest of the body is appended.
    async fn append(
        &self,
        response: reqwest::Response,
        partial: Partial,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, TransferError> {
        // `--max-size` may be new since the partial was started.
        if let Err(reason) = self.filters.check_metadata(partial.validator.total, None) {
            drop(response);
            self.parts.discard().await;
            return Ok(Outcome::Filtered(reason));
        }
        progress.started(partial.validator.total);
        self.stream(response, Some(partial), progress).await
    }

    /// A whole body (200): a folder after all, filtered out, up to date, or received
    /// over one connection or several. `None` when a split showed the server's
    /// ranges cannot be used: the caller asks again, for one connection.
    async fn receive_whole(
        &self,
        response: reqwest::Response,
        partial: Option<Partial>,
        mut split_allowed: bool,
        progress: &mut dyn Progress,
    ) -> Result<Option<Outcome>, TransferError> {
        let task = self.task;
        if let Some(outcome) = self.not_a_file_to_fetch(&response, partial.is_some()) {
            return Ok(Some(outcome));
        }
        if let Some(partial) = partial {
            // A 200 to a ranged request: the server sends it all, from zero. The
            // same version as the partial's means the server ignores Range (for
            // this file at least): splitting it would not work.
            let length = content_length(response.headers());
            if version_change(&partial.validator, response.headers(), length).is_none() {
                split_allowed = false;
            }
            self.parts.discard().await;
        }
        progress.started(content_length(response.headers()));
        if split_allowed
            && let Some((validator, segments)) = split_plan(task, &response, self.attempt)
        {
            return self
                .split(validator, segments, Some(response), progress)
                .await;
        }
        self.stream(response, None, progress).await.map(Some)
    }

    /// The outcome of a whole answer that is not to be received: a folder, a file
    /// the filters leave out, or one already up to date. `None` for a file to fetch.
    fn not_a_file_to_fetch(
        &self,
        response: &reqwest::Response,
        had_partial: bool,
    ) -> Option<Outcome> {
        let task = self.task;
        // `dir` answered by a redirect to `dir/`: a folder linked without its slash.
        if response.url().path().ends_with('/') && !task.url.path().ends_with('/') {
            return Some(match task.folder_probe {
                Some(_) => Outcome::Folder {
                    url: response.url().clone(),
                    redirected: true,
                },
                None => Outcome::Filtered(SkipReason::Directory),
            });
        }
        // `dir` answered by a page (HTML or JSON) without a redirect: maybe a
        // listing; under `-r` the crawler reads it and hands it back if not.
        if task.folder_probe.is_some() && crate::listing::page::states_page_type(response.headers())
        {
            return Some(Outcome::Folder {
                url: task.url.clone(),
                redirected: false,
            });
        }
        // Size and date filters are judged on the answer's headers: no extra request.
        let size = content_length(response.headers());
        let modified = last_modified(response.headers());
        if let Err(reason) = self.filters.check_metadata(size, modified) {
            return Some(Outcome::Filtered(reason));
        }
        if !had_partial
            && self.attempt.existing == Existing::Compare
            && task.local.matches(size, modified.map(ListedTime::exact))
        {
            // Dropping the response closes the body without reading it.
            return Some(Outcome::UpToDate);
        }
        None
    }

    /// Downloads the file in `segments`, the first read from `first` if given (see
    /// [`download_segments`]). `None` when the server's ranges cannot be used and
    /// no whole answer came: the partial file is gone, one connection starts again.
    async fn split(
        &self,
        validator: Validator,
        segments: Vec<Segment>,
        first: Option<reqwest::Response>,
        progress: &mut dyn Progress,
    ) -> Result<Option<Outcome>, TransferError> {
        let split = download_segments(
            self.client,
            self.task,
            &self.parts,
            validator,
            segments,
            first,
            self.attempt,
            self.cancel,
            progress,
        )
        .await?;
        match split {
            Split::Done(outcome) => Ok(Some(outcome)),
            // The server sent the whole file (200, same version) to a range request:
            // that answer is the file, received over this one connection from byte 0
            // (the bytes already on disk are of the same version, but simply written
            // again).
            Split::Single(Some(whole)) => {
                self.parts.discard().await;
                self.stream(whole, None, progress).await.map(Some)
            }
            Split::Single(None) => {
                self.parts.discard().await;
                Ok(None)
            }
        }
    }

    /// Streams a 200 (from byte 0) or a fitting 206 (after `partial`) into place.
    async fn stream(
        &self,
        response: reqwest::Response,
        partial: Option<Partial>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, TransferError> {
        let (task, parts) = (self.task, &self.parts);
        stream_to_part(
            response,
            task,
            parts,
            partial,
            self.attempt,
            self.limits,
            progress,
        )
        .await
    }
}

/// The segments of a full answer worth splitting: large enough, ranges accepted, and
/// a validator (ETag or Last-Modified) so that every range is of the same version.
fn split_plan(
    task: &Task,
    response: &reqwest::Response,
    attempt: Attempt,
) -> Option<(Validator, Vec<Segment>)> {
    if response.status() != StatusCode::OK || !accepts_ranges(response.headers()) {
        return None;
    }
    let total = content_length(response.headers())?;
    let segments = plan_segments(total, attempt.split)?;
    let validator = Validator::from_response(&task.url, response.headers(), Some(total));
    validator.if_range()?;
    Some((validator, segments))
}

/// The error of an answer that is no body to write: an unexpected 206, or the status.
fn unusable(task: &Task, response: &reqwest::Response) -> TransferError {
    let status = response.status();
    if status == StatusCode::PARTIAL_CONTENT {
        return TransferError::UnexpectedPartial {
            content_range: response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("none")
                .to_string(),
        };
    }
    TransferError::Status {
        status,
        redirected_to: redirect_target(&task.url, response.url()),
        retry_after: crate::pace::retry::retry_after(response.headers()),
    }
}
