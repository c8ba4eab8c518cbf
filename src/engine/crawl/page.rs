//! Reading one fetched listing page: what folder it lists (and whether that is a
//! folder to read at all: a redirect out of scope, a loop, a link without a slash
//! that was an HTML file after all), its checksum files first, then each link
//! planned and sent on as it comes.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use url::Url;

use crate::engine::checksums::read_listed_checksums;
use crate::engine::crawl::frontier::{Ancestors, DirectoryTarget, Frontier, PendingPage};
use crate::engine::crawl::links::{LinkPlan, plan_directory, plan_link, plan_task};
use crate::engine::crawl::output::{PageOutput, Planned, hand_over};
use crate::engine::crawl::page_text::{PageText, Survey};
use crate::engine::crawl::probe::Discoveries;
use crate::engine::crawl::spelling::folder_url;
use crate::engine::run::Run;
use crate::event::{Event, SkipReason};
use crate::listing::page::Page;
use crate::plan::{Planner, Task};
use crate::select::scope::{Scope, folder_of};

/// The crawl of one tree (one start URL and its sub-directories).
pub(crate) struct Tree<'a> {
    pub(crate) run: &'a Arc<Run>,
    /// The output folder its files go under.
    pub(crate) output: &'a Path,
    pub(crate) planner: &'a mut Planner,
    pub(crate) tasks: &'a mpsc::Sender<Task>,
    pub(crate) frontier: Frontier,
    pub(crate) discoveries: Discoveries,
}

/// Whether the crawl of a tree goes on after a page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// On to the next page.
    Next,
    /// Stop: the run is cancelled, or the transfers are gone.
    Stop,
}

impl Flow {
    /// `Next` while the transfers take tasks (`sent`), else `Stop`.
    pub(crate) fn sent(sent: bool) -> Flow {
        if sent { Flow::Next } else { Flow::Stop }
    }
}

/// Reads the fetched `page` of `pending`: judges it, then plans its links.
pub(crate) async fn read_page(
    tree: &mut Tree<'_>,
    scope: &Scope,
    mut pending: PendingPage,
    page: Page,
) -> Flow {
    let run = Arc::clone(tree.run);
    let Page {
        url: served,
        text: body,
        is_json,
        listed,
        ..
    } = page;
    // The folder whose entries the page lists: a page served at `…/dir` (no slash)
    // lists `…/dir/`.
    let folder = if pending.as_file.is_some() && !served.path().ends_with('/') {
        folder_url(&served)
    } else {
        folder_of(&served)
    };
    // First walk over the links: what the folder holds, and its checksum files.
    let mut text = PageText::new(body, is_json, listed, served.clone());
    let survey_folder = folder.clone();
    let surveyed = tokio::task::spawn_blocking(move || {
        let survey = text.survey(&survey_folder);
        (text, survey)
    })
    .await;
    let (text, survey) = match surveyed {
        Ok(surveyed) => surveyed,
        Err(error) => {
            page_failed(&run, &pending, error.to_string());
            return Flow::Next;
        }
    };
    // Links are judged against the page; a folder served at `…/dir` is the page
    // `…/dir/`.
    let page_url = match judge(tree, scope, &mut pending, &survey, folder, served).await {
        Judged::Read(page_url) => page_url,
        Judged::Done(flow) => return flow,
    };
    read_listed_checksums(&run, scope, &page_url, &survey.checksum_files).await;
    if survey.entries.is_loop_of(&pending.ancestors) {
        let url = pending.url.to_string();
        run.log.skipped(url.clone(), url, SkipReason::Loop);
        return Flow::Next;
    }
    let mut ancestors = pending.ancestors.to_vec();
    ancestors.push(survey.entries.fingerprint);
    plan_links(tree, scope, &pending, &page_url, text, Arc::new(ancestors)).await
}

/// What a page turned out to be.
enum Judged {
    /// A folder to read, with the URL its links are judged against.
    Read(Url),
    /// Nothing to read there (reported already): go on, or stop.
    Done(Flow),
}

/// Whether the page of `pending`, served at `served` and listing `folder`, is a
/// folder to read: a page that is no listing was the file its link named, a
/// redirect may lead out of scope or to a folder read already.
async fn judge(
    tree: &mut Tree<'_>,
    scope: &Scope,
    pending: &mut PendingPage,
    survey: &Survey,
    folder: Url,
    served: Url,
) -> Judged {
    let run = tree.run;
    if let Some(error) = &survey.json_error {
        if let Some(task) = pending.as_file.take() {
            // A link without a slash that answers JSON that is no listing: a JSON
            // file, for the transfers to fetch.
            return Judged::Done(Flow::sent(hand_over(run, tree.tasks, task).await));
        }
        // Never an empty folder: its files would be lost without a word.
        let error = format!("{served} is not a readable JSON listing: {error}");
        page_failed(run, pending, error);
        return Judged::Done(Flow::Next);
    }
    if let Some(task) = pending.as_file.take() {
        if survey.entries.count == 0 {
            // A page, not a listing: the file it is.
            return Judged::Done(Flow::sent(hand_over(run, tree.tasks, task).await));
        }
        tree.planner.release(&task.relative, &task.url);
        if !scope.contains_folder(&folder) {
            // `dir` redirected to a listing out of the start folder.
            let reason = SkipReason::RedirectedOutside(served.to_string());
            run.log
                .skipped(task.url.to_string(), task.url.to_string(), reason);
            return Judged::Done(Flow::Next);
        }
        // Read once, whichever spelling came first; rules as for any folder.
        let depth = pending.depth - 1;
        return match plan_directory(run, scope, depth, folder, tree.planner) {
            LinkPlan::Directory(directory) if tree.frontier.admit(&directory) => {
                Judged::Read(directory)
            }
            LinkPlan::Skip(url, reason) => {
                run.log.skipped(url.clone(), url, reason);
                Judged::Done(Flow::Next)
            }
            _ => Judged::Done(Flow::Next),
        };
    }
    if pending.depth > 0 {
        match tree.frontier.directory_target(scope, &pending.url, &served) {
            DirectoryTarget::Read => {}
            DirectoryTarget::Seen => return Judged::Done(Flow::Next),
            DirectoryTarget::Outside => {
                // Never dropped without a word: its files are not read.
                let url = pending.url.to_string();
                let reason = SkipReason::RedirectedOutside(served.to_string());
                run.log.skipped(url.clone(), url, reason);
                return Judged::Done(Flow::Next);
            }
        }
    }
    Judged::Read(served)
}

/// The second walk over the page: each link planned, and its task sent, as it comes.
async fn plan_links(
    tree: &mut Tree<'_>,
    scope: &Scope,
    pending: &PendingPage,
    page: &Url,
    text: PageText,
    ancestors: Ancestors,
) -> Flow {
    let run = Arc::clone(tree.run);
    let mut output = PageOutput::new(
        &mut tree.frontier,
        &tree.discoveries,
        tree.tasks,
        &ancestors,
        pending.depth,
    );
    output.probes = text.listed.is_none();
    let (mut batches, walker) = text.walk();
    loop {
        let batch = tokio::select! {
            () = run.cancel.cancelled() => None,
            batch = batches.recv() => batch,
        };
        let Some(batch) = batch else { break };
        for link in batch {
            output.links += 1;
            if let Ok(url) = &link.url {
                run.listings.link(tree.output, scope.start_dir(), url);
            }
            let planned = match plan_link(&run, scope, page, pending.depth, &link, tree.planner) {
                LinkPlan::File(url, relative) => {
                    output.files += 1;
                    run.listings.path(tree.output, &relative);
                    Planned::File(plan_task(url, relative, tree.output, &link))
                }
                LinkPlan::Directory(url) => Planned::Directory(url),
                LinkPlan::Repeat => continue,
                LinkPlan::Skip(url, reason) => Planned::Skip(link.href, url, reason),
            };
            if !output.hold_or_emit(&run, planned).await {
                return Flow::Stop;
            }
        }
    }
    if run.cancel.is_cancelled() || !output.finish(&run, page).await {
        return Flow::Stop;
    }
    // A walk that broke off (a panic) read part of the page: a failure, never a
    // silently shorter listing.
    match walker.await {
        Err(error) => page_failed(&run, pending, format!("reading the links failed: {error}")),
        Ok(()) => {
            let folder = folder_of(page);
            let (output, start_dir) = (tree.output, scope.start_dir());
            run.listings
                .complete(output, start_dir, &folder, pending.depth);
        }
    }
    Flow::Next
}

/// A page could not be read. A start page that fails is a usage-level failure
/// (exit 2); a sub-directory, or a page of a `-i` list, that fails is one failure
/// among the files (exit 1).
pub(crate) fn page_failed(run: &Run, pending: &PendingPage, error: String) {
    let is_start = pending.depth == 0 && !pending.from_list;
    run.listings.failed(pending.url.as_str());
    let event = Event::PageFailed {
        url: pending.url.to_string(),
        error,
    };
    run.log.record(event, |summary| {
        if is_start {
            summary.pages_failed += 1;
        } else {
            summary.failed += 1;
        }
    });
}
