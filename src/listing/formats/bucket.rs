//! Object-store listings: an S3 `ListBucketResult` (AWS, GCS's XML API, MinIO, R2,
//! moto…) and an Azure Blob `EnumerationResults`, read into one shape.
//!
//! Both list *keys*, not files in folders: asked with `delimiter=/` they list the
//! objects directly under a prefix with their exact size, time and ETag, and fold
//! deeper keys into common prefixes, the folders. A long folder comes in pages,
//! each naming where the next one starts (S3's continuation token or marker, Azure's
//! marker), so a listing is complete only when a page names no next one.
//!
//! ```
//! use fetchall::listing::formats::bucket::{BucketKind, parse_bucket_listing};
//! let xml = r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//!   <Name>data</Name><Prefix>2024/</Prefix><IsTruncated>false</IsTruncated>
//!   <Contents><Key>2024/a &amp; b.csv</Key><Size>42</Size>
//!     <LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>"9b2c"</ETag></Contents>
//!   <CommonPrefixes><Prefix>2024/06/</Prefix></CommonPrefixes>
//! </ListBucketResult>"#;
//! let page = parse_bucket_listing(xml).unwrap();
//! assert_eq!(page.kind, BucketKind::S3);
//! assert_eq!(page.objects[0].key, "2024/a & b.csv");
//! assert_eq!(page.objects[0].size, 42);
//! assert_eq!(page.prefixes, ["2024/06/"]);
//! assert!(page.next.is_none());
//! ```

use std::time::SystemTime;

use serde::Deserialize;

mod urls;
pub use urls::{
    asks_for_bucket_listing, bucket_root, folder_prefix, folder_url, listing_url, object_url,
    requested_prefix,
};

/// Which object store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketKind {
    /// S3 or an S3-compatible store: `<ListBucketResult>`.
    S3,
    /// Azure Blob storage: `<EnumerationResults>`.
    Azure,
}

/// One page of an object-store listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketPage {
    /// Which store's format it was.
    pub kind: BucketKind,
    /// The bucket's (container's) name, when the page states it: the segment of
    /// the URL path that is the bucket's top folder.
    pub name: Option<String>,
    /// The prefix the page lists (`""` for the bucket's top).
    pub prefix: String,
    /// The objects directly under the prefix, in the order listed.
    pub objects: Vec<BucketObject>,
    /// The common prefixes: folders one level down, each ending in the delimiter.
    pub prefixes: Vec<String>,
    /// Where the next page starts; `None` when this page ends the listing.
    pub next: Option<Continuation>,
}

/// An object (a file) as listed, with the metadata the store gives exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketObject {
    /// The full key, `prefix` included.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The last modification time (to the second or better).
    pub modified: Option<SystemTime>,
    /// The entity tag, quotes included as the store writes it.
    pub etag: Option<String>,
}

/// Where the next page of a listing starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Continuation {
    /// S3 ListObjectsV2: the opaque `NextContinuationToken`, sent back as
    /// `continuation-token`.
    Token(String),
    /// S3 ListObjects (v1) and Azure: the key to list after, sent back as `marker`.
    Marker(String),
}

/// Why a text is not a readable object-store listing.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    /// Not XML of the expected shape.
    #[error("not a {expected} listing: {source}")]
    Xml {
        /// The root element the text started with.
        expected: &'static str,
        /// What the XML reader found.
        #[source]
        source: quick_xml::DeError,
    },
    /// A value that should be a number or a date is not one.
    #[error("{field} of {key:?} is not valid: {value:?}")]
    Value {
        /// The element (`Size`, `Content-Length`, `LastModified`…).
        field: &'static str,
        /// The object it belongs to.
        key: String,
        /// The text found.
        value: String,
    },
    /// The store says there is more, but not where it starts.
    #[error("the listing of {prefix:?} is cut into pages but names no next page")]
    NoNextPage {
        /// The prefix being listed.
        prefix: String,
    },
}

/// Which object store's listing `text` is, from its root element; `None` for
/// anything else (an HTML page, JSON, an S3 `<Error>`).
pub fn sniff_bucket_listing(text: &str) -> Option<BucketKind> {
    let root = root_element(text)?;
    match root {
        "ListBucketResult" => Some(BucketKind::S3),
        "EnumerationResults" => Some(BucketKind::Azure),
        _ => None,
    }
}

/// The name of the first element of an XML text, after the declaration, comments
/// and white space.
pub(crate) fn root_element(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            // `<!DOCTYPE …>`
            rest = after.split_once('>')?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            let name = &after[..end];
            // A namespace prefix (`<s3:ListBucketResult>`) does not change the element.
            return Some(name.rsplit(':').next().unwrap_or(name));
        } else {
            return None;
        }
    }
}

/// The root element of an XML answer: `Some` when the answer says it is XML (an
/// XML `content_type`, or a text that starts with `<?xml`), so that the caller can
/// tell an XHTML page (`html`) from XML that is no listing (`Error`, `urlset`…).
pub fn xml_root(content_type: Option<&str>, text: &str) -> Option<String> {
    let essence = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let says_xml = matches!(essence.as_str(), "application/xml" | "text/xml")
        || (essence.ends_with("+xml") && essence != "application/xhtml+xml")
        || text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with("<?xml");
    says_xml.then(|| root_element(text).unwrap_or("?").to_string())
}

/// Reads one page of an S3 or Azure listing.
pub fn parse_bucket_listing(text: &str) -> Result<BucketPage, BucketError> {
    match sniff_bucket_listing(text) {
        Some(BucketKind::Azure) => parse_azure(text),
        _ => parse_s3(text),
    }
}

/// `<ListBucketResult>`, v1 (`Marker`, `NextMarker`) and v2 (`NextContinuationToken`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBucketResult {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    contents: Vec<S3Object>,
    #[serde(default)]
    common_prefixes: Vec<S3Prefix>,
    #[serde(default)]
    next_continuation_token: Option<String>,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3Object {
    key: String,
    size: String,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default, rename = "ETag")]
    etag: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3Prefix {
    prefix: String,
}

fn parse_s3(text: &str) -> Result<BucketPage, BucketError> {
    let result: ListBucketResult =
        quick_xml::de::from_str(text).map_err(|source| BucketError::Xml {
            expected: "S3 ListBucketResult",
            source,
        })?;
    let prefix = result.prefix.unwrap_or_default();
    let mut objects = Vec::with_capacity(result.contents.len());
    for object in result.contents {
        let size = parse_size("Size", &object.key, &object.size)?;
        let modified = match object.last_modified.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => Some(parse_rfc3339("LastModified", &object.key, value)?),
        };
        objects.push(BucketObject {
            key: object.key,
            size,
            modified,
            etag: object.etag,
        });
    }
    let next = if result.is_truncated {
        let token = non_empty(result.next_continuation_token).map(Continuation::Token);
        // v1 names the next marker only when a delimiter was given; otherwise the
        // next page starts after the last key of this one.
        let marker = non_empty(result.next_marker)
            .or_else(|| objects.last().map(|object| object.key.clone()))
            .map(Continuation::Marker);
        Some(token.or(marker).ok_or_else(|| BucketError::NoNextPage {
            prefix: prefix.clone(),
        })?)
    } else {
        None
    };
    Ok(BucketPage {
        kind: BucketKind::S3,
        name: non_empty(result.name),
        prefix,
        objects,
        prefixes: result
            .common_prefixes
            .into_iter()
            .map(|p| p.prefix)
            .collect(),
        next,
    })
}

/// `<EnumerationResults>` of Azure's List Blobs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EnumerationResults {
    #[serde(default, rename = "@ContainerName")]
    container_name: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    blobs: AzureBlobs,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Deserialize, Default)]
struct AzureBlobs {
    #[serde(default, rename = "Blob")]
    blobs: Vec<AzureBlob>,
    #[serde(default, rename = "BlobPrefix")]
    prefixes: Vec<AzurePrefix>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AzureBlob {
    name: String,
    properties: AzureProperties,
}

#[derive(Deserialize)]
struct AzureProperties {
    #[serde(rename = "Content-Length")]
    content_length: String,
    #[serde(default, rename = "Last-Modified")]
    last_modified: Option<String>,
    #[serde(default, rename = "Etag")]
    etag: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AzurePrefix {
    name: String,
}

fn parse_azure(text: &str) -> Result<BucketPage, BucketError> {
    let result: EnumerationResults =
        quick_xml::de::from_str(text).map_err(|source| BucketError::Xml {
            expected: "Azure EnumerationResults",
            source,
        })?;
    let mut objects = Vec::with_capacity(result.blobs.blobs.len());
    for blob in result.blobs.blobs {
        let size = parse_size(
            "Content-Length",
            &blob.name,
            &blob.properties.content_length,
        )?;
        let modified = match blob.properties.last_modified.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => {
                Some(
                    httpdate::parse_http_date(value).map_err(|_| BucketError::Value {
                        field: "Last-Modified",
                        key: blob.name.clone(),
                        value: value.to_string(),
                    })?,
                )
            }
        };
        objects.push(BucketObject {
            key: blob.name,
            size,
            modified,
            etag: blob.properties.etag,
        });
    }
    Ok(BucketPage {
        kind: BucketKind::Azure,
        name: non_empty(result.container_name),
        prefix: result.prefix.unwrap_or_default(),
        objects,
        prefixes: result.blobs.prefixes.into_iter().map(|p| p.name).collect(),
        next: non_empty(result.next_marker).map(Continuation::Marker),
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

fn parse_size(field: &'static str, key: &str, value: &str) -> Result<u64, BucketError> {
    value.trim().parse().map_err(|_| BucketError::Value {
        field,
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn parse_rfc3339(field: &'static str, key: &str, value: &str) -> Result<SystemTime, BucketError> {
    value
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|time| SystemTime::try_from(time).ok())
        .ok_or_else(|| BucketError::Value {
            field,
            key: key.to_string(),
            value: value.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::fixture;
    use url::Url;

    fn keys(page: &BucketPage) -> Vec<&str> {
        page.objects.iter().map(|o| o.key.as_str()).collect()
    }

    #[test]
    fn moto_pages_are_read_with_their_folders_and_next_page() {
        let first = parse_bucket_listing(&fixture("s3-moto-5.2.5-v2-page1.xml")).unwrap();
        assert_eq!(first.kind, BucketKind::S3);
        assert_eq!(keys(&first), ["a.txt"]);
        assert_eq!(first.prefixes, ["sub/"]);
        assert_eq!(
            first.next,
            Some(Continuation::Token(
                "cf07de3b54d1a3cadc69ccddd3617614".to_string()
            ))
        );
        let second = parse_bucket_listing(&fixture("s3-moto-5.2.5-v2-page2.xml")).unwrap();
        assert_eq!(keys(&second), ["top%.txt", "é.txt"]);
        assert!(second.prefixes.is_empty());
        assert_eq!(second.next, None);
        let deep = parse_bucket_listing(&fixture("s3-moto-5.2.5-v2-deep.xml")).unwrap();
        assert_eq!(deep.prefix, "sub/deep/");
        assert_eq!(keys(&deep), ["sub/deep/x&y#.bin"]);
        let object = &deep.objects[0];
        assert_eq!(object.size, 0);
        assert_eq!(
            object.modified,
            Some(httpdate::parse_http_date("Wed, 02 Dec 2026 14:22:05 GMT").unwrap())
        );
        assert_eq!(
            object.etag.as_deref(),
            Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
        );
    }

    #[test]
    fn a_v1_listing_continues_at_its_next_marker_or_after_its_last_key() {
        let page = parse_bucket_listing(&fixture("s3-moto-5.2.5-v1-page1.xml")).unwrap();
        assert_eq!(keys(&page), ["a.txt", "top%.txt"]);
        assert_eq!(
            page.next,
            Some(Continuation::Marker(
                "946708859f4d1e856dfb20668f9b5b9a".to_string()
            ))
        );
        let without_marker = r#"<ListBucketResult><IsTruncated>true</IsTruncated>
            <Contents><Key>a</Key><Size>1</Size></Contents>
            <Contents><Key>b</Key><Size>2</Size></Contents></ListBucketResult>"#;
        let page = parse_bucket_listing(without_marker).unwrap();
        assert_eq!(page.next, Some(Continuation::Marker("b".to_string())));
        let nothing = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        assert!(matches!(
            parse_bucket_listing(nothing),
            Err(BucketError::NoNextPage { .. })
        ));
    }

    #[test]
    fn azurite_pages_are_read_with_their_folders_and_next_marker() {
        let first = parse_bucket_listing(&fixture("azure-azurite-3.35.0-page1.xml")).unwrap();
        assert_eq!(first.kind, BucketKind::Azure);
        assert_eq!(keys(&first), ["a.txt"]);
        assert_eq!(first.objects[0].size, 5);
        assert_eq!(
            first.objects[0].modified,
            Some(httpdate::parse_http_date("Wed, 02 Dec 2026 14:23:22 GMT").unwrap())
        );
        assert_eq!(first.objects[0].etag.as_deref(), Some("0x1D7074205884230"));
        assert_eq!(first.prefixes, ["sub/"]);
        assert_eq!(
            first.next,
            Some(Continuation::Marker("sub/deep/x&y#.bin".to_string()))
        );
        let deep = parse_bucket_listing(&fixture("azure-azurite-3.35.0-deep.xml")).unwrap();
        assert_eq!(keys(&deep), ["sub/deep/x&y#.bin"]);
        assert_eq!(deep.next, None, "an empty <NextMarker/> ends the listing");
    }

    #[test]
    fn interleaved_objects_and_folders_are_all_kept() {
        let xml = r#"<ListBucketResult><IsTruncated>false</IsTruncated>
            <Contents><Key>a</Key><Size>1</Size></Contents>
            <CommonPrefixes><Prefix>d1/</Prefix></CommonPrefixes>
            <Contents><Key>b</Key><Size>2</Size></Contents>
            <CommonPrefixes><Prefix>d2/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = parse_bucket_listing(xml).unwrap();
        assert_eq!(keys(&page), ["a", "b"]);
        assert_eq!(page.prefixes, ["d1/", "d2/"]);
        let xml = r#"<EnumerationResults><Blobs>
            <Blob><Name>a</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>
            <BlobPrefix><Name>d1/</Name></BlobPrefix>
            <Blob><Name>b</Name><Properties><Content-Length>2</Content-Length></Properties></Blob>
            </Blobs><NextMarker/></EnumerationResults>"#;
        let page = parse_bucket_listing(xml).unwrap();
        assert_eq!(keys(&page), ["a", "b"]);
        assert_eq!(page.prefixes, ["d1/"]);
    }

    #[test]
    fn what_is_not_a_listing_is_an_error_never_an_empty_page() {
        assert_eq!(sniff_bucket_listing("<html><body>hi</body></html>"), None);
        assert_eq!(sniff_bucket_listing("[]"), None);
        assert_eq!(
            sniff_bucket_listing("<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code></Error>"),
            None
        );
        assert_eq!(
            sniff_bucket_listing("\u{feff}<?xml version=\"1.0\"?>\n<!-- c -->\n<ListBucketResult>"),
            Some(BucketKind::S3)
        );
        let cut = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>";
        assert!(matches!(
            parse_bucket_listing(cut),
            Err(BucketError::Xml { .. })
        ));
        let bad_size = "<ListBucketResult><Contents><Key>a</Key><Size>1.5k</Size></Contents></ListBucketResult>";
        let error = parse_bucket_listing(bad_size).unwrap_err().to_string();
        assert!(error.contains("Size") && error.contains("\"a\""), "{error}");
        let bad_date = "<ListBucketResult><Contents><Key>a</Key><Size>1</Size><LastModified>yesterday</LastModified></Contents></ListBucketResult>";
        assert!(matches!(
            parse_bucket_listing(bad_date),
            Err(BucketError::Value {
                field: "LastModified",
                ..
            })
        ));
    }

    #[test]
    fn xml_answers_are_told_from_pages_by_type_or_declaration() {
        let sitemap = r#"<?xml version="1.0"?><urlset><url/></urlset>"#;
        assert_eq!(xml_root(None, sitemap).as_deref(), Some("urlset"));
        assert_eq!(
            xml_root(Some("application/xml"), "<Error><Code>X</Code></Error>").as_deref(),
            Some("Error")
        );
        assert_eq!(
            xml_root(Some("application/atom+xml; charset=utf-8"), "<feed/>").as_deref(),
            Some("feed")
        );
        let xhtml = "<?xml version=\"1.0\"?>\n<!DOCTYPE html>\n<html><body/></html>";
        assert_eq!(xml_root(Some("text/html"), xhtml).as_deref(), Some("html"));
        // HTML is not XML unless it says so: no answer there.
        assert_eq!(xml_root(Some("text/html"), "<!DOCTYPE html><html>"), None);
        assert_eq!(xml_root(Some("application/xhtml+xml"), "<html/>"), None);
        assert_eq!(xml_root(Some("application/json"), "[]"), None);
    }

    #[test]
    fn a_start_url_asking_a_store_for_a_listing_is_known_by_its_query() {
        for url in [
            "http://h/bkt?prefix=a/",
            "http://h/bkt?list-type=2",
            "http://h/bkt?delimiter=%2F",
            "http://h/acct/ctr?restype=container&comp=list",
        ] {
            assert!(asks_for_bucket_listing(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://h/file.iso",
            "http://h/get.php?id=1",
            "http://h/x?comp=get",
        ] {
            assert!(!asks_for_bucket_listing(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn object_urls_carry_any_key_literally_or_not_at_all() {
        let bucket = Url::parse("http://127.0.0.1:9000/data/?prefix=x/").unwrap();
        for key in [
            "a b.txt",
            "x&y#.bin",
            "100%.txt",
            "q?.txt",
            "é/ü.txt",
            "a+b",
            "[1]",
        ] {
            let url = object_url(&bucket, key).unwrap();
            assert_eq!(url.query(), None);
            let path = percent_encoding::percent_decode_str(url.path())
                .decode_utf8()
                .unwrap();
            assert_eq!(path, format!("/data/{key}"), "{url}");
        }
        for key in ["../x", "a/./b", "a//b", "/a", "a/"] {
            assert_eq!(object_url(&bucket, key), None, "{key}");
        }
    }

    #[test]
    fn a_bucket_is_walked_as_folders_under_its_root() {
        let page = parse_bucket_listing(&fixture("s3-moto-5.2.5-v2-page1.xml")).unwrap();
        assert_eq!(page.name.as_deref(), Some("bkt"));
        for (answered, root) in [
            (
                "http://127.0.0.1:5000/bkt/?list-type=2",
                "http://127.0.0.1:5000/bkt/",
            ),
            (
                "http://127.0.0.1:5000/bkt?prefix=sub/",
                "http://127.0.0.1:5000/bkt/",
            ),
            (
                "http://bkt.127.0.0.1.nip:5000/",
                "http://bkt.127.0.0.1.nip:5000/",
            ),
            ("http://h/bkt/sub/?x", "http://h/bkt/"),
        ] {
            let root_found = bucket_root(&Url::parse(answered).unwrap(), &page);
            assert_eq!(root_found.as_str(), root, "{answered}");
        }
        let azure = parse_bucket_listing(&fixture("azure-azurite-3.35.0-page1.xml")).unwrap();
        assert_eq!(azure.name.as_deref(), Some("ctr"));
        let answered =
            Url::parse("http://127.0.0.1:10000/devstoreaccount1/ctr?restype=container&comp=list")
                .unwrap();
        assert_eq!(
            bucket_root(&answered, &azure).as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/ctr/"
        );
        let root = Url::parse("http://h/bkt/").unwrap();
        for prefix in ["sub/", "a b/c#d/", "100%/", "é/"] {
            let folder = folder_url(&root, prefix).unwrap();
            assert!(folder.path().ends_with('/'), "{folder}");
            assert_eq!(
                folder_prefix(&root, &folder).as_deref(),
                Some(prefix),
                "{folder}"
            );
        }
        assert_eq!(folder_prefix(&root, &root).as_deref(), Some(""));
        assert_eq!(
            folder_prefix(&root, &Url::parse("http://h/other/").unwrap()),
            None
        );
        assert_eq!(
            folder_prefix(&root, &Url::parse("http://x/bkt/a/").unwrap()),
            None
        );
        assert_eq!(folder_url(&root, "../"), None);
        let start = Url::parse("http://h/bkt/?prefix=2024%2F06/").unwrap();
        assert_eq!(requested_prefix(&start).as_deref(), Some("2024/06/"));
    }

    #[test]
    fn listing_urls_ask_for_one_folder_one_page_at_a_time() {
        let bucket = Url::parse("http://h/data/").unwrap();
        let url = listing_url(&bucket, BucketKind::S3, "a b&c/", None);
        assert_eq!(
            url.as_str(),
            "http://h/data/?list-type=2&delimiter=%2F&prefix=a+b%26c%2F"
        );
        let token = Continuation::Token("t+/=".to_string());
        let url = listing_url(&bucket, BucketKind::S3, "", Some(&token));
        assert_eq!(
            url.as_str(),
            "http://h/data/?list-type=2&delimiter=%2F&continuation-token=t%2B%2F%3D"
        );
        let container = Url::parse("http://h/acct/ctr/").unwrap();
        let marker = Continuation::Marker("k".to_string());
        let url = listing_url(&container, BucketKind::Azure, "p/", Some(&marker));
        assert_eq!(
            url.as_str(),
            "http://h/acct/ctr?restype=container&comp=list&delimiter=%2F&prefix=p%2F&marker=k"
        );
    }
}
