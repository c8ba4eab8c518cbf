//! The crawler: reads listing pages (the start page, and in recursive mode every
//! sub-directory), decides what each link is, and sends a [`Task`] for every wanted
//! file to the dispatcher as soon as its page is read.
//!
//! Pages are fetched concurrently (a window of prefetches) but planned in a fixed
//! breadth-first order, so duplicate and collision decisions — and `--flat` renames —
//! do not depend on which server answered first.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::error::{PageError, error_chain};
use crate::event::{Event, SkipReason};
use crate::extract::{Link, extract_json_links, extract_links};
use crate::mirror::Engine;
use crate::page::Page;
use crate::paths::{self, RelativePath};
use crate::plan::{Planner, Task};
use crate::retry;
use crate::scope::{Scope, Verdict, folder_of};

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

/// A directory waiting to be read.
struct PendingPage {
    url: Url,
    /// 0 for the start page, 1 for its sub-directories...
    depth: usize,
    /// Fingerprints of the listings of the folders above it: a folder that lists
    /// exactly what an ancestor lists is a symlink loop on the server (`loop -> .`).
    ancestors: Vec<Option<u64>>,
}

/// What one page contributed: files to fetch, skips to report, folders to read next.
struct PagePlan {
    files: Vec<Task>,
    skipped: Vec<(String, String, SkipReason)>,
    directories: Vec<Url>,
    links: usize,
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
                async move { engine.start_kind(&url).await == crate::input::StartKind::File }
            })
            .buffered(self.options.jobs.max(1))
            .collect()
            .await;
        for (start, is_file) in starts.into_iter().zip(kinds) {
            if self.cancel.is_cancelled() {
                break;
            }
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
            ancestors: Vec::new(),
        }]);
        let mut window: VecDeque<(PendingPage, JoinHandle<Result<Page, PageError>>)> =
            VecDeque::new();
        // Known once the start page answers: `/dir` may redirect to `/dir/`.
        let mut scope: Option<Scope> = None;
        let prefetch = self.options.jobs.max(MIN_PAGE_PREFETCH);
        loop {
            while window.len() < prefetch
                && let Some(pending) = queue.pop_front()
            {
                let client = self.client.clone();
                let url = pending.url.clone();
                let timeout = self.options.read_timeout;
                let policy = self.options.retry;
                let cancel = self.cancel.clone();
                let retry_refused = pending.depth > 0;
                let engine = Arc::clone(self);
                let fetch = tokio::spawn(async move {
                    // A listing fetch takes a slot of the run and of its host while
                    // it runs, as a transfer does.
                    let _slot = engine.slots_for(&url).take().await;
                    engine
                        .spacing
                        .wait(url.host_str().unwrap_or_default())
                        .await;
                    retry::fetch_page(&client, &url, timeout, policy, retry_refused, &cancel).await
                });
                window.push_back((pending, fetch));
            }
            let Some((pending, fetch)) = window.pop_front() else {
                break;
            };
            let result = tokio::select! {
                () = self.cancel.cancelled() => break,
                result = fetch => result,
            };
            let page = match result {
                Ok(Ok(page)) => page,
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
            if pending.depth > 0
                && !is_new_directory_target(scope, &pending.url, &page.url, &mut visited)
            {
                continue;
            }
            let links = if page.is_json {
                extract_json_links(&page.html, &page.url)
            } else {
                extract_links(&page.html, &page.url)
            };
            self.read_listed_checksums(scope, &page.url, &links).await;
            // The links are all that is needed from here on; a big listing's text goes.
            let page = Page {
                html: String::new(),
                ..page
            };
            let fingerprint = listing_fingerprint(&links);
            if fingerprint.is_some() && pending.ancestors.contains(&fingerprint) {
                self.count(|summary| summary.skipped += 1);
                self.report(Event::Skipped {
                    link: pending.url.to_string(),
                    url: pending.url.to_string(),
                    reason: SkipReason::Loop,
                });
                continue;
            }
            let plan = self.plan_page(scope, &page, links, pending.depth, &start.output, planner);
            self.report(Event::PageListed {
                url: page.url.to_string(),
                links: plan.links,
                files: plan.files.len(),
            });
            for (link, url, reason) in plan.skipped {
                self.count(|summary| summary.skipped += 1);
                self.report(Event::Skipped { link, url, reason });
            }
            let mut ancestors = pending.ancestors.clone();
            ancestors.push(fingerprint);
            for directory in plan.directories {
                if pending.depth + 1 > MAX_DEPTH {
                    self.count(|summary| summary.skipped += 1);
                    self.report(Event::Skipped {
                        link: directory.to_string(),
                        url: directory.to_string(),
                        reason: SkipReason::TooDeep,
                    });
                } else if visited.insert(normalized_directory(&directory)) {
                    queue.push_back(PendingPage {
                        url: directory,
                        depth: pending.depth + 1,
                        ancestors: ancestors.clone(),
                    });
                }
            }
            for task in plan.files {
                self.queued(&task);
                if tasks.send(task).await.is_err() {
                    return;
                }
            }
        }
        for (_, fetch) in window {
            fetch.abort();
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

    fn plan_page(
        &self,
        scope: &Scope,
        page: &Page,
        links: Vec<Link>,
        depth: usize,
        output: &Path,
        planner: &mut Planner,
    ) -> PagePlan {
        let mut plan = PagePlan {
            files: Vec::new(),
            skipped: Vec::new(),
            directories: Vec::new(),
            links: links.len(),
        };
        for link in links {
            match self.plan_link(scope, page, depth, &link, planner) {
                LinkPlan::File(url, relative) => {
                    plan.files.push(plan_task(url, relative, output, &link));
                }
                LinkPlan::Directory(url) => plan.directories.push(url),
                LinkPlan::Repeat => {}
                LinkPlan::Skip(url, reason) => plan.skipped.push((link.href, url, reason)),
            }
        }
        plan
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
            if planner.admit(&url, &relative).is_ok() {
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

/// A sub-directory page that redirected elsewhere is read only if its final URL is
/// still in scope and was not read already (symlink loops, `/a` → `/b/`).
fn is_new_directory_target(
    scope: &Scope,
    requested: &Url,
    served: &Url,
    visited: &mut HashSet<String>,
) -> bool {
    let normalized = normalized_directory(served);
    if normalized == normalized_directory(requested) {
        return true;
    }
    let folder = folder_of(served);
    let in_scope = folder.path().starts_with(scope.start_dir().path())
        && folder.host() == scope.start_dir().host()
        && folder.port_or_known_default() == scope.start_dir().port_or_known_default();
    in_scope && visited.insert(normalized)
}

/// A hash of a listing's entries: its relative hrefs as written, in order (absolute
/// and parent links differ between a folder and its symlinked copy, so they are left
/// out). Two folders with the same fingerprint list the same names: one is the other
/// seen through a symlink. `None` for a listing without files: `data/data/` holding
/// only `data/` is ordinary nesting, so folders-only listings never count as loops
/// (the depth cap still ends a loop of them).
fn listing_fingerprint(links: &[Link]) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let entries = links.iter().filter(|link| {
        !(link.href.starts_with(['/', '?', '#'])
            || link.href.starts_with("..")
            || link.href.contains("://"))
    });
    let mut has_files = false;
    for link in entries {
        has_files |= !link.href.ends_with('/');
        link.href.hash(&mut hasher);
        link.size
            .map(|size| (size.low, size.high))
            .hash(&mut hasher);
    }
    has_files.then(|| hasher.finish())
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

    #[test]
    fn flat_renames_keep_the_last_extension() {
        assert_eq!(split_extension("v1.2.zip"), ("v1.2", ".zip"));
        assert_eq!(split_extension("README"), ("README", ""));
        assert_eq!(split_extension(".hidden"), (".hidden", ""));
    }
}
