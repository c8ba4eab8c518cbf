//! Issue 4, "never lose a byte": retries, resume, re-runs, interruption, local faults
//! and hostile servers, each checked against the in-process server's fault scripts
//! and request log: through the library in this process (its events recorded), or
//! through the binary where signals, another user, or what it prints are the point.
//! Waits and timeouts are kept short, and nothing asserts on timing: only on files,
//! how runs end and what the server saw.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};

use crate::support;
use crate::support::cli::text;
use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::{
    partial_sidecar, plant_partial, pseudo_random_bytes, read_tree, tree_difference, write_files,
};
use crate::support::{Canned, ListingStyle, LoggedRequest, TestServer};

/// Fast retries for tests: short waits, short read timeout.
const QUICK: &[&str] = &["--retry-wait", "0.05", "--read-timeout", "1", "-o", "out"];

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, QUICK, args)
}

/// What [`QUICK`] asks for: `url` into `work/out`, short waits, short read timeout.
fn quick(url: String, work: &Path) -> fetchall::Options {
    let mut options = harness::options([url], &work.join("out"));
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options.read_timeout = Duration::from_secs(1);
    options
}

/// Runs [`quick`] options for `url` in this process.
fn mirror(url: String, work: &Path) -> Run {
    harness::mirror(&quick(url, work))
}

/// Panics with the run's events unless it ended as `ending`.
fn assert_ending(run: &Run, ending: Ending) {
    assert_eq!(run.ending(), ending, "{}", run.log());
}

/// A served folder with `files`, and a server over it.
fn serve(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, TestServer) {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), files);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    (served, server)
}

fn expected(files: &[(&str, Vec<u8>)]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(path, contents)| (path.to_string(), contents.clone()))
        .collect()
}

/// The GET requests for `target`, in order.
fn gets(server: &TestServer, target: &str) -> Vec<LoggedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == Method::GET && request.target == target)
        .collect()
}

fn header(request: &LoggedRequest, name: &str) -> Option<String> {
    Some(request.headers.get(name)?.to_str().ok()?.to_string())
}

/// The `N` of the `Range: bytes=N-` a request sent.
fn range_start(request: &LoggedRequest) -> Option<u64> {
    header(request, "range")?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

/// The output folder holds exactly `files`: no partial file, no sidecar.
fn assert_tree(work: &Path, files: &[(&str, Vec<u8>)]) {
    let got = read_tree(&work.join("out"));
    assert_eq!(tree_difference(&expected(files), &got), "");
}

#[test]
fn flaky_statuses_are_retried_until_the_file_arrives() {
    let files = [
        ("f.bin", pseudo_random_bytes(1, 100_000)),
        ("ok.txt", b"fine".to_vec()),
    ];
    let (_served, server) = serve(&files);
    server.faults().script(
        "/f.bin",
        [Fault::Status(503, vec![]), Fault::Status(500, vec![])],
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-v", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_tree(work.path(), &files);
    let statuses: Vec<u16> = gets(&server, "/f.bin")
        .iter()
        .map(|request| request.status.as_u16())
        .collect();
    assert_eq!(statuses, [503, 500, 200]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("(attempt 2): server answered 503"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(attempt 3): server answered 500"),
        "{stdout}"
    );
}

#[test]
fn retry_after_is_honoured_up_to_the_cap_and_the_attempts_are_counted() {
    let files = [("busy.bin", b"busy".to_vec())];
    let (_served, server) = serve(&files);
    let retry_after = |value: &str| Fault::Status(429, vec![("retry-after", value.to_string())]);
    server.faults().always("/busy.bin", retry_after("0"));
    server.faults().script("/busy.bin", [retry_after("3600")]);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = quick(server.url("/"), work.path());
    options.retry.retries = 2;
    let run = harness::mirror(&options);
    assert_ending(&run, Ending::SomeFailed);
    let delays: Vec<f64> = run
        .retries()
        .into_iter()
        .map(|(_, delay, _)| delay)
        .collect();
    // An hour is cut to --retry-wait; zero seconds means at once.
    assert_eq!(delays, [0.05, 0.0]);
    let (_, error) = run.failures().into_iter().next().expect("a failed event");
    assert!(
        error.contains("gave up after 3 attempts") && error.contains("429"),
        "{error}"
    );
    assert_eq!(gets(&server, "/busy.bin").len(), 3);
    assert!(!work.path().join("out/busy.bin").exists());
}

#[test]
fn other_client_errors_are_final_at_once() {
    let files = [("secret.bin", b"no".to_vec()), ("ok.txt", b"ok".to_vec())];
    let (_served, server) = serve(&files);
    server
        .faults()
        .always("/secret.bin", Fault::Status(403, vec![]));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[&server.url("/")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("secret.bin") && stderr.contains("403"),
        "{stderr}"
    );
    assert!(!stderr.contains("gave up"), "{stderr}");
    assert_eq!(
        gets(&server, "/secret.bin").len(),
        1,
        "a 403 is not retried"
    );
    assert_tree(work.path(), &[("ok.txt", b"ok".to_vec())]);
}

/// A 304 means "keep your copy" only as the answer to a request that compared one
/// (`If-Modified-Since`). Sent for a file not here yet, or one `--force` replaces,
/// it is a failure naming the file: never "up to date" with nothing on disk, and
/// never the loss of the copy `--force` was to replace.
#[test]
fn a_not_modified_to_a_request_that_compared_nothing_fails_the_file() {
    let files = [("f.bin", b"served".to_vec()), ("ok.txt", b"ok".to_vec())];
    let (_served, server) = serve(&files);
    server.faults().always("/f.bin", Fault::Status(304, vec![]));
    let work = tempfile::tempdir().expect("temp dir");
    for (run, args) in [("fresh", vec![]), ("forced", vec!["--force"])] {
        let mut args = args;
        let url = server.url("/");
        args.push(&url);
        let output = fetchall(work.path(), &args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{run}: {stderr}");
        assert!(
            stderr.contains("f.bin") && stderr.contains("304") && !stderr.contains("up to date"),
            "{run}: {stderr}"
        );
        let mut expected = vec![("ok.txt", b"ok".to_vec())];
        if run == "forced" {
            expected.push(("f.bin", b"an older copy".to_vec()));
        }
        assert_tree(work.path(), &expected);
        // The second run finds the copy `--force` is asked to replace.
        std::fs::write(work.path().join("out/f.bin"), b"an older copy").expect("plant");
    }
    let sent: Vec<Option<String>> = gets(&server, "/f.bin")
        .iter()
        .map(|request| header(request, "if-modified-since"))
        .collect();
    assert_eq!(sent, [None, None], "neither request compared a copy");
}

#[test]
fn a_reset_mid_body_is_resumed_with_range_and_if_range() {
    let files = [("big.bin", pseudo_random_bytes(2, 1_000_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/big.bin", Fault::Serve);
    server
        .faults()
        .script("/big.bin", [Fault::ResetAfter(300_000)]);
    let work = tempfile::tempdir().expect("temp dir");
    assert_ending(&mirror(server.url("/"), work.path()), Ending::Clean);
    assert_tree(work.path(), &files);
    let requests = gets(&server, "/big.bin");
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(range_start(&requests[0]), None);
    let resumed_at = range_start(&requests[1]).expect("the retry sent Range");
    assert!(resumed_at > 0 && resumed_at <= 300_000, "{resumed_at}");
    let etag = requests[1].headers.get("if-range").expect("If-Range");
    assert!(etag.to_str().expect("text").starts_with('"'), "{etag:?}");
    assert_eq!(requests[1].status, StatusCode::PARTIAL_CONTENT);
}

#[test]
fn a_stalled_body_hits_the_read_timeout_and_is_resumed() {
    let files = [("slow.bin", pseudo_random_bytes(3, 500_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/slow.bin", Fault::Serve);
    server.faults().script(
        "/slow.bin",
        [Fault::StallAfter(100_000, Duration::from_secs(20))],
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-v", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_tree(work.path(), &files);
    let requests = gets(&server, "/slow.bin");
    assert_eq!(requests.len(), 2);
    assert!(range_start(&requests[1]).is_some_and(|start| start > 0));
    assert!(
        text(&output.stdout).contains("no data received"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_short_body_is_never_a_complete_file_and_a_later_run_resumes_it() {
    let files = [("short.bin", pseudo_random_bytes(4, 200_000))];
    let (_served, server) = serve(&files);
    server
        .faults()
        .always("/short.bin", Fault::ShortBody(50_000));
    let work = tempfile::tempdir().expect("temp dir");
    let mut no_retries = quick(server.url("/"), work.path());
    no_retries.retry.retries = 0;
    let run = harness::mirror(&no_retries);
    assert_eq!(run.ending(), Ending::SomeFailed);
    assert!(!work.path().join("out/short.bin").exists());
    assert!(
        work.path().join("out/.short.bin.fetchall-part").exists(),
        "the partial file is kept for the next run: {:?} {}",
        read_tree(&work.path().join("out"))
            .keys()
            .collect::<Vec<_>>(),
        run.log()
    );

    server.faults().always("/short.bin", Fault::Serve);
    server.clear_log();
    assert_ending(&mirror(server.url("/"), work.path()), Ending::Clean);
    assert_tree(work.path(), &files);
    let requests = gets(&server, "/short.bin");
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(&requests[0]), Some(50_000));
    assert_eq!(requests[0].status, StatusCode::PARTIAL_CONTENT);
}

/// A first answer cut at 300 kB, then `then` for the ranged retry: whatever the server
/// does, the file ends up right and is never appended to with the wrong bytes.
fn resume_meets(then: Vec<Fault>) -> Vec<LoggedRequest> {
    let files = [("r.bin", pseudo_random_bytes(5, 1_000_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/r.bin", Fault::Serve);
    let mut script = vec![Fault::ResetAfter(300_000)];
    script.extend(then);
    server.faults().script("/r.bin", script);
    let work = tempfile::tempdir().expect("temp dir");
    assert_ending(&mirror(server.url("/"), work.path()), Ending::Clean);
    assert_tree(work.path(), &files);
    gets(&server, "/r.bin")
}

#[test]
fn a_server_that_ignores_range_restarts_the_file_cleanly() {
    let requests = resume_meets(vec![Fault::IgnoreRange]);
    assert_eq!(requests.len(), 2);
    assert!(range_start(&requests[1]).is_some());
    assert_eq!(requests[1].status, StatusCode::OK);
}

#[test]
fn a_wrong_content_range_restarts_without_range() {
    let requests = resume_meets(vec![Fault::WrongContentRange]);
    assert_eq!(requests.len(), 3);
    assert!(range_start(&requests[1]).is_some());
    assert_eq!(range_start(&requests[2]), None);
}

#[test]
fn a_server_that_ignores_if_range_is_caught_by_the_validator() {
    let requests = resume_meets(vec![Fault::IgnoreIfRange]);
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(range_start(&requests[2]), None);
}

#[test]
fn a_file_that_changed_since_the_partial_is_downloaded_whole() {
    let (served, server) = serve(&[("v.bin", pseudo_random_bytes(6, 200_000))]);
    server.faults().always("/v.bin", Fault::ShortBody(80_000));
    let work = tempfile::tempdir().expect("temp dir");
    let mut no_retries = quick(server.url("/"), work.path());
    no_retries.retry.retries = 0;
    assert_eq!(harness::mirror(&no_retries).ending(), Ending::SomeFailed);

    // Same size, new bytes, new date: only the validator can tell.
    let new = [("v.bin", pseudo_random_bytes(7, 200_000))];
    write_files(served.path(), &new);
    let later = filetime::FileTime::from_unix_time(2_000_000_000, 0);
    filetime::set_file_mtime(served.path().join("v.bin"), later).expect("set time");
    server.faults().always("/v.bin", Fault::Serve);
    server.clear_log();
    assert_ending(&mirror(server.url("/"), work.path()), Ending::Clean);
    assert_tree(work.path(), &new);
    let requests = gets(&server, "/v.bin");
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(&requests[0]), Some(80_000));
    assert_eq!(requests[0].status, StatusCode::OK, "If-Range did not match");
}

#[test]
fn a_partial_that_is_already_whole_is_finished_on_416() {
    let files = [("done.bin", pseudo_random_bytes(8, 10_000))];
    let (served, server) = serve(&files);
    server.faults().always("/done.bin", Fault::Serve);
    let work = tempfile::tempdir().expect("temp dir");
    // What a run killed between the last byte and the rename leaves behind.
    let sidecar = partial_sidecar(
        &server.url("/done.bin"),
        &served.path().join("done.bin"),
        10_000,
        None,
    );
    plant_partial(
        &work.path().join("out"),
        "done.bin",
        files[0].1.clone(),
        sidecar,
    );
    assert_ending(&mirror(server.url("/"), work.path()), Ending::Clean);
    assert_tree(work.path(), &files);
    let requests = gets(&server, "/done.bin");
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(&requests[0]), Some(10_000));
    assert_eq!(requests[0].status, StatusCode::RANGE_NOT_SATISFIABLE);
}

#[test]
fn a_redirect_loop_fails_once_without_retries() {
    let (_served, server) = serve(&[("ok.txt", b"ok".to_vec())]);
    server.can(
        "/loop/",
        Canned::html(r#"<a href="a.bin">a</a> <a href="/ok.txt">ok</a>"#),
    );
    server
        .faults()
        .always("/loop/a.bin", Fault::Redirect("/loop/b.bin".into()));
    server
        .faults()
        .always("/loop/b.bin", Fault::Redirect("/loop/a.bin".into()));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[&server.url("/loop/")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("a.bin") && stderr.contains("redirect"),
        "{stderr}"
    );
    assert!(!stderr.contains("gave up"), "{stderr}");
    assert!(gets(&server, "/loop/a.bin").len() <= 11);
    assert!(!work.path().join("out/a.bin").exists());
}

#[test]
fn no_clobber_asks_nothing_and_force_asks_without_conditions() {
    let files = [("a.txt", b"server".to_vec()), ("b.txt", b"new".to_vec())];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    write_files(&work.path().join("out"), &[("a.txt", b"mine".to_vec())]);

    let output = fetchall(work.path(), &["--no-clobber", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("1 downloaded, 1 up to date"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        gets(&server, "/a.txt").is_empty(),
        "no request for a kept file"
    );
    assert_tree(
        work.path(),
        &[("a.txt", b"mine".to_vec()), ("b.txt", b"new".to_vec())],
    );

    server.clear_log();
    let output = fetchall(work.path(), &["--force", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_tree(work.path(), &files);
    for target in ["/a.txt", "/b.txt"] {
        let requests = gets(&server, target);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].status, StatusCode::OK);
        assert!(header(&requests[0], "if-modified-since").is_none());
    }

    let output = fetchall(work.path(), &["--force", "--no-clobber", &server.url("/")]);
    assert_eq!(output.status.code(), Some(2), "the two flags conflict");
}

#[test]
fn local_faults_name_the_file_and_spare_the_others() {
    let deep: String = (0..20).map(|_| format!("{}/", "d".repeat(250))).collect();
    let deep_file = format!("{deep}deep.txt");
    let (_served, server) = serve(&[
        ("sub/x.txt", b"x".to_vec()),
        ("dir.txt", b"d".to_vec()),
        ("good.txt", b"good".to_vec()),
    ]);
    server.can(
        "/",
        Canned::html(format!(
            r#"<a href="sub/x.txt">1</a> <a href="dir.txt">2</a> <a href="good.txt">3</a>
               <a href="{deep_file}">4</a>"#
        )),
    );
    server.can(&format!("/{deep_file}"), Canned::html("deep"));
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    // A file where a folder must go, and a folder where a file must go.
    write_files(&out, &[("sub", b"a file".to_vec())]);
    std::fs::create_dir_all(out.join("dir.txt")).expect("folder");

    let output = fetchall(work.path(), &[&server.url("/")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("failed"))
        .collect();
    assert!(
        failed
            .iter()
            .any(|line| line.contains("out/dir.txt") && line.contains("not a regular file")),
        "{stderr}"
    );
    assert!(
        failed
            .iter()
            .any(|line| line.contains("out/sub") && line.contains("x.txt")),
        "{stderr}"
    );
    assert!(
        failed
            .iter()
            .any(|line| line.contains("deep.txt") && line.contains("too long")),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("good.txt")).expect("good"), b"good");
    assert_eq!(std::fs::read(out.join("sub")).expect("kept"), b"a file");
}

/// Starts fetchall on a file whose body stalls after `stall_after` bytes, waits until
/// its partial file holds some of them, and hands back the child.
fn start_stalled_run(work: &Path, server: &TestServer, stall_after: usize) -> std::process::Child {
    server.faults().script(
        "/big.bin",
        [Fault::StallAfter(stall_after, Duration::from_secs(30))],
    );
    let child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(["-o", "out", "--read-timeout", "30", &server.url("/")])
        .current_dir(work)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetchall");
    let part = work.join("out/.big.bin.fetchall-part");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&part).map_or(0, |metadata| metadata.len()) == 0 {
        assert!(Instant::now() < deadline, "the partial file never grew");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// The re-run after an interruption (in this process): it must continue at the
/// partial file's length.
fn rerun_resumes(work: &Path, server: &TestServer, files: &[(&str, Vec<u8>)]) {
    let part = work.join("out/.big.bin.fetchall-part");
    let kept = std::fs::metadata(&part).expect("partial kept").len();
    assert!(work.join("out/.big.bin.fetchall-part.json").exists());
    server.clear_log();
    assert_ending(&mirror(server.url("/"), work), Ending::Clean);
    assert_tree(work, files);
    let requests = gets(server, "/big.bin");
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(&requests[0]), Some(kept));
    assert!(kept > 0);
    assert_eq!(requests[0].status, StatusCode::PARTIAL_CONTENT);
}

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_the_partial_file_and_a_rerun_resumes_it() {
    let files = [("big.bin", pseudo_random_bytes(9, 1_000_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/big.bin", Fault::Serve);
    let work = tempfile::tempdir().expect("temp dir");
    let child = start_stalled_run(work.path(), &server, 400_000);
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("interrupted:"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        std::fs::metadata(work.path().join("out/.big.bin.fetchall-part")).is_ok(),
        "the partial file is kept"
    );
    rerun_resumes(work.path(), &server, &files);
}

#[cfg(unix)]
#[test]
fn kill_9_then_a_rerun_resumes_the_partial_file() {
    let files = [("big.bin", pseudo_random_bytes(10, 1_000_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/big.bin", Fault::Serve);
    let work = tempfile::tempdir().expect("temp dir");
    let mut child = start_stalled_run(work.path(), &server, 600_000);
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
    rerun_resumes(work.path(), &server, &files);
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_fails_its_file_with_the_path() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let (_served, server) = serve(&[("ro/x.txt", b"x".to_vec()), ("ok.txt", b"ok".to_vec())]);
    server.can(
        "/",
        Canned::html(r#"<a href="ro/x.txt">x</a> <a href="ok.txt">ok</a>"#),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let read_only = work.path().join("out/ro");
    std::fs::create_dir_all(&read_only).expect("folder");
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let mut command = Command::new(env!("CARGO_BIN_EXE_fetchall"));
    command
        .args(QUICK)
        .arg(server.url("/"))
        .current_dir(work.path());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // File modes do not stop root: run the child as `nobody`, in folders it may use.
        for folder in [work.path(), &work.path().join("out")] {
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o777))
                .expect("chmod");
        }
        command.uid(65534).gid(65534);
    }
    let output = command.output().expect("run fetchall");
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("out/ro/x.txt") && stderr.contains("ermission denied"),
        "{stderr}"
    );
    assert_tree(work.path(), &[("ok.txt", b"ok".to_vec())]);
}

#[test]
fn a_full_disk_fails_the_file_with_its_path_and_leaves_no_final_file() {
    let files = [
        ("a-small.txt", b"small".to_vec()),
        ("b-big.bin", pseudo_random_bytes(11, 3_000_000)),
    ];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir_all(&out).expect("folder");
    // A 1 MiB tmpfs is a full disk on demand; it needs root (CI runs as root).
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&out)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let output = fetchall(work.path(), &["-j", "1", &server.url("/")]);
    let small = std::fs::read(out.join("a-small.txt")).ok();
    let big_exists = out.join("b-big.bin").exists();
    let _ = Command::new("umount").arg(&out).status();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("b-big.bin") && stderr.contains("No space left"),
        "{stderr}"
    );
    assert!(!big_exists, "no partial file under the final name");
    assert_eq!(small.as_deref(), Some(&b"small"[..]));
}

#[test]
fn attempts_that_make_progress_do_not_use_up_the_retries() {
    let files = [("long.bin", pseudo_random_bytes(9, 600_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/long.bin", Fault::Serve);
    // Four drops, each after 100 KB more: more failures than --retries 2 allows, but
    // every attempt moves the file forward.
    server.faults().script(
        "/long.bin",
        [
            Fault::ResetAfter(100_000),
            Fault::ResetAfter(100_000),
            Fault::ResetAfter(100_000),
            Fault::ResetAfter(100_000),
        ],
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = quick(server.url("/"), work.path());
    options.retry.retries = 2;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    assert_tree(work.path(), &files);
    let starts: Vec<Option<u64>> = gets(&server, "/long.bin").iter().map(range_start).collect();
    assert_eq!(starts.len(), 5, "{starts:?}");
    assert!(
        starts
            .windows(2)
            .all(|pair| pair[0].unwrap_or(0) < pair[1].unwrap_or(0)),
        "each attempt resumed further: {starts:?}"
    );
}

/// A server that sends a few bytes an answer and closes (here 100 of a 600 KB
/// file each time) moves the file forward, but not enough to count: `--retries`
/// still bounds it. Before, every byte reset the count, and this file would have
/// taken 6,000 attempts.
#[test]
fn a_few_bytes_an_attempt_do_not_keep_a_file_retried() {
    let files = [("drip.bin", pseudo_random_bytes(13, 600_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/drip.bin", Fault::ShortBody(100));
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = quick(server.url("/"), work.path());
    options.retry.retries = 2;
    let run = harness::mirror(&options);
    assert_ending(&run, Ending::SomeFailed);
    let failure = run
        .failure_of(&server.url("/drip.bin"))
        .expect("drip.bin failed");
    assert!(failure.contains("gave up after 3 attempts"), "{failure}");
    let starts: Vec<Option<u64>> = gets(&server, "/drip.bin").iter().map(range_start).collect();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(!work.path().join("out/drip.bin").exists());
}

/// With `--content-disposition`, the name a server suggests is used however the
/// file's bytes came: split over several connections, or already all on disk from
/// an earlier run (the server answers the rest with 416), as for one plain GET.
#[test]
fn a_suggested_name_holds_for_split_and_already_complete_files() {
    let files = [
        ("split.bin", pseudo_random_bytes(14, 1_000_000)),
        ("done.bin", pseudo_random_bytes(15, 300_000)),
    ];
    let (served, server) = serve(&files);
    server.faults().always("/split.bin", Fault::Serve);
    server.add_header(
        "/split.bin",
        "content-disposition",
        "attachment; filename=\"whole.bin\"",
    );
    server.add_header(
        "/done.bin",
        "content-disposition",
        "attachment; filename=\"kept.bin\"",
    );
    let work = tempfile::tempdir().expect("temp dir");
    // All of done.bin is on disk already, with the sidecar of its version.
    let sidecar = partial_sidecar(
        &server.url("/done.bin"),
        &served.path().join("done.bin"),
        300_000,
        None,
    );
    plant_partial(
        &work.path().join("out"),
        "done.bin",
        files[1].1.clone(),
        sidecar,
    );
    let mut options = quick(server.url("/"), work.path());
    options.content_disposition = true;
    options.split.max_segments = 4;
    options.split.min_segment_size = 100_000;
    let run = harness::mirror(&options);
    assert_ending(&run, Ending::Clean);
    assert_tree(
        work.path(),
        &[
            ("whole.bin", files[0].1.clone()),
            ("kept.bin", files[1].1.clone()),
        ],
    );
    let ranged = gets(&server, "/split.bin")
        .iter()
        .filter(|request| header(request, "range").is_some())
        .count();
    assert!(ranged >= 2, "split.bin was split: {ranged} ranges");
    let done = gets(&server, "/done.bin");
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].status, StatusCode::RANGE_NOT_SATISFIABLE);
}

#[test]
fn content_disposition_names_are_used_only_when_asked_and_sanitised() {
    let (_served, server) = serve(&[]);
    server.can(
        "/",
        Canned::html(
            r#"<a href="dl?id=1">one</a> <a href="dl?id=2">two</a> <a href="dl?id=3">evil</a>"#,
        ),
    );
    let answer = |body: &str, disposition: &str| {
        Canned {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            body: body.as_bytes().to_vec(),
        }
        .with_header("content-disposition", disposition)
    };
    server.can(
        "/dl?id=1",
        answer("first", "attachment; filename=\"report.txt\""),
    );
    server.can(
        "/dl?id=2",
        answer("second", "attachment; filename*=UTF-8''na%C3%AFve.txt"),
    );
    server.can(
        "/dl?id=3",
        answer("third", "attachment; filename=\"../../escape.txt\""),
    );

    let plain = tempfile::tempdir().expect("temp dir");
    assert_ending(&mirror(server.url("/"), plain.path()), Ending::Clean);
    let names: Vec<String> = read_tree(&plain.path().join("out")).into_keys().collect();
    assert_eq!(
        names,
        ["dl?id=1", "dl?id=2", "dl?id=3"],
        "without the flag: link names"
    );

    let named = tempfile::tempdir().expect("temp dir");
    let mut options = quick(server.url("/"), named.path());
    options.content_disposition = true;
    assert_ending(&harness::mirror(&options), Ending::Clean);
    let everything = read_tree(named.path());
    let expected: BTreeMap<String, Vec<u8>> = [
        ("out/report.txt", "first"),
        ("out/naïve.txt", "second"),
        ("out/escape.txt", "third"),
    ]
    .into_iter()
    .map(|(path, body)| (path.to_string(), body.as_bytes().to_vec()))
    .collect();
    assert_eq!(everything, expected);
}

/// A reporter that panics on the first event `trigger` picks, as a buggy reporter
/// (or a bug anywhere in the task that reports) would. It runs inside the crawler
/// task or a transfer task, whichever reports the event.
struct PanicOn(Trigger, std::sync::Mutex<Vec<fetchall::Event>>);

/// Which event a [`PanicOn`] reporter panics on.
type Trigger = fn(&fetchall::Event) -> bool;

impl fetchall::Reporter for PanicOn {
    fn report(&self, event: &fetchall::Event) {
        if self.0(event) {
            panic!("reporter panicked on purpose");
        }
        if let Ok(mut events) = self.1.lock() {
            events.push(event.clone());
        }
    }
}

/// Runs the library on `url` (recursive) into `out` with a reporter that panics.
fn mirror_with_panic(
    url: String,
    out: &Path,
    trigger: Trigger,
) -> (fetchall::Summary, Vec<fetchall::Event>) {
    let mut options = fetchall::Options::new([url]);
    options.output = Some(out.to_path_buf());
    options.recursive = true;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let reporter = std::sync::Arc::new(PanicOn(trigger, Default::default()));
    let summary = runtime
        .block_on(fetchall::mirror(
            &options,
            reporter.clone(),
            fetchall::CancellationToken::new(),
        ))
        .expect("the run itself starts");
    let events = reporter
        .1
        .lock()
        .map(|events| events.clone())
        .unwrap_or_default();
    (summary, events)
}

#[test]
fn a_panic_in_the_crawler_or_a_transfer_is_a_failure_not_a_clean_summary() {
    use fetchall::Event;
    let files = [
        ("a.bin", pseudo_random_bytes(1, 1000)),
        ("b.bin", pseudo_random_bytes(2, 1000)),
        ("sub/c.bin", pseudo_random_bytes(3, 1000)),
    ];
    let (_served, server) = serve(&files);
    let cases: [(&str, Trigger); 4] = [
        // In the crawler task: the start page's listing (nothing is downloaded).
        (
            "start page listed",
            |event| matches!(event, Event::PageListed { url, .. } if !url.contains("/sub/")),
        ),
        // In the crawler task, later: a sub-folder's files are lost.
        (
            "sub-folder listed",
            |event| matches!(event, Event::PageListed { url, .. } if url.contains("/sub/")),
        ),
        // In a transfer task, when a file starts.
        (
            "transfer started",
            |event| matches!(event, Event::Started { url, .. } if url.ends_with("/b.bin")),
        ),
        // In a transfer task, after its file is in place.
        (
            "file downloaded",
            |event| matches!(event, Event::Downloaded { url, .. } if url.ends_with("/a.bin")),
        ),
    ];
    let mut silent = Vec::new();
    for (name, trigger) in cases {
        let work = tempfile::tempdir().expect("temp dir");
        let (summary, events) =
            mirror_with_panic(server.url("/"), &work.path().join("out"), trigger);
        // The panic is reported, with what panicked and its message.
        let reported = events.iter().any(|event| match event {
            Event::PageFailed { error, .. } => {
                error.contains("crawler panicked") && error.contains("on purpose")
            }
            Event::Failed { error, url, .. } => {
                error.contains("transfer panicked") && url.ends_with(".bin")
            }
            _ => false,
        });
        if summary.failed == 0 || !reported {
            silent.push(format!("{name}: {summary:?}"));
        }
    }
    assert!(
        silent.is_empty(),
        "a panic must be counted as a failure: {silent:#?}"
    );
}

/// `--max-size` against a body whose end nobody announced: it is stopped as soon as
/// it passes the limit, skipped as too large, and nothing of it stays on disk.
#[test]
fn max_size_stops_a_body_without_content_length_as_soon_as_it_passes() {
    // The listing links `endless.bin`; its answer is 256 MiB with no Content-Length.
    let (_served, server) = serve(&[("endless.bin", b"x".to_vec()), ("ok.txt", b"ok".to_vec())]);
    let total = 256 * 1024 * 1024;
    server
        .faults()
        .always("/endless.bin", Fault::Unsized { total });
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["--max-size", "1M", &server.url("/")]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("larger than --max-size (stopped after 1048576 bytes)"),
        "{stdout}"
    );
    assert_tree(work.path(), &[("ok.txt", b"ok".to_vec())]);
    assert_eq!(
        gets(&server, "/endless.bin").len(),
        1,
        "a filtered file is not retried"
    );
    // The connection was dropped: the server could hand over little more than the
    // limit and the socket buffers, far from the whole body.
    let sent = server.faults().unsized_bytes_sent();
    assert!(sent < 64 * 1024 * 1024, "the server sent {sent} bytes");
}

#[test]
fn max_size_stops_a_body_that_ends_only_when_the_connection_closes() {
    use crate::support::raw::{RawAnswer, RawServer};
    let server = RawServer::start(vec![
        ("/", RawAnswer::Html(r#"<a href="big.bin">big</a>"#.into())),
        (
            "/big.bin",
            RawAnswer::UntilClose {
                total: 512 * 1024 * 1024,
            },
        ),
    ]);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["--max-size", "2M", &server.url("/")]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("larger than --max-size"), "{stdout}");
    assert_tree(work.path(), &[]);
    let sent = server.body_bytes_sent();
    assert!(sent < 64 * 1024 * 1024, "the server sent {sent} bytes");
}

/// A chunked body whose `Content-Length` beside it says less than is sent: the
/// body is cut where the announced length ends, and nothing is kept.
#[test]
fn a_content_length_that_lies_beside_chunking_stops_the_body_there() {
    use crate::support::raw::{RawAnswer, RawServer};
    let server = RawServer::start(vec![
        (
            "/",
            RawAnswer::Html(r#"<a href="liar.bin">liar</a>"#.into()),
        ),
        (
            "/liar.bin",
            RawAnswer::ChunkedWithLength {
                announced: 100_000,
                total: 256 * 1024 * 1024,
            },
        ),
    ]);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(
        work.path(),
        &["--max-size", "1M", "--retries", "1", &server.url("/")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("more than the 100000 bytes it announced"),
        "{stderr}"
    );
    assert_tree(work.path(), &[]);
    let sent = server.body_bytes_sent();
    assert!(sent < 64 * 1024 * 1024, "the server sent {sent} bytes");
}

#[test]
fn a_listing_page_is_stopped_at_its_cap_and_says_so() {
    let (_served, server) = serve(&[]);
    server.faults().always(
        "/",
        Fault::Unsized {
            total: 1024 * 1024 * 1024,
        },
    );
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[&server.url("/")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("page is larger than 64 MiB; stopped reading it"),
        "{stderr}"
    );
    assert_eq!(
        gets(&server, "/").len(),
        1,
        "a page too large is not retried"
    );
    let sent = server.faults().unsized_bytes_sent();
    assert!(sent < 128 * 1024 * 1024, "the server sent {sent} bytes");
}

/// Small values so that a trickle is judged within seconds.
const SLOW: &[&str] = &["--speed-limit", "1000", "--speed-time", "2"];

/// A trickle of `rate` bytes a second in pieces of a tenth of it.
fn trickle(rate: usize) -> Fault {
    Fault::Throttle {
        chunk: rate / 10,
        pause: Duration::from_millis(100),
    }
}

#[test]
fn a_file_slower_than_the_speed_limit_fails_after_one_retry() {
    // One of each path: a small file (gathered in memory) and a large one (streamed).
    let files = [
        ("small.bin", pseudo_random_bytes(40, 30_000)),
        ("large.bin", pseudo_random_bytes(41, 200_000)),
        ("ok.txt", b"ok".to_vec()),
    ];
    let (_served, server) = serve(&files);
    for path in ["/small.bin", "/large.bin"] {
        server.faults().always(path, trickle(300));
    }
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[SLOW, &[&server.url("/")]].concat());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for name in ["small.bin", "large.bin"] {
        let line = stderr
            .lines()
            .find(|line| line.contains(&server.url(&format!("/{name}"))))
            .unwrap_or_else(|| panic!("no failure line for {name}: {stderr}"));
        assert!(line.contains("slower than 1000 bytes/s for 2 s"), "{line}");
        // One retry for a too-slow transfer, though each attempt made progress.
        assert_eq!(gets(&server, &format!("/{name}")).len(), 2, "{name}");
    }
    // What arrived of the large one is kept to resume from; no final file.
    let names: Vec<String> = read_tree(&work.path().join("out")).into_keys().collect();
    assert_eq!(
        names,
        [
            ".large.bin.fetchall-part",
            ".large.bin.fetchall-part.json",
            "ok.txt"
        ]
    );
}

#[test]
fn a_file_slightly_faster_than_the_speed_limit_completes() {
    let files = [("steady.bin", pseudo_random_bytes(42, 12_000))];
    let (_served, server) = serve(&files);
    server.faults().always("/steady.bin", trickle(2000));
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = quick(server.url("/"), work.path());
    // As SLOW asks.
    options.low_speed = fetchall::LowSpeed {
        limit: 1000,
        time: Duration::from_secs(2),
    };
    assert_ending(&harness::mirror(&options), Ending::Clean);
    assert_tree(work.path(), &files);
    assert_eq!(gets(&server, "/steady.bin").len(), 1);
}

/// A listing of `files` links, `rate` bytes a second.
fn trickling_listing(rate: usize, files: usize) -> Fault {
    let links: String = (0..files)
        .map(|index| format!("<a href=\"file-with-a-long-name-{index:04}.txt\">f{index}</a>\n"))
        .collect();
    Fault::Trickle {
        body: format!("<html><body>\n{links}</body></html>\n").into_bytes(),
        content_type: "text/html",
        chunk: rate / 10,
        pause: Duration::from_millis(100),
    }
}

#[test]
fn a_start_page_slower_than_the_speed_limit_fails_the_run() {
    let (_served, server) = serve(&[]);
    // About 6 kB at 300 bytes a second: 20 s if it were waited for.
    server.faults().always("/", trickling_listing(300, 100));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[SLOW, &[&server.url("/")]].concat());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&server.url("/")), "{stderr}");
    assert!(
        stderr.contains("slower than 1000 bytes/s for 2 s"),
        "{stderr}"
    );
    assert_eq!(gets(&server, "/").len(), 2, "one retry for a too-slow page");
}

#[test]
fn a_sub_folder_listing_slower_than_the_speed_limit_fails_only_that_folder() {
    let files = [("ok.txt", b"ok".to_vec()), ("sub/a.txt", b"a".to_vec())];
    let (_served, server) = serve(&files);
    server.faults().always("/sub/", trickling_listing(300, 100));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[SLOW, &["-r", &server.url("/")]].concat());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&server.url("/sub/")), "{stderr}");
    assert!(
        stderr.contains("slower than 1000 bytes/s for 2 s"),
        "{stderr}"
    );
    assert_tree(work.path(), &[("ok.txt", b"ok".to_vec())]);
}

#[test]
fn a_listing_slightly_faster_than_the_speed_limit_is_read() {
    let (_served, server) = serve(&[]);
    // About 1.5 kB at 2,000 bytes a second: judged once or twice, passes.
    server.faults().always("/", trickling_listing(2000, 25));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &[SLOW, &[&server.url("/")]].concat());
    let stdout = text(&output.stdout);
    // The linked files do not exist: the page was read whole, its 25 links found.
    assert!(
        stdout.contains("found 25 links"),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert_eq!(gets(&server, "/").len(), 1);
}

#[test]
fn time_held_back_by_limit_rate_is_not_the_servers_slowness() {
    // The run's own --limit-rate (20 kB/s) is far below --speed-limit (100 kB/s):
    // the server is fast, so the files must not fail as too slow.
    let files = [
        ("a.bin", pseudo_random_bytes(43, 50_000)),
        ("b.bin", pseudo_random_bytes(44, 30_000)),
    ];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    // The default read timeout: reqwest's own one counts time a body is held back.
    let mut options = harness::options([server.url("/")], &work.path().join("out"));
    options.limit_rate = Some(20 * 1024);
    options.low_speed = fetchall::LowSpeed {
        limit: 100 * 1024,
        time: Duration::from_secs(1),
    };
    assert_ending(&harness::mirror(&options), Ending::Clean);
    assert_tree(work.path(), &files);
}

#[test]
fn max_size_also_applies_to_a_partial_file_left_by_an_earlier_run() {
    let files = [("big.bin", pseudo_random_bytes(45, 3_000_000))];
    let (served, server) = serve(&files);
    server.faults().always("/big.bin", Fault::Serve);
    let work = tempfile::tempdir().expect("temp dir");
    // An earlier run without --max-size got 100 kB of it.
    let sidecar = partial_sidecar(
        &server.url("/big.bin"),
        &served.path().join("big.bin"),
        3_000_000,
        None,
    );
    plant_partial(
        &work.path().join("out"),
        "big.bin",
        files[0].1[..100_000].to_vec(),
        sidecar,
    );
    let output = fetchall(work.path(), &["--max-size", "1M", &server.url("/")]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    // Judged on the size the partial file's version has, before any body is read.
    assert!(
        stdout.contains("larger than --max-size (3000000 bytes)"),
        "{stdout}"
    );
    // Skipped, and what the earlier run left is gone.
    assert_tree(work.path(), &[]);
}
