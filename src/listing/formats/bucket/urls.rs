//! Where a bucket's objects and folders are, as URLs: a key written into a path,
//! the bucket's root, the folder URL of a prefix and back, and the URL that asks
//! the store for one page of a folder.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;

use super::{BucketKind, BucketPage, Continuation};

/// Characters escaped in a key written into a URL path: everything a URL parser
/// would read as something else (`#`, `?`, `%`, spaces, quotes…); `/` stays, the
/// key's folders are the URL's.
const KEY_IN_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The URL of object `key` in the bucket or container at `bucket` (its path-style
/// URL, with or without a query). `None` for a key no URL can carry: one with an
/// empty, `.` or `..` segment, which URL parsers fold away.
pub fn object_url(bucket: &Url, key: &str) -> Option<Url> {
    if key
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return None;
    }
    let mut url = bucket.clone();
    url.set_query(None);
    url.set_fragment(None);
    let base = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{base}/{}", utf8_percent_encode(key, KEY_IN_PATH)));
    Some(url)
}

/// The bucket's top folder, as a folder URL: the path of `answered` (the URL whose
/// answer was `page`) up to the segment that names the bucket (path style,
/// `http://host/bucket/`; Azure's `http://host/account/container/`), or the host's
/// root when no segment does (virtual-hosted style, `http://bucket.host/`).
///
/// fetchall walks a bucket as folders under this URL (`…/bucket/sub/`), so scope,
/// `--level`, paths and loops work as for any listing; [`folder_prefix`] turns
/// such a folder back into the key prefix to ask the store for.
pub fn bucket_root(answered: &Url, page: &BucketPage) -> Url {
    let mut root = answered.clone();
    root.set_query(None);
    root.set_fragment(None);
    let mut path = String::from("/");
    if let Some(name) = page.name.as_deref() {
        let mut through = String::new();
        for segment in answered.path().split('/').filter(|s| !s.is_empty()) {
            through.push('/');
            through.push_str(segment);
            if percent_encoding::percent_decode_str(segment).decode_utf8_lossy() == name {
                path = format!("{through}/");
                break;
            }
        }
    }
    root.set_path(&path);
    root
}

/// The key prefix a folder URL under `root` stands for (`…/bucket/a%20b/` → `a b/`),
/// or `None` for a URL outside the bucket.
pub fn folder_prefix(root: &Url, folder: &Url) -> Option<String> {
    if root.origin() != folder.origin() {
        return None;
    }
    let relative = folder.path().strip_prefix(root.path())?;
    let prefix = percent_encoding::percent_decode_str(relative)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some(prefix)
}

/// The folder URL under `root` of a common prefix (`a b/` → `…/bucket/a%20b/`);
/// `None` for a prefix no URL can carry (see [`object_url`]).
pub fn folder_url(root: &Url, prefix: &str) -> Option<Url> {
    let key = prefix.strip_suffix('/')?;
    let mut url = object_url(root, key)?;
    let path = format!("{}/", url.path());
    url.set_path(&path);
    Some(url)
}

/// The `prefix` a user gave in the start URL (`http://host/bucket/?prefix=2024/`),
/// where the mirror starts inside the bucket.
pub fn requested_prefix(start: &Url) -> Option<String> {
    start
        .query_pairs()
        .find(|(key, _)| key == "prefix")
        .map(|(_, value)| value.into_owned())
}

/// Whether the query of `url` asks an object store for a listing (`list-type=2`,
/// `prefix=`, `delimiter=`, Azure's `comp=list`): a start URL such as
/// `…/bucket?prefix=2024/` or `…/container?restype=container&comp=list` is a
/// listing to read, although its path has no final slash and its answer is XML.
pub fn asks_for_bucket_listing(url: &Url) -> bool {
    url.query_pairs().any(|(key, value)| {
        matches!(key.as_ref(), "list-type" | "prefix" | "delimiter")
            || (key == "comp" && value == "list")
    })
}

/// The URL that asks the store for one page of the folder `prefix`: S3's
/// ListObjectsV2 or Azure's List Blobs, with `delimiter=/` so that deeper keys
/// come back as folders, starting at `next` when given. An S3 bucket is asked at
/// its root folder (`…/bkt/?list-type=2…`), an Azure container at its name
/// (`…/ctr?restype=container…`).
pub fn listing_url(
    bucket: &Url,
    kind: BucketKind,
    prefix: &str,
    next: Option<&Continuation>,
) -> Url {
    let mut url = bucket.clone();
    url.set_fragment(None);
    url.set_query(None);
    if kind == BucketKind::Azure {
        // The container is `…/ctr`; `…/ctr/` would name a blob called "".
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
    }
    {
        let mut query = url.query_pairs_mut();
        match kind {
            BucketKind::S3 => {
                query.append_pair("list-type", "2");
            }
            BucketKind::Azure => {
                query.append_pair("restype", "container");
                query.append_pair("comp", "list");
            }
        }
        query.append_pair("delimiter", "/");
        if !prefix.is_empty() {
            query.append_pair("prefix", prefix);
        }
        match next {
            Some(Continuation::Token(token)) => {
                query.append_pair("continuation-token", token);
            }
            Some(Continuation::Marker(marker)) => {
                query.append_pair(
                    match kind {
                        BucketKind::S3 => "start-after",
                        BucketKind::Azure => "marker",
                    },
                    marker,
                );
            }
            None => {}
        }
    }
    url
}
