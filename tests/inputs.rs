//! Issue 5, inputs: `-i FILE` and `-i -` URL lists mixing pages and direct file
//! links, told apart by the Content-Type of the answer.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::http::Method;
use support::cli::text;
use support::tree::{pseudo_random_bytes, read_tree, write_files};
use support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(["-o", "out"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fetchall");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn setup() -> (tempfile::TempDir, TestServer, Vec<u8>) {
    let served = tempfile::tempdir().expect("temp dir");
    let iso = pseudo_random_bytes(7, 100_000);
    write_files(
        served.path(),
        &[
            ("listing/a.txt", b"a".to_vec()),
            ("listing/b.txt", b"b".to_vec()),
            ("isos/x.iso", iso.clone()),
            ("notes/readme.txt", b"read me".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    (served, server, iso)
}

fn assert_mirrored(work: &Path, iso: &[u8]) {
    let tree = read_tree(&work.join("out"));
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(names, ["a.txt", "b.txt", "readme.txt", "x.iso"]);
    assert_eq!(tree["x.iso"], iso);
    assert_eq!(tree["readme.txt"], b"read me");
}

#[test]
fn a_url_list_mixes_pages_and_direct_file_links() {
    let (_served, server, iso) = setup();
    let work = tempfile::tempdir().expect("temp dir");
    let list = format!(
        "# what to fetch\n\n{}\n   {}  \n# a text file is a file, not a page\n{}\n",
        server.url("/listing/"),
        server.url("/isos/x.iso"),
        server.url("/notes/readme.txt"),
    );
    std::fs::write(work.path().join("urls.txt"), &list).expect("write list");
    let output = fetchall(work.path(), &["-i", "urls.txt"], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_mirrored(work.path(), &iso);
    // The ISO was asked with HEAD, then fetched once; never read as a page.
    let gets = server
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.target == "/isos/x.iso")
        .count();
    assert_eq!(gets, 1);

    let again = tempfile::tempdir().expect("temp dir");
    let output = fetchall(again.path(), &["-i", "-"], Some(&list));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_mirrored(again.path(), &iso);
}

#[test]
fn command_line_urls_and_a_list_add_up() {
    let (_served, server, iso) = setup();
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("urls.txt"),
        format!(
            "{}\n{}\n",
            server.url("/isos/x.iso"),
            server.url("/notes/readme.txt")
        ),
    )
    .expect("write list");
    let output = fetchall(
        work.path(),
        &["-i", "urls.txt", &server.url("/listing/")],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_mirrored(work.path(), &iso);
}

#[test]
fn an_empty_or_missing_list_is_a_usage_error() {
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(work.path().join("empty.txt"), "# nothing\n\n").expect("write");
    for args in [["-i", "empty.txt"], ["-i", "missing.txt"]] {
        let output = fetchall(work.path(), &args, None);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
