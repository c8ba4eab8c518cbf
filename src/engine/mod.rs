//! The top floor: `mirror()`, its options, the run context, the start URLs, the
//! crawl that produces tasks and the dispatch that runs them.

pub mod checksum_source;
pub(crate) mod crawl;
pub mod input;
pub mod mirror;
pub(crate) mod options;
