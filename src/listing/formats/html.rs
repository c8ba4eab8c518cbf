//! Links of an HTML listing, with html5ever's HTML5 tokenizer: attribute values
//! come out with entities decoded and quoting handled exactly as a browser would,
//! and the text of `<script>`, `<style>` or `<textarea>` is never mistaken for
//! markup. The text of each link's row gives its size and time ([`rows`]).

pub mod rows;

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::SystemTime;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, StartTag, Tag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};
use url::Url;

use crate::listing::link::{Link, resolve};
use crate::listing::local_time::local_time_in_row;
use crate::listing::meta::{ListedSize, ListedTime};
use rows::{size_in_row, time_in_row};

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
        .and_then(|base| resolve(page_url, &base).ok())
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
    let url = resolve(base, &link.href);
    // Directories have no size; a `-` or a folder's block size is no file size.
    let size = if link.href.ends_with('/') {
        None
    } else {
        link.data_size
            .map(ListedSize::exact)
            .or_else(|| size_in_row(&link.after))
            .or_else(|| size_in_row(&link.before))
    };
    let modified = link
        .datetime
        .map(ListedTime::exact)
        .or_else(|| time_in_row(&link.after));
    // A local time only where no zoned one was found (IIS prints it first).
    let local_modified = modified
        .is_none()
        .then(|| local_time_in_row(&link.after).or_else(|| local_time_in_row(&link.before)));
    Link {
        href: link.href,
        url,
        size,
        modified,
        local_modified: local_modified.flatten(),
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
    find_in_first_tag(html, "base", base_href)
}

/// The value `read` finds in the first start tag named `name` that has one: the
/// first `<base href>`, the first `<meta>` that names a charset.
pub(crate) fn find_in_first_tag(
    html: &str,
    name: &'static str,
    read: fn(&Tag) -> Option<String>,
) -> Option<String> {
    tokenize(html, FirstInTag::new(name, read)).into_inner()
}

/// Runs the tokenizer over a whole document and returns the sink.
pub(crate) fn tokenize<S: TokenSink>(html: &str, sink: S) -> S {
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
/// (Apache pads its `<pre>` rows with hundreds of spaces). With `glued`, the row's
/// last word ran to the end of the previous text with no tag in between: the
/// tokenizer cut one run of text in two (where the page is fed in slices), and a
/// word cut so (`05:0` + `6`) is joined again.
fn push_row_text(row: &mut String, text: &str, glued: bool) {
    let mut words = text.split_whitespace();
    if glued && !row.is_empty() && !text.starts_with(char::is_whitespace) {
        match words.next() {
            Some(rest) if row.len() + rest.len() <= ROW_TEXT_BYTES => row.push_str(rest),
            Some(_) => return,
            None => {}
        }
    }
    for word in words {
        if row.len() + word.len() + 1 > ROW_TEXT_BYTES {
            return;
        }
        row.push(' ');
        row.push_str(word);
    }
}

/// The raw-text state that the tree builder would switch the tokenizer into after
/// this start tag; without it, `<script>"<a href=x>"</script>` would yield a link.
pub(crate) fn raw_text_state(tag: &Tag) -> Option<TokenSinkResult<()>> {
    let kind = match &*tag.name {
        "script" => RawKind::ScriptData,
        "style" | "xmp" | "iframe" | "noembed" | "noframes" => RawKind::Rawtext,
        "title" | "textarea" => RawKind::Rcdata,
        "plaintext" => return Some(TokenSinkResult::Plaintext),
        _ => return None,
    };
    Some(TokenSinkResult::RawData(kind))
}

/// The value of attribute `name` of `tag`, entities decoded.
pub(crate) fn attribute<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
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
    /// The last piece was text that ended inside a word, with no tag since.
    glued: bool,
}

impl CollectedLinks {
    fn piece(&mut self, piece: Piece<'_>) {
        let glued = std::mem::take(&mut self.glued);
        if let Piece::Text(text) = piece {
            self.glued = !text.is_empty() && !text.ends_with(char::is_whitespace);
        }
        if let Piece::RowEnd = piece {
            self.row_ended = true;
            self.next_row.clear();
            return;
        }
        if self.row_ended {
            if let Piece::Text(text) = piece {
                push_row_text(&mut self.next_row, text, glued);
            }
            return;
        }
        let Some(previous) = self.pending.as_mut() else {
            return;
        };
        match piece {
            // Table cells touch (`05:06</td><td>1.5M`): keep words apart.
            Piece::Text(text) => push_row_text(&mut previous.after, text, glued),
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
            TagToken(tag) => {
                collected.glued = false;
                tag
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::formats::json::extract_json_links;

    /// A listing far longer than one slice of the tokenizer: rows cut between two
    /// slices keep their size and time (`05:0` + `6` is one word), for nginx's
    /// `<pre>` and Apache's table alike.
    #[test]
    fn rows_cut_between_two_slices_keep_their_size_and_time() {
        let page = Url::parse("http://h/many/").expect("test URL");
        let nginx: String = (0..4000)
            .map(|n| {
                format!("<a href=\"f{n:04}.txt\">f{n:04}.txt</a>   04-Mar-2021 05:06    {n}\r\n")
            })
            .collect();
        let apache: String = (0..4000)
            .map(|n| format!("<tr><td><a href=\"f{n:04}.txt\">f{n:04}.txt</a></td><td align=\"right\">2021-03-04 05:06  </td><td align=\"right\">{n}.5K</td></tr>\n"))
            .collect();
        for html in [
            format!("<pre>{nginx}</pre>"),
            format!("<table>{apache}</table>"),
        ] {
            assert!(html.len() > 3 * TOKENIZER_SLICE_BYTES);
            let links = extract_links(&html, &page);
            assert_eq!(links.len(), 4000);
            for link in links {
                assert!(link.size.is_some(), "{}", link.href);
                assert!(
                    link.modified.is_some() || link.local_modified.is_some(),
                    "{}",
                    link.href
                );
            }
        }
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

    /// IIS in the locales seen in captures of real servers (and German): every
    /// size exact, every time the one printed; en-GB's `04/03/2021 05:06` could be
    /// March 4 or April 3, and is no time at all.
    #[test]
    fn iis_pages_in_other_locales_give_their_sizes_and_times() {
        use crate::listing::formats::fixture;
        use crate::listing::local_time::Precision;
        let page = Url::parse("http://127.0.0.1/").expect("test URL");
        let march = |hour, minute| jiff::civil::date(2021, 3, 4).at(hour, minute, 0, 0);
        for (name, expected) in [
            (
                "iis-en-US-long.html",
                Some((march(5, 6), Precision::Minute)),
            ),
            ("iis-de-DE.html", Some((march(5, 6), Precision::Minute))),
            (
                "iis-de-DE-long.html",
                Some((march(5, 6), Precision::Minute)),
            ),
            ("iis-ko-KR.html", Some((march(5, 6), Precision::Minute))),
            ("iis-en-US-date.html", None),
            ("iis-ru-RU-date.html", Some((march(0, 0), Precision::Day))),
            ("iis-en-GB.html", None),
        ] {
            let links = extract_links(&fixture(name), &page);
            let random = links
                .iter()
                .find(|link| link.href == "/random-1.5MiB.bin")
                .unwrap_or_else(|| panic!("{name}: no random-1.5MiB.bin"));
            assert_eq!(random.size, Some(ListedSize::exact(1_574_098)), "{name}");
            let empty = links
                .iter()
                .find(|link| link.href == "/empty.txt")
                .unwrap_or_else(|| panic!("{name}: no empty.txt"));
            assert_eq!(empty.size, Some(ListedSize::exact(0)), "{name}");
            for link in &links {
                assert_eq!(
                    link.local_modified.map(|time| (time.civil, time.precision)),
                    expected,
                    "{name}: {}",
                    link.href
                );
                assert_eq!(link.modified, None, "{name}");
            }
        }
    }

    /// nginx's fancyindex with its defaults: exact sizes, and its
    /// `2021-Mar-04 05:06` (GMT unless `fancyindex_localtime on`) read as a local
    /// time, for the host's offset to make exact.
    #[test]
    fn fancyindex_pages_give_exact_sizes_and_minutes() {
        use crate::listing::formats::fixture;
        use crate::listing::local_time::Precision;
        let page = Url::parse("http://127.0.0.1/").expect("test URL");
        let links = extract_links(&fixture("nginx-fancyindex.html"), &page);
        let files: Vec<&Link> = links
            .iter()
            .filter(|link| !link.href.starts_with('?') && !link.href.ends_with('/'))
            .collect();
        assert_eq!(files.len(), 25);
        let random = files
            .iter()
            .find(|link| link.href == "random-1.5MiB.bin")
            .expect("random-1.5MiB.bin");
        assert_eq!(random.size, Some(ListedSize::exact(1_574_098)));
        for link in files {
            let time = link.local_modified.expect("a time");
            assert_eq!(time.precision, Precision::Minute, "{}", link.href);
            assert_eq!(
                time.civil,
                jiff::civil::date(2021, 3, 4).at(5, 6, 0, 0),
                "{}",
                link.href
            );
            assert!(link.size.is_some_and(|size| size.exact_bytes().is_some()));
        }
    }

    /// `ls -l` lines in a `<pre>`, as Apache's FTP proxy (mod_proxy_ftp) shows a
    /// vsftpd folder: the byte count before the date, not the link count; `Mar 04
    /// 2021` to the day, `Nov 30 09:15` to the minute.
    #[test]
    fn ls_long_lines_give_the_size_and_the_date() {
        use crate::listing::formats::fixture;
        use crate::listing::local_time::Precision;
        let page = Url::parse("http://127.0.0.1:3130/").expect("test URL");
        let links = extract_links(&fixture("apache-2.4.71-proxy-ftp-vsftpd.html"), &page);
        let link = |href: &str| {
            links
                .iter()
                .find(|link| link.href == href)
                .unwrap_or_else(|| panic!("no {href}"))
        };
        let random = link("random-1.5MiB.bin");
        assert_eq!(random.size, Some(ListedSize::exact(1_574_098)));
        let date = random.local_modified.expect("a date");
        assert_eq!(
            (date.civil, date.precision),
            (jiff::civil::date(2021, 3, 4).at(0, 0, 0, 0), Precision::Day)
        );
        assert_eq!(link("empty.txt").size, Some(ListedSize::exact(0)));
        assert_eq!(link("size-1023.bin").size, Some(ListedSize::exact(1023)));
        let recent = link("recent.txt").local_modified.expect("a time");
        assert_eq!(recent.precision, Precision::Minute);
        assert_eq!(
            (
                recent.civil.month(),
                recent.civil.day(),
                recent.civil.hour(),
                recent.civil.minute()
            ),
            (11, 30, 9, 15)
        );
        assert_eq!(link("a/").size, None);
    }
}
