//! Listings that print local times without a zone (Apache, lighttpd): the host's
//! offset is learnt from one `Last-Modified`, and a re-sync then sends only the
//! listing (and at most one HEAD per host); a server whose listed times fit no
//! offset is asked about every file, and no changed file is ever kept.

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::http::Method;
use fetchall::Options;

use crate::support::harness;
use crate::support::{ListingStyle, TestServer};

/// 2021-03-04 05:06:07 UTC, the fixtures' time.
fn march() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_834_367)
}

/// Awkward names and sizes across the rounding of both servers, all dated `at`.
const FILES: &[(&str, usize)] = &[
    ("a.txt", 30),
    ("b c#1.bin", 1500),
    ("size-1023.bin", 1023),
    ("café & +.txt", 2048),
    ("empty", 0),
    ("big.bin", 1_574_098),
    ("100%.txt", 7),
];

fn write(root: &Path, name: &str, bytes: &[u8], at: SystemTime) {
    let path = root.join(name);
    std::fs::write(&path, bytes).expect("write served file");
    let file = std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open served file");
    file.set_modified(at).expect("set mtime");
}

fn serve_tree(root: &Path) {
    for (name, size) in FILES {
        write(root, name, &vec![b'x'; *size], march());
    }
}

/// The requests for files (not the listing), as `METHOD target`.
fn file_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.target != "/")
        .map(|request| format!("{} {}", request.method, request.target))
        .collect()
}

fn heads(server: &TestServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| request.method == Method::HEAD)
        .count()
}

/// The tree served in a listing style, an output folder, and the options of a
/// mirror of it.
struct Served {
    served: tempfile::TempDir,
    out: tempfile::TempDir,
    server: TestServer,
    options: Options,
}

impl Served {
    fn start(style: ListingStyle) -> Served {
        let served = tempfile::tempdir().expect("temp dir");
        serve_tree(served.path());
        let out = tempfile::tempdir().expect("temp dir");
        let server = TestServer::start(served.path(), style);
        let options = harness::options([server.url("/")], out.path());
        Served {
            served,
            out,
            server,
            options,
        }
    }
}

#[test]
fn a_resync_of_apache_and_lighttpd_in_any_zone_sends_only_the_listing() {
    for style in [
        ListingStyle::ApacheLocal(5 * 3600 + 1800),
        ListingStyle::LighttpdLocal(-8 * 3600),
        ListingStyle::ApacheLocal(13 * 3600 + 2700),
    ] {
        let Served {
            served,
            out,
            server,
            options,
        } = Served::start(style);
        let first = harness::mirror(&options);
        assert_eq!(
            first.summary().downloaded,
            FILES.len() as u64,
            "{style:?}\n{}",
            first.log()
        );
        assert_eq!(heads(&server), 0, "{style:?}: no HEAD on a first run");

        server.clear_log();
        let second = harness::mirror(&options);
        assert_eq!(second.summary().up_to_date, FILES.len() as u64, "{style:?}");
        let asked = file_requests(&server);
        assert!(
            asked.len() <= 1 && asked.iter().all(|request| request.starts_with("HEAD ")),
            "{style:?}: a re-sync sent {asked:?}"
        );

        // A dry run decides as a real one: nothing to plan, no HEAD per file.
        server.clear_log();
        let mut dry = options.clone();
        dry.dry_run = true;
        let planned = harness::mirror(&dry);
        assert_eq!(
            planned.summary().up_to_date,
            FILES.len() as u64,
            "{style:?}\n{}",
            planned.log()
        );
        assert!(file_requests(&server).len() <= 1, "{style:?}");

        // A file changed on the server, to the same size, an hour later: fetched.
        write(
            served.path(),
            "b c#1.bin",
            &[b'y'; 1500],
            march() + Duration::from_secs(3600),
        );
        server.clear_log();
        let third = harness::mirror(&options);
        assert_eq!(third.summary().downloaded, 1, "{style:?}\n{}", third.log());
        assert_eq!(
            std::fs::read(out.path().join("b c#1.bin")).expect("b c#1.bin"),
            vec![b'y'; 1500]
        );
        let gets: Vec<String> = file_requests(&server)
            .into_iter()
            .filter(|request| request.starts_with("GET "))
            .collect();
        assert_eq!(gets, ["GET /b%20c%231.bin"], "{style:?}");
    }
}

#[test]
fn listed_times_that_fit_no_offset_make_every_file_asked() {
    // Seven minutes ahead: no zone is; the listing's times cannot be trusted.
    let Served {
        served,
        out,
        server,
        options,
    } = Served::start(ListingStyle::ApacheLocal(7 * 60));
    let first = harness::mirror(&options);
    assert_eq!(first.summary().downloaded, FILES.len() as u64);
    // One file changed within the listed minute and size range: the listing
    // cannot tell, the server can.
    write(
        served.path(),
        "a.txt",
        &[b'z'; 30],
        march() + Duration::from_secs(20),
    );
    server.clear_log();
    let second = harness::mirror(&options);
    assert_eq!(second.summary().downloaded, 1, "{}", second.log());
    assert_eq!(
        std::fs::read(out.path().join("a.txt")).expect("a.txt"),
        vec![b'z'; 30]
    );
    let gets = file_requests(&server)
        .into_iter()
        .filter(|request| request.starts_with("GET "))
        .count();
    assert_eq!(gets, FILES.len(), "every file is asked");
    assert!(heads(&server) <= 1);
}

#[test]
fn a_file_whose_listed_time_moved_is_asked_even_with_a_learnt_offset() {
    // The offset is learnt; a file changed since the download shows another time
    // in the listing and is fetched, never kept.
    let Served {
        served,
        out: _out,
        server: _server,
        options,
    } = Served::start(ListingStyle::LighttpdLocal(3600));
    harness::mirror(&options);
    write(
        served.path(),
        "empty",
        b"",
        march() + Duration::from_secs(1),
    );
    let second = harness::mirror(&options);
    assert_eq!(second.summary().downloaded, 1, "{}", second.log());
    assert_eq!(second.summary().up_to_date, FILES.len() as u64 - 1);
}

#[test]
fn an_offset_learnt_in_summer_is_not_applied_to_winter_files() {
    // Berlin: +02:00 in July, +01:00 in January. The offset learnt from the July
    // file must not judge the January one, which changed exactly one hour later
    // (the daylight-saving step) with its size kept: read with +02:00 its new
    // listed minute would be the old file's.
    let served = tempfile::tempdir().expect("temp dir");
    let at = |seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
    let july = at(1_625_918_430); // 2021-07-10 12:00:30 UTC
    let january = at(1_610_280_030); // 2021-01-10 12:00:30 UTC
    write(served.path(), "summer.txt", &[b's'; 30], july);
    write(served.path(), "winter.txt", &[b'w'; 30], january);
    let out = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::ApacheZone("Europe/Berlin"));
    let options = harness::options([server.url("/")], out.path());
    assert_eq!(harness::mirror(&options).summary().downloaded, 2);
    write(
        served.path(),
        "winter.txt",
        &[b'W'; 30],
        january + Duration::from_secs(3600),
    );
    server.clear_log();
    let second = harness::mirror(&options);
    assert_eq!(second.summary().downloaded, 1, "{}", second.log());
    assert_eq!(
        std::fs::read(out.path().join("winter.txt")).expect("winter.txt"),
        vec![b'W'; 30]
    );
    // The July file was settled by the listing (after the one HEAD).
    assert!(!file_requests(&server).contains(&"GET /summer.txt".to_string()));
}

#[test]
fn a_host_that_refuses_head_is_asked_per_file_and_nothing_is_kept_stale() {
    // The one HEAD that would teach the offset is refused (405): nothing is
    // learnt, every file is asked with a conditional GET, and a file changed
    // within its listed minute and size range is fetched.
    let Served {
        served,
        out: _out,
        server,
        options,
    } = Served::start(ListingStyle::ApacheLocal(5 * 3600 + 1800));
    assert_eq!(
        harness::mirror(&options).summary().downloaded,
        FILES.len() as u64
    );
    for request in file_requests(&server) {
        let target = request.trim_start_matches("GET ");
        server
            .faults()
            .always(target, crate::support::faults::Fault::RefuseHead(405));
    }
    write(
        served.path(),
        "a.txt",
        &[b'z'; 30],
        march() + Duration::from_secs(20),
    );
    server.clear_log();
    let second = harness::mirror(&options);
    assert_eq!(second.summary().downloaded, 1, "{}", second.log());
    assert_eq!(second.summary().up_to_date, FILES.len() as u64 - 1);
    assert_eq!(heads(&server), 1);
    let gets = file_requests(&server)
        .into_iter()
        .filter(|request| request.starts_with("GET "))
        .count();
    assert_eq!(gets, FILES.len(), "every file is asked");
}
