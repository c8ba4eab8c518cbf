//! FTP and FTPS sessions: connecting (and `AUTH TLS` for `ftps://`), logging in,
//! passive data connections, listing a folder (`MLSD`, else `LIST`), a file's
//! size and time (`SIZE`, `MDTM`) and its body (`REST` + `RETR`), over
//! suppaftp's tokio client. Sessions are kept per server and user once logged
//! in, and used again: a folder of 2,000 files logs in once per connection, not
//! once per file. How many are open at once is the run's `--jobs` and
//! `--per-host` (every listing and transfer holds a slot while it uses one).
//!
//! A listing's lines are read by [`crate::listing::formats::ftp`]; a file's
//! bytes are written by `transfer::ftp`. This floor knows no page and no disk.
//!
//! `ftps://` is explicit FTPS (RFC 4217): the session starts in plain text on
//! port 21 (or the URL's) and must be switched to TLS by `AUTH TLS` before the
//! login; a server that refuses is an error, never a plain-text login. Data
//! connections are protected too (`PBSZ 0`, `PROT P`). Implicit FTPS (TLS from
//! the first byte, port 990) is not spoken.

pub(crate) mod data;
pub(crate) mod reply;
pub(crate) mod session;

pub(crate) use session::{FtpSessions, ListingKind};

use url::Url;

/// Whether `url` is one this floor serves: `ftp://` or `ftps://`.
pub(crate) fn is_ftp(url: &Url) -> bool {
    matches!(url.scheme(), "ftp" | "ftps")
}

/// `url` as a folder: an FTP URL that is a folder gets its final `/`, so that
/// its entries resolve under it (an HTTP server says so by a redirect). Any
/// other URL is returned as it is.
pub(crate) fn folder_url(url: &Url) -> Url {
    let mut folder = url.clone();
    if is_ftp(url) && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        folder.set_path(&path);
    }
    folder
}

/// The server path of `url`, percent-decoded (`/pub/a%20b/` → `/pub/a b/`).
/// `None` when it decodes to no UTF-8 text, or holds a line break that would end
/// the command early.
pub(crate) fn server_path(url: &Url) -> Option<String> {
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .ok()?
        .into_owned();
    (!path.contains(['\r', '\n', '\0'])).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_and_line_breaks_refused() {
        let path = |text: &str| server_path(&Url::parse(text).expect("URL"));
        assert_eq!(path("ftp://h/pub/a%20b/").as_deref(), Some("/pub/a b/"));
        assert_eq!(path("ftp://h/caf%C3%A9").as_deref(), Some("/café"));
        assert_eq!(path("ftp://h/%2523").as_deref(), Some("/%23"));
        assert_eq!(path("ftp://h/a%0D%0ADELE%20x"), None);
        assert_eq!(path("ftp://h/%FF"), None);
        assert!(is_ftp(&Url::parse("ftps://h/").expect("URL")));
        assert!(!is_ftp(&Url::parse("https://h/").expect("URL")));
    }
}
