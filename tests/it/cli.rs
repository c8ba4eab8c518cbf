//! The `fetchall` binary against the in-process server: output tree byte for byte,
//! exit codes and what it prints.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use axum::http::{Method, StatusCode};

use crate::support;
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{Canned, ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, &[], args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The files of one listing folder, with the names that trip up naive tools.
fn tricky_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("plain.zip", pseudo_random_bytes(1, 300_000)),
        ("with space.txt", b"space\n".to_vec()),
        ("hash#sign.txt", b"hash\n".to_vec()),
        ("percent%41.txt", b"percent\n".to_vec()),
        ("a&b.txt", b"ampersand\n".to_vec()),
        ("plus+semi;eq=.txt", b"plus\n".to_vec()),
        ("quote'd \"double\".txt", b"quotes\n".to_vec()),
        ("(parens).txt", b"parens\n".to_vec()),
        ("café.txt", "café\n".as_bytes().to_vec()),
        ("emoji 🎉.bin", pseudo_random_bytes(2, 4096)),
        ("empty.dat", Vec::new()),
        ("archive.tar.gz", pseudo_random_bytes(3, 50_000)),
        (
            "a-name-that-is-long-enough-to-be-cut-by-nginx-autoindex-at-fifty.txt",
            b"long\n".to_vec(),
        ),
        ("NOEXTENSION", b"no extension\n".to_vec()),
        ("sub/inner.txt", b"not fetched without -r\n".to_vec()),
        ("x.zip/inside.txt", b"a folder named like a file\n".to_vec()),
    ]
}

/// What a flat (non-recursive) run must produce: the top-level files only.
fn top_level(
    files: &[(&str, Vec<u8>)],
    visible: impl Fn(&str) -> bool,
) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .filter(|(path, _)| !path.contains('/') && visible(path))
        .map(|(path, contents)| (path.to_string(), contents.clone()))
        .collect()
}

fn mirrors_listing_byte_for_byte(style: ListingStyle) {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tricky_files();
    write_files(&served.path().join("pub/files"), &files);
    let server = TestServer::start(served.path(), style);
    let work = tempfile::tempdir().expect("temp dir");

    let output = fetchall(work.path(), &[&server.url("/pub/files/")]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));

    // The default output folder is named after the URL's last segment.
    let got = read_tree(&work.path().join("files"));
    let expected = top_level(&files, |_| true);
    assert_eq!(tree_difference(&expected, &got), "", "style {style:?}");
    let text = stdout(&output);
    assert!(text.contains("found "), "{text}");
    assert!(
        text.contains("skipped "),
        "sub-directories are reported: {text}"
    );
    assert!(
        text.contains(&format!("done: {} downloaded", expected.len())),
        "{text}"
    );
}

#[test]
fn mirrors_an_apache_listing() {
    mirrors_listing_byte_for_byte(ListingStyle::Apache);
}

#[test]
fn mirrors_an_nginx_listing() {
    mirrors_listing_byte_for_byte(ListingStyle::Nginx);
}

#[test]
fn mirrors_a_python_listing() {
    mirrors_listing_byte_for_byte(ListingStyle::Python);
}

#[test]
fn a_host_name_is_resolved_through_the_runs_resolver() {
    // `localhost` (from /etc/hosts) rather than an address: every connection of the
    // run looks it up through the resolver the run's clients share, whose answers
    // carry port 0 for reqwest to replace with the URL's.
    let served = tempfile::tempdir().expect("temp dir");
    let files = [("a.txt", b"alpha".to_vec()), ("b.txt", b"beta".to_vec())];
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let url = server.url("/").replace("127.0.0.1", "localhost");
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let tree = read_tree(&work.path().join("out"));
    assert!(
        tree["a.txt"] == b"alpha" && tree["b.txt"] == b"beta",
        "{tree:?}"
    );
}

#[test]
fn a_rerun_transfers_no_bodies_and_says_up_to_date() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tricky_files();
    write_files(&served.path().join("d"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/d/");

    let first = fetchall(work.path(), &["-o", "out", &url]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    server.clear_log();

    let second = fetchall(work.path(), &["-o", "out", &url]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let expected = top_level(&files, |_| true);
    assert!(
        stdout(&second).contains(&format!("0 downloaded, {} up to date", expected.len())),
        "{}",
        stdout(&second)
    );
    let file_bodies: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| !request.target.ends_with('/') && request.status == StatusCode::OK)
        .map(|request| request.target)
        .collect();
    assert!(file_bodies.is_empty(), "re-sent bodies: {file_bodies:?}");
    assert_eq!(
        tree_difference(&expected, &read_tree(&work.path().join("out"))),
        ""
    );
}

#[test]
fn a_changed_file_is_replaced() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("a.txt", b"old".to_vec()), ("b.txt", b"same".to_vec())],
    );
    let server = TestServer::start(served.path(), ListingStyle::Python);
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/");
    assert_eq!(
        fetchall(work.path(), &["-o", "out", &url]).status.code(),
        Some(0)
    );

    // A new modification time and size on the server.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write_files(served.path(), &[("a.txt", b"brand new".to_vec())]);
    let output = fetchall(work.path(), &["-o", "out", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("1 downloaded, 1 up to date"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        std::fs::read(work.path().join("out/a.txt")).expect("read"),
        b"brand new"
    );
}

#[test]
fn a_missing_file_fails_alone_with_exit_1() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("good.txt", b"good".to_vec())]);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    server.can(
        "/list.html",
        Canned::html(r#"<a href="good.txt">ok</a> <a href="gone.txt">404</a>"#),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &server.url("/list.html")]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains("gone.txt") && errors.contains("404"),
        "{errors}"
    );
    assert_eq!(
        std::fs::read(work.path().join("out/good.txt")).expect("good"),
        b"good"
    );
    assert!(!work.path().join("out/gone.txt").exists());
}

#[test]
fn an_unreachable_page_or_a_bad_url_exits_2() {
    let work = tempfile::tempdir().expect("temp dir");
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let output = fetchall(
        work.path(),
        &["-o", "out", &format!("http://127.0.0.1:{port}/x/")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("failed to fetch page"),
        "{}",
        stderr(&output)
    );

    let output = fetchall(work.path(), &["not a url"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid URL"),
        "{}",
        stderr(&output)
    );

    let output = fetchall(work.path(), &["ftp://127.0.0.1/x/"]);
    assert_eq!(output.status.code(), Some(2));

    let output = fetchall(work.path(), &["--jobs", "0", "http://127.0.0.1/"]);
    assert_eq!(output.status.code(), Some(2), "clap usage errors exit 2");
}

#[test]
fn a_page_that_answers_404_exits_2() {
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Python);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &server.url("/nothing/here/")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("404"), "{}", stderr(&output));
}

#[test]
fn dry_run_lists_sizes_and_writes_nothing() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("one.bin", vec![7; 1234]), ("two.bin", vec![8; 10])],
    );
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-n", "-o", "out", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("one.bin  1.21 KiB"), "{text}");
    assert!(text.contains("two.bin  10 B"), "{text}");
    assert!(text.contains("total: 2 files, 1.21 KiB"), "{text}");
    assert!(
        !work.path().join("out").exists(),
        "a dry run writes nothing"
    );
    let file_gets = server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET && request.target.ends_with(".bin"))
        .count();
    assert_eq!(file_gets, 0, "a dry run fetches no file bodies");
}

#[test]
fn json_lines_describe_every_event() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("j/a.txt", b"aaaa".to_vec()),
            ("j/sub/b.txt", b"b".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["--json", "-o", "out", &server.url("/j/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|event| event["event"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"page_listed"));
    assert_eq!(kinds.last(), Some(&"summary"));
    let downloaded = events
        .iter()
        .find(|event| event["event"] == "downloaded")
        .expect("a downloaded event");
    assert_eq!(downloaded["bytes"], 4);
    assert_eq!(downloaded["path"], "out/a.txt");
    let skipped: Vec<_> = events
        .iter()
        .filter(|event| event["event"] == "skipped")
        .map(|event| (event["link"].as_str(), event["reason"]["kind"].as_str()))
        .collect();
    assert!(
        skipped.contains(&(Some("../"), Some("parent_directory"))),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&(Some("sub/"), Some("directory"))),
        "{skipped:?}"
    );
    let summary = events.last().expect("summary");
    assert_eq!(summary["downloaded"], 1);
    assert_eq!(summary["failed"], 0);
}

#[test]
fn hostile_links_never_write_outside_the_output_folder() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("site/ok.txt", b"ok".to_vec())]);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    let hostile = [
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/escape.txt",
        "/etc/passwd",
        "..%2f..%2fslash.txt",
        "..%5c..%5cbackslash.txt",
        "nul%00byte.txt",
        "line%0Abreak.txt",
        "esc%1B%5B31mred.txt",
        "ok.txt",
    ];
    let page: String = hostile
        .iter()
        .map(|href| format!("<a href=\"{href}\">x</a>\n"))
        .collect();
    server.can("/site/", Canned::html(page));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &server.url("/site/")]);
    // Some of those links 404 on the server: that is a failure, not an escape.
    assert!(
        matches!(output.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&output)
    );
    let everything = read_tree(work.path());
    for path in everything.keys() {
        assert!(
            path.starts_with("out/"),
            "wrote {path} outside the output folder"
        );
        assert!(
            !path.chars().any(char::is_control),
            "control character in {path:?}"
        );
    }
    assert_eq!(
        everything.get("out/ok.txt").map(Vec::as_slice),
        Some(&b"ok"[..])
    );
}

#[test]
fn compressed_pages_and_charsets_are_decoded_but_file_bytes_are_not() {
    let served = tempfile::tempdir().expect("temp dir");
    let gzip_bytes = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"tar contents").expect("gzip");
        encoder.finish().expect("gzip")
    };
    write_files(served.path(), &[("l/café.txt", b"latin".to_vec())]);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    // A Latin-1 page: the é in the href is one byte, 0xE9.
    let mut page = b"<html><head><meta charset=\"iso-8859-1\"></head><a href=\"caf".to_vec();
    page.push(0xE9);
    page.extend_from_slice(b".txt\">x</a><a href=\"data.tar.gz\">y</a>");
    server.can("/l/", Canned::html(page));
    // A misconfigured server that labels a .tar.gz as gzip-encoded: the bytes on disk
    // must stay the gzip stream.
    server.can(
        "/l/data.tar.gz",
        Canned {
            status: StatusCode::OK,
            headers: vec![
                ("content-type".into(), "application/x-tar".into()),
                ("content-encoding".into(), "gzip".into()),
            ],
            body: gzip_bytes.clone(),
        },
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &server.url("/l/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(work.path().join("out/café.txt")).expect("café"),
        b"latin"
    );
    assert_eq!(
        std::fs::read(work.path().join("out/data.tar.gz")).expect("tar"),
        gzip_bytes
    );
    let identity = server
        .requests()
        .into_iter()
        .find(|request| request.target == "/l/data.tar.gz")
        .and_then(|request| request.headers.get("accept-encoding").cloned());
    assert_eq!(
        identity.as_ref().map(|v| v.as_bytes()),
        Some(&b"identity"[..])
    );
}

#[test]
fn file_times_come_from_last_modified() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("t.txt", b"time".to_vec())]);
    let old = filetime::FileTime::from_unix_time(1_000_000_000, 0);
    filetime::set_file_mtime(served.path().join("t.txt"), old).expect("set time");
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-o", "out", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let metadata = std::fs::metadata(work.path().join("out/t.txt")).expect("metadata");
    assert_eq!(
        filetime::FileTime::from_last_modification_time(&metadata),
        old
    );
}

#[test]
fn a_rerun_against_an_exact_listing_asks_nothing_for_unchanged_files() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("same.bin", vec![1; 5000]), ("grows.bin", vec![2; 5000])],
    );
    // nginx prints exact sizes and the GMT minute of each file.
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/");
    assert_eq!(
        fetchall(work.path(), &["-o", "out", &url]).status.code(),
        Some(0)
    );
    write_files(served.path(), &[("grows.bin", vec![3; 6000])]);
    server.clear_log();

    let output = fetchall(work.path(), &["-o", "out", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let targets: Vec<String> = server
        .requests()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert_eq!(
        targets,
        ["/", "/grows.bin"],
        "only the listing and the changed file"
    );
    let replaced = std::fs::read(work.path().join("out/grows.bin")).expect("read");
    assert!(replaced == vec![3; 6000], "the changed file was replaced");
}

/// The binary with stdout on `stdout` (a file such as `/dev/full`), waited for.
fn fetchall_writing_to(dir: &Path, stdout: &Path, args: &[&str]) -> Output {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(stdout)
        .expect("open stdout file");
    std::process::Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(args)
        .current_dir(dir)
        .stdout(file)
        .output()
        .expect("run fetchall")
}

/// The binary with stdout on a pipe whose reader reads lines until one contains
/// `until` (none read without it), then closes it: `fetchall … | head`. Its status
/// and stderr.
fn fetchall_into_head(dir: &Path, until: Option<&str>, args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fetchall");
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    if let Some(until) = until {
        loop {
            let mut line = String::new();
            assert!(reader.read_line(&mut line).expect("read a line") > 0);
            if line.contains(until) {
                break;
            }
        }
    }
    drop(reader);
    let mut errors = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut errors)
        .expect("read stderr");
    (child.wait().expect("wait").code(), errors)
}

/// What a panic prints: never seen when stdout is closed or full.
fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("failed printing"),
        "{stderr}"
    );
}

/// `/dev/full` where the system has one.
fn dev_full() -> Option<&'static Path> {
    let path = Path::new("/dev/full");
    path.exists().then_some(path)
}

const NO_SPACE: &str = "error: cannot write to stdout: No space left on device";

/// Before, every JSON line written to a full disk was dropped (`let _ = writeln!`)
/// and the run went on to exit 0: a plan saved with `> plan.jsonl` was lost, and
/// the next step read an empty plan.
#[test]
fn a_json_run_or_plan_on_a_full_disk_says_so_and_exits_4() {
    let Some(full) = dev_full() else { return };
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        &served.path().join("pub"),
        &[("a.txt", b"a".to_vec()), ("sub/b.txt", b"b".to_vec())],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/pub/");
    for args in [
        &["--dry-run", "--json", "-r", "-o", "out", &url][..],
        &["--json", "-r", "-o", "out", &url][..],
    ] {
        let output = fetchall_writing_to(work.path(), full, args);
        let errors = stderr(&output);
        assert_eq!(output.status.code(), Some(4), "{args:?}: {errors}");
        assert_eq!(
            errors.matches(NO_SPACE).count(),
            1,
            "{args:?}: one line says why: {errors}"
        );
        assert_no_panic(&errors);
        assert!(!work.path().join("out/.fetchall.lock").exists());
    }
}

/// `fetchall --json -r URL | head -1`: before, the run downloaded the whole tree
/// while every event after the first was lost, and exited 0. Now the closed pipe
/// stops it as Ctrl-C would: exit 141, nothing printed, what was cut short keeps
/// its hidden name, the lock is gone.
#[test]
fn a_json_run_piped_to_head_stops_with_141_and_leaves_only_whole_files() {
    let files: Vec<(String, Vec<u8>)> = (0..300_u64)
        .map(|index| {
            (
                format!("f{index:03}.bin"),
                pseudo_random_bytes(index, 2_000),
            )
        })
        .collect();
    let (work, server) = TestServer::serving(&files, ListingStyle::Nginx);
    for (name, _) in &files {
        server.faults().always(
            &format!("/{name}"),
            crate::support::faults::Fault::Throttle {
                chunk: 500,
                pause: std::time::Duration::from_millis(50),
            },
        );
    }
    // Closed once a file is done: others are under way.
    let (code, errors) = fetchall_into_head(
        work.path(),
        Some(r#""event":"downloaded""#),
        &["--json", "-o", "out", &server.url("/")],
    );
    assert_eq!(code, Some(141), "{errors}");
    assert_no_panic(&errors);
    assert_eq!(errors, "", "nothing more is said once the reader is gone");
    let out = work.path().join("out");
    let served: BTreeMap<&str, &Vec<u8>> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes))
        .collect();
    let mut whole = 0;
    for entry in std::fs::read_dir(&out).expect("out exists").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            // A partial file or its sidecar, kept for a rerun to resume (a small
            // file cut short is held in memory and leaves nothing).
            assert!(name.contains(".fetchall-part"), "{name}");
            continue;
        }
        let bytes = std::fs::read(entry.path()).expect("read");
        assert_eq!(Some(&&bytes), served.get(name.as_str()), "{name} is whole");
        whole += 1;
    }
    assert!(whole >= 1, "one file was done before the pipe closed");
    assert!(whole < files.len() / 2, "the run went on: {whole} files");
    assert!(!out.join(".fetchall.lock").exists(), "the lock is released");
}

/// `fetchall -n -r URL | head -1`: before, the tree's `println!` panicked on the
/// broken pipe (exit 101).
#[test]
fn a_dry_run_piped_to_head_exits_141_without_a_panic() {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = (0..6)
        .map(|index| (format!("d{index}/f.txt"), b"x".to_vec()))
        .collect();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    // Each page takes its time: the reader is gone before the next line.
    server.delay_pages(std::time::Duration::from_millis(200));
    let work = tempfile::tempdir().expect("temp dir");
    let (code, errors) = fetchall_into_head(
        work.path(),
        Some(""),
        &["-n", "-r", "-j", "1", "-o", "out", &server.url("/pub/")],
    );
    assert_eq!(code, Some(141), "{errors}");
    assert_no_panic(&errors);
}

/// `fetchall completions bash | head -1` and the like: no panic (clap_complete's
/// `generate` panicked on a failed write); a closed pipe is no failure, a full
/// disk is one.
#[test]
fn subcommands_on_a_closed_or_full_stdout_never_panic() {
    let work = tempfile::tempdir().expect("temp dir");
    let (code, errors) = fetchall_into_head(work.path(), None, &["completions", "bash"]);
    assert_eq!(code, Some(0), "{errors}");
    assert_no_panic(&errors);
    let (code, errors) = fetchall_into_head(work.path(), None, &["man"]);
    assert_eq!(code, Some(0), "{errors}");
    assert_no_panic(&errors);
    let Some(full) = dev_full() else { return };
    std::fs::write(work.path().join("a.txt"), "a\n").expect("write");
    std::fs::write(
        work.path().join("SHA256SUMS"),
        "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  a.txt\n",
    )
    .expect("write");
    for args in [
        &["completions", "bash"][..],
        &["man"][..],
        &["verify", "--json", "."][..],
    ] {
        let output = fetchall_writing_to(work.path(), full, args);
        let errors = stderr(&output);
        assert_eq!(output.status.code(), Some(4), "{args:?}: {errors}");
        assert!(errors.contains(NO_SPACE), "{args:?}: {errors}");
        assert_no_panic(&errors);
    }
}
