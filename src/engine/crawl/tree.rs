//! The crawl of one tree: its pages fetched concurrently (a window of prefetches)
//! but read in a fixed breadth-first order, so duplicate and collision decisions —
//! and `--flat` renames — do not depend on which server answered first; and the
//! folders its transfers find, read like any sub-directory in the order their
//! answers arrive.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::crawl::frontier::{Frontier, MAX_DEPTH, PendingPage};
use crate::engine::crawl::links::{LinkPlan, plan_directory};
use crate::engine::crawl::output::hand_over;
use crate::engine::crawl::page::{Flow, Tree, page_failed, read_page};
use crate::engine::crawl::probe::{Discoveries, Found};
use crate::engine::run::Run;
use crate::engine::starts::Start;
use crate::error::PageError;
use crate::event::SkipReason;
use crate::http::redact::error_chain;
use crate::listing::bucket_fetch::{BucketTree, PageFetch, fetch_listing};
use crate::listing::page::Page;
use crate::plan::{Planner, Task};
use crate::select::scope::Scope;

/// Listing pages fetched ahead of the one being planned, at least: the window is as
/// wide as `--jobs`, so sibling folders are read together (each fetch still takes a
/// slot of the run and of its host). It also bounds the pages held in memory while
/// they wait.
const MIN_PAGE_PREFETCH: usize = 8;

/// A page being fetched, ahead of its turn.
type Prefetch = (PendingPage, JoinHandle<Result<Page, PageError>>);

/// Crawls the tree of the start page `start`, sending file tasks down `tasks`.
pub(crate) async fn crawl_tree(
    run: &Arc<Run>,
    start: &Start,
    planner: &mut Planner,
    tasks: &mpsc::Sender<Task>,
) {
    let mut tree = Tree {
        run,
        output: &start.output,
        planner,
        tasks,
        frontier: Frontier::new(&start.url, start.from_list),
        discoveries: Discoveries::new(),
    };
    let mut window: VecDeque<Prefetch> = VecDeque::new();
    // Known once the start page answers: `/dir` may redirect to `/dir/`.
    let mut scope: Option<Scope> = None;
    let prefetch = run.options.jobs.max(MIN_PAGE_PREFETCH);
    // Known once a page answers as an object-store listing: the folders under
    // its root are then listed by the store.
    let mut bucket: Option<Arc<BucketTree>> = None;
    loop {
        if let Some(scope) = &scope {
            while let Some(found) = tree.discoveries.try_next() {
                queue_found(&mut tree, scope, found);
            }
        }
        while window.len() < prefetch
            && let Some(pending) = tree.frontier.queue.pop_front()
        {
            let fetch = spawn_page_fetch(run, &pending, bucket.clone());
            window.push_back((pending, fetch));
        }
        let Some((mut pending, fetch)) = window.pop_front() else {
            // Nothing left to read, but transfers may still find folders.
            let found = tokio::select! {
                () = run.cancel.cancelled() => break,
                found = tree.discoveries.next() => found,
            };
            match (found, &scope) {
                (Some(found), Some(scope)) => {
                    queue_found(&mut tree, scope, found);
                    continue;
                }
                _ => break,
            }
        };
        let fetched = tokio::select! {
            () = run.cancel.cancelled() => break,
            fetched = fetch => fetched,
        };
        let page = match fetched_page(&mut tree, &mut pending, fetched).await {
            Ok(page) => page,
            Err(Flow::Next) => continue,
            Err(Flow::Stop) => break,
        };
        // A bucket found on the way (linked from an HTML page) is walked the same.
        if let Some(found) = &page.bucket {
            bucket.get_or_insert_with(|| Arc::new(found.clone()));
        }
        let scope = scope.get_or_insert_with(|| {
            Scope::new(&page.url, run.options.span_hosts).with_domains(&run.options.domains)
        });
        if read_page(&mut tree, scope, pending, page).await == Flow::Stop {
            break;
        }
    }
    for (_, fetch) in window {
        fetch.abort();
    }
}

/// The page a fetch gave; or, when there is none to read (reported, or handed to
/// the transfers as the file it was linked as), how the crawl goes on.
async fn fetched_page(
    tree: &mut Tree<'_>,
    pending: &mut PendingPage,
    fetched: Result<Result<Page, PageError>, tokio::task::JoinError>,
) -> Result<Page, Flow> {
    match fetched {
        Ok(Ok(page)) => Ok(page),
        // Not readable as a page (more than a listing can be, say): the file it
        // was linked as, for the transfers to fetch or fail.
        Ok(Err(_)) if pending.as_file.is_some() => {
            let sent = match pending.as_file.take() {
                Some(task) => hand_over(tree.run, tree.tasks, task).await,
                None => true,
            };
            Err(Flow::sent(sent))
        }
        Ok(Err(error)) => {
            page_failed(tree.run, pending, error_chain(&error));
            Err(Flow::Next)
        }
        Err(error) => {
            page_failed(tree.run, pending, error.to_string());
            Err(Flow::Next)
        }
    }
}

/// Starts fetching a listing page: it takes a slot of the run and of its host
/// while it runs, as a transfer does.
fn spawn_page_fetch(
    run: &Arc<Run>,
    pending: &PendingPage,
    bucket: Option<Arc<BucketTree>>,
) -> JoinHandle<Result<Page, PageError>> {
    let url = pending.url.clone();
    // A refused connection is retried for a sub-directory, never for a start page.
    let retry_refused = pending.depth > 0;
    let run = Arc::clone(run);
    tokio::spawn(async move {
        let _slot = run.slots_for(&url).take().await;
        run.spacing.wait(url.host_str().unwrap_or_default()).await;
        let fetch = PageFetch {
            client: &run.client,
            read_timeout: run.options.read_timeout,
            policy: run.options.retry,
            retry_refused,
            cancel: &run.cancel,
            webdav: run.options.webdav,
            ftp: &run.ftp,
        };
        fetch_listing(&fetch, &url, bucket.as_deref()).await
    })
}

/// A link without a slash turned out to be a folder (a redirect to `…/`), or may
/// be one (it answered with a page): it is read like any sub-directory.
fn queue_found(tree: &mut Tree<'_>, scope: &Scope, found: Found) {
    let run = tree.run;
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
            tree.frontier.queue.push_back(PendingPage {
                url,
                depth: depth + 1,
                ancestors,
                as_file: Some(task),
                from_list: false,
            });
        } else {
            run.log
                .skipped(task.url.to_string(), url.to_string(), SkipReason::TooDeep);
        }
        return;
    }
    tree.planner.release(&task.relative, &task.url);
    if !scope.contains_folder(&url) {
        run.log.skipped(
            task.url.to_string(),
            url.to_string(),
            SkipReason::OutsideStart,
        );
        return;
    }
    match plan_directory(run, scope, depth, url, tree.planner) {
        LinkPlan::Directory(directory) => {
            tree.frontier
                .push_directory(run, directory, depth + 1, &ancestors);
        }
        LinkPlan::Skip(url, reason) => run.log.skipped(task.url.to_string(), url, reason),
        LinkPlan::File(..) | LinkPlan::Repeat => {}
    }
}
