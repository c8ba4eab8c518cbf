//! One file per listing format family: each reads a page's text into [`Link`]s,
//! resolved against the page, with the sizes and times the format states.
//!
//! [`Link`]: crate::listing::link::Link

pub mod html;
pub mod json;
