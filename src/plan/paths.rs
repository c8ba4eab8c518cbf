//! From a URL to a path under the output folder. Every link is untrusted: whatever it
//! says, the result is a relative path of plain names that cannot leave the folder.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use percent_encoding::percent_decode_str;
use url::Url;

/// Longest file name, in bytes, that common file systems (ext4, XFS, btrfs, APFS) accept.
pub const MAX_NAME_BYTES: usize = 255;

/// A relative path made only of plain names: no root, no `..`, no `.`, no separators
/// or control characters inside a name. Joining it to a folder stays in that folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelativePath {
    names: Vec<String>,
}

impl RelativePath {
    /// The path as a platform path, relative.
    pub fn to_path_buf(&self) -> PathBuf {
        self.names.iter().collect()
    }

    /// The names from the top folder down to the file.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The same path with `?query` appended to the file name, as wget saves
    /// `get.php?id=1`: two URLs that differ only by their query stay two files.
    pub fn with_query(&self, query: &str) -> Result<RelativePath, UnsafePath> {
        let mut names = self.names.clone();
        let last = names.pop().unwrap_or_default();
        let name = local_name(&format!("{}%3F{query}", last.replace('%', "%25")))?;
        names.push(name);
        Ok(RelativePath { names })
    }

    /// Every ancestor folder of this path, shortest first (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> impl Iterator<Item = RelativePath> + '_ {
        (1..self.names.len()).map(|len| RelativePath {
            names: self.names[..len].to_vec(),
        })
    }
}

impl fmt::Display for RelativePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names.join("/"))
    }
}

/// Why a link has no safe local path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafePath {
    /// A `.` or `..` name (after percent-decoding).
    DotName,
    /// A name longer than [`MAX_NAME_BYTES`].
    NameTooLong(usize),
    /// Nothing is left to name the file.
    Empty,
    /// A path given whole (a plan's) that starts at the root.
    Absolute,
    /// A path given whole with an empty name (`a//b`).
    EmptyName,
    /// A name given as is that holds a separator or a control character.
    BadCharacter(char),
    /// A name given as is that is one fetchall uses itself ([`is_reserved`]).
    Reserved(String),
}

impl fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafePath::DotName => f.write_str("`.` or `..` in the path"),
            UnsafePath::NameTooLong(bytes) => write!(
                f,
                "a name of {bytes} bytes is longer than {MAX_NAME_BYTES} bytes"
            ),
            UnsafePath::Empty => f.write_str("no file name"),
            UnsafePath::Absolute => f.write_str("an absolute path"),
            UnsafePath::EmptyName => f.write_str("an empty name in the path"),
            UnsafePath::BadCharacter(character) => {
                write!(f, "the character {character:?} in a name")
            }
            UnsafePath::Reserved(name) => {
                write!(f, "`{name}` is a name fetchall uses itself")
            }
        }
    }
}

/// Maps a URL under `start_dir` to its path relative to the output folder: the URL's
/// path after the start folder's path, percent-decoded, name by name.
///
/// Returns `None` when `url` is not under `start_dir` (the caller decides what to do).
pub fn path_under(start_dir: &Url, url: &Url) -> Option<Result<RelativePath, UnsafePath>> {
    let rest = url.path().strip_prefix(start_dir.path())?;
    Some(relative_path_from_segments(rest.split('/')))
}

/// The local path of a URL that is not under the start folder (another host with
/// `--span-hosts`): its last name only, as `wget -nd` does.
pub fn file_name_only(url: &Url) -> Result<RelativePath, UnsafePath> {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    relative_path_from_segments(std::iter::once(last))
}

/// Builds a [`RelativePath`] from percent-encoded URL path segments.
pub fn relative_path_from_segments<'a>(
    segments: impl IntoIterator<Item = &'a str>,
) -> Result<RelativePath, UnsafePath> {
    let mut names = Vec::new();
    for segment in segments {
        // `a//b` has an empty segment: it names nothing locally.
        if segment.is_empty() {
            continue;
        }
        names.push(local_name(segment)?);
    }
    if names.is_empty() {
        return Err(UnsafePath::Empty);
    }
    Ok(RelativePath { names })
}

/// Reads a path as [`RelativePath`]'s `Display` writes it (`sub/a b.txt`: local
/// names, not percent-encoded, joined by `/`), as a plan gives it. Untrusted: every
/// name must be one [`local_name`] could have made (no `.` or `..`, no `\\` or
/// control character, not a reserved name, at most [`MAX_NAME_BYTES`]), and the
/// path relative, so that joining it to a folder stays inside it.
pub fn relative_path_from_text(text: &str) -> Result<RelativePath, UnsafePath> {
    if text.is_empty() {
        return Err(UnsafePath::Empty);
    }
    if text.starts_with('/') {
        return Err(UnsafePath::Absolute);
    }
    let mut names = Vec::new();
    for name in text.split('/') {
        if name.is_empty() {
            return Err(UnsafePath::EmptyName);
        }
        if name == "." || name == ".." {
            return Err(UnsafePath::DotName);
        }
        if let Some(bad) = name
            .chars()
            .find(|character| *character == '\\' || character.is_control())
        {
            return Err(UnsafePath::BadCharacter(bad));
        }
        if is_reserved(name) {
            return Err(UnsafePath::Reserved(name.to_string()));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(UnsafePath::NameTooLong(name.len()));
        }
        names.push(name.to_string());
    }
    Ok(RelativePath { names })
}

/// Decodes one percent-encoded segment into a safe file name.
///
/// Like wget's `--restrict-file-names=unix`, characters that cannot be in a name (`/`,
/// NUL, control characters) and `\` (a separator on Windows) are written back as `%XX`:
/// the name stays readable and two different URLs never decode to the same name by
/// accident. Bytes that are not UTF-8 keep their percent-encoded form for the same reason.
pub fn local_name(segment: &str) -> Result<String, UnsafePath> {
    let decoded = match percent_decode_str(segment).decode_utf8() {
        Ok(text) => text.into_owned(),
        Err(_) => segment.to_string(),
    };
    let mut name = String::with_capacity(decoded.len());
    for character in decoded.chars() {
        if character == '/' || character == '\\' || character.is_control() {
            let mut buffer = [0u8; 4];
            for byte in character.encode_utf8(&mut buffer).bytes() {
                name.push_str(&format!("%{byte:02X}"));
            }
        } else {
            name.push(character);
        }
    }
    if name == "." || name == ".." {
        return Err(UnsafePath::DotName);
    }
    if is_reserved(&name) {
        // Written like `/` is: the name stays readable and can never be one of ours.
        name.replace_range(..1, "%2E");
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(UnsafePath::NameTooLong(name.len()));
    }
    Ok(name)
}

/// True for a name fetchall may use itself in the output tree: every such name (partial
/// file, sidecar, their temporaries, the hashed form of a long name, the lock files)
/// starts with `.` and contains `fetchall`. [`local_name`] writes a remote name of that
/// form with its leading dot as `%2E` (`.a.bin.fetchall-part` → `%2Ea.bin.fetchall-part`),
/// so no name a server gives can land on one of fetchall's own files. Compared without
/// case, for file systems that ignore it.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with('.') && name.to_ascii_lowercase().contains("fetchall")
}

/// True when `path` is relative and made only of plain names, so that
/// `root.join(path)` is inside `root`. Used by tests and as a last check before writing.
pub fn is_contained(path: &Path) -> bool {
    path.components().count() > 0
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(start: &str, url: &str) -> Result<String, UnsafePath> {
        let start = Url::parse(start).expect("test URL");
        let url = Url::parse(url).expect("test URL");
        path_under(&start, &url)
            .expect("under start")
            .map(|path| path.to_string())
    }

    #[test]
    fn decodes_percent_encoding() {
        assert_eq!(
            map("http://h/f/", "http://h/f/caf%C3%A9.txt"),
            Ok("café.txt".into())
        );
        assert_eq!(
            map("http://h/f/", "http://h/f/a%20b%23c.zip"),
            Ok("a b#c.zip".into())
        );
        assert_eq!(
            map("http://h/f/", "http://h/f/sub/x.zip"),
            Ok("sub/x.zip".into())
        );
    }

    #[test]
    fn neutralises_separators_and_control_characters() {
        assert_eq!(map("http://h/f/", "http://h/f/a%2Fb"), Ok("a%2Fb".into()));
        assert_eq!(map("http://h/f/", "http://h/f/a%5Cb"), Ok("a%5Cb".into()));
        assert_eq!(
            map("http://h/f/", "http://h/f/a%00b%0A"),
            Ok("a%00b%0A".into())
        );
        assert_eq!(
            map("http://h/f/", "http://h/f/%FF.bin"),
            Ok("%FF.bin".into())
        );
    }

    #[test]
    fn refuses_dot_names_and_long_names() {
        assert_eq!(local_name("%2e%2e"), Err(UnsafePath::DotName));
        assert_eq!(local_name("."), Err(UnsafePath::DotName));
        assert_eq!(
            local_name(&"a".repeat(256)),
            Err(UnsafePath::NameTooLong(256))
        );
        assert!(local_name(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn names_fetchall_uses_itself_are_never_given_to_a_remote_file() {
        for (remote, local) in [
            (".a.bin.fetchall-part", "%2Ea.bin.fetchall-part"),
            (".a.bin.fetchall-part.json", "%2Ea.bin.fetchall-part.json"),
            (
                ".a.bin.fetchall-part.json.tmp",
                "%2Ea.bin.fetchall-part.json.tmp",
            ),
            (
                "..fetchall-0123456789abcdef.fetchall-part",
                "%2E.fetchall-0123456789abcdef.fetchall-part",
            ),
            (".fetchall.lock", "%2Efetchall.lock"),
            (
                ".fetchall.shard-1-of-2.lock",
                "%2Efetchall.shard-1-of-2.lock",
            ),
            ("%2EA.BIN.FETCHALL-PART", "%2EA.BIN.FETCHALL-PART"),
            (".hidden", ".hidden"),
            ("a.bin.fetchall-part", "a.bin.fetchall-part"),
        ] {
            assert_eq!(local_name(remote).as_deref(), Ok(local), "{remote}");
        }
        // Whatever the destination, its own files are reserved names.
        for destination in ["a.bin", ".a.bin", "%2Ea.bin", &"é".repeat(120)] {
            let parts = crate::disk::part::PartPaths::new(Path::new(destination));
            for path in [&parts.data, &parts.sidecar] {
                let name = path.file_name().and_then(|name| name.to_str());
                assert!(name.is_some_and(is_reserved), "{path:?}");
            }
        }
        assert!(is_reserved(crate::disk::lock::LOCK_FILE));
        // `%252E…` decodes to the escaped form of `.…`: one local name, so the
        // planner's "same local path" rule refuses the second and reports it.
        assert_eq!(
            local_name("%252Ea.bin.fetchall-part"),
            local_name(".a.bin.fetchall-part")
        );
    }

    #[test]
    fn paths_given_whole_are_local_names_or_refused() {
        let read = |text: &str| relative_path_from_text(text).map(|path| path.to_string());
        for good in [
            "a.txt",
            "sub/dir/a b#c&d+e%20f.zip",
            "café/ü.bin",
            "a%2Fb",
            "%2Efetchall.lock",
            ".hidden",
            "get.php?id=1",
        ] {
            assert_eq!(read(good).as_deref(), Ok(good));
        }
        assert_eq!(read(&"é".repeat(100)).map(|_| ()), Ok(()));
        assert_eq!(read(""), Err(UnsafePath::Empty));
        assert_eq!(read("/etc/passwd"), Err(UnsafePath::Absolute));
        assert_eq!(read("../x"), Err(UnsafePath::DotName));
        assert_eq!(read("a/../../x"), Err(UnsafePath::DotName));
        assert_eq!(read("a/./x"), Err(UnsafePath::DotName));
        assert_eq!(read("a//x"), Err(UnsafePath::EmptyName));
        assert_eq!(read("a/"), Err(UnsafePath::EmptyName));
        assert_eq!(read("a\\..\\x"), Err(UnsafePath::BadCharacter('\\')));
        assert_eq!(read("a\nb"), Err(UnsafePath::BadCharacter('\n')));
        assert_eq!(
            read(".fetchall.lock"),
            Err(UnsafePath::Reserved(".fetchall.lock".into()))
        );
        assert_eq!(
            read("d/.X.FETCHALL-part"),
            Err(UnsafePath::Reserved(".X.FETCHALL-part".into()))
        );
        assert_eq!(read(&"a".repeat(256)), Err(UnsafePath::NameTooLong(256)));
        // What a listing's path prints reads back as the same path.
        let start = Url::parse("http://h/f/").expect("test URL");
        let url = Url::parse("http://h/f/s%20d/%2Efetchall.lock/caf%C3%A9%2F%0A").expect("URL");
        let mapped = path_under(&start, &url).expect("under").expect("safe");
        assert_eq!(relative_path_from_text(&mapped.to_string()), Ok(mapped));
    }

    #[test]
    fn a_query_stays_in_the_file_name() {
        let start = Url::parse("http://h/f/").expect("test URL");
        let url = Url::parse("http://h/f/get.php?id=1&x=%2F").expect("test URL");
        let path = path_under(&start, &url).expect("under").expect("safe");
        let with_query = path
            .with_query(url.query().unwrap_or_default())
            .expect("safe");
        assert_eq!(with_query.to_string(), "get.php?id=1&x=%2F");
    }

    #[test]
    fn outside_the_start_folder_is_not_mapped() {
        let start = Url::parse("http://h/f/").expect("test URL");
        let url = Url::parse("http://h/other/x").expect("test URL");
        assert!(path_under(&start, &url).is_none());
    }
}
