//! Link extraction with html5ever's HTML5 tokenizer: attribute values come out with
//! entities decoded and quoting handled exactly as a browser would, and the text of
//! `<script>`, `<style>` or `<textarea>` is never mistaken for markup.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::SystemTime;

use encoding_rs::Encoding;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, StartTag, Tag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};
use url::Url;

use crate::listing::meta::{ListedSize, ListedTime, size_in_row, time_in_row};

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
    /// The exact modification time, when the listing states it in UTC (JSON
    /// listings, Caddy's `<time datetime>`); local times without a zone are not used.
    pub modified: Option<ListedTime>,
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
/// use fetchall::listing::extract::repair_percent;
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

/// Extracts every link of `html`, in document order, resolved against the page URL
/// or the document's `<base href>`.
pub fn extract_links(html: &str, page_url: &Url) -> Vec<Link> {
    let mut links = Vec::new();
    for_each_link(html, page_url, |link| {
        links.push(link);
        ControlFlow::Continue(())
    });
    links
}

/// Hands every link of `html` to `each`, in document order, as the tokenizer
/// reaches it, resolved against the page URL or the document's `<base href>`: the
/// memory used does not grow with the number of links. `each` may stop the walk.
pub fn for_each_link(html: &str, page_url: &Url, mut each: impl FnMut(Link) -> ControlFlow<()>) {
    // The first <base href> sets the base for the whole document, even for links
    // that come before it: found first, by a pass that only runs when the text
    // holds `<base` at all.
    let base = find_base(html)
        .and_then(|base| page_url.join(&repair_percent(&base)).ok())
        .unwrap_or_else(|| page_url.clone());
    let input = BufferQueue::default();
    let tokenizer = Tokenizer::new(LinkCollector::default(), TokenizerOpts::default());
    let mut hand_over = |tokenizer: &Tokenizer<LinkCollector>| {
        let ready = std::mem::take(&mut tokenizer.sink.0.borrow_mut().ready);
        for link in ready {
            each(finish_link(link, &base))?;
        }
        ControlFlow::Continue(())
    };
    for slice in slices(html) {
        input.push_back(StrTendril::from_slice(slice));
        let _ = tokenizer.feed(&input);
        if hand_over(&tokenizer).is_break() {
            return;
        }
    }
    tokenizer.end();
    tokenizer.sink.0.borrow_mut().finish();
    let _ = hand_over(&tokenizer);
}

/// The link of a listing row: resolved, with the size and time its row states.
fn finish_link(link: CollectedLink, base: &Url) -> Link {
    let url = base.join(&repair_percent(&link.href));
    // Directories have no size; a `-` or a folder's block size is no file size.
    let size = if link.href.ends_with('/') {
        None
    } else {
        link.data_size
            .map(ListedSize::exact)
            .or_else(|| size_in_row(&link.after))
            .or_else(|| size_in_row(&link.before))
    };
    Link {
        href: link.href,
        url,
        size,
        modified: link
            .datetime
            .map(ListedTime::exact)
            .or_else(|| time_in_row(&link.after)),
    }
}

/// The first `<base href>` of a document, if any.
fn find_base(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mentions_base = bytes
        .windows(5)
        .any(|window| window[0] == b'<' && window[1..].eq_ignore_ascii_case(b"base"));
    if !mentions_base {
        return None;
    }
    tokenize(html, FirstInTag::new("base", base_href)).into_inner()
}

/// Extracts the entries of a machine-readable listing: nginx's `autoindex_format
/// json` (`name`, `type`, `size`, `mtime` as an HTTP date) or Caddy's browse JSON
/// (`name`, `url`, `size`, `is_dir`, `mod_time` in RFC 3339). Both give exact sizes
/// and times. A text that is not such a listing yields the entries read before
/// the fault; [`for_each_json_link`] says what the fault is.
pub fn extract_json_links(text: &str, page_url: &Url) -> Vec<Link> {
    let mut links = Vec::new();
    let _ = for_each_json_link(text, page_url, |link| {
        links.push(link);
        ControlFlow::Continue(())
    });
    links
}

/// Hands every entry of a JSON listing to `each` as the parser reaches it (see
/// [`extract_json_links`]): one entry at a time is held in memory.
///
/// A listing is an array of objects, each with a string `name`, and nothing after
/// it. Anything else (cut short, an object where the array belongs, an entry
/// without a name) is an error: a page that cannot be read, never an empty folder.
pub fn for_each_json_link(
    text: &str,
    page_url: &Url,
    each: impl FnMut(Link) -> ControlFlow<()>,
) -> Result<(), serde_json::Error> {
    use serde::de::Deserializer as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_seq(JsonEntries { page_url, each })?;
    deserializer.end()
}

/// Walks the array of a JSON listing, one entry at a time.
struct JsonEntries<'a, F> {
    page_url: &'a Url,
    each: F,
}

impl<'de, F: FnMut(Link) -> ControlFlow<()>> serde::de::Visitor<'de> for JsonEntries<'_, F> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of directory entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut entries: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let mut index = 0_usize;
        while let Some(entry) = entries.next_element::<serde_json::Value>()? {
            let Some(link) = json_entry_link(&entry, self.page_url) else {
                return Err(A::Error::custom(format!(
                    "entry {index} is not a directory entry (an object with a string `name`)"
                )));
            };
            index += 1;
            if (self.each)(link).is_break() {
                // The rest is not planned; serde wants the sequence finished.
                while entries.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The link of one JSON listing entry, if it has a name.
fn json_entry_link(entry: &serde_json::Value, page_url: &Url) -> Option<Link> {
    let name = entry.get("name")?.as_str()?;
    let is_dir = entry
        .get("is_dir")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
        || entry.get("type").and_then(serde_json::Value::as_str) == Some("directory");
    let href = match entry.get("url").and_then(serde_json::Value::as_str) {
        Some(url) => url.to_string(),
        None => {
            let trimmed = name.trim_end_matches('/');
            let mut href = format!(
                "./{}",
                percent_encoding::utf8_percent_encode(trimmed, NAME_ESCAPE)
            );
            if is_dir {
                href.push('/');
            }
            href
        }
    };
    let size = (!is_dir)
        .then(|| entry.get("size").and_then(serde_json::Value::as_u64))
        .flatten()
        .map(ListedSize::exact);
    let modified = entry
        .get("mtime")
        .and_then(serde_json::Value::as_str)
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .or_else(|| {
            entry
                .get("mod_time")
                .and_then(serde_json::Value::as_str)
                .and_then(crate::listing::timestamp::parse_utc)
        });
    Some(Link {
        url: page_url.join(&repair_percent(&href)),
        href,
        size,
        modified: modified.map(ListedTime::exact),
    })
}

/// A file name as one URL path segment: everything but unreserved characters escaped.
const NAME_ESCAPE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Looks for `<meta charset=...>` or `<meta http-equiv=Content-Type content=...>`
/// in the first 1024 bytes, as the HTML spec's encoding prescan does.
pub fn prescan_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(1024)];
    // windows-1252 maps every byte to one char, so ASCII markup survives whatever
    // the real encoding is.
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(head);
    let finder = tokenize(&text, FirstInTag::new("meta", meta_charset));
    let label = finder.into_inner()?;
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    // A page that claims UTF-16 in ASCII-compatible markup is really UTF-8 (spec).
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        Some(encoding_rs::UTF_8)
    } else {
        Some(encoding)
    }
}

/// Runs the tokenizer over a whole document and returns the sink.
fn tokenize<S: TokenSink>(html: &str, sink: S) -> S {
    let input = BufferQueue::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    // Fed in slices, so a listing of many megabytes is not copied whole into the
    // tokenizer's buffer. Without a tree builder the tokenizer never pauses for
    // scripts, so each feed consumes its slice.
    for slice in slices(html) {
        input.push_back(StrTendril::from_slice(slice));
        let _ = tokenizer.feed(&input);
    }
    tokenizer.end();
    tokenizer.sink
}

/// `text` in pieces of about [`TOKENIZER_SLICE_BYTES`], cut at character boundaries.
fn slices(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len().min(TOKENIZER_SLICE_BYTES);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (slice, remainder) = rest.split_at(cut);
        rest = remainder;
        Some(slice)
    })
}

/// How much of a page the tokenizer is handed at a time.
const TOKENIZER_SLICE_BYTES: usize = 64 * 1024;

/// Row text kept around a link: dates and sizes are near it; a long description is not
/// worth memory in a listing of 50,000 entries.
const ROW_TEXT_BYTES: usize = 200;

/// Appends the words of `text` to a row, one space apart, up to [`ROW_TEXT_BYTES`]
/// (Apache pads its `<pre>` rows with hundreds of spaces).
fn push_row_text(row: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if row.len() + word.len() + 1 > ROW_TEXT_BYTES {
            return;
        }
        row.push(' ');
        row.push_str(word);
    }
}

/// The raw-text state that the tree builder would switch the tokenizer into after
/// this start tag; without it, `<script>"<a href=x>"</script>` would yield a link.
fn raw_text_state(tag: &Tag) -> Option<TokenSinkResult<()>> {
    let kind = match &*tag.name {
        "script" => RawKind::ScriptData,
        "style" | "xmp" | "iframe" | "noembed" | "noframes" => RawKind::Rawtext,
        "title" | "textarea" => RawKind::Rcdata,
        "plaintext" => return Some(TokenSinkResult::Plaintext),
        _ => return None,
    };
    Some(TokenSinkResult::RawData(kind))
}

fn attribute<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|attribute| &*attribute.name.local == name)
        .map(|attribute| &*attribute.value)
}

/// One link and the text of its listing row around it.
#[derive(Default)]
struct CollectedLink {
    href: String,
    /// Row text after the link (nginx, Apache, lighttpd...).
    after: String,
    /// Row text before the link (IIS prints date and size first).
    before: String,
    /// Caddy's `data-size` attribute in the row.
    data_size: Option<u64>,
    /// A `<time datetime="...">` in the row (Caddy): an exact UTC time.
    datetime: Option<SystemTime>,
}

/// Text between two links, cut where a listing row ends (a line break, `<br>`,
/// `<tr>`...): what comes before the first cut belongs to the previous link's row,
/// what comes after the last cut to the next link's row.
enum Piece<'a> {
    Text(&'a str),
    DataSize(u64),
    DateTime(SystemTime),
    RowEnd,
}

/// The links found so far. Only the last link can still gain row text; the others
/// wait in `ready` until the feeder hands them on, so memory stays bounded however
/// many links and however much text a page holds.
#[derive(Default)]
struct CollectedLinks {
    /// The last link: the text after it, up to the row's end, is its row.
    pending: Option<CollectedLink>,
    /// Links whose row is complete.
    ready: Vec<CollectedLink>,
    /// Whether a row ended since the last link: from there on, text belongs to the
    /// next link's row.
    row_ended: bool,
    /// Row text since the last row end: the start of the next link's row.
    next_row: String,
    in_anchor: bool,
    /// Inside `<pre>` a line break ends a row (nginx, Apache, IIS); elsewhere it is
    /// only indentation (Caddy's pretty-printed table).
    in_pre: bool,
}

impl CollectedLinks {
    fn piece(&mut self, piece: Piece<'_>) {
        if let Piece::RowEnd = piece {
            self.row_ended = true;
            self.next_row.clear();
            return;
        }
        if self.row_ended {
            if let Piece::Text(text) = piece {
                push_row_text(&mut self.next_row, text);
            }
            return;
        }
        let Some(previous) = self.pending.as_mut() else {
            return;
        };
        match piece {
            // Table cells touch (`05:06</td><td>1.5M`): keep words apart.
            Piece::Text(text) => push_row_text(&mut previous.after, text),
            Piece::DataSize(size) => previous.data_size = Some(size),
            Piece::DateTime(time) => previous.datetime = Some(time),
            Piece::RowEnd => {}
        }
    }

    /// A new link starts: the previous one's row is complete.
    fn start_link(&mut self, mut link: CollectedLink) {
        link.before = std::mem::take(&mut self.next_row);
        self.row_ended = false;
        self.ready.extend(self.pending.replace(link));
    }

    /// The document is over.
    fn finish(&mut self) {
        self.ready.extend(self.pending.take());
    }
}

#[derive(Default)]
struct LinkCollector(RefCell<CollectedLinks>);

/// Tags that end a row of a listing.
fn ends_row(name: &str) -> bool {
    matches!(
        name,
        "br" | "tr" | "li" | "p" | "div" | "pre" | "table" | "ul" | "hr" | "dd" | "dt"
    )
}

impl TokenSink for LinkCollector {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut collected = self.0.borrow_mut();
        let tag = match token {
            TagToken(tag) => tag,
            CharacterTokens(text) if !collected.in_anchor && !collected.in_pre => {
                collected.piece(Piece::Text(&text));
                return TokenSinkResult::Continue;
            }
            CharacterTokens(text) if !collected.in_anchor => {
                let mut lines = text.split('\n');
                if let Some(first) = lines.next() {
                    collected.piece(Piece::Text(first));
                }
                for line in lines {
                    collected.piece(Piece::RowEnd);
                    collected.piece(Piece::Text(line));
                }
                return TokenSinkResult::Continue;
            }
            _ => return TokenSinkResult::Continue,
        };
        if &*tag.name == "pre" {
            collected.in_pre = tag.kind == StartTag;
        }
        if tag.kind != StartTag {
            if &*tag.name == "a" {
                collected.in_anchor = false;
            } else if ends_row(&tag.name) {
                collected.piece(Piece::RowEnd);
            }
            return TokenSinkResult::Continue;
        }
        // Caddy states exact sizes in attributes: `data-size` (2.7+) or `data-order` (2.6).
        let exact_size = attribute(&tag, "data-size").or_else(|| attribute(&tag, "data-order"));
        if let Some(size) = exact_size.and_then(|size| size.trim().parse().ok()) {
            collected.piece(Piece::DataSize(size));
        }
        if &*tag.name == "time"
            && let Some(time) =
                attribute(&tag, "datetime").and_then(crate::listing::timestamp::parse_utc)
        {
            collected.piece(Piece::DateTime(time));
        }
        if ends_row(&tag.name) {
            collected.piece(Piece::RowEnd);
        }
        match &*tag.name {
            "a" | "area" => {
                if let Some(href) = attribute(&tag, "href") {
                    collected.start_link(CollectedLink {
                        // Browsers strip leading and trailing ASCII whitespace from URLs.
                        href: href.trim().to_string(),
                        ..CollectedLink::default()
                    });
                    collected.in_anchor = &*tag.name == "a";
                }
            }
            _ => {}
        }
        raw_text_state(&tag).unwrap_or(TokenSinkResult::Continue)
    }
}

/// Reads the first start tag named `name` that `read` finds a value in: the first
/// `<base href>`, the first `<meta>` that names a charset.
struct FirstInTag {
    name: &'static str,
    read: fn(&Tag) -> Option<String>,
    found: RefCell<Option<String>>,
}

impl FirstInTag {
    fn new(name: &'static str, read: fn(&Tag) -> Option<String>) -> FirstInTag {
        FirstInTag {
            name,
            read,
            found: RefCell::new(None),
        }
    }

    fn into_inner(self) -> Option<String> {
        self.found.into_inner()
    }
}

impl TokenSink for FirstInTag {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != StartTag {
            return TokenSinkResult::Continue;
        }
        if &*tag.name == self.name && self.found.borrow().is_none() {
            *self.found.borrow_mut() = (self.read)(&tag);
        }
        raw_text_state(&tag).unwrap_or(TokenSinkResult::Continue)
    }
}

/// `<base href>`'s value.
fn base_href(tag: &Tag) -> Option<String> {
    attribute(tag, "href").map(|href| href.trim().to_string())
}

/// The charset a `<meta charset>` or `<meta http-equiv="content-type">` names.
fn meta_charset(tag: &Tag) -> Option<String> {
    attribute(tag, "charset").map(str::to_string).or_else(|| {
        let is_content_type = attribute(tag, "http-equiv")
            .is_some_and(|value| value.eq_ignore_ascii_case("content-type"));
        is_content_type
            .then(|| attribute(tag, "content"))
            .flatten()
            .and_then(crate::listing::page::charset_parameter)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_that_is_not_a_listing_is_an_error_with_the_entries_read_so_far() {
        let page = Url::parse("http://h/d/").unwrap();
        let read = |text: &str| {
            let mut names = Vec::new();
            let result = for_each_json_link(text, &page, |link| {
                names.push(link.href);
                ControlFlow::Continue(())
            });
            (names, result.is_ok())
        };
        assert_eq!(read("[]"), (vec![], true));
        assert_eq!(
            read(" [ {\"name\":\"a\"} ] \n"),
            (vec!["./a".to_string()], true)
        );
        for bad in [
            "",
            "null",
            "{}",
            "[1]",
            "[{\"name\":\"a\"},",
            "[{\"name\":\"a\"}]]",
            "[{\"name\":\"a\"}] x",
            "[{\"name\":5}]",
            "[{\"size\":5}]",
        ] {
            assert!(!read(bad).1, "{bad:?} read as a listing");
        }
        // A walk stopped early is not a fault of the page.
        let stopped = for_each_json_link("[{\"name\":\"a\"},{\"name\":\"b\"}]", &page, |_| {
            ControlFlow::Break(())
        });
        assert!(stopped.is_ok());
    }

    fn hrefs(html: &str, page: &str) -> Vec<String> {
        let page = Url::parse(page).expect("test URL");
        extract_links(html, &page)
            .into_iter()
            .map(|link| link.url.map(String::from).unwrap_or(link.href))
            .collect()
    }

    #[test]
    fn decodes_entities_and_resolves_against_the_page() {
        let links = hrefs(
            r#"<a href="a&amp;b.txt">x</a><a href='caf%C3%A9.txt'>y</a><a href=plain.zip>z</a>"#,
            "http://h/files/",
        );
        assert_eq!(
            links,
            [
                "http://h/files/a&b.txt",
                "http://h/files/caf%C3%A9.txt",
                "http://h/files/plain.zip"
            ]
        );
    }

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

    #[test]
    fn links_base_and_json_names_with_a_bare_percent_resolve_to_valid_escapes() {
        let links = hrefs(
            r#"<a href="100%.txt">a</a><a href="50% off.txt">b</a><a href="x%2.txt">c</a>
               <a href="%25.txt">d</a><a href="caf%C3%A9.txt">e</a><a href="q?p=5%">f</a>"#,
            "http://h/files/",
        );
        assert_eq!(
            links,
            [
                "http://h/files/100%25.txt",
                "http://h/files/50%25%20off.txt",
                "http://h/files/x%252.txt",
                "http://h/files/%25.txt",
                "http://h/files/caf%C3%A9.txt",
                "http://h/files/q?p=5%25",
            ]
        );
        let based = hrefs(
            r#"<base href="/100%/"><a href="a.txt">a</a>"#,
            "http://h/files/",
        );
        assert_eq!(based, ["http://h/100%25/a.txt"]);
        let page = Url::parse("http://h/files/").expect("test URL");
        let json = extract_json_links(
            r#"[{"name":"100%.txt","url":"./100%.txt","size":1,"is_dir":false},
                {"name":"%zz.txt","type":"file","size":2}]"#,
            &page,
        );
        let urls: Vec<String> = json
            .into_iter()
            .map(|link| link.url.map(String::from).unwrap_or(link.href))
            .collect();
        assert_eq!(
            urls,
            ["http://h/files/100%25.txt", "http://h/files/%25zz.txt"]
        );
    }

    #[test]
    fn base_href_applies_to_every_link() {
        let links = hrefs(
            r#"<a href="one.txt">1</a><base href="/mirror/"><a href="two.txt">2</a>"#,
            "http://h/files/",
        );
        assert_eq!(
            links,
            ["http://h/mirror/one.txt", "http://h/mirror/two.txt"]
        );
    }

    #[test]
    fn markup_inside_scripts_and_comments_is_not_a_link() {
        let links = hrefs(
            r#"<script>var s = "<a href='evil.txt'>";</script><!-- <a href="old.txt"> -->
               <textarea><a href="t.txt"></textarea><a href="real.txt">r</a>"#,
            "http://h/",
        );
        assert_eq!(links, ["http://h/real.txt"]);
    }

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
