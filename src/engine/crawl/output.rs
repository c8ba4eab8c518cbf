//! Where a page's plans go: files to the transfers, folders to the frontier, skips
//! to the log, in the order of the page. A page's plans are held back until it is
//! planned, so that `page_listed` (with its counts) comes before the events of its
//! links; a page with more links (or longer ones) than that sends them as they are
//! planned, and `page_listed` comes last.

use tokio::sync::mpsc;
use url::Url;

use crate::engine::crawl::frontier::{Ancestors, Frontier};
use crate::engine::crawl::probe::Discoveries;
use crate::engine::run::Run;
use crate::event::{Event, SkipReason};
use crate::plan::Task;

/// Plans of a page held back until the page is planned, at most.
const HELD_PLANS: usize = 10_000;

/// The URL text the held plans may hold in all.
const HELD_BYTES: usize = 4 * 1024 * 1024;

/// What planning one link gave.
pub(crate) enum Planned {
    File(Task),
    Directory(Url),
    Skip(String, String, SkipReason),
}

impl Planned {
    /// About how much text it holds.
    fn text_bytes(&self) -> usize {
        match self {
            Planned::File(task) => task.url.as_str().len() * 2,
            Planned::Directory(url) => url.as_str().len(),
            Planned::Skip(link, url, _) => link.len() + url.len(),
        }
    }
}

/// Reports `task` as queued (not in a dry run, whose plan is its `Planned` events)
/// and hands it to the transfers; false once the transfers are gone.
pub(crate) async fn hand_over(run: &Run, tasks: &mpsc::Sender<Task>, task: Task) -> bool {
    if !run.options.dry_run {
        run.log.report(Event::Queued {
            url: task.url.to_string(),
            path: task.destination.display().to_string(),
            size: task.listed_size,
        });
    }
    tasks.send(task).await.is_ok()
}

/// Where the plans of one page go.
pub(crate) struct PageOutput<'a> {
    pub(crate) frontier: &'a mut Frontier,
    pub(crate) discoveries: &'a Discoveries,
    pub(crate) tasks: &'a mpsc::Sender<Task>,
    /// The fingerprints of the page's folder and those above it.
    pub(crate) ancestors: &'a Ancestors,
    pub(crate) depth: usize,
    /// Plans held back, while the page is small enough ([`HELD_PLANS`]).
    held: Option<Vec<Planned>>,
    /// The URL text of the held plans, in bytes ([`HELD_BYTES`]).
    held_bytes: usize,
    /// Links of the page, and files among them, for `page_listed`.
    pub(crate) links: usize,
    pub(crate) files: usize,
    /// Whether a link without a slash may be a folder (false for an object
    /// store's listing, which says which of its entries are folders).
    pub(crate) probes: bool,
}

impl<'a> PageOutput<'a> {
    /// The output of a page at `depth`, holding nothing yet.
    pub(crate) fn new(
        frontier: &'a mut Frontier,
        discoveries: &'a Discoveries,
        tasks: &'a mpsc::Sender<Task>,
        ancestors: &'a Ancestors,
        depth: usize,
    ) -> Self {
        PageOutput {
            frontier,
            discoveries,
            tasks,
            ancestors,
            depth,
            held: Some(Vec::new()),
            held_bytes: 0,
            links: 0,
            files: 0,
            probes: true,
        }
    }

    /// Holds `planned` back while the page is small, or sends it on; false once
    /// the transfers are gone.
    pub(crate) async fn hold_or_emit(&mut self, run: &Run, planned: Planned) -> bool {
        if let Some(held) = &mut self.held {
            self.held_bytes += planned.text_bytes();
            if held.len() < HELD_PLANS && self.held_bytes <= HELD_BYTES {
                held.push(planned);
                return true;
            }
            // A big page: what was held goes now, and the rest as it comes.
            for earlier in self.held.take().unwrap_or_default() {
                if !self.emit(run, earlier).await {
                    return false;
                }
            }
        }
        self.emit(run, planned).await
    }

    /// The page is planned: `page_listed`, then what was held back; false once the
    /// transfers are gone.
    pub(crate) async fn finish(&mut self, run: &Run, page: &Url) -> bool {
        run.log.report(Event::PageListed {
            url: page.to_string(),
            links: self.links,
            files: self.files,
        });
        for planned in self.held.take().unwrap_or_default() {
            if !self.emit(run, planned).await {
                return false;
            }
        }
        true
    }

    async fn emit(&mut self, run: &Run, planned: Planned) -> bool {
        match planned {
            Planned::Skip(link, url, reason) => run.log.skipped(link, url, reason),
            Planned::Directory(url) => {
                self.frontier
                    .push_directory(run, url, self.depth + 1, self.ancestors);
            }
            Planned::File(mut task) => {
                if run.options.recursive && self.probes && !task.url.path().ends_with('/') {
                    task.folder_probe = Some(self.discoveries.probe(self.depth, self.ancestors));
                }
                return hand_over(run, self.tasks, task).await;
            }
        }
        true
    }
}
