//! `ftp://` start URLs against a real FTP server in the test binary
//! (`support::ftp`: libunftp on a folder, MLSD, REST, passive mode): a tree with
//! awkward names mirrored byte for byte, recursive and not, a re-run that makes
//! the server send no body, a planted partial file continued with `REST`, a
//! listing the server refuses and a refused login failing by name, a single
//! file given by its URL, and a hostile listing (`../x`, `a/b`) that writes
//! nothing outside the folder.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use fetchall::{Credentials, Event, Options, SkipReason};

use crate::support::ftp::{FtpServer, HostileFtp};
use crate::support::harness::{self, Ending};
use crate::support::tree::{
    awkward_files, partial_sidecar, plant_partial, read_tree, subset, tree_difference, write_files,
};

fn ftp_files() -> Vec<(String, Vec<u8>)> {
    awkward_files(13)
}

fn expected(keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    subset(&ftp_files(), keep)
}

/// The tree written into a new folder, and an anonymous server for it.
fn served() -> (tempfile::TempDir, FtpServer) {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    write_files(&root, &ftp_files());
    let server = FtpServer::anonymous(&root);
    (work, server)
}

fn options(url: String, work: &Path, recursive: bool) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = recursive;
    options
}

#[test]
fn an_ftp_tree_is_mirrored_whole_and_a_rerun_sends_no_body() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|_| true);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    assert_eq!(server.sent().len(), want.len(), "{:?}", server.sent());
    server.clear_sent();
    let again = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(
        again.summary().up_to_date,
        want.len() as u64,
        "{}",
        again.log()
    );
    // Only the listings: no RETR ended, none began.
    assert_eq!(server.sent(), Vec::<(String, u64)>::new());
    assert_eq!(again.summary().downloaded, 0);
}

#[test]
fn an_ftp_folder_without_r_gives_its_top_files_and_skips_its_folders() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|path| !path.contains('/'));
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    let mut folders = run.skipped(SkipReason::Directory);
    folders.sort();
    assert_eq!(folders.len(), 2, "{folders:?}");
    assert!(folders.iter().all(|url| url.ends_with('/')), "{folders:?}");
}

#[test]
fn a_sub_folder_without_its_slash_and_level_one_are_read_as_folders() {
    let (work, server) = served();
    let mut options = options(server.url("/sub%20dir%20%26%20%23"), work.path(), true);
    options.max_level = Some(1);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let mut want = BTreeMap::new();
    want.insert("inner file.txt".to_string(), b"inner\n".to_vec());
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

#[test]
fn a_planted_partial_file_is_continued_with_rest() {
    let (work, server) = served();
    let out = work.path().join("out");
    let big = ftp_files()
        .into_iter()
        .find(|(name, _)| name == "big.bin")
        .map(|(_, bytes)| bytes)
        .expect("big.bin");
    let url = server.url("/big.bin");
    let sidecar = partial_sidecar(
        &url,
        &work.path().join("served/big.bin"),
        big.len() as u64,
        None,
    );
    plant_partial(&out, "big.bin", big[..100_000].to_vec(), sidecar);
    let run = harness::mirror(&harness::options([url], &out));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(std::fs::read(out.join("big.bin")).expect("big.bin"), big);
    assert_eq!(
        server.sent(),
        [("/big.bin".to_string(), (big.len() - 100_000) as u64)],
        "{}",
        run.log()
    );
    assert!(!out.join(".big.bin.fetchall-part").exists());
}

#[test]
fn a_file_start_url_downloads_that_file_and_a_rerun_asks_no_body() {
    let (work, server) = served();
    let out = work.path().join("out");
    let url = server.url("/caf%C3%A9%20%C3%BCn%C3%AF.txt");
    let run = harness::mirror(&harness::options([url.clone()], &out));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(
        std::fs::read(out.join("café ünï.txt")).expect("file"),
        b"utf-8\n"
    );
    server.clear_sent();
    let again = harness::mirror(&harness::options([url], &out));
    assert_eq!(again.summary().up_to_date, 1, "{}", again.log());
    assert_eq!(server.sent(), Vec::<(String, u64)>::new());
}

#[test]
fn a_dry_run_shows_the_listed_sizes() {
    let (work, server) = served();
    let mut options = options(server.url("/"), work.path(), false);
    options.dry_run = true;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let sizes: BTreeMap<String, Option<u64>> = run
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Planned {
                relative_path,
                size,
                ..
            } => Some((relative_path.clone(), *size)),
            _ => None,
        })
        .collect();
    let want: BTreeMap<String, Option<u64>> = expected(|path| !path.contains('/'))
        .into_iter()
        .map(|(path, bytes)| (path, Some(bytes.len() as u64)))
        .collect();
    assert_eq!(sizes, want);
    assert_eq!(server.sent(), Vec::<(String, u64)>::new());
}

#[test]
fn a_folder_the_server_refuses_is_a_failed_page_not_an_empty_folder() {
    let (work, server) = served();
    let url = server.url("/missing/");
    let run = harness::mirror(&options(url.clone(), work.path(), true));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let error = run.page_failure_of(&url).expect("the page failed");
    assert!(
        error.contains("550") && error.contains("/missing"),
        "{error}"
    );
}

#[test]
fn a_refused_login_fails_by_name_and_u_logs_in() {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    write_files(&root, &[("secret.txt", b"secret\n".to_vec())]);
    let server = FtpServer::with_login(&root, "bob", "s3cr#t");
    let url = server.url("/");
    let run = harness::mirror(&options(url.clone(), work.path(), false));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let error = run.page_failure_of(&url).expect("the page failed");
    assert!(
        error.contains("login as `anonymous`") && error.contains("530"),
        "{error}"
    );
    let mut options = options(url, work.path(), false);
    options.request.user = Some(Credentials::new("bob", Some("s3cr#t".to_string())));
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(
        std::fs::read(work.path().join("out/secret.txt")).expect("file"),
        b"secret\n"
    );
}

#[test]
fn a_hostile_listing_writes_nothing_outside_the_folder() {
    let server = HostileFtp::listing(&[
        "type=file;size=4;modify=20240131120000; ../x",
        "type=file;size=4;modify=20240131120000; a/b",
        "type=file;size=4;modify=20240131120000; /etc/passwd",
        "type=dir;modify=20240131120000; ..",
        "type=OS.unix=slink:/etc;modify=20240131120000; etc",
    ]);
    let work = tempfile::tempdir().expect("work folder");
    let out = work.path().join("pub").join("out");
    let run = harness::mirror(&harness::options([server.url("/pub/")], &out));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let commands = server.commands();
    assert!(
        !commands.iter().any(|command| command.starts_with("RETR")),
        "{commands:?}"
    );
    assert!(read_tree(work.path()).is_empty(), "{}", run.log());
    let skipped: Vec<String> = run
        .skipped_links()
        .into_iter()
        .map(|(link, _)| link)
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert!(
        skipped.iter().any(|link| link.starts_with("../x")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|link| link.contains("symbolic link")),
        "{skipped:?}"
    );
}

#[test]
fn an_ftps_tree_is_mirrored_over_tls_with_the_given_certificate_only() {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    write_files(&root, &ftp_files());
    let certificate = work.path().join("server.pem");
    let server = FtpServer::with_tls(&root, &certificate);
    let url = server.tls_url("/");
    // Not trusted: a TLS error naming the certificate, no plain-text login.
    let refused = harness::mirror(&options(url.clone(), work.path(), true));
    assert_eq!(
        refused.ending(),
        Ending::StartPageFailed,
        "{}",
        refused.log()
    );
    let error = refused.page_failure_of(&url).expect("the page failed");
    assert!(
        error.contains("AUTH TLS") && error.contains("certificate"),
        "{error}"
    );
    assert_eq!(server.sent(), Vec::<(String, u64)>::new());
    let mut trusted = options(url.clone(), work.path(), true);
    trusted.request.cacert = Some(certificate);
    let run = harness::mirror(&trusted);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|_| true);
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
    // `--insecure` accepts it too.
    let mut insecure = options(url, &work.path().join("k"), true);
    insecure.request.insecure = true;
    let run = harness::mirror(&insecure);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("k/out"));
    assert_eq!(tree_difference(&want, &got), "", "{}", run.log());
}

#[test]
fn a_folder_of_many_files_logs_in_once_per_connection_not_per_file() {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    let files: Vec<(String, Vec<u8>)> = (0..300)
        .map(|index| {
            (
                format!("many/f{index:03}.txt"),
                format!("{index}\n").into_bytes(),
            )
        })
        .collect();
    write_files(&root, &files);
    let server = FtpServer::anonymous(&root);
    let mut options = options(server.url("/"), work.path(), true);
    options.jobs = 4;
    options.jobs_per_host = 4;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.summary().downloaded, 300, "{}", run.log());
    assert!(server.logins() <= 4, "{} logins", server.logins());
}

#[test]
fn delete_removes_a_file_the_ftp_listing_no_longer_names() {
    let (work, server) = served();
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    std::fs::remove_file(work.path().join("served/a b.txt")).expect("remove");
    let mut options = options(server.url("/"), work.path(), true);
    options.delete = true;
    let again = harness::mirror(&options);
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(again.summary().deleted, 1, "{}", again.log());
    let got = read_tree(&work.path().join("out"));
    let want = expected(|path| path != "a b.txt");
    assert_eq!(tree_difference(&want, &got), "", "{}", again.log());
}

#[test]
fn an_ipv6_server_is_read_by_epsv() {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    write_files(&root, &ftp_files());
    let server = FtpServer::anonymous_ipv6(&root);
    let run = harness::mirror(&options(server.url("/"), work.path(), true));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(|_| true), &got),
        "",
        "{}",
        run.log()
    );
}

#[test]
fn a_checksum_file_in_an_ftp_folder_verifies_its_files() {
    let work = tempfile::tempdir().expect("work folder");
    let root = work.path().join("served");
    let bytes = b"checked\n".to_vec();
    let sums = format!("{}  a b.txt\n", crate::support::tree::sha256_hex(&bytes));
    write_files(
        &root,
        &[
            ("a b.txt".to_string(), bytes),
            ("SHA256SUMS".to_string(), sums.into_bytes()),
        ],
    );
    let server = FtpServer::anonymous(&root);
    let run = harness::mirror(&options(server.url("/"), work.path(), false));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(
        run.checksums_loaded(),
        [(server.url("/SHA256SUMS"), 1)],
        "{}",
        run.log()
    );
    let verified: Vec<_> = run
        .downloaded()
        .into_iter()
        .filter(|(path, _)| path.ends_with("a b.txt"))
        .collect();
    assert_eq!(verified.len(), 1, "{}", run.log());
    assert_eq!(verified[0].1.as_deref(), Some("sha256"), "{}", run.log());
}

#[test]
fn a_4xx_listing_reply_is_retried_and_a_5xx_is_final() {
    let lines = ["type=dir;modify=20240131120000; sub"];
    let server = HostileFtp::listing_after_busy(&lines, 2);
    let work = tempfile::tempdir().expect("work folder");
    let mut busy = options(server.url("/pub/"), work.path(), false);
    harness::retry_wait(&mut busy, std::time::Duration::from_millis(10));
    let run = harness::mirror(&busy);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.skipped(SkipReason::Directory).len(), 1, "{}", run.log());
    let listings = |server: &HostileFtp| {
        server
            .commands()
            .iter()
            .filter(|command| command.starts_with("MLSD"))
            .count()
    };
    assert_eq!(listings(&server), 3);
    // Busy for good: one try and the retries, then the page fails by name.
    let always_busy = HostileFtp::listing_after_busy(&lines, usize::MAX);
    let mut patient = options(always_busy.url("/pub/"), work.path(), false);
    harness::retry_wait(&mut patient, std::time::Duration::from_millis(10));
    patient.retry.retries = 2;
    let run = harness::mirror(&patient);
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let error = run
        .page_failure_of(&always_busy.url("/pub/"))
        .expect("failed");
    assert!(error.contains("421 Too busy"), "{error}");
    assert_eq!(listings(&always_busy), 3, "one try and two retries");
    // `550`: final at once.
    let refused = HostileFtp::listing_refused(&lines);
    let mut once = options(refused.url("/pub/"), work.path(), false);
    harness::retry_wait(&mut once, std::time::Duration::from_millis(10));
    let run = harness::mirror(&once);
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let error = run.page_failure_of(&refused.url("/pub/")).expect("failed");
    assert!(error.contains("550 Permission denied"), "{error}");
    assert_eq!(listings(&refused), 1, "never asked again");
}

#[test]
fn a_body_cut_off_is_continued_with_rest_on_the_retry() {
    let body = crate::support::tree::pseudo_random_bytes(7, 200_000);
    let line = format!(
        "type=file;size={};modify=20240131120000; big.bin",
        body.len()
    );
    let server = HostileFtp::serving_cut(&[line.as_str()], body.clone(), 120_000);
    let work = tempfile::tempdir().expect("work folder");
    let mut options = options(server.url("/pub/"), work.path(), false);
    harness::retry_wait(&mut options, std::time::Duration::from_millis(10));
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.retries().len(), 1, "{}", run.log());
    assert_eq!(
        std::fs::read(work.path().join("out/big.bin")).expect("file"),
        body
    );
    let commands = server.commands();
    let retrieving: Vec<&String> = commands
        .iter()
        .filter(|command| command.starts_with("RETR") || command.starts_with("REST"))
        .collect();
    assert_eq!(
        retrieving,
        ["RETR /pub/big.bin", "REST 120000", "RETR /pub/big.bin"],
        "{commands:?}"
    );
}

/// A listing is a page: one larger than 64 MiB fails its folder, as an HTTP page
/// does, instead of being held whole in memory however large it grows.
#[test]
fn an_endless_listing_fails_its_folder_at_the_page_limit() {
    let line = format!(
        "type=file;size=4;modify=20240131120000; {}.bin",
        "n".repeat(200)
    );
    let lines: Vec<&str> = std::iter::repeat_n(line.as_str(), 300_000).collect();
    let server = HostileFtp::listing(&lines);
    let work = tempfile::tempdir().expect("work folder");
    let run = harness::mirror(&harness::options(
        [server.url("/pub/")],
        &work.path().join("out"),
    ));
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let failure = run
        .page_failure_of(&server.url("/pub/"))
        .expect("the listing failed");
    assert!(
        failure.contains("MLSD /pub sent more than 67108864 bytes"),
        "{failure}"
    );
}

/// `--read-timeout` is the longest silence allowed, not the time a listing may
/// take: lines that keep coming, slower in all than the timeout, are read whole.
#[test]
fn a_slow_steady_listing_is_read_whole() {
    let lines = [
        "type=file;size=4;modify=20240131120000; a.txt",
        "type=file;size=4;modify=20240131120000; b.txt",
        "type=file;size=4;modify=20240131120000; c.txt",
        "type=file;size=4;modify=20240131120000; d.txt",
    ];
    let server = HostileFtp::listing_paced(&lines, Duration::from_millis(400));
    let work = tempfile::tempdir().expect("work folder");
    let mut options = harness::options([server.url("/pub/")], &work.path().join("out"));
    options.read_timeout = Duration::from_secs(1);
    options.dry_run = true;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.planned().len(), 4, "{}", run.log());
}
