//! One module per listing format that is not an HTML page.

pub mod bucket;
pub mod copyparty;
pub mod webdav;
