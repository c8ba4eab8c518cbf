//! h5ai's folders. Its page is drawn by script; without script it shows a
//! fallback table whose sizes are rounded to the KB and whose times are local
//! minutes. The script asks the folder itself for its entries with a `POST` of
//! `{"action":"get","items":{"href":…,"what":1}}`, and h5ai answers with every
//! entry's exact size and its time in milliseconds — of the folder asked and of
//! each folder above it (`what: 1`), all in one flat list. Those of the folder
//! asked are its links; an answer that does not list the folder itself as
//! `fetched` is no listing of it (h5ai answers `{"items":[]}` for a folder it
//! does not manage), and the crawl reads the fallback table instead.

use std::time::{Duration, SystemTime};

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use url::Url;

use crate::listing::link::{Link, resolve};
use crate::listing::meta::{ListedSize, ListedTime};

/// Whether a folder's page is h5ai's: its head loads resources from `/_h5ai/`
/// and says it is powered by h5ai (its title), or the page ends with h5ai's
/// closing comment. Only the head and the tail are looked at: a fallback table of
/// many thousand rows costs nothing more.
pub fn is_h5ai_page(text: &str) -> bool {
    let head = prefix(text, 8 * 1024);
    let tail = suffix(text, 256);
    head.contains("/_h5ai/") && (head.contains("powered by h5ai") || tail.contains("<!-- h5ai v"))
}

/// The first `bytes` of `text` (fewer, to end on a character boundary).
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = text.len().min(bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The last `bytes` of `text` (fewer, to start on a character boundary).
fn suffix(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The body of the `POST` that asks h5ai for the entries of `folder`.
pub fn items_request(folder: &Url) -> String {
    serde_json::json!({
        "action": "get",
        "items": { "href": folder.path(), "what": 1 },
    })
    .to_string()
}

#[derive(Deserialize)]
struct Answer {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    href: String,
    #[serde(default)]
    time: Option<u64>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    fetched: Option<bool>,
}

/// Why an answer is no listing of the folder asked.
#[derive(Debug)]
pub enum H5aiError {
    /// Not the JSON h5ai answers.
    Json(serde_json::Error),
    /// The folder itself is not among the items, read (`fetched`).
    NotListed,
}

impl std::fmt::Display for H5aiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            H5aiError::Json(error) => write!(f, "no h5ai items answer ({error})"),
            H5aiError::NotListed => f.write_str("h5ai items that do not list the folder asked"),
        }
    }
}

/// The entries of `folder` in an items answer, as links: folders (their hrefs
/// end in `/`) without size or time, files with their exact size and time.
/// Entries of other folders (those above, listed too) are left out.
pub fn h5ai_links(text: &str, folder: &Url) -> Result<Vec<Link>, H5aiError> {
    let answer: Answer = serde_json::from_str(text).map_err(H5aiError::Json)?;
    let mut folder = folder.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let own = decoded(folder.path());
    let mut listed = false;
    let mut links = Vec::new();
    for item in answer.items {
        let href = item.href.trim();
        let url = resolve(&folder, href);
        let path = match &url {
            // An entry on another server is none of this folder's.
            Ok(url) if url.origin() != folder.origin() => continue,
            Ok(url) => decoded(url.path()),
            Err(_) => decoded(href),
        };
        if path == own {
            listed |= item.fetched == Some(true);
            continue;
        }
        if parent(&path) != Some(own.as_str()) {
            continue;
        }
        let is_file = !href.ends_with('/');
        links.push(Link {
            href: href.to_string(),
            url,
            size: item.size.filter(|_| is_file).map(ListedSize::exact),
            modified: item.time.filter(|_| is_file).map(|milliseconds| {
                ListedTime::exact(SystemTime::UNIX_EPOCH + Duration::from_millis(milliseconds))
            }),
            local_modified: None,
        });
    }
    if listed {
        Ok(links)
    } else {
        Err(H5aiError::NotListed)
    }
}

/// A path percent-decoded, so that `%26` and `&` compare equal.
fn decoded(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

/// The folder a decoded path is in, with its final `/`: `/a/b/` and `/a/b` are
/// in `/a/`.
fn parent(path: &str) -> Option<&str> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    trimmed.rfind('/').map(|slash| &path[..=slash])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;

    #[test]
    fn h5ai_pages_are_recognised_and_others_are_not() {
        assert!(is_h5ai_page(&fixture("h5ai-0.30.0.html")));
        for other in [
            "nginx.html",
            "apache-fancy.html",
            "caddy.html",
            "copyparty-1.20.26.html",
            "lighttpd.html",
        ] {
            assert!(!is_h5ai_page(&fixture(other)), "{other}");
        }
        // A table of many rows: the head and the tail still tell.
        let page = fixture("h5ai-0.30.0.html");
        let row = "<tr><td class=\"fb-n\"><a href=\"/é.txt\">é.txt</a></td></tr>";
        let long = page.replacen("</table>", &format!("{}</table>", row.repeat(100_000)), 1);
        assert!(is_h5ai_page(&long));
        assert!(!is_h5ai_page(&format!("<p>{}</p>", "é".repeat(5000))));
    }

    #[test]
    fn the_request_names_the_folder_by_its_path() {
        let folder = Url::parse("http://127.0.0.1:8471/dir%20with%20space/").unwrap();
        assert_eq!(
            items_request(&folder),
            r#"{"action":"get","items":{"href":"/dir%20with%20space/","what":1}}"#
        );
    }

    #[test]
    fn the_items_of_the_folder_asked_come_with_exact_metadata() {
        let root = Url::parse("http://127.0.0.1:8471/").unwrap();
        let links = h5ai_links(&fixture("h5ai-0.30.0-items-root.json"), &root).unwrap();
        let urls: Vec<_> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:8471/dir%20with%20space/",
                "http://127.0.0.1:8471/sub/",
                "http://127.0.0.1:8471/a.txt",
                "http://127.0.0.1:8471/empty",
                "http://127.0.0.1:8471/sp%20ace%23%26%2B%25.txt",
                "http://127.0.0.1:8471/%C3%A9.txt",
            ]
        );
        assert_eq!(links[0].size, None, "a folder's size is that of its files");
        assert_eq!(links[0].modified, None);
        assert_eq!(links[2].size, Some(ListedSize::exact(5)));
        assert_eq!(links[3].size, Some(ListedSize::exact(0)));
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_229_617);
        assert_eq!(links[2].modified, Some(ListedTime::exact(time)));
    }

    #[test]
    fn the_items_of_the_folders_above_are_left_out() {
        let deep = Url::parse("http://127.0.0.1:8471/sub/deep/").unwrap();
        let links = h5ai_links(&fixture("h5ai-0.30.0-items-deep.json"), &deep).unwrap();
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:8471/sub/deep/d.bin"
        );
        assert_eq!(links[0].size, Some(ListedSize::exact(4)));
    }

    #[test]
    fn an_answer_that_does_not_list_the_folder_is_no_listing() {
        let root = Url::parse("http://127.0.0.1:8471/").unwrap();
        assert!(matches!(
            h5ai_links(r#"{"items":[]}"#, &root),
            Err(H5aiError::NotListed)
        ));
        assert!(matches!(
            h5ai_links(r#"{"code":1}"#, &root),
            Err(H5aiError::Json(_))
        ));
        assert!(matches!(
            h5ai_links("<html>", &root),
            Err(H5aiError::Json(_))
        ));
        let other = r#"{"items":[{"href":"/other/","fetched":true},{"href":"/other/x","size":1}]}"#;
        assert!(matches!(
            h5ai_links(other, &root),
            Err(H5aiError::NotListed)
        ));
        let hostile = r#"{"items":[{"href":"/","fetched":true},{"href":"/../etc/passwd","size":1},
            {"href":"http://elsewhere.test/x","size":1},{"href":"/sub/../../y","size":1}]}"#;
        let links = h5ai_links(hostile, &root).unwrap();
        let urls: Vec<_> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect();
        // `/../etc/passwd` is `/etc/passwd`, in no folder of this one.
        assert_eq!(urls, ["http://127.0.0.1:8471/y"], "{links:?}");
        let empty = r#"{"items":[{"href":"/","fetched":true}]}"#;
        assert!(h5ai_links(empty, &root).unwrap().is_empty());
    }
}
