//! Issue 14, memory that does not grow with the mirror: the crawl (listing pages,
//! the lines of a `-i` list and the HEAD each start URL is asked) never runs
//! further ahead of the transfers than the queue between them, so what a run holds
//! is bounded by that queue, not by the size of the job. Every file's body is held
//! by the server; once every transfer slot is taken, what the crawl did is counted
//! from the request log and the events. No time is asserted: the pause only gives
//! an unbounded crawl the chance to show itself.
//!
//! And `-i FILE` lists, now read line by line while the run goes, keep what the
//! list reader promised: blank lines, `#` comments and a byte-order mark skipped,
//! a URL listed twice fetched once, a line that is not a URL one failed item.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::Method;
use fetchall::{CancellationToken, Event, Options};

use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Recorder};
use crate::support::tree::write_files;
use crate::support::{ListingStyle, TestServer};

/// File tasks queued between the crawl and the transfers (the engine's channel).
const QUEUE: usize = 1024;
const JOBS: usize = 4;

/// Runs `options` until `jobs` file bodies are held by the server, lets the crawl
/// go on as far as it will, then stops the run; returns every event and the
/// requests the server saw by then.
fn run_until_transfers_are_held(
    server: &TestServer,
    options: &Options,
) -> (Vec<Event>, Vec<crate::support::LoggedRequest>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let recorder = Arc::new(Recorder::default());
    let cancel = CancellationToken::new();
    let run = {
        let (options, recorder, cancel) = (options.clone(), recorder.clone(), cancel.clone());
        runtime.spawn(async move { fetchall::mirror(&options, recorder, cancel).await })
    };
    // A deadline only against a hang: a crawl that runs ahead fails the count below.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let held = server
            .requests()
            .iter()
            .filter(|r| r.method == Method::GET && r.target.ends_with(".bin"))
            .count();
        if held >= options.jobs {
            break;
        }
        assert!(
            Instant::now() < deadline && !run.is_finished(),
            "the transfers never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let requests = server.requests();
    let events = recorder.events();
    cancel.cancel();
    server.faults().stop();
    let _ = runtime.block_on(run);
    (events, requests)
}

fn queued(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|event| matches!(event, Event::Queued { .. }))
        .count()
}

/// `count` tiny files `f-NNNN.bin` under `folder`, each held by the server: every
/// GET's body never comes (after one HEAD answered, if `head_first`: a start URL
/// is asked what it is).
fn held_files(
    root: &Path,
    server: &TestServer,
    folder: &str,
    count: usize,
    head_first: bool,
) -> Vec<String> {
    let paths: Vec<String> = (0..count)
        .map(|index| format!("{folder}/f-{index:04}.bin"))
        .collect();
    let files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|path| (path.clone(), path.as_bytes().to_vec()))
        .collect();
    write_files(root, &files);
    for path in &paths {
        let path = format!("/{path}");
        if head_first {
            let file = vec![("content-type", "application/octet-stream".to_string())];
            server.faults().script(&path, [Fault::Status(200, file)]);
        }
        let stall = Fault::StallAfter(0, Duration::from_secs(600));
        server.faults().always(&path, stall);
    }
    paths
}

#[test]
fn a_url_list_is_read_no_further_ahead_than_the_transfers_take_it() {
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let lines = 3 * QUEUE;
    let paths = held_files(served.path(), &server, "isos", lines, true);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = harness::options(Vec::<String>::new(), &work.path().join("out"));
    // What `-i -` reads (a list given whole); `-i FILE` takes the same road.
    options.list_urls = paths
        .iter()
        .map(|path| server.url(&format!("/{path}")))
        .collect();
    options.jobs = JOBS;
    options.jobs_per_host = JOBS;

    let (events, requests) = run_until_transfers_are_held(&server, &options);
    let heads = requests.iter().filter(|r| r.method == Method::HEAD).count();
    // Asked ahead: the queue, the tasks the transfers hold or wait with, and the
    // questions in flight (`--jobs` of them).
    let bound = QUEUE + 4 * JOBS;
    assert!(
        heads <= bound,
        "{heads} of the list's {lines} URLs were asked while {JOBS} transfers were held"
    );
    assert!(queued(&events) <= bound, "{} queued", queued(&events));
}

#[test]
fn a_recursive_crawl_reads_no_further_ahead_than_the_transfers_take_it() {
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let (folders, per_folder) = (60, 100);
    for folder in 0..folders {
        let folder = format!("tree/d{folder:02}");
        held_files(served.path(), &server, &folder, per_folder, false);
    }
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = harness::options([server.url("/tree/")], &work.path().join("out"));
    options.recursive = true;
    options.jobs = JOBS;
    options.jobs_per_host = JOBS;

    let (events, requests) = run_until_transfers_are_held(&server, &options);
    let pages = requests
        .iter()
        .filter(|r| r.method == Method::GET && r.target.ends_with('/'))
        .count();
    // The pages whose files fill the queue, the one being planned, and the window
    // of pages fetched ahead (8 at least).
    let page_bound = (QUEUE + 2 * JOBS).div_ceil(per_folder) + 2 + 8.max(JOBS);
    assert!(
        pages <= page_bound,
        "{pages} of {} pages read while {JOBS} transfers were held",
        folders + 1
    );
    let queued = queued(&events);
    assert!(
        queued <= QUEUE + 2 * JOBS + per_folder,
        "{queued} of {} files queued",
        folders * per_folder
    );
}

#[test]
fn a_list_file_keeps_the_list_rules_as_it_is_read_line_by_line() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("pub/a b.txt", b"a".to_vec()),
            ("pub/c#1.txt", b"c".to_vec()),
            ("x/y.iso", b"iso".to_vec()),
            ("x/caf\u{e9}.txt", b"cafe".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let iso = server.url("/x/y.iso");
    let list = format!(
        "\u{feff}# a comment\n\n   {pub_page}  \n{iso}\n\t{iso}\nhtps://typo/\r\n{cafe}\n{missing}\n# {not_read}\n",
        pub_page = server.url("/pub/"),
        cafe = server.url("/x/caf%C3%A9.txt"),
        missing = server.url("/nothere/"),
        not_read = server.url("/x/never.bin"),
    );
    let path = work.path().join("urls.txt");
    std::fs::write(&path, list).expect("write list");
    let mut options = harness::options(Vec::<String>::new(), &work.path().join("out"));
    options.list_file = Some(path);
    let run = harness::mirror(&options);
    let log = run.log();
    assert_eq!(run.ending(), Ending::SomeFailed, "{log}");
    // The typo and the missing page: failed items of the batch, not bad usage.
    let summary = run.summary();
    assert_eq!((summary.failed, summary.pages_failed), (2, 0), "{log}");
    assert!(run.page_failure_of("htps://typo/").is_some(), "{log}");
    let tree = crate::support::tree::read_tree(&work.path().join("out"));
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["a b.txt", "c#1.txt", "caf\u{e9}.txt", "y.iso"],
        "{log}"
    );
    let iso_gets = server
        .requests()
        .iter()
        .filter(|r| r.method == Method::GET && r.target == "/x/y.iso")
        .count();
    assert_eq!(iso_gets, 1, "a URL listed twice is fetched once");
    assert!(
        !server.requests().iter().any(|r| r.target == "/x/never.bin"),
        "a commented line is not read"
    );
}
