//! WebDAV folders: the `207 Multi-Status` answer to `PROPFIND` with `Depth: 1`,
//! which lists a folder's entries with their exact size, time and ETag in one
//! request (RFC 4918).
//!
//! Each `<response>` names an entry by its `href` and carries its properties in
//! one or more `<propstat>` blocks, each with the status of the properties it
//! holds: only the `200` block's values are real (a `404` block lists the
//! properties the entry lacks, often as empty elements). The first response is
//! usually the folder itself. Namespace prefixes differ from server to server
//! (`D:`, `d:`, `ns0:`, none); only local names count.
//!
//! ```
//! use fetchall::listing::formats::webdav::parse_multistatus;
//! let xml = r#"<D:multistatus xmlns:D="DAV:">
//!   <D:response><D:href>/pub/</D:href><D:propstat><D:prop>
//!     <D:resourcetype><D:collection/></D:resourcetype></D:prop>
//!     <D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
//!   <D:response><D:href>/pub/a%20b.txt</D:href><D:propstat><D:prop>
//!     <D:resourcetype/><D:getcontentlength>42</D:getcontentlength></D:prop>
//!     <D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
//! </D:multistatus>"#;
//! let entries = parse_multistatus(xml).unwrap();
//! assert!(entries[0].is_folder);
//! assert_eq!(entries[1].href, "/pub/a%20b.txt");
//! assert_eq!(entries[1].size, Some(42));
//! ```

use std::time::SystemTime;

use serde::Deserialize;

/// The body fetchall sends with `PROPFIND`: only the four properties it uses, so
/// that a server does not compute quotas, locks and content types for each entry.
pub const PROPFIND_BODY: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?>"#,
    r#"<D:propfind xmlns:D="DAV:"><D:prop>"#,
    r#"<D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/>"#,
    r#"</D:prop></D:propfind>"#
);

/// One entry of a WebDAV folder, as its server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavEntry {
    /// The entry's URL as written (a path or a full URL, percent-encoded as the
    /// server chose), to be resolved against the folder's URL.
    pub href: String,
    /// Whether it is a collection (a folder).
    pub is_folder: bool,
    /// `getcontentlength`, when the server gave it.
    pub size: Option<u64>,
    /// `getlastmodified` (an HTTP date), when the server gave it.
    pub modified: Option<SystemTime>,
    /// `getetag`, quotes included as the server writes it.
    pub etag: Option<String>,
}

/// Why a text is not a readable WebDAV multi-status answer.
#[derive(Debug, thiserror::Error)]
pub enum DavError {
    /// Not XML of the expected shape.
    #[error("not a WebDAV multistatus answer: {0}")]
    Xml(#[source] quick_xml::DeError),
    /// XML (or text) whose root element is not `multistatus`.
    #[error("not a WebDAV multistatus answer: its root element is <{0}>")]
    Root(String),
    /// A property that should be a number or a date is not one.
    #[error("{field} of {href:?} is not valid: {value:?}")]
    Value {
        /// The property (`getcontentlength`, `getlastmodified`).
        field: &'static str,
        /// The entry it belongs to.
        href: String,
        /// The text found.
        value: String,
    },
}

#[derive(Deserialize)]
struct Multistatus {
    #[serde(default)]
    response: Vec<Response>,
}

#[derive(Deserialize)]
struct Response {
    href: String,
    #[serde(default)]
    propstat: Vec<Propstat>,
}

#[derive(Deserialize)]
struct Propstat {
    #[serde(default)]
    prop: Prop,
    #[serde(default)]
    status: String,
}

#[derive(Deserialize, Default)]
struct Prop {
    #[serde(default)]
    resourcetype: Option<ResourceType>,
    #[serde(default)]
    getcontentlength: Option<String>,
    #[serde(default)]
    getlastmodified: Option<String>,
    #[serde(default)]
    getetag: Option<String>,
}

#[derive(Deserialize, Default)]
struct ResourceType {
    #[serde(default)]
    collection: Option<Empty>,
}

#[derive(Deserialize)]
struct Empty {}

/// Reads the entries of a `207 Multi-Status` answer, in the order listed (the
/// folder itself included, when the server lists it).
pub fn parse_multistatus(text: &str) -> Result<Vec<DavEntry>, DavError> {
    // Any root would read as an empty folder: only `multistatus` is one.
    match crate::listing::formats::bucket::root_element(text) {
        Some(root) if root.eq_ignore_ascii_case("multistatus") => {}
        other => return Err(DavError::Root(other.unwrap_or("none").to_string())),
    }
    let answer: Multistatus = quick_xml::de::from_str(text).map_err(DavError::Xml)?;
    answer.response.into_iter().map(entry).collect()
}

fn entry(response: Response) -> Result<DavEntry, DavError> {
    let href = response.href.trim().to_string();
    let mut entry = DavEntry {
        href,
        is_folder: false,
        size: None,
        modified: None,
        etag: None,
    };
    // Only the block whose status is 200 holds real values; a missing status is
    // read as 200, as lenient clients do.
    let found = response.propstat.into_iter().filter(|propstat| {
        let status = propstat.status.trim();
        status.is_empty() || status.split_whitespace().nth(1) == Some("200")
    });
    for Propstat { prop, .. } in found {
        if let Some(kind) = prop.resourcetype {
            entry.is_folder |= kind.collection.is_some();
        }
        if let Some(value) = non_empty(prop.getcontentlength) {
            entry.size = Some(value.parse().map_err(|_| DavError::Value {
                field: "getcontentlength",
                href: entry.href.clone(),
                value: value.clone(),
            })?);
        }
        if let Some(value) = non_empty(prop.getlastmodified) {
            entry.modified =
                Some(
                    httpdate::parse_http_date(&value).map_err(|_| DavError::Value {
                        field: "getlastmodified",
                        href: entry.href.clone(),
                        value: value.clone(),
                    })?,
                );
        }
        if let Some(value) = non_empty(prop.getetag) {
            entry.etag = Some(value);
        }
    }
    Ok(entry)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;

    fn date(text: &str) -> Option<SystemTime> {
        Some(httpdate::parse_http_date(text).unwrap())
    }

    #[test]
    fn wsgidav_and_rclone_folders_are_read_with_exact_metadata() {
        for name in ["webdav-wsgidav-4.4.0-root.xml", "webdav-rclone-root.xml"] {
            let entries = parse_multistatus(&fixture(name)).unwrap();
            let hrefs: Vec<_> = entries.iter().map(|e| e.href.as_str()).collect();
            for href in [
                "/",
                "/a.txt",
                "/empty",
                "/sub/",
                "/top%25.txt",
                "/%C3%A9.txt",
            ] {
                assert!(hrefs.contains(&href), "{name}: {href} in {hrefs:?}");
            }
            let find = |href: &str| entries.iter().find(|e| e.href == href).unwrap();
            assert!(find("/").is_folder && find("/sub/").is_folder, "{name}");
            let file = find("/a.txt");
            assert!(!file.is_folder, "{name}");
            assert_eq!(file.size, Some(5), "{name}");
            assert_eq!(
                file.modified,
                date("Thu, 04 Mar 2021 05:06:07 GMT"),
                "{name}"
            );
            assert!(file.etag.is_some(), "{name}");
            assert_eq!(
                find("/empty").size,
                Some(0),
                "{name}: an empty file has size 0"
            );
            // The 404 block's empty <getcontentlength/> is not a size.
            assert_eq!(find("/sub/").size, None, "{name}");
        }
        let deep = parse_multistatus(&fixture("webdav-wsgidav-4.4.0-deep.xml")).unwrap();
        assert_eq!(deep[1].href, "/sub/deep/x%26y%23.bin");
        assert_eq!(deep[1].size, Some(1));
    }

    #[test]
    fn only_the_values_of_the_200_block_count() {
        let xml = r#"<multistatus xmlns="DAV:"><response><href>/f</href>
            <propstat><prop><getcontentlength>oops</getcontentlength><getetag>"x"</getetag></prop>
              <status>HTTP/1.1 404 Not Found</status></propstat>
            <propstat><prop><resourcetype/><getcontentlength> 7 </getcontentlength></prop>
              <status>HTTP/1.1 200 OK</status></propstat>
            </response></multistatus>"#;
        let entries = parse_multistatus(xml).unwrap();
        assert_eq!(entries[0].size, Some(7));
        assert_eq!(entries[0].etag, None);
        assert!(!entries[0].is_folder);
    }

    #[test]
    fn prefixes_and_full_url_hrefs_are_read_the_same() {
        let xml = r#"<d:multistatus xmlns:d="DAV:"><d:response>
            <d:href>http://127.0.0.1:8080/dav/x%20y/</d:href>
            <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop>
            <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
        let entries = parse_multistatus(xml).unwrap();
        assert_eq!(entries[0].href, "http://127.0.0.1:8080/dav/x%20y/");
        assert!(entries[0].is_folder);
    }

    #[test]
    fn what_is_not_a_multistatus_is_an_error() {
        // Well-formed XML of another root would read as an empty folder.
        for other in [
            "<html><body/>",
            "<html><body/></html>",
            "<D:error xmlns:D=\"DAV:\"/>",
            "",
        ] {
            assert!(
                matches!(parse_multistatus(other), Err(DavError::Root(_))),
                "{other}"
            );
        }
        let cut = r#"<multistatus xmlns="DAV:"><response><href>/a</href>"#;
        assert!(matches!(parse_multistatus(cut), Err(DavError::Xml(_))));
        let bad = r#"<multistatus xmlns="DAV:"><response><href>/a</href><propstat><prop>
            <getlastmodified>yesterday</getlastmodified></prop><status>HTTP/1.1 200 OK</status>
            </propstat></response></multistatus>"#;
        let error = parse_multistatus(bad).unwrap_err().to_string();
        assert!(
            error.contains("getlastmodified") && error.contains("/a"),
            "{error}"
        );
    }
}
