//! One file per listing format family: each reads a page's text into [`Link`]s,
//! resolved against the page, with the sizes and times the format states. A new
//! family (FTP…) is one more file here, built on what `listing::link` shares:
//! `Link`, `repair_percent`, `resolve`.
//!
//! `bucket` (S3, Azure Blob) is read by the crawl through
//! `listing::bucket_fetch`, which lists each folder of a bucket whole; `webdav`
//! through `listing::dav_fetch` (`--webdav`: one `PROPFIND` a folder).
//! `copyparty` reads its format (parser tested on captured answers of the real
//! server) but is not wired into the crawl yet.
//!
//! [`Link`]: crate::listing::link::Link

pub mod bucket;
pub mod copyparty;
pub mod html;
pub mod json;
pub mod webdav;
