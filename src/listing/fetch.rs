//! A listing page fetched with retries: the page loop over [`fetch_page_once`],
//! on the policy of [`crate::pace::retry`] (which statuses are transient, the
//! backoff and its jitter).

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::PageError;
use crate::error::is_certificate_error;
use crate::http::client::HttpClient;
use crate::listing::page::{Page, fetch_page_once};
use crate::pace::retry::{RetryPolicy, TOO_SLOW_RETRIES, is_transient_status, random_fraction};

/// Fetches a listing page, retrying the failures that [`is_transient`] retries for
/// files (lighttpd, for one, answers 503 while too many listings are being built).
///
/// A refused connection to the *start* page is not retried (`retry_refused` false):
/// as with wget, a mistyped port should fail at once, not after a minute of backoff.
///
/// [`is_transient`]: crate::pace::retry::is_transient
pub async fn fetch_page_with_retries(
    client: &HttpClient,
    url: &Url,
    read_timeout: Duration,
    policy: RetryPolicy,
    retry_refused: bool,
    cancel: &CancellationToken,
) -> Result<Page, PageError> {
    with_retries(policy, retry_refused, cancel, || {
        fetch_page_once(client, url, read_timeout)
    })
    .await
}

/// Runs `attempt` (one request for a listing, of any method) until it succeeds,
/// fails for good, or has been retried `policy.retries` times; see
/// [`fetch_page_with_retries`].
pub(crate) async fn with_retries<F>(
    policy: RetryPolicy,
    retry_refused: bool,
    cancel: &CancellationToken,
    mut attempt: impl FnMut() -> F,
) -> Result<Page, PageError>
where
    F: std::future::Future<Output = Result<Page, PageError>>,
{
    let mut attempts: u32 = 0;
    let mut too_slow: u32 = 0;
    loop {
        attempts += 1;
        let error = match attempt().await {
            Ok(page) => return Ok(page),
            Err(error) => error,
        };
        let transient = match &error {
            // The same certificate would be refused again.
            PageError::Request(error) if is_certificate_error(error) => false,
            PageError::Request(error) if error.is_connect() && !retry_refused => {
                !is_connection_refused(error)
            }
            PageError::Request(error) => !error.is_redirect() && !error.is_builder(),
            PageError::Status { status, .. } => is_transient_status(*status),
            PageError::ReadTimeout(_) => true,
            PageError::Ftp(failure) => failure.transient,
            PageError::TooSlow { .. } => {
                too_slow += 1;
                too_slow <= TOO_SLOW_RETRIES
            }
            PageError::TooLarge { .. }
            | PageError::Decode { .. }
            | PageError::NotAListing { .. } => false,
        };
        if !transient || attempts > policy.retries {
            return Err(error);
        }
        tokio::select! {
            () = cancel.cancelled() => return Err(error),
            () = tokio::time::sleep(policy.backoff(attempts, random_fraction())) => {}
        }
    }
}

/// True when the error's cause chain holds an `ECONNREFUSED`.
fn is_connection_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = cause.source();
    }
    false
}
