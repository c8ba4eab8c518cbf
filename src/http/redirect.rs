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

/// Whether `next` could be a cut-down [`unescaped_folder_redirect`]: the redirect
/// policy sees the target without its fragment, so it stops at any redirect whose
/// decoded path begins the decoded folder, and [`HttpClient::send`] decides with
/// the raw `Location`.
///
/// [`HttpClient::send`]: crate::http::client::HttpClient::send
fn may_be_unescaped_folder_redirect(previous: &Url, next: &Url) -> bool {
    if previous.path().ends_with('/') || previous.origin() != next.origin() {
        return false;
    }
    let folder = format!("{}/", previous.path());
    if next.path() == folder && next.query().is_none() {
        return false;
    }
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    decode(&folder).starts_with(&decode(next.path()))
}

/// Whether `next` is what a URL parser makes of a redirect from `previous` to
/// `previous` + `/` written without escapes, as mini_httpd writes it: `/a%20%23`
/// redirected to `Location: /a #/` parses as the path `/a%20` and the fragment `/`,
/// a file that does not exist. Decoded, both say `/a #/`, so the folder is meant.
fn unescaped_folder_redirect(previous: &Url, next: &Url) -> bool {
    if previous.path().ends_with('/') || previous.origin() != next.origin() {
        return false;
    }
    let folder = format!("{}/", previous.path());
    if next.path() == folder && next.query().is_none() && next.fragment().is_none() {
        // Parsed as meant: nothing to repair.
        return false;
    }
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let mut said = decode(next.path());
    if let Some(query) = next.query() {
        said.push('?');
        said.push_str(&decode(query));
    }
    if let Some(fragment) = next.fragment() {
        said.push('#');
        said.push_str(&decode(fragment));
    }
    said == decode(&folder)
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

/// Where a redirect the policy stopped leads: the folder, when its raw `Location`
/// is an [`unescaped_folder_redirect`], else the `Location` as written.
pub(crate) fn stopped_redirect_target(response: &Response) -> Option<Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(reqwest::header::LOCATION)?;
    let location = String::from_utf8_lossy(location.as_bytes());
    let next = response.url().join(&location).ok()?;
    if !may_be_unescaped_folder_redirect(response.url(), &next) {
        // Not one the policy stops at (a redirect of a method it does not
        // follow, say): the answer as it is.
        return None;
    }
    if !unescaped_folder_redirect(response.url(), &next) {
        return Some(next);
    }
    let mut folder = response.url().clone();
    folder.set_path(&format!("{}/", response.url().path()));
    Some(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn unescaped_folder_redirects_are_told_from_other_redirects() {
        let from = url("http://h/pub/a%20%23");
        let said = |location: &str| from.join(location).expect("join");
        // What mini_httpd writes for the folder: decoded, the same as `from` + `/`.
        assert!(unescaped_folder_redirect(&from, &said("/pub/a #/")));
        let question = url("http://h/pub/q%3F");
        assert!(unescaped_folder_redirect(
            &question,
            &question.join("/pub/q?/").expect("join")
        ));
        // Escaped as it should be: followed as it is.
        assert!(!unescaped_folder_redirect(&from, &said("/pub/a%20%23/")));
        // Somewhere else, another host, or from a folder: not this case.
        assert!(!unescaped_folder_redirect(&from, &said("/pub/other/")));
        assert!(!unescaped_folder_redirect(
            &from,
            &said("http://g/pub/a #/")
        ));
        let folder = url("http://h/pub/a/");
        assert!(!unescaped_folder_redirect(
            &folder,
            &folder.join("/pub/a/#/").expect("join")
        ));
        // The policy only sees the path: it stops where the raw text must decide.
        let cut = url("http://h/pub/a%20");
        assert!(may_be_unescaped_folder_redirect(&from, &cut));
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &said("/pub/a%20%23/")
        ));
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &said("/elsewhere")
        ));
    }
}
