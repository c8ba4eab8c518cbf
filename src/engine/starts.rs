//! Start URLs: parsed (`-i FILE` URL lists too), their default output folder, and
//! those that are files rather than pages.
//!
//! A start URL whose path ends with `/` is a page. Any other may be a direct link to
//! a file (`https://h/isos/x.iso` in a list of downloads), so it is asked with HEAD
//! first ([`StartKind`]):
//!
//! - a success whose `Content-Type` is not HTML, XHTML or JSON: a file, saved in the
//!   output folder under its last path segment (and subject to the filters and
//!   `--shard`, with that name as its relative path);
//! - a success with a page type, or none: a page, read as before;
//! - an error status (404, 410, 403…): a file, whose failure is reported as a failed
//!   file with its URL and status (exit 1), as wget and aria2 do for a list — not as
//!   a start page that cannot be read;
//! - a HEAD the server refuses (405, 501) or answers with a status that may pass
//!   (500, 503…): the GET's answer decides the same way;
//! - no answer at all (refused connection, TLS or DNS failure): a page, so the
//!   failure is reported once, as the page's.
//!
//! A redirect that ends at a URL ending with `/` makes a page whatever the status.
//!
//! An `ftp://` or `ftps://` start URL without a final `/` is a folder when the
//! server lets fetchall enter it (`CWD`), else a file.
//!
//! With `--webdav`, the server is asked first with `PROPFIND` `Depth: 0`: a
//! collection is a page, any other entry a file; an answer that says neither
//! leaves it to HEAD.

use std::path::Path;

use reqwest::header::CONTENT_TYPE;
use url::Url;

use crate::engine::head::head_then_get;
use crate::engine::run::Run;
use crate::error::{Error, shown_input};
use crate::event::SkipReason;
use crate::listing::page::is_page_type;
use crate::plan::paths;
use crate::plan::{Planner, Task};

/// The URLs of a URL list: one per line, surrounding blanks trimmed, blank lines
/// and `#` comments ignored.
///
/// ```
/// let urls = fetchall::read_url_list("# mirrors\nhttps://h/a/\n\n  https://h/b.iso  \n");
/// assert_eq!(urls, ["https://h/a/", "https://h/b.iso"]);
/// ```
pub fn read_url_list(text: &str) -> Vec<String> {
    // A list saved by Windows Notepad starts with a byte-order mark, which is not
    // white space: left in, it made the first URL invalid and stopped the run.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// One start URL and where its files go.
pub(crate) struct Start {
    pub url: Url,
    pub output: std::path::PathBuf,
    /// Read from a `-i` list: a batch item, whose page failing is a failed item.
    pub from_list: bool,
}

/// What a start URL turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartKind {
    /// A page to read (a listing or any page of links).
    Page,
    /// A direct link to a file (which may fail like any file).
    File,
}

/// What an answer to HEAD (or to the GET asked when HEAD is refused) says a start
/// URL is; `None` when it cannot tell and the GET must decide.
pub fn kind_of_answer(
    status: reqwest::StatusCode,
    final_url: &Url,
    content_type: Option<&str>,
    is_head: bool,
) -> Option<StartKind> {
    if final_url.path().ends_with('/') {
        // `/dir` redirected to `/dir/`: a folder, whatever it answers.
        return Some(StartKind::Page);
    }
    if status.is_success() {
        return Some(if is_page_type(content_type) {
            StartKind::Page
        } else {
            StartKind::File
        });
    }
    let head_refused = matches!(status.as_u16(), 405 | 501);
    let may_pass = crate::pace::retry::is_transient_status(status);
    if is_head && (head_refused || may_pass) {
        return None;
    }
    Some(StartKind::File)
}

/// Parses a start URL, accepting http, https, ftp and ftps.
pub fn parse_start_url(input: &str) -> Result<Url, Error> {
    // A bare `%` typed or listed (`100%.txt`) is a literal percent sign.
    let repaired = crate::listing::repair_percent(input.trim());
    let url = Url::parse(&repaired).map_err(|source| Error::InvalidUrl {
        input: shown_input(input),
        source,
    })?;
    match url.scheme() {
        "http" | "https" | "ftp" | "ftps" => Ok(url),
        _ => Err(Error::UnsupportedScheme {
            url: shown_input(input),
        }),
    }
}

/// The default output folder for a start URL, as `wget -nH --cut-dirs` users would
/// name it by hand: `https://h/files/quake/bots/` → `bots`, `https://h/` → `h`.
pub fn default_output_name(start: &Url) -> String {
    let folder = crate::select::scope::folder_of(start);
    folder
        .path_segments()
        .and_then(|segments| segments.rev().find(|segment| !segment.is_empty()))
        .and_then(|segment| paths::local_name(segment).ok())
        .or_else(|| start.host_str().map(str::to_string))
        .unwrap_or_else(|| "download".to_string())
}

/// Whether `start` is a page to read or a direct link to a file (see the module
/// documentation).
pub(crate) async fn start_kind(run: &Run, start: &Url) -> StartKind {
    if start.path().ends_with('/')
        || crate::listing::formats::bucket::asks_for_bucket_listing(start)
    {
        return StartKind::Page;
    }
    if crate::ftp::is_ftp(start) {
        // A folder is one the server lets us enter (`CWD`); a failure to ask
        // is the page's, reported once.
        let asked = run.ftp.is_folder(start);
        return tokio::select! {
            () = run.cancel.cancelled() => StartKind::Page,
            folder = asked => match folder {
                Ok(false) => StartKind::File,
                Ok(true) | Err(_) => StartKind::Page,
            },
        };
    }
    if run.options.webdav {
        let asked =
            crate::listing::dav_fetch::is_dav_folder(&run.client, start, run.options.read_timeout);
        let folder = tokio::select! {
            () = run.cancel.cancelled() => return StartKind::Page,
            folder = asked => folder,
        };
        match folder {
            Some(true) => return StartKind::Page,
            Some(false) => return StartKind::File,
            None => {}
        }
    }
    let asked = head_then_get(&run.client, start, run.options.read_timeout, |head| {
        kind_of_response(head, true).is_none()
    });
    let answer = tokio::select! {
        () = run.cancel.cancelled() => return StartKind::Page,
        answer = asked => answer,
    };
    match answer {
        // The last answer settles it: the HEAD's when it could, else the GET's.
        Ok(response) => kind_of_response(&response, false).unwrap_or(StartKind::File),
        // No answer at all: a page, whose failure is reported once, as the page's.
        Err(_) => StartKind::Page,
    }
}

/// [`kind_of_answer`] for a response.
fn kind_of_response(response: &reqwest::Response, is_head: bool) -> Option<StartKind> {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    kind_of_answer(response.status(), response.url(), content_type, is_head)
}

/// The task that downloads a start URL that is a file (none if a filter leaves
/// it out or it repeats an earlier one).
pub(crate) fn plan_start_file(
    run: &Run,
    start: &Url,
    output: &Path,
    planner: &mut Planner,
) -> Option<Task> {
    let skip = |reason: SkipReason| {
        run.log
            .skipped(start.to_string(), start.to_string(), reason);
        None
    };
    let relative = paths::file_name_only(start).and_then(|relative| match start.query() {
        // `get.php?id=1` and `get.php?id=2` are two files, as in a listing.
        Some(query) => relative.with_query(query),
        None => Ok(relative),
    });
    let relative = match relative {
        Ok(relative) => relative,
        Err(why) => return skip(SkipReason::UnsafePath(why.to_string())),
    };
    let name = relative.to_string();
    if let Err(reason) = run.options.filters.check_file(&name, &name) {
        return skip(reason);
    }
    if let Err(reason) = planner.admit(start, &relative) {
        return match reason {
            SkipReason::Duplicate => None,
            reason => skip(reason),
        };
    }
    Some(Task::new(start.clone(), relative, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_folder_is_the_last_path_segment() {
        let name = |url: &str| default_output_name(&Url::parse(url).expect("test URL"));
        assert_eq!(name("https://h/files/quake/bots/"), "bots");
        assert_eq!(name("https://h/files/quake/bots/index.html"), "bots");
        assert_eq!(name("https://h/caf%C3%A9/"), "café");
        assert_eq!(name("https://h/"), "h");
        assert_eq!(name("https://h/%2e%2e/"), "h");
    }

    #[test]
    fn page_types() {
        assert!(is_page_type(None));
        assert!(is_page_type(Some("text/html; charset=utf-8")));
        assert!(is_page_type(Some("application/json")));
        assert!(!is_page_type(Some("application/octet-stream")));
        assert!(!is_page_type(Some("text/plain")));
        assert!(!is_page_type(Some("application/x-iso9660-image")));
    }

    #[test]
    fn what_an_answer_says_a_start_url_is() {
        let file = Url::parse("http://h/isos/x.iso").expect("URL");
        let folder = Url::parse("http://h/isos/").expect("URL");
        let kind = |code: u16, url: &Url, content_type: Option<&str>, is_head: bool| {
            let status = reqwest::StatusCode::from_u16(code).expect("status");
            kind_of_answer(status, url, content_type, is_head)
        };
        let iso = Some("application/octet-stream");
        let html = Some("text/html");
        assert_eq!(kind(200, &file, iso, true), Some(StartKind::File));
        assert_eq!(kind(200, &file, html, true), Some(StartKind::Page));
        assert_eq!(kind(200, &file, None, true), Some(StartKind::Page));
        // Missing, gone, forbidden: failed files, not failed pages.
        for code in [400, 401, 403, 404, 410, 451] {
            assert_eq!(
                kind(code, &file, html, true),
                Some(StartKind::File),
                "{code}"
            );
        }
        // HEAD refused, or a status that may pass: the GET decides.
        for code in [405, 501, 500, 502, 503, 429] {
            assert_eq!(kind(code, &file, None, true), None, "{code}");
            assert_eq!(
                kind(code, &file, None, false),
                Some(StartKind::File),
                "{code}"
            );
        }
        assert_eq!(kind(200, &file, html, false), Some(StartKind::Page));
        // Redirected to a folder: a page, even if it then fails.
        assert_eq!(kind(404, &folder, None, true), Some(StartKind::Page));
        assert_eq!(kind(200, &folder, iso, true), Some(StartKind::Page));
    }
}
