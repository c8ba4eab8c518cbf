//! The only code that writes: part files and their sidecars, resume decisions,
//! placing a finished file, the output folder's lock, and the rule that nothing is
//! written (or read back) through a symlink; hashing and verifying files on disk.

pub(crate) mod batch;
pub(crate) mod body_writer;
pub(crate) mod checksum_file;
pub mod hash;
pub mod lock;
pub(crate) mod part;
pub(crate) mod place;
pub(crate) mod prune;
pub(crate) mod resume;
pub(crate) mod safe_fs;
pub mod verify;
