//! The crawler: reads listing pages (the start page, and in recursive mode every
//! sub-directory), decides what each link is, and sends a [`Task`] for every wanted
//! file to the dispatcher as soon as its page is read.
//!
//! Pages are fetched concurrently (a window of prefetches) but planned in a fixed
//! breadth-first order, so duplicate and collision decisions — and `--flat` renames —
//! do not depend on which server answered first.
//!
//! **Folders found by their answer.** Some servers link folders without a trailing
//! slash (mini_httpd: `<A HREF="dir">`). In recursive mode such a link is planned as
//! a file whose task carries a [`FolderProbe`]. If its transfer meets a redirect to
//! `…/`, or a page (HTML, JSON) instead of a file, it returns
//! [`Outcome::Folder`](crate::transfer::Outcome::Folder) and the dispatcher fills the
//! probe. Dropping the probe (when the transfer ends, however it ends) sends what it
//! found back to this crawler over a channel and lowers the tree's count of probes in
//! flight. The crawler reads a folder found this way like any sub-directory (depth,
//! `--level`, `--exclude`, loops, read once whatever its spelling); a page that was
//! answered without a redirect is read first, and if it lists no entries of its own
//! folder it was an HTML file after all and its task goes to the transfers again.
//! A tree's crawl ends only when no page is left to read *and* no probe is in
//! flight. Folders found this way are planned in the order their answers arrive.
//!
//! **Symlink loops.** A folder is judged by its entries: the links, resolved against
//! the page, that lie directly inside it (names and listed sizes), never page chrome.
//! A folder whose entries include a file and equal those of a folder above it on its
//! own path is a loop on the server (`loop -> .`): it is skipped, reported and
//! counted in [`Summary::loops_skipped`](crate::event::Summary::loops_skipped). An
//! empty or folders-only listing proves nothing; the depth cap ends such loops.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use url::Url;

use crate::engine::mirror::Engine;
use crate::error::PageError;
use crate::event::{Event, SkipReason};
use crate::http::redact::error_chain;
use crate::listing::page::Page;
use crate::listing::{Link, fetch_page_with_retries, for_each_json_link, for_each_link};
use crate::plan::paths::{self, RelativePath};
use crate::plan::{Planner, Task};
use crate::select::scope::{Scope, Verdict, folder_of};

/// Listing pages fetched ahead of the one being planned, at least: the window is as
/// wide as `--jobs`, so sibling folders are read together (each fetch still takes a
/// slot of the run and of its host). It also bounds the pages held in memory while
/// they wait.
const MIN_PAGE_PREFETCH: usize = 8;

/// One start URL and where its files go.
pub(crate) struct Start {
    pub url: Url,
    pub output: PathBuf,
}

/// Directories deeper than this are not read, whatever `--level` says: a server-side
/// symlink loop whose listings differ slightly must still end.
const MAX_DEPTH: usize = 100;

/// Fingerprints of the listings of the folders above a page, the start page
/// first: a folder that lists exactly what an ancestor lists is a symlink loop on
/// the server (`loop -> .`). Shared by every folder and probe of one page.
type Ancestors = Arc<Vec<Option<u64>>>;

/// A directory waiting to be read.
struct PendingPage {
    url: Url,
    /// 0 for the start page, 1 for its sub-directories...
    depth: usize,
    ancestors: Ancestors,
    /// A link without a slash that answered with a page: read to tell whether it is
    /// a listing; if it is not, this file task is handed to the transfers again.
    as_file: Option<Task>,
}

/// What a transfer found out about a link without a trailing slash.
struct Found {
    /// The folder URL (a redirect's target), or the link (an answer that looked
    /// like a listing).
    url: Url,
    redirected: bool,
    /// The file task, without its probe.
    task: Task,
    /// Depth of the page that linked it, and that page's ancestors and own
    /// fingerprint.
    depth: usize,
    ancestors: Ancestors,
}

/// Rides on the task of a link without a trailing slash in recursive mode, and
/// tells the crawler when its transfer found a folder there. Dropped when the
/// transfer is over (or the task is dropped unstarted): until every probe of a tree
/// is dropped, the crawler waits, since a folder may still turn up.
pub(crate) struct FolderProbe {
    found: std::sync::Mutex<Option<Found>>,
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

impl FolderProbe {
    /// The transfer of `task` found a folder at `url`.
    pub(crate) fn found(&self, url: Url, redirected: bool, task: &Task) {
        let mut task = task.clone();
        task.folder_probe = None;
        let found = Found {
            url,
            redirected,
            task,
            depth: self.depth,
            ancestors: Arc::clone(&self.ancestors),
        };
        if let Ok(mut slot) = self.found.lock() {
            *slot = Some(found);
        }
    }
}

impl Drop for FolderProbe {
    fn drop(&mut self) {
        let found = self.found.get_mut().ok().and_then(Option::take);
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
struct Discoveries {
    sender: mpsc::UnboundedSender<Found>,
    receiver: mpsc::UnboundedReceiver<Found>,
    outstanding: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

impl Discoveries {
    fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Discoveries {
            sender,
            receiver,
            outstanding: Arc::default(),
            changed: Arc::default(),
        }
    }

    fn probe(&self, depth: usize, ancestors: &Ancestors) -> Arc<FolderProbe> {
        self.outstanding.fetch_add(1, Ordering::SeqCst);
        Arc::new(FolderProbe {
            found: std::sync::Mutex::new(None),
            depth,
            ancestors: Arc::clone(ancestors),
            sender: self.sender.clone(),
            outstanding: Arc::clone(&self.outstanding),
            changed: Arc::clone(&self.changed),
        })
    }

    fn try_next(&mut self) -> Option<Found> {
        self.receiver.try_recv().ok()
    }

    /// The next folder found, or `None` once no transfer of the tree can find one.
    async fn next(&mut self) -> Option<Found> {
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

/// Plans of a page held back until the page is planned, so that `page_listed`
/// (with its counts) comes before the events of its links; a page with more links
/// (or longer ones) than this sends them as they are planned, and `page_listed`
/// comes last.
const HELD_PLANS: usize = 10_000;

/// The URL text the held plans may hold in all.
const HELD_BYTES: usize = 4 * 1024 * 1024;

/// Links handed from the walk over a page's text to the planner at once.
const LINK_BATCH: usize = 256;

/// What planning one link gave.
enum Planned {
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

/// Where a page's plans go: the crawl's queue and the transfers.
struct PageOutput<'a> {
    visited: &'a mut HashSet<String>,
    queue: &'a mut VecDeque<PendingPage>,
    discoveries: &'a Discoveries,
    tasks: &'a mpsc::Sender<Task>,
    ancestors: &'a Ancestors,
    depth: usize,
    /// Plans held back, while the page is small enough ([`HELD_PLANS`]).
    held: Option<Vec<Planned>>,
    /// The URL text of the held plans, in bytes ([`HELD_BYTES`]).
    held_bytes: usize,
    links: usize,
    files: usize,
}

/// A page's text, walked twice on a blocking thread: the tokenizer is CPU work.
struct PageText {
    html: String,
    is_json: bool,
    /// The URL it was served from: links resolve against it.
    served: Url,
}

/// What the first walk over a page finds.
struct Survey {
    entries: Entries,
    /// Links named like checksum files, read before any file of the page is sent.
    checksum_files: Vec<Link>,
    /// Why a page served as JSON is not a JSON listing (cut short, another shape).
    json_error: Option<serde_json::Error>,
}

impl PageText {
    /// Walks the links; a JSON page that is not a JSON listing is an error.
    fn for_each(
        &self,
        each: impl FnMut(Link) -> std::ops::ControlFlow<()>,
    ) -> Result<(), serde_json::Error> {
        if self.is_json {
            for_each_json_link(&self.html, &self.served, each)
        } else {
            for_each_link(&self.html, &self.served, each);
            Ok(())
        }
    }

    fn survey(&self, folder: &Url) -> Survey {
        let mut entries = EntriesBuilder::default();
        let mut checksum_files = Vec::new();
        let read = self.for_each(|link| {
            entries.add(&link, folder);
            if crate::engine::checksum_source::is_checksum_link(&link) {
                checksum_files.push(link);
            }
            std::ops::ControlFlow::Continue(())
        });
        Survey {
            entries: entries.finish(),
            checksum_files,
            json_error: read.err(),
        }
    }

    /// Walks the links on a blocking thread, handing them over in batches; the
    /// walk stops when the receiver is dropped.
    fn walk(self) -> (mpsc::Receiver<Vec<Link>>, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(4);
        let walker = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(LINK_BATCH);
            let mut open = true;
            // The survey has judged the page already: it read the same text.
            let _ = self.for_each(|link| {
                batch.push(link);
                if batch.len() == LINK_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(LINK_BATCH));
                    open = sender.blocking_send(full).is_ok();
                }
                if open {
                    std::ops::ControlFlow::Continue(())
                } else {
                    std::ops::ControlFlow::Break(())
                }
            });
            if open && !batch.is_empty() {
                let _ = sender.blocking_send(batch);
            }
        });
        (receiver, walker)
    }
}

impl Engine {
    /// Crawls every start URL in turn, sending file tasks down `tasks`.
    pub(crate) async fn crawl(self: &Arc<Self>, starts: Vec<Start>, tasks: mpsc::Sender<Task>) {
        let mut planner = Planner::default();
        // Which start URLs are direct links to files: asked all at once (a long `-i`
        // list of downloads must not cost one round trip after another), in order.
        let urls: Vec<Url> = starts.iter().map(|start| start.url.clone()).collect();
        let engine = Arc::clone(self);
        let kinds: Vec<bool> = futures_util::stream::iter(urls)
            .map(move |url| {
                let engine = Arc::clone(&engine);
                async move { engine.start_kind(&url).await == crate::engine::input::StartKind::File }
            })
            .buffered(self.options.jobs.max(1))
            .collect()
            .await;
        for (start, is_file) in starts.into_iter().zip(kinds) {
            if self.cancel.is_cancelled() {
                break;
            }
            // Paths are compared whole: two starts into their own folders never
            // collide, two into one folder do.
            planner.set_output(&start.output);
            if is_file {
                for task in self.plan_start_file(&start.url, &start.output, &mut planner) {
                    self.queued(&task);
                    if tasks.send(task).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            self.crawl_tree(start, &mut planner, &tasks).await;
        }
    }

    async fn crawl_tree(
        self: &Arc<Self>,
        start: Start,
        planner: &mut Planner,
        tasks: &mpsc::Sender<Task>,
    ) {
        let mut visited = HashSet::from([normalized_directory(&start.url)]);
        let mut queue = VecDeque::from([PendingPage {
            url: start.url.clone(),
            depth: 0,
            ancestors: Ancestors::default(),
            as_file: None,
        }]);
        let mut window: VecDeque<(PendingPage, JoinHandle<Result<Page, PageError>>)> =
            VecDeque::new();
        let mut discoveries = Discoveries::new();
        // Known once the start page answers: `/dir` may redirect to `/dir/`.
        let mut scope: Option<Scope> = None;
        let prefetch = self.options.jobs.max(MIN_PAGE_PREFETCH);
        loop {
            if let Some(scope) = &scope {
                while let Some(found) = discoveries.try_next() {
                    self.queue_found(found, scope, planner, &mut visited, &mut queue);
                }
            }
            while window.len() < prefetch
                && let Some(pending) = queue.pop_front()
            {
                let fetch = self.spawn_page_fetch(&pending);
                window.push_back((pending, fetch));
            }
            let Some((mut pending, fetch)) = window.pop_front() else {
                // Nothing left to read, but transfers may still find folders.
                let found = tokio::select! {
                    () = self.cancel.cancelled() => break,
                    found = discoveries.next() => found,
                };
                match (found, &scope) {
                    (Some(found), Some(scope)) => {
                        self.queue_found(found, scope, planner, &mut visited, &mut queue);
                        continue;
                    }
                    _ => break,
                }
            };
            let result = tokio::select! {
                () = self.cancel.cancelled() => break,
                result = fetch => result,
            };
            let page = match result {
                Ok(Ok(page)) => page,
                // Not readable as a page (more than a listing can be, say): the
                // file it was linked as, for the transfers to fetch or fail.
                Ok(Err(_)) if pending.as_file.is_some() => {
                    if let Some(task) = pending.as_file.take() {
                        self.queued(&task);
                        if tasks.send(task).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                Ok(Err(error)) => {
                    self.page_failed(&pending, error_chain(&error));
                    continue;
                }
                Err(error) => {
                    self.page_failed(&pending, error.to_string());
                    continue;
                }
            };
            let scope = scope.get_or_insert_with(|| {
                Scope::new(&page.url, self.options.span_hosts).with_domains(&self.options.domains)
            });
            let Page {
                url: served,
                text: html,
                is_json,
            } = page;
            // The folder whose entries the page lists: a page served at `…/dir`
            // (no slash) lists `…/dir/`.
            let folder = if pending.as_file.is_some() && !served.path().ends_with('/') {
                folder_url(&served)
            } else {
                folder_of(&served)
            };
            // First walk over the links: what the folder holds, and its checksum
            // files. Nothing is kept per link, so a page of millions costs its text.
            let text = PageText {
                html,
                is_json,
                served: served.clone(),
            };
            let survey_folder = folder.clone();
            let surveyed = tokio::task::spawn_blocking(move || {
                let survey = text.survey(&survey_folder);
                (text, survey)
            })
            .await;
            let (text, survey) = match surveyed {
                Ok(surveyed) => surveyed,
                Err(error) => {
                    self.page_failed(&pending, error.to_string());
                    continue;
                }
            };
            // Links are judged against the page; a folder served at `…/dir` is the
            // page `…/dir/`.
            let mut page = Page {
                url: served,
                text: String::new(),
                is_json,
            };
            if let Some(error) = &survey.json_error {
                if let Some(task) = pending.as_file.take() {
                    // A link without a slash that answers JSON that is no listing:
                    // a JSON file, for the transfers to fetch.
                    self.queued(&task);
                    if tasks.send(task).await.is_err() {
                        return;
                    }
                } else {
                    // Never an empty folder: its files would be lost without a word.
                    self.page_failed(
                        &pending,
                        format!("{} is not a readable JSON listing: {error}", page.url),
                    );
                }
                continue;
            }
            if let Some(task) = pending.as_file.take() {
                if survey.entries.count == 0 {
                    // A page, not a listing: the file it is.
                    self.queued(&task);
                    if tasks.send(task).await.is_err() {
                        return;
                    }
                    continue;
                }
                planner.release(&task.relative, &task.url);
                if !scope.contains_folder(&folder) {
                    // `dir` redirected to a listing out of the start folder.
                    self.report_skip(
                        task.url.to_string(),
                        task.url.to_string(),
                        SkipReason::RedirectedOutside(page.url.to_string()),
                    );
                    continue;
                }
                // Read once, whichever spelling came first; rules as for any folder.
                let directory =
                    match self.plan_directory(scope, pending.depth - 1, folder.clone(), planner) {
                        LinkPlan::Directory(directory) => directory,
                        LinkPlan::Skip(url, reason) => {
                            self.report_skip(url.clone(), url, reason);
                            continue;
                        }
                        _ => continue,
                    };
                if !visited.insert(normalized_directory(&directory)) {
                    continue;
                }
                page.url = directory;
            } else if pending.depth > 0 {
                match directory_target(scope, &pending.url, &page.url, &mut visited) {
                    DirectoryTarget::Read => {}
                    DirectoryTarget::Seen => continue,
                    DirectoryTarget::Outside => {
                        // Never dropped without a word: its files are not read.
                        self.report_skip(
                            pending.url.to_string(),
                            pending.url.to_string(),
                            SkipReason::RedirectedOutside(page.url.to_string()),
                        );
                        continue;
                    }
                }
            }
            self.read_listed_checksums(scope, &page.url, &survey.checksum_files)
                .await;
            if survey.entries.is_loop_of(&pending.ancestors) {
                self.count(|summary| {
                    summary.skipped += 1;
                    summary.loops_skipped += 1;
                });
                self.report(Event::Skipped {
                    link: pending.url.to_string(),
                    url: pending.url.to_string(),
                    reason: SkipReason::Loop,
                });
                continue;
            }
            let mut ancestors = pending.ancestors.to_vec();
            ancestors.push(survey.entries.fingerprint);
            let ancestors = Arc::new(ancestors);
            // Second walk: each link planned, and its task sent, as it comes.
            let mut output = PageOutput {
                visited: &mut visited,
                queue: &mut queue,
                discoveries: &discoveries,
                tasks,
                ancestors: &ancestors,
                depth: pending.depth,
                held: Some(Vec::new()),
                held_bytes: 0,
                links: 0,
                files: 0,
            };
            let (mut batches, walker) = text.walk();
            loop {
                let batch = tokio::select! {
                    () = self.cancel.cancelled() => None,
                    batch = batches.recv() => batch,
                };
                let Some(batch) = batch else { break };
                for link in batch {
                    output.links += 1;
                    let planned = match self.plan_link(scope, &page, pending.depth, &link, planner)
                    {
                        LinkPlan::File(url, relative) => {
                            output.files += 1;
                            Planned::File(plan_task(url, relative, &start.output, &link))
                        }
                        LinkPlan::Directory(url) => Planned::Directory(url),
                        LinkPlan::Repeat => continue,
                        LinkPlan::Skip(url, reason) => Planned::Skip(link.href, url, reason),
                    };
                    if !self.hold_or_emit(&mut output, planned).await {
                        return;
                    }
                }
            }
            if self.cancel.is_cancelled() {
                break;
            }
            if !self.finish_output(&mut output, &page.url).await {
                return;
            }
            // A walk that broke off (a panic) read part of the page: a failure,
            // never a silently shorter listing.
            if let Err(error) = walker.await {
                self.page_failed(&pending, format!("reading the links failed: {error}"));
            }
        }
        for (_, fetch) in window {
            fetch.abort();
        }
    }

    /// Starts fetching a listing page: it takes a slot of the run and of its host
    /// while it runs, as a transfer does.
    fn spawn_page_fetch(
        self: &Arc<Self>,
        pending: &PendingPage,
    ) -> JoinHandle<Result<Page, PageError>> {
        let client = self.client.clone();
        let url = pending.url.clone();
        let timeout = self.options.read_timeout;
        let policy = self.options.retry;
        let cancel = self.cancel.clone();
        let retry_refused = pending.depth > 0;
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            let _slot = engine.slots_for(&url).take().await;
            engine
                .spacing
                .wait(url.host_str().unwrap_or_default())
                .await;
            fetch_page_with_retries(&client, &url, timeout, policy, retry_refused, &cancel).await
        })
    }

    fn report_skip(&self, link: String, url: String, reason: SkipReason) {
        self.count(|summary| summary.skipped += 1);
        self.report(Event::Skipped { link, url, reason });
    }

    /// Queues a sub-directory to read, unless it is too deep or read already.
    fn queue_directory(
        &self,
        directory: Url,
        depth: usize,
        ancestors: &Ancestors,
        visited: &mut HashSet<String>,
        queue: &mut VecDeque<PendingPage>,
    ) {
        if depth > MAX_DEPTH {
            self.report_skip(
                directory.to_string(),
                directory.to_string(),
                SkipReason::TooDeep,
            );
        } else if visited.insert(normalized_directory(&directory)) {
            queue.push_back(PendingPage {
                url: directory,
                depth,
                ancestors: Arc::clone(ancestors),
                as_file: None,
            });
        }
    }

    /// A link without a slash turned out to be a folder (a redirect to `…/`), or may
    /// be one (it answered with a page): it is read like any sub-directory.
    fn queue_found(
        &self,
        found: Found,
        scope: &Scope,
        planner: &mut Planner,
        visited: &mut HashSet<String>,
        queue: &mut VecDeque<PendingPage>,
    ) {
        let Found {
            url,
            redirected,
            task,
            depth,
            ancestors,
        } = found;
        if !redirected {
            // Read first: only its entries tell a listing from an HTML file.
            if depth < MAX_DEPTH {
                queue.push_back(PendingPage {
                    url,
                    depth: depth + 1,
                    ancestors,
                    as_file: Some(task),
                });
            } else {
                self.report_skip(task.url.to_string(), url.to_string(), SkipReason::TooDeep);
            }
            return;
        }
        planner.release(&task.relative, &task.url);
        if !scope.contains_folder(&url) {
            self.report_skip(
                task.url.to_string(),
                url.to_string(),
                SkipReason::OutsideStart,
            );
            return;
        }
        match self.plan_directory(scope, depth, url, planner) {
            LinkPlan::Directory(directory) => {
                self.queue_directory(directory, depth + 1, &ancestors, visited, queue);
            }
            LinkPlan::Skip(url, reason) => self.report_skip(task.url.to_string(), url, reason),
            LinkPlan::File(..) | LinkPlan::Repeat => {}
        }
    }

    fn page_failed(&self, pending: &PendingPage, error: String) {
        // A start page that fails is a usage-level failure (exit 2); a sub-directory,
        // or a page of a `-i` list, that fails is one failure among the files (exit 1).
        self.count(|summary| {
            if pending.depth == 0 && !self.is_list_url(&pending.url) {
                summary.pages_failed += 1;
            } else {
                summary.failed += 1;
            }
        });
        self.report(Event::PageFailed {
            url: pending.url.to_string(),
            error,
        });
    }

    /// Holds `planned` back while the page is small, or sends it on; false once
    /// the transfers are gone.
    async fn hold_or_emit(&self, output: &mut PageOutput<'_>, planned: Planned) -> bool {
        if let Some(held) = &mut output.held {
            output.held_bytes += planned.text_bytes();
            if held.len() < HELD_PLANS && output.held_bytes <= HELD_BYTES {
                held.push(planned);
                return true;
            }
            // A big page: what was held goes now, and the rest as it comes.
            for earlier in output.held.take().unwrap_or_default() {
                if !self.emit(output, earlier).await {
                    return false;
                }
            }
        }
        self.emit(output, planned).await
    }

    /// The page is planned: `page_listed`, then what was held back.
    async fn finish_output(&self, output: &mut PageOutput<'_>, page: &Url) -> bool {
        self.report(Event::PageListed {
            url: page.to_string(),
            links: output.links,
            files: output.files,
        });
        for planned in output.held.take().unwrap_or_default() {
            if !self.emit(output, planned).await {
                return false;
            }
        }
        true
    }

    async fn emit(&self, output: &mut PageOutput<'_>, planned: Planned) -> bool {
        match planned {
            Planned::Skip(link, url, reason) => self.report_skip(link, url, reason),
            Planned::Directory(url) => self.queue_directory(
                url,
                output.depth + 1,
                output.ancestors,
                output.visited,
                output.queue,
            ),
            Planned::File(mut task) => {
                if self.options.recursive && !task.url.path().ends_with('/') {
                    task.folder_probe =
                        Some(output.discoveries.probe(output.depth, output.ancestors));
                }
                self.queued(&task);
                return output.tasks.send(task).await.is_ok();
            }
        }
        true
    }

    fn plan_link(
        &self,
        scope: &Scope,
        page: &Page,
        depth: usize,
        link: &Link,
        planner: &mut Planner,
    ) -> LinkPlan {
        let resolved = match &link.url {
            Ok(url) => url,
            Err(error) => {
                return LinkPlan::Skip(
                    link.href.clone(),
                    SkipReason::InvalidUrl(error.to_string()),
                );
            }
        };
        let url = match scope.classify(&link.href, resolved, &page.url) {
            // `dir` beside `dir/`, already planned as a folder: the same folder.
            Verdict::File(url)
                if self.options.recursive
                    && url.query().is_none()
                    && planner.has_url(&folder_url(&url)) =>
            {
                return LinkPlan::Repeat;
            }
            Verdict::File(url) => url,
            Verdict::Directory(url) => return self.plan_directory(scope, depth, url, planner),
            Verdict::Skip(reason) => return LinkPlan::Skip(resolved.to_string(), reason),
        };
        let mapped = paths::path_under(scope.start_dir(), &url)
            .unwrap_or_else(|| paths::file_name_only(&url))
            .and_then(|relative| match url.query() {
                Some(query) => relative.with_query(query),
                None => Ok(relative),
            });
        let mirrored = match mapped {
            Ok(relative) => relative,
            Err(why) => {
                return LinkPlan::Skip(url.to_string(), SkipReason::UnsafePath(why.to_string()));
            }
        };
        let name = mirrored.names().last().cloned().unwrap_or_default();
        if let Err(reason) = self
            .filters
            .check_file(&name, &mirrored.to_string())
            .and_then(|()| self.filters.check_listed(link.size, link.modified))
        {
            return LinkPlan::Skip(url.to_string(), reason);
        }
        let relative = if self.options.flat {
            match paths::relative_path_from_segments([name.as_str()]) {
                Ok(relative) => relative,
                Err(why) => {
                    return LinkPlan::Skip(
                        url.to_string(),
                        SkipReason::UnsafePath(why.to_string()),
                    );
                }
            }
        } else {
            mirrored
        };
        match planner.admit(&url, &relative) {
            Ok(()) => LinkPlan::File(url, relative),
            // A link repeated on a page (icon and name both link the file) is normal.
            Err(SkipReason::Duplicate) => LinkPlan::Repeat,
            Err(SkipReason::Collision(other)) if self.options.flat => {
                self.rename_for_flat(url, &relative, other, planner)
            }
            Err(reason) => LinkPlan::Skip(url.to_string(), reason),
        }
    }

    fn plan_directory(
        &self,
        scope: &Scope,
        depth: usize,
        url: Url,
        planner: &mut Planner,
    ) -> LinkPlan {
        if !planner.is_new_url(&url) {
            return LinkPlan::Repeat;
        }
        if !self.options.recursive {
            return LinkPlan::Skip(url.to_string(), SkipReason::Directory);
        }
        // `--level N` as in wget: files of the start page are level 1, so the
        // directories read are those above depth N.
        if self
            .options
            .max_level
            .is_some_and(|level| depth + 1 >= level)
        {
            return LinkPlan::Skip(url.to_string(), SkipReason::TooDeep);
        }
        let relative = url
            .path()
            .strip_prefix(scope.start_dir().path())
            .unwrap_or_default();
        let decoded = percent_encoding::percent_decode_str(relative).decode_utf8_lossy();
        if let Err(reason) = self.filters.check_directory(&decoded) {
            return LinkPlan::Skip(url.to_string(), reason);
        }
        // `dir` linked earlier without its slash was taken for a file: it is this
        // folder, and its files go under `dir/`.
        let mut as_file = url.clone();
        as_file.set_path(url.path().trim_end_matches('/'));
        if let Some(Ok(path)) = paths::path_under(scope.start_dir(), &as_file) {
            planner.release(&path, &as_file);
        }
        LinkPlan::Directory(url)
    }

    /// `--flat`: a second file with a name already taken becomes `name (2).ext`,
    /// `name (3).ext`... Decided in crawl order, which is deterministic.
    fn rename_for_flat(
        &self,
        url: Url,
        taken: &RelativePath,
        other: String,
        planner: &mut Planner,
    ) -> LinkPlan {
        let name = taken.to_string();
        let (stem, extension) = split_extension(&name);
        for counter in 2..1000 {
            let candidate = format!("{stem} ({counter}){extension}");
            let Ok(relative) = paths::relative_path_from_segments([candidate.as_str()]) else {
                break;
            };
            let admitted = planner.admit(&url, &relative);
            // Renamed already, from an earlier link to the same URL.
            if admitted == Err(SkipReason::Duplicate) {
                return LinkPlan::Repeat;
            }
            if admitted.is_ok() {
                self.report(Event::Renamed {
                    url: url.to_string(),
                    path: relative.to_string(),
                    taken_by: other,
                });
                return LinkPlan::File(url, relative);
            }
        }
        LinkPlan::Skip(url.to_string(), SkipReason::Collision(other))
    }
}

/// What to do with a sub-directory page that may have redirected elsewhere.
#[derive(Debug, PartialEq, Eq)]
enum DirectoryTarget {
    /// Read it: where it was asked for, or a folder in scope not read yet.
    Read,
    /// A folder in scope read already (symlink loops, `/a` → `/b/`).
    Seen,
    /// Out of the start folder: never read, and reported as skipped.
    Outside,
}

/// A sub-directory page that redirected elsewhere is read only if its final URL is
/// still in scope and was not read already.
fn directory_target(
    scope: &Scope,
    requested: &Url,
    served: &Url,
    visited: &mut HashSet<String>,
) -> DirectoryTarget {
    let normalized = normalized_directory(served);
    if normalized == normalized_directory(requested) {
        return DirectoryTarget::Read;
    }
    if !scope.contains_folder(&folder_of(served)) {
        DirectoryTarget::Outside
    } else if visited.insert(normalized) {
        DirectoryTarget::Read
    } else {
        DirectoryTarget::Seen
    }
}

/// What a listing says of its own folder: its entries are the links that lie
/// directly inside that folder (resolved against the page, so relative,
/// root-relative and absolute hrefs count alike), by name (escapes normalised, a
/// query kept) and listed size. Page chrome is never an entry: other schemes
/// (`javascript:`), sort links on the folder itself (`?C=N;O=D`), links elsewhere
/// (icons, parents, other hosts, deeper paths).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entries {
    /// Entries seen (a name linked twice, icon and text, counts twice).
    count: usize,
    /// A hash of the entries, independent of their order, when at least one of them
    /// is a file: folders-only listings prove nothing (`data/data/` holding only
    /// `data/` is ordinary nesting; the depth cap still ends a loop of them).
    fingerprint: Option<u64>,
}

impl Entries {
    /// A proven symlink loop: entries with files, equal to those of a folder above
    /// it on its own path. An empty folder, or one whose entries differ from every
    /// ancestor's, is never a loop; siblings are not ancestors.
    fn is_loop_of(&self, ancestors: &[Option<u64>]) -> bool {
        self.fingerprint.is_some() && ancestors.contains(&self.fingerprint)
    }
}

/// Adds up a listing's [`Entries`] link by link.
#[derive(Default)]
struct EntriesBuilder {
    count: usize,
    sum: u64,
    has_files: bool,
}

impl EntriesBuilder {
    fn add(&mut self, link: &Link, folder: &Url) {
        use std::hash::{Hash, Hasher};
        let Ok(url) = &link.url else { return };
        let Some(name) = entry_name(url, folder) else {
            return;
        };
        self.count += 1;
        let is_folder = name.ends_with('/');
        self.has_files |= !is_folder;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut hasher);
        link.size
            .filter(|_| !is_folder)
            .map(|size| (size.low, size.high))
            .hash(&mut hasher);
        // A sum is the same whatever the order the server lists them in.
        self.sum = self.sum.wrapping_add(hasher.finish());
    }

    fn finish(self) -> Entries {
        Entries {
            count: self.count,
            fingerprint: self.has_files.then_some(self.sum),
        }
    }
}

#[cfg(test)]
fn listing_entries(links: &[Link], folder: &Url) -> Entries {
    let mut entries = EntriesBuilder::default();
    for link in links {
        entries.add(link, folder);
    }
    entries.finish()
}

/// The name of `url` inside `folder` (`a.txt`, `sub/`, `get?id=1`), if it lies
/// directly inside it.
fn entry_name(url: &Url, folder: &Url) -> Option<String> {
    if url.scheme() != folder.scheme()
        || url.host() != folder.host()
        || url.port_or_known_default() != folder.port_or_known_default()
    {
        return None;
    }
    let name = url.path().strip_prefix(folder.path())?;
    if name.is_empty() || name.trim_end_matches('/').contains('/') || name.starts_with('/') {
        return None;
    }
    let mut name = normalize_escapes(name);
    if let Some(query) = url.query() {
        name.push('?');
        name.push_str(query);
    }
    Some(name)
}

/// `…/dir` as the folder `…/dir/`, without query or fragment.
fn folder_url(url: &Url) -> Url {
    let mut folder = url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    if !folder.path().ends_with('/') {
        let path = format!("{}/", folder.path());
        folder.set_path(&path);
    }
    folder
}

enum LinkPlan {
    File(Url, RelativePath),
    Directory(Url),
    Repeat,
    Skip(String, SkipReason),
}

/// The task for a file link, carrying what its listing says of it.
fn plan_task(url: Url, relative: RelativePath, output: &Path, link: &Link) -> Task {
    Task {
        listed_size: link.size.and_then(|size| size.exact_bytes()),
        listed_modified: link.modified,
        ..Task::new(url, relative, output)
    }
}

/// `a.tar.gz` → (`a`, `.tar.gz`) would surprise nobody, but `v1.2.zip` → (`v1.2`,
/// `.zip`) is what people expect of a rename, so only the last extension is kept.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(index) if index > 0 => name.split_at(index),
        _ => (name, ""),
    }
}

/// A directory URL in a canonical form, so the same folder reached by different
/// spellings is read once: percent-escapes of unreserved characters decoded, the
/// others upper-cased; `index.html` and a missing trailing slash ignored; no query
/// or fragment.
pub fn normalized_directory(url: &Url) -> String {
    let mut path = normalize_escapes(url.path());
    for index_name in ["index.html", "index.htm"] {
        if let Some(stripped) = path.strip_suffix(index_name)
            && stripped.ends_with('/')
        {
            path = stripped.to_string();
        }
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!(
        "{}://{}:{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default(),
        path
    )
}

fn normalize_escapes(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2]))
        {
            let byte = high * 16 + low;
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
            index += 3;
        } else {
            out.push(bytes[index] as char);
            index += 1;
        }
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_spellings_normalize_to_one_form() {
        let normal = |text: &str| normalized_directory(&Url::parse(text).expect("test URL"));
        let canonical = normal("http://h/a%20b/c/");
        assert_eq!(normal("http://h/a%20b/c"), canonical);
        assert_eq!(normal("http://h/a%20b/c/index.html"), canonical);
        assert_eq!(normal("http://H:80/a%20b/%63/"), canonical);
        assert_eq!(normal("http://h/a%20b/c/?C=N;O=D"), canonical);
        assert_ne!(normal("http://h/a%20b/d/"), canonical);
        assert_eq!(normal("http://h/x%2fy/"), normal("http://h/x%2Fy/"));
    }

    fn entries_of(html: &str, page: &str) -> Entries {
        let page = Url::parse(page).expect("test URL");
        listing_entries(
            &crate::listing::extract_links(html, &page),
            &folder_of(&page),
        )
    }

    #[test]
    fn entries_are_the_links_directly_inside_the_folder_whatever_their_spelling() {
        let chrome = r#"<a href="javascript:void(0)">theme</a><a href="?sort=name">n</a>
            <a href="/?sort=size">s</a><a href="/__internal/style.css">css</a>
            <a href="../">up</a><a href="/">root</a><a href="http://other/x.txt">x</a>
            <a href="mailto:a@b">m</a><a href="./">self</a><a href="sub/deeper/f">d</a>"#;
        assert_eq!(entries_of(chrome, "http://h/pub/a/"), Entries::default());
        let relative = entries_of(
            &format!(r#"{chrome}<a href="f.txt">f</a><a href="sub/">s</a>"#),
            "http://h/pub/a/",
        );
        let absolute = entries_of(
            r#"<a href="/pub/b/sub/">s</a><a href="http://h/pub/b/f.txt">f</a>"#,
            "http://h/pub/b/",
        );
        let escaped = entries_of(
            r#"<a href="%66.txt">f</a><a href="/pub/c/sub/">s</a>"#,
            "http://h/pub/c/index.html",
        );
        assert_eq!(relative.count, 2);
        assert!(relative.fingerprint.is_some());
        assert_eq!(relative, absolute, "order and spelling do not matter");
        assert_eq!(relative, escaped);
        // Folders only: no proof of a loop.
        assert_eq!(
            entries_of(r#"<a href="data/">d</a>"#, "http://h/data/").fingerprint,
            None
        );
        assert!(!Entries::default().is_loop_of(&[None]));
        assert!(relative.is_loop_of(&[None, absolute.fingerprint]));
        assert!(!relative.is_loop_of(&[None]));
    }

    #[test]
    fn listed_sizes_tell_entries_apart() {
        let small = entries_of(
            "<pre><a href=\"f.txt\">f</a>  04-Mar-2021 05:06  10\n</pre>",
            "http://h/a/",
        );
        let large = entries_of(
            "<pre><a href=\"f.txt\">f</a>  04-Mar-2021 05:06  20\n</pre>",
            "http://h/b/",
        );
        assert_ne!(small.fingerprint, large.fingerprint);
    }

    #[test]
    fn flat_renames_keep_the_last_extension() {
        assert_eq!(split_extension("v1.2.zip"), ("v1.2", ".zip"));
        assert_eq!(split_extension("README"), ("README", ""));
        assert_eq!(split_extension(".hidden"), (".hidden", ""));
    }
}
