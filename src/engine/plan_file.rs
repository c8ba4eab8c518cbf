//! `-i PLAN`: a dry run's `planned` events turned back into tasks, without reading
//! any listing ("list once, shard the plan").
//!
//! `fetchall --dry-run --json URL > plan.jsonl` writes the plan; each `planned` line
//! carries the file's URL, its path relative to the output folder, its size (and
//! whether it is exact) and its modification time. A run of the plan reads it as a
//! stream, one line at a time (at most [`MAX_LINE`] bytes each), so a plan of
//! millions of files costs the memory of the planner's hashes of the files of this
//! share, never the plan. Other events (`page_listed`, `skipped`, `summary`…) are
//! ignored; a line that is not a JSON object (a URL: a list and a plan cannot be
//! mixed) ends the reading, reported with its line number.
//!
//! Every planned line is untrusted: its path must be relative and made of names a
//! listing could have given ([`paths::relative_path_from_text`]), each path is
//! written once, its URL must be http or https. A line that breaks a rule is a
//! failed file naming the line; the others go on. Filters and `--shard` apply to
//! the planned path, as they do to a listing's.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::mpsc;
use url::Url;

use crate::engine::crawl::output::hand_over;
use crate::engine::options::Options;
use crate::engine::run::Run;
use crate::engine::starts::parse_start_url;
use crate::error::{Error, shown_input};
use crate::event::{Event, SkipReason};
use crate::http::redact::{error_chain, redact_text};
use crate::listing::meta::{ListedSize, ListedTime};
use crate::listing::timestamp::parse_utc;
use crate::plan::paths;
use crate::plan::{Planner, Task};

/// The longest line of a plan, in bytes: a planned line is a URL and a path.
pub const MAX_LINE: usize = 1024 * 1024;

/// One line of a plan, by its `event`.
#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum PlanLine {
    Planned(PlannedLine),
    /// Only a real run says it started or downloaded a file: its JSON is a record
    /// of what happened, not a plan, and read as one it would do nothing, silently.
    #[serde(alias = "downloaded")]
    Started(serde::de::IgnoredAny),
    #[serde(other)]
    Other,
}

/// The fields of a `planned` line a run of the plan uses (see `docs/events.md`).
#[derive(Deserialize)]
struct PlannedLine {
    url: String,
    #[serde(default)]
    relative_path: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    size_exact: bool,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    modified_latest: Option<String>,
}

/// A plan being read, with its first planned line read ahead.
pub(crate) struct PlanReader {
    path: PathBuf,
    /// Where its files go: `-o DIR`.
    pub(crate) output: PathBuf,
    lines: Box<dyn AsyncBufRead + Unpin + Send>,
    line: u64,
    ahead: Option<(u64, PlannedLine)>,
}

/// Opens the plan of `options` and reads up to its first planned line; an error
/// before it (no such file, not a plan) or options that do not fit a plan stop the
/// run before anything is fetched.
pub(crate) async fn open(path: &Path, options: &Options) -> Result<PlanReader, Error> {
    let refuse = |why: String| Error::Plan {
        path: path.to_path_buf(),
        source: why.into(),
    };
    if !options.urls.is_empty() || !options.list_urls.is_empty() || options.list_file.is_some() {
        return Err(refuse(
            "a plan is the whole job: give no start URL with it".into(),
        ));
    }
    if options.flat {
        return Err(refuse(
            "--flat cannot change a plan's paths: make the plan with --flat".into(),
        ));
    }
    let Some(output) = options.output.clone() else {
        return Err(refuse(
            "a plan's paths are relative: give the folder they go into with -o DIR".into(),
        ));
    };
    let lines: Box<dyn AsyncBufRead + Unpin + Send> = if path == Path::new("-") {
        Box::new(BufReader::new(tokio::io::stdin()))
    } else {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|error| refuse(error.to_string()))?;
        Box::new(BufReader::with_capacity(64 * 1024, file))
    };
    let mut plan = PlanReader {
        path: path.to_path_buf(),
        output,
        lines,
        line: 0,
        ahead: None,
    };
    plan.ahead = plan.next_planned().await.map_err(refuse)?;
    Ok(plan)
}

impl PlanReader {
    /// The URL of the first planned file: the origin the credentials of `-u`,
    /// `--netrc` and credential headers go to, as a start URL's would.
    pub(crate) fn first_url(&self) -> Option<Url> {
        let (_, first) = self.ahead.as_ref()?;
        parse_start_url(&first.url).ok()
    }

    /// The next planned line and its number; `None` at the end; an error naming the
    /// line when the file is not a plan there.
    async fn next_planned(&mut self) -> Result<Option<(u64, PlannedLine)>, String> {
        if let Some(ahead) = self.ahead.take() {
            return Ok(Some(ahead));
        }
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            let limit = (MAX_LINE + 1) as u64;
            let read = (&mut self.lines)
                .take(limit)
                .read_until(b'\n', &mut bytes)
                .await
                .map_err(|error| format!("line {}: {error}", self.line + 1))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if bytes.len() > MAX_LINE {
                return Err(format!(
                    "line {} is longer than {MAX_LINE} bytes: not a plan line",
                    self.line
                ));
            }
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            if !text.starts_with('{') {
                return Err(format!(
                    "line {} is not a JSON event (`{}`): a plan holds only the JSON lines \
                     of a dry run; a list of URLs and a plan cannot be mixed",
                    self.line,
                    redact_text(&shown_input(text))
                ));
            }
            match serde_json::from_str::<PlanLine>(text) {
                Ok(PlanLine::Planned(planned)) => return Ok(Some((self.line, planned))),
                Ok(PlanLine::Started(_)) => {
                    return Err(format!(
                        "line {} is an event of a run that downloads, not of a dry run: \
                         make the plan with `fetchall --dry-run --json URL`",
                        self.line
                    ));
                }
                Ok(PlanLine::Other) => {}
                Err(error) => {
                    return Err(format!(
                        "line {} is not an event of `fetchall --json`: {error}",
                        self.line
                    ));
                }
            }
        }
    }
}

/// Reads the plan to its end, sending a task for every planned file this run
/// wants. A line where the file stops being a plan is reported as a failed page
/// (`pages_failed`, exit 2) and ends the reading; the tasks sent so far go on.
pub(crate) async fn plan_tasks(run: &Run, mut plan: PlanReader, tasks: mpsc::Sender<Task>) {
    let mut planner = Planner::default();
    planner.set_output(&plan.output);
    loop {
        if run.cancel.is_cancelled() {
            return;
        }
        let (line, planned) = match plan.next_planned().await {
            Ok(Some(next)) => next,
            Ok(None) => return,
            Err(error) => {
                let event = Event::PageFailed {
                    url: plan.path.display().to_string(),
                    error,
                };
                run.log.record(event, |summary| summary.pages_failed += 1);
                return;
            }
        };
        if let Some(task) = plan_line(run, &plan.output, line, planned, &mut planner)
            && !hand_over(run, &tasks, task).await
        {
            return;
        }
    }
}

/// The task of one planned line, if the filters want it and it is safe; a line
/// that breaks the rules is reported as a failed file naming the line.
fn plan_line(
    run: &Run,
    output: &Path,
    line: u64,
    planned: PlannedLine,
    planner: &mut Planner,
) -> Option<Task> {
    let shown_path = planned.relative_path.clone().unwrap_or_default();
    let fail = |url: &str, why: String| {
        let event = Event::Failed {
            id: None,
            url: redact_text(url),
            path: shown_path.clone(),
            error: format!("plan line {line}: {why}"),
        };
        run.log.record(event, |summary| summary.failed += 1);
        None
    };
    let url = match parse_start_url(&planned.url) {
        Ok(mut url) => {
            // Credentials come from -u or --netrc, never from a plan's line.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url
        }
        Err(error) => return fail(&planned.url, error_chain(&error)),
    };
    let Some(text) = &planned.relative_path else {
        return fail(
            url.as_str(),
            "no `relative_path` (a plan written by an older fetchall: make it again)".into(),
        );
    };
    let relative = match paths::relative_path_from_text(text) {
        Ok(relative) => relative,
        Err(why) => {
            return fail(
                url.as_str(),
                SkipReason::UnsafePath(why.to_string()).to_string(),
            );
        }
    };
    let (size, modified) = match listed(&planned) {
        Ok(listed) => listed,
        Err(why) => return fail(url.as_str(), why),
    };
    let skip = |reason: SkipReason| {
        run.log.skipped(url.to_string(), url.to_string(), reason);
        None
    };
    let name = relative.names().last().cloned().unwrap_or_default();
    if let Err(reason) = run
        .options
        .filters
        .check_file(&name, &relative.to_string())
        .and_then(|()| run.options.filters.check_listed(size, modified))
    {
        return skip(reason);
    }
    match planner.admit_path(&url, &relative) {
        Ok(()) => {}
        Err(SkipReason::Duplicate) => return skip(SkipReason::Duplicate),
        Err(reason) => return fail(url.as_str(), reason.to_string()),
    }
    Some(Task {
        listed_size: size.and_then(|size| size.exact_bytes()),
        listed_modified: modified,
        ..Task::new(url, relative, output)
    })
}

/// The size and time a planned line states, as a listing's would be.
fn listed(planned: &PlannedLine) -> Result<(Option<ListedSize>, Option<ListedTime>), String> {
    let time = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|text| {
                parse_utc(text).ok_or_else(|| {
                    format!(
                        "`{field}` is not an RFC 3339 UTC time: `{}`",
                        shown_input(text)
                    )
                })
            })
            .transpose()
    };
    let earliest = time("modified", &planned.modified)?;
    let latest = time("modified_latest", &planned.modified_latest)?;
    let modified = match (earliest, latest) {
        (Some(earliest), None) => Some(ListedTime::exact(earliest)),
        (Some(earliest), Some(latest)) if earliest <= latest => {
            Some(ListedTime { earliest, latest })
        }
        (None, None) => None,
        _ => return Err("`modified_latest` without an earlier `modified`".into()),
    };
    // A size that is not exact says nothing a run could use.
    let size = planned
        .size
        .filter(|_| planned.size_exact)
        .map(ListedSize::exact);
    Ok((size, modified))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> PlannedLine {
        match serde_json::from_str::<PlanLine>(text) {
            Ok(PlanLine::Planned(planned)) => planned,
            _ => panic!("not a planned line: {text}"),
        }
    }

    #[test]
    fn other_events_are_not_planned_lines() {
        for text in [
            r#"{"event":"summary","downloaded":0,"bytes":1}"#,
            r#"{"event":"page_listed","url":"http://h/","links":1,"files":1}"#,
            r#"{"event":"skipped","link":"x","url":"http://h/x","reason":{"kind":"directory"}}"#,
            r#"{"event":"a_new_kind","size":"big"}"#,
            // A dry run over a complete mirror says its files are up to date.
            r#"{"event":"up_to_date","url":"http://h/x","path":"x"}"#,
        ] {
            assert!(matches!(
                serde_json::from_str::<PlanLine>(text),
                Ok(PlanLine::Other)
            ));
        }
        assert!(serde_json::from_str::<PlanLine>(r#"{"url":"http://h/x"}"#).is_err());
        for text in [
            r#"{"event":"started","id":1,"url":"http://h/x","path":"x","size":null}"#,
            r#"{"event":"downloaded","id":1,"url":"http://h/x","path":"x","bytes":1}"#,
        ] {
            assert!(
                matches!(
                    serde_json::from_str::<PlanLine>(text),
                    Ok(PlanLine::Started(_))
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn planned_sizes_and_times_read_as_a_listing_states_them() {
        let exact = line(
            r#"{"event":"planned","url":"http://h/a","path":"o/a","size":5,"exists":false,
                "relative_path":"a","size_exact":true,"modified":"2021-03-04T05:06:07Z",
                "modified_latest":null}"#,
        );
        let (size, time) = listed(&exact).expect("valid");
        assert_eq!(size, Some(ListedSize::exact(5)));
        let at = parse_utc("2021-03-04T05:06:07Z").expect("time");
        assert_eq!(time, Some(ListedTime::exact(at)));
        let minute = line(
            r#"{"event":"planned","url":"http://h/a","size":5,"size_exact":false,
                "modified":"2021-03-04T05:06:00Z","modified_latest":"2021-03-04T05:06:59Z"}"#,
        );
        let (size, time) = listed(&minute).expect("valid");
        assert_eq!(size, None);
        let time = time.expect("a range");
        assert!(time.contains(at) && time.earliest < time.latest);
        for bad in [
            r#"{"event":"planned","url":"u","modified":"04-Mar-2021 05:06"}"#,
            r#"{"event":"planned","url":"u","modified":"2021-03-04T05:06:00"}"#,
            r#"{"event":"planned","url":"u","modified_latest":"2021-03-04T05:06:00Z"}"#,
            r#"{"event":"planned","url":"u","modified":"2021-03-04T05:07:00Z",
                "modified_latest":"2021-03-04T05:06:00Z"}"#,
        ] {
            assert!(listed(&line(bad)).is_err(), "{bad}");
        }
    }
}
