//! The crawler, the producer of a run: reads listing pages (the start page, and in
//! recursive mode every sub-directory), decides what each link is, and sends a
//! [`Task`] for every wanted file to the dispatcher as soon as its page is read.
//!
//! - [`tree`]: one start page and its sub-directories, fetched ahead, read in
//!   breadth-first order;
//! - [`page`]: one fetched page judged, then its links planned ([`links`]) and sent
//!   on ([`output`]);
//! - [`probe`]: folders linked without their slash, found by their transfer's answer
//!   and handed back to the crawl; a page answered without a redirect is read
//!   first, and if it lists no entries of its own folder it was an HTML file after
//!   all and its task goes to the transfers again;
//! - [`entries`]: symlink loops, told by a folder's entries; [`spelling`]: one
//!   folder, however its URL is spelled; [`frontier`]: the folders to read.

pub(crate) mod entries;
pub(crate) mod frontier;
pub(crate) mod links;
pub(crate) mod output;
pub(crate) mod page;
pub(crate) mod page_text;
pub(crate) mod probe;
pub(crate) mod spelling;
pub(crate) mod tree;

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::engine::crawl::output::hand_over;
use crate::engine::crawl::tree::crawl_tree;
use crate::engine::run::Run;
use crate::engine::starts::{Start, StartKind, plan_start_file, start_kind};
use crate::plan::{Planner, Task};

/// Crawls every start URL in turn, as `starts` hands them over, sending file tasks
/// down `tasks`.
pub(crate) async fn crawl(
    run: &Arc<Run>,
    starts: mpsc::Receiver<Start>,
    tasks: mpsc::Sender<Task>,
) {
    let mut planner = Planner::default();
    // Which start URLs are direct links to files: asked `--jobs` at a time ahead of
    // the one being crawled (a long `-i` list of downloads must not cost one round
    // trip after another), and taken in order. Each question runs as a task of its
    // own, so it goes on while a page is crawled.
    let asking = Arc::clone(run);
    let starts = futures_util::stream::unfold(starts, |mut starts| async move {
        starts.recv().await.map(|start| (start, starts))
    });
    let kinds = starts
        .map(move |start| {
            let run = Arc::clone(&asking);
            tokio::spawn(async move {
                let is_file = start_kind(&run, &start.url).await == StartKind::File;
                (start, is_file)
            })
        })
        .buffered(run.options.jobs.max(1));
    let mut kinds = std::pin::pin!(kinds);
    loop {
        let next = tokio::select! {
            () = run.cancel.cancelled() => break,
            next = kinds.next() => next,
        };
        let Some(asked) = next else { break };
        // A panic while asking is the crawl's, as any other.
        let (start, is_file) = match asked {
            Ok(asked) => asked,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => break,
        };
        // Paths are compared whole: two starts into their own folders never
        // collide, two into one folder do.
        planner.set_output(&start.output);
        if !is_file {
            // An FTP folder given without its slash is read as `…/dir/`.
            let start = Start {
                url: crate::ftp::folder_url(&start.url),
                ..start
            };
            crawl_tree(run, &start, &mut planner, &tasks).await;
        } else if let Some(task) = plan_start_file(run, &start.url, &start.output, &mut planner) {
            // A file given by its URL is named by no listing: never deleted.
            run.listings.path(&start.output, &task.relative);
            if !hand_over(run, &tasks, task).await {
                return;
            }
        }
    }
}
