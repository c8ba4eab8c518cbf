//! Url → Page → entries: fetching a listing page, decoding it, extracting its
//! links and the sizes and dates it lists.

pub mod extract;
pub mod formats;
pub mod meta;
pub mod page;
pub mod timestamp;
