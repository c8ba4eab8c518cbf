//! The entry point: reads each start page, plans its files and transfers them with
//! bounded concurrency, reporting every step as an [`Event`].
//!
//! Pages are read by a producer (the crawl) that sends [`Task`]s down a bounded
//! channel; a consumer (the dispatch) starts a transfer for each as soon as a slot
//! (global and per host) is free, so downloads begin while the listing is still
//! being processed. `mirror` only wires them together.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::engine::checksums::load_given_checksums;
use crate::engine::crawl::crawl;
use crate::engine::dispatch::{dispatch, panic_message};
use crate::engine::options::Options;
use crate::engine::plan_file::{self, PlanReader};
use crate::engine::run::Run;
use crate::engine::starts::Start;
use crate::engine::starts::{default_output_name, parse_start_url};
use crate::engine::url_list::{self, ListSource, Survey};
use crate::error::Error;
use crate::event::{Event, Reporter, Summary};
use crate::http::client::{ClientSettings, HttpClient};
use crate::http::request::RequestRules;
use crate::plan::Task;

/// Runs a whole download: every start URL, every file. Returns the totals.
///
/// Fatal errors (an invalid URL, an output folder that cannot be created) are
/// returned before anything is downloaded. A start page that cannot be fetched is
/// reported as [`Event::PageFailed`] and counted in [`Summary::pages_failed`] (in
/// [`Summary::failed`] when it came from [`Options::list_urls`]); a file that fails
/// is reported and counted, and the run goes on.
pub async fn mirror(
    options: &Options,
    reporter: Arc<dyn Reporter>,
    cancel: CancellationToken,
) -> Result<Summary, Error> {
    let started = Instant::now();
    check_delete(options)?;
    let mut starts = parse_starts(options)?;
    let list = ListSource::of(options);
    let survey = match &list {
        Some(list) => {
            let list = list.clone();
            let keep = url_list::SurveyFor::of(options);
            tokio::task::spawn_blocking(move || url_list::survey(&list, &keep))
                .await
                .map_err(|error| Error::Usage(format!("reading the URL list failed: {error}")))??
        }
        None => Survey::default(),
    };
    let plan = match &options.plan {
        Some(path) => Some(plan_file::open(path, options).await?),
        None => None,
    };
    // `https://user:pass@host/` works like `-u` for that host; from here on the URLs
    // (and so every event) carry no credentials. A plan's credentials go where its
    // first file is.
    let origins: Vec<Url> = starts
        .iter()
        .cloned()
        .chain(survey.origins.iter().cloned())
        .chain(plan.as_ref().and_then(PlanReader::first_url))
        .collect();
    let rules = RequestRules::new(&options.request, &origins)?;
    crate::http::request::strip_credentials(&mut starts);
    let client = HttpClient::new(&client_settings(options), rules)?;
    let mut outputs = create_outputs(options, &starts)?;
    for output in &survey.outputs {
        create_output(options, output)?;
    }
    let mut locked = outputs.clone();
    locked.extend(survey.outputs.iter().cloned());
    if let Some(plan) = &plan {
        create_output(options, &plan.output)?;
        locked.push(plan.output.clone());
    }
    // One run per output folder, held until this function returns.
    let _locks = crate::disk::lock::lock_outputs(&locked, options).await?;

    let run = Arc::new(Run::new(options, client, reporter, cancel));
    // A checksum file given applies to the folder of every start URL.
    let checked: Vec<Url> = starts.iter().chain(&survey.folders).cloned().collect();
    load_given_checksums(&run, &checked).await?;
    let (sender, receiver) = mpsc::channel::<Task>(1024);
    let (start_sender, start_receiver) = url_list::start_channel();
    let first_start = starts.first().cloned().or_else(|| survey.first.clone());
    let start_count = starts.len() + survey.urls;
    let command_line: Vec<Start> = starts
        .into_iter()
        .zip(outputs.drain(..))
        .map(|(url, output)| Start {
            url,
            output,
            from_list: false,
        })
        .collect();
    // The starts: those of the command line, then the list's, read as the crawl
    // takes them.
    let reader = {
        let run = Arc::clone(&run);
        tokio::task::spawn_blocking(move || {
            for start in command_line {
                if start_sender.blocking_send(start).is_err() {
                    return;
                }
            }
            if let Some(list) = list {
                url_list::send_starts(&list, &run, &start_sender);
            }
        })
    };
    let producer = {
        let run = Arc::clone(&run);
        tokio::spawn(async move {
            match plan {
                Some(plan) => plan_file::plan_tasks(&run, plan, sender).await,
                None => crawl(&run, start_receiver, sender).await,
            }
        })
    };
    dispatch(&run, receiver).await;
    // The producer has finished once the channel closed. A panic in it (a bug, or a
    // panicking `Reporter`) means pages were left unread: a failure the user sees.
    if let Err(error) = producer.await
        && error.is_panic()
    {
        crawler_panicked(&run, first_start.as_ref(), start_count, error);
    }
    // The reader stops once the crawl is gone (it sends into a closed channel).
    let _ = reader.await;
    crate::engine::delete::delete_unlisted(&run).await;

    let mut summary = run.log.summary();
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    summary.interrupted = run.cancel.is_cancelled();
    run.log.report(Event::Summary(summary.clone()));
    Ok(summary)
}

/// `--delete` compares a folder's listing with the disk: where files are not saved
/// under their listed names (`--flat`, `--content-disposition`) or no listing is
/// read (`-i`), it could only delete what it should not.
fn check_delete(options: &Options) -> Result<(), Error> {
    let conflict = if !options.delete {
        return Ok(());
    } else if options.flat {
        "--flat"
    } else if options.content_disposition {
        "--content-disposition"
    } else if !options.list_urls.is_empty() || options.list_file.is_some() {
        "-i (a list of URLs)"
    } else if options.plan.is_some() {
        "-i (a plan)"
    } else {
        return Ok(());
    };
    Err(Error::Usage(format!(
        "--delete cannot be used with {conflict}: files are not saved under the names \
         their folder's listing gives, so what is gone cannot be told"
    )))
}

/// The start URLs given (any invalid one is fatal). Those of a `-i` list are read
/// as the run goes (see [`url_list`]): a line there that is not a URL (`htps://…`,
/// a stray word) is one failed item, and the others are still done.
fn parse_starts(options: &Options) -> Result<Vec<Url>, Error> {
    options
        .urls
        .iter()
        .map(|input| parse_start_url(input))
        .collect()
}

/// The HTTP client's part of the options.
fn client_settings(options: &Options) -> ClientSettings {
    ClientSettings {
        user_agent: options.user_agent.clone(),
        connect_timeout: options.connect_timeout,
        read_timeout: options.read_timeout,
        concurrency_per_host: options.jobs.min(options.jobs_per_host).max(1),
        proxy: options.request.proxy.clone(),
        cacert: options.request.cacert.clone(),
        insecure: options.request.insecure,
        low_speed: options.low_speed,
    }
}

/// The output folder of each start URL, created unless this is a dry run.
fn create_outputs(options: &Options, starts: &[Url]) -> Result<Vec<PathBuf>, Error> {
    let mut outputs = Vec::new();
    for start in starts {
        let output = options
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(default_output_name(start)));
        create_output(options, &output)?;
        outputs.push(output);
    }
    Ok(outputs)
}

/// Creates `output`, unless this is a dry run.
fn create_output(options: &Options, output: &Path) -> Result<(), Error> {
    if !options.dry_run {
        std::fs::create_dir_all(output).map_err(|source| Error::OutputDir {
            path: output.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// The crawler task panicked: every page it had not read yet is lost. Counted as
/// a failure (exit 1), reported as the failure of the start pages' crawl.
fn crawler_panicked(run: &Run, first: Option<&Url>, count: usize, error: tokio::task::JoinError) {
    let message = panic_message(error);
    run.listings.failed("the crawl (it panicked)");
    // One crawler reads every start URL in turn; the event names the first (a
    // `-i` list may hold thousands) and says how many there were.
    let url = first.map(Url::to_string).unwrap_or_default();
    let others = match count {
        0 | 1 => String::new(),
        count => format!(" (crawling {count} start URLs)"),
    };
    run.log.record_failure_guarded(Event::PageFailed {
        url,
        error: format!(
            "internal error: the crawler panicked{others} ({message}); pages it had not read yet were not downloaded"
        ),
    });
}
