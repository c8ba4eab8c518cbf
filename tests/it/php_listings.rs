//! h5ai and Directory Lister (against the imitations in
//! `support::php_listings`): whole trees of awkward names mirrored, recursive
//! and flat; a re-run that asks for no file body; h5ai read from its items
//! answer, or from its fallback table when that answer lists nothing; Directory
//! Lister's `?dir=` folders mirrored as folders, its chrome and hostile `?dir=`
//! links never asked.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{Method, StatusCode};
use fetchall::{Options, SkipReason};

use crate::support::harness::{self, Ending};
use crate::support::tree::{awkward_files, read_tree, subset, tree_difference};
use crate::support::{ListingStyle, TestServer};

fn files() -> Vec<(String, Vec<u8>)> {
    awkward_files(13)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options
}

fn expected(keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    subset(&files(), keep)
}

/// GETs of a file: no folder, no page of the Directory Lister script.
fn file_gets(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET)
        .map(|request| request.target)
        .filter(|target| !target.ends_with('/') && !target.starts_with("/?"))
        .collect()
}

/// Mirrors `url` twice: the tree comes out whole, and the second run finds
/// every file up to date without a body sent.
fn mirrored_twice(server: &TestServer, work: &Path, url: String) {
    let run = harness::mirror(&options(url.clone(), work, true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.join("out"));
    assert_eq!(
        tree_difference(&expected(|_| true), &got),
        "",
        "{}",
        run.log()
    );
    server.clear_log();
    let again = harness::mirror(&options(url, work, true));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        files().len() as u64,
        "{}",
        again.log()
    );
    assert_eq!(file_gets(server), Vec::<String>::new(), "{}", again.log());
}

#[test]
fn an_h5ai_tree_is_read_from_its_items_and_a_rerun_asks_for_nothing() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::H5ai { api: true });
    mirrored_twice(&server, work.path(), server.url("/"));
    // Every items answer holds `/../../etc/passwd` and another host's file.
    let hostile: Vec<_> = server
        .requests()
        .into_iter()
        .map(|request| request.target)
        .filter(|target| target.contains("etc") || target.contains("elsewhere"))
        .collect();
    assert_eq!(hostile, Vec::<String>::new());
    // Exact sizes and times: not even a HEAD per file.
    let heads = server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::HEAD)
        .count();
    assert_eq!(heads, 0);
    let posts = server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::POST)
        .count();
    assert_eq!(posts, 6, "one items request a folder");
}

#[test]
fn an_h5ai_folder_without_r_gives_its_files_and_skips_its_folders() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::H5ai { api: true });
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|path| !path.contains('/')), &got),
        "",
        "{}",
        run.log()
    );
    let mut folders = run.skipped(SkipReason::Directory);
    folders.sort();
    assert_eq!(
        folders,
        [server.url("/a/"), server.url("/sub%20dir%20%26%20%23/")],
        "{}",
        run.log()
    );
}

#[test]
fn an_h5ai_that_lists_nothing_to_post_is_read_from_its_fallback_table() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::H5ai { api: false });
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|_| true), &got),
        "",
        "{}",
        run.log()
    );
}

#[test]
fn an_h5ai_sub_folder_is_mirrored_alone() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::H5ai { api: true });
    let run = harness::mirror(&options(
        server.url("/sub%20dir%20%26%20%23/"),
        work.path(),
        true,
    ));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want: BTreeMap<_, _> = expected(|path| path.starts_with("sub dir & #/"))
        .into_iter()
        .map(|(path, bytes)| (path["sub dir & #/".len()..].to_string(), bytes))
        .collect();
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

/// Requests a Directory Lister run must never send: chrome, folder paths,
/// `?dir=` values out of the tree.
fn never_asked(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| {
            request.status != StatusCode::OK && request.status != StatusCode::PARTIAL_CONTENT
                || request.target.contains("etc")
                || request.target.contains("zip=")
                || request.target.contains("%2E%2E")
                || request.target.contains("..")
        })
        .map(|request| format!("{} {} {}", request.method, request.target, request.status))
        .collect()
}

#[test]
fn a_directory_lister_tree_is_mirrored_whole_and_a_rerun_sends_no_body() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::DirLister);
    mirrored_twice(&server, work.path(), server.url("/"));
    assert_eq!(never_asked(&server), Vec::<String>::new());
    let heads = server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::HEAD)
        .count();
    assert!(
        heads <= 1,
        "one HEAD learns the host's clock, {heads} were sent"
    );
}

#[test]
fn a_directory_lister_folder_without_r_gives_its_files_and_skips_its_folders() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::DirLister);
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|path| !path.contains('/')), &got),
        "",
        "{}",
        run.log()
    );
    let mut folders = run.skipped(SkipReason::Directory);
    folders.sort();
    assert_eq!(
        folders,
        [server.url("/a/"), server.url("/sub%20dir%20%26%20%23/")],
        "{}",
        run.log()
    );
    assert_eq!(never_asked(&server), Vec::<String>::new());
}

#[test]
fn a_directory_lister_start_at_a_dir_mirrors_that_folder_alone() {
    let (work, server) = TestServer::serving(&files(), ListingStyle::DirLister);
    let run = harness::mirror(&options(
        server.url("/?dir=sub%20dir%20%26%20%23"),
        work.path(),
        true,
    ));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want: BTreeMap<_, _> = expected(|path| path.starts_with("sub dir & #/"))
        .into_iter()
        .map(|(path, bytes)| (path["sub dir & #/".len()..].to_string(), bytes))
        .collect();
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    assert_eq!(never_asked(&server), Vec::<String>::new());
    // The folders above (`/`, `/?dir=a`) are not the start folder's.
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .map(|request| request.target)
        .filter(|target| target.starts_with("/?"))
        .collect();
    assert_eq!(
        pages,
        [
            "/?dir=sub%20dir%20%26%20%23",
            "/?dir=sub%20dir%20%26%20%23/d%C3%A9j%C3%A0"
        ]
    );
}

#[test]
fn a_page_that_only_names_directory_lister_reads_as_before() {
    let files = vec![
        ("docs/x.txt".to_string(), b"x\n".to_vec()),
        ("docs/sub/y.txt".to_string(), b"y\n".to_vec()),
    ];
    let (work, server) = TestServer::serving(&files, ListingStyle::Nginx);
    server.can(
        "/docs/",
        crate::support::Canned::html(
            "<p>Served like <a href=\"https://www.directorylister.com\">Directory Lister</a>\
             would.</p><a href=\"x.txt\">x.txt</a> <a href=\"sub/\">sub/</a>",
        ),
    );
    let run = harness::mirror(&options(server.url("/docs/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = BTreeMap::from([
        ("x.txt".to_string(), b"x\n".to_vec()),
        ("sub/y.txt".to_string(), b"y\n".to_vec()),
    ]);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}
