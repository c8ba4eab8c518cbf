//! HTTPS with HTTP/2: many files multiplexed over few connections, bytes exact.

use std::process::Command;
use std::time::Duration;

use axum::http::Version;

use crate::support::faults::Fault;
use crate::support::tls::certificate_path;
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

/// Runs `command` (a fetchall writing to `out`) in `work`; checks that it succeeds
/// and that `out` holds exactly `files`.
fn mirror_exactly(command: &mut Command, work: &std::path::Path, files: &[(String, Vec<u8>)]) {
    let output = command.current_dir(work).output().expect("run fetchall");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = files.iter().cloned().collect();
    assert_eq!(
        tree_difference(&expected, &read_tree(&work.join("out"))),
        ""
    );
}

/// Mirrors 60 files over HTTPS with `-j JOBS`; checks the bytes and that every
/// request went over HTTP/2, and returns the number of TLS connections used.
fn mirror_over_http2(jobs: &str) -> usize {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = (0..60)
        .map(|index| {
            (
                format!("f{index:02}.bin"),
                pseudo_random_bytes(index, 5_000 + index as usize * 997),
            )
        })
        .collect();
    write_files(&served.path().join("pub"), &files);
    let work = tempfile::tempdir().expect("temp dir");
    let certificate = certificate_path(work.path());
    let server = TestServer::start_tls(served.path(), ListingStyle::Nginx, &certificate);

    let mut command = Command::new(env!("CARGO_BIN_EXE_fetchall"));
    command
        .args(["-q", "-j", jobs, "-o", "out", "--cacert"])
        .arg(&certificate)
        .arg(server.url("/pub/"));
    mirror_exactly(&mut command, work.path(), &files);
    let requests = server.requests();
    assert_eq!(requests.len(), 61, "the listing and 60 files");
    assert!(
        requests
            .iter()
            .all(|request| request.version == Version::HTTP_2),
        "every request over HTTP/2"
    );
    println!(
        "-j {jobs}: {} TLS connection(s) for {} requests",
        server.connections(),
        requests.len()
    );
    server.connections()
}

#[test]
fn up_to_eight_files_at_a_time_share_one_http2_connection() {
    // The listing opens the connection, and the files follow on it.
    let connections = mirror_over_http2("8");
    assert_eq!(connections, 1, "{connections} TLS connections with -j 8");
}

#[test]
fn sixteen_files_at_a_time_spread_over_two_http2_connections() {
    // The second connection is opened once the listing has answered over HTTP/2,
    // by one request: the files that come meanwhile wait on the first connection
    // instead of each opening one before ALPN is known.
    let connections = mirror_over_http2("16");
    assert_eq!(connections, 2, "{connections} TLS connections with -j 16");
}

/// Mirrors 24 slow files (each sent in four pieces 50 ms apart) with `-j 2`, over
/// HTTPS or (`http2: false`) plain HTTP/1.1; checks the bytes and returns the most
/// bodies the server was sending at once, and the connections it saw.
fn slow_files_at_two_slots(http2: bool) -> (usize, usize) {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = (0..24)
        .map(|index| {
            (
                format!("s{index:02}.bin"),
                pseudo_random_bytes(100 + index, 4_000),
            )
        })
        .collect();
    write_files(&served.path().join("pub"), &files);
    let work = tempfile::tempdir().expect("temp dir");
    let certificate = certificate_path(work.path());
    let server = if http2 {
        TestServer::start_tls(served.path(), ListingStyle::Nginx, &certificate)
    } else {
        TestServer::start(served.path(), ListingStyle::Nginx)
    };
    for (name, _) in &files {
        let slow = Fault::Throttle {
            chunk: 1_000,
            pause: Duration::from_millis(50),
        };
        server.faults().always(&format!("/pub/{name}"), slow);
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_fetchall"));
    command.args(["-q", "-j", "2", "-o", "out"]);
    if http2 {
        command.arg("--cacert").arg(&certificate);
    }
    command.arg(server.url("/pub/"));
    mirror_exactly(&mut command, work.path(), &files);
    (
        server.faults().peak_bodies_in_flight(),
        server.connections(),
    )
}

#[test]
fn over_http2_each_slot_carries_four_streams_on_shared_connections() {
    // Round trips are what many small files cost; over HTTP/2 more of them share
    // the same connection, as wget2's 30-request window does.
    let (peak, connections) = slow_files_at_two_slots(true);
    assert!(
        (3..=8).contains(&peak),
        "{peak} bodies at once with -j 2 over HTTP/2 (up to 4 per slot)"
    );
    assert_eq!(connections, 1, "{connections} TLS connections with -j 2");
}

#[test]
fn over_http1_a_slot_is_one_request() {
    let (peak, _) = slow_files_at_two_slots(false);
    assert_eq!(peak, 2, "{peak} bodies at once with -j 2 over HTTP/1.1");
}
