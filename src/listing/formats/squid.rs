//! Squid's pages of an FTP folder (what a browser shows for an `ftp://` URL
//! through Squid, and what sites that republish them serve): a table whose rows
//! link each name twice (icon and name), then again with an FTP type code for
//! the download and view buttons (`name;type=i`, `name;type=a`), with the date
//! `ls` printed (`Mar 04  2021`, `Nov 30 09:15`) and the size in whole KiB,
//! rounded up (`1538k`).
//!
//! Read as HTML, each file would be fetched three times under three names
//! (`name;type=i` is no file of the folder), and the first link, the icon's,
//! states no size. Here the type-code links are dropped and the links to one
//! URL merged into one, with the size and time of its row.

use std::collections::HashMap;

use url::Url;

use crate::listing::formats::html::extract_links;
use crate::listing::link::Link;

/// Whether a page is Squid's listing of an FTP folder.
pub fn is_squid_ftp_page(text: &str) -> bool {
    text.len() < 1 << 26
        && text.contains("<body id=ERR_DIR_LISTING>")
        && text.contains("<table id=\"dirlisting\"")
}

/// The links of Squid's FTP folder page at `page_url`: one a URL, in the order
/// of their first link, without the type-code variants of another link.
pub fn squid_links(text: &str, page_url: &Url) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for link in extract_links(text, page_url) {
        let Ok(url) = &link.url else {
            links.push(link);
            continue;
        };
        if has_type_code(url) {
            continue;
        }
        match index_of.get(url.as_str()) {
            Some(&index) => {
                let first = &mut links[index];
                first.size = first.size.or(link.size);
                first.modified = first.modified.or(link.modified);
                first.local_modified = first.local_modified.or(link.local_modified);
            }
            None => {
                index_of.insert(url.to_string(), links.len());
                links.push(link);
            }
        }
    }
    links
}

/// Whether a URL ends in an RFC 1738 type code (`;type=a`, `;type=i`, `;type=d`).
fn has_type_code(url: &Url) -> bool {
    url.query().is_none()
        && url
            .path()
            .rsplit_once(";type=")
            .is_some_and(|(_, code)| matches!(code, "a" | "i" | "d" | "A" | "I" | "D"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::ListedSize;
    use crate::listing::formats::fixture;
    use crate::listing::local_time::Precision;

    #[test]
    fn squid_s_ftp_page_gives_each_file_once_with_its_row() {
        let page = Url::parse("http://127.0.0.1:3128/").unwrap();
        let text = fixture("squid-5.7-ftp.html");
        assert!(is_squid_ftp_page(&text));
        let links = squid_links(&text, &page);
        let urls: Vec<&str> = links
            .iter()
            .map(|link| link.url.as_ref().unwrap().as_str())
            .collect();
        assert!(urls.iter().all(|url| !url.contains(";type=")), "{urls:?}");
        // `../` and `/`, 7 folders, 25 files: one link each.
        assert_eq!(links.len(), 2 + 7 + 25, "{urls:?}");
        let link = |url: &str| {
            links
                .iter()
                .find(|link| link.url.as_ref().unwrap().as_str() == url)
                .unwrap_or_else(|| panic!("{url} missing"))
        };
        let random = link("http://127.0.0.1:3128/random-1.5MiB.bin");
        let size = random.size.expect("a size");
        assert!(size.low <= 1_574_098 && 1_574_098 <= size.high, "{size:?}");
        assert!(size.high - size.low <= 2048);
        let old = random.local_modified.expect("a date");
        assert_eq!(old.precision, Precision::Day);
        assert_eq!(old.civil.date(), jiff::civil::date(2021, 3, 4));
        let recent = link("http://127.0.0.1:3128/recent.txt")
            .local_modified
            .expect("a time");
        assert_eq!(recent.precision, Precision::Minute);
        assert_eq!(
            (
                recent.civil.month(),
                recent.civil.day(),
                recent.civil.hour()
            ),
            (11, 30, 9)
        );
        let empty = link("http://127.0.0.1:3128/empty.txt")
            .size
            .expect("a size");
        assert_eq!(empty.low, 0);
        assert_eq!(link("http://127.0.0.1:3128/a/").size, None);
        link("http://127.0.0.1:3128/hash%23name.txt");
        link("http://127.0.0.1:3128/100%25.txt");
        for other in ["nginx.html", "apache-fancy.html", "webfsd.html"] {
            assert!(!is_squid_ftp_page(&fixture(other)), "{other}");
        }
        assert!(
            links
                .iter()
                .all(|link| link.size != Some(ListedSize::exact(2021)))
        );
    }
}
