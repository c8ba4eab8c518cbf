//! Inputs: `-i FILE` URL lists, and start URLs that are files rather than pages.
//!
//! A start URL whose path does not end with `/` may be a direct link to a file
//! (`https://h/isos/x.iso` in a list of downloads). It is asked with HEAD first: an
//! answer whose `Content-Type` is not HTML, XHTML or JSON makes it a file, saved in the
//! output folder under its last path segment (and subject to the filters and
//! `--shard`, with that name as its relative path). Any other answer, or none, and it
//! is read as a page as before.

use std::path::Path;

use reqwest::header::CONTENT_TYPE;
use url::Url;

use crate::event::{Event, SkipReason};
use crate::mirror::Engine;
use crate::paths;
use crate::plan::{Planner, Task};

/// The URLs of a URL list: one per line, surrounding blanks trimmed, blank lines
/// and `#` comments ignored.
///
/// ```
/// let urls = fetchall::input::read_url_list("# mirrors\nhttps://h/a/\n\n  https://h/b.iso  \n");
/// assert_eq!(urls, ["https://h/a/", "https://h/b.iso"]);
/// ```
pub fn read_url_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Whether a `Content-Type` is one of a page fetchall reads (a missing one is).
pub fn is_page_type(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return true;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "" | "text/html" | "application/xhtml+xml" | "application/json"
    )
}

impl Engine {
    /// True when `start` is a direct link to a file rather than a page to read: a
    /// HEAD answers with a type that is not a page. A URL ending with `/` or holding a
    /// query is a page without asking.
    pub(crate) async fn is_file_start(&self, start: &Url) -> bool {
        if start.path().ends_with('/') || start.query().is_some() {
            return false;
        }
        let request = self.client.head(start.clone());
        let response = tokio::select! {
            () = self.cancel.cancelled() => return false,
            answer = tokio::time::timeout(self.options.read_timeout, self.client.send(request)) => answer,
        };
        let Ok(Ok(response)) = response else {
            return false;
        };
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        response.status().is_success() && !is_page_type(content_type)
    }

    /// The task that downloads a start URL that is a file (none if a filter leaves
    /// it out or it repeats an earlier one).
    pub(crate) fn plan_start_file(
        &self,
        start: &Url,
        output: &Path,
        planner: &mut Planner,
    ) -> Vec<Task> {
        let skip = |reason: SkipReason| {
            self.count(|summary| summary.skipped += 1);
            self.report(Event::Skipped {
                link: start.to_string(),
                url: start.to_string(),
                reason,
            });
            Vec::new()
        };
        let relative = match paths::file_name_only(start) {
            Ok(relative) => relative,
            Err(why) => return skip(SkipReason::UnsafePath(why.to_string())),
        };
        let name = relative.to_string();
        if let Err(reason) = self.filters.check_file(&name, &name) {
            return skip(reason);
        }
        if let Err(reason) = planner.admit(start, &relative) {
            return match reason {
                SkipReason::Duplicate => Vec::new(),
                reason => skip(reason),
            };
        }
        vec![Task::new(start.clone(), relative, output)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_types() {
        assert!(is_page_type(None));
        assert!(is_page_type(Some("text/html; charset=utf-8")));
        assert!(is_page_type(Some("application/json")));
        assert!(!is_page_type(Some("application/octet-stream")));
        assert!(!is_page_type(Some("text/plain")));
        assert!(!is_page_type(Some("application/x-iso9660-image")));
    }
}
