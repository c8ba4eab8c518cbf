//! The only code that writes: part files and their sidecars, resume decisions,
//! placing a finished file, the output folder's lock, and the rule that nothing is
//! written (or read back) through a symlink; hashing and verifying files on disk.

pub mod hash;
pub mod lock;
pub mod part;
pub mod place;
pub mod resume;
pub mod safe_fs;
pub mod verify;
