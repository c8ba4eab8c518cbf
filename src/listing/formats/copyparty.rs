//! copyparty's folders. Its HTML is drawn by script, and to a client whose
//! `User-Agent` starts with `fetch` or `curl/` (fetchall's does) it answers with
//! a coloured plain-text listing instead — no links at all. Both are recognised,
//! and the folder is asked again as `?ls`: JSON with every entry's exact size and
//! modification time.

use std::time::{Duration, SystemTime};

use serde::Deserialize;
use url::Url;

use crate::listing::{Link, repair_percent};
use crate::listing::{ListedSize, ListedTime};

/// Whether a folder's answer is copyparty's: its plain-text listing (first line
/// `# acct: …`) or its HTML browser (resources under `/.cpr/`).
pub fn is_copyparty_page(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}');
    start.starts_with("# acct:")
        || (start.len() < 1 << 20 && start.contains("href=\"/.cpr/") && start.contains("ht_brw"))
}

/// The URL that asks copyparty for a folder as JSON.
pub fn json_listing_url(folder: &Url) -> Url {
    let mut url = folder.clone();
    url.set_fragment(None);
    url.set_query(Some("ls"));
    url
}

#[derive(Deserialize)]
struct Listing {
    // Both required: an answer without them is not a listing, never an empty one.
    dirs: Vec<Entry>,
    files: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    href: String,
    #[serde(default)]
    sz: Option<u64>,
    #[serde(default)]
    ts: Option<u64>,
}

/// The entries of a `?ls` answer for `folder`, as links: folders first (their
/// hrefs end in `/`), then files with their exact size and time.
pub fn copyparty_links(text: &str, folder: &Url) -> Result<Vec<Link>, serde_json::Error> {
    let listing: Listing = serde_json::from_str(text)?;
    let mut folder = folder.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let links = listing
        .dirs
        .into_iter()
        .map(|entry| link(entry, &folder, false))
        .chain(
            listing
                .files
                .into_iter()
                .map(|entry| link(entry, &folder, true)),
        )
        .collect();
    Ok(links)
}

fn link(entry: Entry, folder: &Url, is_file: bool) -> Link {
    let href = repair_percent(entry.href.trim()).into_owned();
    Link {
        url: folder.join(&href),
        href,
        // A folder's `sz` is the size of its directory entry, not of its files.
        size: entry.sz.filter(|_| is_file).map(ListedSize::exact),
        modified: entry.ts.filter(|_| is_file).map(|seconds| {
            ListedTime::exact(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        }),
        local_modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;

    #[test]
    fn both_of_copyparty_s_pages_are_recognised_and_others_are_not() {
        assert!(is_copyparty_page(&fixture(
            "copyparty-1.20.26-fetchall-ua.txt"
        )));
        assert!(is_copyparty_page(&fixture("copyparty-1.20.26.html")));
        for other in [
            "nginx.html",
            "apache-fancy.html",
            "python-http-server.html",
            "caddy.html",
        ] {
            assert!(!is_copyparty_page(&fixture(other)), "{other}");
        }
    }

    #[test]
    fn the_json_listing_gives_every_entry_with_exact_metadata() {
        let folder = Url::parse("http://127.0.0.1:3923/").unwrap();
        assert_eq!(
            json_listing_url(&folder).as_str(),
            "http://127.0.0.1:3923/?ls"
        );
        let links = copyparty_links(&fixture("copyparty-1.20.26-ls-root.json"), &folder).unwrap();
        let urls: Vec<_> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:3923/sub/",
                "http://127.0.0.1:3923/a.txt",
                "http://127.0.0.1:3923/empty",
                "http://127.0.0.1:3923/top%25.txt",
                "http://127.0.0.1:3923/%C3%A9.txt",
            ]
        );
        assert_eq!(links[0].size, None, "a folder's own size is not listed");
        assert_eq!(links[1].size, Some(ListedSize::exact(5)));
        assert_eq!(links[2].size, Some(ListedSize::exact(0)));
        let march = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_834_367);
        assert_eq!(links[1].modified, Some(ListedTime::exact(march)));
        let deep = Url::parse("http://127.0.0.1:3923/sub/deep/?ls").unwrap();
        let links = copyparty_links(&fixture("copyparty-1.20.26-ls-deep.json"), &deep).unwrap();
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:3923/sub/deep/x%26y%23.bin"
        );
        assert!(copyparty_links("{\"dirs\": [", &folder).is_err());
        assert!(copyparty_links("[]", &folder).is_err());
        assert!(copyparty_links("{}", &folder).is_err());
        assert!(
            copyparty_links("{\"dirs\": [], \"files\": []}", &folder)
                .unwrap()
                .is_empty()
        );
    }
}
