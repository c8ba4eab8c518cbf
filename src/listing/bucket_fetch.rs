//! Object-store folders, fetched whole. A bucket (an S3 bucket, an Azure
//! container) is walked as path-style folder URLs under its root
//! (`http://host/bucket/sub/`), so scope, `--level`, local paths and read-once
//! work as for any listing; only how a folder is fetched differs: its key prefix
//! is asked of the store with `delimiter=/`, page after page until a page names no
//! next one, and the objects become file links with their exact size and time,
//! the common prefixes folder links.
//!
//! The tree is recognised from its start page: an answer whose root element is
//! `ListBucketResult` or `EnumerationResults`. Any other XML answer is an error
//! naming what it was, never an empty folder.
//!
//! A copyparty folder (its plain-text or script-drawn answer) is asked again as
//! `?ls` and read from that JSON. Any other answer that is neither HTML nor JSON
//! and holds no link (plain text, say) is an error naming its content type.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::PageError;
use crate::http::client::HttpClient;
use crate::listing::fetch::fetch_page_with_retries;
use crate::listing::formats::bucket::{
    BucketKind, BucketPage, Continuation, bucket_root, folder_prefix, folder_url, listing_url,
    object_url, parse_bucket_listing, sniff_bucket_listing, xml_root,
};
use crate::listing::formats::copyparty::{copyparty_links, is_copyparty_page, json_listing_url};
use crate::listing::formats::dufs::{self, DufsPage, read_dufs_page};
use crate::listing::formats::html::for_each_link;
use crate::listing::formats::squid::{is_squid_ftp_page, squid_links};
use crate::listing::link::Link;
use crate::listing::meta::{ListedSize, ListedTime};
use crate::listing::page::is_page_type;
pub(crate) use crate::listing::page::{BucketTree, Page, TreeKind};
use crate::pace::retry::RetryPolicy;

/// What fetchall reads where it expects a listing, for the errors that say so.
const EXPECTED_LISTING: &str =
    "an HTML or JSON listing, or an S3 ListBucketResult or Azure EnumerationResults";

/// How listing pages are fetched: the client, its patience and retries.
pub(crate) struct PageFetch<'a> {
    pub(crate) client: &'a HttpClient,
    pub(crate) read_timeout: Duration,
    pub(crate) policy: RetryPolicy,
    /// Whether a refused connection is retried (not for a start page).
    pub(crate) retry_refused: bool,
    pub(crate) cancel: &'a CancellationToken,
    /// `--webdav`: folders are listed by `PROPFIND` (see `listing::dav_fetch`).
    pub(crate) webdav: bool,
    /// The run's FTP sessions: `ftp://` and `ftps://` folders are listed there
    /// (see `listing::ftp_fetch`).
    pub(crate) ftp: &'a crate::ftp::FtpSessions,
}

impl PageFetch<'_> {
    async fn page(&self, url: &Url) -> Result<Page, PageError> {
        fetch_page_with_retries(
            self.client,
            url,
            self.read_timeout,
            self.policy,
            self.retry_refused,
            self.cancel,
        )
        .await
    }
}

/// Fetches the listing at `url`. A folder URL under the root of the bucket
/// being walked (`bucket`) is listed whole by the store; otherwise the page is fetched, and when it is an
/// object-store listing, the folder it starts at is listed whole (the user's URL
/// may lack `delimiter=/`, or hold only its first page). A page that is XML but no
/// listing is an error.
pub(crate) async fn fetch_listing(
    fetch: &PageFetch<'_>,
    url: &Url,
    bucket: Option<&BucketTree>,
) -> Result<Page, PageError> {
    if crate::ftp::is_ftp(url) {
        return crate::listing::ftp_fetch::fetch_ftp_folder(
            fetch.ftp,
            url,
            fetch.policy,
            fetch.cancel,
        )
        .await;
    }
    if fetch.webdav {
        return crate::listing::dav_fetch::fetch_dav_folder(
            fetch.client,
            url,
            fetch.read_timeout,
            fetch.policy,
            fetch.retry_refused,
            fetch.cancel,
        )
        .await;
    }
    if let Some(tree) = bucket
        && url.path().ends_with('/')
        && url.query().is_none()
        && folder_prefix(&tree.root, url).is_some()
    {
        return match &tree.kind {
            TreeKind::Store(kind) => fetch_folder(fetch, tree, *kind, url).await,
            TreeKind::DirectoryLister(lister) => {
                let (client, timeout, cancel) = (fetch.client, fetch.read_timeout, fetch.cancel);
                let policy = (fetch.policy, fetch.retry_refused);
                crate::listing::php_fetch::fetch_dirlister_folder(
                    client, timeout, policy, cancel, lister, url,
                )
                .await
            }
        };
    }
    let page = fetch.page(url).await?;
    if let Some(kind) = sniff_bucket_listing(&page.text) {
        let first = read_bucket_page(&page)?;
        let tree = BucketTree {
            root: bucket_root(&page.url, &first),
            kind: TreeKind::Store(kind),
        };
        // `?prefix=sub/` starts at that folder; `?prefix=sub/ab` at `sub/`.
        let prefix = first
            .prefix
            .rfind('/')
            .map_or("", |end| &first.prefix[..=end]);
        let folder = if prefix.is_empty() {
            Some(tree.root.clone())
        } else {
            folder_url(&tree.root, prefix)
        };
        let Some(folder) = folder else {
            return Err(not_a_listing(
                &page,
                format!("a prefix no URL can carry: {prefix:?}"),
            ));
        };
        return fetch_folder(fetch, &tree, kind, &folder).await;
    }
    if is_copyparty_page(&page.text) {
        return fetch_copyparty_folder(fetch, &page).await;
    }
    if crate::listing::formats::dirlister::is_dirlister_page(&page.text) {
        return crate::listing::php_fetch::read_dirlister_page(page);
    }
    if crate::listing::formats::h5ai::is_h5ai_page(&page.text) {
        let (client, timeout, cancel) = (fetch.client, fetch.read_timeout, fetch.cancel);
        let h5ai = crate::listing::php_fetch::fetch_h5ai_folder(
            client,
            timeout,
            fetch.policy,
            cancel,
            page,
        );
        return Ok(h5ai.await);
    }
    if let Some(dufs) = read_dufs_page(&page.text, &page.url) {
        return dufs_folder(fetch, page, dufs).await;
    }
    if is_squid_ftp_page(&page.text) {
        let links = squid_links(&page.text, &page.url);
        return Ok(Page {
            text: String::new(),
            listed: Some(links),
            ..page
        });
    }
    if let Some(root) = xml_root(page.content_type.as_deref(), &page.text)
        && !root.eq_ignore_ascii_case("html")
    {
        return Err(not_a_listing(&page, describe_xml(&root, &page.text)));
    }
    if !is_page_type(page.content_type.as_deref()) && !has_link(&page) {
        // Plain text with no link is no empty folder: its files would be lost
        // without a word (copyparty's text listing was, before it was known).
        return Err(not_a_listing(&page, "no link".to_string()));
    }
    Ok(page)
}

/// Whether the page's text holds at least one link.
fn has_link(page: &Page) -> bool {
    let mut found = false;
    for_each_link(&page.text, &page.url, |_| {
        found = true;
        ControlFlow::Break(())
    });
    found
}

/// A copyparty folder (its script-drawn HTML, or the plain text it answers
/// fetchall with), asked again as `?ls`: JSON with each entry's exact size and
/// time. Its folders end in `/` and are read the same way in turn.
async fn fetch_copyparty_folder(fetch: &PageFetch<'_>, page: &Page) -> Result<Page, PageError> {
    let mut folder = page.url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let json = fetch.page(&json_listing_url(&folder)).await?;
    let links = copyparty_links(&json.text, &folder).map_err(|error| {
        let found = format!("no copyparty `?ls` listing ({error})");
        json.not_a_listing(found, "copyparty's JSON listing")
    })?;
    Ok(Page {
        url: folder,
        text: String::new(),
        is_json: false,
        content_type: json.content_type,
        listed: Some(links),
        bucket: None,
    })
}

/// A dufs folder: its links read from the JSON its page embeds, or, for the
/// script-less table dufs sends curl-like agents, from its `?json` answer.
async fn dufs_folder(
    fetch: &PageFetch<'_>,
    page: Page,
    dufs: Result<DufsPage, String>,
) -> Result<Page, PageError> {
    let mut folder = page.url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let (answer, links) = match dufs {
        Ok(DufsPage::Links(links)) => (page, Ok(links)),
        Ok(DufsPage::NoScript) => {
            let json = fetch.page(&dufs::json_listing_url(&folder)).await?;
            let links = dufs::read_index(&json.text, &folder);
            (json, links)
        }
        Err(error) => (page, Err(error)),
    };
    let links = links.map_err(|error| not_a_listing(&answer, error))?;
    Ok(Page {
        url: folder,
        text: String::new(),
        is_json: false,
        content_type: answer.content_type,
        listed: Some(links),
        bucket: None,
    })
}

/// Lists the folder `folder` of `tree` whole, following each page's next one.
async fn fetch_folder(
    fetch: &PageFetch<'_>,
    tree: &BucketTree,
    kind: BucketKind,
    folder: &Url,
) -> Result<Page, PageError> {
    let Some(prefix) = folder_prefix(&tree.root, folder) else {
        return Err(PageError::NotAListing {
            content_type: "none".to_string(),
            found: format!("{folder} is outside the bucket {}", tree.root),
            expected: "a folder of the bucket",
        });
    };
    let mut links = Vec::new();
    let mut next: Option<Continuation> = None;
    // Every token followed: a store whose tokens come back round (A, B, A…)
    // would be listed for ever, each page kept.
    let mut followed: HashSet<Continuation> = HashSet::new();
    loop {
        let url = listing_url(&tree.root, kind, &prefix, next.as_ref());
        let page = fetch.page(&url).await?;
        let listed = read_bucket_page(&page)?;
        if listed.kind != kind {
            return Err(not_a_listing(
                &page,
                format!("a {:?} listing in a {:?} bucket", listed.kind, kind),
            ));
        }
        add_links(&tree.root, &prefix, &listed, &mut links);
        match listed.next {
            // A store that names the page it just sent, or one before it, would
            // never end.
            Some(following) if followed.contains(&following) => {
                return Err(not_a_listing(
                    &page,
                    format!(
                        "a page whose next page came back round ({following:?} was listed already)"
                    ),
                ));
            }
            Some(following) => {
                followed.insert(following.clone());
                next = Some(following);
            }
            None => break,
        }
    }
    Ok(Page {
        url: folder.clone(),
        text: String::new(),
        is_json: false,
        content_type: None,
        listed: Some(links),
        bucket: Some(tree.clone()),
    })
}

/// The page read as an object-store listing, or an error naming what it is.
fn read_bucket_page(page: &Page) -> Result<BucketPage, PageError> {
    if sniff_bucket_listing(&page.text).is_none() {
        let found = match xml_root(page.content_type.as_deref(), &page.text) {
            Some(root) => describe_xml(&root, &page.text),
            None => "text that is no XML".to_string(),
        };
        return Err(not_a_listing(page, found));
    }
    parse_bucket_listing(&page.text).map_err(|error| not_a_listing(page, error.to_string()))
}

/// The links of one page of the folder `prefix`: objects as files, common
/// prefixes as folders. A key no URL can carry (`a//b`) is kept as a link that
/// does not resolve, so that it is reported, not lost; a folder marker (the
/// empty object `sub/` some consoles create) is no file.
fn add_links(root: &Url, prefix: &str, page: &BucketPage, links: &mut Vec<Link>) {
    for object in &page.objects {
        if object.key == prefix || object.key.ends_with('/') {
            continue;
        }
        let url = object_url(root, &object.key).ok_or(url::ParseError::RelativeUrlWithoutBase);
        links.push(Link {
            href: url
                .as_ref()
                .map_or_else(|_| object.key.clone(), Url::to_string),
            url,
            size: Some(ListedSize::exact(object.size)),
            modified: object.modified.map(ListedTime::exact),
            local_modified: None,
        });
    }
    for folder in &page.prefixes {
        let url = folder_url(root, folder).ok_or(url::ParseError::RelativeUrlWithoutBase);
        links.push(Link {
            href: url.as_ref().map_or_else(|_| folder.clone(), Url::to_string),
            url,
            size: None,
            modified: None,
            local_modified: None,
        });
    }
}

/// What an XML answer is: its root element, and for an S3 or Azure `<Error>` its
/// code and message.
fn describe_xml(root: &str, text: &str) -> String {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find('<')?;
        Some(text[start..start + end].trim().to_string())
    };
    match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("an XML <{root}>: {code}: {message}"),
        (Some(code), None) => format!("an XML <{root}>: {code}"),
        _ => format!("an XML <{root}>"),
    }
}

fn not_a_listing(page: &Page, found: String) -> PageError {
    page.not_a_listing(found, EXPECTED_LISTING)
}
