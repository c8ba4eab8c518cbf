//! One file per listing format family: each reads a page's text into [`Link`]s,
//! resolved against the page, with the sizes and times the format states. A new
//! family (FTP…) is one more file here, built on what `listing::link` shares:
//! `Link`, `repair_percent`, `resolve`.
//!
//! `bucket` (S3, Azure Blob) and `copyparty` are read by the crawl through
//! `listing::bucket_fetch`, which lists each folder of a bucket whole and asks a
//! copyparty folder again as `?ls`; `webdav` through `listing::dav_fetch`
//! (`--webdav`: one `PROPFIND` a folder); `ftp` through `listing::ftp_fetch`
//! (`MLSD` or `LIST` on the run's FTP sessions).
//!
//! [`Link`]: crate::listing::link::Link

pub mod bucket;
pub mod copyparty;
pub mod ftp;
pub mod html;
pub mod json;
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
