//! Issue 5, checksums: files verified against the checksum files of their listing
//! while they stream, a mismatch failing the file with no bytes left behind, resumed
//! transfers verified too, `--checksums FILE|off`, `--manifest` and `fetchall verify`.
//! Against the in-process server: what a run reports through the library in this
//! process, what the binary prints and writes (manifest, `verify`) through it.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use fetchall::{ChecksumSource, Options};

use crate::support;
use crate::support::cli::text;
use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::{md5_hex, pseudo_random_bytes, read_tree, sha256_hex, write_files};
use crate::support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(
        dir,
        &["--retry-wait", "0.05", "--read-timeout", "2", "-o", "out"],
        args,
    )
}

/// The options of [`fetchall`] for `url`, into `work/out`.
fn options(url: String, work: &Path) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options.read_timeout = Duration::from_secs(2);
    options
}

/// Runs [`options`] for `url` in this process.
fn mirror(url: String, work: &Path) -> Run {
    harness::mirror(&options(url, work))
}

struct Fixture {
    _served: tempfile::TempDir,
    server: TestServer,
    work: tempfile::TempDir,
}

/// Serves `files`; returns the server and an empty work folder.
fn serve(files: &[(&str, Vec<u8>)]) -> Fixture {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    Fixture {
        _served: served,
        server,
        work: tempfile::tempdir().expect("temp dir"),
    }
}

/// Only `good.bin`'s and `bad.bin`'s real digests; `bad.bin` is then corrupted on
/// the server, as a broken mirror would serve it.
fn listing_with_a_corrupted_file() -> Vec<(&'static str, Vec<u8>)> {
    let good = pseudo_random_bytes(1, 200_000);
    let bad = pseudo_random_bytes(2, 150_000);
    let sums = format!(
        "{}  good.bin\n{} *bad.bin\n",
        sha256_hex(&good),
        sha256_hex(&bad)
    );
    let mut corrupted = bad.clone();
    corrupted[75_000] ^= 0x01;
    vec![
        ("good.bin", good),
        ("bad.bin", corrupted),
        ("SHA256SUMS", sums.into_bytes()),
    ]
}

#[test]
fn a_corrupted_file_is_caught_by_sha256sums_and_never_kept() {
    let files = listing_with_a_corrupted_file();
    let fixture = serve(&files);
    let run = mirror(fixture.server.url("/"), fixture.work.path());
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());

    // No bytes of bad.bin anywhere: not under its name, not as a partial file.
    let tree = read_tree(&fixture.work.path().join("out"));
    let names: Vec<&String> = tree.keys().collect();
    assert_eq!(names, ["SHA256SUMS", "good.bin"], "{names:?}");
    assert_eq!(tree["good.bin"], files[0].1);

    let failed = run.failures();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (url, error) = &failed[0];
    assert!(url.ends_with("/bad.bin"));
    assert!(
        error.contains("checksum mismatch") && error.contains("sha256"),
        "{error}"
    );
    let (_, verified) = run
        .downloaded()
        .into_iter()
        .find(|(path, _)| path.ends_with("good.bin"))
        .expect("good.bin downloaded");
    assert_eq!(verified.as_deref(), Some("sha256"));
    assert!(
        run.checksums_loaded()
            .iter()
            .any(|(_, entries)| *entries == 2),
        "{}",
        run.log()
    );

    // The checksum file was read before any file it covers was requested, and a
    // mismatch is not retried: the same bytes would come again.
    let requests = fixture.server.requests();
    let first_sums = requests
        .iter()
        .position(|r| r.target == "/SHA256SUMS")
        .expect("SHA256SUMS fetched");
    let first_file = requests
        .iter()
        .position(|r| r.target.ends_with(".bin"))
        .expect("files fetched");
    assert!(first_sums < first_file, "{requests:?}");
    let bad_gets = requests
        .iter()
        .filter(|r| r.method == Method::GET && r.target == "/bad.bin")
        .count();
    assert_eq!(bad_gets, 1);
}

#[test]
fn the_plain_output_names_the_corrupted_file() {
    let fixture = serve(&listing_with_a_corrupted_file());
    let output = fetchall(fixture.work.path(), &[&fixture.server.url("/")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("bad.bin") && stderr.contains("checksum mismatch"),
        "{stderr}"
    );
    assert!(
        text(&output.stdout).contains("good.bin (195.31 KiB, sha256 OK)"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn checksums_off_downloads_what_the_server_sends() {
    let fixture = serve(&listing_with_a_corrupted_file());
    let mut options = options(fixture.server.url("/"), fixture.work.path());
    options.checksums = ChecksumSource::Off;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert!(fixture.work.path().join("out/bad.bin").exists());
}

#[test]
fn a_resumed_transfer_is_verified_over_all_its_bytes() {
    let body = pseudo_random_bytes(3, 600_000);
    let sums = format!("{}  big.bin\n", sha256_hex(&body));
    let fixture = serve(&[
        ("big.bin", body.clone()),
        ("big.bin.sha256", sums.into_bytes()),
    ]);
    let server = &fixture.server;
    server.faults().always("/big.bin", Fault::Serve);
    server
        .faults()
        .script("/big.bin", [Fault::ResetAfter(250_000)]);
    let run = mirror(server.url("/"), fixture.work.path());
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(
        std::fs::read(fixture.work.path().join("out/big.bin")).expect("file"),
        body
    );
    let ranged: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.target == "/big.bin" && r.status == StatusCode::PARTIAL_CONTENT)
        .collect();
    assert_eq!(ranged.len(), 1, "the second attempt resumed");
    assert!(
        run.downloaded()
            .iter()
            .any(|(_, verified)| verified.as_deref() == Some("sha256")),
        "{}",
        run.log()
    );
}

#[test]
fn a_resumed_transfer_with_bad_bytes_leaves_nothing() {
    let body = pseudo_random_bytes(4, 600_000);
    let mut served = body.clone();
    served[10] ^= 0xff; // in the part the first attempt writes
    let sums = format!("MD5 (big.bin) = {}\n", md5_hex(&body));
    let fixture = serve(&[("big.bin", served), ("MD5SUMS", sums.into_bytes())]);
    let server = &fixture.server;
    server.faults().always("/big.bin", Fault::Serve);
    server
        .faults()
        .script("/big.bin", [Fault::ResetAfter(250_000)]);
    let run = mirror(server.url("/"), fixture.work.path());
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    assert!(
        run.failures()
            .iter()
            .any(|(_, error)| error.contains("md5")),
        "{}",
        run.log()
    );
    let names: Vec<String> = read_tree(&fixture.work.path().join("out"))
        .into_keys()
        .collect();
    assert_eq!(names, ["MD5SUMS"]);
}

#[test]
fn a_local_checksum_file_applies_to_the_start_folder() {
    let good = pseudo_random_bytes(5, 10_000);
    let fixture = serve(&[("pub/a.bin", good.clone()), ("pub/b.bin", b"b".to_vec())]);
    let sums = fixture.work.path().join("sums.txt");
    // b.bin's digest is wrong on purpose.
    std::fs::write(
        &sums,
        format!(
            "{}  a.bin\n{}  b.bin\n",
            sha256_hex(&good),
            sha256_hex(b"not b")
        ),
    )
    .expect("write sums");
    let mut options = options(fixture.server.url("/pub/"), fixture.work.path());
    options.checksums = ChecksumSource::File(sums);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    assert!(fixture.work.path().join("out/a.bin").exists());
    assert!(!fixture.work.path().join("out/b.bin").exists());

    let missing = fetchall(
        fixture.work.path(),
        &["--checksums", "no-such-file", &fixture.server.url("/pub/")],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no-such-file"));
}

#[test]
fn the_manifest_lists_each_download_with_its_sha256() {
    let files = [
        ("a.txt", b"hello".to_vec()),
        ("sub dir/b.bin", pseudo_random_bytes(6, 70_000)),
    ];
    let fixture = serve(&files);
    let output = fetchall(
        fixture.work.path(),
        &[
            "-r",
            "--manifest",
            "manifest.jsonl",
            &fixture.server.url("/"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let manifest =
        std::fs::read_to_string(fixture.work.path().join("manifest.jsonl")).expect("manifest");
    let mut lines: Vec<serde_json::Value> = manifest
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    lines.sort_by_key(|line| line["path"].as_str().map(str::to_string));
    assert_eq!(lines.len(), 2, "{manifest}");
    for (line, (name, contents)) in lines.iter().zip(&files) {
        assert_eq!(
            line["path"],
            Path::new("out").join(name).display().to_string()
        );
        assert_eq!(line["size"], contents.len());
        assert_eq!(line["sha256"], sha256_hex(contents));
        assert!(
            line["url"]
                .as_str()
                .expect("url")
                .ends_with(&name.replace(' ', "%20"))
        );
        let mtime = line["mtime"].as_str().expect("mtime");
        assert!(mtime.len() == 20 && mtime.ends_with('Z'), "{mtime}");
    }
}

#[test]
fn verify_checks_a_mirror_against_its_checksum_files() {
    let files = listing_with_a_corrupted_file();
    let fixture = serve(&files[..]);
    let work = fixture.work.path();
    let run = fetchall(work, &["--checksums", "off", &fixture.server.url("/")]);
    assert_eq!(run.status.code(), Some(0));

    let verify = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fetchall"))
            .arg("verify")
            .args(args)
            .current_dir(work)
            .output()
            .expect("run fetchall verify")
    };
    let output = verify(&["out"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("good.bin: OK (sha256)"), "{stdout}");
    assert!(stdout.contains("bad.bin: FAILED"), "{stdout}");

    std::fs::remove_file(work.join("out/bad.bin")).expect("remove");
    let output = verify(&["out"]);
    assert_eq!(output.status.code(), Some(0), "missing files only warn");
    assert!(text(&output.stdout).contains("bad.bin: missing"));
    assert_eq!(verify(&["--strict", "out"]).status.code(), Some(1));

    let json = verify(&["--json", "out"]);
    let statuses: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(
        statuses
            .iter()
            .any(|s| s["path"] == "bad.bin" && s["status"] == "missing")
    );
}

/// Whether `run` failed the file at `url` for checksum lines that contradict each
/// other, naming both of them (`SHA256SUMS line 1 and SHA256SUMS line 2`).
fn failed_for_a_conflict(run: &Run, url: &str, first: &str, second: &str) -> bool {
    run.failure_of(url).is_some_and(|error| {
        error.contains("disagree") && error.contains(first) && error.contains(second)
    })
}

#[test]
fn contradictory_lines_in_one_checksum_file_fail_the_file_in_either_order() {
    let body = pseudo_random_bytes(7, 20_000);
    let same = pseudo_random_bytes(8, 20_000);
    let (right, wrong) = (sha256_hex(&body), sha256_hex(b"something else"));
    let same_sum = sha256_hex(&same);
    for (first, second) in [(&right, &wrong), (&wrong, &right)] {
        // An identical duplicate is no contradiction.
        let sums = format!(
            "{first}  x.bin\n{same_sum}  same.bin\n{second} *x.bin\n{same_sum}  ./same.bin\n"
        );
        let fixture = serve(&[
            ("x.bin", body.clone()),
            ("same.bin", same.clone()),
            ("SHA256SUMS", sums.clone().into_bytes()),
        ]);
        let run = mirror(fixture.server.url("/"), fixture.work.path());
        assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
        assert!(
            failed_for_a_conflict(
                &run,
                &fixture.server.url("/x.bin"),
                "SHA256SUMS line 1",
                "SHA256SUMS line 3"
            ),
            "{}",
            run.log()
        );
        assert_eq!(run.failures().len(), 1, "{}", run.log());
        assert!(!fixture.work.path().join("out/x.bin").exists());
        assert!(
            run.downloaded()
                .iter()
                .any(|(path, verified)| path.ends_with("same.bin")
                    && verified.as_deref() == Some("sha256")),
            "{}",
            run.log()
        );

        // The same lines in `--checksums FILE`.
        let local = fixture.work.path().join("given.sums");
        std::fs::write(&local, &sums).expect("write sums");
        let mut options = options(fixture.server.url("/"), fixture.work.path());
        options.output = Some(fixture.work.path().join("out-given"));
        options.checksums = ChecksumSource::File(local.clone());
        let run = harness::mirror(&options);
        assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
        let named = format!("{} line 1", local.display());
        assert!(
            failed_for_a_conflict(&run, &fixture.server.url("/x.bin"), &named, "line 3"),
            "{}",
            run.log()
        );
    }
}

#[test]
fn checksum_files_that_contradict_each_other_fail_the_file_in_either_order() {
    let body = pseudo_random_bytes(9, 20_000);
    let other = pseudo_random_bytes(10, 20_000);
    let (right, wrong) = (sha256_hex(&body), sha256_hex(b"something else"));
    for (in_sums, in_sidecar) in [(&right, &wrong), (&wrong, &right)] {
        let fixture = serve(&[
            ("x.bin", body.clone()),
            ("x.bin.sha256", format!("{in_sidecar}\n").into_bytes()),
            ("SHA256SUMS", format!("{in_sums}  x.bin\n").into_bytes()),
            // A consistent SHA-256, but MD5SUMS contradicts itself: failed too.
            ("y.bin", other.clone()),
            (
                "MD5SUMS",
                format!("{}  y.bin\n{}  y.bin\n", md5_hex(&other), md5_hex(b"else")).into_bytes(),
            ),
            (
                "y.bin.sha256",
                format!("{}\n", sha256_hex(&other)).into_bytes(),
            ),
        ]);
        let run = mirror(fixture.server.url("/"), fixture.work.path());
        assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
        assert!(
            failed_for_a_conflict(
                &run,
                &fixture.server.url("/x.bin"),
                "/SHA256SUMS line 1",
                "/x.bin.sha256 line 1"
            ),
            "{}",
            run.log()
        );
        assert!(
            failed_for_a_conflict(
                &run,
                &fixture.server.url("/y.bin"),
                "/MD5SUMS line 1",
                "/MD5SUMS line 2"
            ),
            "{}",
            run.log()
        );
        let out = fixture.work.path().join("out");
        assert!(!out.join("x.bin").exists() && !out.join("y.bin").exists());
    }
}

#[test]
fn verify_fails_a_file_its_checksum_file_contradicts_itself_about() {
    let work = tempfile::tempdir().expect("temp dir");
    let body = pseudo_random_bytes(11, 5_000);
    let (right, wrong) = (sha256_hex(&body), sha256_hex(b"something else"));
    for (first, second) in [(&right, &wrong), (&wrong, &right)] {
        let out = work.path().join("out");
        write_files(
            &out,
            &[
                ("x.bin", body.clone()),
                ("same.bin", b"hello".to_vec()),
                (
                    "SHA256SUMS",
                    format!(
                        "{first}  x.bin\n{hello}  same.bin\n{hello}  same.bin\n{second}  x.bin\n",
                        hello = sha256_hex(b"hello")
                    )
                    .into_bytes(),
                ),
            ],
        );
        let output = Command::new(env!("CARGO_BIN_EXE_fetchall"))
            .args(["verify", "out"])
            .current_dir(work.path())
            .output()
            .expect("run fetchall verify");
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains(
                "x.bin: FAILED (the checksum files disagree about x.bin: SHA256SUMS line 1 and SHA256SUMS line 4)"
            ),
            "{stdout}"
        );
        assert!(stdout.contains("same.bin: OK (sha256)"), "{stdout}");
    }
}

#[test]
fn a_local_checksum_file_larger_than_a_page_is_refused_unread() {
    let fixture = serve(&[("a.bin", b"a".to_vec())]);
    let sums = fixture.work.path().join("SHA256SUMS");
    // Sparse: 64 MiB and one byte of nothing, which no test writes.
    let file = std::fs::File::create(&sums).expect("create");
    file.set_len(64 * 1024 * 1024 + 1).expect("set_len");
    let started = std::time::Instant::now();
    let output = fetchall(
        fixture.work.path(),
        &["--checksums", "SHA256SUMS", &fixture.server.url("/")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("SHA256SUMS") && stderr.contains("larger than 64 MiB"),
        "{stderr}"
    );
    assert!(fixture.server.requests().is_empty());
    assert!(started.elapsed() < Duration::from_secs(20));
}
