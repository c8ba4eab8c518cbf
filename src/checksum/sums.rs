//! Checksum files as software archives publish them, and the index of expected
//! digests built from them.
//!
//! Recognised by name (case-insensitive): `SHA256SUMS`, `SHA512SUMS`, `MD5SUMS` (with
//! or without `.txt`), and `NAME.sha256`, `NAME.sha512`, `NAME.md5` (also `…sum`).
//! Lines in either format are read, mixed freely:
//!
//! ```text
//! 2cf24dba…9824  hello.txt        GNU coreutils, text mode
//! 2cf24dba…9824 *hello.txt        GNU coreutils, binary mode
//! \2cf24dba…9824  new\nline.txt   GNU, escaped name
//! SHA256 (hello.txt) = 2cf24dba…  BSD (`sha256 -r` is the GNU form with one space)
//! ```
//!
//! A `NAME.sha256` file holding a bare digest applies to `NAME`. Names are relative
//! to the checksum file's folder; the algorithm of a GNU line is told by its length.
//!
//! ```
//! use fetchall::checksum::sums::parse;
//!
//! let text = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a/hello.txt\n";
//! let entries = parse("SHA256SUMS", text);
//! assert_eq!(entries[0].name, "a/hello.txt");
//! ```

use std::collections::HashMap;
use std::collections::hash_map;
use std::fmt;
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use url::Url;

use crate::checksum::{Algorithm, Expected};

/// Characters escaped when a name from a checksum file becomes a URL path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// One line of a checksum file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file, relative to the checksum file's folder (`/`-separated).
    pub name: String,
    /// Its digest.
    pub expected: Expected,
    /// The line of the checksum file it is on, from 1.
    pub line: usize,
}

/// The algorithm a checksum file's name announces, when the name is one of a
/// checksum file (see the module docs).
pub fn checksum_file_algorithm(name: &str) -> Option<Algorithm> {
    // Asked of every link of every listing: compared in place, nothing allocated.
    let name = strip_suffix_ignoring_case(name, ".txt").unwrap_or(name);
    for (algorithm, word) in [
        (Algorithm::Sha256, "sha256"),
        (Algorithm::Sha512, "sha512"),
        (Algorithm::Md5, "md5"),
    ] {
        if let Some(rest) = strip_suffix_ignoring_case(name, "sums") {
            // `SHA256SUMS` or `….sha256sums`
            if let Some(rest) = strip_suffix_ignoring_case(rest, word)
                && (rest.is_empty() || rest.ends_with('.'))
            {
                return Some(algorithm);
            }
        }
        // `….sha256` or `….sha256sum`
        let rest = strip_suffix_ignoring_case(name, "sum").unwrap_or(name);
        if strip_suffix_ignoring_case(rest, word).is_some_and(|rest| rest.ends_with('.')) {
            return Some(algorithm);
        }
    }
    None
}

/// `text` without `suffix` at its end, compared without regard to ASCII case.
fn strip_suffix_ignoring_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(suffix.len())?;
    let (rest, end) = (text.get(..start)?, text.get(start..)?);
    end.eq_ignore_ascii_case(suffix).then_some(rest)
}

/// Whether `name` is a checksum file fetchall reads.
pub fn is_checksum_file(name: &str) -> bool {
    checksum_file_algorithm(name).is_some()
}

/// The entries of a checksum file called `file_name` (which names the file a bare
/// digest belongs to). Lines that are neither format, or name an unknown
/// algorithm, are left out.
pub fn parse(file_name: &str, text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r').trim_start_matches('\u{feff}');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let entry = parse_bsd(line)
            .or_else(|| parse_gnu(line))
            .or_else(|| parse_bare(file_name, line));
        if let Some(entry) = entry {
            entries.push(Entry {
                line: index + 1,
                ..entry
            });
        }
    }
    entries
}

/// `SHA256 (name) = hex`.
fn parse_bsd(line: &str) -> Option<Entry> {
    let (tag, rest) = line.split_once(" (")?;
    let algorithm = Algorithm::from_tag(tag.trim())?;
    let (name, hex) = rest.rsplit_once(") = ")?;
    Some(Entry {
        name: name.to_string(),
        expected: Expected::from_hex(algorithm, hex.trim())?,
        line: 0,
    })
}

/// `hex  name`, `hex *name`, `hex name`, and the escaped form `\hex  na\\me`.
fn parse_gnu(line: &str) -> Option<Entry> {
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (hex, rest) = line.split_once(' ')?;
    let algorithm = Algorithm::from_hex_len(hex.len())?;
    let expected = Expected::from_hex(algorithm, hex)?;
    let name = rest
        .strip_prefix(' ')
        .or_else(|| rest.strip_prefix('*'))
        .unwrap_or(rest);
    let name = if escaped {
        unescape(name)?
    } else {
        name.to_string()
    };
    if name.is_empty() {
        return None;
    }
    Some(Entry {
        name,
        expected,
        line: 0,
    })
}

/// `x.iso.sha256` holding only a digest: the digest of `x.iso`.
fn parse_bare(file_name: &str, line: &str) -> Option<Entry> {
    let hex = line.trim();
    let algorithm = Algorithm::from_hex_len(hex.len())?;
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    let (name, _extension) = base.rsplit_once('.')?;
    if name.is_empty() || name.to_ascii_lowercase().ends_with("sums") {
        return None;
    }
    Some(Entry {
        name: name.to_string(),
        expected: Expected::from_hex(algorithm, hex)?,
        line: 0,
    })
}

/// GNU's escapes in a name: `\\` and `\n`.
fn unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut characters = name.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(character);
        }
    }
    Some(out)
}

/// The URL of an entry of the checksum file at `sums_url`.
pub fn entry_url(sums_url: &Url, name: &str) -> Option<Url> {
    let name = name.strip_prefix("./").unwrap_or(name);
    if name.starts_with('/') || name.contains('\\') {
        return None;
    }
    let encoded: Vec<String> = name
        .split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect();
    sums_url.join(&encoded.join("/")).ok()
}

/// Where an expected digest was read: a checksum file, and a line of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The checksum file, as the messages name it.
    pub file: Arc<str>,
    /// The line, from 1.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file, self.line)
    }
}

/// Two lines give one file different digests of one algorithm: at least one of them
/// is wrong, and no digest of the file can be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the checksum files disagree about {name}: {first} and {second}")]
pub struct Conflict {
    /// The algorithm of the two digests.
    pub algorithm: Algorithm,
    /// The file, as the second line names it.
    pub name: String,
    /// The line read first.
    pub first: Origin,
    /// The line that contradicts it.
    pub second: Origin,
}

/// What the checksum files say about one file: a digest per algorithm, or the
/// conflict that makes every one of them worthless.
///
/// A conflict within any algorithm fails the file, even when a stronger algorithm's
/// digest is consistent: the checksum files are wrong about it, and nothing says
/// which of them is.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The first digest read.
    first: (Expected, Origin),
    /// Digests of other algorithms (rare: most files have one).
    others: Vec<(Expected, Origin)>,
    conflict: Option<Box<Conflict>>,
}

impl Listed {
    /// A file's first digest, read at `origin`.
    pub fn new(expected: Expected, origin: Origin) -> Listed {
        Listed {
            first: (expected, origin),
            others: Vec::new(),
            conflict: None,
        }
    }

    /// Another digest of the file `name`, read at `origin`: a digest of an
    /// algorithm seen before must be the same, or the file has a conflict.
    pub fn add(&mut self, name: &str, expected: Expected, origin: Origin) {
        if self.conflict.is_some() {
            return;
        }
        let known = std::iter::once(&self.first)
            .chain(&self.others)
            .find(|(known, _)| known.algorithm == expected.algorithm);
        match known {
            Some((known, _)) if *known == expected => {}
            Some((_, first)) => {
                self.conflict = Some(Box::new(Conflict {
                    algorithm: expected.algorithm,
                    name: name.to_string(),
                    first: first.clone(),
                    second: origin,
                }));
            }
            None => self.others.push((expected, origin)),
        }
    }

    /// The digest to check the file against (that of the strongest algorithm), or
    /// the conflict that fails it.
    pub fn expected(&self) -> Result<Expected, &Conflict> {
        if let Some(conflict) = &self.conflict {
            return Err(conflict);
        }
        let strongest = std::iter::once(&self.first)
            .chain(&self.others)
            .map(|(expected, _)| *expected)
            .max_by_key(|expected| expected.algorithm);
        Ok(strongest.unwrap_or(self.first.0))
    }
}

/// Expected digests by file URL, from every checksum file read in a run.
#[derive(Debug, Default, Clone)]
pub struct ChecksumIndex {
    by_url: HashMap<String, Listed>,
}

impl ChecksumIndex {
    /// Adds the entries of the checksum file at `sums_url`, called `source` in
    /// messages; returns how many apply to a URL. Of two digests for one file, the
    /// stronger algorithm is kept; two different ones of one algorithm are a
    /// [`Conflict`].
    pub fn add(&mut self, sums_url: &Url, source: &str, entries: &[Entry]) -> usize {
        let source: Arc<str> = Arc::from(source);
        let mut added = 0;
        for entry in entries {
            let Some(url) = entry_url(sums_url, &entry.name) else {
                continue;
            };
            added += 1;
            let origin = Origin {
                file: Arc::clone(&source),
                line: entry.line,
            };
            match self.by_url.entry(url_key(&url)) {
                hash_map::Entry::Vacant(slot) => {
                    slot.insert(Listed::new(entry.expected, origin));
                }
                hash_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().add(&entry.name, entry.expected, origin);
                }
            }
        }
        added
    }

    /// The digest expected for `url`, if a checksum file gave one, or the conflict
    /// between two of them.
    pub fn get(&self, url: &Url) -> Option<Result<Expected, Conflict>> {
        // Asked for every file of a run, which most often has no checksums.
        if self.by_url.is_empty() {
            return None;
        }
        let listed = self.by_url.get(&url_key(url))?;
        Some(listed.expected().map_err(Conflict::clone))
    }

    /// How many files have an expected digest.
    pub fn len(&self) -> usize {
        self.by_url.len()
    }

    /// True when no file has an expected digest.
    pub fn is_empty(&self) -> bool {
        self.by_url.is_empty()
    }
}

/// A URL compared by what it names: lower-case host, explicit port, decoded path,
/// no query or fragment; so `caf%C3%A9` and `café`, or `%41` and `A`, are one file.
fn url_key(url: &Url) -> String {
    format!(
        "{}://{}:{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default(),
        percent_decode_str(url.path()).decode_utf8_lossy()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    const MD5: &str = "5d41402abc4b2a76b9719d911017c592";

    #[test]
    fn names_with_percent_signs_are_literal_names() {
        // A checksum file names files, not URLs: `%` in a name is a percent sign.
        let sums = Url::parse("http://h/pub/SHA256SUMS").expect("URL");
        let url = |name: &str| entry_url(&sums, name).map(String::from);
        assert_eq!(url("100%.txt").as_deref(), Some("http://h/pub/100%25.txt"));
        assert_eq!(url("%25.txt").as_deref(), Some("http://h/pub/%2525.txt"));
        assert_eq!(
            url("d%/50% off").as_deref(),
            Some("http://h/pub/d%25/50%25%20off")
        );
    }

    #[test]
    fn checksum_files_are_known_by_name() {
        for (name, algorithm) in [
            ("SHA256SUMS", Some(Algorithm::Sha256)),
            ("sha256sums.txt", Some(Algorithm::Sha256)),
            ("SHA512SUMS", Some(Algorithm::Sha512)),
            ("MD5SUMS", Some(Algorithm::Md5)),
            ("x.iso.sha256", Some(Algorithm::Sha256)),
            ("x.iso.sha256sum", Some(Algorithm::Sha256)),
            ("x.iso.md5", Some(Algorithm::Md5)),
            ("x.iso.SHA512", Some(Algorithm::Sha512)),
            ("SHA256SUMS.gpg", None),
            ("SHA256SUMS.sign", None),
            ("x.iso", None),
            ("sha256", None),
            ("sha256sum", None),
            ("xsha256sums", None),
            ("x.sha256sums", Some(Algorithm::Sha256)),
            ("Release.MD5SUMS.TXT", Some(Algorithm::Md5)),
            ("été.Sha512Sum", Some(Algorithm::Sha512)),
            (".md5", Some(Algorithm::Md5)),
            ("sha256sums.txt.gz", None),
            ("x.sha256.txt", Some(Algorithm::Sha256)),
            ("ésha256", None),
        ] {
            assert_eq!(checksum_file_algorithm(name), algorithm, "{name}");
        }
    }

    #[test]
    fn gnu_bsd_and_bare_lines() {
        let text = format!(
            "# comment\r\n{SHA}  text mode.txt\r\n{SHA} *binary.bin\n{MD5} one-space\n\
             \\{SHA}  back\\\\slash\\nnewline\nSHA256 (bsd (1).txt) = {SHA}\n\
             MD5 (old.txt) = {MD5}\n\nnot a line\nda39a3ee5e6b4b0d3255bfef95601890afd80709  sha1.txt\n"
        );
        let names: Vec<(String, Algorithm)> = parse("SUMS", &text)
            .into_iter()
            .map(|entry| (entry.name, entry.expected.algorithm))
            .collect();
        assert_eq!(
            names,
            [
                ("text mode.txt".to_string(), Algorithm::Sha256),
                ("binary.bin".to_string(), Algorithm::Sha256),
                ("one-space".to_string(), Algorithm::Md5),
                ("back\\slash\nnewline".to_string(), Algorithm::Sha256),
                ("bsd (1).txt".to_string(), Algorithm::Sha256),
                ("old.txt".to_string(), Algorithm::Md5),
            ]
        );
        let bare = parse("x.iso.sha256", &format!("{SHA}\n"));
        assert_eq!(bare.len(), 1);
        assert_eq!(bare[0].name, "x.iso");
    }

    #[test]
    fn entries_resolve_against_the_checksum_file_and_match_any_spelling() {
        let sums = Url::parse("http://h/pub/SHA256SUMS").expect("URL");
        let entries = parse(
            "SHA256SUMS",
            &format!(
                "{SHA}  café #1.txt\n{SHA}  ./sub/a.txt\n{MD5}  sub/a.txt\n{SHA}  /etc/passwd\n"
            ),
        );
        let mut index = ChecksumIndex::default();
        assert_eq!(index.add(&sums, "SHA256SUMS", &entries), 3);
        let get = |url: &str| {
            index
                .get(&Url::parse(url).expect("URL"))
                .map(|found| found.expect("no conflict"))
        };
        assert!(get("http://h/pub/caf%C3%A9%20%231.txt").is_some());
        assert!(get("http://H:80/pub/caf\u{e9}%20%231.txt").is_some());
        // The stronger digest wins, whichever line came first.
        assert_eq!(
            get("http://h/pub/sub/a.txt").map(|expected| expected.algorithm),
            Some(Algorithm::Sha256)
        );
        assert!(get("http://h/etc/passwd").is_none());
    }

    #[test]
    fn contradictory_digests_of_one_algorithm_are_a_conflict_in_any_order() {
        let sums = Url::parse("http://h/pub/SHA256SUMS").expect("URL");
        let other = "0".repeat(64);
        for text in [
            format!("{SHA}  a\n{SHA}  ./a\n{other}  a\n"),
            format!("{other}  a\n{SHA}  a\n{SHA}  a\n"),
        ] {
            let mut index = ChecksumIndex::default();
            index.add(&sums, "SHA256SUMS", &parse("SHA256SUMS", &text));
            let found = index.get(&Url::parse("http://h/pub/a").expect("URL"));
            let Some(Err(conflict)) = found else {
                panic!("no conflict: {found:?}");
            };
            assert_eq!(conflict.first.line, 1);
            assert!(
                conflict
                    .to_string()
                    .starts_with("the checksum files disagree about "),
                "{conflict}"
            );
        }
        // Across checksum files, and in a weaker algorithm next to a stronger one
        // that agrees with itself: the file is failed all the same.
        let mut index = ChecksumIndex::default();
        index.add(
            &sums,
            "SHA256SUMS",
            &parse("SHA256SUMS", &format!("{SHA}  a\n")),
        );
        let md5 = Url::parse("http://h/pub/MD5SUMS").expect("URL");
        let weaker = format!("{MD5}  a\n{}  a\n", "1".repeat(32));
        index.add(&md5, "MD5SUMS", &parse("MD5SUMS", &weaker));
        let found = index.get(&Url::parse("http://h/pub/a").expect("URL"));
        let Some(Err(conflict)) = found else {
            panic!("no conflict: {found:?}");
        };
        assert_eq!(
            conflict.to_string(),
            "the checksum files disagree about a: MD5SUMS line 1 and MD5SUMS line 2"
        );
    }
}
