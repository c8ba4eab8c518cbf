//! dufs's folders. Its page draws every link by script from the folder's entries,
//! embedded in the page as JSON: base64 in `<template id="index-data">` (dufs
//! 0.42 and later), a literal `DATA = {…}` script before that. The JSON gives each
//! entry's exact size and its modification time in milliseconds, so it is read
//! instead of the page's (link-less) markup. The same JSON is what dufs answers
//! to `?json`; to a `User-Agent` starting with `curl/`, `wget/`… it sends a
//! plain table instead (`?noscript`), rounded sizes, which is asked again as
//! `?json`.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde::Deserialize;
use url::Url;

use crate::listing::link::{Link, name_as_segment};
use crate::listing::meta::{ListedSize, ListedTime};

/// A dufs folder's entries, as its page or `?json` states them.
#[derive(Deserialize)]
struct Index {
    /// `Index` for a folder listing (`Edit` and `View` are a file's editor).
    kind: String,
    // Required: an answer without it is not a listing, never an empty one.
    paths: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    path_type: String,
    name: String,
    #[serde(default)]
    mtime: Option<u64>,
    #[serde(default)]
    size: Option<u64>,
}

/// What a dufs folder page holds: its entries, or the sign of a page fetchall
/// must ask again as `?json` (the `?noscript` table dufs sends to curl-like agents).
#[derive(Debug)]
pub enum DufsPage {
    /// The folder's entries, read from the JSON in the page.
    Links(Vec<Link>),
    /// The script-less table: ask [`json_listing_url`].
    NoScript,
}

/// Reads a page as dufs's, if it is one: `None` for any other page. A page that
/// is dufs's but whose embedded JSON cannot be read is an error, never an empty
/// folder.
pub fn read_dufs_page(text: &str, folder: &Url) -> Option<Result<DufsPage, String>> {
    if text.len() > 1 << 26 {
        return None;
    }
    // dufs's own `?json` answer (a user's start URL).
    let start = text.trim_start();
    if start.starts_with('{') && start.contains("\"uri_prefix\"") && start.contains("\"paths\"") {
        return Some(read_index(start, folder).map(DufsPage::Links));
    }
    // Its assets are served under `/__dufs_vVERSION__/`; a page without them has
    // no embedded index to look for (each look is a scan of the whole page).
    let is_dufs = text.contains("/__dufs_v");
    if !is_dufs {
        return read_no_script(text);
    }
    if let Some(encoded) = between(text, "<template id=\"index-data\">", "</template>") {
        let json = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|error| format!("dufs's index-data is no base64 ({error})"))
            .and_then(|bytes| {
                String::from_utf8(bytes).map_err(|_| "dufs's index-data is no UTF-8".to_string())
            });
        return Some(json.and_then(|json| read_index(&json, folder).map(DufsPage::Links)));
    }
    if let Some(start) = text.find("DATA = {") {
        let json = &text[start + "DATA = ".len()..];
        let end = json.find("</script>").unwrap_or(json.len());
        return Some(read_index(json[..end].trim(), folder).map(DufsPage::Links));
    }
    read_no_script(text)
}

/// dufs's `?noscript` table: its parent row links `../?noscript`.
fn read_no_script(text: &str) -> Option<Result<DufsPage, String>> {
    let no_script =
        text.contains("<a href=\"../?noscript\">../</a>") && text.contains("<title>Index of ");
    no_script.then_some(Ok(DufsPage::NoScript))
}

/// The text between the first `open` and the `close` after it.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)?;
    Some(&text[start..start + end])
}

/// The URL that asks dufs for a folder as JSON.
pub fn json_listing_url(folder: &Url) -> Url {
    let mut url = folder.clone();
    url.set_fragment(None);
    url.set_query(Some("json"));
    url
}

/// The entries of dufs's JSON (embedded in its page, or its `?json` answer) for
/// `folder`, as links: each name one path segment under the folder, folders
/// ending in `/`, files with their exact size and time.
pub fn read_index(json: &str, folder: &Url) -> Result<Vec<Link>, String> {
    let index: Index =
        serde_json::from_str(json).map_err(|error| format!("no dufs listing ({error})"))?;
    if index.kind != "Index" {
        return Err(format!(
            "a dufs {:?} page, not a folder's index",
            index.kind
        ));
    }
    let mut folder = folder.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    if !folder.path().ends_with('/') {
        let path = format!("{}/", folder.path());
        folder.set_path(&path);
    }
    Ok(index
        .paths
        .into_iter()
        .map(|entry| link(entry, &folder))
        .collect())
}

fn link(entry: Entry, folder: &Url) -> Link {
    let is_dir = entry.path_type.ends_with("Dir");
    // A name with `/` or one that is `.`/`..` is no entry of this folder.
    let valid = !entry.name.is_empty()
        && !entry.name.contains('/')
        && entry.name != "."
        && entry.name != "..";
    let url = if valid {
        let slash = if is_dir { "/" } else { "" };
        folder.join(&format!("./{}{slash}", name_as_segment(&entry.name)))
    } else {
        Err(url::ParseError::RelativeUrlWithoutBase)
    };
    Link {
        href: url
            .as_ref()
            .map_or_else(|_| entry.name.clone(), Url::to_string),
        url,
        // A folder's `size` is how many entries it holds.
        size: entry.size.filter(|_| !is_dir).map(ListedSize::exact),
        modified: entry.mtime.filter(|_| !is_dir).map(|millis| {
            ListedTime::exact(SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
        }),
        local_modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;

    fn read(text: &str, folder: &Url) -> Vec<Link> {
        match read_dufs_page(text, folder) {
            Some(Ok(DufsPage::Links(links))) => links,
            other => panic!("not read: {other:?}"),
        }
    }

    #[test]
    fn the_json_in_dufs_s_page_gives_every_entry_exactly() {
        let folder = Url::parse("http://127.0.0.1:5000/").unwrap();
        let links = read(&fixture("dufs-0.47.0.html"), &folder);
        let url = |name: &str| {
            links
                .iter()
                .find(|link| link.url.as_ref().unwrap().as_str() == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        let folder_link = url("http://127.0.0.1:5000/dir%20with%20space%20%26%20%23/");
        assert_eq!(folder_link.size, None, "a folder's size is its entry count");
        assert_eq!(folder_link.modified, None);
        let march = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_834_367);
        let random = url("http://127.0.0.1:5000/random-1.5MiB.bin");
        assert_eq!(random.size, Some(ListedSize::exact(1_574_098)));
        assert_eq!(random.modified, Some(ListedTime::exact(march)));
        assert_eq!(
            url("http://127.0.0.1:5000/empty.txt").size,
            Some(ListedSize::exact(0))
        );
        for awkward in [
            "http://127.0.0.1:5000/100%25.txt",
            "http://127.0.0.1:5000/%2541.txt",
            "http://127.0.0.1:5000/hash%23name.txt",
            "http://127.0.0.1:5000/question%3Fmark.txt",
            "http://127.0.0.1:5000/plus%2Bsign.txt",
            "http://127.0.0.1:5000/caf%C3%A9.txt",
            "http://127.0.0.1:5000/percent%2520literal.txt",
            "http://127.0.0.1:5000/.hidden",
        ] {
            url(awkward);
        }
        assert_eq!(links.len(), 32);
        let sub = Url::parse("http://127.0.0.1:5000/dir%20with%20space%20%26%20%23/").unwrap();
        let links = read(&fixture("dufs-0.47.0-subdir.html"), &sub);
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:5000/dir%20with%20space%20%26%20%23/inner%20file.txt"
        );
        assert_eq!(links[0].size, Some(ListedSize::exact(54)));
    }

    #[test]
    fn dufs_s_other_answers_and_other_pages() {
        let sub = Url::parse("http://h/dir%20with%20space%20%26%20%23/?json").unwrap();
        let links = read(&fixture("dufs-0.47.0-subdir.json"), &sub);
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "http://h/dir%20with%20space%20%26%20%23/inner%20file.txt"
        );
        assert!(matches!(
            read_dufs_page(&fixture("dufs-0.47.0-noscript.html"), &sub),
            Some(Ok(DufsPage::NoScript))
        ));
        assert_eq!(
            json_listing_url(&Url::parse("http://h/a/").unwrap()).as_str(),
            "http://h/a/?json"
        );
        // Before 0.42 the JSON was a literal script.
        let old = r#"<link rel="stylesheet" href="/__dufs_v0.41.0__/index.css"><script>
    DATA = {"href":"/","kind":"Index","paths":[{"path_type":"File","name":"a b","mtime":1614834367500,"size":7},{"path_type":"SymlinkDir","name":"d","mtime":1,"size":null}]}
  </script>"#;
        let links = read(old, &Url::parse("http://h/x").unwrap());
        assert_eq!(links[0].url.as_ref().unwrap().as_str(), "http://h/x/a%20b");
        assert_eq!(links[1].url.as_ref().unwrap().as_str(), "http://h/x/d/");
        // A name is data: every byte of it reaches the URL, escaped (the URL
        // parser would drop a tab or a line break, and read `%20` as a space).
        let controls = r#"<link rel="stylesheet" href="/__dufs_v0.41.0__/index.css"><script>
    DATA = {"href":"/","kind":"Index","paths":[{"path_type":"File","name":"tab\there\r\n.txt","mtime":1,"size":1},{"path_type":"Dir","name":"lit%20 ?#","mtime":1,"size":null}]}
  </script>"#;
        let links = read(controls, &Url::parse("http://h/x/").unwrap());
        let urls: Vec<&str> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "http://h/x/tab%09here%0D%0A.txt",
                "http://h/x/lit%2520%20%3F%23/"
            ]
        );
        // A dufs page whose data is broken is an error, not an empty folder.
        let broken =
            r#"<link href="/__dufs_v0.47.0__/index.css"><template id="index-data">e30=</template>"#;
        assert!(matches!(
            read_dufs_page(broken, &sub),
            Some(Err(error)) if error.contains("no dufs listing")
        ));
        let editor = r#"{"kind":"Edit","paths":[]}"#;
        assert!(read_index(editor, &sub).is_err());
        // Names that are no entry of the folder do not resolve.
        let hostile = r#"{"kind":"Index","paths":[{"path_type":"File","name":"../x","mtime":1,"size":1},{"path_type":"File","name":"..","mtime":1,"size":1}]}"#;
        assert!(
            read_index(hostile, &sub)
                .unwrap()
                .iter()
                .all(|link| link.url.is_err())
        );
        for other in ["nginx.html", "apache-fancy.html", "copyparty-1.20.26.html"] {
            assert!(read_dufs_page(&fixture(other), &sub).is_none(), "{other}");
        }
    }
}
