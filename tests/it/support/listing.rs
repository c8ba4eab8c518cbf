//! Directory listings in the markup real servers produce (shapes taken from Apache
//! 2.4 mod_autoindex with FancyIndexing, nginx autoindex and python's http.server).

use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

pub mod more;
pub use more::IisDates;

/// Which server's markup to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingStyle {
    /// Apache mod_autoindex, FancyIndexing with a table and sort links; gzip when
    /// the client accepts it (Debian enables mod_deflate for text/html).
    Apache,
    /// nginx `autoindex on`: a `<pre>` with `../`, names cut at 50 characters.
    Nginx,
    /// `python3 -m http.server`: a `<ul>`, every name fully percent-encoded.
    Python,
    /// miniserve: every entry linked by its absolute path, and the same chrome on
    /// every page (`javascript:` theme links, sort queries, internal assets).
    Miniserve,
    /// mini_httpd: folders linked without a trailing slash (`<A HREF="dir">`); the
    /// folder asked without its slash redirects to `dir/`.
    MiniHttpd,
    /// Folders linked by absolute path without a trailing slash, and a folder asked
    /// without its slash answered with its listing at once (200, no redirect).
    SlashlessDirect,
    /// No folder listings: an S3 bucket at `/bkt/` (see [`super::bucket`]).
    S3,
    /// No folder listings: an Azure container at `/acct/ctr` (see [`super::bucket`]).
    Azure,
    /// No folder listings: a WebDAV server (see [`super::webdav`]).
    WebDav,
    /// No HTML listings: copyparty (see [`super::copyparty`]).
    Copyparty,
    /// h5ai, its items answered to `POST` unless `api` is false (see
    /// [`super::php_listings`]).
    H5ai { api: bool },
    /// Directory Lister's script at `/` (see [`super::php_listings`]).
    DirLister,
    /// Apache's real rows: `2021-03-04 10:36` in the server's local time, this
    /// many seconds ahead of UTC, without a zone; sizes as `30` or `1.5K`.
    ApacheLocal(i64),
    /// lighttpd's rows: `2021-Mar-04 10:36:07` local time (seconds ahead of UTC),
    /// sizes truncated to one decimal (`0.9K`).
    LighttpdLocal(i64),
    /// Apache's rows in the local time of a real zone (`Europe/Berlin`): the
    /// offset changes with daylight saving time from file to file.
    ApacheZone(&'static str),
    /// dufs: no link, the entries as base64 JSON in the page (see [`more`]).
    Dufs,
    /// Squid's page of an FTP folder, `ls` dates this many seconds ahead of UTC.
    SquidFtp(i64),
    /// `ls -l` lines in a `<pre>`, dates this many seconds ahead of UTC.
    LsLong(i64),
    /// IIS in another locale, this many seconds ahead of UTC.
    IisLocale(IisDates, i64),
}

/// Apache's and nginx's escaping leaves most punctuation alone, so `&` reaches the
/// HTML as `&amp;` and must be entity-decoded.
const SERVER_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>');

/// mini_httpd escapes every byte but letters, digits and `/_.-~` (its `strencode`);
/// the tests need [`SERVER_ESCAPE`] of that, and `\`: `back\slashdir` is linked as
/// `back%5Cslashdir`, not with a `\` a URL parser would read as `/`.
const MINI_HTTPD_ESCAPE: &AsciiSet = &SERVER_ESCAPE.add(b'\\');

/// Python's `urllib.parse.quote` keeps only unreserved characters and `/`.
const PYTHON_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

struct Entry {
    name: String,
    is_dir: bool,
    size: u64,
    modified: SystemTime,
}

pub fn respond(root: &Path, url_path: &str, style: ListingStyle, accepts_gzip: bool) -> Response {
    let decoded = percent_encoding::percent_decode_str(url_path).decode_utf8_lossy();
    let dir = root.join(decoded.trim_start_matches('/'));
    let Ok(read) = std::fs::read_dir(&dir) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut entries: Vec<Entry> = read
        .filter_map(Result::ok)
        .filter_map(|entry| {
            // Follow symlinks, as servers do (Apache FollowSymLinks, nginx).
            let metadata = std::fs::metadata(entry.path()).ok()?;
            Some(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: metadata.is_dir(),
                size: metadata.len(),
                modified: metadata.modified().ok()?,
            })
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let html = match style {
        ListingStyle::Apache => apache(url_path, &entries),
        ListingStyle::Nginx => nginx(url_path, &entries),
        ListingStyle::Python => python(url_path, &entries),
        ListingStyle::Miniserve => miniserve(url_path, &entries),
        ListingStyle::MiniHttpd => mini_httpd(url_path, &entries),
        ListingStyle::SlashlessDirect => slashless_direct(url_path, &entries),
        ListingStyle::S3
        | ListingStyle::Azure
        | ListingStyle::WebDav
        | ListingStyle::Copyparty
        | ListingStyle::H5ai { .. }
        | ListingStyle::DirLister => {
            unreachable!("the server answers its listings")
        }
        ListingStyle::ApacheLocal(offset) => apache_local(url_path, &entries, offset),
        ListingStyle::LighttpdLocal(offset) => lighttpd_local(url_path, &entries, offset),
        ListingStyle::ApacheZone(zone) => apache_zone(url_path, &entries, zone),
        ListingStyle::Dufs => more::dufs(url_path, &entries),
        ListingStyle::SquidFtp(offset) => more::squid_ftp(url_path, &entries, offset),
        ListingStyle::LsLong(offset) => more::ls_long(url_path, &entries, offset),
        ListingStyle::IisLocale(dates, offset) => more::iis(url_path, &entries, dates, offset),
    };
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        match style {
            ListingStyle::Nginx => "text/html",
            _ => "text/html;charset=UTF-8",
        }
        .parse()
        .expect("header"),
    );
    if style == ListingStyle::Apache && accepts_gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(html.as_bytes()).expect("gzip in memory");
        let body = encoder.finish().expect("gzip in memory");
        response
            .headers_mut()
            .insert("content-encoding", "gzip".parse().expect("header"));
        *response.body_mut() = Body::from(body);
    } else {
        *response.body_mut() = Body::from(html);
    }
    response
}

fn href(name: &str, is_dir: bool, set: &'static AsciiSet) -> String {
    let mut href = html_escape(&utf8_percent_encode(name, set).to_string());
    if is_dir {
        href.push('/');
    }
    href
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `04-Mar-2021 05:06` (nginx) style, from an HTTP date: `Thu, 04 Mar 2021 05:06:07 GMT`.
fn date(time: SystemTime) -> String {
    let http = httpdate::fmt_http_date(time);
    let parts: Vec<&str> = http.split(' ').collect();
    match parts.as_slice() {
        [_, day, month, year, clock, _] => format!("{day}-{month}-{year} {}", &clock[..5]),
        _ => http,
    }
}

fn apache(path: &str, entries: &[Entry]) -> String {
    // Apache links the parent by its absolute path, with a trailing slash.
    let parent = path
        .trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent);
    let mut html = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of {path}</title>\n </head>\n <body>\n<h1>Index of {path}</h1>\n  <table>\n   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th><th><a href=\"?C=N;O=D\">Name</a></th><th><a href=\"?C=M;O=A\">Last modified</a></th><th><a href=\"?C=S;O=A\">Size</a></th><th><a href=\"?C=D;O=A\">Description</a></th></tr>\n   <tr><th colspan=\"5\"><hr></th></tr>\n<tr><td valign=\"top\"><img src=\"/icons/back.gif\" alt=\"[PARENTDIR]\"></td><td><a href=\"{parent}/\">Parent Directory</a></td><td>&nbsp;</td><td align=\"right\">  - </td><td>&nbsp;</td></tr>\n"
    );
    for entry in entries {
        let icon = if entry.is_dir { "folder" } else { "unknown" };
        let size = if entry.is_dir {
            "  - ".to_string()
        } else {
            format!("{}K", entry.size.div_ceil(1024))
        };
        let slash = if entry.is_dir { "/" } else { "" };
        html.push_str(&format!(
            "<tr><td valign=\"top\"><img src=\"/icons/{icon}.gif\" alt=\"[   ]\"></td><td><a href=\"{}\">{}{slash}</a></td><td align=\"right\">{}  </td><td align=\"right\">{size}</td><td>&nbsp;</td></tr>\n",
            href(&entry.name, entry.is_dir, SERVER_ESCAPE),
            html_escape(&entry.name),
            date(entry.modified),
        ));
    }
    html.push_str("   <tr><th colspan=\"5\"><hr></th></tr>\n</table>\n<address>Apache/2.4 Server at 127.0.0.1</address>\n</body></html>\n");
    html
}

fn nginx(path: &str, entries: &[Entry]) -> String {
    let mut html = format!(
        "<html>\r\n<head><title>Index of {path}</title></head>\r\n<body>\r\n<h1>Index of {path}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for entry in entries.iter().filter(|entry| !entry.name.starts_with('.')) {
        let mut text: String = entry.name.chars().take(50).collect();
        if entry.name.chars().count() > 50 {
            text.truncate(text.len() - text.chars().last().map_or(0, char::len_utf8));
            text.push_str("..&gt;");
        } else {
            text = html_escape(&text);
        }
        let slash = if entry.is_dir { "/" } else { "" };
        let size = if entry.is_dir {
            "-".to_string()
        } else {
            entry.size.to_string()
        };
        html.push_str(&format!(
            "<a href=\"{}\">{text}{slash}</a> {} {size:>19}\r\n",
            href(&entry.name, entry.is_dir, SERVER_ESCAPE),
            date(entry.modified),
        ));
    }
    html.push_str("</pre><hr></body>\r\n</html>\r\n");
    html
}

fn python(path: &str, entries: &[Entry]) -> String {
    let mut html = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for {path}</title>\n</head>\n<body>\n<h1>Directory listing for {path}</h1>\n<hr>\n<ul>\n"
    );
    for entry in entries {
        let slash = if entry.is_dir { "/" } else { "" };
        html.push_str(&format!(
            "<li><a href=\"{}\">{}{slash}</a></li>\n",
            href(&entry.name, entry.is_dir, PYTHON_ESCAPE),
            html_escape(&entry.name),
        ));
    }
    html.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    html
}

fn miniserve(path: &str, entries: &[Entry]) -> String {
    // The chrome is the same on every page: only entries tell folders apart.
    let mut html = String::from(
        "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"/__miniserve_internal/favicon.svg\"></head><body>\n<nav><a href=\"javascript:void(0)\">Change theme...</a><a href=\"javascript:void(0)\" data-theme=\"squirrel\">Squirrel</a><a href=\"javascript:void(0)\" data-theme=\"archlinux\">Arch Linux</a><a href=\"/__miniserve_internal/style.css\">css</a></nav>\n<table><thead><tr><th><a href=\"?sort=name&amp;order=desc\">Name</a></th><th><a href=\"?sort=size&amp;order=asc\">Size</a></th><th><a href=\"/?sort=date&amp;order=asc\">Last modification</a></th></tr></thead><tbody>\n",
    );
    if path != "/" {
        let parent = path
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or("", |(parent, _)| parent);
        html.push_str(&format!(
            "<tr><td colspan=3><p><a class=\"root\" href=\"{parent}/\">Parent directory</a></p></td></tr>\n"
        ));
    }
    for entry in entries {
        let absolute = format!("{path}{}", href(&entry.name, entry.is_dir, SERVER_ESCAPE));
        let size = if entry.is_dir {
            String::new()
        } else {
            format!("{} B", entry.size)
        };
        html.push_str(&format!(
            "<tr><td><p><a class=\"{}\" href=\"{absolute}\">{}</a></p></td><td class=\"size-cell\">{size}</td><td class=\"date-cell\">{}</td></tr>\n",
            if entry.is_dir { "directory" } else { "file" },
            html_escape(&entry.name),
            date(entry.modified),
        ));
    }
    html.push_str("</tbody></table><footer><a href=\"https://github.com/svenstaro/miniserve\">miniserve</a></footer></body></html>\n");
    html
}

fn mini_httpd(path: &str, entries: &[Entry]) -> String {
    let mut html = format!(
        "<HTML>\n<HEAD><TITLE>Index of {path}</TITLE></HEAD>\n<BODY BGCOLOR=\"#99cc99\" TEXT=\"#000000\">\n<H2>Index of {path}</H2>\n<PRE>\nmode  links  bytes  last-changed  name\n<HR>"
    );
    html.push_str("drwxr-xr-x   2     4096  Mar  4 05:06  <A HREF=\"..\">..</A>/\n");
    for entry in entries {
        let (mode, slash) = if entry.is_dir {
            ("drwxr-xr-x", "/")
        } else {
            ("-rw-r--r--", "")
        };
        html.push_str(&format!(
            "{mode}   1 {:>8}  Mar  4 05:06  <A HREF=\"{}\">{}</A>{slash}\n",
            entry.size,
            href(&entry.name, false, MINI_HTTPD_ESCAPE),
            html_escape(&entry.name),
        ));
    }
    html.push_str("</PRE>\n<HR>\n<ADDRESS><A HREF=\"http://www.acme.com/software/mini_httpd/\">mini_httpd/1.30</A></ADDRESS>\n</BODY>\n</HTML>\n");
    html
}

fn slashless_direct(path: &str, entries: &[Entry]) -> String {
    let folder = path.trim_end_matches('/');
    let mut html = format!("<html><body><h1>{folder}</h1><ul>\n");
    for entry in entries {
        html.push_str(&format!(
            "<li><a href=\"{folder}/{}\">{}</a></li>\n",
            href(&entry.name, false, SERVER_ESCAPE),
            html_escape(&entry.name),
        ));
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// `time` shifted `offset` seconds, printed with `format` (strftime).
fn local_date(time: SystemTime, offset: i64, format: &str) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs() as i64);
    jiff::Timestamp::from_second(seconds + offset)
        .expect("a timestamp")
        .strftime(format)
        .to_string()
}

/// A size as Apache prints it: bytes below 1K, else one decimal and a unit.
fn apache_size(size: u64) -> String {
    match size {
        0..1024 => size.to_string(),
        1024..1_048_576 => format!("{:.1}K", size as f64 / 1024.0),
        _ => format!("{:.1}M", size as f64 / 1_048_576.0),
    }
}

fn apache_zone(path: &str, entries: &[Entry], zone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(zone).expect("a zone of the tz database");
    let shifted: Vec<Entry> = entries
        .iter()
        .map(|entry| {
            let timestamp = jiff::Timestamp::try_from(entry.modified).expect("a timestamp");
            let offset = i64::from(zone.to_offset(timestamp).seconds());
            Entry {
                name: entry.name.clone(),
                is_dir: entry.is_dir,
                size: entry.size,
                modified: entry.modified + std::time::Duration::from_secs(offset as u64),
            }
        })
        .collect();
    apache_local(path, &shifted, 0)
}

fn apache_local(path: &str, entries: &[Entry], offset: i64) -> String {
    let mut html = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of {path}</title>\n </head>\n <body>\n<h1>Index of {path}</h1>\n  <table>\n   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th><th><a href=\"?C=N;O=D\">Name</a></th><th><a href=\"?C=M;O=A\">Last modified</a></th><th><a href=\"?C=S;O=A\">Size</a></th><th><a href=\"?C=D;O=A\">Description</a></th></tr>\n   <tr><th colspan=\"5\"><hr></th></tr>\n"
    );
    for entry in entries {
        let size = if entry.is_dir {
            "  - ".to_string()
        } else {
            apache_size(entry.size)
        };
        let slash = if entry.is_dir { "/" } else { "" };
        html.push_str(&format!(
            "<tr><td valign=\"top\"><img src=\"/icons/unknown.gif\" alt=\"[   ]\"></td><td><a href=\"{}\">{}{slash}</a></td><td align=\"right\">{}  </td><td align=\"right\">{size}</td><td>&nbsp;</td></tr>\n",
            href(&entry.name, entry.is_dir, SERVER_ESCAPE),
            html_escape(&entry.name),
            local_date(entry.modified, offset, "%Y-%m-%d %H:%M"),
        ));
    }
    html.push_str("   <tr><th colspan=\"5\"><hr></th></tr>\n</table>\n<address>Apache/2.4 Server at 127.0.0.1</address>\n</body></html>\n");
    html
}

fn lighttpd_local(path: &str, entries: &[Entry], offset: i64) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Index of {path}</title>\n</head>\n<body>\n<h2>Index of {path}</h2>\n<div class=\"list\">\n<table summary=\"Directory Listing\" cellpadding=\"0\" cellspacing=\"0\">\n<thead><tr><th class=\"n\">Name</th><th class=\"m\">Last Modified</th><th class=\"s\">Size</th><th class=\"t\">Type</th></tr></thead>\n<tbody>\n"
    );
    for entry in entries.iter().filter(|entry| !entry.name.starts_with('.')) {
        // lighttpd truncates to one decimal: 1023 bytes are `0.9K`.
        let size = if entry.is_dir {
            "- &nbsp;".to_string()
        } else if entry.size < 1_048_576 {
            format!("{:.1}K", (entry.size * 10 / 1024) as f64 / 10.0)
        } else {
            format!("{:.1}M", (entry.size * 10 / 1_048_576) as f64 / 10.0)
        };
        let (slash, kind) = if entry.is_dir {
            ("/", "Directory")
        } else {
            ("", "application/octet-stream")
        };
        html.push_str(&format!(
            "<tr><td class=\"n\"><a href=\"{}\">{}</a>{slash}</td><td class=\"m\">{}</td><td class=\"s\">{size}</td><td class=\"t\">{kind}</td></tr>\n",
            href(&entry.name, entry.is_dir, SERVER_ESCAPE),
            html_escape(&entry.name),
            local_date(entry.modified, offset, "%Y-%b-%d %H:%M:%S"),
        ));
    }
    html.push_str(
        "</tbody>\n</table>\n</div>\n<div class=\"foot\">lighttpd/1.4.69</div>\n</body>\n</html>\n",
    );
    html
}
