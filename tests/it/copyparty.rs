//! copyparty (against the imitation in `support::copyparty`): it answers
//! fetchall's `User-Agent` with a plain-text listing that holds no link, so each
//! folder is asked again as `?ls`. A whole tree mirrored, recursive and flat, a
//! re-run that asks for no file; and a plain-text folder page with no link that
//! fails naming its type, never an empty folder.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::Method;
use fetchall::{Options, SkipReason};

use crate::support::harness::{self, Ending};
use crate::support::tree::{awkward_files, read_tree, subset, tree_difference, write_files};
use crate::support::{Canned, ListingStyle, TestServer};

fn files() -> Vec<(String, Vec<u8>)> {
    let mut files = awkward_files(11);
    for (path, _) in &mut files {
        if path == "sub dir & #/déjà/vu.txt" {
            // A name holding an escape-like `%20`, which must not be decoded.
            *path = "sub dir & #/déjà/vu%20.txt".to_string();
        }
    }
    files
}

fn served() -> (tempfile::TempDir, TestServer) {
    TestServer::serving(&files(), ListingStyle::Copyparty)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options
}

fn expected(keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    subset(&files(), keep)
}

/// Requests for a file: any GET that is no folder and no `?ls`.
fn file_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET)
        .map(|request| request.target)
        .filter(|target| !target.ends_with('/') && !target.ends_with("?ls"))
        .collect()
}

#[test]
fn a_copyparty_tree_is_mirrored_whole_and_a_rerun_asks_for_no_file() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|_| true), &got),
        "",
        "{}",
        run.log()
    );
    server.clear_log();
    let again = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        files().len() as u64,
        "{}",
        again.log()
    );
    assert_eq!(file_requests(&server), Vec::<String>::new());
}

#[test]
fn a_copyparty_folder_without_r_gives_its_files_and_skips_its_folders() {
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
}

#[test]
fn a_copyparty_sub_folder_is_mirrored_and_level_limits_the_depth() {
    let (work, server) = served();
    let mut options = options(server.url("/a/"), work.path(), true);
    options.max_level = Some(2);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(read_tree(&work.path().join("out")), BTreeMap::new());
    assert!(
        run.skipped(SkipReason::TooDeep)
            .contains(&server.url("/a/b/c/")),
        "{}",
        run.log()
    );
}

#[test]
fn a_plain_text_folder_page_with_no_link_fails_naming_its_type() {
    let (work, server) = served();
    server.can(
        "/",
        Canned::html("total 2\n-rw-r--r-- 1 a a 5 a.txt\n")
            .with_header("content-type", "text/plain; charset=utf-8"),
    );
    let start = server.url("/");
    let run = harness::mirror(&options(start.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run.page_failure_of(&start).expect("the start page failed");
    for part in ["text/plain", "no link", "HTML or JSON listing"] {
        assert!(failure.contains(part), "{part} in {failure}");
    }
}

#[test]
fn a_plain_text_sub_folder_with_no_link_is_a_failed_page_among_the_files() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path().join("served");
    write_files(
        &root,
        &[
            ("top.txt".to_string(), b"top\n".to_vec()),
            ("sub/x.txt".to_string(), b"x\n".to_vec()),
        ],
    );
    let server = TestServer::start(&root, ListingStyle::Nginx);
    server.can(
        "/sub/",
        Canned::html("x.txt 2 bytes\n").with_header("content-type", "text/plain"),
    );
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let failure = run
        .page_failure_of(&server.url("/sub/"))
        .expect("the sub-folder failed");
    assert!(failure.contains("text/plain"), "{failure}");
    assert_eq!(read_tree(&work.path().join("out")).len(), 1);
}

#[test]
fn a_start_url_that_is_a_plain_text_file_is_still_downloaded() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path().join("served");
    write_files(&root, &[("notes.txt".to_string(), b"just text\n".to_vec())]);
    let server = TestServer::start(&root, ListingStyle::Nginx);
    let run = harness::mirror(&options(server.url("/notes.txt"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        got.get("notes.txt").map(Vec::as_slice),
        Some(&b"just text\n"[..])
    );
}

#[test]
fn a_copyparty_folder_whose_ls_is_no_listing_fails_loudly() {
    let (work, server) = served();
    server.can(
        "/?ls",
        Canned::html("{\"error\": \"no\"}").with_header("content-type", "application/json"),
    );
    let start = server.url("/");
    let run = harness::mirror(&options(start.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run.page_failure_of(&start).expect("the start page failed");
    assert!(failure.contains("copyparty"), "{failure}");
}

#[test]
fn a_browser_user_agent_gets_copyparty_s_script_page_which_is_read_the_same() {
    let (work, server) = served();
    let mut options = options(server.url("/"), work.path(), true);
    options.user_agent = "Mozilla/5.0 (X11; Linux x86_64)".to_string();
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|_| true), &got),
        "",
        "{}",
        run.log()
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.target == "/a/b/?ls"),
        "each folder is asked as ?ls"
    );
}
