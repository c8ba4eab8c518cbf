//! What every listing format yields: a [`Link`] (an href, resolved, with the size
//! and time the listing states), and the percent repair every URL text from a page,
//! a listing or the user passes through before it is resolved.

use std::borrow::Cow;

use url::Url;

use crate::listing::local_time::LocalTime;
use crate::listing::meta::{ListedSize, ListedTime};

/// One `<a href>` (or `<area href>`) of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The attribute value, entities decoded, surrounding whitespace removed.
    pub href: String,
    /// The href resolved against the document's base URL, or why it could not be.
    pub url: Result<Url, url::ParseError>,
    /// The size the listing states, if any: exact (nginx, IIS, JSON) or a rounded
    /// range (Apache's `1.5M`).
    pub size: Option<ListedSize>,
    /// The modification time, when the listing states it in UTC (JSON listings,
    /// Caddy's `<time datetime>`, nginx's GMT minute); a local time without a zone
    /// is `local_modified` instead.
    pub modified: Option<ListedTime>,
    /// The time the listing prints in the server's local time, without a zone
    /// (Apache, lighttpd, IIS...), when it states no exact one: exact only once the
    /// host's offset is learnt ([`crate::listing::offset`]).
    pub local_modified: Option<LocalTime>,
}

/// Repairs URL text written by a server or a user so that every `%` starts a valid
/// escape: a `%` not followed by two hex digits is a literal percent sign and
/// becomes `%25` (`100%.txt` → `100%25.txt`, `%zz` → `%25zz`). Valid escapes
/// (`%C3%A9`, `%25`) are left alone, in the path, the query and anywhere else.
///
/// Servers such as npm's `serve` write names holding `%` into hrefs unescaped; sent
/// as written, `/100%.txt` is refused with 400 by strict servers. Every URL text from
/// a page, a JSON listing, the command line or a URL list passes through here before
/// it becomes a [`Url`].
///
/// ```
/// use fetchall::listing::repair_percent;
/// assert_eq!(repair_percent("100%.txt"), "100%25.txt");
/// assert_eq!(repair_percent("caf%C3%A9.txt"), "caf%C3%A9.txt");
/// ```
pub fn repair_percent(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let is_escape = |index: usize| {
        bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let bare = |index: &usize| bytes[*index] == b'%' && !is_escape(*index);
    if !(0..bytes.len()).any(|index| bare(&index)) {
        return Cow::Borrowed(text);
    }
    let mut repaired = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    for index in (0..bytes.len()).filter(bare) {
        repaired.push_str(&text[copied..=index]);
        repaired.push_str("25");
        copied = index + 1;
    }
    repaired.push_str(&text[copied..]);
    Cow::Owned(repaired)
}

/// A name a listing gives as data (JSON, FTP, dufs), not as an href: escaped
/// whole into one URL path segment, every byte but the unreserved ones. Pushing the
/// raw name into a [`Url`] would not do: the URL parser drops tabs and line breaks
/// (`tab<TAB>here.txt` would be asked as `tabhere.txt`) and reads `%20` as a space.
pub(crate) fn name_as_segment(name: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(name, UNRESERVED_KEPT)
}

/// Everything but RFC 3986's unreserved characters.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Resolves `href`, as a page or a listing wrote it, against `base`, after
/// [`repair_percent`].
pub(crate) fn resolve(base: &Url, href: &str) -> Result<Url, url::ParseError> {
    base.join(&repair_percent(href))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_percent_is_a_literal_percent_sign() {
        let cases = [
            ("%", "%25"),
            ("%%", "%25%25"),
            ("%2", "%252"),
            ("%zz", "%25zz"),
            ("%2g", "%252g"),
            ("100%", "100%25"),
            ("100%.txt", "100%25.txt"),
            ("50% off.txt", "50%25 off.txt"),
            ("%%41", "%25%41"),
            ("a%", "a%25"),
            ("%25", "%25"),
            ("%c3%a9", "%c3%a9"),
            ("caf%C3%A9.txt", "caf%C3%A9.txt"),
            ("f.txt?q=100%&r=%41", "f.txt?q=100%25&r=%41"),
            ("f.txt#50%", "f.txt#50%25"),
            ("é%", "é%25"),
            ("plain.txt", "plain.txt"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(repair_percent(text), expected, "{text:?}");
        }
        assert!(matches!(repair_percent("caf%C3%A9"), Cow::Borrowed(_)));
    }
}
