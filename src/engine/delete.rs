//! `--delete`: once every transfer has ended, the local files that a folder's
//! complete listing no longer names are removed, then the folders that leaves
//! empty. What the listings named is in [`crate::engine::listed`]; how an entry is
//! read and removed without following a symlink is [`crate::disk::prune`]'s.
//!
//! What never goes:
//! - anything, when a listing of the run failed or the run was interrupted (a
//!   folder not read completely cannot tell what is gone);
//! - anything in a folder that was not itself listed completely (below `--level`,
//!   under a failed or skipped folder, another start's);
//! - a file the run's filters leave out (`-A`, `-R`, `--include`, `--exclude`,
//!   sizes and dates, judged on the local file; `--shard`: another share's file);
//! - fetchall's own files (`.fetchall.lock`, partial files, sidecars: every
//!   reserved name, see [`crate::plan::paths::is_reserved`]);
//! - what a listing names where the run really wrote it: through a folder symlink
//!   inside the output folder, or in a folder the listing above does not name
//!   (see [`Reached`]);
//! - devices, pipes and sockets; a folder that still holds something kept.
//!
//! A local folder the listing no longer names is emptied of what may go and then
//! removed, when the crawl would have read it (`-r`, within `--level`).
//! `--max-delete N`: when more than N files would go, none does.

mod reached;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::disk::prune::{Entry, EntryKind, Folder};
use crate::engine::crawl::frontier::MAX_DEPTH;
use crate::engine::listed::{ListedFolder, State};
use crate::engine::options::Options;
use crate::engine::run::Run;
use crate::event::Event;
use crate::plan::paths::is_reserved;
use reached::{Judged, Reached};

/// One entry to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Doomed {
    root: PathBuf,
    /// The folder it is in, relative to `root`.
    folder: Vec<String>,
    name: String,
    /// A folder, removed once empty (after everything in it).
    is_folder: bool,
}

impl Doomed {
    fn path(&self) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(&self.folder);
        path.join(&self.name)
    }
}

/// What the post-pass decided: entries to remove (files before their folders), and
/// folders that could not be read.
#[derive(Default)]
struct Plan {
    doomed: Vec<Doomed>,
    unreadable: Vec<(PathBuf, String)>,
}

/// Removes what the listings of the run no longer name (see the module docs).
pub(crate) async fn delete_unlisted(run: &Arc<Run>) {
    if !run.options.delete {
        return;
    }
    let state = run.listings.take();
    // Interrupted: the listings may be partial; the summary says so.
    if run.cancel.is_cancelled() {
        return;
    }
    if let Some(url) = state.failed {
        let reason = format!(
            "the listing of {url} could not be read completely, so no folder of this run is trusted to say what is gone"
        );
        run.log.report(Event::DeleteHeld { files: 0, reason });
        return;
    }
    let options = run.options.clone();
    let plan = match tokio::task::spawn_blocking(move || plan(&options, &state)).await {
        Ok(plan) => plan,
        Err(error) => {
            let reason = format!("internal error while looking for files to delete: {error}");
            run.log
                .record(Event::DeleteHeld { files: 0, reason }, |summary| {
                    summary.failed += 1
                });
            return;
        }
    };
    for (path, error) in plan.unreadable {
        report_failure(
            run,
            &path,
            format!("cannot read the folder to delete in it: {error}"),
        );
    }
    let files = plan
        .doomed
        .iter()
        .filter(|doomed| !doomed.is_folder)
        .count() as u64;
    if let Some(max) = run.options.max_delete
        && files > max
    {
        let reason = format!(
            "{files} files would be deleted, more than --max-delete {max}; nothing was deleted"
        );
        run.log
            .record(Event::DeleteHeld { files, reason }, |summary| {
                summary.failed += 1
            });
        return;
    }
    let run_for_removal = Arc::clone(run);
    let removal = tokio::task::spawn_blocking(move || remove(&run_for_removal, plan.doomed));
    if let Err(error) = removal.await {
        let reason = format!("internal error while deleting: {error}");
        run.log
            .record(Event::DeleteHeld { files: 0, reason }, |summary| {
                summary.failed += 1
            });
    }
}

/// Removes each doomed entry (or, in a dry run, reports it), one folder handle
/// per folder in turn.
fn remove(run: &Run, doomed: Vec<Doomed>) {
    let dry_run = run.options.dry_run;
    let mut open: Option<(PathBuf, Vec<String>, Folder)> = None;
    for entry in doomed {
        let path = entry.path();
        let event = Event::Deleted {
            path: path.display().to_string(),
            folder: entry.is_folder,
            dry_run,
        };
        if dry_run {
            run.log.record(event, |summary| {
                if !entry.is_folder {
                    summary.deleted += 1;
                }
            });
            continue;
        }
        let reuse = matches!(&open, Some((root, folder, _)) if *root == entry.root && *folder == entry.folder);
        if !reuse {
            match Folder::open(&entry.root, &entry.folder) {
                Ok(folder) => open = Some((entry.root.clone(), entry.folder.clone(), folder)),
                Err(error) => {
                    report_failure(run, &path, format!("cannot delete it: {error}"));
                    open = None;
                    continue;
                }
            }
        }
        let Some((_, _, folder)) = &open else {
            continue;
        };
        let removed = if entry.is_folder {
            folder.remove_empty_folder(&entry.name)
        } else {
            folder.remove_file(&entry.name).map(|()| true)
        };
        match removed {
            Ok(true) => run.log.record(event, |summary| {
                if !entry.is_folder {
                    summary.deleted += 1;
                }
            }),
            // A folder something was written into since: kept.
            Ok(false) => {}
            Err(error) => report_failure(run, &path, format!("cannot delete it: {error}")),
        }
    }
}

fn report_failure(run: &Run, path: &Path, error: String) {
    run.log.record(
        Event::Failed {
            id: None,
            url: String::new(),
            path: path.display().to_string(),
            error,
        },
        |summary| summary.failed += 1,
    );
}

/// Whether the sub-folders of a folder at crawl `depth` are read by this run.
fn reads_subfolders(options: &Options, depth: usize) -> bool {
    options.recursive
        && depth < MAX_DEPTH
        && options.max_level.is_none_or(|level| depth + 1 < level)
}

/// Decides what goes: every folder listed completely, compared with the disk.
fn plan(options: &Options, state: &State) -> Plan {
    let mut plan = Plan::default();
    let mut reached = Reached::new(state);
    let mut roots: Vec<&PathBuf> = state.outputs.keys().collect();
    roots.sort();
    for root in roots {
        let folders = &state.outputs[root];
        let kept = kept_under(root, &options.never_delete);
        let mut keys: Vec<&String> = folders.keys().collect();
        keys.sort();
        for key in keys {
            let listed = &folders[key];
            let names: Vec<String> = key
                .split('/')
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect();
            let Some(depth) = listed.listed_at else {
                // Not listed, yet named by links into it from other pages: no
                // walk of its own keeps what they named (see `Reached`).
                if !names.is_empty() {
                    let opened = Folder::open(root, &names).map(drop);
                    reached.note(root, &names, listed, opened.err().as_ref());
                }
                continue;
            };
            let folder = match Folder::open(root, &names) {
                Ok(folder) => folder,
                // Not on disk (nothing to delete), or behind a symlink (never
                // followed: where it leads is kept, see `Reached`).
                Err(error) => {
                    reached.note(root, &names, listed, Some(&error));
                    continue;
                }
            };
            // Listed, but not named by a listing of the folder above (a link to
            // `a/b/` on a page that does not list `a/`): a walk from above may find
            // it unlisted, and must keep what it lists.
            if let Some((name, above)) = names.split_last()
                && !folders
                    .get(&above.join("/"))
                    .is_some_and(|above| above.listed_at.is_some() && above.names(name))
            {
                reached.note(root, &names, listed, None);
            }
            let walk = Walk {
                options,
                root,
                kept: &kept,
                plan: &mut plan,
            };
            walk.listed(&folder, &names, listed, depth);
        }
    }
    keep_what_is_reached(&mut reached, &mut plan);
    plan
}

/// The paths of `never_delete` that lie under the output folder `root`, relative
/// to it (`logs/manifest.jsonl`): both resolved, as the walk under `root` follows
/// no symlink. A path that does not exist (yet) is nothing to keep.
fn kept_under(root: &Path, never_delete: &[PathBuf]) -> Vec<String> {
    if never_delete.is_empty() {
        return Vec::new();
    }
    let Ok(root) = std::fs::canonicalize(root) else {
        return Vec::new();
    };
    never_delete
        .iter()
        .filter_map(|path| std::fs::canonicalize(path).ok())
        .filter_map(|path| {
            let relative = path.strip_prefix(&root).ok()?;
            let names: Vec<&str> = relative.iter().filter_map(|name| name.to_str()).collect();
            Some(names.join("/"))
        })
        .collect()
}

/// Takes out of `plan` what must stay where the run really wrote it (see
/// [`Reached`]), and the entries met twice. Entries come before their folders in
/// `plan`, so a folder is judged once what is in it is decided.
fn keep_what_is_reached(reached: &mut Reached, plan: &mut Plan) {
    if reached.is_empty() {
        return;
    }
    let doomed = std::mem::take(&mut plan.doomed);
    // A listed folder below an unlisted one is walked twice: from above, and as
    // itself.
    let mut seen = HashSet::new();
    for entry in doomed {
        match reached.judge(&entry.root, &entry.folder, &entry.name) {
            Judged::Stays => {}
            Judged::Goes { real } => {
                if seen.insert(real) {
                    plan.doomed.push(entry);
                }
            }
            // Cannot be compared: it stays, and the user hears why.
            Judged::Unknown { reason } => {
                if !plan.unreadable.iter().any(|(path, _)| *path == entry.root) {
                    plan.unreadable.push((entry.root.clone(), reason));
                }
            }
        }
    }
}

/// The walk of one listed folder and of the unlisted folders under it.
struct Walk<'a> {
    options: &'a Options,
    root: &'a Path,
    /// [`Options::never_delete`] under `root`, as paths relative to it.
    kept: &'a [String],
    plan: &'a mut Plan,
}

impl Walk<'_> {
    /// A folder listed completely at `depth`: each entry its listing does not name
    /// may go.
    fn listed(mut self, folder: &Folder, names: &[String], listed: &ListedFolder, depth: usize) {
        let entries = match folder.entries() {
            Ok(entries) => entries,
            Err(error) => {
                let path = folder.path().to_path_buf();
                self.plan.unreadable.push((path, error.to_string()));
                return;
            }
        };
        for entry in entries {
            if !listed.names(&entry.name) {
                self.entry(folder, names, &entry, depth);
            }
        }
    }

    /// An entry no listing names, in a folder at `depth`: whether it goes (all of
    /// it, for a folder).
    fn entry(&mut self, folder: &Folder, names: &[String], entry: &Entry, depth: usize) -> bool {
        if is_reserved(&entry.name) {
            return false;
        }
        let mut relative = names.join("/");
        if !relative.is_empty() {
            relative.push('/');
        }
        relative.push_str(&entry.name);
        if self.kept.contains(&relative) {
            return false;
        }
        let filters = &self.options.filters;
        let goes = match entry.kind {
            EntryKind::File { size, modified } => {
                filters.check_file(&entry.name, &relative).is_ok()
                    && filters.check_metadata(Some(size), modified).is_ok()
            }
            EntryKind::Symlink => filters.check_file(&entry.name, &relative).is_ok(),
            EntryKind::Folder => {
                reads_subfolders(self.options, depth)
                    && filters.check_directory(&format!("{relative}/")).is_ok()
                    && self.unlisted_folder(folder, names, &entry.name, depth + 1)
            }
            EntryKind::Other => false,
        };
        if goes {
            self.plan.doomed.push(Doomed {
                root: self.root.to_path_buf(),
                folder: names.to_vec(),
                name: entry.name.clone(),
                is_folder: entry.kind == EntryKind::Folder,
            });
        }
        goes
    }

    /// A folder (at `depth`) that no listing names: what in it may go goes; true
    /// when that is everything, so the folder goes too.
    fn unlisted_folder(
        &mut self,
        parent: &Folder,
        names: &[String],
        name: &str,
        depth: usize,
    ) -> bool {
        let folder = match parent.child(name) {
            Ok(folder) => folder,
            Err(error) => {
                let path = parent.path().join(name);
                self.plan.unreadable.push((path, error.to_string()));
                return false;
            }
        };
        let entries = match folder.entries() {
            Ok(entries) => entries,
            Err(error) => {
                let path = folder.path().to_path_buf();
                self.plan.unreadable.push((path, error.to_string()));
                return false;
            }
        };
        let mut inner = names.to_vec();
        inner.push(name.to_string());
        let mut all = true;
        for entry in &entries {
            all &= self.entry(&folder, &inner, entry, depth);
        }
        all
    }
}
