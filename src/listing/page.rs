//! Fetching a listing page, once: the only place besides `transfer` that talks
//! HTTP (the retries are [`crate::listing::fetch`]'s). A page may arrive compressed
//! and in any charset; the formats get plain text.

use std::io::Read;
use std::time::Duration;

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap};
use url::Url;

use crate::error::PageError;
use crate::listing::charset::{content_type_charset, decode_text};
use crate::listing::formats::bucket::BucketKind;
use crate::listing::formats::dirlister::DirLister;
use crate::listing::link::Link;
use crate::pace::speed::{self, ChunkError, SpeedMeter};

/// Listings of 50,000 entries are a few megabytes; anything past this is not a listing.
pub const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// A fetched page, ready for link extraction: an HTML or JSON listing, or a
/// checksum file.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL the page was served from, after redirects: links resolve against it.
    pub url: Url,
    /// The decoded text of the page: HTML, JSON or a checksum file.
    pub text: String,
    /// True when the server sent JSON (nginx `autoindex_format json`, Caddy).
    pub is_json: bool,
    /// The `Content-Type` the server sent, if any.
    pub content_type: Option<String>,
    /// The links of a folder read already from another answer than `text`: all
    /// the pages of an object-store folder, copyparty's `?ls` JSON (see
    /// `listing::bucket_fetch`); `text` is not read then.
    pub listed: Option<Vec<Link>>,
    /// The bucket the folder belongs to, when it is an object-store folder.
    pub bucket: Option<BucketTree>,
}

/// A tree whose folders are listed by asking another URL than their own, walked
/// as path-style folders under its root: an object-store bucket (its store is
/// asked for a key prefix), or a Directory Lister script (asked for `?dir=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketTree {
    /// The tree's top folder, path style (`http://host/bucket/`).
    pub root: Url,
    /// What answers for its folders.
    pub kind: TreeKind,
}

/// What lists the folders of a [`BucketTree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeKind {
    /// An S3 or Azure store.
    Store(BucketKind),
    /// A Directory Lister script.
    DirectoryLister(DirLister),
}

impl Page {
    /// Why this answer is not the listing that was `expected`: its content type,
    /// its URL and what it held (`found`). Never an empty folder.
    pub(crate) fn not_a_listing(
        &self,
        found: impl std::fmt::Display,
        expected: &'static str,
    ) -> PageError {
        PageError::NotAListing {
            content_type: self
                .content_type
                .clone()
                .unwrap_or_else(|| "no content type".to_string()),
            found: format!("{} answered {found}", self.url),
            expected,
        }
    }
}

/// Fetches `url` once and returns its text, decompressed and decoded.
pub async fn fetch_page_once(
    client: &crate::http::client::HttpClient,
    url: &Url,
    read_timeout: Duration,
) -> Result<Page, PageError> {
    let request = client
        .get(url.clone())
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8");
    fetch_answer_once(client, request, url, read_timeout).await
}

/// Whether an answer of `status` carries a whole page: 200, 203 (a proxy's copy)
/// or 207 (WebDAV's `PROPFIND`). Any other success would be read as a cut or
/// empty folder — a 206 is part of a page nobody asked part of, a 204 or 205 has
/// no page, a 202 not yet one — and `--delete` would take what it lacks.
fn is_whole_page(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 200 | 203 | 207)
}

/// Sends `request` (for `url`) once and returns the answer's text, decompressed
/// and decoded: a GET for a page, or another method whose answer is a listing
/// (WebDAV's `PROPFIND`).
pub(crate) async fn fetch_answer_once(
    client: &crate::http::client::HttpClient,
    request: reqwest::RequestBuilder,
    url: &Url,
    read_timeout: Duration,
) -> Result<Page, PageError> {
    let request = request.header(ACCEPT_ENCODING, "gzip, br");
    let mut response = tokio::time::timeout(read_timeout, client.send(request))
        .await
        .map_err(|_| PageError::ReadTimeout(read_timeout))?
        .map_err(PageError::Request)?;
    let status = response.status();
    if !is_whole_page(status) {
        return Err(PageError::Status {
            status,
            redirected_to: crate::error::redirect_target(url, response.url()),
        });
    }
    let final_url = response.url().clone();
    let headers = response.headers().clone();
    // Sized once from Content-Length (within the limit): a growing buffer would
    // hold its old and new halves at once.
    let announced = response.content_length().unwrap_or(0).min(MAX_PAGE_BYTES);
    let mut body = Vec::with_capacity(announced as usize);
    let mut meter = SpeedMeter::new(client.low_speed());
    // Ctrl-C is the crawler's to handle: it stops waiting for this page.
    let never = tokio_util::sync::CancellationToken::new();
    loop {
        let chunk = speed::next_chunk(&mut response, &mut meter, read_timeout, &never)
            .await
            .map_err(|error| match error {
                ChunkError::Request(error) => PageError::Request(error),
                ChunkError::TooSlow(low_speed) => PageError::TooSlow {
                    limit: low_speed.limit,
                    time: low_speed.time,
                },
                ChunkError::ReadTimeout(_) | ChunkError::Interrupted | ChunkError::Io(_) => {
                    PageError::ReadTimeout(read_timeout)
                }
            })?;
        let Some(chunk) = chunk else { break };
        // Stopped as soon as it passes the cap: returning drops the connection.
        if body.len() as u64 + chunk.len() as u64 > MAX_PAGE_BYTES {
            return Err(PageError::TooLarge {
                limit: MAX_PAGE_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    let body = decompress(&headers, body)?;
    let text = decode_text(body, content_type_charset(&headers).as_deref());
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let is_json = content_type
        .as_deref()
        .is_some_and(|value| value.trim_start().starts_with("application/json"));
    Ok(Page {
        url: final_url,
        text,
        is_json,
        content_type,
        listed: None,
        bucket: None,
    })
}

/// Undoes `Content-Encoding`. We ask for gzip and br ourselves (rather than letting
/// the client do it) because file bodies must never be decoded: one client serves both.
fn decompress(headers: &HeaderMap, body: Vec<u8>) -> Result<Vec<u8>, PageError> {
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    // gzip states the size of what it holds (modulo 4 GiB) in its last four
    // bytes: a hint for one allocation instead of a doubling buffer.
    let hint = match encoding.as_str() {
        "gzip" | "x-gzip" => body
            .last_chunk::<4>()
            .map_or(0, |size| u64::from(u32::from_le_bytes(*size))),
        _ => 0,
    };
    let mut decoded = Vec::with_capacity(hint.min(MAX_PAGE_BYTES + 1) as usize);
    let result = match encoding.as_str() {
        "" | "identity" => return Ok(body),
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(&body[..])
            .take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut decoded),
        "deflate" => flate2::read::ZlibDecoder::new(&body[..])
            .take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut decoded),
        "br" => brotli::Decompressor::new(&body[..], 64 * 1024)
            .take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut decoded),
        other => Err(std::io::Error::other(format!(
            "unknown content encoding `{other}`"
        ))),
    };
    result.map_err(|source| PageError::Decode {
        encoding: encoding.clone(),
        source,
    })?;
    if decoded.len() as u64 > MAX_PAGE_BYTES {
        return Err(PageError::TooLarge {
            limit: MAX_PAGE_BYTES,
        });
    }
    Ok(decoded)
}

/// Whether an answer says, in so many words, that it is a page: a non-empty
/// `Content-Type` that [`is_page_type`] accepts. A link without a slash under `-r`
/// is tried as a folder only then; a missing type proves nothing there.
pub(crate) fn states_page_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| !value.trim().is_empty() && is_page_type(Some(value)))
}

/// Whether a `Content-Type` is one of a page fetchall reads (a missing one is).
pub fn is_page_type(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return true;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "" | "text/html" | "application/xhtml+xml" | "application/json"
    )
}
