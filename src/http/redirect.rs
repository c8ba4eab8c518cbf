//! Redirects, as curl and wget follow them: at most [`MAX_REDIRECTS`] in a row,
//! errors that name the URL that failed rather than the first of the chain, and
//! mini_httpd's unescaped folder redirects (`Location: /a #/` for `/a%20%23`)
//! followed to the folder that was meant.

use percent_encoding::percent_decode_str;
use reqwest::Response;
use url::Url;

/// Redirects followed in a row before a request fails, as curl and wget do.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Follows up to [`MAX_REDIRECTS`] redirects, but stops at an unescaped folder
/// redirect (see [`unescaped_folder_redirect`]), which [`HttpClient::send`] then
/// follows to the right URL itself.
///
/// [`HttpClient::send`]: crate::http::client::HttpClient::send
pub(crate) fn policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(TooManyRedirects);
        }
        match attempt.previous().last() {
            Some(previous) if may_be_unescaped_folder_redirect(previous, attempt.url()) => {
                attempt.stop()
            }
            _ => {
                note_redirect(attempt.url());
                attempt.follow()
            }
        }
    })
}

tokio::task_local! {
    /// The URL the request being executed was last redirected to. The redirect
    /// policy runs inside the poll of the request's own future, so a task-local
    /// that [`naming_last_redirect`] scopes around one request belongs to it alone.
    static REDIRECTED_TO: std::cell::RefCell<Option<Url>>;
}

/// Remembers that the request in flight now goes to `url`.
fn note_redirect(url: &Url) {
    let _ = REDIRECTED_TO.try_with(|slot| *slot.borrow_mut() = Some(url.clone()));
}

/// More than [`MAX_REDIRECTS`] redirects in a row.
#[derive(Debug)]
struct TooManyRedirects;

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "too many redirects (more than {MAX_REDIRECTS})")
    }
}

impl std::error::Error for TooManyRedirects {}

/// The `Location` mini_httpd writes for the folder `previous` + `/` when
/// `previous` (a link without its trailing slash) is a folder: the folder's path,
/// decoded, as it is, byte for byte (`/dir%20lit/` for `/dir%2520lit`,
/// `/back\slashdir/` for `/back%5Cslashdir`, `/a #/` for `/a%20%23`). `None` for
/// a link that already ends with `/`.
fn unescaped_folder_location(previous: &Url) -> Option<Vec<u8>> {
    if previous.path().ends_with('/') {
        return None;
    }
    let mut raw: Vec<u8> = percent_decode_str(previous.path()).collect();
    raw.push(b'/');
    Some(raw)
}

/// Where a URL parser, the redirect policy's (tower-http's `Url::join`), takes the
/// [`unescaped_folder_location`] of `previous`: the folder itself for a name it
/// leaves alone, else somewhere else (`\` becomes `/`, tab, CR and LF are dropped,
/// `%20` is read as an escape, `#` starts a fragment and `?` a query, `%2e%2e` is
/// `..`). Without its fragment, which the policy does not see. `None` for a
/// `Location` that is not UTF-8, which tower-http does not follow.
fn parsed_unescaped_folder_location(previous: &Url) -> Option<Url> {
    let raw = unescaped_folder_location(previous)?;
    let mut parsed = previous.join(std::str::from_utf8(&raw).ok()?).ok()?;
    parsed.set_fragment(None);
    Some(parsed)
}

/// Whether the redirect policy must stop at a redirect from `previous` to `next`
/// (parsed) because its raw `Location` may be an [`unescaped_folder_redirect`]:
/// `next` is where the parser takes [`unescaped_folder_location`] of `previous`,
/// and that is not the folder as meant. [`stopped_redirect_target`] then decides
/// on the raw bytes, which the policy does not see: a redirect to some other path
/// that parses the same way is followed as written.
fn may_be_unescaped_folder_redirect(previous: &Url, next: &Url) -> bool {
    if previous.path().ends_with('/') {
        return false;
    }
    let mut next = next.clone();
    next.set_fragment(None);
    let folder = format!("{}/", previous.path());
    if next.origin() == previous.origin() && next.path() == folder && next.query().is_none() {
        // Parsed as meant: followed as it is.
        return false;
    }
    parsed_unescaped_folder_location(previous).is_some_and(|parsed| parsed == next)
}

/// Whether `location`, the raw `Location` of a redirect from `previous`, is the
/// folder `previous` + `/` written without escapes, as mini_httpd writes it: its
/// path, read literally, not decoded again, is the decoded path of `previous` +
/// `/` ([`unescaped_folder_location`]). A URL parser reads `/a #/` as the path
/// `/a%20` and the fragment `/`, `/dir%20lit/` as `dir lit/` and
/// `/back\slashdir/` as `/back/slashdir/`, none of them the folder. An absolute
/// `Location` counts only for the origin of `previous`; a `Location` that merely
/// begins like the folder is some other path.
fn unescaped_folder_redirect(previous: &Url, location: &[u8]) -> bool {
    let Some(folder) = unescaped_folder_location(previous) else {
        return false;
    };
    location == folder.as_slice() || location_path_on(previous, location) == Some(folder.as_slice())
}

/// The path of `location` written as an absolute URL (`http://host:port/path`)
/// of the origin of `previous`, as it is; `None` for another origin or another form.
fn location_path_on<'a>(previous: &Url, location: &'a [u8]) -> Option<&'a [u8]> {
    let scheme_end = location.windows(3).position(|three| three == b"://")?;
    let authority_start = scheme_end + 3;
    let path_start = authority_start
        + location[authority_start..]
            .iter()
            .position(|&byte| byte == b'/')?;
    let origin = std::str::from_utf8(&location[..path_start]).ok()?;
    if origin
        .bytes()
        .any(|byte| matches!(byte, b'?' | b'#' | b'\\' | b'@') || byte <= b' ')
    {
        return None;
    }
    let origin = Url::parse(origin).ok()?;
    (origin.origin() == previous.origin()).then_some(&location[path_start..])
}

/// Runs `send`, the future of one request, noting where the redirect policy sends
/// it: reqwest names the first URL of a redirect chain in its errors, whichever URL
/// failed, and the user would check a server that works. A failure after a
/// redirect names the last URL instead.
pub(crate) async fn naming_last_redirect(
    send: impl Future<Output = reqwest::Result<Response>>,
) -> reqwest::Result<Response> {
    let (redirected_to, response) = REDIRECTED_TO
        .scope(std::cell::RefCell::new(None), async {
            let response = send.await;
            let redirected_to = REDIRECTED_TO.with(|slot| slot.borrow_mut().take());
            (redirected_to, response)
        })
        .await;
    match (response, redirected_to) {
        (Err(error), Some(target)) => Err(error.with_url(target)),
        (response, _) => response,
    }
}

/// Where a redirect that reached [`HttpClient::send`] unfollowed leads: the folder,
/// when its raw `Location` is an [`unescaped_folder_redirect`] (stopped by the
/// policy, or not followed at all for a `Location` that is not UTF-8); else the
/// `Location` as written when the policy stopped at it. `None` for the rest (a
/// redirect of a method or status that is not followed, say): the answer as it is.
///
/// [`HttpClient::send`]: crate::http::client::HttpClient::send
pub(crate) fn stopped_redirect_target(response: &Response) -> Option<Url> {
    if !is_followed_redirect(response.status()) {
        return None;
    }
    let location = response.headers().get(reqwest::header::LOCATION)?;
    unfollowed_redirect_target(response.url(), location.as_bytes())
}

/// [`stopped_redirect_target`] of a redirect from `from` to the raw `location`.
fn unfollowed_redirect_target(from: &Url, location: &[u8]) -> Option<Url> {
    if unescaped_folder_redirect(from, location) {
        let mut folder = from.clone();
        folder.set_path(&format!("{}/", from.path()));
        folder.set_query(None);
        folder.set_fragment(None);
        return Some(folder);
    }
    let mut next = from.join(&String::from_utf8_lossy(location)).ok()?;
    next.set_fragment(None);
    may_be_unescaped_folder_redirect(from, &next).then_some(next)
}

/// The redirects tower-http follows (and so the policy may stop at).
fn is_followed_redirect(status: reqwest::StatusCode) -> bool {
    use reqwest::StatusCode;
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    /// What the policy sees of a raw `Location` from `from`: the parsed URL
    /// without its fragment, as tower-http hands it over.
    fn parsed(from: &Url, location: &str) -> Url {
        let mut next = from.join(location).expect("join");
        next.set_fragment(None);
        next
    }

    /// Where a redirect from `from` to the raw `location` leads: where the policy
    /// follows it, or else where [`HttpClient::send`] asks after it stopped.
    ///
    /// [`HttpClient::send`]: crate::http::client::HttpClient::send
    fn lands_on(from: &Url, location: &str) -> Option<Url> {
        let next = parsed(from, location);
        if may_be_unescaped_folder_redirect(from, &next) {
            unfollowed_redirect_target(from, location.as_bytes())
        } else {
            Some(next)
        }
    }

    /// Whether a redirect from `from` to the raw `location` leads to the folder
    /// `from` + `/`, as `from` is written.
    fn taken_for_folder(from: &Url, location: &str) -> bool {
        let folder = format!("{}/", from.as_str());
        lands_on(from, location).is_some_and(|landed| landed.as_str() == folder)
    }

    #[test]
    fn unescaped_folder_redirects_are_told_from_other_redirects() {
        let from = url("http://h/pub/a%20%23");
        // What mini_httpd writes for the folder: the decoded path + `/`, as it is.
        assert!(taken_for_folder(&from, "/pub/a #/"));
        assert!(taken_for_folder(&url("http://h/pub/q%3F"), "/pub/q?/"));
        assert!(taken_for_folder(&url("http://h/pub/q%3Fx"), "/pub/q?x/"));
        // Escaped as it should be: followed as it is.
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &parsed(&from, "/pub/a%20%23/")
        ));
        assert!(!unescaped_folder_redirect(&from, b"/pub/a%20%23/"));
        // Somewhere else, another host, or from a folder: not this case.
        assert!(!taken_for_folder(&from, "/pub/other/"));
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &parsed(&from, "/elsewhere")
        ));
        assert!(!taken_for_folder(&from, "http://g/pub/a #/"));
        assert!(!unescaped_folder_redirect(&from, b"http://g/pub/a #/"));
        let folder = url("http://h/pub/a/");
        assert!(!taken_for_folder(&folder, "/pub/a/#/"));
        assert!(!unescaped_folder_redirect(&folder, b"/pub/a//"));
    }

    #[test]
    fn an_unescaped_folder_location_is_read_literally_not_decoded_again() {
        // A folder named `dir%20lit`: its link is `dir%2520lit`, its Location the
        // name as it is, which a parser reads as `dir lit/`, another folder.
        let literal = url("http://h/dir%2520lit");
        assert_eq!(parsed(&literal, "/dir%20lit/").path(), "/dir%20lit/");
        assert!(taken_for_folder(&literal, "/dir%20lit/"));
        // Escaped, it is the folder as parsed; decoded twice, it is not the folder.
        assert!(!may_be_unescaped_folder_redirect(
            &literal,
            &parsed(&literal, "/dir%2520lit/")
        ));
        assert!(!unescaped_folder_redirect(&literal, b"/dir lit/"));
        assert!(!taken_for_folder(&literal, "/dir lit/"));
        // The folder `dir lit` (link `dir%20lit`) redirected to `/dir%20lit/`, an
        // ordinary escaped redirect: followed as it is, not repaired.
        let spaced = url("http://h/dir%20lit");
        assert!(!may_be_unescaped_folder_redirect(
            &spaced,
            &parsed(&spaced, "/dir%20lit/")
        ));
        assert!(!unescaped_folder_redirect(&spaced, b"/dir%20lit/"));
        assert!(taken_for_folder(&spaced, "/dir lit/"));
        // A lone `%` and an invalid escape, as they are.
        assert!(taken_for_folder(&url("http://h/pub/pct%25"), "/pub/pct%/"));
        assert!(taken_for_folder(&url("http://h/x%25zz"), "/x%zz/"));
        // `%2e%2e`, a parser's `..`: `/pub/%2e%2e/` parses as `/`.
        let dots = url("http://h/pub/%252e%252e");
        assert_eq!(parsed(&dots, "/pub/%2e%2e/").path(), "/");
        assert!(taken_for_folder(&dots, "/pub/%2e%2e/"));
        // ... and a real redirect to `/` is followed, not taken for the folder.
        assert!(may_be_unescaped_folder_redirect(&dots, &parsed(&dots, "/")));
        assert!(!unescaped_folder_redirect(&dots, b"/"));
        assert_eq!(lands_on(&dots, "/"), Some(url("http://h/")));
    }

    #[test]
    fn characters_a_url_parser_rewrites_or_drops_are_compared_raw() {
        // `\` is `/` to a parser (`/back/slashdir/`): nothing else would match.
        let backslash = url("http://h/back%5Cslashdir");
        assert_eq!(
            parsed(&backslash, "/back\\slashdir/").path(),
            "/back/slashdir/"
        );
        assert!(taken_for_folder(&backslash, "/back\\slashdir/"));
        assert!(taken_for_folder(
            &url("http://h/back%5cslashdir"),
            "/back\\slashdir/"
        ));
        // A real redirect into `/back/slashdir/` parses the same: followed as it is.
        assert!(may_be_unescaped_folder_redirect(
            &backslash,
            &parsed(&backslash, "/back/slashdir/")
        ));
        assert!(!unescaped_folder_redirect(&backslash, b"/back/slashdir/"));
        assert_eq!(
            lands_on(&backslash, "/back/slashdir/"),
            Some(url("http://h/back/slashdir/"))
        );
        // A tab is dropped by a parser (CR and LF cannot be in a header).
        let tab = url("http://h/tab%09here");
        assert_eq!(parsed(&tab, "/tab\there/").path(), "/tabhere/");
        assert!(taken_for_folder(&tab, "/tab\there/"));
        // Spaces, leading and trailing, and non-ASCII (NFC, NFD and right-to-left),
        // escaped by the parser in its own case.
        assert!(taken_for_folder(
            &url("http://h/%20lead%20trail%20"),
            "/ lead trail /"
        ));
        let nfd = url("http://h/re%cc%81sume%cc%81-dir");
        // (The same name in NFC is another name.)
        assert!(!taken_for_folder(&nfd, "/r\u{e9}sum\u{e9}-dir/"));
        assert!(taken_for_folder(&nfd, "/re\u{301}sume\u{301}-dir/"));
        assert!(taken_for_folder(
            &url("http://h/%d7%a9%d7%9c%d7%95%d7%9d"),
            "/\u{5e9}\u{5dc}\u{5d5}\u{5dd}/"
        ));
        // Not UTF-8 (Latin-1 `é`): never followed by the policy, matched on the bytes.
        let latin1 = url("http://h/caf%e9");
        assert!(unescaped_folder_redirect(&latin1, b"/caf\xe9/"));
        assert!(!unescaped_folder_redirect(&latin1, b"/caf\xc3\xa9/"));
        // `#` and `?` together, in a sub-folder.
        assert!(taken_for_folder(
            &url("http://h/pub/hash%23/q%3F"),
            "/pub/hash#/q?/"
        ));
    }

    #[test]
    fn only_the_whole_folder_location_is_the_folder() {
        let from = url("http://h/pub/dir%2520lit");
        // Merely starting the same way, or the same with more after it.
        for other in [
            "/pub/dir%20lit",
            "/pub/dir%20lit/x",
            "/pub/dir%20lit//",
            "/pub/dir%20lit/?",
            "/pub/dir%20lit/#",
            "/pub/dir%20li/",
            "pub/dir%20lit/",
            "dir%20lit/",
            "//h/pub/dir%20lit/",
        ] {
            assert!(
                !unescaped_folder_redirect(&from, other.as_bytes()),
                "{other}"
            );
            // Followed where it says (without a fragment), stopped or not.
            assert_eq!(
                lands_on(&from, other),
                Some(parsed(&from, other)),
                "{other}"
            );
        }
        // The absolute form counts for the same origin only.
        assert!(unescaped_folder_redirect(&from, b"http://h/pub/dir%20lit/"));
        assert!(unescaped_folder_redirect(
            &from,
            b"http://h:80/pub/dir%20lit/"
        ));
        assert!(taken_for_folder(&from, "http://h/pub/dir%20lit/"));
        assert!(!unescaped_folder_redirect(
            &from,
            b"https://h/pub/dir%20lit/"
        ));
        assert!(!unescaped_folder_redirect(
            &from,
            b"http://h:81/pub/dir%20lit/"
        ));
        assert!(!unescaped_folder_redirect(
            &from,
            b"http://g/pub/dir%20lit/"
        ));
        assert!(!unescaped_folder_redirect(
            &from,
            b"http://u@h/pub/dir%20lit/"
        ));
        // An ordinary folder redirect, escaped, is not stopped at all.
        let plain = url("http://h/pub/dir");
        assert!(!may_be_unescaped_folder_redirect(
            &plain,
            &parsed(&plain, "/pub/dir/")
        ));
        assert!(!may_be_unescaped_folder_redirect(
            &plain,
            &parsed(&plain, "/pub/dir/?x")
        ));
    }
}
