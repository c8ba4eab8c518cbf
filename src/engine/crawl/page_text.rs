//! A page's text, walked twice on a blocking thread (the tokenizer is CPU work):
//! once to survey what the folder holds, once to hand its links to the planner in
//! batches. Nothing is kept per link, so a page of millions costs its text.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::engine::checksums::is_checksum_link;
use crate::engine::crawl::entries::{Entries, EntriesBuilder};
use crate::listing::{Link, for_each_json_link, for_each_link};

/// Links handed from the walk over a page's text to the planner at once.
const LINK_BATCH: usize = 256;

/// A page's text, with what it takes to resolve its links.
pub(crate) struct PageText {
    /// The page's text: HTML, or JSON when `is_json`.
    pub(crate) text: String,
    pub(crate) is_json: bool,
    /// The links of a folder read already (an object-store folder, copyparty's).
    pub(crate) listed: Option<Vec<Link>>,
    /// The URL it was served from: links resolve against it.
    pub(crate) served: Url,
}

/// What the first walk over a page finds.
pub(crate) struct Survey {
    pub(crate) entries: Entries,
    /// Links named like checksum files, read before any file of the page is sent.
    pub(crate) checksum_files: Vec<Link>,
    /// Why a page served as JSON is not a JSON listing (cut short, another shape).
    pub(crate) json_error: Option<serde_json::Error>,
}

impl PageText {
    /// Walks the links; a JSON page that is not a JSON listing is an error.
    fn for_each(
        &self,
        mut each: impl FnMut(Link) -> std::ops::ControlFlow<()>,
    ) -> Result<(), serde_json::Error> {
        if let Some(links) = &self.listed {
            for link in links {
                if each(link.clone()).is_break() {
                    break;
                }
            }
            Ok(())
        } else if self.is_json {
            for_each_json_link(&self.text, &self.served, each)
        } else {
            for_each_link(&self.text, &self.served, each);
            Ok(())
        }
    }

    /// The first walk: the entries of `folder` the page lists, and its checksum files.
    pub(crate) fn survey(&self, folder: &Url) -> Survey {
        let mut entries = EntriesBuilder::default();
        let mut checksum_files = Vec::new();
        let read = self.for_each(|link| {
            entries.add(&link, folder);
            if is_checksum_link(&link) {
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
    pub(crate) fn walk(self) -> (mpsc::Receiver<Vec<Link>>, JoinHandle<()>) {
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
