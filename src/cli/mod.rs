//! The command-line front end: arguments, reporters and exit codes. It uses only the
//! library's public API.

pub mod args;
pub mod credentials;
pub mod output;
pub mod report;
pub mod verify;
