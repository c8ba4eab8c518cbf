//! WebDAV folders, fetched whole (`--webdav`): each folder is asked with one
//! `PROPFIND` with `Depth: 1`, whose `207 Multi-Status` answer names every entry
//! with its exact size, time and ETag. Files become links with that size and time
//! (so a re-run asks no file), collections folder links ending in `/`, and the
//! folder's own entry is left out. The links go the way of an object-store
//! folder's: read already, in [`Page::listed`].
//!
//! Asked only when the user says so: a server that speaks no WebDAV answers a
//! `PROPFIND` with 405 or 501, which is then the folder's failure, named.

use std::time::Duration;

use percent_encoding::percent_decode_str;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::PageError;
use crate::http::client::HttpClient;
use crate::listing::fetch::with_retries;
use crate::listing::formats::webdav::{DavEntry, PROPFIND_BODY, parse_multistatus};
use crate::listing::link::{Link, resolve};
use crate::listing::meta::{ListedSize, ListedTime};
use crate::listing::page::{Page, fetch_answer_once};
use crate::pace::retry::RetryPolicy;

/// What fetchall expects of a `PROPFIND` answer, for the errors that say so.
const EXPECTED_MULTISTATUS: &str = "a WebDAV 207 Multi-Status answer to PROPFIND";

/// Lists the WebDAV folder `url` with `PROPFIND` `Depth: 1`, retried as a page is.
pub(crate) async fn fetch_dav_folder(
    client: &HttpClient,
    url: &Url,
    read_timeout: Duration,
    policy: RetryPolicy,
    retry_refused: bool,
    cancel: &CancellationToken,
) -> Result<Page, PageError> {
    let page = with_retries(policy, retry_refused, cancel, || {
        fetch_answer_once(client, propfind(client, url, "1"), url, read_timeout)
    })
    .await?;
    read_dav_page(page)
}

/// Whether `url` is a WebDAV folder (a collection), asked once with `PROPFIND`
/// `Depth: 0`; `None` when the answer says neither (an error, no multistatus).
/// A start URL without a final `/` is told from a file this way: WebDAV servers
/// (`rclone serve webdav`) may refuse GET and HEAD on a folder.
pub(crate) async fn is_dav_folder(
    client: &HttpClient,
    url: &Url,
    read_timeout: Duration,
) -> Option<bool> {
    let page = fetch_answer_once(client, propfind(client, url, "0"), url, read_timeout)
        .await
        .ok()?;
    let entries = parse_multistatus(&page.text).ok()?;
    entries.first().map(|entry| entry.is_folder)
}

/// A `PROPFIND` of `url` with `depth`, asking for the properties fetchall uses.
fn propfind(client: &HttpClient, url: &Url, depth: &'static str) -> reqwest::RequestBuilder {
    client
        .request(propfind_method(), url.clone())
        .header("Depth", depth)
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )
        .body(PROPFIND_BODY)
}

/// The `PROPFIND` method (a valid token: building it cannot fail).
fn propfind_method() -> Method {
    Method::from_bytes(b"PROPFIND").unwrap_or(Method::GET)
}

/// The answer's entries as links of the folder it was served for; an answer that
/// is no multi-status is an error naming why, never an empty folder.
fn read_dav_page(mut page: Page) -> Result<Page, PageError> {
    let entries = parse_multistatus(&page.text)
        .map_err(|error| page.not_a_listing(error, EXPECTED_MULTISTATUS))?;
    let folder = as_folder(&page.url);
    let links = dav_links(&folder, entries);
    page.url = folder;
    page.text = String::new();
    page.is_json = false;
    page.listed = Some(links);
    Ok(page)
}

/// `url` with a path ending in `/`: a collection's entries resolve under it.
fn as_folder(url: &Url) -> Url {
    let mut folder = url.clone();
    if !folder.path().ends_with('/') {
        let path = format!("{}/", folder.path());
        folder.set_path(&path);
    }
    folder.set_query(None);
    folder.set_fragment(None);
    folder
}

/// The entries of `folder` as links: its own entry left out, collections as
/// folder links (ending in `/`), files with their exact size and time.
fn dav_links(folder: &Url, entries: Vec<DavEntry>) -> Vec<Link> {
    let own = decoded_path(folder);
    let mut links = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut url = resolve(folder, &entry.href);
        if let Ok(resolved) = &mut url {
            resolved.set_fragment(None);
            if entry.is_folder && !resolved.path().ends_with('/') {
                let path = format!("{}/", resolved.path());
                resolved.set_path(&path);
            }
            if decoded_path(resolved) == own {
                continue;
            }
        }
        let (size, modified) = if entry.is_folder {
            (None, None)
        } else {
            (
                entry.size.map(ListedSize::exact),
                entry.modified.map(ListedTime::exact),
            )
        };
        links.push(Link {
            href: url
                .as_ref()
                .map_or_else(|_| entry.href.clone(), Url::to_string),
            url,
            size,
            modified,
            local_modified: None,
        });
    }
    links
}

/// A URL's path with its escapes undone and a trailing `/` ensured: servers
/// escape the same name differently (`%7E` or `~`).
fn decoded_path(url: &Url) -> String {
    let mut path = percent_decode_str(url.path())
        .decode_utf8_lossy()
        .into_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(href: &str, is_folder: bool, size: Option<u64>) -> DavEntry {
        DavEntry {
            href: href.to_string(),
            is_folder,
            size,
            modified: None,
            etag: None,
        }
    }

    #[test]
    fn the_folder_itself_is_left_out_and_collections_end_in_a_slash() {
        let folder = Url::parse("http://127.0.0.1:1/pub/a%20b/").unwrap();
        let links = dav_links(
            &folder,
            vec![
                entry("/pub/a b", true, None),
                entry("/pub/a%20b/sub", true, None),
                entry("/pub/a%20b/x%23y%25.txt", false, Some(3)),
                entry("http://127.0.0.1:1/pub/a%20b/%C3%A9.bin", false, Some(0)),
            ],
        );
        let urls: Vec<String> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:1/pub/a%20b/sub/",
                "http://127.0.0.1:1/pub/a%20b/x%23y%25.txt",
                "http://127.0.0.1:1/pub/a%20b/%C3%A9.bin",
            ]
        );
        assert_eq!(links[0].size, None);
        assert_eq!(links[1].size, Some(ListedSize::exact(3)));
        assert_eq!(links[2].size, Some(ListedSize::exact(0)));
    }

    #[test]
    fn an_unreadable_answer_is_an_error_not_an_empty_folder() {
        let page = Page {
            url: Url::parse("http://127.0.0.1:1/pub/").unwrap(),
            text: "<html>not dav</html>".to_string(),
            is_json: false,
            content_type: Some("text/html".to_string()),
            bucket: None,
            listed: None,
        };
        let error = read_dav_page(page).unwrap_err().to_string();
        assert!(error.contains("Multi-Status"), "{error}");
    }
}
