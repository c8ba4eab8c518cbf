//! copyparty imitated over the served folder, as 1.20.26 answers (see the
//! captures in tests/fixtures/listings/copyparty-1.20.26*): a folder asked by a
//! client whose `User-Agent` starts with `fetch` or `curl/` gets a coloured
//! plain-text listing with no link, any other client an HTML page drawn by
//! script; `?ls` gets the JSON listing (`dirs`, `files`, percent-encoded `href`,
//! `sz`, `ts` in seconds). Files are served with Range and Last-Modified.

use std::path::Path;
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// What copyparty leaves unencoded in an `href` (Python's `quote` safe set).
const HREF: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Answers a request as copyparty would.
pub async fn respond(root: &Path, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if !path.ends_with('/') {
        return match ServeDir::new(root).oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        };
    }
    let decoded = percent_decode_str(&path).decode_utf8_lossy().into_owned();
    let folder = root.join(decoded.trim_start_matches('/'));
    let Ok(read) = std::fs::read_dir(&folder) else {
        return (StatusCode::NOT_FOUND, "404 not found").into_response();
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in read.filter_map(Result::ok) {
        let Ok(metadata) = std::fs::metadata(entry.path()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let seconds = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |age| age.as_secs());
        if metadata.is_dir() {
            dirs.push((format!("{name}/"), 4096, seconds));
        } else {
            files.push((name, metadata.len(), seconds));
        }
    }
    dirs.sort();
    files.sort();
    if request.uri().query() == Some("ls") {
        let entries = |list: &[(String, u64, u64)]| {
            list.iter()
                .map(|(name, size, seconds)| {
                    serde_json::json!({
                        "lead": "-",
                        "href": utf8_percent_encode(name, HREF).to_string(),
                        "sz": size,
                        "ts": seconds,
                    })
                })
                .collect::<Vec<_>>()
        };
        let body = serde_json::json!({
            "dirs": entries(&dirs),
            "files": entries(&files),
            "taglist": [],
            "acct": "*",
            "perms": ["read", "get"],
        });
        return answer("application/json", body.to_string());
    }
    let text_client = request
        .headers()
        .get("user-agent")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|agent| agent.starts_with("fetch") || agent.starts_with("curl/"));
    if text_client {
        let mut text = String::from("# acct: *\n# perms: ['read', 'get']\n\n");
        for (name, size, seconds) in dirs.iter().chain(&files) {
            text.push_str(&format!("\x1b[36m{size:>12}\x1b[0m {seconds} {name}\n"));
        }
        return answer("text/plain; charset=utf-8", text);
    }
    let html = "<!DOCTYPE html><html><head>\
        <link rel=\"stylesheet\" href=\"/.cpr/ui.css\"></head>\
        <body><div id=\"ht_brw\"></div><script src=\"/.cpr/browser.js\"></script>\
        </body></html>";
    answer("text/html; charset=utf-8", html.to_string())
}

fn answer(content_type: &str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert("content-type", content_type.parse().expect("content type"));
    response
}
