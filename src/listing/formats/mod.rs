//! One file per listing format family: each reads a page's text into [`Link`]s,
//! resolved against the page, with the sizes and times the format states. A new
//! family is one more file here, built on what `listing::link` shares:
//! `Link`, `repair_percent`, `resolve`.
//!
//! `bucket` (S3, Azure Blob) and `copyparty` are read by the crawl through
//! `listing::bucket_fetch`, which lists each folder of a bucket whole and asks a
//! copyparty folder again as `?ls`; `webdav` through `listing::dav_fetch`
//! (`--webdav`: one `PROPFIND` a folder); `h5ai` and `dirlister` through
//! `listing::php_fetch` (h5ai's items `POST`, Directory Lister's `?dir=` pages);
//! `ftp` through `listing::ftp_fetch` (`MLSD` or `LIST` on the run's FTP
//! sessions). A `dufs` page is read from the JSON it embeds, and Squid's FTP
//! folder page (`squid`) with its links merged, by `listing::bucket_fetch` too.
//!
//! [`Link`]: crate::listing::link::Link

pub mod bucket;
pub mod copyparty;
pub mod dirlister;
pub mod dufs;
pub mod ftp;
pub mod h5ai;
pub mod html;
pub mod json;
pub mod squid;
pub mod webdav;

/// A listing captured from a real server (`tests/fixtures/listings/`), for the
/// formats' tests.
#[cfg(test)]
fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/listings/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}
