//! FTP listings: the lines of `MLSD` (RFC 3659 facts: `type`, `size`, `modify`
//! in UTC, each to the byte and second) or, from a server without it, of `LIST`
//! in the Unix `ls -l` or the DOS (IIS) style, read by suppaftp's line parser.
//!
//! Each entry becomes a link under the folder's URL, its name percent-encoded
//! (so `#`, `%`, `&`, `+`, `?`, spaces and UTF-8 come back as the same name):
//! a file with its exact size and its time, a folder ending in `/`.
//!
//! - `MLSD` times are exact; `LIST` prints a minute (`Dec  2 16:30`) or, for an
//!   older file, a day (`Jan  5  2024`), read as UTC (vsftpd's and pyftpdlib's
//!   default): the time is that whole minute or day.
//! - `.` and `..` (and `MLSD`'s `cdir`/`pdir`) are the folder and its parent,
//!   never entries. A name holding `/`, or a line break, can only be a hostile
//!   or broken server: it is kept as a link that does not resolve, reported and
//!   never written, nor asked for.
//! - A symbolic link (`type=OS.unix=slink`, `l` in `ls -l`) is not followed: its
//!   target may be anywhere, a folder (a loop), or missing, and `LIST` gives the
//!   link's size, not the target's. It is reported like an unusable name, as
//!   `NAME -> TARGET (symbolic link, not followed)`, as wget does without
//!   `--retr-symlinks`.
//!
//! ```
//! use fetchall::listing::formats::ftp::ftp_links;
//! let folder = url::Url::parse("ftp://h/pub/").unwrap();
//! let lines = ["type=file;size=3;modify=20240131120000; a #1.txt".to_string()];
//! let links = ftp_links(&lines, true, &folder);
//! assert_eq!(links[0].url.as_ref().unwrap().as_str(), "ftp://h/pub/a%20%231.txt");
//! assert_eq!(links[0].size.unwrap().exact_bytes(), Some(3));
//! ```

use std::time::{Duration, SystemTime};

use suppaftp::list::ListParser;
use url::Url;

use crate::listing::link::{Link, name_as_segment};
use crate::listing::meta::{ListedSize, ListedTime};

/// One entry of a listing, as read from its line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File {
        name: String,
        size: u64,
        modified: Option<ListedTime>,
    },
    Folder(String),
    /// A symbolic link: `NAME -> TARGET` as listed.
    Symlink(String),
    /// `.`, `..`, the folder itself: not an entry.
    Itself,
}

/// The links of a folder listing's `lines` (`mlsd`: of `MLSD`, else of `LIST`),
/// under `folder` (a URL ending in `/`). A line no parser reads is skipped: it
/// is a `total 12` header or a server's comment, never an entry.
pub fn ftp_links(lines: &[String], mlsd: bool, folder: &Url) -> Vec<Link> {
    lines
        .iter()
        .filter_map(|line| {
            let entry = if mlsd {
                mlsd_entry(line)
            } else {
                list_entry(line)
            };
            entry.and_then(|entry| link(folder, entry))
        })
        .collect()
}

/// The link of `entry` under `folder`.
fn link(folder: &Url, entry: Entry) -> Option<Link> {
    let (name, size, modified, slash) = match entry {
        Entry::Itself => return None,
        Entry::Symlink(listed) => {
            return Some(refused(format!("{listed} (symbolic link, not followed)")));
        }
        Entry::File {
            name,
            size,
            modified,
        } => (name, Some(ListedSize::exact(size)), modified, ""),
        Entry::Folder(name) => (name, None, None, "/"),
    };
    if name.is_empty() {
        return None;
    }
    if name.contains(['/', '\r', '\n', '\0']) {
        return Some(refused(format!("{name} (a name no folder can hold)")));
    }
    let href = format!("{}{slash}", name_as_segment(&name));
    Some(Link {
        url: folder.join(&href),
        href,
        size,
        modified,
        local_modified: None,
    })
}

/// A listed entry that is no file to fetch, kept as a link that does not
/// resolve so that the crawl reports it.
fn refused(href: String) -> Link {
    Link {
        href,
        url: Err(url::ParseError::RelativeUrlWithoutBase),
        size: None,
        modified: None,
        local_modified: None,
    }
}

/// One `MLSD` line: `fact=value;…; NAME` (the facts end at the first `; `).
fn mlsd_entry(line: &str) -> Option<Entry> {
    let (facts, name) = match line.strip_prefix(' ') {
        Some(name) => ("", name),
        None => {
            let end = line.find("; ")?;
            (&line[..=end], &line[end + 2..])
        }
    };
    let mut kind = String::new();
    let mut size = None;
    let mut modified = None;
    for fact in facts.split(';') {
        let Some((key, value)) = fact.split_once('=') else {
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => kind = value.to_ascii_lowercase(),
            "size" => size = value.parse::<u64>().ok(),
            "modify" => modified = mlsd_time(value).map(ListedTime::exact),
            _ => {}
        }
    }
    if name == "." || name == ".." {
        return Some(Entry::Itself);
    }
    let name = name.to_string();
    match kind.as_str() {
        "file" => Some(Entry::File {
            name,
            size: size?,
            modified,
        }),
        "dir" => Some(Entry::Folder(name)),
        "cdir" | "pdir" => Some(Entry::Itself),
        other if other.starts_with("os.unix=slink") || other == "link" => {
            let target = other.split_once(':').map_or("", |(_, target)| target);
            Some(Entry::Symlink(format!("{name} -> {target}")))
        }
        // Devices, sockets, unknown types: nothing to fetch.
        _ => None,
    }
}

/// `YYYYMMDDHHMMSS[.fff]`, UTC, to the second.
fn mlsd_time(value: &str) -> Option<SystemTime> {
    let digits = value.split('.').next()?;
    if digits.len() != 14 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let field = |range: std::ops::Range<usize>| digits[range].parse::<u32>().ok();
    crate::listing::timestamp::utc(
        i64::from(field(0..4)?),
        field(4..6)?,
        field(6..8)?,
        field(8..10)?,
        field(10..12)?,
        field(12..14)?,
    )
}

/// One `LIST` line, Unix `ls -l` style or DOS style.
fn list_entry(line: &str) -> Option<Entry> {
    if let Ok(file) = ListParser::parse_posix(line) {
        let name = file.name().to_string();
        if name == "." || name == ".." {
            return Some(Entry::Itself);
        }
        if file.is_symlink() {
            let listed = line
                .rsplit_once(&format!(" {name} -> "))
                .map_or_else(|| name.clone(), |(_, target)| format!("{name} -> {target}"));
            return Some(Entry::Symlink(listed));
        }
        if file.is_directory() {
            return Some(Entry::Folder(name));
        }
        // The token before the name: `16:30` (a minute) or `2024` (a day).
        let before = line.strip_suffix(name.as_str())?.trim_end();
        let by_minute = before
            .rsplit(' ')
            .next()
            .is_some_and(|token| token.contains(':'));
        let span = if by_minute { 60 } else { 86_400 };
        return Some(Entry::File {
            name,
            size: file.size() as u64,
            modified: Some(spanning(file.modified(), span)),
        });
    }
    let file = ListParser::parse_dos(line).ok()?;
    let name = file.name().to_string();
    if name == "." || name == ".." {
        return Some(Entry::Itself);
    }
    if file.is_directory() {
        return Some(Entry::Folder(name));
    }
    Some(Entry::File {
        name,
        size: file.size() as u64,
        modified: Some(spanning(file.modified(), 60)),
    })
}

/// The time a listing prints to the minute or the day: every second of it.
fn spanning(start: SystemTime, seconds: u64) -> ListedTime {
    ListedTime {
        earliest: start,
        latest: start + Duration::from_secs(seconds - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Url {
        Url::parse("ftp://h/pub/").expect("URL")
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn hrefs(links: &[Link]) -> Vec<String> {
        links.iter().map(|link| link.href.clone()).collect()
    }

    #[test]
    fn mlsd_facts_give_exact_sizes_and_times_and_folders() {
        let listing = lines(concat!(
            "type=cdir;modify=20240101000000; /pub\n",
            "type=pdir;modify=20240101000000; /\n",
            "type=file;size=1234;modify=20240131120005.123;UNIX.mode=0644; a b.iso\n",
            "Type=DIR;Modify=20240101000000; sub dir\n",
            "type=file;size=0;modify=20240131120000; empty\n",
            "type=OS.unix=slink:/etc/passwd;modify=20240131120000; link\n",
            "type=file;size=5;modify=20240131120000; semi; colon\n",
        ));
        let links = ftp_links(&listing, true, &folder());
        assert_eq!(
            hrefs(&links),
            [
                "a%20b.iso",
                "sub%20dir/",
                "empty",
                "link -> /etc/passwd (symbolic link, not followed)",
                "semi%3B%20colon"
            ]
        );
        let iso = &links[0];
        assert_eq!(
            iso.url.as_ref().expect("URL").as_str(),
            "ftp://h/pub/a%20b.iso"
        );
        assert_eq!(iso.size, Some(ListedSize::exact(1234)));
        let time = crate::listing::timestamp::utc(2024, 1, 31, 12, 0, 5);
        assert_eq!(iso.modified, time.map(ListedTime::exact));
        assert!(links[1].size.is_none());
        assert_eq!(links[2].size, Some(ListedSize::exact(0)));
        assert!(links[3].url.is_err());
    }

    #[test]
    fn awkward_names_come_back_as_the_same_name() {
        let long = "é".repeat(100);
        for name in [
            "a #1.txt",
            "100%.txt",
            "a&b+c.txt",
            "q?.txt",
            "caf\u{e9}.txt",
            "...",
            ".hidden",
            long.as_str(),
        ] {
            let line = format!("type=file;size=1;modify=20240131120000; {name}");
            let links = ftp_links(&[line], true, &folder());
            let url = links[0].url.as_ref().expect("URL");
            let last = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
            assert_eq!(decoded, name, "{url}");
            assert!(url.as_str().starts_with("ftp://h/pub/"), "{url}");
            assert!(url.query().is_none() && url.fragment().is_none(), "{url}");
        }
    }

    #[test]
    fn hostile_names_never_resolve() {
        let listing = lines(concat!(
            "type=file;size=1;modify=20240131120000; ../x\n",
            "type=file;size=1;modify=20240131120000; a/b\n",
            "type=dir;modify=20240131120000; ..\n",
            "type=dir;modify=20240131120000; .\n",
            "type=file;size=1;modify=20240131120000; /etc/passwd\n",
        ));
        let links = ftp_links(&listing, true, &folder());
        assert_eq!(links.len(), 3);
        assert!(links.iter().all(|link| link.url.is_err()), "{links:?}");
        let listing = lines(concat!(
            "-rw-r--r--    1 0        0               1 Jan 31 12:00 ../x\n",
            "drwxr-xr-x    2 0        0            4096 Jan 31 12:00 ..\n",
            "-rw-r--r--    1 0        0               1 Jan 31 12:00 a/b\n",
        ));
        let links = ftp_links(&listing, false, &folder());
        assert_eq!(links.len(), 2);
        assert!(links.iter().all(|link| link.url.is_err()), "{links:?}");
    }

    #[test]
    fn unix_list_lines_give_exact_sizes_and_the_minute_or_day() {
        let listing = lines(concat!(
            "total 12\n",
            "-rw-r--r--    1 1000     1000         1234 Jan 05  2024 old file.txt\n",
            "-rw-r--r--    1 ftp      ftp             7 Mar 18 09:05 new.txt\n",
            "drwxr-xr-x    2 1000     1000         4096 Jan 05  2024 sub\n",
            "lrwxrwxrwx    1 0        0               5 Jan 05  2024 latest -> old file.txt\n",
        ));
        let links = ftp_links(&listing, false, &folder());
        assert_eq!(
            hrefs(&links),
            [
                "old%20file.txt",
                "new.txt",
                "sub/",
                "latest -> old file.txt (symbolic link, not followed)"
            ]
        );
        let old = links[0].modified.expect("time");
        let day = crate::listing::timestamp::utc(2024, 1, 5, 0, 0, 0).expect("time");
        assert_eq!(old.earliest, day);
        assert!(old.contains(day + Duration::from_secs(86_399)));
        assert!(!old.contains(day + Duration::from_secs(86_400)));
        assert_eq!(links[0].size, Some(ListedSize::exact(1234)));
        let new = links[1].modified.expect("time");
        assert_eq!(
            new.latest.duration_since(new.earliest).ok(),
            Some(Duration::from_secs(59))
        );
    }

    #[test]
    fn dos_list_lines_are_read_too() {
        let listing = lines(concat!(
            "01-31-24  12:05PM       <DIR>          sub dir\n",
            "01-31-24  12:05PM                 1234 a b.txt\n",
        ));
        let links = ftp_links(&listing, false, &folder());
        assert_eq!(hrefs(&links), ["sub%20dir/", "a%20b.txt"]);
        assert_eq!(links[1].size, Some(ListedSize::exact(1234)));
        let noon = crate::listing::timestamp::utc(2024, 1, 31, 12, 5, 0).expect("time");
        assert_eq!(links[1].modified.expect("time").earliest, noon);
    }
}
