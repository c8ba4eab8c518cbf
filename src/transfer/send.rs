//! A file's requests: a plain GET for its bytes as they are, a range of them of one
//! version, and sending within the read timeout or until Ctrl-C.

use std::time::Duration;

use reqwest::RequestBuilder;
use reqwest::header::{ACCEPT_ENCODING, IF_RANGE, RANGE};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::disk::resume::Validator;
use crate::error::TransferError;
use crate::http::client::HttpClient;

/// A GET for a file body. `identity`: the bytes on disk must be the bytes on the
/// server, so a `.tar.gz` is never transparently gunzipped.
pub(crate) fn file_request(client: &HttpClient, url: &Url) -> RequestBuilder {
    client.get(url.clone()).header(ACCEPT_ENCODING, "identity")
}

/// Asks for bytes `start..=end` (or `start..` when `end` is `None`) of the version
/// `validator` names: a changed file answers whole (`If-Range`) instead of mixing.
pub(crate) fn with_range(
    request: RequestBuilder,
    start: u64,
    end: Option<u64>,
    validator: &Validator,
) -> RequestBuilder {
    let end = end.map(|end| end.to_string()).unwrap_or_default();
    let request = request.header(RANGE, format!("bytes={start}-{end}"));
    match validator.if_range() {
        Some(if_range) => request.header(IF_RANGE, if_range),
        None => request,
    }
}

/// Sends `request`, giving up on the read timeout or a Ctrl-C.
pub(crate) async fn send_request(
    client: &HttpClient,
    request: RequestBuilder,
    read_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<reqwest::Response, TransferError> {
    cancellable(cancel, read_timeout, client.send(request))
        .await?
        .map_err(|error| request_error(error, read_timeout))
}

/// reqwest's own read timeout fires before ours: say it in the same plain words.
fn request_error(error: reqwest::Error, read_timeout: Duration) -> TransferError {
    if error.is_timeout() && !error.is_connect() {
        TransferError::ReadTimeout(read_timeout)
    } else {
        TransferError::Request(error)
    }
}

/// Awaits `future`, giving up when nothing happens for `idle` or the run is cancelled.
async fn cancellable<T>(
    cancel: &CancellationToken,
    idle: Duration,
    future: impl Future<Output = T>,
) -> Result<T, TransferError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(TransferError::Interrupted),
        result = tokio::time::timeout(idle, future) => {
            result.map_err(|_| TransferError::ReadTimeout(idle))
        }
    }
}
