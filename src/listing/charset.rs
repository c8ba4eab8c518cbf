//! Which charset a page is in, as a browser decides it: a byte-order mark, the
//! `Content-Type` header's `charset`, a `<meta charset>` near the top, else UTF-8.

use encoding_rs::Encoding;
use html5ever::tokenizer::Tag;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::listing::formats::html::{attribute, find_in_first_tag};

/// The `charset=` parameter of the Content-Type header, if any.
pub(crate) fn content_type_charset(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    charset_parameter(content_type)
}

/// Finds `charset=NAME` in a media type such as `text/html; charset="utf-8"`.
fn charset_parameter(media_type: &str) -> Option<String> {
    media_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// Decodes a page as a browser would: a byte-order mark wins, then the header's
/// charset, then a `<meta charset>` in the first kilobyte, then UTF-8 (which is what
/// listings of modern servers are, even when they do not say so).
pub fn decode_text(body: Vec<u8>, header_charset: Option<&str>) -> String {
    let encoding = Encoding::for_bom(&body)
        .map(|(encoding, _)| encoding)
        .or_else(|| header_charset.and_then(|label| Encoding::for_label(label.as_bytes())))
        .or_else(|| prescan_meta_charset(&body))
        .unwrap_or(encoding_rs::UTF_8);
    // The common case, valid UTF-8 without a BOM, keeps the bytes: no second copy of
    // a listing that may be megabytes long.
    if encoding == encoding_rs::UTF_8 && !body.starts_with(b"\xEF\xBB\xBF") {
        return match String::from_utf8(body) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        };
    }
    let (text, _, _) = encoding.decode(&body);
    text.into_owned()
}

/// Looks for `<meta charset=...>` or `<meta http-equiv=Content-Type content=...>`
/// in the first 1024 bytes, as the HTML spec's encoding prescan does.
pub fn prescan_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(1024)];
    // windows-1252 maps every byte to one char, so ASCII markup survives whatever
    // the real encoding is.
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(head);
    let label = find_in_first_tag(&text, "meta", meta_charset)?;
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    // A page that claims UTF-16 in ASCII-compatible markup is really UTF-8 (spec).
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        Some(encoding_rs::UTF_8)
    } else {
        Some(encoding)
    }
}

/// The charset a `<meta charset>` or `<meta http-equiv="content-type">` names.
fn meta_charset(tag: &Tag) -> Option<String> {
    attribute(tag, "charset").map(str::to_string).or_else(|| {
        let is_content_type = attribute(tag, "http-equiv")
            .is_some_and(|value| value.eq_ignore_ascii_case("content-type"));
        is_content_type
            .then(|| attribute(tag, "content"))
            .flatten()
            .and_then(charset_parameter)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_charset_is_found() {
        let page = b"<html><head><meta charset=\"iso-8859-1\"></head>";
        assert_eq!(
            prescan_meta_charset(page).map(|e| e.name()),
            Some("windows-1252")
        );
        let page = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">";
        assert_eq!(prescan_meta_charset(page).map(|e| e.name()), Some("KOI8-R"));
        assert_eq!(prescan_meta_charset(b"<p>no charset</p>"), None);
    }
}
