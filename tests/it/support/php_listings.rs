//! h5ai and Directory Lister imitated over the served folder, as their real
//! answers are (see tests/fixtures/listings/h5ai-0.30.0* and dirlister-3.12.3*).
//!
//! h5ai: a folder's page holds the fallback table (sizes in whole KB, minutes);
//! a `POST` of `{"action":"get","items":{"href":…,"what":1}}` to a folder gets
//! the items of that folder and of every folder above it, hrefs rawurlencoded,
//! `time` in milliseconds, the folders asked `fetched: true`, and hostile
//! entries (`/../../etc/passwd`, another host) in every answer; `api: false`
//! answers every `POST` with `{"items":[]}` (a folder h5ai does not manage).
//!
//! Directory Lister: one script at `/` lists every folder as `/?dir=sub/deep`
//! (files linked by path, sizes `292.97KB`, times `Y-m-d H:i:s` in UTC, which
//! the served files' `Last-Modified` lets fetchall learn); every page also links
//! its parent, breadcrumbs, `?zip=`, and hostile `?dir=` values, none of which
//! fetchall may ask. A folder path (`/sub/`), `?zip=`, `?search=` and a `?dir=`
//! with `..` are answered 404 / 500 without a footer: never a listing.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// PHP's `rawurlencode`.
const RAW: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

struct Entry {
    name: String,
    is_dir: bool,
    size: u64,
    seconds: u64,
}

fn entries(dir: &Path) -> Option<Vec<Entry>> {
    let mut entries: Vec<Entry> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let metadata = std::fs::metadata(entry.path()).ok()?;
            Some(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: metadata.is_dir(),
                size: metadata.len(),
                seconds: seconds(metadata.modified().ok()?),
            })
        })
        .collect();
    // Folders first, as both list them.
    entries.sort_by(|a, b| (!a.is_dir, &a.name).cmp(&(!b.is_dir, &b.name)));
    Some(entries)
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |age| age.as_secs())
}

fn raw_path(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, RAW).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn answer(status: StatusCode, content_type: &str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", content_type.parse().expect("content type"));
    response
}

async fn file(root: &Path, request: Request) -> Response {
    match ServeDir::new(root).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn civil(seconds: u64, with_seconds: bool) -> String {
    let time = jiff::Timestamp::from_second(seconds as i64).expect("a time");
    let format = if with_seconds {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%Y-%m-%d %H:%M"
    };
    time.strftime(format).to_string()
}

/// Answers a request as h5ai 0.30.0 behind Apache would.
pub async fn h5ai(root: &Path, api: bool, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if !path.ends_with('/') {
        return file(root, request).await;
    }
    let decoded = percent_decode_str(&path).decode_utf8_lossy().into_owned();
    if request.method() == Method::POST {
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let href = asked["items"]["href"].as_str().unwrap_or_default();
        if !api || asked["action"] != "get" || asked["items"]["what"] != 1 {
            return answer(
                StatusCode::OK,
                "application/json;charset=utf-8",
                r#"{"items":[]}"#.into(),
            );
        }
        let folder = percent_decode_str(href).decode_utf8_lossy().into_owned();
        return answer(
            StatusCode::OK,
            "application/json;charset=utf-8",
            h5ai_items(root, &folder),
        );
    }
    let Some(entries) = entries(&root.join(decoded.trim_start_matches('/'))) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut rows = String::new();
    if path != "/" {
        rows.push_str(r#"<tr><td class="fb-i"><img src="/_h5ai/public/images/fallback/folder-parent.png" alt="folder-parent"/></td><td class="fb-n"><a href="..">Parent Directory</a></td><td class="fb-d"></td><td class="fb-s"></td></tr>"#);
    }
    for entry in &entries {
        let href = format!(
            "{}{}{}",
            raw_path(&decoded),
            utf8_percent_encode(&entry.name, RAW),
            if entry.is_dir { "/" } else { "" }
        );
        rows.push_str(&format!(
            r#"<tr><td class="fb-i"><img src="/_h5ai/public/images/fallback/{kind}.png" alt="{kind}"/></td><td class="fb-n"><a href="{href}">{name}</a></td><td class="fb-d">{date}</td><td class="fb-s">{size} KB</td></tr>"#,
            kind = if entry.is_dir { "folder" } else { "file" },
            href = escape(&href),
            name = escape(&entry.name),
            date = civil(entry.seconds, false),
            size = entry.size.div_ceil(1000),
        ));
    }
    let page = format!(
        r#"<!DOCTYPE html><html class="no-js" lang="en"><head><meta charset="utf-8"><title>index - powered by h5ai v0.30.0 (https://larsjung.de/h5ai/)</title><link rel="stylesheet" href="/_h5ai/public/css/styles.css"><script src="/_h5ai/public/js/scripts.js" data-module="index"></script></head><body class="index" id="root"><div id="fallback-hints"><span class="backlink"><a href="https://larsjung.de/h5ai/" title="h5ai v0.30.0 - Modern HTTP web server index.">powered by h5ai</a></span></div><div id="fallback"><table><tr><th class="fb-i"></th><th class="fb-n"><span>Name</span></th><th class="fb-d"><span>Last modified</span></th><th class="fb-s"><span>Size</span></th></tr>{rows}</table></div></body></html><!-- h5ai v0.30.0 - https://larsjung.de/h5ai/ -->"#
    );
    answer(StatusCode::OK, "text/html;charset=utf-8", page)
}

/// The items h5ai answers for `folder` with `what: 1`: the folder, each folder
/// above it, and the entries of all of them.
fn h5ai_items(root: &Path, folder: &str) -> String {
    if folder.split('/').any(|segment| segment == "..") || !folder.ends_with('/') {
        return r#"{"items":[]}"#.into();
    }
    let mut chain = vec![folder.to_string()];
    let mut current = folder.trim_end_matches('/');
    while let Some(slash) = current.rfind('/') {
        current = &current[..slash];
        chain.push(format!("{current}/"));
    }
    chain.dedup();
    let mut items = Vec::new();
    for ancestor in &chain {
        let Some(entries) = entries(&root.join(ancestor.trim_start_matches('/'))) else {
            return r#"{"items":[]}"#.into();
        };
        items.push(serde_json::json!({
            "href": raw_path(ancestor), "time": 0, "size": 4096,
            "managed": true, "fetched": true,
        }));
        for entry in entries {
            let mut href = format!(
                "{}{}",
                raw_path(ancestor),
                utf8_percent_encode(&entry.name, RAW)
            );
            if entry.is_dir {
                href.push('/');
                if chain.iter().any(|known| raw_path(known) == href) {
                    continue;
                }
            }
            let mut item = serde_json::json!({
                "href": href, "time": entry.seconds * 1000, "size": entry.size,
            });
            if entry.is_dir {
                item["managed"] = true.into();
                item["fetched"] = false.into();
            }
            items.push(item);
        }
    }
    // Entries of no folder of this one, which a client must not fetch.
    for hostile in [
        "/../../etc/passwd",
        "/a/../../etc/shadow",
        "http://elsewhere.invalid/x.txt",
    ] {
        items.push(serde_json::json!({ "href": hostile, "time": 0, "size": 1 }));
    }
    serde_json::json!({ "items": items }).to_string()
}

/// Answers a request as Directory Lister 3.12.3 at `/` would.
pub async fn dirlister(root: &Path, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if path != "/" && path != "/index.php" {
        if path.ends_with('/') {
            return (StatusCode::NOT_FOUND, "no listing here").into_response();
        }
        return file(root, request).await;
    }
    let url = url::Url::parse(&format!("http://h{}", request.uri())).expect("a URL");
    let first = url
        .query_pairs()
        .next()
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    let dir = match first {
        None => String::new(),
        Some((key, value)) if key == "dir" => value,
        Some(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "chrome asked").into_response(),
    };
    let dir = dir.trim_matches('/').to_string();
    if dir
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        return (StatusCode::NOT_FOUND, "Directory does not exist").into_response();
    }
    let Some(entries) = entries(&root.join(&dir)) else {
        return (StatusCode::NOT_FOUND, "Directory does not exist").into_response();
    };
    answer(
        StatusCode::OK,
        "text/html; charset=UTF-8",
        dirlister_page(&dir, &entries),
    )
}

fn dirlister_size(size: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let factor = (size.to_string().len() - 1) / 3;
    format!(
        "{:.2}{}",
        size as f64 / 1024f64.powi(factor as i32),
        UNITS[factor]
    )
}

fn dirlister_anchor(href: &str, name: &str, size: &str, date: &str, info: bool) -> String {
    let button = if info {
        format!(
            r#"<div class="ml-2"><button title="File information" @click.prevent="$dispatch('show-file-info', {{ file: '{}' }})"><i class="fas fa-info-circle"></i></button></div>"#,
            escape(href)
        )
    } else {
        String::new()
    };
    format!(
        r#"<a href="{}" class="flex flex-col items-center rounded-lg font-mono group">
    <div class="flex justify-between items-center p-4 w-full">
        <div class="pr-2"><i class="fas fa-file fa-fw fa-lg"></i></div>
        <div class="flex-1 truncate">
            {}
        </div>
        {button}
        <div class="hidden whitespace-nowrap text-right mx-2 w-1/6 sm:block">
            {size}
        </div>
        <div class="hidden whitespace-nowrap text-right truncate ml-2 w-1/4 sm:block">
            {date}
        </div>
    </div>
</a>
"#,
        escape(href),
        escape(name)
    )
}

fn dirlister_page(dir: &str, entries: &[Entry]) -> String {
    let encoded = if dir.is_empty() {
        String::new()
    } else {
        raw_path(dir)
    };
    let mut crumbs = String::new();
    let mut so_far = String::new();
    for segment in dir.split('/').filter(|segment| !segment.is_empty()) {
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(&utf8_percent_encode(segment, RAW).to_string());
        crumbs.push_str(&format!(
            r#" / <a href="?dir={so_far}">{}</a>"#,
            escape(segment)
        ));
    }
    let mut items = String::new();
    if !dir.is_empty() {
        let parent = encoded
            .rsplit_once('/')
            .map_or(".".to_string(), |(up, _)| format!("?dir={up}"));
        items.push_str(&dirlister_anchor(&parent, "..", "—", "—", false));
    }
    for entry in entries {
        let relative = if encoded.is_empty() {
            utf8_percent_encode(&entry.name, RAW).to_string()
        } else {
            format!("{encoded}/{}", utf8_percent_encode(&entry.name, RAW))
        };
        if entry.is_dir {
            items.push_str(&dirlister_anchor(
                &format!("?dir={relative}"),
                &entry.name,
                "—",
                &civil(entry.seconds, true),
                false,
            ));
        } else {
            items.push_str(&dirlister_anchor(
                &relative,
                &entry.name,
                &dirlister_size(entry.size),
                &civil(entry.seconds, true),
                true,
            ));
        }
    }
    // Links no crawl may follow: out of the tree, or another folder's.
    let hostile = r#"<a href="?dir=../../etc">etc</a><a href="?dir=/etc">etc</a><a href="?dir=sub%20dir%20%26%20%23/../..">up</a><a href="?search=x">search</a>"#;
    format!(
        r#"<!DOCTYPE html>
<meta charset="utf-8">
<link rel="stylesheet" href="app/assets/app.css">
<title>{title} &bull; Directory Lister</title>
<header><a href="." title="Directory Lister">home</a>
<div class="flex-1 font-mono"><a href=".">Home</a>{crumbs}</div>
<a href="?zip={encoded}" title="Download this Directory" rel="nofollow"><i class="fas fa-download fa-lg"></i></a>
{hostile}
</header>
<ul><li>
{items}
</li></ul>
<footer><p class="mb-4">Powered by <a href="https://www.directorylister.com" class="underline">Directory Lister</a></p></footer>
"#,
        title = escape(if dir.is_empty() { "Home" } else { dir }),
    )
}
