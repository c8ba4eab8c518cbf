//! Issue 14, `--delete` and `--max-delete`: a second run removes what upstream no
//! longer lists — only inside folders whose listing was read completely, never what
//! the run's filters leave out, another shard's files, fetchall's own files, or
//! anything when a listing failed or the run was interrupted.

use std::collections::BTreeSet;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;

use fetchall::{CancellationToken, Event, Options, Reporter};

use crate::support;
use crate::support::faults::Fault;
use crate::support::harness::{self, Ending};
use crate::support::tree::{pseudo_random_bytes, read_tree, write_files};
use crate::support::{ListingStyle, TestServer};

/// Awkward names on purpose: spaces, `#`, `%`, `&`, `+`, UTF-8, a long name, an
/// empty file.
fn upstream_files() -> Vec<(String, Vec<u8>)> {
    let long = format!("{}.bin", "n".repeat(200));
    [
        ("keep.bin", 1000),
        ("gone.bin", 1200),
        ("gone #1 50% & co+é.txt", 300),
        ("empty-gone", 0),
        (long.as_str(), 10),
        ("sub/keep.bin", 500),
        ("sub/gone.bin", 700),
        ("sub/deep/gone.bin", 900),
        ("old/x.bin", 100),
        ("old/inner/y.bin", 100),
    ]
    .iter()
    .enumerate()
    .map(|(seed, (path, len))| (path.to_string(), pseudo_random_bytes(seed as u64, *len)))
    .collect()
}

/// What the server holds after upstream removed the `gone` files, `sub/deep/` and
/// `old/`.
fn still_upstream(path: &str) -> bool {
    !path.contains("gone") && !path.starts_with("old/")
}

struct Mirror {
    served: tempfile::TempDir,
    work: tempfile::TempDir,
    server: TestServer,
}

impl Mirror {
    /// Serves `files` under `/pub/` and mirrors them once (`-r`) into `out`.
    fn new(files: &[(String, Vec<u8>)]) -> Mirror {
        Mirror::with_style(files, ListingStyle::Apache)
    }

    /// The same, with the listings of another server.
    fn with_style(files: &[(String, Vec<u8>)], style: ListingStyle) -> Mirror {
        let mirror = Mirror::serving(files, style);
        let first = harness::mirror(&mirror.recursive_options());
        assert_eq!(first.ending(), Ending::Clean, "{}", first.log());
        mirror
    }

    /// Serves `files` under `/pub/`; nothing is mirrored yet.
    fn serving(files: &[(String, Vec<u8>)], style: ListingStyle) -> Mirror {
        let served = tempfile::tempdir().expect("temp dir");
        write_files(&served.path().join("pub"), files);
        let server = TestServer::start(served.path(), style);
        let work = tempfile::tempdir().expect("temp dir");
        Mirror {
            served,
            work,
            server,
        }
    }

    /// Mirrored once, then upstream removed the `gone` files, `sub/deep/` and `old/`.
    fn pruned() -> Mirror {
        let mirror = Mirror::new(&upstream_files());
        mirror.remove_upstream(still_upstream);
        mirror
    }

    /// `--delete -r` into `out`.
    fn recursive_options(&self) -> Options {
        Options {
            recursive: true,
            ..self.options()
        }
    }

    fn out(&self) -> std::path::PathBuf {
        self.work.path().join("out")
    }

    fn options(&self) -> Options {
        let mut options = harness::options([self.server.url("/pub/")], &self.out());
        options.delete = true;
        options
    }

    /// Upstream removes what `keep` says no to (and folders left empty).
    fn remove_upstream(&self, keep: impl Fn(&str) -> bool) {
        let root = self.served.path().join("pub");
        for path in read_tree(&root).keys() {
            if !keep(path) {
                std::fs::remove_file(root.join(path)).expect("remove upstream");
            }
        }
        for folder in ["sub/deep/", "old/inner/", "old/"] {
            let _ = std::fs::remove_dir(root.join(folder));
        }
    }

    /// The local files (relative paths), reserved ones included.
    fn local(&self) -> BTreeSet<String> {
        read_tree(&self.out()).into_keys().collect()
    }
}

/// The `deleted` events of a run: path relative to `out`, and whether a folder.
fn deleted(run: &harness::Run, out: &Path) -> BTreeSet<(String, bool)> {
    run.events
        .iter()
        .filter_map(|event| match event {
            Event::Deleted { path, folder, .. } => Some((
                Path::new(path)
                    .strip_prefix(out)
                    .expect("under the output folder")
                    .display()
                    .to_string(),
                *folder,
            )),
            _ => None,
        })
        .collect()
}

fn held(run: &harness::Run) -> Vec<(u64, String)> {
    run.events
        .iter()
        .filter_map(|event| match event {
            Event::DeleteHeld { files, reason } => Some((*files, reason.clone())),
            _ => None,
        })
        .collect()
}

fn file(path: &str) -> (String, bool) {
    (path.to_string(), false)
}

fn folder(path: &str) -> (String, bool) {
    (path.to_string(), true)
}

#[test]
fn files_removed_upstream_are_deleted_and_emptied_folders_with_them() {
    let files = upstream_files();
    let mirror = Mirror::new(&files);
    mirror.remove_upstream(still_upstream);
    // Local only: a file in a listed folder, a whole folder tree, and fetchall's
    // own files (a lock-like name, a stale partial file in a gone folder).
    let out = mirror.out();
    write_files(
        &out,
        &[
            ("sub/local only.txt", b"mine".to_vec()),
            ("extra/a/b/c.txt", b"x".to_vec()),
            (".stale.bin.fetchall-part", b"partial".to_vec()),
            ("old/inner/.y2.fetchall-part", b"partial".to_vec()),
        ],
    );

    let options = mirror.recursive_options();
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let expected: BTreeSet<(String, bool)> = [
        file("gone.bin"),
        file("gone #1 50% & co+é.txt"),
        file("empty-gone"),
        file("sub/gone.bin"),
        file("sub/deep/gone.bin"),
        folder("sub/deep"),
        file("sub/local only.txt"),
        file("old/x.bin"),
        file("old/inner/y.bin"),
        file("extra/a/b/c.txt"),
        folder("extra/a/b"),
        folder("extra/a"),
        folder("extra"),
    ]
    .into_iter()
    .collect();
    assert_eq!(deleted(&run, &out), expected, "{}", run.log());
    assert_eq!(run.summary().deleted, 9);
    // `old/` keeps the partial file fetchall owns, so it stays, and so does its
    // folder chain; everything upstream still lists is there.
    let mut left: BTreeSet<String> = files
        .iter()
        .map(|(path, _)| path.clone())
        .filter(|path| still_upstream(path))
        .collect();
    left.insert(".stale.bin.fetchall-part".into());
    left.insert("old/inner/.y2.fetchall-part".into());
    let local: BTreeSet<String> = mirror
        .local()
        .into_iter()
        .filter(|path| path != ".fetchall.lock")
        .collect();
    assert_eq!(local, left);
    assert!(!out.join("extra").exists() && !out.join("sub/deep").exists());

    // A third run has nothing left to delete.
    let again = harness::mirror(&options);
    assert_eq!(again.ending(), Ending::Clean, "{}", again.log());
    assert_eq!(again.summary().deleted, 0, "{}", again.log());
}

#[test]
fn every_listing_style_deletes_exactly_what_upstream_removed() {
    let files = upstream_files();
    let gone: BTreeSet<(String, bool)> = files
        .iter()
        .filter(|(path, _)| !still_upstream(path))
        .map(|(path, _)| file(path))
        .chain([folder("sub/deep"), folder("old/inner"), folder("old")])
        .collect();
    for style in [
        ListingStyle::Apache,
        ListingStyle::Nginx,
        ListingStyle::Python,
        ListingStyle::Miniserve,
        ListingStyle::MiniHttpd,
        ListingStyle::SlashlessDirect,
        ListingStyle::Copyparty,
    ] {
        let mirror = Mirror::with_style(&files, style);
        mirror.remove_upstream(still_upstream);
        let mut options = mirror.options();
        options.recursive = true;
        // A dry run first: it says the same, and removes nothing. (A folder
        // linked without its slash, mirrored already, is read again as a folder.)
        options.dry_run = true;
        let before = mirror.local();
        let run = harness::mirror(&options);
        assert_eq!(run.ending(), Ending::Clean, "{style:?}: {}", run.log());
        assert_eq!(
            deleted(&run, &mirror.out()),
            gone,
            "{style:?}: {}",
            run.log()
        );
        assert_eq!(mirror.local(), before, "{style:?}");
        options.dry_run = false;
        let run = harness::mirror(&options);
        assert_eq!(run.ending(), Ending::Clean, "{style:?}: {}", run.log());
        assert_eq!(
            deleted(&run, &mirror.out()),
            gone,
            "{style:?}: {}",
            run.log()
        );
        let left: BTreeSet<String> = files
            .iter()
            .map(|(path, _)| path.clone())
            .filter(|path| still_upstream(path))
            .collect();
        let local: BTreeSet<String> = mirror
            .local()
            .into_iter()
            .filter(|path| path != ".fetchall.lock")
            .collect();
        assert_eq!(local, left, "{style:?}");
    }
}

#[test]
fn without_delete_nothing_is_removed() {
    let mirror = Mirror::pruned();
    let before = mirror.local();
    let mut options = mirror.recursive_options();
    options.delete = false;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert!(deleted(&run, &mirror.out()).is_empty());
    assert_eq!(mirror.local(), before);
}

#[test]
fn a_failed_listing_deletes_nothing_anywhere() {
    let mirror = Mirror::pruned();
    let before = mirror.local();
    mirror
        .server
        .faults()
        .always("/pub/sub/", Fault::Status(404, vec![]));
    let options = mirror.recursive_options();
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    assert!(deleted(&run, &mirror.out()).is_empty(), "{}", run.log());
    assert_eq!(run.summary().deleted, 0);
    let held = held(&run);
    assert_eq!(held.len(), 1, "{}", run.log());
    assert!(held[0].1.contains("/pub/sub/"), "{held:?}");
    assert_eq!(mirror.local(), before);
}

/// A listing is read only from an answer that is the whole page: a 206 (part of
/// it, never asked for), a 204 or 205 (no page at all) or a 202 (not done yet)
/// would be an empty or cut folder, and `--delete` would take what it lacks.
#[test]
fn a_listing_answered_with_less_than_the_page_deletes_nothing() {
    let partial = || vec![("content-range", "bytes 0-9/5000".to_string())];
    for (status, headers) in [
        (206, partial()),
        (204, vec![]),
        (205, vec![]),
        (202, vec![]),
    ] {
        let mirror = Mirror::pruned();
        let before = mirror.local();
        mirror
            .server
            .faults()
            .always("/pub/sub/", Fault::Status(status, headers));
        let run = harness::mirror(&mirror.recursive_options());
        assert_eq!(run.ending(), Ending::SomeFailed, "{status}: {}", run.log());
        assert!(
            deleted(&run, &mirror.out()).is_empty(),
            "{status}: {}",
            run.log()
        );
        assert_eq!(mirror.local(), before, "{status}");
        let failure = run.page_failure_of(&mirror.server.url("/pub/sub/"));
        assert!(
            failure
                .as_deref()
                .is_some_and(|error| error.contains(&status.to_string())),
            "{status}: {failure:?}"
        );
    }
}

#[test]
fn level_and_non_recursive_runs_delete_only_in_folders_they_read() {
    let mirror = Mirror::pruned();
    let out = mirror.out();
    write_files(&out, &[("extra/x.txt", b"x".to_vec())]);

    // Without -r only the start folder is listed: its files go, its folders
    // (listed or not) are not entered.
    let run = harness::mirror(&mirror.options());
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let top: BTreeSet<(String, bool)> = [
        file("gone.bin"),
        file("gone #1 50% & co+é.txt"),
        file("empty-gone"),
    ]
    .into_iter()
    .collect();
    assert_eq!(deleted(&run, &out), top, "{}", run.log());

    // `--level 1`: the start page's files only; no sub-folder was read.
    let mut options = mirror.recursive_options();
    options.max_level = Some(1);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert!(deleted(&run, &out).is_empty(), "{}", run.log());
    assert!(out.join("extra/x.txt").exists() && out.join("sub/gone.bin").exists());

    // `--level 2`: `sub/` is read, `sub/deep/` (level 3) and `old/inner/` are not;
    // an unlisted folder at level 2 loses its files but not its sub-folders.
    options.max_level = Some(2);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let level2: BTreeSet<(String, bool)> = [
        file("sub/gone.bin"),
        file("old/x.bin"),
        file("extra/x.txt"),
        folder("extra"),
    ]
    .into_iter()
    .collect();
    assert_eq!(deleted(&run, &out), level2, "{}", run.log());
    assert!(out.join("sub/deep/gone.bin").exists());
    assert!(out.join("old/inner/y.bin").exists());
}

#[test]
fn filters_protect_the_files_they_leave_out() {
    let mirror = Mirror::pruned();
    let out = mirror.out();
    let mut options = mirror.recursive_options();
    options.filters = fetchall::Filters::default()
        .with_reject(&["*.txt".to_string()])
        .expect("glob")
        .with_exclude(Some("^old/"))
        .expect("regex");
    // Files under 1000 bytes are not this run's.
    options.filters.min_size = Some(1000);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    // Only `gone.bin` (1200 bytes) passes every filter; `sub/deep/gone.bin` and
    // `sub/gone.bin` are smaller than --min-size.
    let expected: BTreeSet<(String, bool)> = [file("gone.bin")].into_iter().collect();
    assert_eq!(deleted(&run, &out), expected, "{}", run.log());
    assert!(out.join("gone #1 50% & co+é.txt").exists());
    assert!(out.join("old/x.bin").exists() && out.join("empty-gone").exists());
}

#[test]
fn a_shard_deletes_only_its_own_files() {
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|index| (format!("f {index}.bin"), pseudo_random_bytes(index, 64)))
        .collect();
    let mirror = Mirror::new(&files);
    mirror.remove_upstream(|_| false);
    let share = |path: &str| fetchall::Shard::share_of(path, 2);
    let mine: BTreeSet<(String, bool)> = files
        .iter()
        .filter(|(path, _)| share(path) == 1)
        .map(|(path, _)| file(path))
        .collect();
    assert!(!mine.is_empty() && mine.len() < files.len());
    let mut options = mirror.options();
    options.filters.shard = fetchall::Shard::new(1, 2);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(deleted(&run, &mirror.out()), mine, "{}", run.log());
    for (path, _) in &files {
        assert_eq!(mirror.out().join(path).exists(), share(path) == 2, "{path}");
    }
}

#[test]
fn planted_symlinks_are_removed_as_links_never_followed() {
    let mirror = Mirror::new(&upstream_files());
    let outside = tempfile::tempdir().expect("temp dir");
    write_files(
        outside.path(),
        &[
            ("victim.bin", b"precious".to_vec()),
            ("dir/inner.bin", b"precious too".to_vec()),
        ],
    );
    let out = mirror.out();
    symlink(outside.path().join("victim.bin"), out.join("link.bin")).expect("symlink");
    symlink(outside.path().join("dir"), out.join("linked dir")).expect("symlink");
    // A listed folder replaced by a link outside: never entered.
    std::fs::remove_dir_all(out.join("old")).expect("remove");
    symlink(outside.path().join("dir"), out.join("old")).expect("symlink");
    // Another, by way of a second link no listing names: that link goes too.
    std::fs::remove_dir_all(out.join("sub")).expect("remove");
    symlink("sub hop", out.join("sub")).expect("symlink");
    symlink(outside.path().join("dir"), out.join("sub hop")).expect("symlink");

    let options = mirror.recursive_options();
    let run = harness::mirror(&options);
    let expected: BTreeSet<(String, bool)> =
        [file("link.bin"), file("linked dir"), file("sub hop")]
            .into_iter()
            .collect();
    assert_eq!(deleted(&run, &out), expected, "{}", run.log());
    assert!(std::fs::symlink_metadata(out.join("link.bin")).is_err());
    assert!(std::fs::symlink_metadata(out.join("linked dir")).is_err());
    assert_eq!(
        read_tree(outside.path()).into_keys().collect::<Vec<_>>(),
        ["dir/inner.bin", "victim.bin"]
    );
}

#[test]
fn more_than_max_delete_deletes_nothing_and_fails() {
    let mirror = Mirror::pruned();
    let before = mirror.local();
    let mut options = mirror.recursive_options();
    options.max_delete = Some(6);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    assert!(deleted(&run, &mirror.out()).is_empty());
    let held = held(&run);
    assert_eq!(held.len(), 1, "{}", run.log());
    assert_eq!(held[0].0, 7);
    assert!(held[0].1.contains("--max-delete 6"), "{held:?}");
    assert_eq!(mirror.local(), before);

    // At the limit, they go.
    options.max_delete = Some(7);
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.summary().deleted, 7);
}

#[test]
fn a_dry_run_reports_what_would_go_and_removes_nothing() {
    let mirror = Mirror::pruned();
    let before = mirror.local();
    let mut options = mirror.recursive_options();
    options.dry_run = true;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let dry: Vec<bool> = run
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Deleted { dry_run, .. } => Some(*dry_run),
            _ => None,
        })
        .collect();
    // 7 files and 3 folders (`sub/deep`, `old/inner`, `old`).
    assert_eq!(dry.len(), 10, "{}", run.log());
    assert!(dry.iter().all(|dry_run| *dry_run));
    assert_eq!(run.summary().deleted, 7);
    assert_eq!(mirror.local(), before);
}

/// Cancels the run as soon as the start page is listed, as Ctrl-C would.
struct CancelOnListing(CancellationToken);

impl Reporter for CancelOnListing {
    fn report(&self, event: &Event) {
        if matches!(event, Event::PageListed { .. }) {
            self.0.cancel();
        }
    }
}

#[test]
fn an_interrupted_run_deletes_nothing() {
    let mirror = Mirror::pruned();
    let before = mirror.local();
    let options = mirror.recursive_options();
    let cancel = CancellationToken::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let summary = runtime
        .block_on(fetchall::mirror(
            &options,
            Arc::new(CancelOnListing(cancel.clone())),
            cancel,
        ))
        .expect("run");
    assert!(summary.interrupted);
    assert_eq!(summary.deleted, 0);
    assert_eq!(mirror.local(), before);
}

#[test]
fn a_direct_file_link_deletes_nothing_beside_it() {
    let mirror = Mirror::new(&upstream_files());
    let out = mirror.out();
    let before = mirror.local();
    let options = harness::options([mirror.server.url("/pub/keep.bin")], &out);
    let options = Options {
        delete: true,
        ..options
    };
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert!(deleted(&run, &out).is_empty(), "{}", run.log());
    assert_eq!(mirror.local(), before);

    // Beside a listing into the same folder: the file given by its URL is named
    // by no listing, and stays; the listing's own stale file goes.
    let shared = mirror.work.path().join("shared");
    write_files(&shared, &[("stale.bin", b"old".to_vec())]);
    let urls = [
        mirror.server.url("/pub/old/"),
        mirror.server.url("/pub/keep.bin"),
    ];
    let options = Options {
        delete: true,
        ..harness::options(urls, &shared)
    };
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let expected: BTreeSet<(String, bool)> = [file("stale.bin")].into_iter().collect();
    assert_eq!(deleted(&run, &shared), expected, "{}", run.log());
    assert!(shared.join("keep.bin").exists() && shared.join("x.bin").exists());
}

fn fetchall(dir: &Path, args: &[&str]) -> std::process::Output {
    support::cli::run(dir, &[], args)
}

#[test]
fn cli_delete_refuses_what_has_no_listing_to_compare_with() {
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(work.path().join("list.txt"), "http://127.0.0.1:9/x\n").expect("list");
    std::fs::write(
        work.path().join("plan.jsonl"),
        "{\"event\":\"planned\",\"url\":\"http://127.0.0.1:9/x\",\"relative_path\":\"x\"}\n",
    )
    .expect("plan");
    for args in [
        &["--delete", "--flat", "http://127.0.0.1:9/"][..],
        &["--delete", "--content-disposition", "http://127.0.0.1:9/"],
        &["--delete", "-i", "list.txt"],
        &["--delete", "-i", "plan.jsonl", "-o", "out"],
    ] {
        let output = fetchall(work.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = support::cli::text(&output.stderr);
        assert!(stderr.contains("--delete cannot be used with"), "{stderr}");
    }
    let output = fetchall(work.path(), &["--max-delete", "3", "http://127.0.0.1:9/"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(support::cli::text(&output.stderr).contains("--delete"));
}

#[test]
fn cli_reports_deletions_and_the_max_delete_refusal() {
    let mirror = Mirror::pruned();
    let url = mirror.server.url("/pub/");
    let work = mirror.work.path();
    let args = ["-r", "--delete", "-o", "out"];

    let output = fetchall(work, &[&args[..], &["--dry-run", &url]].concat());
    let stdout = support::cli::text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("would delete "), "{stdout}");
    assert!(stdout.contains("7 would be deleted"), "{stdout}");

    let output = fetchall(work, &[&args[..], &["--max-delete", "2", &url]].concat());
    assert_eq!(output.status.code(), Some(1));
    let stderr = support::cli::text(&output.stderr);
    assert!(
        stderr.contains(
            "--delete deleted nothing: 7 files would be deleted, more than --max-delete 2"
        ),
        "{stderr}"
    );
    assert!(mirror.out().join("gone.bin").exists());

    let output = fetchall(work, &[&args[..], &[&url]].concat());
    let stdout = support::cli::text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("deleted "), "{stdout}");
    assert!(stdout.contains(", 7 deleted,"), "{stdout}");
    assert!(!mirror.out().join("gone.bin").exists());
}

#[test]
fn a_folder_on_disk_where_upstream_now_has_a_file_is_never_replaced() {
    let files = vec![("sub/x.bin".to_string(), pseudo_random_bytes(1, 100))];
    let mirror = Mirror::with_style(&files, ListingStyle::MiniHttpd);
    let root = mirror.served.path().join("pub");
    std::fs::remove_dir_all(root.join("sub")).expect("remove");
    std::fs::write(root.join("sub"), b"now a file").expect("write");
    let options = mirror.recursive_options();
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let failures = run.failures();
    assert_eq!(failures.len(), 1, "{}", run.log());
    assert!(deleted(&run, &mirror.out()).is_empty(), "{}", run.log());
    // Asked (it might have been a folder still), then refused where it is placed.
    assert!(failures[0].1.contains("Is a directory"), "{failures:?}");
    // Nothing of the answer is left beside it: no partial file, no sidecar.
    assert_eq!(
        mirror.local().into_iter().collect::<Vec<_>>(),
        ["sub/x.bin"]
    );
}

/// What the server lists for the in-tree symlink tests: a file at the top, and a
/// folder `sub/` with a file and a sub-folder.
fn linked_files() -> Vec<(String, Vec<u8>)> {
    ["top.bin", "sub/b.bin", "sub/deep/d.bin"]
        .iter()
        .enumerate()
        .map(|(seed, path)| (path.to_string(), pseudo_random_bytes(seed as u64 + 40, 700)))
        .collect()
}

/// A local folder `sub` that is a symlink inside the output folder.
struct Linked<'a> {
    /// Where `sub` leads, relative to the output folder.
    target: &'a str,
    /// How many more links on the way: `sub -> hop0 -> … -> target`.
    hops: usize,
    /// `--level` of the `--delete` runs.
    max_level: Option<usize>,
    /// Local-only files planted after the first run that `--delete` removes…
    gone: &'a [&'a str],
    /// …and that it leaves alone.
    stays: &'a [&'a str],
    /// Real folders that must still be there.
    folders: &'a [&'a str],
}

/// A first run writes `sub/*` through the link (as documented); local-only files
/// are then planted; a dry run, a `--delete` run and the one after it must delete
/// exactly `gone` and keep every listed file, byte for byte, where the link put it.
fn delete_through_an_in_tree_symlink(linked: Linked) {
    let files = linked_files();
    let mirror = Mirror::serving(&files, ListingStyle::Apache);
    let out = mirror.out();
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::create_dir_all(out.join(linked.target)).expect("mkdir");
    let mut link = "sub".to_string();
    for hop in 0..linked.hops {
        let next = format!("hop{hop}");
        symlink(&next, out.join(&link)).expect("symlink");
        link = next;
    }
    symlink(linked.target, out.join(&link)).expect("symlink");

    let mut options = mirror.recursive_options();
    options.delete = false;
    let first = harness::mirror(&options);
    assert_eq!(first.ending(), Ending::Clean, "{}", first.log());
    let planted: Vec<(&str, Vec<u8>)> = linked
        .gone
        .iter()
        .chain(linked.stays)
        .map(|path| (*path, b"old".to_vec()))
        .collect();
    write_files(&out, &planted);

    let expected: BTreeSet<(String, bool)> = linked.gone.iter().map(|path| file(path)).collect();
    for pass in ["dry run", "--delete", "--delete again"] {
        let mut options = mirror.recursive_options();
        options.max_level = linked.max_level;
        options.dry_run = pass == "dry run";
        let run = harness::mirror(&options);
        assert_eq!(run.ending(), Ending::Clean, "{pass}: {}", run.log());
        let gone = if pass == "--delete again" {
            BTreeSet::new()
        } else {
            expected.clone()
        };
        assert_eq!(deleted(&run, &out), gone, "{pass}: {}", run.log());
        for (path, bytes) in &files {
            let local = std::fs::read(out.join(path))
                .unwrap_or_else(|error| panic!("{pass}: {path}: {error}\n{}", run.log()));
            assert!(local == *bytes, "{pass}: {path} changed");
        }
        for path in linked.gone {
            assert_eq!(out.join(path).exists(), pass == "dry run", "{pass}: {path}");
        }
        for path in linked.stays.iter().chain(linked.folders) {
            assert!(out.join(path).exists(), "{pass}: {path} is gone");
        }
    }
}

#[test]
fn a_listed_folder_written_through_an_in_tree_symlink_keeps_its_files() {
    // `sub -> store`: `sub/*` lives in `store/`, which the top listing does not
    // name; what `sub/` does not list there still goes.
    delete_through_an_in_tree_symlink(Linked {
        target: "store",
        hops: 0,
        max_level: None,
        gone: &["stale.bin", "store/stale.bin", "store/deep/stale.bin"],
        stays: &[],
        folders: &["store", "store/deep"],
    });
}

#[test]
fn a_listed_folder_linked_to_the_output_folder_itself_keeps_its_files() {
    // `sub -> .`: `sub/*` lands in the output folder, beside `top.bin`.
    delete_through_an_in_tree_symlink(Linked {
        target: ".",
        hops: 0,
        max_level: None,
        gone: &["stale.bin", "deep/stale.bin"],
        stays: &[],
        folders: &["deep"],
    });
}

#[test]
fn the_symlinks_on_the_way_to_a_listed_folder_are_kept() {
    // `sub -> hop0 -> hop1 -> store`: the top listing names none of `hop0`,
    // `hop1`, `store`; removing any of them would cut `sub/` off.
    delete_through_an_in_tree_symlink(Linked {
        target: "store",
        hops: 2,
        max_level: None,
        gone: &["stale.bin", "store/stale.bin"],
        stays: &[],
        folders: &["hop0", "hop1", "store"],
    });
}

#[test]
fn a_folder_below_level_behind_an_in_tree_symlink_is_not_emptied() {
    // `sub -> .` with `--level 2`: `sub/` is read, `sub/deep/` (that is `deep/`)
    // is not, so nothing in it goes, though the top listing names no `deep/`.
    delete_through_an_in_tree_symlink(Linked {
        target: ".",
        hops: 0,
        max_level: Some(2),
        gone: &["stale.bin"],
        stays: &["deep/stale.bin"],
        folders: &["deep"],
    });
}

/// Serves `files` under `/pub/` as python's `http.server` (no link to the parent
/// folder), the start page replaced by one that links `links` (relative hrefs)
/// and nothing else.
fn serving_a_start_page(files: &[(String, Vec<u8>)], links: &[&str]) -> Mirror {
    let mirror = Mirror::serving(files, ListingStyle::Python);
    let page: String = links
        .iter()
        .map(|href| format!("<a href=\"{href}\">{href}</a>\n"))
        .collect();
    let page = format!("<html><body>\n{page}</body></html>\n");
    mirror.server.faults().always(
        "/pub/",
        Fault::Trickle {
            body: page.as_bytes().to_vec(),
            content_type: "text/html",
            chunk: page.len(),
            pause: std::time::Duration::ZERO,
        },
    );
    mirror
}

/// Two `--delete` runs: the first deletes exactly `gone` (planted before it), the
/// second nothing; every file of `files` is there after each, byte for byte.
fn two_delete_runs_keep(mirror: &Mirror, files: &[(String, Vec<u8>)], gone: &[&str]) {
    let out = mirror.out();
    let planted: Vec<(&str, Vec<u8>)> = gone.iter().map(|path| (*path, b"old".to_vec())).collect();
    write_files(&out, &planted);
    for pass in ["first", "second"] {
        let run = harness::mirror(&mirror.recursive_options());
        assert_eq!(run.ending(), Ending::Clean, "{pass}: {}", run.log());
        let expected: BTreeSet<(String, bool)> = if pass == "first" {
            gone.iter().map(|path| file(path)).collect()
        } else {
            BTreeSet::new()
        };
        assert_eq!(deleted(&run, &out), expected, "{pass}: {}", run.log());
        let downloads = if pass == "first" { files.len() } else { 0 };
        assert_eq!(run.downloaded().len(), downloads, "{pass}: {}", run.log());
        for (path, bytes) in files {
            let local = std::fs::read(out.join(path)).ok();
            assert!(local.as_ref() == Some(bytes), "{pass}: {path}");
        }
    }
}

#[test]
fn a_file_linked_into_a_folder_its_page_does_not_name_is_kept() {
    // The start page links `sub/x.bin` but not `sub/`: the file is downloaded
    // into `sub/`, a folder no listing names, and stays there; what else is in
    // `sub/` still goes.
    let files: Vec<(String, Vec<u8>)> = vec![
        ("top.bin".into(), pseudo_random_bytes(1, 100)),
        ("sub/x.bin".into(), pseudo_random_bytes(2, 100)),
    ];
    let mirror = serving_a_start_page(&files, &["top.bin", "sub/x.bin"]);
    two_delete_runs_keep(&mirror, &files, &["sub/stale.bin"]);
}

#[test]
fn a_folder_listed_below_a_folder_no_listing_names_keeps_its_files() {
    // The start page links `deep/inner/` but not `deep/`: `deep/inner/` is
    // listed, and what it lists stays, though the start page's walk finds
    // `deep/` unlisted.
    let files: Vec<(String, Vec<u8>)> = vec![
        ("top.bin".into(), pseudo_random_bytes(1, 100)),
        ("deep/inner/f.bin".into(), pseudo_random_bytes(3, 100)),
    ];
    let mirror = serving_a_start_page(&files, &["top.bin", "deep/inner/"]);
    two_delete_runs_keep(&mirror, &files, &["deep/stale.bin", "deep/inner/stale.bin"]);
}

/// `--manifest` written into the output folder is the run's own file, named by no
/// listing: `--delete` keeps it (and the folder it is in), and still deletes what
/// the listings no longer name. Before, the run deleted the manifest it had just
/// written and exited 0.
#[test]
fn cli_delete_keeps_the_runs_own_manifest_in_the_output_folder() {
    for manifest in ["out/manifest.jsonl", "out/logs/manifest.jsonl"] {
        let mirror = Mirror::pruned();
        let url = mirror.server.url("/pub/");
        let work = mirror.work.path();
        std::fs::create_dir_all(mirror.out().join("logs")).expect("mkdir");
        let args = ["-r", "--delete", "-o", "out", "--manifest", manifest, &url];
        let output = fetchall(work, &args);
        let stderr = support::cli::text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{manifest}: {stderr}");
        assert!(
            work.join(manifest).is_file(),
            "{manifest}: deleted; {stderr}"
        );
        assert!(!stderr.contains("manifest"), "{manifest}: {stderr}");
        assert!(
            !mirror.out().join("gone.bin").exists(),
            "{manifest}: gone.bin"
        );
    }
}
