//! Listings issue 13 found fetchall still missing or reading poorly: dufs (links
//! drawn by script from JSON in the page), Squid's pages of FTP folders (each file
//! linked three times, `;type=i` among them), `ls -l` lines in a `<pre>` (dates
//! with and without their year), and IIS in locales other than en-US. Each tree
//! is mirrored whole with awkward names, and a re-run sends no request for a file
//! body: exact metadata asks nothing at all; local times at most one HEAD per host,
//! to learn its offset.

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::http::{Method, StatusCode};
use fetchall::Options;

use crate::support::harness::{self, Ending};
use crate::support::listing::more::dufs_json;
use crate::support::tree::{awkward_files, read_tree, subset, tree_difference};
use crate::support::{Canned, IisDates, ListingStyle, TestServer};

fn files() -> Vec<(String, Vec<u8>)> {
    awkward_files(13)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options
}

/// Requests for files (no folder page), as `METHOD target status`.
fn file_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| !request.target.ends_with('/'))
        .map(|request| format!("{} {} {}", request.method, request.target, request.status))
        .collect()
}

/// A file body sent: a GET of a file answered 200 or 206.
fn bodies(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| {
            request.method == Method::GET
                && !request.target.ends_with('/')
                && matches!(request.status, StatusCode::OK | StatusCode::PARTIAL_CONTENT)
        })
        .map(|request| request.target)
        .collect()
}

/// The served files dated back to 2021 by [`age_some`], as requested.
const AGED: [&str; 2] = ["/empty.bin", "/sub%20dir%20%26%20%23/inner%20file.txt"];

/// Dates some served files back to 2021, so that `ls`-style listings print them
/// with their year (to the day), the others with their time.
fn age_some(root: &Path) {
    let march = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_834_367);
    for name in ["empty.bin", "sub dir & #/inner file.txt"] {
        let file = std::fs::File::options()
            .write(true)
            .open(root.join(name))
            .expect("open served file");
        file.set_modified(march).expect("set mtime");
    }
}

/// Mirrors the awkward tree served in `style` recursively, checks it byte for
/// byte, then again: returns the server's requests for files on the re-run.
fn mirror_twice(style: ListingStyle) -> (TestServer, Vec<String>) {
    let (work, server) = TestServer::serving(&files(), style);
    age_some(&work.path().join("served"));
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{style:?}: {}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&subset(&files(), |_| true), &got),
        "",
        "{style:?}: {}",
        run.log()
    );
    server.clear_log();
    let again = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(again.ending(), Ending::Clean, "{style:?}: {}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        files().len() as u64,
        "{style:?}: {}",
        again.log()
    );
    let requests = file_requests(&server);
    assert_eq!(
        bodies(&server),
        Vec::<String>::new(),
        "{style:?}: {requests:?}"
    );
    (server, requests)
}

/// A re-run of local times asks one HEAD at most (to learn the host's offset),
/// and about a file dated 2021 only when the offset learnt today is not known to
/// hold then (daylight saving time) or was not learnt yet (a date alone teaches
/// none): with a conditional GET, answered 304. Any other file was up to date by
/// its listing alone.
fn learning_and_aged_only(requests: &[String]) {
    let heads = requests
        .iter()
        .filter(|request| request.starts_with("HEAD "))
        .count();
    assert!(heads <= 1, "{requests:?}");
    for request in requests
        .iter()
        .filter(|request| !request.starts_with("HEAD "))
    {
        assert!(
            AGED.iter()
                .any(|aged| *request == format!("GET {aged} 304 Not Modified")),
            "{requests:?}"
        );
    }
}

#[test]
fn a_dufs_tree_is_read_from_the_json_in_its_pages_and_a_rerun_asks_for_no_file() {
    let (_server, requests) = mirror_twice(ListingStyle::Dufs);
    assert_eq!(requests, Vec::<String>::new());
}

#[test]
fn a_dufs_folder_without_r_plans_its_files_with_their_exact_sizes() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::Dufs);
    let mut options = options(server.url("/"), work.path(), false);
    options.dry_run = true;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let mut planned: Vec<(String, Option<u64>)> = run
        .events
        .iter()
        .filter_map(|event| match event {
            fetchall::Event::Planned {
                relative_path,
                size,
                ..
            } => Some((relative_path.clone(), *size)),
            _ => None,
        })
        .collect();
    planned.sort();
    let mut top: Vec<(String, Option<u64>)> = files()
        .into_iter()
        .filter(|(path, _)| !path.contains('/'))
        .map(|(path, bytes)| (path, Some(bytes.len() as u64)))
        .collect();
    top.sort();
    assert_eq!(planned, top);
    // A dry run of exact sizes asks the server about no file.
    assert_eq!(file_requests(&server), Vec::<String>::new());
}

/// dufs answers a `User-Agent` starting `curl/`, `wget/`… with a script-less
/// table (rounded sizes, folders linked as `dir/?noscript`): fetchall asks the
/// folder again as `?json`, and gets exact sizes.
#[test]
fn a_dufs_noscript_table_is_asked_again_as_json() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::Dufs);
    let noscript = "<html>\n<head>\n<title>Index of /</title>\n</head>\n<body>\n<h1>Index of /</h1>\n<table>\n  <tbody>\n    <tr><td><a href=\"../?noscript\">../</a></td><td></td><td></td></tr>\n    <tr><td><a href=\"a%20b.txt\">a b.txt</a></td><td>2021-03-04T05:06:07.000Z</td><td>6.00 B</td></tr>\n  </tbody>\n</table>\n</body>\n";
    server.can("/", Canned::html(noscript));
    let json = dufs_json(&work.path().join("served"), "/");
    server.can(
        "/?json",
        Canned::html(json).with_header("content-type", "application/json"),
    );
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&subset(&files(), |path| !path.contains('/')), &got),
        "",
        "{}",
        run.log()
    );
    server.clear_log();
    let again = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        file_requests(&server),
        ["GET /?json 200 OK"],
        "the folder's JSON, and no file"
    );
}

#[test]
fn squid_ftp_pages_give_each_file_once_and_a_rerun_sends_no_body() {
    let (_server, requests) = mirror_twice(ListingStyle::SquidFtp(0));
    learning_and_aged_only(&requests);
}

#[test]
fn ls_long_pre_listings_give_sizes_and_times_and_a_rerun_sends_no_body() {
    // Kolkata: +05:30, no daylight saving time.
    let (_server, requests) = mirror_twice(ListingStyle::LsLong(19_800));
    learning_and_aged_only(&requests);
}

#[test]
fn iis_pages_in_other_locales_give_exact_sizes_and_times() {
    for (dates, offset) in [
        // Berlin in winter, New York in winter, Seoul.
        (IisDates::GermanLong, 3600),
        (IisDates::German, 3600),
        (IisDates::UsLong, -18_000),
        (IisDates::Korean, 32_400),
    ] {
        let (_server, requests) = mirror_twice(ListingStyle::IisLocale(dates, offset));
        learning_and_aged_only(&requests);
    }
}
