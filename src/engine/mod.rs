//! The top floor: [`mirror()`](mirror::mirror) wires the rest. Its [`options`];
//! the run context (`run`) every step is handed; the start URLs ([`starts`]); the
//! expected digests (`checksums`, `digests`); `-i` URL lists read as a stream
//! (`url_list`); the crawl that produces tasks
//! (`crawl`) and the dispatch that consumes them (`dispatch`), each task becoming a
//! transfer (`file_transfer`) or, in a dry run, a size probe (`dry_run`) — both
//! asking with the one HEAD probe (`head`) where they must; the clock of each host
//! whose listing prints zone-less local times is learnt once (`clocks`); and for
//! `--delete`, what the listings named (`listed`) and what that leaves to delete
//! (`delete`).

pub(crate) mod checksums;
pub(crate) mod clocks;
pub(crate) mod crawl;
pub(crate) mod delete;
pub(crate) mod digests;
pub(crate) mod dispatch;
pub(crate) mod dry_run;
pub(crate) mod file_transfer;
pub(crate) mod head;
pub(crate) mod learn_clock;
pub(crate) mod listed;
pub mod mirror;
pub mod options;
pub(crate) mod plan_file;
pub(crate) mod run;
pub mod starts;
pub(crate) mod url_list;
