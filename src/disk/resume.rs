//! Resuming partial downloads without ever appending bytes of another version.
//!
//! Before the first body byte goes into a partial file ([`crate::disk::part`]), the
//! version of the file being received — its URL, strong ETag, `Last-Modified` and
//! total size, and for a split download its segments — is saved in its sidecar as
//! a [`Validator`].
//!
//! The next attempt, in this run or a later one, asks for the rest with
//! `Range: bytes=N-` and `If-Range` (the ETag if strong, else the Last-Modified).
//! The answer decides ([`decide`]): a matching 206 is appended, a 200 restarts the
//! file from zero, a mismatched 206 restarts without Range, a 416 finishes a partial
//! that is already whole. Both files disappear when the file is renamed into place.
//! A partial without a usable validator is never kept: nothing could prove that
//! its bytes belong to the version the server sends next.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use url::Url;

/// Identifies one version of a remote file: what the partial file's bytes belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// The URL the bytes came from.
    pub url: String,
    /// The strong ETag of the response, if any (a weak one cannot be used in If-Range).
    pub etag: Option<String>,
    /// The Last-Modified header of the response, as sent.
    pub last_modified: Option<String>,
    /// The full size of the file, when the server said it.
    pub total: Option<u64>,
    /// For a segmented download: the byte ranges and how much of each is on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<Segment>>,
}

impl Validator {
    /// The validator of a full (200) response.
    pub fn from_response(url: &Url, headers: &HeaderMap, total: Option<u64>) -> Validator {
        Validator {
            url: url.to_string(),
            etag: strong_etag(headers),
            last_modified: header_text(headers, LAST_MODIFIED),
            total,
            segments: None,
        }
    }

    /// The `If-Range` value: the ETag if strong, else the Last-Modified date.
    pub fn if_range(&self) -> Option<&str> {
        self.etag.as_deref().or(self.last_modified.as_deref())
    }

    /// Whether the segments saved with it, if any, say exactly which bytes are on
    /// disk: taken in order of their starts, they cover `0..total` once each, and
    /// none has more done than it holds. A sidecar that says otherwise (damaged,
    /// or planted) is no guide, and its partial file is not continued.
    pub(crate) fn segments_cover_the_file(&self) -> bool {
        let Some(segments) = &self.segments else {
            return true;
        };
        let Some(total) = self.total else {
            return false;
        };
        let mut ordered: Vec<&Segment> = segments.iter().collect();
        ordered.sort_unstable_by_key(|segment| segment.start);
        let mut next = 0;
        for segment in ordered {
            if segment.start != next
                || segment.end <= segment.start
                || segment.done > segment.end - segment.start
            {
                return false;
            }
            next = segment.end;
        }
        next == total && total > 0
    }

    /// False when a response says it is another version than this one. A server
    /// that ignores `If-Range` but honours `Range` is caught here.
    pub(crate) fn matches(&self, headers: &HeaderMap) -> bool {
        let same = |ours: &Option<String>, theirs: Option<String>| match (ours, theirs) {
            (Some(ours), Some(theirs)) => *ours == theirs,
            _ => true,
        };
        same(&self.etag, strong_etag(headers))
            && same(&self.last_modified, header_text(headers, LAST_MODIFIED))
    }
}

/// One byte range of a file being downloaded over several connections,
/// `start..end`, of which `done` bytes from `start` are on disk. Saved in the
/// sidecar, so a later attempt continues every segment where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Bytes written from `start`.
    pub done: u64,
}

impl Segment {
    /// The first byte not yet on disk.
    pub(crate) fn next_byte(&self) -> u64 {
        self.start + self.done
    }

    /// Bytes still to fetch.
    pub(crate) fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.next_byte())
    }
}

/// What shows that an answer is another version of the file than `validator`
/// names: a different strong ETag, a different Last-Modified, or a different total
/// size (`total`, when the answer states it). `None` when nothing does: a weak or
/// missing ETag, or a missing date, proves no change.
pub(crate) fn version_change(
    validator: &Validator,
    headers: &HeaderMap,
    total: Option<u64>,
) -> Option<String> {
    if let (Some(ours), Some(theirs)) = (&validator.etag, strong_etag(headers))
        && *ours != theirs
    {
        return Some(format!("ETag {ours} became {theirs}"));
    }
    if let (Some(ours), Some(theirs)) = (
        &validator.last_modified,
        header_text(headers, LAST_MODIFIED),
    ) && *ours != theirs
    {
        return Some(format!("Last-Modified `{ours}` became `{theirs}`"));
    }
    if let (Some(ours), Some(theirs)) = (validator.total, total)
        && ours != theirs
    {
        return Some(format!("size {ours} bytes became {theirs} bytes"));
    }
    None
}

/// Bytes of an earlier attempt that can be continued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    /// Bytes already in the partial file: the `N` of `Range: bytes=N-`.
    pub offset: u64,
    /// The version they belong to.
    pub validator: Validator,
}

/// What to do with a response, given the partial file the request was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A 200: write the whole body from the start (dropping any partial file).
    Fresh,
    /// A 206 that continues the partial file exactly: append the body.
    Append,
    /// A 416 for a partial file that is already whole: it only needs its final name.
    Complete,
    /// The answer does not fit the partial file: drop it, ask again without Range.
    Restart,
    /// Not an answer to write (304, errors...): the caller handles the status.
    Other,
}

/// Decides how the answer to a (possibly ranged) request is used.
pub fn decide(status: StatusCode, headers: &HeaderMap, partial: Option<&Partial>) -> Decision {
    match (status, partial) {
        (StatusCode::OK, _) => Decision::Fresh,
        (StatusCode::PARTIAL_CONTENT, Some(partial)) => {
            let range =
                header_text(headers, CONTENT_RANGE).and_then(|text| parse_content_range(&text));
            let fits = range.is_some_and(|range| {
                range.start == Some(partial.offset)
                    && match (partial.validator.total, range.total) {
                        (Some(ours), Some(theirs)) => ours == theirs,
                        _ => true,
                    }
            });
            if fits && partial.validator.matches(headers) {
                Decision::Append
            } else {
                Decision::Restart
            }
        }
        (StatusCode::RANGE_NOT_SATISFIABLE, Some(partial)) => {
            let total = header_text(headers, CONTENT_RANGE)
                .and_then(|text| parse_content_range(&text))
                .and_then(|range| range.total);
            let whole = partial.validator.total == Some(partial.offset)
                && total.is_none_or(|total| total == partial.offset);
            if whole {
                Decision::Complete
            } else {
                Decision::Restart
            }
        }
        _ => Decision::Other,
    }
}

/// A parsed `Content-Range: bytes START-END/TOTAL` (or `bytes */TOTAL` in a 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte, absent in `bytes */TOTAL`.
    pub start: Option<u64>,
    /// Last byte (inclusive), absent in `bytes */TOTAL`.
    pub end: Option<u64>,
    /// Full size, absent when the server sent `*`.
    pub total: Option<u64>,
}

/// Parses a Content-Range header value; `None` when it is malformed.
pub fn parse_content_range(text: &str) -> Option<ContentRange> {
    let rest = text.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        total => Some(total.parse().ok()?),
    };
    let (start, end) = match range.trim() {
        "*" => (None, None),
        range => {
            let (start, end) = range.split_once('-')?;
            let start: u64 = start.trim().parse().ok()?;
            let end: u64 = end.trim().parse().ok()?;
            if end < start || total.is_some_and(|total| end >= total) {
                return None;
            }
            (Some(start), Some(end))
        }
    };
    if start.is_none() && total.is_none() {
        return None;
    }
    Some(ContentRange { start, end, total })
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    Some(headers.get(name)?.to_str().ok()?.trim().to_string())
}

fn strong_etag(headers: &HeaderMap) -> Option<String> {
    header_text(headers, ETAG).filter(|etag| etag.starts_with('"'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    fn partial(offset: u64, total: Option<u64>) -> Partial {
        Partial {
            offset,
            validator: Validator {
                url: "http://h/f".into(),
                etag: Some("\"v1\"".into()),
                last_modified: None,
                total,
                segments: None,
            },
        }
    }

    #[test]
    fn content_ranges_are_parsed_strictly() {
        let range = |start, end, total| ContentRange {
            start: Some(start),
            end: Some(end),
            total,
        };
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some(range(10, 19, Some(20)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some(range(0, 0, None)));
        assert_eq!(
            parse_content_range("bytes */20"),
            Some(ContentRange {
                start: None,
                end: None,
                total: Some(20)
            })
        );
        for bad in [
            "bytes 5-4/20",
            "bytes 0-20/20",
            "items 0-1/2",
            "bytes */*",
            "bytes x-1/2",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn responses_decide_append_restart_or_complete() {
        let ok = StatusCode::OK;
        let partial_content = StatusCode::PARTIAL_CONTENT;
        let p = partial(10, Some(20));
        assert_eq!(decide(ok, &HeaderMap::new(), Some(&p)), Decision::Fresh);
        let fitting = headers(&[("content-range", "bytes 10-19/20"), ("etag", "\"v1\"")]);
        assert_eq!(
            decide(partial_content, &fitting, Some(&p)),
            Decision::Append
        );
        let wrong_start = headers(&[("content-range", "bytes 0-19/20")]);
        assert_eq!(
            decide(partial_content, &wrong_start, Some(&p)),
            Decision::Restart
        );
        let other_size = headers(&[("content-range", "bytes 10-29/30")]);
        assert_eq!(
            decide(partial_content, &other_size, Some(&p)),
            Decision::Restart
        );
        let other_version = headers(&[("content-range", "bytes 10-19/20"), ("etag", "\"v2\"")]);
        assert_eq!(
            decide(partial_content, &other_version, Some(&p)),
            Decision::Restart
        );
        assert_eq!(
            decide(partial_content, &HeaderMap::new(), Some(&p)),
            Decision::Restart
        );
        assert_eq!(decide(partial_content, &fitting, None), Decision::Other);

        let unsatisfiable = StatusCode::RANGE_NOT_SATISFIABLE;
        let whole = partial(20, Some(20));
        let star = headers(&[("content-range", "bytes */20")]);
        assert_eq!(
            decide(unsatisfiable, &star, Some(&whole)),
            Decision::Complete
        );
        assert_eq!(decide(unsatisfiable, &star, Some(&p)), Decision::Restart);
        let unknown_total = partial(20, None);
        assert_eq!(
            decide(unsatisfiable, &star, Some(&unknown_total)),
            Decision::Restart
        );
    }

    #[test]
    fn if_range_prefers_a_strong_etag() {
        let url = Url::parse("http://h/f").expect("url");
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let strong = Validator::from_response(
            &url,
            &headers(&[("etag", "\"a\""), ("last-modified", date)]),
            None,
        );
        assert_eq!(strong.if_range(), Some("\"a\""));
        let weak = Validator::from_response(
            &url,
            &headers(&[("etag", "W/\"a\""), ("last-modified", date)]),
            None,
        );
        assert_eq!(weak.if_range(), Some(date));
        let none = Validator::from_response(&url, &headers(&[("etag", "W/\"a\"")]), None);
        assert_eq!(none.if_range(), None);
    }

    #[test]
    fn only_validators_that_differ_are_a_change() {
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let validator = Validator {
            url: "http://h/f".into(),
            etag: Some("\"v1\"".into()),
            last_modified: Some(date.into()),
            total: Some(100),
            segments: None,
        };
        // Same, or nothing to compare: no change.
        let same = headers(&[("etag", "\"v1\""), ("last-modified", date)]);
        assert_eq!(version_change(&validator, &same, Some(100)), None);
        assert_eq!(version_change(&validator, &HeaderMap::new(), None), None);
        let weak = headers(&[("etag", "W/\"v2\"")]);
        assert_eq!(version_change(&validator, &weak, Some(100)), None);
        // Each validator that differs is a change, and is named.
        let etag = headers(&[("etag", "\"v2\"")]);
        assert_eq!(
            version_change(&validator, &etag, None).as_deref(),
            Some("ETag \"v1\" became \"v2\"")
        );
        let later = headers(&[("last-modified", "Thu, 22 Oct 2015 07:28:00 GMT")]);
        assert!(
            version_change(&validator, &later, None)
                .is_some_and(|detail| detail.starts_with("Last-Modified"))
        );
        assert_eq!(
            version_change(&validator, &same, Some(101)).as_deref(),
            Some("size 100 bytes became 101 bytes")
        );
    }
}
