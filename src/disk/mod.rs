//! The only code that writes: part files and their sidecars, resume decisions,
//! placing a finished file, the output folder's lock, and the rule that nothing is
//! written through a symlink.

pub mod lock;
pub mod part;
pub mod place;
pub mod resume;
pub mod safe_fs;
