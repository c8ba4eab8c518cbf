//! An object store imitated over the served folder: S3's ListObjects (v1 and v2,
//! `prefix`, `delimiter`, `max-keys`, `continuation-token`, `start-after`) at
//! `/bkt/`, and Azure's List Blobs (`restype=container&comp=list`, `prefix`,
//! `delimiter`, `maxresults`, `marker`) at `/acct/ctr`. Every file of the folder
//! is an object whose key is its path; objects are served at `/bkt/KEY` and
//! `/acct/ctr/KEY` with the folder's Range and Last-Modified support.
//!
//! Pages hold [`PAGE_KEYS`] entries unless the request asks for fewer, so a
//! folder of a few files already comes in several pages, as a folder of more
//! than 1,000 keys does from a real store.

use std::path::Path;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The most entries (objects and common prefixes) one listing page holds.
pub const PAGE_KEYS: usize = 3;
/// Where the S3 bucket and the Azure container are.
pub const S3_ROOT: &str = "/bkt";
pub const AZURE_ROOT: &str = "/acct/ctr";

/// Which store to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    S3,
    Azure,
}

/// Answers a request to the store: a listing, or an object.
pub async fn respond(root: &Path, store: Store, request: Request) -> Response {
    let base = match store {
        Store::S3 => S3_ROOT,
        Store::Azure => AZURE_ROOT,
    };
    let path = request.uri().path().to_string();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let is_listing = match store {
        Store::S3 => path == base || path == format!("{base}/"),
        Store::Azure => path == base && param("comp").as_deref() == Some("list"),
    };
    if is_listing {
        let objects = objects(root);
        return match store {
            Store::S3 => s3_page(&objects, &param),
            Store::Azure => azure_page(&objects, &param),
        };
    }
    let Some(key_path) = path.strip_prefix(&format!("{base}/")) else {
        return error(StatusCode::NOT_FOUND, "NoSuchBucket");
    };
    if key_path.is_empty() || key_path.ends_with('/') {
        return error(StatusCode::NOT_FOUND, "NoSuchKey");
    }
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("/{key_path}").parse().expect("object path");
    match ServeDir::new(root)
        .oneshot(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// An object: its key, size and time.
struct Object {
    key: String,
    size: u64,
    modified: SystemTime,
}

/// Every file under `root`, by key, in the byte order stores list them in.
fn objects(root: &Path) -> Vec<Object> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(read) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in read.filter_map(Result::ok) {
            let Ok(metadata) = std::fs::metadata(entry.path()) else {
                continue;
            };
            if metadata.is_dir() {
                folders.push(entry.path());
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(root)
                .expect("under root")
                .to_owned();
            let key = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            found.push(Object {
                key,
                size: metadata.len(),
                modified: metadata.modified().expect("mtime"),
            });
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    found
}

/// One entry of a page: an object, or a common prefix.
enum Entry<'a> {
    Object(&'a Object),
    Prefix(String),
}

impl Entry<'_> {
    fn name(&self) -> &str {
        match self {
            Entry::Object(object) => &object.key,
            Entry::Prefix(prefix) => prefix,
        }
    }
}

/// The entries under `prefix` after `after`, folded at `delimiter`, at most
/// `max`; and whether more follow.
fn page<'a>(
    objects: &'a [Object],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> (Vec<Entry<'a>>, bool) {
    let mut entries: Vec<Entry> = Vec::new();
    for object in objects.iter().filter(|o| o.key.starts_with(prefix)) {
        let rest = &object.key[prefix.len()..];
        let entry = match delimiter.and_then(|d| rest.find(d).map(|at| at + d.len())) {
            Some(end) => Entry::Prefix(format!("{prefix}{}", &rest[..end])),
            None => Entry::Object(object),
        };
        if after.is_some_and(|after| entry.name() <= after) {
            continue;
        }
        if let (Entry::Prefix(new), Some(Entry::Prefix(last))) = (&entry, entries.last())
            && new == last
        {
            continue;
        }
        entries.push(entry);
    }
    let more = entries.len() > max;
    entries.truncate(max);
    (entries, more)
}

fn s3_page(objects: &[Object], param: &dyn Fn(&str) -> Option<String>) -> Response {
    let prefix = param("prefix").unwrap_or_default();
    let delimiter = param("delimiter");
    let max = param("max-keys")
        .and_then(|value| value.parse().ok())
        .unwrap_or(PAGE_KEYS)
        .min(PAGE_KEYS);
    let v2 = param("list-type").as_deref() == Some("2");
    // The continuation token is the last entry listed, hex-encoded: opaque.
    let after = param("continuation-token")
        .map(|token| unhex(&token))
        .or_else(|| param("start-after"))
        .or_else(|| param("marker"));
    let (entries, more) = page(
        objects,
        &prefix,
        delimiter.as_deref(),
        after.as_deref(),
        max,
    );
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    xml += &format!(
        "<Name>bkt</Name><Prefix>{}</Prefix><MaxKeys>{max}</MaxKeys><IsTruncated>{more}</IsTruncated>",
        escape(&prefix)
    );
    for entry in &entries {
        match entry {
            Entry::Object(object) => {
                let time = jiff::Timestamp::try_from(object.modified).expect("time");
                xml += &format!(
                    "<Contents><Key>{}</Key><LastModified>{}</LastModified>\
                     <ETag>&quot;{:x}&quot;</ETag><Size>{}</Size></Contents>",
                    escape(&object.key),
                    time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    object.size,
                    object.size
                );
            }
            Entry::Prefix(prefix) => {
                xml += &format!(
                    "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                    escape(prefix)
                );
            }
        }
    }
    if more && let Some(last) = entries.last() {
        if v2 {
            xml += &format!(
                "<NextContinuationToken>{}</NextContinuationToken>",
                hex(last.name())
            );
        } else if delimiter.is_some() {
            xml += &format!("<NextMarker>{}</NextMarker>", escape(last.name()));
        }
    }
    xml += "</ListBucketResult>";
    xml_response(StatusCode::OK, xml)
}

fn azure_page(objects: &[Object], param: &dyn Fn(&str) -> Option<String>) -> Response {
    let prefix = param("prefix").unwrap_or_default();
    let delimiter = param("delimiter");
    let max = param("maxresults")
        .and_then(|value| value.parse().ok())
        .unwrap_or(PAGE_KEYS)
        .min(PAGE_KEYS);
    let marker = param("marker");
    let (entries, more) = page(
        objects,
        &prefix,
        delimiter.as_deref(),
        marker.as_deref(),
        max,
    );
    let mut xml = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    xml += &format!(
        r#"<EnumerationResults ServiceEndpoint="http://127.0.0.1/acct" ContainerName="ctr"><Prefix>{}</Prefix><MaxResults>{max}</MaxResults><Blobs>"#,
        escape(&prefix)
    );
    for entry in &entries {
        match entry {
            Entry::Object(object) => {
                xml += &format!(
                    "<Blob><Name>{}</Name><Properties><Last-Modified>{}</Last-Modified>\
                     <Etag>0x{:X}</Etag><Content-Length>{}</Content-Length></Properties></Blob>",
                    escape(&object.key),
                    httpdate::fmt_http_date(object.modified),
                    object.size,
                    object.size
                );
            }
            Entry::Prefix(prefix) => {
                xml += &format!("<BlobPrefix><Name>{}</Name></BlobPrefix>", escape(prefix));
            }
        }
    }
    xml += "</Blobs>";
    match entries.last().filter(|_| more) {
        Some(last) => xml += &format!("<NextMarker>{}</NextMarker>", escape(last.name())),
        None => xml += "<NextMarker/>",
    }
    xml += "</EnumerationResults>";
    xml_response(StatusCode::OK, xml)
}

/// An S3 `<Error>` answer.
pub fn error(status: StatusCode, code: &str) -> Response {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>imitated</Message></Error>"#
    );
    xml_response(status, xml)
}

fn xml_response(status: StatusCode, xml: String) -> Response {
    let mut response = Response::new(Body::from(xml));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        "application/xml".parse().expect("header value"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn hex(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(token: &str) -> String {
    let bytes: Vec<u8> = (0..token.len() / 2)
        .filter_map(|at| u8::from_str_radix(token.get(at * 2..at * 2 + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
