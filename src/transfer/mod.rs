//! Task → bytes on disk. One attempt at a file (`attempt`) streams its body into a
//! partial file beside the destination (continuing an earlier attempt's bytes when
//! the server allows), small files in one go (`small_file`) and large ones over
//! several connections ([`segmented`]); the partial file is checked against the
//! announced size and renamed into place, so a file under its final name is always
//! complete. An `ftp://` or `ftps://` file is fetched by [`ftp`] instead, into the
//! same partial file. [`download_with_retries`] is the whole of a transfer.

pub(crate) mod attempt;
pub(crate) mod body;
pub(crate) mod ftp;
pub(crate) mod headers;
pub(crate) mod retrying;
pub mod segmented;
pub(crate) mod send;
pub(crate) mod small_file;
pub(crate) mod stream;
pub(crate) mod types;

pub(crate) use headers::{content_length, last_modified};
pub use retrying::download_with_retries;
pub use types::{Attempt, Existing, Outcome, Progress, SplitPolicy};
