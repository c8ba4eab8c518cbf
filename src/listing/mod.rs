//! Url → Page → entries: fetching a listing page (with its retries), decoding its
//! charset, and reading its links with the sizes and dates it lists, in the format
//! the page is in (one file per format family under [`formats`]).
//!
//! The names most callers need are re-exported here.

pub(crate) mod bucket_fetch;
pub(crate) mod charset;
pub(crate) mod dav_fetch;
pub(crate) mod fetch;
pub mod formats;
pub(crate) mod ftp_fetch;
pub(crate) mod link;
pub mod local_time;
pub(crate) mod meta;
pub mod offset;
pub(crate) mod page;
pub(crate) mod php_fetch;
pub(crate) mod timestamp;

pub use charset::decode_text;
pub(crate) use fetch::fetch_page_with_retries;
pub use formats::html::{extract_links, for_each_link};
pub use formats::json::{extract_json_links, for_each_json_link};
pub use link::{Link, repair_percent};
pub use meta::{ListedSize, ListedTime};
pub use page::is_page_type;
pub use timestamp::parse_user_date;
