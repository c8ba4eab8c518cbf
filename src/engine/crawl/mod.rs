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

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use url::Url;

use crate::engine::crawl::output::hand_over;
use crate::engine::crawl::tree::crawl_tree;
use crate::engine::run::Run;
use crate::engine::starts::{StartKind, plan_start_file, start_kind};
use crate::plan::{Planner, Task};

/// One start URL and where its files go.
pub(crate) struct Start {
    pub url: Url,
    pub output: PathBuf,
}

/// Crawls every start URL in turn, sending file tasks down `tasks`.
pub(crate) async fn crawl(run: &Arc<Run>, starts: Vec<Start>, tasks: mpsc::Sender<Task>) {
    let mut planner = Planner::default();
    // Which start URLs are direct links to files: asked all at once (a long `-i`
    // list of downloads must not cost one round trip after another), in order.
    let urls: Vec<Url> = starts.iter().map(|start| start.url.clone()).collect();
    let asking = Arc::clone(run);
    let kinds: Vec<bool> = futures_util::stream::iter(urls)
        .map(move |url| {
            let run = Arc::clone(&asking);
            async move { start_kind(&run, &url).await == StartKind::File }
        })
        .buffered(run.options.jobs.max(1))
        .collect()
        .await;
    for (start, is_file) in starts.into_iter().zip(kinds) {
        if run.cancel.is_cancelled() {
            break;
        }
        // Paths are compared whole: two starts into their own folders never
        // collide, two into one folder do.
        planner.set_output(&start.output);
        if !is_file {
            let url = crate::ftp::folder_url(&start.url);
            crawl_tree(run, &url, &start.output, &mut planner, &tasks).await;
        } else if let Some(task) = plan_start_file(run, &start.url, &start.output, &mut planner) {
            // A file given by its URL is named by no listing: never deleted.
            run.listings.path(&start.output, &task.relative);
            if !hand_over(run, &tasks, task).await {
                return;
            }
        }
    }
}
