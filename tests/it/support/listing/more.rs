//! Listings of issue 13's "still missed" families, in the markup of the real
//! pages kept in `tests/fixtures/listings/`: dufs (links drawn by script from
//! base64 JSON), Squid's FTP folder pages, `ls -l` lines in a `<pre>`, and IIS
//! in locales other than en-US.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::{Entry, PYTHON_ESCAPE, href, html_escape};

/// How an IIS server's locale prints dates (`IisLocale` of [`super::ListingStyle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IisDates {
    /// en-US long date: `Thursday, March 4, 2021  5:06 AM`.
    UsLong,
    /// de-DE long date: `Donnerstag, 4. März 2021 05:06`.
    GermanLong,
    /// de-DE short date: `04.03.2021 05:06`.
    German,
    /// ko-KR: `2021-03-04 오전 5:06`.
    Korean,
}

/// What dufs answers `?json` for the folder `dir` served at `path`.
pub fn dufs_json(dir: &std::path::Path, path: &str) -> String {
    let mut entries: Vec<Entry> = std::fs::read_dir(dir)
        .expect("read served folder")
        .filter_map(Result::ok)
        .filter_map(|entry| {
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
    dufs_data(path, &entries).to_string()
}

/// dufs 0.47: the entries as base64 JSON in `<template id="index-data">`, no link.
pub(super) fn dufs(path: &str, entries: &[Entry]) -> String {
    let data = dufs_data(path, entries);
    let encoded = base64::engine::general_purpose::STANDARD.encode(data.to_string());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n  <meta charset=\"utf-8\" />\n  <noscript>\n    <meta http-equiv=\"refresh\" content=\"0; url=?noscript\">\n  </noscript>\n  <link rel=\"icon\" type=\"image/x-icon\" href=\"/__dufs_v0.47.0__/favicon.ico\">\n  <link rel=\"stylesheet\" href=\"/__dufs_v0.47.0__/index.css\">\n</head>\n<body>\n  <div class=\"head\"><a href=\"\" class=\"control download hidden\" title=\"Download file\" download=\"\">dl</a></div>\n  <table class=\"paths-table hidden\"><tbody></tbody></table>\n  <template id=\"index-data\">{encoded}</template>\n  <script src=\"/__dufs_v0.47.0__/index.js\"></script>\n</body>\n\n</html>\n"
    )
}

/// dufs's JSON of a folder: its page's data and its `?json` answer.
fn dufs_data(path: &str, entries: &[Entry]) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let paths: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "path_type": if entry.is_dir { "Dir" } else { "File" },
                "name": entry.name,
                "mtime": millis(entry.modified),
                // A folder's `size` is how many entries it holds.
                "size": if entry.is_dir { 3 } else { entry.size },
            })
        })
        .collect();
    serde_json::json!({
        "href": decoded.trim_end_matches('/'),
        "kind": "Index",
        "uri_prefix": "/",
        "allow_upload": false,
        "allow_delete": false,
        "allow_search": false,
        "allow_archive": false,
        "dir_exists": true,
        "auth": false,
        "user": null,
        "paths": paths,
    })
}

/// Squid 5's page of an FTP folder: icon and name link each entry, `;type=i`
/// (and `;type=a` for text) links its buttons, `ls`'s date, sizes in KiB rounded up.
pub(super) fn squid_ftp(path: &str, entries: &[Entry], offset: i64) -> String {
    let mut html = format!(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>Directory: ftp://127.0.0.1{path}</title>\n</head><body id=ERR_DIR_LISTING>\n<div id=\"titles\">\n<h2>Directory: <a href=\"ftp://127.0.0.1{path}\">ftp://127.0.0.1{path}</a>/</h2>\n</div>\n<hr>\n<div id=\"content\">\n<table id=\"dirlisting\" summary=\"Directory Listing\">\n<tr>\n<th><a href=\"../\"><img border=\"0\" src=\"/squid-internal-static/icons/silk/arrow_up.png\" alt=\"\"></a></th>\n<th nowrap=\"nowrap\"><a href=\"../\">Parent Directory</a> (<a href=\"/\">Root Directory</a>)</th>\n</tr>\n"
    );
    for entry in entries {
        let link = href(&entry.name, entry.is_dir, PYTHON_ESCAPE);
        let (icon, size, actions) = if entry.is_dir {
            ("folder.png\" alt=\"[DIR] ", String::new(), String::new())
        } else {
            let view = if entry.name.ends_with(".txt") {
                format!(
                    "<a href=\"{link};type=a\"><img border=\"0\" src=\"/squid-internal-static/icons/silk/page_white.png\" alt=\"[VIEW]\"></a>"
                )
            } else {
                String::new()
            };
            (
                "page_white_text.png\" alt=\"[FILE]",
                format!("{:>7}k", entry.size.div_ceil(1024)),
                format!(
                    "{view}<a href=\"{link};type=i\"><img border=\"0\" src=\"/squid-internal-static/icons/silk/package_go.png\" alt=\"[DOWNLOAD]\"></a>"
                ),
            )
        };
        html.push_str(&format!(
            "<tr class=\"entry\"><td class=\"icon\"><a href=\"{link}\"><img border=\"0\" src=\"/squid-internal-static/icons/silk/{icon}\"></a></td><td class=\"filename\"><a href=\"{link}\">{}</a></td><td class=\"date\">{}</td><td class=\"size\">{size}</td><td class=\"actions\">{actions}</td></tr>\n",
            html_escape(&entry.name),
            ls_date(entry.modified, offset),
        ));
    }
    html.push_str("\n</table>\n</div>\n<hr>\n<div id=\"footer\">\n<p>Generated by test (squid/5.7)</p>\n<!-- ERR_DIR_LISTING -->\n</div>\n</body></html>\n");
    html
}

/// `ls -l` lines in a `<pre>`, the name linked (FTP-over-HTTP gateways, ls
/// dumps): `-rw-r--r--   1 ftp  ftp   1234 Dec  2 14:03 <a href="x">x</a>`.
pub(super) fn ls_long(path: &str, entries: &[Entry], offset: i64) -> String {
    let mut html = format!(
        "<html><head><title>FTP directory {path}</title></head><body>\n<h2>FTP directory {path}</h2>\n<pre>\ntotal {}\n<a href=\"../\">..</a>\n",
        entries.len()
    );
    for entry in entries {
        let mode = if entry.is_dir {
            "drwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        let size = if entry.is_dir { 4096 } else { entry.size };
        html.push_str(&format!(
            "{mode}   1 ftp      ftp  {size:>10} {} <a href=\"{}\">{}</a>\n",
            ls_date(entry.modified, offset),
            href(&entry.name, entry.is_dir, PYTHON_ESCAPE),
            html_escape(&entry.name),
        ));
    }
    html.push_str("</pre></body></html>\n");
    html
}

/// IIS's directory browsing in another locale: date, time, size or `<dir>`,
/// then the entry linked by its absolute path.
pub(super) fn iis(path: &str, entries: &[Entry], dates: IisDates, offset: i64) -> String {
    let mut html = format!(
        "<html><head><title>127.0.0.1 - {path}</title></head><body><H1>127.0.0.1 - {path}</H1><hr>\r\n\r\n<pre>"
    );
    if path != "/" {
        let parent = path
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or("", |(parent, _)| parent);
        html.push_str(&format!(
            "<A HREF=\"{parent}/\">[To Parent Directory]</A><br><br>"
        ));
    }
    for entry in entries {
        let size = if entry.is_dir {
            "&lt;dir&gt;".to_string()
        } else {
            entry.size.to_string()
        };
        html.push_str(&format!(
            "{} {size:>12} <A HREF=\"{path}{}\">{}</A><br>",
            iis_date(entry.modified, dates, offset),
            href(&entry.name, entry.is_dir, PYTHON_ESCAPE),
            html_escape(&entry.name),
        ));
    }
    html.push_str("</pre><hr></body></html>");
    html
}

fn civil(time: SystemTime, offset: i64) -> jiff::civil::DateTime {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs() as i64);
    jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::from_second(seconds + offset).expect("a time"))
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |duration| duration.as_millis() as u64)
}

/// `ls`'s date: `Dec  2 14:03` within six months of now, `Dec  2  2025` before.
fn ls_date(time: SystemTime, offset: i64) -> String {
    let recent = SystemTime::now()
        .duration_since(time)
        .map_or(true, |age| age < Duration::from_secs(182 * 86_400));
    let format = if recent { "%b %e %H:%M" } else { "%b %e  %Y" };
    civil(time, offset).strftime(format).to_string()
}

fn iis_date(time: SystemTime, dates: IisDates, offset: i64) -> String {
    const MONATE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    const TAGE: [&str; 7] = [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ];
    let civil = civil(time, offset);
    match dates {
        IisDates::UsLong => civil.strftime("%A, %B %-d, %Y %l:%M %p").to_string(),
        IisDates::German => civil.strftime("%d.%m.%Y %H:%M").to_string(),
        IisDates::GermanLong => format!(
            "{}, {}. {} {} {}",
            TAGE[civil.weekday().to_monday_zero_offset() as usize],
            civil.day(),
            MONATE[civil.month() as usize - 1],
            civil.year(),
            civil.strftime("%H:%M"),
        ),
        IisDates::Korean => {
            let half = if civil.hour() < 12 {
                "오전"
            } else {
                "오후"
            };
            format!(
                "{} {half} {}",
                civil.strftime("%Y-%m-%d"),
                civil.strftime("%-I:%M")
            )
        }
    }
}
