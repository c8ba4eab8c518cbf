//! The folders of one tree waiting to be read, and those read already (by their
//! normalised spelling), in breadth-first order.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use url::Url;

use crate::engine::crawl::spelling::normalized_directory;
use crate::engine::run::Run;
use crate::event::SkipReason;
use crate::plan::Task;
use crate::select::scope::{Scope, folder_of};

/// Directories deeper than this are not read, whatever `--level` says: a server-side
/// symlink loop whose listings differ slightly must still end.
pub(crate) const MAX_DEPTH: usize = 100;

/// Fingerprints of the listings of the folders above a page, the start page
/// first: a folder that lists exactly what an ancestor lists is a symlink loop on
/// the server (`loop -> .`). Shared by every folder and probe of one page.
pub(crate) type Ancestors = Arc<Vec<Option<u64>>>;

/// A directory waiting to be read.
pub(crate) struct PendingPage {
    pub(crate) url: Url,
    /// 0 for the start page, 1 for its sub-directories...
    pub(crate) depth: usize,
    pub(crate) ancestors: Ancestors,
    /// A link without a slash that answered with a page: read to tell whether it is
    /// a listing; if it is not, this file task is handed to the transfers again.
    pub(crate) as_file: Option<Task>,
    /// A start page read from a `-i` list: its failure is a failed item.
    pub(crate) from_list: bool,
}

/// The pages of one tree to read, and the folders read (or queued) already.
pub(crate) struct Frontier {
    visited: HashSet<String>,
    pub(crate) queue: VecDeque<PendingPage>,
}

impl Frontier {
    /// A tree to crawl from `start` (a URL of a `-i` list if `from_list`).
    pub(crate) fn new(start: &Url, from_list: bool) -> Self {
        Frontier {
            visited: HashSet::from([normalized_directory(start)]),
            queue: VecDeque::from([PendingPage {
                url: start.clone(),
                depth: 0,
                ancestors: Ancestors::default(),
                as_file: None,
                from_list,
            }]),
        }
    }

    /// Records `folder` as read; false if it was read (or queued) already.
    pub(crate) fn admit(&mut self, folder: &Url) -> bool {
        self.visited.insert(normalized_directory(folder))
    }

    /// Queues a sub-directory to read, unless it is too deep or read already.
    pub(crate) fn push_directory(
        &mut self,
        run: &Run,
        directory: Url,
        depth: usize,
        ancestors: &Ancestors,
    ) {
        if depth > MAX_DEPTH {
            run.log.skipped(
                directory.to_string(),
                directory.to_string(),
                SkipReason::TooDeep,
            );
        } else if self.admit(&directory) {
            self.queue.push_back(PendingPage {
                url: directory,
                depth,
                ancestors: Arc::clone(ancestors),
                as_file: None,
                from_list: false,
            });
        }
    }

    /// A sub-directory page that redirected elsewhere is read only if its final URL
    /// is still in scope and was not read already.
    pub(crate) fn directory_target(
        &mut self,
        scope: &Scope,
        requested: &Url,
        served: &Url,
    ) -> DirectoryTarget {
        let normalized = normalized_directory(served);
        if normalized == normalized_directory(requested) {
            return DirectoryTarget::Read;
        }
        if !scope.contains_folder(&folder_of(served)) {
            DirectoryTarget::Outside
        } else if self.visited.insert(normalized) {
            DirectoryTarget::Read
        } else {
            DirectoryTarget::Seen
        }
    }
}

/// What to do with a sub-directory page that may have redirected elsewhere.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DirectoryTarget {
    /// Read it: where it was asked for, or a folder in scope not read yet.
    Read,
    /// A folder in scope read already (symlink loops, `/a` → `/b/`).
    Seen,
    /// Out of the start folder: never read, and reported as skipped.
    Outside,
}
