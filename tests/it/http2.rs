//! HTTPS with HTTP/2: many files multiplexed over few connections, bytes exact.

use std::process::Command;

use axum::http::Version;

use crate::support::tls::certificate_path;
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

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

    let output = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(["-q", "-j", jobs, "-o", "out", "--cacert"])
        .arg(&certificate)
        .arg(server.url("/pub/"))
        .current_dir(work.path())
        .output()
        .expect("run fetchall");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = files.iter().cloned().collect();
    assert_eq!(
        tree_difference(&expected, &read_tree(&work.path().join("out"))),
        ""
    );
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
