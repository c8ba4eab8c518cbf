//! A WebDAV server imitated over the served folder, as WsgiDAV and `rclone serve
//! webdav` answer: `PROPFIND` with `Depth: 1` on a folder gives a `207
//! Multi-Status` listing the folder itself, then each entry, hrefs as absolute
//! paths percent-encoded, collections with a trailing `/`, the properties an
//! entry lacks in a second `404` propstat block (a folder's size and ETag).
//! `Depth: 0` names the entry alone; `infinity` is refused (403, as most servers
//! do). `GET` serves files (with Range and Last-Modified); a `GET` or `HEAD` of a
//! folder is 405, as `rclone serve webdav` answers one asked without its final
//! `/`, so a listing read any other way than by `PROPFIND` is seen to fail.

use std::path::Path;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// What a server leaves unescaped in a path segment (RFC 3986's unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Answers a request to the WebDAV server.
pub async fn respond(root: &Path, request: Request) -> Response {
    let path = percent_decode_str(request.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let local = root.join(path.trim_start_matches('/'));
    if request.method().as_str() == "PROPFIND" {
        let depth = request
            .headers()
            .get("depth")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("infinity");
        if depth != "0" && depth != "1" {
            return (StatusCode::FORBIDDEN, "Depth must be 0 or 1").into_response();
        }
        if !local.exists() {
            return StatusCode::NOT_FOUND.into_response();
        }
        return multistatus(&local, &path, depth == "1");
    }
    if request.method() == Method::OPTIONS {
        return Response::builder()
            .header("dav", "1, 2")
            .header("allow", "OPTIONS, GET, HEAD, PROPFIND")
            .body(Body::empty())
            .expect("options answer");
    }
    if local.is_dir() {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    match ServeDir::new(root).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// The 207 answer for `local`, asked at the decoded path `path`.
fn multistatus(local: &Path, path: &str, children: bool) -> Response {
    let mut body = String::from(r#"<?xml version="1.0" encoding="utf-8" ?>"#);
    body.push_str(r#"<D:multistatus xmlns:D="DAV:">"#);
    let own = if local.is_dir() && !path.ends_with('/') {
        format!("{path}/")
    } else {
        path.to_string()
    };
    body.push_str(&response(local, &own));
    if children && local.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(local)
            .expect("read served folder")
            .flatten()
            .collect();
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut child = format!("{own}{name}");
            if entry.path().is_dir() {
                child.push('/');
            }
            body.push_str(&response(&entry.path(), &child));
        }
    }
    body.push_str("</D:multistatus>");
    Response::builder()
        .status(StatusCode::MULTI_STATUS)
        .header("content-type", "application/xml; charset=utf-8")
        .body(Body::from(body))
        .expect("multistatus answer")
}

/// One `<D:response>`: the entry at the decoded path `path`.
fn response(local: &Path, path: &str) -> String {
    let href: String = path
        .split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    let meta = std::fs::metadata(local).expect("served entry");
    let modified = httpdate::fmt_http_date(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
    let (found, missing) = if meta.is_dir() {
        (
            format!(
                "<D:resourcetype><D:collection/></D:resourcetype>\
                 <D:getlastmodified>{modified}</D:getlastmodified>"
            ),
            "<D:getcontentlength/><D:getetag/>".to_string(),
        )
    } else {
        (
            format!(
                "<D:resourcetype/><D:getcontentlength>{}</D:getcontentlength>\
                 <D:getlastmodified>{modified}</D:getlastmodified>\
                 <D:getetag>\"{:x}-{}\"</D:getetag>",
                meta.len(),
                meta.len(),
                path.len()
            ),
            String::new(),
        )
    };
    let mut text = format!(
        "<D:response><D:href>{href}</D:href><D:propstat><D:prop>{found}</D:prop>\
         <D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    );
    if !missing.is_empty() {
        text.push_str(&format!(
            "<D:propstat><D:prop>{missing}</D:prop>\
             <D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
        ));
    }
    text.push_str("</D:response>");
    text
}
