//! What each link of a listing is to the crawl: a file to fetch (and at which
//! path), a folder to read, a repeat, or a link to skip and why.

use std::path::Path;

use url::Url;

use crate::engine::crawl::spelling::folder_url;
use crate::engine::run::Run;
use crate::event::{Event, SkipReason};
use crate::listing::Link;
use crate::plan::paths::{self, RelativePath};
use crate::plan::{Planner, Task};
use crate::select::scope::{Scope, Verdict};

/// What a link is to the crawl.
pub(crate) enum LinkPlan {
    /// A file to fetch, saved at a path relative to the output folder.
    File(Url, RelativePath),
    /// A folder to read.
    Directory(Url),
    /// A link seen already on this run: nothing to say.
    Repeat,
    /// Not fetched: the URL (or href) and why.
    Skip(String, SkipReason),
}

/// Plans one link of the page at `page` (`depth` 0 for a start page).
pub(crate) fn plan_link(
    run: &Run,
    scope: &Scope,
    page: &Url,
    depth: usize,
    link: &Link,
    planner: &mut Planner,
) -> LinkPlan {
    let resolved = match &link.url {
        Ok(url) => url,
        Err(error) => {
            return LinkPlan::Skip(link.href.clone(), SkipReason::InvalidUrl(error.to_string()));
        }
    };
    let url = match scope.classify(&link.href, resolved, page) {
        // `dir` beside `dir/`, already planned as a folder: the same folder where
        // the server redirects one to the other, as most do. Where it serves a file
        // there instead, that file cannot take the folder's name: said, not dropped.
        Verdict::File(url)
            if run.options.recursive
                && url.query().is_none()
                && planner.has_url(&folder_url(&url)) =>
        {
            let folder = format!("the folder {}", folder_url(&url));
            return LinkPlan::Skip(url.to_string(), SkipReason::Collision(folder));
        }
        Verdict::File(url) => url,
        Verdict::Directory(url) => return plan_directory(run, scope, depth, url, planner),
        Verdict::Skip(reason) => return LinkPlan::Skip(resolved.to_string(), reason),
    };
    let relative = match file_path(run, scope, &url, link) {
        Ok(relative) => relative,
        Err(reason) => return LinkPlan::Skip(url.to_string(), reason),
    };
    match planner.admit(&url, &relative) {
        Ok(()) => LinkPlan::File(url, relative),
        // A link repeated on a page (icon and name both link the file) is normal.
        Err(SkipReason::Duplicate) => LinkPlan::Repeat,
        Err(SkipReason::Collision(other)) if run.options.flat => {
            rename_for_flat(run, url, &relative, other, planner)
        }
        Err(reason) => LinkPlan::Skip(url.to_string(), reason),
    }
}

/// Where the file at `url` goes under the output folder, if the filters want it:
/// its path under the start folder (or its name alone), or under `--flat` its name.
fn file_path(run: &Run, scope: &Scope, url: &Url, link: &Link) -> Result<RelativePath, SkipReason> {
    let unsafe_path = |why: paths::UnsafePath| SkipReason::UnsafePath(why.to_string());
    let mirrored = paths::path_under(scope.start_dir(), url)
        .unwrap_or_else(|| paths::file_name_only(url))
        .and_then(|relative| match url.query() {
            Some(query) => relative.with_query(query),
            None => Ok(relative),
        })
        .map_err(unsafe_path)?;
    let name = mirrored.names().last().cloned().unwrap_or_default();
    run.options
        .filters
        .check_file(&name, &mirrored.to_string())
        .and_then(|()| run.options.filters.check_listed(link.size, link.modified))?;
    if run.options.flat {
        paths::relative_path_from_segments([name.as_str()]).map_err(unsafe_path)
    } else {
        Ok(mirrored)
    }
}

/// Plans a sub-directory link of a page at `depth`.
pub(crate) fn plan_directory(
    run: &Run,
    scope: &Scope,
    depth: usize,
    url: Url,
    planner: &mut Planner,
) -> LinkPlan {
    if !planner.admit_url(&url) {
        return LinkPlan::Repeat;
    }
    if !run.options.recursive {
        return LinkPlan::Skip(url.to_string(), SkipReason::Directory);
    }
    // `--level N` as in wget: files of the start page are level 1, so the
    // directories read are those above depth N.
    if run
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
    if let Err(reason) = run.options.filters.check_directory(&decoded) {
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
    run: &Run,
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
            run.log.report(Event::Renamed {
                url: url.to_string(),
                path: relative.to_string(),
                taken_by: other,
            });
            return LinkPlan::File(url, relative);
        }
    }
    LinkPlan::Skip(url.to_string(), SkipReason::Collision(other))
}

/// The task for a file link, carrying what its listing says of it.
pub(crate) fn plan_task(url: Url, relative: RelativePath, output: &Path, link: &Link) -> Task {
    Task {
        listed_size: link.size.and_then(|size| size.exact_bytes()),
        listed_modified: link.modified,
        listed_range: link.size,
        listed_local: link.local_modified,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_renames_keep_the_last_extension() {
        assert_eq!(split_extension("v1.2.zip"), ("v1.2", ".zip"));
        assert_eq!(split_extension("README"), ("README", ""));
        assert_eq!(split_extension(".hidden"), (".hidden", ""));
    }
}
