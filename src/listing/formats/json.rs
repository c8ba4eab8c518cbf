//! Machine-readable listings: nginx's `autoindex_format json` and Caddy's browse
//! JSON, read one entry at a time.

use std::ops::ControlFlow;

use url::Url;

use crate::listing::link::{Link, name_as_segment, resolve};
use crate::listing::meta::{ListedSize, ListedTime};

/// Extracts the entries of a machine-readable listing: nginx's `autoindex_format
/// json` (`name`, `type`, `size`, `mtime` as an HTTP date) or Caddy's browse JSON
/// (`name`, `url`, `size`, `is_dir`, `mod_time` in RFC 3339). Both give exact sizes
/// and times. A text that is not such a listing yields the entries read before
/// the fault; [`for_each_json_link`] says what the fault is.
pub fn extract_json_links(text: &str, page_url: &Url) -> Vec<Link> {
    let mut links = Vec::new();
    let _ = for_each_json_link(text, page_url, |link| {
        links.push(link);
        ControlFlow::Continue(())
    });
    links
}

/// Hands every entry of a JSON listing to `each` as the parser reaches it (see
/// [`extract_json_links`]): one entry at a time is held in memory.
///
/// A listing is an array of objects, each with a string `name`, and nothing after
/// it. Anything else (cut short, an object where the array belongs, an entry
/// without a name) is an error: a page that cannot be read, never an empty folder.
pub fn for_each_json_link(
    text: &str,
    page_url: &Url,
    each: impl FnMut(Link) -> ControlFlow<()>,
) -> Result<(), serde_json::Error> {
    use serde::de::Deserializer as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_seq(JsonEntries { page_url, each })?;
    deserializer.end()
}

/// Walks the array of a JSON listing, one entry at a time.
struct JsonEntries<'a, F> {
    page_url: &'a Url,
    each: F,
}

impl<'de, F: FnMut(Link) -> ControlFlow<()>> serde::de::Visitor<'de> for JsonEntries<'_, F> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of directory entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut entries: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let mut index = 0_usize;
        while let Some(entry) = entries.next_element::<serde_json::Value>()? {
            let Some(link) = json_entry_link(&entry, self.page_url) else {
                return Err(A::Error::custom(format!(
                    "entry {index} is not a directory entry (an object with a string `name`)"
                )));
            };
            index += 1;
            if (self.each)(link).is_break() {
                // The rest is not planned; serde wants the sequence finished.
                while entries.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The link of one JSON listing entry, if it has a name.
fn json_entry_link(entry: &serde_json::Value, page_url: &Url) -> Option<Link> {
    let name = entry.get("name")?.as_str()?;
    let is_dir = entry
        .get("is_dir")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
        || entry.get("type").and_then(serde_json::Value::as_str) == Some("directory");
    let href = match entry.get("url").and_then(serde_json::Value::as_str) {
        Some(url) => url.to_string(),
        None => {
            let trimmed = name.trim_end_matches('/');
            let mut href = format!("./{}", name_as_segment(trimmed));
            if is_dir {
                href.push('/');
            }
            href
        }
    };
    let size = (!is_dir)
        .then(|| entry.get("size").and_then(serde_json::Value::as_u64))
        .flatten()
        .map(ListedSize::exact);
    let modified = entry
        .get("mtime")
        .and_then(serde_json::Value::as_str)
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .or_else(|| {
            entry
                .get("mod_time")
                .and_then(serde_json::Value::as_str)
                .and_then(crate::listing::timestamp::parse_utc)
        });
    Some(Link {
        url: resolve(page_url, &href),
        href,
        size,
        modified: modified.map(ListedTime::exact),
        local_modified: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_that_is_not_a_listing_is_an_error_with_the_entries_read_so_far() {
        let page = Url::parse("http://h/d/").unwrap();
        let read = |text: &str| {
            let mut names = Vec::new();
            let result = for_each_json_link(text, &page, |link| {
                names.push(link.href);
                ControlFlow::Continue(())
            });
            (names, result.is_ok())
        };
        assert_eq!(read("[]"), (vec![], true));
        assert_eq!(
            read(" [ {\"name\":\"a\"} ] \n"),
            (vec!["./a".to_string()], true)
        );
        for bad in [
            "",
            "null",
            "{}",
            "[1]",
            "[{\"name\":\"a\"},",
            "[{\"name\":\"a\"}]]",
            "[{\"name\":\"a\"}] x",
            "[{\"name\":5}]",
            "[{\"size\":5}]",
        ] {
            assert!(!read(bad).1, "{bad:?} read as a listing");
        }
        // A walk stopped early is not a fault of the page.
        let stopped = for_each_json_link("[{\"name\":\"a\"},{\"name\":\"b\"}]", &page, |_| {
            ControlFlow::Break(())
        });
        assert!(stopped.is_ok());
    }
}
