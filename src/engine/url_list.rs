//! `-i FILE` URL lists, read as a stream: a list of millions of URLs costs the
//! memory of the planner's hashes of its files, never the list.
//!
//! The list is read twice. A first pass ([`survey`]) keeps only what must be known
//! before anything is fetched, each bounded by the hosts and folders the list
//! names, not by its lines: one URL per origin (the credentials of `-u`, `--netrc`,
//! a URL's `user:password@` and credential headers go to those origins), the output
//! folders to create and lock, and with `--checksums` the folders the given
//! digests apply to. The second pass ([`send_starts`]) runs beside the crawl and
//! hands it one start at a time through a bounded channel: the crawl reads a page
//! or plans a file per start while the reader waits. A line that is not a URL is a
//! failed item, reported when the reader reaches it.
//!
//! The lines of a list are those of [`read_url_list`](crate::read_url_list):
//! surrounding blanks trimmed, blank lines and `#` comments skipped, a byte-order
//! mark ignored, a line in another encoding than UTF-8 read lossily (so it fails
//! on its own, if it is a URL at all).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use url::Url;

use crate::engine::options::{ChecksumSource, Options};
use crate::engine::run::Run;
use crate::engine::starts::Start;
use crate::engine::starts::{default_output_name, parse_start_url};
use crate::error::{Error, shown_input};
use crate::event::Event;
use crate::http::redact::{error_chain, redact_text};
use crate::select::scope::folder_of;

/// Starts read ahead of the crawl, at most.
const STARTS_AHEAD: usize = 64;

/// Where the lines of a list come from.
#[derive(Debug, Clone)]
pub(crate) enum ListSource {
    /// [`Options::list_urls`]: given whole by a library user (or read from stdin).
    Given(Arc<[String]>),
    /// [`Options::list_file`]: read from the file, line by line.
    File(PathBuf),
}

impl ListSource {
    /// The list of `options`, if it has one.
    pub(crate) fn of(options: &Options) -> Option<ListSource> {
        if let Some(path) = &options.list_file {
            Some(ListSource::File(path.clone()))
        } else if options.list_urls.is_empty() {
            None
        } else {
            Some(ListSource::Given(options.list_urls.clone().into()))
        }
    }

    /// Calls `each` with every line of the list that names something (trimmed),
    /// until it returns false.
    fn for_each_line(&self, mut each: impl FnMut(&str) -> bool) -> Result<(), Error> {
        match self {
            ListSource::Given(lines) => {
                for line in lines.iter() {
                    let line = line.trim();
                    if !line.is_empty() && !line.starts_with('#') && !each(line) {
                        break;
                    }
                }
                Ok(())
            }
            ListSource::File(path) => {
                let failed = |source: std::io::Error| Error::UrlList {
                    path: path.clone(),
                    source,
                };
                let mut file =
                    BufReader::with_capacity(64 * 1024, std::fs::File::open(path).map_err(failed)?);
                let mut bytes = Vec::new();
                let mut first = true;
                loop {
                    bytes.clear();
                    if file.read_until(b'\n', &mut bytes).map_err(failed)? == 0 {
                        return Ok(());
                    }
                    let text = String::from_utf8_lossy(&bytes);
                    let mut line = text.as_ref();
                    if first {
                        line = line.strip_prefix('\u{feff}').unwrap_or(line);
                        first = false;
                    }
                    let line = line.trim();
                    if !line.is_empty() && !line.starts_with('#') && !each(line) {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// What the first pass over a list found (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct Survey {
    /// URLs in the list (lines that are not URLs left out).
    pub(crate) urls: usize,
    /// The first URL of the list, without credentials.
    pub(crate) first: Option<Url>,
    /// One URL per origin, and per host the first with credentials in it, in the
    /// order of the list: what [`RequestRules`](crate::http::request::RequestRules)
    /// needs of every start URL.
    pub(crate) origins: Vec<Url>,
    /// The output folder of each URL, each once, in the order of the list.
    pub(crate) outputs: Vec<PathBuf>,
    /// With `--checksums FILE|URL`: the folder of each URL, each once.
    pub(crate) folders: Vec<Url>,
}

/// What of the options the survey of a list needs.
#[derive(Debug, Clone)]
pub(crate) struct SurveyFor {
    /// `-o DIR`, if given.
    output: Option<PathBuf>,
    /// Whether a checksum file is given (`--checksums FILE|URL`).
    want_folders: bool,
}

impl SurveyFor {
    /// What the survey needs of `options`.
    pub(crate) fn of(options: &Options) -> SurveyFor {
        SurveyFor {
            output: options.output.clone(),
            want_folders: !matches!(
                options.checksums,
                ChecksumSource::Auto | ChecksumSource::Off
            ),
        }
    }
}

/// Reads the whole list once, keeping what must be known before the run starts.
pub(crate) fn survey(list: &ListSource, options: &SurveyFor) -> Result<Survey, Error> {
    let mut survey = Survey::default();
    let mut origins = HashSet::new();
    let mut with_credentials = HashSet::new();
    let mut outputs = HashSet::new();
    let mut folders = HashSet::new();
    let want_folders = options.want_folders;
    list.for_each_line(|line| {
        let Ok(url) = parse_start_url(line) else {
            return true;
        };
        survey.urls += 1;
        if survey.first.is_none() {
            // Named in events: without its credentials.
            let mut first = url.clone();
            crate::http::request::strip_credentials(std::slice::from_mut(&mut first));
            survey.first = Some(first);
        }
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default().to_ascii_lowercase(),
            url.port_or_known_default().unwrap_or_default()
        );
        let new_origin = origins.insert(format!("{}://{host}", url.scheme()));
        let new_credentials = !url.username().is_empty() && with_credentials.insert(host);
        if options.output.is_none() {
            let output = default_output_name(&url);
            if !outputs.contains(&output) {
                survey.outputs.push(PathBuf::from(&output));
                outputs.insert(output);
            }
        }
        if want_folders {
            let folder = folder_of(&url);
            if folders.insert(folder.to_string()) {
                survey.folders.push(folder);
            }
        }
        if new_origin || new_credentials {
            survey.origins.push(url);
        }
        true
    })?;
    if let Some(output) = &options.output
        && survey.urls > 0
    {
        survey.outputs.push(output.clone());
    }
    Ok(survey)
}

/// The second pass: each URL of the list handed to the crawl as a start, in order,
/// its credentials taken out (they are in the run's request rules); a line that is
/// not a URL is a failed item. Blocking: run it on a thread of its own. Stops
/// early when the crawl is gone.
pub(crate) fn send_starts(list: &ListSource, run: &Run, starts: &mpsc::Sender<Start>) {
    let result = list.for_each_line(|line| {
        if run.cancel.is_cancelled() {
            return false;
        }
        match parse_start_url(line) {
            Ok(mut url) => {
                crate::http::request::strip_credentials(std::slice::from_mut(&mut url));
                let output = output_of(&run.options, &url);
                let start = Start {
                    url,
                    output,
                    from_list: true,
                };
                starts.blocking_send(start).is_ok()
            }
            Err(error) => {
                let event = Event::PageFailed {
                    url: shown_input(&redact_text(line)),
                    error: error_chain(&error),
                };
                run.log.record(event, |summary| summary.failed += 1);
                true
            }
        }
    });
    // Read once already by the survey: a list that cannot be read now (deleted,
    // unmounted) leaves the rest of its URLs undone, a failure the user sees.
    if let Err(error) = result {
        let url = match list {
            ListSource::File(path) => path.display().to_string(),
            ListSource::Given(_) => String::new(),
        };
        let event = Event::PageFailed {
            url,
            error: error_chain(&error),
        };
        run.log.record(event, |summary| summary.failed += 1);
    }
}

/// Where the files of start URL `url` go: `-o DIR`, or a folder named after it.
pub(crate) fn output_of(options: &Options, url: &Url) -> PathBuf {
    options
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_output_name(url)))
}

/// Starts handed to the crawl: a bounded channel, so the reader of a list waits
/// while the crawl is busy.
pub(crate) fn start_channel() -> (mpsc::Sender<Start>, mpsc::Receiver<Start>) {
    mpsc::channel(STARTS_AHEAD)
}
