//! Asking a server what is at a URL without fetching its body: the one HEAD probe,
//! used to tell a start URL's kind (page or file) and, in a dry run, a file's size.

use std::time::Duration;

use reqwest::header::ACCEPT_ENCODING;
use url::Url;

use crate::error::TransferError;
use crate::http::client::HttpClient;

/// Asks `url` with HEAD; when `get_decides` says its answer does not settle the
/// question (a HEAD the server refuses with 405 or 501, a HEAD-only 403 of a URL
/// signed for GET, a status that may pass), asks again with the GET a real
/// transfer sends, whose body is never read: dropping the answer closes its
/// connection. Returns the last answer, whatever its status.
///
/// Both ask for the `identity` encoding, as a transfer does, so that a length is
/// the file's own.
pub(crate) async fn head_then_get(
    client: &HttpClient,
    url: &Url,
    timeout: Duration,
    get_decides: impl Fn(&reqwest::Response) -> bool,
) -> Result<reqwest::Response, TransferError> {
    let head = client.head(url.clone()).header(ACCEPT_ENCODING, "identity");
    let response = send_within(client, head, timeout).await?;
    if !get_decides(&response) {
        return Ok(response);
    }
    let get = client.get(url.clone()).header(ACCEPT_ENCODING, "identity");
    send_within(client, get, timeout).await
}

/// Sends one request of a probe, within the read timeout.
async fn send_within(
    client: &HttpClient,
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<reqwest::Response, TransferError> {
    match tokio::time::timeout(timeout, client.send(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) if error.is_timeout() && !error.is_connect() => {
            Err(TransferError::ReadTimeout(timeout))
        }
        Ok(Err(error)) => Err(TransferError::Request(error)),
        Err(_) => Err(TransferError::ReadTimeout(timeout)),
    }
}
