//! **Folders found by their answer.** Some servers link folders without a trailing
//! slash (mini_httpd: `<A HREF="dir">`). In recursive mode such a link is planned as
//! a file whose task carries a [`FolderProbe`]. If its transfer meets a redirect to
//! `…/`, or a page (HTML, JSON) instead of a file, it returns
//! [`Outcome::Folder`](crate::transfer::Outcome::Folder) and the dispatcher fills the
//! probe. Dropping the probe (when the transfer ends, however it ends) sends what it
//! found back to the crawler over a channel and lowers the tree's count of probes in
//! flight. A tree's crawl ends only when no page is left to read *and* no probe is
//! in flight.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, mpsc};
use url::Url;

use crate::engine::crawl::frontier::Ancestors;
use crate::plan::{FolderFound, Task};

/// What a transfer found out about a link without a trailing slash.
pub(crate) struct Found {
    /// The folder URL (a redirect's target), or the link (an answer that looked
    /// like a listing).
    pub(crate) url: Url,
    pub(crate) redirected: bool,
    /// The file task, without its probe.
    pub(crate) task: Task,
    /// Depth of the page that linked it, and that page's ancestors and own
    /// fingerprint.
    pub(crate) depth: usize,
    pub(crate) ancestors: Ancestors,
}

/// Rides on the task of a link without a trailing slash in recursive mode, and
/// tells the crawler when its transfer found a folder there. Dropped when the
/// transfer is over (or the task is dropped unstarted): until every probe of a tree
/// is dropped, the crawler waits, since a folder may still turn up.
pub(crate) struct FolderProbe {
    found: Mutex<Option<Found>>,
    depth: usize,
    ancestors: Ancestors,
    sender: mpsc::UnboundedSender<Found>,
    outstanding: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

impl std::fmt::Debug for FolderProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderProbe")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl FolderFound for FolderProbe {
    fn found(&self, url: Url, redirected: bool, task: &Task) {
        let mut task = task.clone();
        task.folder_probe = None;
        let found = Found {
            url,
            redirected,
            task,
            depth: self.depth,
            ancestors: Arc::clone(&self.ancestors),
        };
        *self.found.lock().unwrap_or_else(PoisonError::into_inner) = Some(found);
    }
}

impl Drop for FolderProbe {
    fn drop(&mut self) {
        let found = self
            .found
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Sent before the count drops, so a crawler that sees no probe left also
        // sees every folder they found.
        if let Some(found) = found {
            let _ = self.sender.send(found);
        }
        self.outstanding.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_one();
    }
}

/// The folders that transfers of one tree find, and how many transfers could
/// still find one.
pub(crate) struct Discoveries {
    sender: mpsc::UnboundedSender<Found>,
    receiver: mpsc::UnboundedReceiver<Found>,
    outstanding: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

impl Discoveries {
    /// No probe in flight yet.
    pub(crate) fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Discoveries {
            sender,
            receiver,
            outstanding: Arc::default(),
            changed: Arc::default(),
        }
    }

    /// A probe for a link of a page at `depth` under `ancestors`.
    pub(crate) fn probe(&self, depth: usize, ancestors: &Ancestors) -> Arc<FolderProbe> {
        self.outstanding.fetch_add(1, Ordering::SeqCst);
        Arc::new(FolderProbe {
            found: Mutex::new(None),
            depth,
            ancestors: Arc::clone(ancestors),
            sender: self.sender.clone(),
            outstanding: Arc::clone(&self.outstanding),
            changed: Arc::clone(&self.changed),
        })
    }

    /// A folder found already, if any; never waits.
    pub(crate) fn try_next(&mut self) -> Option<Found> {
        self.receiver.try_recv().ok()
    }

    /// The next folder found, or `None` once no transfer of the tree can find one.
    pub(crate) async fn next(&mut self) -> Option<Found> {
        loop {
            if let Ok(found) = self.receiver.try_recv() {
                return Some(found);
            }
            if self.outstanding.load(Ordering::SeqCst) == 0 {
                return self.receiver.try_recv().ok();
            }
            tokio::select! {
                found = self.receiver.recv() => return found,
                () = self.changed.notified() => {}
            }
        }
    }
}
