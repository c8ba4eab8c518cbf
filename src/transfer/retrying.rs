//! A file with retries: attempts ([`crate::transfer::attempt`]) until one ends
//! well or the retry policy ([`crate::pace::retry`]) says stop. Every retry
//! continues the partial file of the failed attempt, so a connection that drops at
//! 90 % costs 10 %.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::disk::part::PartPaths;
use crate::error::TransferError;
use crate::http::client::HttpClient;
use crate::pace::retry::{HostPacer, RetryPolicy, RetryState, gave_up, slows_host};
use crate::plan::Task;
use crate::select::filter::Filters;
use crate::transfer::types::{Attempt, Existing, Outcome, Progress};
use crate::transfer::{attempt, ftp};

/// Downloads `task` with retries: the whole of what a transfer does.
///
/// The final error of a file that was tried more than once is
/// [`TransferError::GaveUp`], which carries the attempt count and the last error.
#[expect(
    clippy::too_many_arguments,
    reason = "each is a separate concern of the engine; a struct would only rename them"
)]
pub async fn download_with_retries(
    client: &HttpClient,
    task: &Task,
    attempt: Attempt<'_>,
    policy: RetryPolicy,
    pacer: &HostPacer,
    cancel: &CancellationToken,
    filters: &Filters,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    if attempt.existing == Existing::Replace {
        // `--force`: bytes kept from an earlier run are not trusted either.
        PartPaths::new(&task.destination).discard().await;
    }
    let host = task.url.host_str().unwrap_or_default();
    let mut progress = StartedOnce {
        inner: progress,
        started: false,
        total: 0,
    };
    let mut retry = RetryState::new(policy);
    loop {
        pacer.wait(host, cancel).await?;
        let total_before = progress.total;
        let tried = match attempt.ftp.filter(|_| crate::ftp::is_ftp(&task.url)) {
            Some(sessions) => {
                let tried = ftp::attempt(sessions, task, attempt, cancel, filters, &mut progress);
                tried.await
            }
            None => {
                let tried = attempt::attempt(client, task, attempt, cancel, filters, &mut progress);
                tried.await
            }
        };
        let error = match tried {
            Ok(outcome) => return Ok(outcome),
            Err(error) => error,
        };
        if !retry.may_retry(&error, progress.total.saturating_sub(total_before)) {
            return Err(gave_up(retry.attempts(), error));
        }
        let delay = retry.wait(&error);
        if slows_host(&error) {
            pacer.slow_down(host, delay);
        }
        progress.inner.retrying(retry.attempts() + 1, delay, &error);
        tokio::select! {
            () = cancel.cancelled() => return Err(TransferError::Interrupted),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// Passes progress on, but reports the start of a transfer once however many
/// attempts it takes.
struct StartedOnce<'a> {
    inner: &'a mut dyn Progress,
    started: bool,
    /// Bytes of the file on disk, as last reported.
    total: u64,
}

impl Progress for StartedOnce<'_> {
    fn started(&mut self, size: Option<u64>) {
        if !self.started {
            self.started = true;
            self.inner.started(size);
        }
    }

    fn advanced(&mut self, total: u64) {
        self.total = total;
        self.inner.advanced(total);
    }

    fn retrying(&mut self, attempt: u32, delay: Duration, error: &TransferError) {
        self.inner.retrying(attempt, delay, error);
    }

    fn body_received(&mut self) {
        self.inner.body_received();
    }
}
