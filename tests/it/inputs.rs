//! Issue 5, inputs: `-i FILE` and `-i -` URL lists mixing pages and direct file
//! links, told apart by the Content-Type of the answer. Reading the list is the
//! binary's (tested through it); what a run does with its URLs is checked in this
//! process.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::http::Method;

use crate::support;
use crate::support::cli::text;
use crate::support::harness::{self, Ending};
use crate::support::tree::{pseudo_random_bytes, read_tree, write_files};
use crate::support::{ListingStyle, TestServer};

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

#[test]
fn a_list_entry_that_fails_is_a_failed_item_not_bad_usage() {
    let (served, server, iso) = setup();
    write_files(
        served.path(),
        &[
            ("isos/broken.iso", b"never served".to_vec()),
            ("isos/no-head.iso", b"HEAD is refused".to_vec()),
            ("isos/no-head-501.iso", b"HEAD is not implemented".to_vec()),
        ],
    );
    let canned = |status: u16, body: &str| support::Canned {
        status: axum::http::StatusCode::from_u16(status).expect("status"),
        headers: vec![("content-type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
    };
    // Error pages are HTML, as real servers send them.
    server.can("/isos/gone.iso", canned(410, "<h1>Gone</h1>"));
    server.can("/isos/missing.iso", canned(404, "<h1>Not Found</h1>"));
    server.faults().always(
        "/isos/broken.iso",
        support::faults::Fault::Status(500, vec![]),
    );
    server
        .faults()
        .always("/isos/no-head.iso", support::faults::Fault::RefuseHead(405));
    server.faults().always(
        "/isos/no-head-501.iso",
        support::faults::Fault::RefuseHead(501),
    );
    // Direct links with a query: two files, not one name taken twice.
    for id in [1, 2] {
        server.can(
            &format!("/dl?id={id}"),
            support::Canned {
                status: axum::http::StatusCode::OK,
                headers: vec![("content-type".into(), "application/zip".into())],
                body: format!("zip {id}").into_bytes(),
            },
        );
    }
    let work = tempfile::tempdir().expect("temp dir");
    let list = [
        // A folder link without its slash (mini_httpd style): redirected, a page.
        "/listing",
        "/isos/x.iso",
        "/isos/missing.iso",
        "/isos/gone.iso",
        "/isos/broken.iso",
        "/isos/no-head.iso",
        "/isos/no-head-501.iso",
        "/notes/readme.txt",
        "/dl?id=1",
        "/dl?id=2",
        // A page (trailing slash) that does not exist.
        "/nothere/",
    ]
    .map(|path| server.url(path));
    // What `-i urls.txt` reads, with `--retries 2 --retry-wait 0.01`.
    let mut options = harness::options(Vec::<String>::new(), &work.path().join("out"));
    options.list_urls = list.to_vec();
    options.retry.retries = 2;
    harness::retry_wait(&mut options, std::time::Duration::from_millis(10));
    let run = harness::mirror(&options);
    let log = run.log();
    assert_eq!(run.ending(), Ending::SomeFailed, "{log}");

    for (path, status) in [
        ("/isos/missing.iso", "404"),
        ("/isos/gone.iso", "410"),
        ("/isos/broken.iso", "500"),
    ] {
        let error = run
            .failure_of(&server.url(path))
            .unwrap_or_else(|| panic!("{path} is a failed file: {log}"));
        assert!(error.contains(status), "{path}: {error}");
        assert_eq!(run.page_failure_of(&server.url(path)), None);
    }
    // The 500 was retried as a file is (first attempt plus two retries).
    let broken_gets = server
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.target == "/isos/broken.iso")
        .count();
    assert!(broken_gets >= 3, "{broken_gets}");
    let page_error = run
        .page_failure_of(&server.url("/nothere/"))
        .expect("the missing page is reported as a page");
    assert!(page_error.contains("404"), "{page_error}");

    let summary = run.summary();
    assert_eq!(summary.failed, 4, "{summary:?}");
    assert_eq!(summary.pages_failed, 0, "{summary:?}");

    let tree = read_tree(&work.path().join("out"));
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "a.txt",
            "b.txt",
            "dl?id=1",
            "dl?id=2",
            "no-head-501.iso",
            "no-head.iso",
            "readme.txt",
            "x.iso"
        ],
        "{log}"
    );
    assert_eq!(tree["x.iso"], iso);
    assert_eq!(tree["no-head.iso"], b"HEAD is refused");
    assert_eq!(tree["dl?id=2"], b"zip 2");
}

#[test]
fn a_missing_file_on_the_command_line_is_a_failed_file_and_a_missing_page_bad_usage() {
    let (_served, server, _iso) = setup();
    let work = tempfile::tempdir().expect("temp dir");
    let missing = server.url("/isos/missing.iso");
    let run = harness::mirror(&harness::options([&missing], &work.path().join("out")));
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let error = run.failure_of(&missing).expect("a failed file");
    assert!(error.contains("404"), "{error}");

    // A start page given on the command line that cannot be read stays exit 2.
    let run = harness::mirror(&harness::options(
        [server.url("/nothere/")],
        &work.path().join("out"),
    ));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
}

/// Runs the binary in `dir` with `-i fifo`, a FIFO that a thread fills with
/// `contents` once (as a shell's `<(…)` or a pipe would), killing it after a
/// minute: the test then fails instead of hanging.
fn fetchall_from_fifo(dir: &Path, contents: String, args: &[&str]) -> Option<Output> {
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success(), "mkfifo");
    let writer = std::thread::spawn(move || {
        // Opening blocks until the run opens it to read; written once, closed.
        if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&fifo) {
            let _ = pipe.write_all(contents.as_bytes());
        }
    });
    let output = support::cli::run_within_a_minute(dir, &["-o", "out", "-i", "fifo"], args);
    if output.is_some() {
        let _ = writer.join();
    }
    output
}

/// A list or a plan given as a pipe (a FIFO, `<(…)`) can be read only once: it is
/// read once, as `-i -` is. Before, each of the passes over the list drained it:
/// every URL was lost and the run said `0 downloaded` with exit 0, or a plan was
/// read from the middle of a line, or the run waited for ever on a FIFO.
#[test]
fn a_list_or_a_plan_from_a_pipe_is_read_once() {
    let (_served, server, iso) = setup();
    let list = format!(
        "{}\n{}\n{}\n",
        server.url("/listing/"),
        server.url("/isos/x.iso"),
        server.url("/notes/readme.txt"),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall_from_fifo(work.path(), list.clone(), &[])
        .expect("a list from a FIFO: still running after a minute");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_mirrored(work.path(), &iso);

    // A plan (a dry run's JSON lines), through a FIFO too.
    let planned = tempfile::tempdir().expect("temp dir");
    std::fs::write(planned.path().join("urls.txt"), &list).expect("write list");
    let dry = support::cli::run(
        planned.path(),
        &[],
        &["-n", "--json", "-o", "out", "-i", "urls.txt"],
    );
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let plan = text(&dry.stdout);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall_from_fifo(work.path(), plan, &[])
        .expect("a plan from a FIFO: still running after a minute");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_mirrored(work.path(), &iso);
}

/// A line of a list that is no URL is named in its error as the user can read
/// it: control characters escaped, and cut at 100 characters (a 1 MB line is not
/// echoed, twice, to the terminal).
#[test]
fn a_bad_list_line_is_named_short_and_escaped() {
    let (_served, server, _iso) = setup();
    let work = tempfile::tempdir().expect("temp dir");
    let long = format!("htp://{}", "x".repeat(1_000_000));
    let list = format!(
        "{long}\n\u{1b}[31mnot a url\u{7}\n{}\n",
        server.url("/notes/readme.txt")
    );
    std::fs::write(work.path().join("urls.txt"), &list).expect("write list");
    let output = fetchall(work.path(), &["-i", "urls.txt"], None);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        &stderr[..stderr.len().min(2_000)]
    );
    assert!(stderr.len() < 10_000, "{} bytes on stderr", stderr.len());
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr}"
    );
    assert!(stderr.contains("\\u{1b}[31mnot a url\\u{7}"), "{stderr}");
    assert!(
        stderr.contains(&format!("htp://{}…", "x".repeat(94))),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(work.path().join("out/readme.txt")).expect("the good line"),
        b"read me"
    );
}
