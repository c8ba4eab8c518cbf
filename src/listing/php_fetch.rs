//! Listings drawn by PHP applications, fetched as their own script does:
//! h5ai's folder is asked again with a `POST` for its items (exact sizes and
//! times); when that fails, its fallback table is read as any page.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::http::client::HttpClient;
use crate::listing::fetch::with_retries;
use crate::listing::formats::h5ai::{h5ai_links, items_request};
use crate::listing::page::{Page, fetch_answer_once};
use crate::pace::retry::RetryPolicy;

/// An h5ai folder, asked for its items. The page itself (its fallback table,
/// sizes rounded to the KB, local minutes) when h5ai does not answer with a
/// listing of the folder: never an empty one.
pub(crate) async fn fetch_h5ai_folder(
    client: &HttpClient,
    read_timeout: Duration,
    policy: RetryPolicy,
    cancel: &CancellationToken,
    page: Page,
) -> Page {
    let mut folder = page.url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let body = items_request(&folder);
    let answer = with_retries(policy, true, cancel, || {
        let request = client
            .request(Method::POST, folder.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            )
            .body(body.clone());
        fetch_answer_once(client, request, &folder, read_timeout)
    })
    .await;
    let Ok(answer) = answer else { return page };
    match h5ai_links(&answer.text, &folder) {
        Ok(links) => Page {
            url: folder,
            text: String::new(),
            is_json: false,
            content_type: answer.content_type,
            listed: Some(links),
            bucket: None,
        },
        Err(_) => page,
    }
}
