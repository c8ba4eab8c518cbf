//! A 200 MB body is streamed to disk: the peak resident memory of the `fetchall`
//! process, measured by the kernel (getrusage via wait4), stays bounded.
//!
//! Linux counts the peak of the process that started a child into the child's peak
//! (the starter's high-water mark is recorded at exec, with fork and posix_spawn
//! alike). The other tests of this binary share its process, so each test here
//! first runs again by itself in a fresh process of this binary ([`alone`]), and
//! measures there.

use std::io::{Read, Write};
use std::process::Command;

use crate::support;
use crate::support::tree::pseudo_random_bytes;
use crate::support::{ListingStyle, TestServer};

const MIB: usize = 1024 * 1024;
const FILE_MIB: usize = 200;
/// The process with its runtime, TLS stack and buffers is ~15 MiB; a body held in
/// memory would push it past 200.
const PEAK_RSS_LIMIT_MIB: i64 = 64;

/// Set in the environment of the fresh process [`alone`] starts.
const ALONE: &str = "FETCHALL_MEMORY_TEST_ALONE";

/// Whether the test `test` of this module should measure now: true in the fresh
/// process that runs it by itself; here, runs it so, checks it passed, and is false.
fn alone(test: &str) -> bool {
    if std::env::var_os(ALONE).is_some() {
        return true;
    }
    let module = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, module)| module);
    let name = format!("{module}::{test}");
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args([&name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stdout.lines().filter(|line| line.starts_with("peak RSS")) {
        println!("{line}");
    }
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, run alone: {}\n{stdout}\n{stderr}",
        output.status
    );
    false
}

#[test]
fn a_200_mb_file_is_downloaded_in_bounded_memory() {
    if !alone("a_200_mb_file_is_downloaded_in_bounded_memory") {
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    let big = served.path().join("big/huge.bin");
    std::fs::create_dir_all(big.parent().expect("parent")).expect("folder");
    let mut file = std::fs::File::create(&big).expect("create");
    for block in 0..FILE_MIB {
        file.write_all(&pseudo_random_bytes(block as u64, MIB))
            .expect("write");
    }
    drop(file);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");

    let peak_rss_kib = run_with_peak_rss(work.path(), &["-q", "-o", "out", &server.url("/big/")]);
    let peak_mib = peak_rss_kib / 1024;
    println!("peak RSS for a {FILE_MIB} MiB download: {peak_mib} MiB ({peak_rss_kib} KiB)");
    assert!(
        peak_mib < PEAK_RSS_LIMIT_MIB,
        "peak RSS {peak_mib} MiB is not bounded"
    );
    assert_files_equal(&big, &work.path().join("out/huge.bin"));
}

#[test]
fn a_listing_of_50000_links_is_read_in_bounded_memory() {
    if !alone("a_listing_of_50000_links_is_read_in_bounded_memory") {
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    // nginx-shaped rows with long names: about 9 MB of HTML.
    let mut page = String::from("<html><body><pre><a href=\"../\">../</a>\n");
    for index in 0..50_000 {
        let name =
            format!("dataset-part-{index:06}-of-050000-with-a-rather-long-descriptive-name.tar.gz");
        page.push_str(&format!(
            "<a href=\"{name}\">{name}</a>   04-Mar-2021 05:06   {}\n",
            1_000_000 + index
        ));
    }
    page.push_str("</pre></body></html>");
    let page_bytes = page.len();
    server.can("/big-listing/", support::Canned::html(page));
    let work = tempfile::tempdir().expect("temp dir");
    // Every file rejected by a filter: this measures reading and planning the listing.
    let url = server.url("/big-listing/");
    let peak_rss_kib = run_with_peak_rss(work.path(), &["-q", "-R", "*", "-o", "out", &url]);
    let peak_mib = peak_rss_kib / 1024;
    println!(
        "peak RSS for a listing of 50,000 links ({} MiB of HTML): {peak_mib} MiB",
        page_bytes / MIB
    );
    assert!(peak_mib < PEAK_RSS_LIMIT_MIB, "peak RSS {peak_mib} MiB");
}

/// What one page may cost, whatever its links look like: the page's text, and a
/// few buffers. The case (3.5 M links, 56 MiB, 8 MB of gzip on the wire)
/// peaked at 1.3 GB; now at 80 MiB in a release build. The pages here are smaller
/// so the debug build reads them in seconds: before links were streamed, each of
/// them peaked at two to four times this bound.
const PAGE_RSS_LIMIT_MIB: i64 = 40;

/// `body` gzipped, as a canned HTML (or other) answer.
fn gzipped(body: &str, content_type: &str) -> support::Canned {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body.as_bytes()).expect("gzip in memory");
    support::Canned::html(encoder.finish().expect("gzip in memory"))
        .with_header("content-encoding", "gzip")
        .with_header("content-type", content_type)
}

#[test]
fn pages_of_many_links_are_read_in_bounded_memory_whatever_the_links_look_like() {
    if !alone("pages_of_many_links_are_read_in_bounded_memory_whatever_the_links_look_like") {
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    // Bare, unquoted links as short as they come: the most links per byte.
    let mut bare = String::from("<html><body>\n");
    for index in 0..150_000 {
        bare.push_str(&format!("<a href=f{index}>\n"));
    }
    server.can("/bare/", gzipped(&bare, "text/html"));
    // An nginx JSON listing.
    let mut json = String::from("[");
    for index in 0..60_000 {
        if index > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            "{{\"name\":\"file-{index:06}.bin\",\"type\":\"file\",\"mtime\":\"Thu, 04 Mar 2021 05:06:07 GMT\",\"size\":{index}}}"
        ));
    }
    json.push(']');
    server.can("/json/", gzipped(&json, "application/json"));
    // nginx rows with exact sizes: a dry run plans every file without a request,
    // so this measures the planner's record of 100,000 files too.
    let mut sized = String::from("<html><body><pre>\n");
    for index in 0..100_000 {
        sized.push_str(&format!(
            "<a href=\"f{index}.bin\">f{index}.bin</a> 04-Mar-2021 05:06 {}\n",
            1000 + index
        ));
    }
    sized.push_str("</pre></body></html>");
    server.can("/sized/", gzipped(&sized, "text/html"));
    let cases: [(&str, &[&str]); 3] = [
        ("/bare/", &["-q", "-R", "*"]),
        ("/json/", &["-q", "-R", "*"]),
        ("/sized/", &["--json", "-n"]),
    ];
    let mut over = Vec::new();
    for (path, options) in cases {
        let work = tempfile::tempdir().expect("temp dir");
        let url = server.url(path);
        let mut args = options.to_vec();
        args.extend(["-o", "out", &url]);
        let peak_mib = run_with_peak_rss_quietly(work.path(), &args) / 1024;
        println!("peak RSS for {path}: {peak_mib} MiB");
        if peak_mib > PAGE_RSS_LIMIT_MIB {
            over.push(format!("{path}: {peak_mib} MiB"));
        }
    }
    assert!(
        over.is_empty(),
        "peak RSS over {PAGE_RSS_LIMIT_MIB} MiB: {over:?}"
    );
}

/// [`run_with_peak_rss`], with the standard output thrown away.
fn run_with_peak_rss_quietly(dir: &std::path::Path, args: &[&str]) -> i64 {
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its rusage"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn fetchall");
    let (status, peak_rss_kib) = wait_with_peak_rss(child.id() as libc::pid_t);
    assert_eq!(status, 0, "fetchall exit status");
    peak_rss_kib
}

/// Runs fetchall in `dir`, expects it to succeed, and returns its peak resident set
/// size in KiB, as the kernel measured it.
fn run_with_peak_rss(dir: &std::path::Path, args: &[&str]) -> i64 {
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its rusage"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(args)
        .current_dir(dir)
        .spawn()
        .expect("spawn fetchall");
    let (status, peak_rss_kib) = wait_with_peak_rss(child.id() as libc::pid_t);
    assert_eq!(status, 0, "fetchall exit status");
    peak_rss_kib
}

/// Waits for `pid` and returns its exit code and peak resident set size in KiB.
fn wait_with_peak_rss(pid: libc::pid_t) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss)
}

fn assert_files_equal(expected: &std::path::Path, actual: &std::path::Path) {
    let mut expected = std::fs::File::open(expected).expect("open expected");
    let mut actual = std::fs::File::open(actual).expect("open downloaded file");
    let mut left = vec![0; MIB];
    let mut right = vec![0; MIB];
    let mut offset = 0;
    loop {
        let read = expected.read(&mut left).expect("read expected");
        actual
            .read_exact(&mut right[..read])
            .expect("downloaded file is shorter");
        assert!(
            left[..read] == right[..read],
            "bytes differ in the MiB at {offset}"
        );
        if read == 0 {
            break;
        }
        offset += read;
    }
    assert_eq!(
        actual.read(&mut right).expect("read"),
        0,
        "downloaded file is longer"
    );
}
