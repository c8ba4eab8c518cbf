//! Looking at a file without fetching it: HEAD, and the GET a real run sends when
//! HEAD does not tell (a server that refuses HEAD, a URL signed for GET only). The
//! GET's body is never read: dropping the answer closes its connection.

use std::time::Duration;

use reqwest::header::ACCEPT_ENCODING;
use url::Url;

use crate::error::TransferError;
use crate::http::client::HttpClient;
use crate::transfer::send::file_request;

/// The answer to HEAD for `url`, or, when `get_if` says that answer does not
/// tell, to the GET a real run sends. Each request is given `read_timeout`.
pub(crate) async fn head_then_get(
    client: &HttpClient,
    url: &Url,
    read_timeout: Duration,
    get_if: impl FnOnce(&reqwest::Response) -> bool,
) -> Result<reqwest::Response, TransferError> {
    // `identity`, as the GET: the size announced is the size of the bytes on disk.
    let head = client.head(url.clone()).header(ACCEPT_ENCODING, "identity");
    let response = send_within(client, head, read_timeout).await?;
    if !get_if(&response) {
        return Ok(response);
    }
    send_within(client, file_request(client, url), read_timeout).await
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
