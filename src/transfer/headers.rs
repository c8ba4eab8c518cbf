//! What a file's answer says in its headers: its size, its date, whether it may be
//! asked for in ranges, the name it suggests.

use std::time::SystemTime;

use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, HeaderMap, LAST_MODIFIED};

/// The Content-Length header, if it is a number.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The Last-Modified header, if it is an HTTP date.
pub(crate) fn last_modified(headers: &HeaderMap) -> Option<SystemTime> {
    httpdate::parse_http_date(headers.get(LAST_MODIFIED)?.to_str().ok()?).ok()
}

/// True when a full answer says ranges can be asked for (`Accept-Ranges: bytes`).
pub(crate) fn accepts_ranges(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT_RANGES)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("bytes"))
}

/// The sanitised file name an answer's `Content-Disposition` suggests, if any.
pub(crate) fn suggested_name(headers: &HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::plan::disposition::file_name)
}
