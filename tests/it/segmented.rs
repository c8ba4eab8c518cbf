//! Split downloads: one file over several ranged connections, assembled by offset,
//! resumed segment by segment. Run in this process through the harness, but for
//! the run killed with SIGKILL.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};

use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::{
    partial_sidecar, plant_partial, pseudo_random_bytes, read_tree, sha256_hex, write_files,
};
use crate::support::{ListingStyle, LoggedRequest, TestServer};

/// Small thresholds so that a few megabytes are split into four.
const SPLIT: &[&str] = &["--split", "4", "--min-split-size", "256k", "-o", "out"];

/// What [`SPLIT`] asks for: `url` into `work/out`, split in four from 512 KiB.
fn split(url: String, work: &Path) -> fetchall::Options {
    let mut options = harness::options([url], &work.join("out"));
    options.split = fetchall::SplitPolicy {
        max_segments: 4,
        min_segment_size: 256 * 1024,
    };
    options
}

/// `--retry-wait 0.05` on `options`.
fn quick_retries(mut options: fetchall::Options) -> fetchall::Options {
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options
}

/// Panics with the run's events unless it ended as `ending`.
fn assert_ending(run: &Run, ending: Ending) {
    assert_eq!(run.ending(), ending, "{}", run.log());
}

/// `(start, end)` of a `Range: bytes=START-END` request.
fn range(request: &LoggedRequest) -> Option<(u64, Option<u64>)> {
    let value = request.headers.get("range")?.to_str().ok()?;
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()))
}

fn file_gets(server: &TestServer, target: &str) -> Vec<LoggedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET && request.target == target)
        .collect()
}

/// `big.bin`, `size` pseudo-random bytes from `seed`, behind a test server; the
/// folder it is served from goes with the first value.
fn serve_big_file(seed: u64, size: usize) -> (tempfile::TempDir, Vec<u8>, TestServer) {
    let served = tempfile::tempdir().expect("temp dir");
    let contents = pseudo_random_bytes(seed, size);
    write_files(served.path(), &[("big.bin", contents.clone())]);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    (served, contents, server)
}

fn only_the_file(work: &Path, name: &str, contents: &[u8]) {
    let tree = read_tree(&work.join("out"));
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        [name],
        "no part files left"
    );
    assert!(tree[name] == contents, "bytes differ");
}

#[test]
fn a_large_file_is_fetched_in_ranges_and_assembled_exactly() {
    let (_served, contents, server) = serve_big_file(21, 4_000_003);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    let gets = file_gets(&server, "/big.bin");
    assert_eq!(gets.len(), 4, "one full request and three ranges: {gets:?}");
    let mut ranges: Vec<(u64, Option<u64>)> = gets.iter().filter_map(range).collect();
    ranges.sort();
    assert_eq!(ranges.len(), 3);
    // Ranges are closed, touch each other, and end at the last byte.
    assert_eq!(ranges[2].1, Some(4_000_002));
    for pair in ranges.windows(2) {
        assert_eq!(pair[0].1.map(|end| end + 1), Some(pair[1].0));
    }
    assert!(
        gets.iter()
            .filter(|request| range(request).is_some())
            .all(|request| {
                request.status == StatusCode::PARTIAL_CONTENT
                    && request.headers.contains_key("if-range")
            })
    );
}

#[test]
fn split_off_or_small_files_use_one_connection() {
    let (_served, contents, server) = serve_big_file(22, 2_000_000);
    let work = tempfile::tempdir().expect("temp dir");
    // `--split 1`, the default smallest segment.
    let mut options = harness::options([server.url("/")], &work.path().join("out"));
    options.split.max_segments = 1;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert_eq!(file_gets(&server, "/big.bin").len(), 1);
}

/// Serves `sizes` as `f0.bin`, `f1.bin`…, each trickling at 3.2 MB/s a connection.
fn serve_trickling_files(
    sizes: &[usize],
) -> (tempfile::TempDir, Vec<(String, Vec<u8>)>, TestServer) {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(index, &size)| {
            let name = format!("f{index}.bin");
            (name, pseudo_random_bytes(30 + index as u64, size))
        })
        .collect();
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    for (name, _) in &files {
        server.faults().always(
            &format!("/{name}"),
            Fault::Throttle {
                chunk: 64 * 1024,
                pause: Duration::from_millis(20),
            },
        );
    }
    (served, files, server)
}

/// Runs fetchall with `-j 4` and checks that every file arrived intact.
fn fetch_all_four_jobs(server: &TestServer, files: &[(String, Vec<u8>)]) {
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = split(server.url("/"), work.path());
    options.jobs = 4;
    options.jobs_per_host = 4;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    let tree = read_tree(&work.path().join("out"));
    assert_eq!(
        tree.len(),
        files.len(),
        "no part files left: {:?}",
        tree.keys()
    );
    for (name, contents) in files {
        assert!(tree[name.as_str()] == *contents, "{name} differs");
    }
}

#[test]
fn split_files_share_the_runs_jobs() {
    // Four files worth four ranges each, fetched with `-j 4`: every connection
    // needs one of the 4 slots. With a split file's connections outside `--jobs`,
    // the server sent sixteen bodies at once.
    let (_served, files, server) = serve_trickling_files(&[1_200_000; 4]);
    fetch_all_four_jobs(&server, &files);
    let peak = server.faults().peak_bodies_in_flight();
    assert!(peak <= 4, "{peak} connections sent bodies at once");
}

#[test]
fn slots_given_back_go_to_a_split_files_other_ranges() {
    // A file worth four ranges and three small ones: no slot is free when the
    // large file's size is known, but the small ones are done in 30 ms, long before
    // its first range is, and their slots go to its other ranges.
    let (_served, files, server) = serve_trickling_files(&[6_000_000, 100_000, 100_000, 100_000]);
    fetch_all_four_jobs(&server, &files);
    let ranges = file_gets(&server, "/f0.bin")
        .iter()
        .filter(|request| range(request).is_some())
        .count();
    assert!(ranges > 0, "the large file was never split");
    let peak = server.faults().peak_bodies_in_flight();
    assert!(peak <= 4, "{peak} connections sent bodies at once");
}

#[test]
fn a_split_file_lets_a_waiting_file_go_first_after_each_range() {
    // `-j 2 -r`: a large file worth eight ranges (0.2 s each at 1.6 MB/s), and a
    // folder whose listing takes 0.3 s, holding the second slot, so the large file
    // waits for it and gets it before the folder's small file is known. Holding it
    // from range to range, it made the small file wait for the whole large file;
    // giving it back after each range, the small file comes next.
    let served = tempfile::tempdir().expect("temp dir");
    let big = pseudo_random_bytes(41, 2_400_000);
    let small = b"small".to_vec();
    write_files(
        served.path(),
        &[("big.bin", big.clone()), ("sub/small.txt", small.clone())],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    server.delay_pages(Duration::from_millis(300));
    server.faults().always(
        "/big.bin",
        Fault::Throttle {
            chunk: 32 * 1024,
            pause: Duration::from_millis(20),
        },
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = split(server.url("/"), work.path());
    options.split.max_segments = 8;
    options.jobs = 2;
    options.jobs_per_host = 2;
    options.recursive = true;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    let tree = read_tree(&work.path().join("out"));
    assert!(tree["big.bin"] == big && tree["sub/small.txt"] == small);
    let log: Vec<LoggedRequest> = server.requests();
    let small_at = log
        .iter()
        .position(|request| request.target == "/sub/small.txt")
        .expect("small.txt asked for");
    let last_range_at = log
        .iter()
        .rposition(|request| request.target == "/big.bin" && range(request).is_some())
        .expect("big.bin split");
    assert!(
        small_at < last_range_at,
        "small.txt waited for the whole large file: {:?}",
        log.iter()
            .map(|request| &request.target)
            .collect::<Vec<_>>()
    );
}

#[test]
fn with_no_slot_free_a_split_file_is_read_from_its_first_answer() {
    let (_served, contents, server) = serve_big_file(27, 2_000_000);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = split(server.url("/"), work.path());
    options.jobs = 1;
    options.jobs_per_host = 1;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    // Planned in four, but with one slot the full answer is read to its end
    // rather than cut at the first segment and the rest asked for again.
    let gets = file_gets(&server, "/big.bin");
    assert_eq!(gets.len(), 1, "{gets:?}");
}

#[test]
fn a_dropped_range_is_resumed_inside_its_segment() {
    let (_served, contents, server) = serve_big_file(23, 3_000_000);
    server.faults().always("/big.bin", Fault::Serve);
    // The full answer is served; the first range request is cut after 100 KB.
    server
        .faults()
        .script("/big.bin", [Fault::Serve, Fault::ResetAfter(100_000)]);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&quick_retries(split(server.url("/"), work.path())));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    let starts: Vec<u64> = file_gets(&server, "/big.bin")
        .iter()
        .filter_map(range)
        .map(|(start, _)| start)
        .collect();
    let segment_starts = [750_000, 1_500_000, 2_250_000];
    assert_eq!(starts.len(), 4, "three ranges and one retry: {starts:?}");
    assert!(
        starts.iter().any(|start| segment_starts
            .iter()
            .any(|segment| start > segment && *start <= segment + 100_000)),
        "the retry continued inside its segment: {starts:?}"
    );
}

#[test]
fn a_slow_segment_is_shared_with_a_connection_that_is_done() {
    let (_served, contents, server) = serve_big_file(26, 16_000_000);
    server.faults().always("/big.bin", Fault::Serve);
    // The full answer is served; the first range to arrive trickles (1.6 MB/s), the
    // others come at loopback speed and are done long before it.
    server.faults().script(
        "/big.bin",
        [
            Fault::Serve,
            Fault::Throttle {
                chunk: 32 * 1024,
                pause: Duration::from_millis(20),
            },
        ],
    );
    let work = tempfile::tempdir().expect("temp dir");
    assert_ending(
        &harness::mirror(&split(server.url("/"), work.path())),
        Ending::Clean,
    );
    only_the_file(work.path(), "big.bin", &contents);
    let ranges: Vec<(u64, Option<u64>)> = file_gets(&server, "/big.bin")
        .iter()
        .filter_map(range)
        .collect();
    // Three planned ranges (4 MB segments), and more: each connection that was done
    // took over the second half of the segment with the most left, so those start
    // inside a planned segment. The slow one is still at work when the others end.
    let planned = ranges
        .iter()
        .filter(|(start, _)| start % 4_000_000 == 0)
        .count();
    assert_eq!(planned, 3, "{ranges:?}");
    assert!(ranges.len() > 3, "no segment was shared: {ranges:?}");
    // No half is handed out twice.
    let mut sorted = ranges.clone();
    sorted.sort();
    for pair in sorted.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "two ranges start at the same byte: {ranges:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn kill_9_then_a_rerun_continues_every_segment() {
    let (_served, contents, server) = serve_big_file(24, 3_000_000);
    // Slow enough that the run is still going when it is killed.
    server.faults().always(
        "/big.bin",
        Fault::Throttle {
            chunk: 16 * 1024,
            pause: Duration::from_millis(100),
        },
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(SPLIT)
        .arg(server.url("/"))
        .current_dir(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fetchall");
    // Wait until the sidecar records progress in some segment (it is saved every second).
    let sidecar = work.path().join("out/.big.bin.fetchall-part.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let saved: u64 = std::fs::read(&sidecar)
            .ok()
            .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok())
            .and_then(|json| {
                json["segments"]
                    .as_array()
                    .map(|segments| segments.iter().filter_map(|s| s["done"].as_u64()).sum())
            })
            .unwrap_or(0);
        if saved > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no segment progress was saved: {:?} {:?}",
            std::fs::read_to_string(&sidecar),
            std::fs::read_dir(work.path().join("out"))
                .map(|dir| dir.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    server.faults().clear("/big.bin");
    server.clear_log();

    // The rerun, in this process.
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    let received = run.summary().bytes;
    assert!(
        received > 0 && received < 3_000_000,
        "only the missing bytes count as received: {received}"
    );
    let gets = file_gets(&server, "/big.bin");
    assert!(
        !gets.is_empty() && gets.iter().all(|request| range(request).is_some()),
        "{gets:?}"
    );
    let segment_starts = [0, 750_000, 1_500_000, 2_250_000];
    assert!(
        gets.iter()
            .filter_map(range)
            .any(|(start, _)| !segment_starts.contains(&start)),
        "at least one segment continued from where it stopped: {gets:?}"
    );
}

#[test]
fn a_split_file_is_checked_against_sha256sums_before_its_rename() {
    let served = tempfile::tempdir().expect("temp dir");
    let contents = pseudo_random_bytes(25, 2_000_000);
    let good = sha256_hex(&contents);
    let bad = sha256_hex(b"something else");
    for (digest, should_pass) in [(good, true), (bad, false)] {
        write_files(
            served.path(),
            &[
                ("big.bin", contents.clone()),
                ("SHA256SUMS", format!("{digest}  big.bin\n").into_bytes()),
            ],
        );
        let server = TestServer::start(served.path(), ListingStyle::Nginx);
        let work = tempfile::tempdir().expect("temp dir");
        let run = harness::mirror(&split(server.url("/"), work.path()));
        let ranged = file_gets(&server, "/big.bin")
            .iter()
            .filter(|request| range(request).is_some())
            .count();
        assert!(ranged >= 1, "the file was split");
        let saved = work.path().join("out/big.bin");
        if should_pass {
            assert_ending(&run, Ending::Clean);
            assert!(std::fs::read(&saved).expect("saved") == contents);
        } else {
            assert_ending(&run, Ending::SomeFailed);
            assert!(!saved.exists(), "bad bytes never get the final name");
            let tree = read_tree(&work.path().join("out"));
            assert!(
                tree.keys().all(|name| !name.contains("fetchall-part")),
                "nor a partial file: {:?}",
                tree.keys().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn every_range_of_a_split_file_carries_the_credentials() {
    let (_served, contents, server) = serve_big_file(26, 2_000_000);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = split(server.url("/"), work.path());
    options.request.user = Some(fetchall::Credentials::new("ann", Some("s3cret".into())));
    assert_ending(&harness::mirror(&options), Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    let gets = file_gets(&server, "/big.bin");
    assert!(
        gets.iter()
            .filter(|request| range(request).is_some())
            .count()
            >= 1
    );
    for request in &gets {
        assert!(
            request.headers.contains_key("authorization"),
            "a request without credentials: {:?}",
            range(request)
        );
    }
}

/// Serves a 4 MB `big.bin` that answers `always` after the `steps`, splits it, and
/// checks it arrives whole, clean, with no claim (in any event) that it changed.
/// Returns the server (for its request log) and the run (for what it said).
fn split_arrives_whole_despite(seed: u64, always: Fault, steps: Vec<Fault>) -> (TestServer, Run) {
    let (served, contents, server) = serve_big_file(seed, 4_000_003);
    server.faults().always("/big.bin", always);
    server.faults().script("/big.bin", steps);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert!(!run.log().contains("changed"), "{}", run.log());
    drop(served);
    (server, run)
}

#[test]
fn a_server_that_ignores_every_range_gives_the_file_over_one_connection() {
    // Accept-Ranges: bytes, and a full 200 of the same version to every Range.
    let (_server, run) = split_arrives_whole_despite(50, Fault::IgnoreRange, vec![]);
    assert!(run.retries().is_empty(), "no attempt failed: {}", run.log());
}

#[test]
fn a_server_that_ignores_a_later_range_only_still_gives_the_file() {
    // The full answer, one range honoured, then a range answered whole.
    let (server, _run) = split_arrives_whole_despite(
        51,
        Fault::Serve,
        vec![Fault::Serve, Fault::Serve, Fault::IgnoreRange],
    );
    let gets = file_gets(&server, "/big.bin");
    assert!(
        gets.iter()
            .any(|request| range(request).is_some() && request.status == StatusCode::OK),
        "{gets:?}"
    );
}

#[test]
fn a_range_answered_with_other_bytes_of_the_same_version_falls_back_to_one_connection() {
    // A 206 whose Content-Range starts at 0 whatever was asked: same ETag, so the
    // file did not change; its ranges just cannot be assembled.
    split_arrives_whole_despite(
        52,
        Fault::Serve,
        vec![Fault::Serve, Fault::WrongContentRange],
    );
}

/// The whole-file answer, slow enough that the split's ranges are asked for before
/// it ends (on loopback a plain answer can be read to its end first).
fn slow_whole_answer() -> Fault {
    Fault::Throttle {
        chunk: 64 * 1024,
        pause: Duration::from_millis(20),
    }
}

#[test]
fn a_range_answered_by_another_version_is_a_change_and_says_which() {
    let (_first_served, _, first) = serve_big_file(53, 4_000_003);
    first.faults().always("/big.bin", Fault::Serve);
    // A range answered whole with a new ETag and date: If-Range did not match.
    first
        .faults()
        .script("/big.bin", [slow_whole_answer(), Fault::ChangedWhole]);
    let work = tempfile::tempdir().expect("temp dir");
    let mut no_retries = split(first.url("/"), work.path());
    no_retries.retry.retries = 0;
    let run = harness::mirror(&no_retries);
    assert_ending(&run, Ending::SomeFailed);
    let (_, error) = run.failures().into_iter().next().expect("a failed file");
    assert!(
        error.contains("the file changed on the server during the download (ETag \""),
        "{error}"
    );
    // Tried again, it is a new download of the version the server has now. A fresh
    // server: ranges the first run sent before it exited can still reach the first
    // one and would take answers scripted after them.
    let (_served, contents, server) = serve_big_file(53, 4_000_003);
    server.faults().always("/big.bin", Fault::Serve);
    server
        .faults()
        .script("/big.bin", [slow_whole_answer(), Fault::ChangedWhole]);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&quick_retries(split(server.url("/"), work.path())));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert!(!run.retries().is_empty(), "{}", run.log());
}

#[test]
fn a_partial_file_resumed_against_a_range_ignoring_server_restarts_in_one_stream() {
    let (served, contents, server) = serve_big_file(54, 4_000_003);
    server.faults().always("/big.bin", Fault::IgnoreRange);
    let work = tempfile::tempdir().expect("temp dir");
    // What an interrupted single-stream download leaves.
    let sidecar = partial_sidecar(
        &server.url("/big.bin"),
        &served.path().join("big.bin"),
        4_000_003,
        None,
    );
    plant_partial(
        &work.path().join("out"),
        "big.bin",
        contents[..1_000_000].to_vec(),
        sidecar,
    );
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert!(!run.log().contains("changed"), "{}", run.log());
    // The ranged request was answered whole, and that answer was the file.
    let gets = file_gets(&server, "/big.bin");
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(range(&gets[0]).map(|(start, _)| start), Some(1_000_000));
}

#[test]
fn a_split_download_resumed_against_a_range_ignoring_server_restarts_in_one_stream() {
    let (served, contents, server) = serve_big_file(55, 4_000_003);
    server.faults().always("/big.bin", Fault::IgnoreRange);
    let work = tempfile::tempdir().expect("temp dir");
    // What a killed split download leaves: a preallocated file, segments half done.
    let segments: Vec<SavedSegment> = vec![
        (0, 1_000_001, 500_000),
        (1_000_001, 2_000_002, 250_000),
        (2_000_002, 3_000_003, 0),
        (3_000_003, 4_000_003, 100_000),
    ];
    let partial = split_partial(&contents, &segments);
    let sidecar = partial_sidecar(
        &server.url("/big.bin"),
        &served.path().join("big.bin"),
        4_000_003,
        Some(&segments),
    );
    plant_partial(&work.path().join("out"), "big.bin", partial, sidecar);
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert!(!run.log().contains("changed"), "{}", run.log());
    assert!(run.retries().is_empty(), "no attempt failed: {}", run.log());
}

#[test]
fn a_split_connection_slower_than_the_speed_limit_is_retried_alone() {
    let (_served, contents, server) = serve_big_file(56, 4_000_003);
    server.faults().always("/big.bin", Fault::Serve);
    // The full answer, then one range at 20 kB/s: below a limit of 100 kB/s.
    server.faults().script(
        "/big.bin",
        [
            Fault::Serve,
            Fault::Throttle {
                chunk: 2_000,
                pause: Duration::from_millis(100),
            },
        ],
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = quick_retries(split(server.url("/"), work.path()));
    options.low_speed = fetchall::LowSpeed {
        limit: 100 * 1024,
        time: Duration::from_secs(2),
    };
    assert_ending(&harness::mirror(&options), Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    // The slow range was given up and continued inside its segment, on a new request.
    let starts: Vec<u64> = file_gets(&server, "/big.bin")
        .iter()
        .filter_map(range)
        .map(|(start, _)| start)
        .collect();
    assert_eq!(starts.len(), 4, "three ranges and one retry: {starts:?}");
    assert!(
        starts
            .iter()
            .any(|start| ![1_000_001, 2_000_002, 3_000_003].contains(start)),
        "{starts:?}"
    );
}

#[test]
fn ranges_without_validators_prove_no_change_and_are_assembled() {
    let (_served, contents, server) = serve_big_file(57, 4_000_003);
    // Every range comes back right, but with no ETag or Last-Modified to compare.
    server
        .faults()
        .always("/big.bin", Fault::RangeWithoutValidators);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert!(!run.log().contains("changed"), "{}", run.log());
    let gets = file_gets(&server, "/big.bin");
    assert_eq!(gets.len(), 4, "one full request and three ranges: {gets:?}");
}

#[test]
fn a_range_of_another_total_size_is_a_change_and_says_so() {
    let (_served, _contents, server) = serve_big_file(58, 4_000_003);
    server.faults().always("/big.bin", Fault::Serve);
    server
        .faults()
        .script("/big.bin", [Fault::Serve, Fault::RangeOtherTotal]);
    let work = tempfile::tempdir().expect("temp dir");
    let mut no_retries = split(server.url("/"), work.path());
    no_retries.retry.retries = 0;
    let run = harness::mirror(&no_retries);
    assert_ending(&run, Ending::SomeFailed);
    let (_, error) = run.failures().into_iter().next().expect("a failed file");
    assert!(
        error.contains(
            "changed on the server during the download (size 4000003 bytes became 4000004 bytes)"
        ),
        "{error}"
    );
    assert!(!work.path().join("out/big.bin").exists());
}

/// A segment as a sidecar saves it: start, end, bytes done.
type SavedSegment = (u64, u64, u64);

/// What a killed split download of `contents` leaves: a preallocated file holding
/// the bytes each segment has done, zeros elsewhere.
fn split_partial(contents: &[u8], segments: &[SavedSegment]) -> Vec<u8> {
    let mut partial = vec![0_u8; contents.len()];
    for &(start, _, done) in segments {
        let (start, done) = (start as usize, done as usize);
        partial[start..start + done].copy_from_slice(&contents[start..start + done]);
    }
    partial
}

/// A split download's sidecar says which bytes of the partial file are there. One
/// whose segments do not cover the file exactly — none at all, a gap, an overlap,
/// more done than a segment holds, a partial file shorter than the total — is no
/// guide (damaged, or planted): the file starts again and arrives whole, never
/// with the bytes it claims but lacks left as zeros under the final name.
#[test]
fn a_split_sidecar_whose_segments_do_not_cover_the_file_is_dropped() {
    const SIZE: u64 = 4_000_003;
    let (served, contents, server) = serve_big_file(58, SIZE as usize);
    server.faults().always("/big.bin", Fault::Serve);
    let all_done = vec![
        (0, 2_000_000, 2_000_000),
        (2_000_000, SIZE, SIZE - 2_000_000),
    ];
    let cases: Vec<(&str, u64, Vec<SavedSegment>)> = vec![
        ("all done, but 100 bytes on disk", 100, all_done),
        ("no segments", SIZE, vec![]),
        (
            "more done than it holds",
            SIZE,
            vec![(0, 2_000_000, 0), (2_000_000, SIZE, u64::MAX)],
        ),
        ("a gap", SIZE, vec![(0, 1_000_000, 0), (3_000_000, SIZE, 0)]),
        (
            "an overlap",
            SIZE,
            vec![(0, 3_000_000, 0), (2_000_000, SIZE, 1_000_000)],
        ),
        (
            "past the end",
            SIZE,
            vec![(0, 2_000_000, 0), (2_000_000, SIZE + 9, 0)],
        ),
        (
            "backwards",
            SIZE,
            vec![(0, 2_000_000, 0), (SIZE, 2_000_000, 0)],
        ),
    ];
    for (case, length, segments) in cases {
        let work = tempfile::tempdir().expect("temp dir");
        let sidecar = partial_sidecar(
            &server.url("/big.bin"),
            &served.path().join("big.bin"),
            SIZE,
            Some(&segments),
        );
        let partial = vec![0_u8; length as usize];
        plant_partial(&work.path().join("out"), "big.bin", partial, sidecar);
        let run = harness::mirror(&split(server.url("/"), work.path()));
        assert_eq!(run.ending(), Ending::Clean, "{case}: {}", run.log());
        let got = std::fs::read(work.path().join("out/big.bin")).expect("the file");
        assert!(got == contents, "{case}: {} bytes, not the file", got.len());
        assert_eq!(run.summary().bytes, SIZE, "{case}: all of it was fetched");
    }
}

/// Segments are saved in the order they were made: a half handed to a free
/// connection comes last, so the last segment need not end the file. A resumed
/// split download takes the file's size from the segments as a whole.
#[test]
fn a_split_download_whose_last_saved_segment_is_a_half_resumes_whole() {
    const SIZE: u64 = 4_000_003;
    let (served, contents, server) = serve_big_file(59, SIZE as usize);
    server.faults().always("/big.bin", Fault::Serve);
    let work = tempfile::tempdir().expect("temp dir");
    // Two planned segments; the second half of the first was handed out.
    let segments: Vec<SavedSegment> = vec![
        (0, 1_000_001, 300_000),
        (2_000_002, SIZE, 400_000),
        (1_000_001, 2_000_002, 100_000),
    ];
    let partial = split_partial(&contents, &segments);
    let sidecar = partial_sidecar(
        &server.url("/big.bin"),
        &served.path().join("big.bin"),
        SIZE,
        Some(&segments),
    );
    plant_partial(&work.path().join("out"), "big.bin", partial, sidecar);
    let run = harness::mirror(&split(server.url("/"), work.path()));
    assert_ending(&run, Ending::Clean);
    only_the_file(work.path(), "big.bin", &contents);
    assert_eq!(
        run.summary().bytes,
        SIZE - 800_000,
        "the bytes on disk were kept"
    );
}
