//! WebDAV folders (`--webdav`) against the in-process imitation
//! (`support::webdav`: `PROPFIND` `Depth: 1`, a 404 propstat block for missing
//! properties, folders not readable by GET): a tree with awkward names mirrored
//! byte for byte, recursive and not, `--level`, a re-run that asks no file, and
//! a 207 that cannot be read failing its folder by name.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{Method, StatusCode};
use fetchall::{Options, SkipReason};

use crate::support::harness::{self, Ending};
use crate::support::tree::{awkward_files, read_tree, subset, tree_difference, write_files};
use crate::support::{Canned, ListingStyle, TestServer};

/// Names no listing should lose: reserved and awkward characters, UTF-8, a
/// 200-byte name, an empty file, and folders three deep.
fn dav_files() -> Vec<(String, Vec<u8>)> {
    awkward_files(11)
}

fn expected(keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    subset(&dav_files(), keep)
}

fn served() -> (tempfile::TempDir, TestServer) {
    TestServer::serving(&dav_files(), ListingStyle::WebDav)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options.webdav = true;
    options
}

/// Every request that was not a `PROPFIND`, by method and target.
fn other_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method.as_str() != "PROPFIND")
        .map(|request| format!("{} {}", request.method, request.target))
        .collect()
}

#[test]
fn a_webdav_tree_is_mirrored_whole_and_a_rerun_asks_for_no_file() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|_| true);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    // One PROPFIND per folder, each with Depth: 1.
    let propfinds: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.method.as_str() == "PROPFIND")
        .collect();
    assert_eq!(propfinds.len(), 6, "{propfinds:?}");
    assert!(propfinds.iter().all(|request| {
        request.headers.get("depth").and_then(|v| v.to_str().ok()) == Some("1")
            && request.status == StatusCode::MULTI_STATUS
    }));
    server.clear_log();
    let again = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        want.len() as u64,
        "{}",
        again.log()
    );
    assert_eq!(other_requests(&server), Vec::<String>::new());
}

#[test]
fn a_webdav_folder_without_r_gives_its_top_files_and_skips_its_folders() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|path| !path.contains('/'));
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    let mut folders = run.skipped(SkipReason::Directory);
    folders.sort();
    assert_eq!(
        folders,
        [server.url("/a/"), server.url("/sub%20dir%20%26%20%23/")],
        "{}",
        run.log()
    );
    // Only the files were fetched: the start folder was asked by PROPFIND.
    assert!(
        other_requests(&server)
            .iter()
            .all(|request| request.starts_with("GET /") && !request.ends_with('/')),
        "{:?}",
        other_requests(&server)
    );
}

#[test]
fn level_limits_how_deep_a_webdav_tree_is_read() {
    let (work, server) = served();
    let mut options = options(server.url("/"), work.path(), true);
    options.max_level = Some(2);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|path| path.matches('/').count() <= 1);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    assert!(
        run.skipped(SkipReason::TooDeep)
            .contains(&server.url("/a/b/")),
        "{}",
        run.log()
    );
}

#[test]
fn a_start_url_without_its_slash_is_told_folder_or_file_by_propfind() {
    let (work, server) = served();
    // GET and HEAD of a folder are 405 here, as rclone answers them.
    let run = harness::mirror(&options(
        server.url("/sub%20dir%20%26%20%23"),
        work.path(),
        true,
    ));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want: BTreeMap<String, Vec<u8>> = expected(|path| path.starts_with("sub dir & #/"))
        .into_iter()
        .map(|(path, bytes)| (path["sub dir & #/".len()..].to_string(), bytes))
        .collect();
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    // A file is a file.
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/hash%23name.txt"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = BTreeMap::from([("hash#name.txt".to_string(), b"hash\n".to_vec())]);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

#[test]
fn a_207_that_cannot_be_read_fails_its_folder_never_an_empty_one() {
    let (work, server) = served();
    let unreadable = |body: &str| Canned {
        status: StatusCode::MULTI_STATUS,
        headers: vec![("content-type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
    };
    // The start folder: a well-formed page of another kind.
    server.can("/", unreadable("<html><body>Not DAV</body></html>"));
    let start = server.url("/");
    let run = harness::mirror(&options(start.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run
        .page_failure_of(&start)
        .expect("the start folder failed");
    assert!(
        failure.contains("multistatus") && failure.contains("<html>"),
        "{failure}"
    );
    // A sub-folder: a multi-status cut short.
    let (work, server) = served();
    server.can(
        "/a/",
        unreadable(r#"<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a/</D:href>"#),
    );
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    assert!(
        run.page_failure_of(&server.url("/a/")).is_some(),
        "{}",
        run.log()
    );
    assert!(!work.path().join("out/a").exists(), "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|path| !path.starts_with("a/"));
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

#[test]
fn without_webdav_a_dav_server_is_not_listed_by_propfind() {
    let (work, server) = served();
    let mut options = options(server.url("/"), work.path(), true);
    options.webdav = false;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    assert!(
        server
            .requests()
            .iter()
            .all(|request| request.method == Method::GET),
        "no PROPFIND unless asked"
    );
}

#[test]
fn webdav_against_a_server_that_speaks_no_dav_fails_by_name() {
    // An Apache-style listing server answers PROPFIND with its HTML listing (200).
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path().join("plain");
    write_files(&root, &dav_files());
    let server = TestServer::start(&root, ListingStyle::Apache);
    let start = server.url("/");
    let run = harness::mirror(&options(start.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run
        .page_failure_of(&start)
        .expect("the start folder failed");
    assert!(failure.contains("Multi-Status"), "{failure}");
}

#[test]
fn the_cli_flag_turns_webdav_on() {
    let (work, server) = served();
    let out = work.path().join("cli-out");
    let output = crate::support::cli::run(
        work.path(),
        &["-q"],
        &[
            "--webdav",
            "-r",
            "-o",
            out.to_str().expect("UTF-8 path"),
            &server.url("/"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        crate::support::cli::text(&output.stderr)
    );
    assert_eq!(tree_difference(&expected(|_| true), &read_tree(&out)), "");
}
