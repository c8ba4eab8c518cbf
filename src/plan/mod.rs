//! Deciding before acting: which URL goes to which local path, refusing duplicates
//! and collisions, and what is already on disk. Pure apart from reading metadata.

pub(crate) mod disposition;
pub(crate) mod keys;
pub mod paths;

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use url::Url;

use crate::event::SkipReason;
use crate::listing::local_time::LocalTime;
use crate::listing::meta::{ListedSize, ListedTime};
use crate::plan::keys::{KeySet, KeyTable};
use crate::plan::paths::RelativePath;

/// One file to fetch.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// The file URL.
    pub url: Url,
    /// Its path relative to the output folder.
    pub relative: RelativePath,
    /// Its final path on disk.
    pub destination: PathBuf,
    /// The output folder it is written under (`destination` is `root/relative`).
    pub root: PathBuf,
    /// What is at `destination` now.
    pub local: LocalFile,
    /// The exact size the listing gave, if it gave one.
    pub listed_size: Option<u64>,
    /// The exact modification time the listing gave, if it gave one.
    pub listed_modified: Option<ListedTime>,
    /// The size the listing gave, as the range a rounded value (`1.5M`) allows.
    pub listed_range: Option<ListedSize>,
    /// The time the listing printed in the server's local time, without a zone:
    /// it becomes `listed_modified` once the host's offset is learnt.
    pub listed_local: Option<LocalTime>,
    /// In recursive mode, for a link without a trailing slash: told if the answer
    /// shows a folder (the crawl listens, and reads it as one).
    pub(crate) folder_probe: Option<std::sync::Arc<dyn FolderFound>>,
}

/// Told when the transfer of a task finds a folder where its link pointed: a link
/// without a trailing slash that redirects to `…/`, or answers with a page.
///
/// The crawl implements it; a task holds it without knowing the crawl, since
/// planning sits below the engine.
pub(crate) trait FolderFound: Send + Sync + std::fmt::Debug {
    /// The transfer of `task` found a folder at `url`: the target of a redirect
    /// (`redirected`), or the link itself when it answered with a page.
    fn found(&self, url: Url, redirected: bool, task: &Task);
}

impl Task {
    /// The task for `url`, written at `relative` under `output`, with what the disk
    /// holds there now and nothing known from a listing.
    pub fn new(url: Url, relative: RelativePath, output: &Path) -> Task {
        let destination = output.join(relative.to_path_buf());
        let local = LocalFile::inspect(&destination);
        Task {
            url,
            relative,
            destination,
            root: output.to_path_buf(),
            local,
            listed_size: None,
            listed_modified: None,
            listed_range: None,
            listed_local: None,
            folder_probe: None,
        }
    }

    /// True when the listing's size and time are the local file's, so the file is
    /// up to date without asking the server anything: the exact size, or for a
    /// rounded one (Apache's `1.5M`) a local size inside its range, and a local
    /// modification time inside the listed time (a minute, or a second).
    pub fn is_up_to_date_by_listing(&self) -> bool {
        match self.listed_size {
            Some(_) => self.local.matches(self.listed_size, self.listed_modified),
            None => self
                .local
                .matches_listed(self.listed_range, self.listed_modified),
        }
    }
}

/// What the disk holds at a destination before the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalFile {
    /// Nothing.
    Missing,
    /// A regular file.
    Present {
        /// Its length.
        size: u64,
        /// Its modification time, when the file system reports one.
        modified: Option<SystemTime>,
    },
    /// A symlink. Not a file of the mirror: its target's size and time are never
    /// read, and a download replaces the link itself. But the user has it there,
    /// so `--no-clobber` keeps it.
    Symlink,
    /// Something that is not a regular file (a folder, a socket...).
    Other,
}

impl LocalFile {
    /// True when this is a file of exactly `size` bytes whose time is one `time`
    /// allows. Both must be known: a size alone proves nothing. The one rule behind
    /// "up to date", whether the size and time come from a listing or an answer.
    pub fn matches(&self, size: Option<u64>, time: Option<ListedTime>) -> bool {
        self.matches_listed(size.map(ListedSize::exact), time)
    }

    /// True when this is a file whose size lies in `size` and whose time is one
    /// `time` allows; both must be known. fetchall sets a downloaded file's time
    /// from its `Last-Modified`, so an unchanged file's time is the listed one.
    pub fn matches_listed(&self, size: Option<ListedSize>, time: Option<ListedTime>) -> bool {
        let LocalFile::Present {
            size: local_size,
            modified: Some(modified),
        } = *self
        else {
            return false;
        };
        size.is_some_and(|size| size.low <= local_size && local_size <= size.high)
            && time.is_some_and(|time| time.contains(modified))
    }

    /// Whether `--no-clobber` leaves it alone without asking the server: a file, or
    /// a symlink the user put there (a folder or a FIFO is not replaced anyway,
    /// and fails).
    pub fn is_kept_by_no_clobber(&self) -> bool {
        matches!(self, LocalFile::Present { .. } | LocalFile::Symlink)
    }

    /// Looks at `path` without following a final symlink into somewhere else. A
    /// symlink there is not a file of the mirror: its target's size and time never
    /// make it "up to date", and the downloaded file replaces the link (the rename
    /// replaces the link itself, never its target).
    pub fn inspect(path: &Path) -> LocalFile {
        match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.file_type().is_symlink() => LocalFile::Symlink,
            Ok(metadata) if metadata.is_file() => LocalFile::Present {
                size: metadata.len(),
                modified: metadata.modified().ok(),
            },
            Ok(_) => LocalFile::Other,
            Err(_) => LocalFile::Missing,
        }
    }
}

/// Remembers every URL and local path admitted so far in a run, so that a link
/// that appears twice is fetched once and two links never write the same path.
///
/// Paths are compared whole: the output folder of the start being planned (see
/// [`Planner::set_output`]) joined with the path relative to it. Two start URLs
/// into their own folders (`a/x.txt`, `b/x.txt`) never collide; two into one
/// folder that map to one path do, and so do a file and a folder of one name
/// across output folders (`./a` and `a/x.txt`).
///
/// Kept compact, for listings of millions of files: a path and a URL are held as
/// 64-bit hashes keyed at random for each run (so no listing can aim at a clash),
/// in sorted tables ([`keys`]): about 24 bytes a file. Two different paths share a hash with a chance of about
/// 3·10⁻⁷ in a run of 3.5 million files; the later one is then reported as skipped
/// (a collision), never written over the other.
#[derive(Debug, Default)]
pub(crate) struct Planner {
    keys: std::hash::RandomState,
    /// The names of the output folder of the start being planned (`.` left out).
    root: Vec<OsString>,
    /// Every URL admitted or seen (files and folders).
    urls: KeySet,
    /// Files admitted: the key of the full local path → the key of the URL.
    files: KeyTable<u64>,
    /// Every folder that holds an admitted file (full paths).
    folders: HashSet<u64>,
}

impl Planner {
    /// Plans the next files into `output`: paths given from now on are relative
    /// to it, and compared with every path admitted before, whatever its folder.
    pub fn set_output(&mut self, output: &Path) {
        self.root = output
            .components()
            .filter(|component| !matches!(component, std::path::Component::CurDir))
            .map(|component| component.as_os_str().to_os_string())
            .collect();
    }

    fn url_key(&self, url: &Url) -> u64 {
        self.keys.hash_one(url.as_str())
    }

    /// The keys of every leading part of the full path of `path` (output folder
    /// joined with it), shortest first: the last is the path's own key.
    fn prefix_keys(&self, path: &RelativePath) -> Vec<u64> {
        let mut hasher = self.keys.build_hasher();
        let names = self
            .root
            .iter()
            .map(OsString::as_os_str)
            .chain(path.names().iter().map(OsStr::new));
        names
            .map(|name| {
                name.hash(&mut hasher);
                hasher.clone().finish()
            })
            .collect()
    }

    fn path_key(&self, path: &RelativePath) -> u64 {
        self.prefix_keys(path).last().copied().unwrap_or_default()
    }

    /// The first `len` names of the full path of `path`, as it lies on disk.
    fn shown(&self, path: &RelativePath, len: usize) -> String {
        let shown: PathBuf = self
            .root
            .iter()
            .map(OsString::as_os_str)
            .chain(path.names().iter().map(OsStr::new))
            .take(len)
            .collect();
        shown.display().to_string()
    }

    /// Records `url` as a file to write at `path`, or says why it must be skipped.
    pub fn admit(&mut self, url: &Url, path: &RelativePath) -> Result<(), SkipReason> {
        let url_key = self.url_key(url);
        if self.urls.contains(url_key) {
            return Err(SkipReason::Duplicate);
        }
        self.admit_path(url, path)
    }

    /// Records `url` as the file written at `path`, whether or not the URL was
    /// admitted at another path (a plan names files by path): a duplicate if
    /// `path` holds `url` already, a collision if it holds another.
    pub fn admit_path(&mut self, url: &Url, path: &RelativePath) -> Result<(), SkipReason> {
        let url_key = self.url_key(url);
        let mut keys = self.prefix_keys(path);
        let Some(path_key) = keys.pop() else {
            return Err(SkipReason::UnsafePath("an empty path".into()));
        };
        if self.files.get(path_key) == Some(url_key) {
            return Err(SkipReason::Duplicate);
        }
        if self.files.contains(path_key) {
            return Err(SkipReason::Collision(format!(
                "another link to `{}`",
                self.shown(path, keys.len() + 1)
            )));
        }
        if self.folders.contains(&path_key) {
            return Err(SkipReason::Collision(format!(
                "the files under `{}/`",
                self.shown(path, keys.len() + 1)
            )));
        }
        // Every folder above it, the output folder and its parents included:
        // another start may have written a file where this output folder lies.
        if let Some(len) = keys.iter().position(|key| self.files.contains(*key)) {
            return Err(SkipReason::Collision(format!(
                "another link to `{}`",
                self.shown(path, len + 1)
            )));
        }
        self.urls.insert(url_key, ());
        self.files.insert(path_key, url_key);
        self.folders.extend(keys);
        Ok(())
    }

    /// Gives back the path of a file that turned out to be a folder, so that the
    /// files under it can be admitted. Its URL stays seen.
    pub fn release(&mut self, path: &RelativePath, url: &Url) {
        let path_key = self.path_key(path);
        let url_key = self.url_key(url);
        if self.files.get(path_key) == Some(url_key) {
            self.files.remove(path_key);
        }
        self.urls.insert(url_key, ());
    }

    /// Whether `url` was admitted or seen.
    pub fn has_url(&self, url: &Url) -> bool {
        self.urls.contains(self.url_key(url))
    }

    /// Records `url` as seen without giving it a path (so a later duplicate is
    /// reported); false if it was admitted or seen already.
    pub fn admit_url(&mut self, url: &Url) -> bool {
        let key = self.url_key(url);
        self.urls.insert(key, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::paths::relative_path_from_segments;

    fn path(text: &str) -> RelativePath {
        relative_path_from_segments(text.split('/')).expect("valid path")
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn up_to_date_needs_both_size_and_date() {
        use std::time::Duration;
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let local = LocalFile::Present {
            size: 10,
            modified: Some(now),
        };
        let exact = Some(ListedTime::exact(now));
        assert!(local.matches(Some(10), exact));
        assert!(!local.matches(Some(11), exact));
        assert!(!local.matches(Some(10), None));
        assert!(!local.matches(None, exact));
        assert!(!LocalFile::Missing.matches(Some(10), exact));
    }

    #[test]
    fn duplicates_and_collisions_are_refused() {
        let mut planner = Planner::default();
        assert_eq!(
            planner.admit(&url("http://h/a.zip"), &path("a.zip")),
            Ok(())
        );
        assert_eq!(
            planner.admit(&url("http://h/a.zip"), &path("a.zip")),
            Err(SkipReason::Duplicate)
        );
        assert_eq!(
            planner.admit(&url("http://h/A.zip?x"), &path("a.zip")),
            Err(SkipReason::Collision("another link to `a.zip`".into()))
        );
        assert_eq!(planner.admit(&url("http://h/d/x"), &path("d/x")), Ok(()));
        assert!(matches!(
            planner.admit(&url("http://h/d"), &path("d")),
            Err(SkipReason::Collision(_))
        ));
        assert!(matches!(
            planner.admit(&url("http://h/a.zip/y"), &path("a.zip/y")),
            Err(SkipReason::Collision(_))
        ));
    }

    #[test]
    fn paths_are_compared_with_their_output_folder() {
        let mut planner = Planner::default();
        planner.set_output(Path::new("a"));
        assert_eq!(
            planner.admit(&url("http://h/a/x.txt"), &path("x.txt")),
            Ok(())
        );
        planner.set_output(Path::new("./b"));
        assert_eq!(
            planner.admit(&url("http://h/b/x.txt"), &path("x.txt")),
            Ok(())
        );
        // Into one folder again, however it is spelled: a collision.
        planner.set_output(Path::new("./a/"));
        assert_eq!(
            planner.admit(&url("http://h/c/x.txt"), &path("x.txt")),
            Err(SkipReason::Collision("another link to `a/x.txt`".into()))
        );
        // One output folder nested in another: the same file on disk.
        planner.set_output(Path::new("."));
        assert!(matches!(
            planner.admit(&url("http://h/d/x.txt"), &path("b/x.txt")),
            Err(SkipReason::Collision(_))
        ));
        // A file where another start's output folder lies, both ways round.
        assert!(matches!(
            planner.admit(&url("http://h/a"), &path("a")),
            Err(SkipReason::Collision(_))
        ));
        assert_eq!(planner.admit(&url("http://h/e"), &path("e")), Ok(()));
        planner.set_output(Path::new("e"));
        assert!(matches!(
            planner.admit(&url("http://h/e/y"), &path("y")),
            Err(SkipReason::Collision(_))
        ));
        // A path that only shares a prefix of names with another folder is free.
        planner.set_output(Path::new("ab"));
        assert_eq!(
            planner.admit(&url("http://h/ab/x.txt"), &path("x.txt")),
            Ok(())
        );
    }
}
