//! Issue 14, "list once, shard the plan": `--dry-run --json` writes a plan;
//! `-i plan.jsonl --shard K/N -o DIR` fetches exactly its files under their planned
//! paths, with the planned sizes and times, and reads no listing (checked in the
//! server's request log). Shards run at once into one folder, as child processes
//! of the binary; a hostile plan cannot write outside the folder.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::http::Method;
use fetchall::Event;

use crate::support;
use crate::support::cli::text;
use crate::support::harness::{self, Ending};
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, &[], args)
}

/// Awkward names (spaces, `#`, `%`, `&`, `+`, UTF-8, a 200-byte name, an empty
/// file) and enough plain ones that every share of 4 gets some.
fn tree_files() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("a b.txt".to_string(), b"a b".to_vec()),
        ("hash#1.bin".to_string(), pseudo_random_bytes(1, 3000)),
        ("100% sure.txt".to_string(), b"percent".to_vec()),
        ("amp&plus+.txt".to_string(), b"amp".to_vec()),
        ("café/ü ñ.bin".to_string(), pseudo_random_bytes(2, 5000)),
        (format!("long/{}.bin", "n".repeat(196)), b"long".to_vec()),
        ("empty.txt".to_string(), Vec::new()),
        (
            "deep/er/still/x.iso".to_string(),
            pseudo_random_bytes(3, 300_000),
        ),
    ];
    for index in 0..24_u64 {
        let folder = ["", "a/", "a/b/", "c d/"][(index % 4) as usize];
        files.push((
            format!("{folder}file {index}.bin"),
            pseudo_random_bytes(index + 10, 100 + index as usize * 37),
        ));
    }
    files
}

/// The files of a folder, fetchall's own lock files left out.
fn mirrored(root: &Path) -> BTreeMap<String, Vec<u8>> {
    read_tree(root)
        .into_iter()
        .filter(|(path, _)| {
            !path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .starts_with(".fetchall")
        })
        .collect()
}

fn serve() -> (tempfile::TempDir, TestServer, usize) {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tree_files();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    (served, server, files.len())
}

/// A dry run's JSON lines, written to `work/plan.jsonl`.
fn write_plan(work: &Path, url: &str) -> String {
    let dry = fetchall(work, &["--dry-run", "--json", "-r", "-o", "planned", url]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let plan = text(&dry.stdout);
    std::fs::write(work.join("plan.jsonl"), &plan).expect("write the plan");
    plan
}

#[test]
fn four_shards_of_a_plan_at_once_are_the_full_mirror_without_a_listing() {
    let (_served, server, count) = serve();
    let url = server.url("/pub/");
    let work = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(work.path(), &url);
    assert_eq!(plan.matches(r#""event":"planned""#).count(), count);

    server.clear_log();
    let shards: Vec<_> = (1..=4)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_fetchall"))
                .args(["-q", "-i", "plan.jsonl", "--shard", &format!("{k}/4")])
                .args(["-o", "out"])
                .current_dir(work.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run fetchall")
        })
        .collect();
    for (k, child) in shards.into_iter().enumerate() {
        let output = child.wait_with_output().expect("wait");
        assert_eq!(
            output.status.code(),
            Some(0),
            "shard {}: {}",
            k + 1,
            text(&output.stderr)
        );
    }
    let requests = server.requests();
    let listings: Vec<_> = requests
        .iter()
        .filter(|request| request.target.ends_with('/'))
        .map(|request| request.target.clone())
        .collect();
    assert_eq!(listings, Vec::<String>::new(), "no listing is read");
    let heads = requests
        .iter()
        .filter(|request| request.method == Method::HEAD)
        .count();
    assert_eq!(heads, 0, "no HEAD: the plan gives every size");
    let mut fetched: BTreeMap<&str, usize> = BTreeMap::new();
    for request in &requests {
        *fetched.entry(request.target.as_str()).or_default() += 1;
    }
    assert_eq!(fetched.len(), count, "{fetched:?}");
    assert!(fetched.values().all(|&times| times == 1), "{fetched:?}");

    let full = fetchall(work.path(), &["-q", "-r", "-o", "full", &url]);
    assert_eq!(full.status.code(), Some(0), "{}", text(&full.stderr));
    let full = mirrored(&work.path().join("full"));
    assert_eq!(full.len(), count);
    assert_eq!(
        tree_difference(&full, &mirrored(&work.path().join("out"))),
        ""
    );

    // Again: every file is up to date by the plan's size and time, asked nothing.
    server.clear_log();
    let again = fetchall(
        work.path(),
        &["-i", "plan.jsonl", "--shard", "2/4", "-o", "out"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("up to date"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        server.requests().len(),
        0,
        "a re-run of a shard sends nothing"
    );
}

#[test]
fn a_plan_read_from_stdin_is_read_as_one() {
    let (_served, server, count) = serve();
    let work = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(work.path(), &server.url("/pub/"));
    server.clear_log();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(["-q", "-i", "-", "-o", "out"])
        .current_dir(work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fetchall");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(plan.as_bytes()).expect("write stdin");
    drop(input);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(mirrored(&work.path().join("out")).len(), count);
    assert!(server.requests().iter().all(|r| !r.target.ends_with('/')));
}

#[test]
fn a_hostile_plan_writes_nothing_outside_its_folder() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("good.txt", b"good".to_vec()),
            ("other.txt", b"other".to_vec()),
            ("evil.txt", b"evil".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let line = |url: &str, path: &str| {
        serde_json::json!({"event": "planned", "url": server.url(url), "path": path,
            "relative_path": path, "size": null, "size_exact": false, "exists": false})
        .to_string()
    };
    let hostile = [
        line("/evil.txt", "../escaped.txt"),
        line("/evil.txt", "sub/../../escaped.txt"),
        line("/evil.txt", "/tmp/absolute.txt"),
        line("/evil.txt", ".fetchall.lock"),
        line("/evil.txt", "sub/.fetchall.shard-1-of-2.lock"),
        line("/evil.txt", "a\\..\\escaped.txt"),
        line("/evil.txt", "a//b.txt"),
        line("/good.txt", "good.txt"),
        line("/good.txt", "good.txt"),
        line("/evil.txt", "good.txt"),
        line("/other.txt", "good.txt/inside.txt"),
        r#"{"event":"planned","url":"file:///etc/passwd","relative_path":"passwd"}"#.into(),
        r#"{"event":"planned","url":"http://127.0.0.1:9/x","path":"x"}"#.into(),
    ];
    let plan = work.path().join("plan.jsonl");
    std::fs::write(&plan, hostile.join("\n")).expect("write the plan");
    let output = work.path().join("box/out");
    let mut options = harness::options(Vec::<String>::new(), &output);
    options.plan = Some(plan);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());

    let tree = read_tree(&work.path().join("box"));
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(names, ["out/good.txt"], "{}", run.log());
    assert_eq!(tree["out/good.txt"], b"good");
    let failures = run.failures();
    let reasons: Vec<&str> = failures.iter().map(|(_, error)| error.as_str()).collect();
    for (line, expected) in [
        (1, "`.` or `..`"),
        (2, "`.` or `..`"),
        (3, "an absolute path"),
        (4, "`.fetchall.lock` is a name fetchall uses itself"),
        (
            5,
            "`.fetchall.shard-1-of-2.lock` is a name fetchall uses itself",
        ),
        (6, "the character '\\\\'"),
        (7, "an empty name"),
        (10, "would write the same local path"),
        (11, "would write the same local path"),
        (12, "unsupported URL"),
        (13, "no `relative_path`"),
    ] {
        let prefix = format!("plan line {line}: ");
        assert!(
            reasons
                .iter()
                .any(|reason| reason.starts_with(&prefix) && reason.contains(expected)),
            "line {line}: {reasons:#?}"
        );
    }
    assert_eq!(failures.len(), 11, "{reasons:#?}");
    // The repeated line is a duplicate, not a failure.
    assert_eq!(run.skipped(fetchall::SkipReason::Duplicate).len(), 1);
}

#[test]
fn a_plan_and_a_list_of_urls_do_not_mix() {
    let work = tempfile::tempdir().expect("temp dir");
    let planned = r#"{"event":"planned","url":"http://127.0.0.1:9/a","relative_path":"a"}"#;
    std::fs::write(
        work.path().join("list.txt"),
        format!("# downloads\nhttp://127.0.0.1:9/x\n{planned}\n"),
    )
    .expect("write");
    let output = fetchall(work.path(), &["-i", "list.txt", "-o", "out"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("line 3 is JSON"),
        "{}",
        text(&output.stderr)
    );

    std::fs::write(
        work.path().join("plan.jsonl"),
        format!("{planned}\n\nhttp://127.0.0.1:9/x\n"),
    )
    .expect("write");
    let mut options = harness::options(Vec::<String>::new(), &work.path().join("out"));
    options.plan = Some(work.path().join("plan.jsonl"));
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::StartPageFailed, "{}", run.log());
    let pages = run.page_failures();
    assert!(
        pages
            .iter()
            .any(|(_, error)| error.starts_with("line 3 is not a JSON event")),
        "{pages:?}"
    );

    // Not a plan from its first line: nothing runs.
    std::fs::write(work.path().join("bad.jsonl"), "{\"event\":\n").expect("write");
    options.plan = Some(work.path().join("bad.jsonl"));
    let run = harness::mirror(&options);
    assert!(matches!(run.ending(), Ending::Error(_)), "{}", run.log());
}

#[test]
fn a_plan_needs_an_output_folder_and_no_start_url() {
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("plan.jsonl"),
        r#"{"event":"planned","url":"http://127.0.0.1:9/a","relative_path":"a"}"#,
    )
    .expect("write");
    let output = fetchall(work.path(), &["-i", "plan.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("-o DIR"),
        "{}",
        text(&output.stderr)
    );
    let output = fetchall(
        work.path(),
        &["-i", "plan.jsonl", "-o", "out", "http://127.0.0.1:9/"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no start URL"),
        "{}",
        text(&output.stderr)
    );
    let output = fetchall(work.path(), &["-i", "plan.jsonl", "-o", "out", "--flat"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn planned_lines_carry_what_a_download_needs() {
    let (_served, server, count) = serve();
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = harness::options([server.url("/pub/")], &work.path().join("planned"));
    options.dry_run = true;
    options.recursive = true;
    let run = harness::mirror(&options);
    let mut seen = 0;
    for event in &run.events {
        if let Event::Planned {
            path,
            relative_path,
            size,
            size_exact,
            modified,
            ..
        } = event
        {
            seen += 1;
            assert_eq!(
                Path::new(path),
                work.path().join("planned").join(relative_path)
            );
            assert!(size.is_some() && *size_exact, "{relative_path}");
            assert!(
                modified.as_deref().is_some_and(|time| time.ends_with('Z')),
                "{relative_path}"
            );
        }
    }
    assert_eq!(seen, count);
}

#[test]
fn a_share_of_the_plan_is_the_same_share_of_the_listing() {
    let (_served, server, _count) = serve();
    let url = server.url("/pub/");
    let work = tempfile::tempdir().expect("temp dir");
    write_plan(work.path(), &url);
    for k in 1..=4 {
        let shard: fetchall::Shard = format!("{k}/4").parse().expect("K/N");
        let mut listed = harness::options([url.clone()], &work.path().join(format!("listed{k}")));
        listed.recursive = true;
        listed.filters.shard = Some(shard);
        assert_eq!(harness::mirror(&listed).ending(), Ending::Clean);
        let mut planned =
            harness::options(Vec::<String>::new(), &work.path().join(format!("plan{k}")));
        planned.plan = Some(work.path().join("plan.jsonl"));
        planned.filters.shard = Some(shard);
        let run = harness::mirror(&planned);
        assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
        let listed = mirrored(&work.path().join(format!("listed{k}")));
        assert!(!listed.is_empty(), "share {k}/4 is empty");
        assert_eq!(
            tree_difference(&listed, &mirrored(&work.path().join(format!("plan{k}")))),
            ""
        );
    }
}

#[test]
fn credentials_go_only_to_the_origin_of_the_plans_first_file() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("a.txt", b"a".to_vec()), ("b.txt", b"b".to_vec())],
    );
    let first = TestServer::start(served.path(), ListingStyle::Nginx);
    let other = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let line = |url: String, path: &str| {
        serde_json::json!({"event": "planned", "url": url, "relative_path": path}).to_string()
    };
    let plan = [
        line(first.url("/a.txt"), "a.txt"),
        line(other.url("/b.txt"), "b.txt"),
        // Credentials written into a plan's URL are never used.
        line(
            other.url("/a.txt").replace("http://", "http://eve:pw@"),
            "c.txt",
        ),
    ];
    std::fs::write(work.path().join("plan.jsonl"), plan.join("\n")).expect("write");
    let mut options = harness::options(Vec::<String>::new(), &work.path().join("out"));
    options.plan = Some(work.path().join("plan.jsonl"));
    options.request.user = Some(fetchall::Credentials::new("ann", Some("s3cret".into())));
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let authorized = |server: &TestServer| -> Vec<bool> {
        server
            .requests()
            .iter()
            .map(|request| request.headers.contains_key("authorization"))
            .collect()
    };
    assert_eq!(authorized(&first), [true]);
    assert_eq!(authorized(&other), [false, false]);
}

#[test]
fn the_json_of_a_run_that_downloads_is_not_taken_for_an_empty_plan() {
    let (_served, server, _files) = serve();
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/");
    // A real run's JSON holds no `planned` line: read as a plan it would do
    // nothing and exit 0, as if the job were done.
    let run = fetchall(work.path(), &["-r", "--json", "-o", "first", &url]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    std::fs::write(work.path().join("run.jsonl"), &run.stdout).expect("write");
    server.clear_log();
    let output = fetchall(work.path(), &["-i", "run.jsonl", "-o", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("not of a dry run"),
        "{}",
        text(&output.stderr)
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // A dry run over a complete mirror plans nothing: that plan is done, exit 0.
    let dry = fetchall(work.path(), &["-r", "-n", "--json", "-o", "first", &url]);
    std::fs::write(work.path().join("done.jsonl"), &dry.stdout).expect("write");
    let output = fetchall(work.path(), &["-i", "done.jsonl", "-o", "out"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}
