//! One file per listing format family: each reads a page's text into [`Link`]s,
//! resolved against the page, with the sizes and times the format states. A new
//! family (S3 XML, WebDAV, FTP…) is one more file here, built on what
//! `listing::link` shares: `Link`, `repair_percent`, `resolve`.
//!
//! [`Link`]: crate::listing::link::Link

pub mod html;
pub mod json;
