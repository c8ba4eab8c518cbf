//! Listings drawn by PHP applications, fetched as their own script does:
//! h5ai's folder is asked again with a `POST` for its items (exact sizes and
//! times); when that fails, its fallback table is read as any page. A Directory
//! Lister tree is walked as path-style folders, each asked of the script as
//! `?dir=` (see `listing::formats::dirlister`).

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::error::PageError;
use crate::http::client::HttpClient;
use crate::listing::fetch::fetch_page_with_retries;
use crate::listing::fetch::with_retries;
use crate::listing::formats::dirlister::{
    DirLister, dirlister_links, is_dirlister_page, walks_dir_pages,
};
use crate::listing::formats::h5ai::{h5ai_links, items_request};
use crate::listing::page::{BucketTree, TreeKind};
use crate::listing::page::{Page, fetch_answer_once};
use crate::pace::retry::RetryPolicy;
use url::Url;

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

/// What a Directory Lister page is expected to be, for the errors that say so.
const EXPECTED_DIRLISTER: &str = "a Directory Lister page";

/// A Directory Lister page fetched by its URL (the start page, or a page that
/// links one): read as the folder its `?dir=` names, with the tree it belongs to;
/// one that walks no `?dir=` page is read as any page.
pub(crate) fn read_dirlister_page(page: Page) -> Result<Page, PageError> {
    if !walks_dir_pages(&page.text, &page.url) {
        return Ok(page);
    }
    let lister = DirLister::of_page(&page.url);
    let Some(folder) = lister.folder_of_page(&page.url) else {
        return Err(not_dirlister(
            &page,
            "a `?dir=` with an empty, `.` or `..` segment",
        ));
    };
    Ok(dirlister_folder(page, lister, folder))
}

/// The folder `folder` of the Directory Lister tree of `lister`, asked of its
/// script as `?dir=`; an answer that is no Directory Lister page is an error,
/// never an empty folder.
pub(crate) async fn fetch_dirlister_folder(
    client: &HttpClient,
    read_timeout: Duration,
    (policy, retry_refused): (RetryPolicy, bool),
    cancel: &CancellationToken,
    lister: &DirLister,
    folder: &Url,
) -> Result<Page, PageError> {
    let Some(url) = lister.page_of(folder) else {
        return Err(PageError::NotAListing {
            content_type: "none".to_string(),
            found: format!(
                "{folder} is outside the Directory Lister tree {}",
                lister.root
            ),
            expected: "a folder of the tree",
        });
    };
    let page =
        fetch_page_with_retries(client, &url, read_timeout, policy, retry_refused, cancel).await?;
    if !is_dirlister_page(&page.text) {
        return Err(not_dirlister(&page, "another page"));
    }
    Ok(dirlister_folder(page, lister.clone(), folder.clone()))
}

fn dirlister_folder(page: Page, lister: DirLister, folder: Url) -> Page {
    let links = dirlister_links(&page.text, &page.url, &lister, &folder);
    Page {
        url: folder,
        text: String::new(),
        is_json: false,
        content_type: page.content_type,
        listed: Some(links),
        bucket: Some(BucketTree {
            root: lister.root.clone(),
            kind: TreeKind::DirectoryLister(lister),
        }),
    }
}

fn not_dirlister(page: &Page, found: &str) -> PageError {
    page.not_a_listing(found, EXPECTED_DIRLISTER)
}
