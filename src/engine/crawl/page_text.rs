//! A page's text, walked on a blocking thread (the tokenizer is CPU work): once to
//! survey what the folder holds, then its links are handed to the planner in
//! batches. The survey keeps the links of a page of up to [`KEEP_LINKS`] for that
//! (the page's text is then dropped); a larger page is walked again rather than
//! kept, so a page of millions costs its text, not its links.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::engine::checksums::is_checksum_link;
use crate::engine::crawl::entries::{Entries, EntriesBuilder};
use crate::listing::{Link, for_each_json_link, for_each_link};

/// Links handed from the walk over a page's text to the planner at once.
const LINK_BATCH: usize = 256;

/// Links the survey keeps for the planner, at most (a few MB): walking a page's
/// text again cost a 1,000-file mirror 8% of its instructions (callgrind).
const KEEP_LINKS: usize = 10_000;

/// A page's text, with what it takes to resolve its links.
pub(crate) struct PageText {
    /// The page's text: HTML, or JSON when `is_json`.
    pub(crate) text: String,
    pub(crate) is_json: bool,
    /// The links of a folder read already (an object-store folder, copyparty's).
    pub(crate) listed: Option<Vec<Link>>,
    /// The URL it was served from: links resolve against it.
    pub(crate) served: Url,
    /// The links the survey read, when it kept them for the planner.
    surveyed: Option<Vec<Link>>,
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
    /// The page `text` served from `served` (see the fields).
    pub(crate) fn new(
        text: String,
        is_json: bool,
        listed: Option<Vec<Link>>,
        served: Url,
    ) -> PageText {
        PageText {
            text,
            is_json,
            listed,
            served,
            surveyed: None,
        }
    }

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

    /// The first walk: the entries of `folder` the page lists, and its checksum
    /// files. Keeps the links for [`PageText::walk`] when there are few enough.
    pub(crate) fn survey(&mut self, folder: &Url) -> Survey {
        let mut entries = EntriesBuilder::default();
        let mut checksum_files = Vec::new();
        // A folder read already holds its links: nothing to keep.
        let mut kept = self.listed.is_none().then(Vec::new);
        let read = self.for_each(|link| {
            entries.add(&link, folder);
            if is_checksum_link(&link) {
                checksum_files.push(link.clone());
            }
            match &mut kept {
                Some(links) if links.len() < KEEP_LINKS => links.push(link),
                _ => kept = None,
            }
            std::ops::ControlFlow::Continue(())
        });
        if read.is_ok()
            && let Some(links) = kept
        {
            self.surveyed = Some(links);
            self.text = String::new();
        }
        Survey {
            entries: entries.finish(),
            checksum_files,
            json_error: read.err(),
        }
    }

    /// Walks the links on a blocking thread, handing them over in batches; the
    /// walk stops when the receiver is dropped.
    pub(crate) fn walk(mut self) -> (mpsc::Receiver<Vec<Link>>, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(4);
        let walker = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(LINK_BATCH);
            let mut open = true;
            let mut each = |link| {
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
            };
            match self.surveyed.take() {
                Some(links) => {
                    for link in links {
                        if each(link).is_break() {
                            break;
                        }
                    }
                }
                // The survey has judged the page already: it read the same text.
                None => {
                    let _ = self.for_each(&mut each);
                }
            }
            if open && !batch.is_empty() {
                let _ = sender.blocking_send(batch);
            }
        });
        (receiver, walker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Surveys and then walks an nginx-like page of `count` links; returns the
    /// hrefs the walk handed over and whether the survey kept the links.
    fn survey_then_walk(count: usize) -> (Vec<String>, bool) {
        let mut html = String::from("<html><body><pre>\n<a href=\"../\">../</a>\n");
        for index in 0..count {
            html.push_str(&format!(
                "<a href=\"f{index}.bin\">f{index}.bin</a> 04-Mar-2021 05:06 {index}\n"
            ));
        }
        html.push_str("<a href=\"SHA256SUMS\">SHA256SUMS</a>\n</pre></body></html>");
        let served = Url::parse("http://127.0.0.1:1/d/").expect("URL");
        let mut page = PageText::new(html, false, None, served.clone());
        let survey = page.survey(&served);
        assert_eq!(survey.entries.count, count + 1);
        assert_eq!(survey.checksum_files.len(), 1);
        let kept = page.surveyed.is_some();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let hrefs = runtime.block_on(async {
            let (mut batches, walker) = page.walk();
            let mut hrefs = Vec::new();
            while let Some(batch) = batches.recv().await {
                hrefs.extend(batch.into_iter().map(|link| link.href));
            }
            walker.await.expect("walker");
            hrefs
        });
        (hrefs, kept)
    }

    #[test]
    fn the_planner_gets_every_link_whether_the_survey_kept_them_or_not() {
        for (count, kept) in [(3, true), (KEEP_LINKS - 2, true), (KEEP_LINKS + 5, false)] {
            let (hrefs, was_kept) = survey_then_walk(count);
            assert_eq!(was_kept, kept, "{count} links");
            let expected: Vec<String> = ["../".to_string()]
                .into_iter()
                .chain((0..count).map(|index| format!("f{index}.bin")))
                .chain(["SHA256SUMS".to_string()])
                .collect();
            assert_eq!(hrefs, expected, "{count} links");
        }
    }
}
