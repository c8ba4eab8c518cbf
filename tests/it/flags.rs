//! The binary's flags reach the run they start. Most behaviour is tested through the
//! library in process (`support::harness`), with `Options` set directly; this runs
//! the same options as flags, end to end, so that parsing them stays covered.

use std::path::Path;
use std::process::Output;

use crate::support;
use crate::support::cli::text;
use crate::support::tree::{pseudo_random_bytes, read_tree, write_files};
use crate::support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, &[], args)
}

/// The flags whose effects are now tested in process (recursive, requests), given
/// together to the binary: each must still reach the run it starts. `-r -l 2`,
/// `-A`, `-R`, `--exclude`, `--min-size`, `--per-host`, `--wait`, `--limit-rate`,
/// `-H`, `-u`, `--cookies`.
#[test]
fn filter_scope_and_request_flags_reach_the_run() {
    let served = tempfile::tempdir().expect("temp dir");
    let big = |seed| pseudo_random_bytes(seed, 5000);
    write_files(
        served.path(),
        &[
            ("top.zip", big(1)),
            ("small.zip", vec![1; 100]),
            ("beta-2.zip", big(2)),
            ("readme.txt", b"not a zip".to_vec()),
            ("old/ancient.zip", big(3)),
            ("v1/app.zip", big(4)),
            ("v2/app.zip", big(5)),
            ("v3/app.zip", big(6)),
            ("v1/deep/fossil.zip", big(7)),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    // Sibling listings held long enough that `--per-host 2` is what limits them.
    server.delay_pages(std::time::Duration::from_millis(300));
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("cookies.txt"),
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tc00kie\n",
    )
    .expect("cookies");
    let output = fetchall(
        work.path(),
        &[
            "-r",
            "-l",
            "2",
            "-A",
            "*.zip",
            "-R",
            "beta*",
            "--exclude",
            "^old/",
            "--min-size",
            "1k",
            "--per-host",
            "2",
            "--wait",
            "0.01",
            "--limit-rate",
            "4M",
            "-H",
            "X-Token: abc",
            "-u",
            "ann:s3cret",
            "--cookies",
            "cookies.txt",
            "-o",
            "out",
            &server.url("/"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let got: Vec<String> = read_tree(&work.path().join("out")).into_keys().collect();
    assert_eq!(got, ["top.zip", "v1/app.zip", "v2/app.zip", "v3/app.zip"]);
    assert!(
        text(&output.stdout).contains("smaller than --min-size"),
        "{}",
        text(&output.stdout)
    );
    let requests = server.requests();
    for request in &requests {
        assert!(
            !request.target.starts_with("/old/") && !request.target.starts_with("/v1/deep/"),
            "an excluded or too deep folder was read: {}",
            request.target
        );
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(
            header("x-token").as_deref(),
            Some("abc"),
            "{}",
            request.target
        );
        assert_eq!(
            header("authorization").as_deref(),
            Some("Basic YW5uOnMzY3JldA=="),
            "{}",
            request.target
        );
        assert_eq!(header("cookie").as_deref(), Some("session=c00kie"));
    }
    assert_eq!(
        server.peak_pages_in_flight(),
        2,
        "listings in flight at once"
    );
}
