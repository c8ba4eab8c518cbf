//! `--delete`: what the listings of a run named, folder by folder, and which
//! folders were listed completely. The crawl writes it as it reads each page;
//! [`crate::engine::delete`] reads it once every transfer has ended.
//!
//! A name is kept as a 64-bit FNV-1a hash of its local name, in a vector per
//! folder: 8 bytes per listed entry, plus one key per folder. Two names with the
//! same hash only make a file stay that could have gone: a collision never deletes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use url::Url;

use crate::plan::paths::{self, RelativePath, UnsafePath};

/// What the listings of a run named; a no-op unless `--delete` was given.
#[derive(Default)]
pub(crate) struct Listings {
    state: Option<Mutex<State>>,
}

/// The listed names of the folders of each output folder.
#[derive(Default)]
pub(crate) struct State {
    /// Output folder → relative folder (`""`, `a/b`) → what was listed there.
    pub(crate) outputs: HashMap<PathBuf, HashMap<String, ListedFolder>>,
    /// The first listing of the run that failed: then nothing is deleted.
    pub(crate) failed: Option<String>,
}

/// The names a folder's listings gave, and whether the folder itself was listed
/// completely (its names may also come from links on other pages).
#[derive(Default)]
pub(crate) struct ListedFolder {
    names: Vec<u64>,
    /// The crawl depth it was listed completely at (0 for a start folder), if it was.
    pub(crate) listed_at: Option<usize>,
}

impl ListedFolder {
    /// Whether a listing named `name` in this folder (once [`Listings::take`]
    /// sorted the names).
    pub(crate) fn names(&self, name: &str) -> bool {
        self.names.binary_search(&name_hash(name)).is_ok()
    }

    /// Adds a name; a file's link and its planned path come one after the other,
    /// so a repeat of the last name is not stored twice. Other repeats are
    /// removed once, when the names are sorted.
    fn add(&mut self, name: &str) {
        let hash = name_hash(name);
        if self.names.last() != Some(&hash) {
            self.names.push(hash);
        }
    }
}

impl Listings {
    /// Records listings only when `enabled` (`--delete`).
    pub(crate) fn new(enabled: bool) -> Self {
        Listings {
            state: enabled.then(Mutex::default),
        }
    }

    fn with(&self, change: impl FnOnce(&mut State)) {
        if let Some(state) = &self.state {
            change(&mut state.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// A link of a listing, at `url`, whatever the crawl makes of it: the local
    /// path it has under `output` (with and without its query) is listed.
    pub(crate) fn link(&self, output: &Path, start_dir: &Url, url: &Url) {
        if self.state.is_none() {
            return;
        }
        // As `paths::path_under` maps it, with a folder's trailing slash dropped.
        let path = url.path().trim_end_matches('/');
        let Some(rest) = path.strip_prefix(start_dir.path()) else {
            return;
        };
        let Ok(relative) = paths::relative_path_from_segments(rest.split('/')) else {
            return;
        };
        if let Some(Ok(queried)) = url.query().map(|query| relative.with_query(query)) {
            self.path(output, &queried);
        }
        self.path(output, &relative);
    }

    /// A local path a listing gave (a planned file).
    pub(crate) fn path(&self, output: &Path, relative: &RelativePath) {
        let names = relative.names();
        let Some((name, folder)) = names.split_last() else {
            return;
        };
        let key = folder.join("/");
        self.with(|state| {
            let folders = match state.outputs.get_mut(output) {
                Some(folders) => folders,
                None => state.outputs.entry(output.to_path_buf()).or_default(),
            };
            match folders.get_mut(&key) {
                Some(listed) => listed.add(name),
                None => folders.entry(key).or_default().add(name),
            }
        });
    }

    /// The listing of `folder` (a URL under `start_dir`) at crawl `depth` was read
    /// to its end.
    pub(crate) fn complete(&self, output: &Path, start_dir: &Url, folder: &Url, depth: usize) {
        if self.state.is_none() {
            return;
        }
        let Some(rest) = folder.path().strip_prefix(start_dir.path()) else {
            return;
        };
        let key = match paths::relative_path_from_segments(rest.split('/')) {
            Ok(relative) => relative.names().join("/"),
            Err(UnsafePath::Empty) => String::new(),
            Err(_) => return,
        };
        self.with(|state| {
            let listed = state
                .outputs
                .entry(output.to_path_buf())
                .or_default()
                .entry(key)
                .or_default();
            listed.listed_at = Some(listed.listed_at.map_or(depth, |at| at.min(depth)));
        });
    }

    /// A listing failed (or the crawl broke off): nothing is deleted.
    pub(crate) fn failed(&self, url: &str) {
        self.with(|state| {
            state.failed.get_or_insert_with(|| url.to_string());
        });
    }

    /// What was recorded, taken out (empty unless `--delete`), each folder's
    /// names sorted for lookups.
    pub(crate) fn take(&self) -> State {
        let Some(state) = &self.state else {
            return State::default();
        };
        let mut taken = std::mem::take(&mut *state.lock().unwrap_or_else(PoisonError::into_inner));
        for folder in taken.outputs.values_mut().flat_map(HashMap::values_mut) {
            folder.names.sort_unstable();
            folder.names.dedup();
            folder.names.shrink_to_fit();
        }
        taken
    }
}

/// FNV-1a, 64 bits: specified, cheap, and a collision only keeps a file.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn links_are_listed_in_their_own_folder_and_folders_marked_complete() {
        let listings = Listings::new(true);
        let out = Path::new("out");
        let start = url("http://h/pub/");
        listings.link(out, &start, &url("http://h/pub/a%20b.iso"));
        listings.link(out, &start, &url("http://h/pub/sub/"));
        listings.link(out, &start, &url("http://h/pub/sub/x?v=1"));
        listings.link(out, &start, &url("http://h/elsewhere/y"));
        listings.complete(out, &start, &url("http://h/pub/"), 0);
        let state = listings.take();
        let folders = &state.outputs[out];
        let top = &folders[""];
        assert!(top.names("a b.iso") && top.names("sub") && !top.names("y"));
        assert_eq!(top.listed_at, Some(0));
        let sub = &folders["sub"];
        assert!(sub.names("x") && sub.names("x?v=1"));
        assert_eq!(sub.listed_at, None);
    }

    #[test]
    fn nothing_is_recorded_without_delete() {
        let listings = Listings::new(false);
        listings.link(Path::new("o"), &url("http://h/"), &url("http://h/a"));
        listings.failed("http://h/");
        let state = listings.take();
        assert!(state.outputs.is_empty() && state.failed.is_none());
    }
}
