//! **Symlink loops.** A folder is judged by its entries: the links, resolved against
//! the page, that lie directly inside it (names and listed sizes), never page chrome.
//! A folder whose entries include a file and equal those of a folder above it on its
//! own path is a loop on the server (`loop -> .`): it is skipped, reported and
//! counted in [`Summary::loops_skipped`](crate::event::Summary::loops_skipped). An
//! empty or folders-only listing proves nothing; the depth cap ends such loops.

use url::Url;

use crate::engine::crawl::spelling::normalize_escapes;
use crate::listing::Link;

/// What a listing says of its own folder: its entries are the links that lie
/// directly inside that folder (resolved against the page, so relative,
/// root-relative and absolute hrefs count alike), by name (escapes normalised, a
/// query kept) and listed size. Page chrome is never an entry: other schemes
/// (`javascript:`), sort links on the folder itself (`?C=N;O=D`), links elsewhere
/// (icons, parents, other hosts, deeper paths).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Entries {
    /// Entries seen (a name linked twice, icon and text, counts twice).
    pub(crate) count: usize,
    /// A hash of the entries, independent of their order, when at least one of them
    /// is a file: folders-only listings prove nothing (`data/data/` holding only
    /// `data/` is ordinary nesting; the depth cap still ends a loop of them).
    pub(crate) fingerprint: Option<u64>,
}

impl Entries {
    /// A proven symlink loop: entries with files, equal to those of a folder above
    /// it on its own path. An empty folder, or one whose entries differ from every
    /// ancestor's, is never a loop; siblings are not ancestors.
    pub(crate) fn is_loop_of(&self, ancestors: &[Option<u64>]) -> bool {
        self.fingerprint.is_some() && ancestors.contains(&self.fingerprint)
    }
}

/// Adds up a listing's [`Entries`] link by link.
#[derive(Default)]
pub(crate) struct EntriesBuilder {
    count: usize,
    sum: u64,
    has_files: bool,
}

impl EntriesBuilder {
    /// Counts `link` if it is an entry of `folder`.
    pub(crate) fn add(&mut self, link: &Link, folder: &Url) {
        use std::hash::{Hash, Hasher};
        let Ok(url) = &link.url else { return };
        let Some(name) = entry_name(url, folder) else {
            return;
        };
        self.count += 1;
        let is_folder = name.ends_with('/');
        self.has_files |= !is_folder;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut hasher);
        link.size
            .filter(|_| !is_folder)
            .map(|size| (size.low, size.high))
            .hash(&mut hasher);
        // A sum is the same whatever the order the server lists them in.
        self.sum = self.sum.wrapping_add(hasher.finish());
    }

    /// The entries added.
    pub(crate) fn finish(self) -> Entries {
        Entries {
            count: self.count,
            fingerprint: self.has_files.then_some(self.sum),
        }
    }
}

/// The name of `url` inside `folder` (`a.txt`, `sub/`, `get?id=1`), if it lies
/// directly inside it.
fn entry_name(url: &Url, folder: &Url) -> Option<String> {
    if url.scheme() != folder.scheme()
        || url.host() != folder.host()
        || url.port_or_known_default() != folder.port_or_known_default()
    {
        return None;
    }
    let name = url.path().strip_prefix(folder.path())?;
    if name.is_empty() || name.trim_end_matches('/').contains('/') || name.starts_with('/') {
        return None;
    }
    let mut name = normalize_escapes(name);
    if let Some(query) = url.query() {
        name.push('?');
        name.push_str(query);
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::scope::folder_of;

    fn listing_entries(links: &[Link], folder: &Url) -> Entries {
        let mut entries = EntriesBuilder::default();
        for link in links {
            entries.add(link, folder);
        }
        entries.finish()
    }

    fn entries_of(html: &str, page: &str) -> Entries {
        let page = Url::parse(page).expect("test URL");
        listing_entries(
            &crate::listing::extract_links(html, &page),
            &folder_of(&page),
        )
    }

    #[test]
    fn entries_are_the_links_directly_inside_the_folder_whatever_their_spelling() {
        let chrome = r#"<a href="javascript:void(0)">theme</a><a href="?sort=name">n</a>
            <a href="/?sort=size">s</a><a href="/__internal/style.css">css</a>
            <a href="../">up</a><a href="/">root</a><a href="http://other/x.txt">x</a>
            <a href="mailto:a@b">m</a><a href="./">self</a><a href="sub/deeper/f">d</a>"#;
        assert_eq!(entries_of(chrome, "http://h/pub/a/"), Entries::default());
        let relative = entries_of(
            &format!(r#"{chrome}<a href="f.txt">f</a><a href="sub/">s</a>"#),
            "http://h/pub/a/",
        );
        let absolute = entries_of(
            r#"<a href="/pub/b/sub/">s</a><a href="http://h/pub/b/f.txt">f</a>"#,
            "http://h/pub/b/",
        );
        let escaped = entries_of(
            r#"<a href="%66.txt">f</a><a href="/pub/c/sub/">s</a>"#,
            "http://h/pub/c/index.html",
        );
        assert_eq!(relative.count, 2);
        assert!(relative.fingerprint.is_some());
        assert_eq!(relative, absolute, "order and spelling do not matter");
        assert_eq!(relative, escaped);
        // Folders only: no proof of a loop.
        assert_eq!(
            entries_of(r#"<a href="data/">d</a>"#, "http://h/data/").fingerprint,
            None
        );
        assert!(!Entries::default().is_loop_of(&[None]));
        assert!(relative.is_loop_of(&[None, absolute.fingerprint]));
        assert!(!relative.is_loop_of(&[None]));
    }

    #[test]
    fn listed_sizes_tell_entries_apart() {
        let small = entries_of(
            "<pre><a href=\"f.txt\">f</a>  04-Mar-2021 05:06  10\n</pre>",
            "http://h/a/",
        );
        let large = entries_of(
            "<pre><a href=\"f.txt\">f</a>  04-Mar-2021 05:06  20\n</pre>",
            "http://h/b/",
        );
        assert_ne!(small.fingerprint, large.fingerprint);
    }
}
