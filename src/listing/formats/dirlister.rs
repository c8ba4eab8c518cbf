//! Directory Lister's folders (v2 to v5). One PHP script lists every folder
//! of the tree it stands in: a folder is its page `…/?dir=sub/deep`, not a path
//! of its own, and files are linked by their path (`sub/deep/a.txt`; v5 by
//! `?file=sub/deep/a.txt` unless direct links are on). Each link's anchor holds
//! its name, its size (`292.97KB`: two decimals, a power of 1024 chosen by the
//! count of decimal digits, so below 1,000 bytes exact) and its time in the
//! server's local time (`2026-12-02 16:40:17` by default).
//!
//! The crawl walks such a tree as path-style folders under the script's folder
//! (`?dir=sub/deep` is `…/sub/deep/`), so that scope, `--level`, local paths and
//! read-once work as for any listing; a folder is asked of the script again as
//! `?dir=` (see `listing::bucket_fetch`). Only the folders directly inside the
//! one listed are kept: the parent link, the breadcrumbs, `?zip=`, `?search=`,
//! `?info=` and the home link are the page's chrome, and a `?dir=` value with an
//! empty, `.` or `..` segment is no folder of the tree.

use std::cell::RefCell;

use html5ever::tokenizer::{
    CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::listing::formats::html::{attribute, raw_text_state, tokenize};
use crate::listing::link::{Link, resolve};
use crate::listing::local_time::local_time_in_row;
use crate::listing::meta::ListedSize;

/// What PHP's `rawurlencode` leaves as it is, and so what stays unescaped in a
/// folder's path segment and in a `?dir=` value fetchall writes.
const RAW_URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether a page is Directory Lister's: its footer says it is powered by
/// Directory Lister, linking to the project's site (every version since 2).
pub fn is_dirlister_page(text: &str) -> bool {
    text.contains("directorylister.com") && text.contains(">Directory Lister</a>")
}

/// Whether a Directory Lister page (see [`is_dirlister_page`]) served at `page`
/// has folders to walk as such: it is a `?dir=` page, or links one. A page that
/// only names the project and links no `?dir=` (a root without folders, or a page
/// about Directory Lister) is read as any page: its links are the same.
pub fn walks_dir_pages(text: &str, page: &Url) -> bool {
    dir_value(page).is_some() || text.contains("?dir=")
}

/// A Directory Lister script and the folder it lists the tree of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirLister {
    /// The script's URL as the user reached it (`…/` or `…/index.php`), no query.
    pub app: Url,
    /// The folder the script stands in: the top of the tree (`?dir=` empty).
    pub root: Url,
}

impl DirLister {
    /// The script a page was served by.
    pub fn of_page(page: &Url) -> DirLister {
        let mut app = page.clone();
        app.set_query(None);
        app.set_fragment(None);
        let root = app.join("./").unwrap_or_else(|_| app.clone());
        DirLister { app, root }
    }

    /// The folder URL `?dir=value` stands for, under the root; `None` for a value
    /// with an empty, `.` or `..` segment (`../../etc`, `/etc`, `a//b`).
    pub fn folder(&self, dir: &str) -> Option<Url> {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            return Some(self.root.clone());
        }
        let mut path = self.root.path().to_string();
        for segment in dir.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return None;
            }
            path.extend(utf8_percent_encode(segment, RAW_URL_ENCODE));
            path.push('/');
        }
        let mut url = self.root.clone();
        url.set_path(&path);
        Some(url)
    }

    /// The folder a page of the script lists: its `?dir=` (the root without one).
    pub fn folder_of_page(&self, page: &Url) -> Option<Url> {
        match dir_value(page) {
            Some(dir) => self.folder(&dir),
            None => Some(self.root.clone()),
        }
    }

    /// The page of the script that lists `folder`, a folder URL under the root
    /// (`…/sub%20dir/` → `…/?dir=sub%20dir`); `None` for one outside it.
    pub fn page_of(&self, folder: &Url) -> Option<Url> {
        if folder.origin() != self.root.origin() {
            return None;
        }
        let relative = folder.path().strip_prefix(self.root.path())?;
        let relative = relative.trim_end_matches('/');
        let mut page = self.app.clone();
        if relative.is_empty() {
            return Some(page);
        }
        let mut dir = String::new();
        for segment in relative.split('/') {
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .ok()?;
            if decoded.is_empty() || decoded == "." || decoded == ".." {
                return None;
            }
            if !dir.is_empty() {
                dir.push('/');
            }
            dir.extend(utf8_percent_encode(&decoded, RAW_URL_ENCODE));
        }
        page.set_query(Some(&format!("dir={dir}")));
        Some(page)
    }

    /// Whether `url` is a page of the script itself (`.`, `?dir=`, `?zip=`…).
    fn is_script(&self, url: &Url) -> bool {
        url.origin() == self.app.origin()
            && (url.path() == self.app.path() || url.path() == self.root.path())
    }
}

/// The `dir` value of a page's query, decoded, when it is the query's first
/// parameter (Directory Lister routes on the first one).
fn dir_value(url: &Url) -> Option<String> {
    let (key, value) = url.query_pairs().next()?;
    (key == "dir").then(|| value.into_owned())
}

/// The links of a Directory Lister page served at `page`, listing `folder` of
/// the tree of `lister`: each folder directly inside `folder` as its folder URL,
/// each file with the size and local time its anchor states; the page's chrome
/// is left out. Links elsewhere (the project's site) are kept as written.
pub fn dirlister_links(html: &str, page: &Url, lister: &DirLister, folder: &Url) -> Vec<Link> {
    let anchors = tokenize(html, Anchors::default()).0.into_inner().done;
    let mut links = Vec::new();
    for anchor in anchors {
        let Ok(url) = resolve(page, &anchor.href) else {
            continue;
        };
        if lister.is_script(&url) {
            if let Some(sub) = dir_value(&url).and_then(|dir| lister.folder(&dir))
                && parent(&sub).as_ref() == Some(folder)
            {
                links.push(folder_link(sub));
            } else if url
                .query_pairs()
                .next()
                .is_some_and(|(key, _)| key == "file")
            {
                // v5's file links: a file, fetched from the script.
                links.push(file_link(anchor, url));
            }
            continue;
        }
        links.push(file_link(anchor, url));
    }
    links
}

/// A folder's link, written as its folder URL: the crawl reads a link written
/// `?dir=…` as a query of the page it is on, no folder.
fn folder_link(url: Url) -> Link {
    Link {
        href: url.to_string(),
        url: Ok(url),
        size: None,
        modified: None,
        local_modified: None,
    }
}

/// A file's link, with the size and time among the texts of its anchor after
/// its name (a name that looks like a size is no size).
fn file_link(anchor: Anchor, url: Url) -> Link {
    let rest = anchor.texts.get(1..).unwrap_or_default();
    Link {
        href: anchor.href,
        url: Ok(url),
        size: rest.iter().rev().find_map(|text| size_of(text)),
        modified: None,
        local_modified: rest.iter().rev().find_map(|text| local_time_in_row(text)),
    }
}

/// The folder a folder URL is in.
fn parent(folder: &Url) -> Option<Url> {
    let path = folder.path().strip_suffix('/')?;
    let slash = path.rfind('/')?;
    let mut parent = folder.clone();
    parent.set_path(&path[..=slash]);
    Some(parent)
}

/// Directory Lister's `sprintf('%.2f%s', size / 1024^factor, unit)`: bytes are
/// exact (`5.00B`), larger units a range of the sizes that print so.
pub fn size_of(text: &str) -> Option<ListedSize> {
    const UNITS: [&str; 9] = ["KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB", "B"];
    let text = text.trim();
    let (index, unit) = UNITS
        .iter()
        .enumerate()
        .find(|(_, unit)| text.ends_with(*unit))?;
    let number = &text[..text.len() - unit.len()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    if *unit == "B" {
        return Some(ListedSize::exact(value.round() as u64));
    }
    let decimals = number
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    let half_step = 0.5 * 10f64.powi(-(decimals as i32));
    let multiplier = 1024f64.powi(index as i32 + 1);
    let low = ((value - half_step).max(0.0) * multiplier).ceil() as u64;
    let high = ((value + half_step) * multiplier).floor() as u64;
    Some(ListedSize { low, high })
}

/// One `<a href>` of the page, with the texts inside it, one per element.
#[derive(Default)]
struct Anchor {
    href: String,
    texts: Vec<String>,
}

#[derive(Default)]
struct AnchorState {
    open: Option<Anchor>,
    text: String,
    done: Vec<Anchor>,
}

impl AnchorState {
    fn end_text(&mut self) {
        let text = self.text.trim();
        if let Some(anchor) = &mut self.open
            && !text.is_empty()
        {
            anchor.texts.push(text.to_string());
        }
        self.text.clear();
    }

    fn close(&mut self) {
        self.end_text();
        self.done.extend(self.open.take());
    }
}

#[derive(Default)]
struct Anchors(RefCell<AnchorState>);

impl TokenSink for Anchors {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.0.borrow_mut();
        match token {
            CharacterTokens(text) => {
                if state.open.is_some() {
                    state.text.push_str(&text);
                }
                TokenSinkResult::Continue
            }
            TagToken(tag) if &*tag.name == "a" => {
                state.close();
                if tag.kind == StartTag
                    && let Some(href) = attribute(&tag, "href")
                {
                    state.open = Some(Anchor {
                        href: href.trim().to_string(),
                        texts: Vec::new(),
                    });
                }
                TokenSinkResult::Continue
            }
            TagToken(tag) => {
                state.end_text();
                if tag.kind == EndTag {
                    return TokenSinkResult::Continue;
                }
                raw_text_state(&tag).unwrap_or(TokenSinkResult::Continue)
            }
            _ => {
                if let Token::EOFToken = token {
                    state.close();
                }
                TokenSinkResult::Continue
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;

    fn urls(links: &[Link]) -> Vec<&str> {
        links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect()
    }

    #[test]
    fn a_page_that_only_names_directory_lister_is_no_tree() {
        let about = r#"<p>We use <a href="https://www.directorylister.com">Directory Lister</a>.</p>
            <a href="notes.txt">notes</a>"#;
        let page = Url::parse("http://h.test/blog/post.html").unwrap();
        assert!(is_dirlister_page(about));
        assert!(!walks_dir_pages(about, &page));
        let root = fixture("dirlister-3.12.3-root.html");
        assert!(walks_dir_pages(
            &root,
            &Url::parse("http://h.test/").unwrap()
        ));
        let dir = Url::parse("http://h.test/?dir=x").unwrap();
        assert!(walks_dir_pages("<footer></footer>", &dir));
    }

    #[test]
    fn directory_lister_pages_are_recognised_and_others_are_not() {
        assert!(is_dirlister_page(&fixture("dirlister-3.12.3-root.html")));
        assert!(is_dirlister_page(&fixture("dirlister-3.12.3-sub.html")));
        for other in [
            "nginx.html",
            "apache-fancy.html",
            "caddy.html",
            "h5ai-0.30.0.html",
            "copyparty-1.20.26.html",
        ] {
            assert!(!is_dirlister_page(&fixture(other)), "{other}");
        }
    }

    #[test]
    fn the_root_page_gives_folders_as_paths_and_files_with_size_and_time() {
        let page = Url::parse("http://127.0.0.1:8472/").unwrap();
        let lister = DirLister::of_page(&page);
        let folder = lister.folder_of_page(&page).unwrap();
        assert_eq!(folder, page);
        let links = dirlister_links(
            &fixture("dirlister-3.12.3-root.html"),
            &page,
            &lister,
            &folder,
        );
        assert_eq!(
            urls(&links),
            [
                "http://127.0.0.1:8472/dir%20with%20space/",
                "http://127.0.0.1:8472/sub/",
                "http://127.0.0.1:8472/a.txt",
                "http://127.0.0.1:8472/empty",
                "http://127.0.0.1:8472/sp%20ace%23%26%2B%25.txt",
                "http://127.0.0.1:8472/%C3%A9.txt",
                "https://www.directorylister.com/",
                "https://github.com/DirectoryLister/DirectoryLister",
            ]
        );
        assert_eq!(links[0].size, None);
        assert_eq!(links[2].size, Some(ListedSize::exact(5)));
        assert_eq!(links[3].size, Some(ListedSize::exact(0)));
        let time = links[2].local_modified.unwrap();
        assert_eq!(time.civil.to_string(), "2026-12-02T16:40:17");
        assert_eq!(
            time.precision,
            crate::listing::local_time::Precision::Second
        );
    }

    #[test]
    fn a_sub_folder_page_keeps_only_its_own_entries() {
        let page = Url::parse("http://127.0.0.1:8472/index.php?dir=sub").unwrap();
        let lister = DirLister::of_page(&page);
        assert_eq!(lister.root.as_str(), "http://127.0.0.1:8472/");
        let folder = lister.folder_of_page(&page).unwrap();
        assert_eq!(folder.as_str(), "http://127.0.0.1:8472/sub/");
        let links = dirlister_links(
            &fixture("dirlister-3.12.3-sub.html"),
            &page,
            &lister,
            &folder,
        );
        // No parent, breadcrumb, home or `?zip=` link.
        assert_eq!(
            urls(&links)[..2],
            [
                "http://127.0.0.1:8472/sub/deep/",
                "http://127.0.0.1:8472/sub/big.bin",
            ]
        );
        let size = links[1].size.unwrap();
        assert!(size.low <= 300_000 && 300_000 <= size.high, "{size:?}");
        assert!(size.high - size.low <= 11, "{size:?}");
        assert_eq!(
            lister.page_of(&folder).unwrap().as_str(),
            "http://127.0.0.1:8472/index.php?dir=sub"
        );
    }

    #[test]
    fn the_pages_of_the_real_2_7_1_read_the_same() {
        assert!(is_dirlister_page(&fixture("dirlister-2.7.1-root.html")));
        let page = Url::parse("http://127.0.0.1:8473/").unwrap();
        let lister = DirLister::of_page(&page);
        let root = &lister.root;
        let links = dirlister_links(&fixture("dirlister-2.7.1-root.html"), &page, &lister, root);
        let found = urls(&links);
        for url in [
            "http://127.0.0.1:8473/dir%20with%20space/",
            "http://127.0.0.1:8473/sub/",
            "http://127.0.0.1:8473/sp%20ace%23%26%2B%25.txt",
            "http://127.0.0.1:8473/%C3%A9.txt",
        ] {
            assert!(found.contains(&url), "{url} in {found:?}");
        }
        let a = links.iter().find(|link| link.href == "a.txt").unwrap();
        assert_eq!(a.size, Some(ListedSize::exact(5)));
        assert_eq!(
            a.local_modified.unwrap().civil.to_string(),
            "2026-12-02T16:40:17"
        );
        let page = Url::parse("http://127.0.0.1:8473/?dir=sub").unwrap();
        let folder = lister.folder_of_page(&page).unwrap();
        let links = dirlister_links(
            &fixture("dirlister-2.7.1-sub.html"),
            &page,
            &lister,
            &folder,
        );
        // The parent is linked by its absolute URL: the script's, no folder.
        let found: Vec<_> = urls(&links)
            .into_iter()
            .filter(|url| url.starts_with("http://127.0.0.1"))
            .collect();
        assert_eq!(
            found,
            [
                "http://127.0.0.1:8473/sub/deep/",
                "http://127.0.0.1:8473/sub/big.bin"
            ]
        );
        let size = links
            .iter()
            .find(|link| link.href == "sub/big.bin")
            .unwrap()
            .size;
        assert!(size.is_some_and(|size| size.low <= 300_000 && 300_000 <= size.high));
    }

    #[test]
    fn dir_values_outside_the_tree_are_no_folders() {
        let lister = DirLister::of_page(&Url::parse("http://h.test/dl/").unwrap());
        for hostile in ["../../etc", "/etc", "a//b", "a/./b", "sub/..", ".."] {
            assert_eq!(lister.folder(hostile), None, "{hostile}");
        }
        let awkward = lister.folder("a b/#&+%/é").unwrap();
        assert_eq!(
            awkward.as_str(),
            "http://h.test/dl/a%20b/%23%26%2B%25/%C3%A9/"
        );
        assert_eq!(
            lister.page_of(&awkward).unwrap().as_str(),
            "http://h.test/dl/?dir=a%20b/%23%26%2B%25/%C3%A9"
        );
        let outside = Url::parse("http://h.test/other/").unwrap();
        assert_eq!(lister.page_of(&outside), None);
        assert_eq!(
            lister.page_of(&lister.root).unwrap().as_str(),
            "http://h.test/dl/"
        );
        let html = r#"<a href="?dir=../../etc">x</a><a href="?dir=sub/../../x">y</a>
            <a href="?dir=other/deeper">z</a><a href="?search=a">s</a><a href="?info=a.txt">i</a>
            <a href="?dir=ok">ok</a><footer><a href="https://www.directorylister.com">Directory Lister</a></footer>"#;
        let page = Url::parse("http://h.test/dl/").unwrap();
        let links = dirlister_links(html, &page, &lister, &lister.root);
        assert_eq!(
            urls(&links),
            ["http://h.test/dl/ok/", "https://www.directorylister.com/"]
        );
    }

    #[test]
    fn sizes_read_as_directory_lister_prints_them() {
        assert_eq!(size_of("5.00B"), Some(ListedSize::exact(5)));
        assert_eq!(size_of("999.00B"), Some(ListedSize::exact(999)));
        for bytes in [1000_u64, 1023, 300_000, 1_234_567, 5_000_000_000] {
            let factor = (bytes.to_string().len() as i32 - 1) / 3;
            let units = ["B", "KB", "MB", "GB"];
            let text = format!(
                "{:.2}{}",
                bytes as f64 / 1024f64.powi(factor),
                units[factor as usize]
            );
            let size = size_of(&text).unwrap();
            assert!(size.low <= bytes && bytes <= size.high, "{text} {size:?}");
        }
        assert_eq!(size_of("—"), None);
        assert_eq!(size_of("KB"), None);
        assert_eq!(size_of("1.2.3KB"), None);
    }
}
