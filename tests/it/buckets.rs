//! Object-store listings (S3, Azure Blob) against the in-process store imitation
//! (`support::bucket`: real paging, a few keys a page): a bucket mirrored whole,
//! recursive and flat, from its root or a prefix, `--level`, a re-run that sends
//! no file request, and answers that are no listing failing loudly.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{Method, StatusCode};
use fetchall::{Options, SkipReason};

use crate::support::bucket::{AZURE_ROOT, PAGE_KEYS, S3_ROOT};
use crate::support::harness::{self, Ending};
use crate::support::tree::{awkward_files, read_tree, subset, tree_difference};
use crate::support::{Canned, ListingStyle, TestServer};

/// Keys no listing should lose: reserved and awkward characters, UTF-8, an empty
/// object, a folder of more keys than a page holds, and deeper folders.
fn bucket_files() -> Vec<(String, Vec<u8>)> {
    let mut files = awkward_files(7);
    for index in 0..(PAGE_KEYS * 3 + 1) {
        files.push((
            format!("many/f{index:02}.txt"),
            format!("{index}\n").into_bytes(),
        ));
    }
    files
}

fn expected(files: &[(String, Vec<u8>)], keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    subset(files, keep)
}

fn served(style: ListingStyle) -> (tempfile::TempDir, TestServer) {
    TestServer::serving(&bucket_files(), style)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options
}

/// Requests that fetched an object (any GET without a listing query).
fn object_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET && !request.target.contains('?'))
        .filter(|request| request.target != format!("{S3_ROOT}/"))
        .map(|request| request.target)
        .collect()
}

/// A bucket from its root, recursively: every key, byte for byte, folders of
/// several pages complete; then a re-run asks for no object at all.
fn mirrored_whole_then_resynced(style: ListingStyle, start: &str) {
    let (work, server) = served(style);
    let run = harness::mirror(&options(server.url(start), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(&bucket_files(), |_| true);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    let listings: Vec<String> = server
        .requests()
        .into_iter()
        .map(|request| request.target)
        .filter(|target| target.contains("prefix=many%2F"))
        .collect();
    assert_eq!(listings.len(), 4, "many/ comes in 4 pages: {listings:?}");
    server.clear_log();
    let again = harness::mirror(&options(server.url(start), work.path(), true));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        want.len() as u64,
        "{}",
        again.log()
    );
    assert_eq!(object_requests(&server), Vec::<String>::new());
}

#[test]
fn an_s3_bucket_is_mirrored_whole_and_a_rerun_asks_for_no_object() {
    mirrored_whole_then_resynced(ListingStyle::S3, &format!("{S3_ROOT}/"));
}

#[test]
fn an_azure_container_is_mirrored_whole_and_a_rerun_asks_for_no_object() {
    mirrored_whole_then_resynced(
        ListingStyle::Azure,
        &format!("{AZURE_ROOT}?restype=container&comp=list"),
    );
}

#[test]
fn a_bucket_without_r_gives_its_top_files_and_skips_its_folders() {
    let (work, server) = served(ListingStyle::S3);
    let run = harness::mirror(&options(
        server.url(&format!("{S3_ROOT}/")),
        work.path(),
        false,
    ));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(&bucket_files(), |path| !path.contains('/'));
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    let mut folders = run.skipped(SkipReason::Directory);
    folders.sort();
    let url = |path: &str| server.url(&format!("{S3_ROOT}/{path}"));
    assert_eq!(
        folders,
        [url("a/"), url("many/"), url("sub%20dir%20&%20%23/")],
        "{}",
        run.log()
    );
}

#[test]
fn a_prefix_in_the_start_url_starts_the_mirror_at_that_folder() {
    let (work, server) = served(ListingStyle::S3);
    // No final slash: the query alone says it is a listing, not a file.
    let start = server.url(&format!("{S3_ROOT}?prefix=sub%20dir%20%26%20%23/"));
    let run = harness::mirror(&options(start, work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want: BTreeMap<String, Vec<u8>> =
        expected(&bucket_files(), |path| path.starts_with("sub dir & #/"))
            .into_iter()
            .map(|(path, bytes)| (path["sub dir & #/".len()..].to_string(), bytes))
            .collect();
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

#[test]
fn level_limits_how_deep_a_bucket_is_read() {
    let (work, server) = served(ListingStyle::S3);
    let mut options = options(server.url(&format!("{S3_ROOT}/")), work.path(), true);
    options.max_level = Some(2);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(&bucket_files(), |path| path.matches('/').count() <= 1);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    assert!(
        run.skipped(SkipReason::TooDeep)
            .contains(&server.url(&format!("{S3_ROOT}/a/b/"))),
        "{}",
        run.log()
    );
}

#[test]
fn an_s3_error_answer_is_a_failed_start_page_never_an_empty_folder() {
    let (work, server) = served(ListingStyle::S3);
    let error = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"#;
    server.can(
        "/denied/",
        Canned::html(error).with_header("content-type", "application/xml"),
    );
    let start = server.url("/denied/");
    let run = harness::mirror(&options(start.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run.page_failure_of(&start).expect("the start page failed");
    for part in [
        "application/xml",
        "<Error>",
        "AccessDenied",
        "ListBucketResult",
    ] {
        assert!(failure.contains(part), "{part} in {failure}");
    }
}

#[test]
fn other_xml_is_no_listing_either() {
    let (work, server) = served(ListingStyle::S3);
    server.can(
        "/sitemap/",
        Canned::html(r#"<?xml version="1.0"?><urlset><url><loc>http://x/</loc></url></urlset>"#)
            .with_header("content-type", "text/xml; charset=utf-8"),
    );
    let start = server.url("/sitemap/");
    let run = harness::mirror(&options(start.clone(), work.path(), false));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run.page_failure_of(&start).expect("the start page failed");
    assert!(
        failure.contains("text/xml") && failure.contains("<urlset>"),
        "{failure}"
    );
}

/// The test store's continuation token after `key`: the key, hex-encoded.
fn token(key: &str) -> String {
    key.bytes().map(|byte| format!("{byte:02x}")).collect()
}

/// The request for the page of many/ that follows `key`.
fn page_after(key: &str) -> String {
    format!(
        "{S3_ROOT}/?list-type=2&delimiter=%2F&prefix=many%2F&continuation-token={}",
        token(key)
    )
}

#[test]
fn a_folder_whose_next_page_fails_is_a_failure_not_a_shorter_folder() {
    let (work, server) = served(ListingStyle::S3);
    // The second page of many/.
    let target = page_after("many/f02.txt");
    server.can(
        &target,
        Canned {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: b"<Error><Code>InternalError</Code></Error>".to_vec(),
        },
    );
    let run = harness::mirror(&options(
        server.url(&format!("{S3_ROOT}/")),
        work.path(),
        true,
    ));
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let many = server.url(&format!("{S3_ROOT}/many/"));
    let failure = run.page_failure_of(&many).expect("many/ failed");
    assert!(failure.contains("InternalError"), "{failure}");
    assert!(
        !work.path().join("out/many").exists(),
        "no file of a folder read in part: {}",
        run.log()
    );
}

/// Continuation tokens that come back round (A, B, A…) would be listed for ever,
/// every page kept: the folder fails as soon as a token repeats.
#[test]
fn a_folder_whose_pages_come_back_round_fails_instead_of_looping() {
    let (work, server) = served(ListingStyle::S3);
    // The page after many/f02.txt sends the listing back to its start, whose
    // second page leads here again.
    let target = page_after("many/f02.txt");
    let back = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>bkt</Name><Prefix>many/</Prefix><MaxKeys>3</MaxKeys>\
         <IsTruncated>true</IsTruncated>\
         <NextContinuationToken>{}</NextContinuationToken></ListBucketResult>",
        token("many/")
    );
    server.can(
        &target,
        Canned::html(back).with_header("content-type", "application/xml"),
    );
    let run = harness::mirror(&options(
        server.url(&format!("{S3_ROOT}/")),
        work.path(),
        true,
    ));
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let many = server.url(&format!("{S3_ROOT}/many/"));
    let failure = run.page_failure_of(&many).expect("many/ failed");
    assert!(failure.contains("came back"), "{failure}");
    assert!(!work.path().join("out/many").exists(), "{}", run.log());
}

#[test]
fn a_bucket_linked_from_an_html_page_is_walked_as_a_bucket() {
    let (work, server) = served(ListingStyle::S3);
    server.can("/", Canned::html(r#"<a href="bkt/">the data</a>"#));
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want: BTreeMap<String, Vec<u8>> = expected(&bucket_files(), |_| true)
        .into_iter()
        .map(|(path, bytes)| (format!("bkt/{path}"), bytes))
        .collect();
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}
