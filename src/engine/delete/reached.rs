//! `--delete`: where the run really wrote what its listings named, when no walk of
//! a listed folder judges those names there (see [`Reached`]). Only looked at when
//! such a folder exists.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::disk::prune::resolve;
use crate::engine::listed::{ListedFolder, State};

/// What becomes of an entry a walk would remove.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Judged {
    /// It stays: it holds, or is, or lies in, something a listing named.
    Stays,
    /// It goes; `real` is its real path.
    Goes { real: PathBuf },
    /// Where it really is cannot be told (its output folder cannot be
    /// resolved): it stays.
    Unknown { reason: String },
}

/// The folders the run's listings named entries in that no walk of a listed
/// folder judges by those names, by where they really are:
///
/// - a listed folder reached through a symlink inside an output folder
///   (`out/sub -> store`: the files of `sub/` are written into `store/`, see
///   [`crate::disk::safe_fs`]). It is never walked itself, but where it leads may
///   be, as an unlisted `store/` or as the folder `.` the link points back to;
/// - a folder that no listing read but links on other pages lead into (the start
///   page links `sub/x.bin`, not `sub/`), or that was listed but is not named by
///   the listing of the folder above (the start page links `a/b/`, not `a/`): a
///   walk from above finds it unlisted.
///
/// What lives there on those listings' behalf must not go. In the common case
/// there is no such folder, and nothing is looked up.
pub(super) struct Reached<'a> {
    state: &'a State,
    /// Real folder → the listings that named entries in it.
    folders: HashMap<PathBuf, Vec<&'a ListedFolder>>,
    /// Real paths that hold something kept, so never go: those folders, the
    /// symlinks followed to reach them, and every folder above either. Each
    /// folder above a member is a member too.
    holding: HashSet<PathBuf>,
    /// Each output folder's real path (or why it has none), resolved once.
    real_roots: HashMap<PathBuf, Result<PathBuf, String>>,
}

impl<'a> Reached<'a> {
    pub(super) fn new(state: &'a State) -> Self {
        Reached {
            state,
            folders: HashMap::new(),
            holding: HashSet::new(),
            real_roots: HashMap::new(),
        }
    }

    /// Remembers where the folder `root/names…` of `listed` really is:
    /// `root/names…` itself when it opened without following a symlink
    /// (`open_error` is `None`), else wherever the symlinks on its way lead. A
    /// folder not on disk, or whose way cannot be followed, holds nothing this
    /// run wrote.
    pub(super) fn note(
        &mut self,
        root: &Path,
        names: &[String],
        listed: &'a ListedFolder,
        open_error: Option<&io::Error>,
    ) {
        if open_error.is_some_and(|error| error.kind() == io::ErrorKind::NotFound) {
            return;
        }
        let Ok(real_root) = self.real_root(root) else {
            return;
        };
        let real = match open_error {
            None => {
                let mut real = real_root;
                real.extend(names);
                real
            }
            Some(_) => {
                let Ok(resolved) = resolve(&real_root, names) else {
                    return;
                };
                // Leading out of every output folder: nothing there is walked, and
                // a link there goes like any other (never followed).
                if !self.inside_an_output(&resolved.real) {
                    return;
                }
                for link in &resolved.links {
                    self.hold(link);
                }
                resolved.real
            }
        };
        self.hold(&real);
        self.folders.entry(real).or_default().push(listed);
    }

    /// Whether `real` lies in (or is) an output folder of the run.
    fn inside_an_output(&mut self, real: &Path) -> bool {
        let roots: Vec<PathBuf> = self.state.outputs.keys().cloned().collect();
        roots.iter().any(|root| {
            self.real_root(root)
                .is_ok_and(|real_root| real.starts_with(real_root))
        })
    }

    fn real_root(&mut self, root: &Path) -> Result<PathBuf, String> {
        self.real_roots
            .entry(root.to_path_buf())
            .or_insert_with(|| {
                std::fs::canonicalize(root)
                    .map_err(|error| format!("cannot tell where `{}` is: {error}", root.display()))
            })
            .clone()
    }

    /// `path` and every folder above it hold something kept.
    fn hold(&mut self, path: &Path) {
        for held in path.ancestors() {
            if !self.holding.insert(held.to_path_buf()) {
                // Its ancestors are members already.
                break;
            }
        }
    }

    /// Whether nothing was noted (the common case): then every entry goes as
    /// its walk decided.
    pub(super) fn is_empty(&self) -> bool {
        self.folders.is_empty()
    }

    /// Whether the entry `root/folder…/name` a walk would remove stays (see
    /// [`Reached::keeps`]). Call it for what is in a folder before the folder.
    pub(super) fn judge(&mut self, root: &Path, folder: &[String], name: &str) -> Judged {
        let real_root = match self.real_root(root) {
            Ok(real_root) => real_root,
            Err(reason) => return Judged::Unknown { reason },
        };
        let mut real = real_root.clone();
        real.extend(folder);
        real.push(name);
        if self.keeps(&real_root, &real) {
            // What holds it stays too.
            self.hold(&real);
            Judged::Stays
        } else {
            Judged::Goes { real }
        }
    }

    /// Whether the entry at `real` (inside `real_root`) stays: it holds something
    /// kept, one of those listings names it, or it lies in a folder one of them
    /// names that the run did not list itself (below `--level`: a folder not read
    /// is never emptied).
    fn keeps(&self, real_root: &Path, real: &Path) -> bool {
        if self.holding.contains(real) || self.named(real) {
            return true;
        }
        real.ancestors()
            .skip(1)
            .take_while(|folder| *folder != real_root)
            .any(|folder| self.named(folder) && !self.listed(folder))
    }

    /// Whether one of those listings names `path` in its folder.
    fn named(&self, path: &Path) -> bool {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let Some(name) = name.to_str() else {
            return false;
        };
        self.folders
            .get(folder)
            .is_some_and(|listed| listed.iter().any(|listed| listed.names(name)))
    }

    /// Whether the run listed the folder at `real` completely, reached through a
    /// symlink or not.
    fn listed(&self, real: &Path) -> bool {
        let complete = |listed: &ListedFolder| listed.listed_at.is_some();
        if self
            .folders
            .get(real)
            .is_some_and(|listed| listed.iter().any(|listed| complete(listed)))
        {
            return true;
        }
        self.real_roots.iter().any(|(root, real_root)| {
            let Ok(real_root) = real_root else {
                return false;
            };
            let Ok(relative) = real.strip_prefix(real_root) else {
                return false;
            };
            let Some(key) = relative
                .iter()
                .map(|name| name.to_str())
                .collect::<Option<Vec<&str>>>()
            else {
                return false;
            };
            self.state
                .outputs
                .get(root)
                .and_then(|folders| folders.get(&key.join("/")))
                .is_some_and(complete)
        })
    }
}
