//! Issue 11, items 5–7: hostile local states in the output folder (planted symlinks),
//! remote names shaped like fetchall's own files, and two runs on one folder. Each
//! is built in temp folders and run against the in-process server, through the
//! library in this process when only files and how the run ended matter, through the
//! binary for its messages, paths as typed, `verify` and the lock's exit code 3; the
//! assertions are on files (a victim's bytes above all), exit codes and messages,
//! never on timing.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use crate::support;
use crate::support::cli::text;
use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{Canned, ListingStyle, TestServer};

const QUICK: &[&str] = &["--retry-wait", "0.05", "--read-timeout", "2", "-o", "out"];

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, QUICK, args)
}

/// What [`QUICK`] asks for, for `url` into `work/out`, run in this process;
/// `min_split_size` as `--min-split-size`.
fn mirror(url: String, work: &Path, min_split_size: Option<u64>) -> Run {
    let mut options = harness::options([url], &work.join("out"));
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options.read_timeout = Duration::from_secs(2);
    if let Some(size) = min_split_size {
        options.split.min_segment_size = size;
    }
    harness::mirror(&options)
}

/// Panics with the run's events unless it ended clean.
fn assert_clean(run: &Run) {
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
}

/// The time every served file has: a sidecar can name it as its validator.
fn served_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A served folder with `files` (all with [`served_time`]), answered by the fault
/// server (ETag, Last-Modified, Range, If-Range).
fn serve(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, TestServer) {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), files);
    for (name, _) in files {
        let path = served.path().join(name);
        filetime::set_file_mtime(&path, filetime::FileTime::from_system_time(served_time()))
            .expect("set time");
    }
    let server = TestServer::start(served.path(), ListingStyle::Python);
    for (name, _) in files {
        server.faults().always(&format!("/{name}"), Fault::Serve);
    }
    (served, server)
}

fn expected(files: &[(&str, Vec<u8>)]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(path, contents)| (path.to_string(), contents.clone()))
        .collect()
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
}

/// A file outside the output folder that a planted symlink points to.
struct Victim {
    path: PathBuf,
    bytes: Option<Vec<u8>>,
}

impl Victim {
    /// An existing file with recognisable bytes.
    fn existing(work: &Path, name: &str, len: usize) -> Victim {
        let path = work.join(name);
        let bytes = pseudo_random_bytes(999, len);
        std::fs::write(&path, &bytes).expect("write victim");
        Victim {
            path,
            bytes: Some(bytes),
        }
    }

    /// A path that does not exist: a dangling link would create it.
    fn absent(work: &Path, name: &str) -> Victim {
        Victim {
            path: work.join(name),
            bytes: None,
        }
    }

    fn assert_untouched(&self) {
        match &self.bytes {
            Some(bytes) => assert!(
                std::fs::read(&self.path).is_ok_and(|now| now == *bytes),
                "the victim {} was changed",
                self.path.display()
            ),
            None => assert!(
                std::fs::symlink_metadata(&self.path).is_err(),
                "the victim {} was created",
                self.path.display()
            ),
        }
    }
}

/// The sidecar an interrupted run leaves for `url`: resumable from the served file.
fn sidecar(url: &str, total: u64, segments: Option<serde_json::Value>) -> String {
    let mut json = serde_json::json!({
        "url": url,
        "etag": null,
        "last_modified": httpdate::fmt_http_date(served_time()),
        "total": total,
    });
    if let Some(segments) = segments {
        json["segments"] = segments;
    }
    json.to_string()
}

/// Runs one planted-part case: `out/.f.bin.fetchall-part -> victim`, with a sidecar
/// if given, then checks the victim and the downloaded file.
fn planted_part_case(
    size: usize,
    victim_len: Option<usize>,
    sidecar_segments: Option<Option<serde_json::Value>>,
    fault: Option<Fault>,
    min_split_size: Option<u64>,
) {
    let body = pseudo_random_bytes(7, size);
    let files = [("f.bin", body.clone())];
    let (_served, server) = serve(&files);
    if let Some(fault) = fault {
        server.faults().script("/f.bin", [fault]);
    }
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let victim = match victim_len {
        Some(len) => Victim::existing(work.path(), "victim", len),
        None => Victim::absent(work.path(), "victim"),
    };
    symlink(&victim.path, out.join(".f.bin.fetchall-part")).expect("symlink");
    if let Some(segments) = sidecar_segments {
        let url = server.url("/f.bin");
        std::fs::write(
            out.join(".f.bin.fetchall-part.json"),
            sidecar(&url, size as u64, segments),
        )
        .expect("sidecar");
    }
    let run = mirror(server.url("/"), work.path(), min_split_size);
    victim.assert_untouched();
    assert_clean(&run);
    assert!(!is_symlink(&out.join("f.bin")), "f.bin is a symlink");
    assert_eq!(
        tree_difference(&expected(&files), &read_tree(&out)),
        "",
        "{}",
        run.log()
    );
}

#[test]
fn a_planted_part_symlink_with_a_sidecar_is_not_resumed_into() {
    // 206 case: the sidecar says the partial is resumable from the link's length.
    planted_part_case(200_000, Some(1000), Some(None), None, None);
    // The server answers the range with a 200: the old code truncated the target.
    planted_part_case(
        200_000,
        Some(1000),
        Some(None),
        Some(Fault::IgnoreRange),
        None,
    );
    // A dangling link: following it would create a file anywhere.
    planted_part_case(200_000, None, Some(None), None, None);
    planted_part_case(200_000, None, None, None, None);
    // A small file, whose temporary is the same hidden name.
    planted_part_case(1_000, None, None, None, None);
    planted_part_case(1_000, Some(500), None, None, None);
}

#[test]
fn a_planted_part_symlink_of_a_split_download_is_not_preallocated_or_written() {
    let size = 400_000_u64;
    let half = size / 2;
    let segments = serde_json::json!([
        {"start": 0, "end": half, "done": 0},
        {"start": half, "end": size, "done": 0},
    ]);
    let split = Some(100_000);
    planted_part_case(
        size as usize,
        Some(1000),
        Some(Some(segments.clone())),
        None,
        split,
    );
    planted_part_case(size as usize, None, Some(Some(segments)), None, split);
    // A fresh split download whose partial name is a planted link.
    planted_part_case(size as usize, Some(1000), None, None, split);
}

/// Plants `out/NAME -> victim` beside a real download of `f.bin` (`size` bytes) and
/// checks that the victim is untouched and the tree is exactly the served one.
fn planted_state_case(name: &str, size: usize, victim_exists: bool) {
    let files = [("f.bin", pseudo_random_bytes(8, size))];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let victim = if victim_exists {
        Victim::existing(work.path(), "victim", 700)
    } else {
        Victim::absent(work.path(), "victim")
    };
    symlink(&victim.path, out.join(name)).expect("symlink");
    // An interrupted download stalls mid-body first, so the sidecar is written and
    // read again by the retry.
    server
        .faults()
        .script("/f.bin", [Fault::ResetAfter(size / 2)]);
    let run = mirror(server.url("/"), work.path(), None);
    victim.assert_untouched();
    assert_clean(&run);
    assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
    assert!(!is_symlink(&out.join(name)), "{name} is still a symlink");
}

#[test]
fn planted_sidecar_and_temporary_symlinks_are_never_written_through() {
    for victim_exists in [true, false] {
        planted_state_case(".f.bin.fetchall-part.json", 200_000, victim_exists);
        planted_state_case(".f.bin.fetchall-part.json.tmp", 200_000, victim_exists);
        planted_state_case(".fetchall.lock", 1_000, victim_exists);
    }
}

#[test]
fn planted_hard_links_are_unlinked_not_written() {
    for (name, with_sidecar) in [
        (".f.bin.fetchall-part", true),
        (".f.bin.fetchall-part", false),
        (".f.bin.fetchall-part.json.tmp", false),
    ] {
        let size = 200_000;
        let files = [("f.bin", pseudo_random_bytes(12, size))];
        let (_served, server) = serve(&files);
        let work = tempfile::tempdir().expect("temp dir");
        let out = work.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        let victim = Victim::existing(work.path(), "victim", 1000);
        std::fs::hard_link(&victim.path, out.join(name)).expect("hard link");
        if with_sidecar {
            std::fs::write(
                out.join(".f.bin.fetchall-part.json"),
                sidecar(&server.url("/f.bin"), size as u64, None),
            )
            .expect("sidecar");
        }
        let run = mirror(server.url("/"), work.path(), None);
        victim.assert_untouched();
        assert_clean(&run);
        assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
    }
}

#[test]
fn a_symlink_at_a_final_name_is_replaced_not_written_through() {
    for size in [1_000, 200_000] {
        let files = [("f.bin", pseudo_random_bytes(9, size))];
        let (_served, server) = serve(&files);
        let work = tempfile::tempdir().expect("temp dir");
        let out = work.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        // Same size and time as the served file: an up-to-date check that read the
        // target would call it current and keep the link.
        let victim = Victim::existing(work.path(), "victim", size);
        filetime::set_file_mtime(
            &victim.path,
            filetime::FileTime::from_system_time(served_time()),
        )
        .expect("time");
        symlink(&victim.path, out.join("f.bin")).expect("symlink");
        let run = mirror(server.url("/"), work.path(), None);
        victim.assert_untouched();
        assert_clean(&run);
        assert!(!is_symlink(&out.join("f.bin")), "still a symlink");
        assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
    }
}

/// `--no-clobber` never touches what the user has at a file's name: a symlink
/// there (to a file, or dangling) is kept as the link it is, and counts as up to
/// date, in a dry run as in a real one; no request is made for it.
#[test]
fn no_clobber_keeps_a_symlink_at_a_final_name() {
    let files = [
        ("f.bin", pseudo_random_bytes(12, 1_000)),
        ("g.txt", b"g".to_vec()),
    ];
    let (_served, server) = serve(&files);
    for dangling in [false, true] {
        let work = tempfile::tempdir().expect("temp dir");
        let out = work.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        let victim = Victim::existing(work.path(), "victim", 10);
        let target = if dangling {
            work.path().join("gone")
        } else {
            victim.path.clone()
        };
        symlink(&target, out.join("f.bin")).expect("symlink");
        let url = server.url("/");
        for dry_run in [true, false] {
            let mut args = vec!["--no-clobber", "--json"];
            if dry_run {
                args.push("-n");
            }
            args.push(&url);
            let output = fetchall(work.path(), &args);
            let stdout = text(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{stdout}{}",
                text(&output.stderr)
            );
            let kept = stdout.lines().any(|line| {
                line.contains("\"up_to_date\"") && line.contains("\"path\":\"out/f.bin\"")
            });
            assert!(kept, "dangling {dangling}, dry run {dry_run}: {stdout}");
        }
        victim.assert_untouched();
        assert!(
            is_symlink(&out.join("f.bin")),
            "dangling {dangling}: no longer a link"
        );
        assert_eq!(std::fs::read_link(out.join("f.bin")).expect("link"), target);
        assert_eq!(std::fs::read(out.join("g.txt")).expect("g.txt"), b"g");
    }
    let asked: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|request| request.target == "/f.bin")
        .map(|request| format!("{} {}", request.method, request.target))
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
}

/// `-r` over `sub/x.bin` (and `sub/deeper/y.txt`) with `out/sub` planted as a
/// symlink to `target`.
fn symlinked_folder_run(target_inside: bool, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let files = [
        ("top.txt", b"top".to_vec()),
        ("sub/x.bin", pseudo_random_bytes(10, 200_000)),
        ("sub/deeper/y.txt", b"deep".to_vec()),
    ];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let target = if target_inside {
        out.join("real")
    } else {
        work.path().join("elsewhere")
    };
    std::fs::create_dir(&target).expect("mkdir");
    symlink(&target, out.join("sub")).expect("symlink");
    let mut args = vec!["-r"];
    args.extend_from_slice(extra);
    let url = server.url("/");
    args.push(&url);
    let output = fetchall(work.path(), &args);
    (work, output)
}

#[test]
fn a_symlinked_folder_leading_outside_is_not_written_through() {
    // Split too: the preallocated partial file is opened by another path.
    let (work, output) = symlinked_folder_run(false, &["--min-split-size", "50000"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(read_tree(&work.path().join("elsewhere")).is_empty());
    let (work, output) = symlinked_folder_run(false, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        read_tree(&work.path().join("elsewhere")).is_empty(),
        "written outside the output folder"
    );
    let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        said.contains("symlink leading outside the output folder") && said.contains("out/sub"),
        "{said}"
    );
    // Both files under the link failed, and were counted.
    assert!(said.contains("2 failed"), "{said}");
    assert_eq!(
        std::fs::read(work.path().join("out/top.txt"))
            .ok()
            .as_deref(),
        Some(&b"top"[..])
    );
}

#[test]
fn files_under_a_symlinked_folder_leading_outside_are_not_read_or_removed() {
    let files = [("sub/x.bin", pseudo_random_bytes(13, 200_000))];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    // Files with fetchall's names in the folder the link leads to: an unusable
    // partial (no sidecar) would be removed, a usable one resumed into.
    let planted = [
        (".x.bin.fetchall-part", pseudo_random_bytes(14, 1000)),
        (".x.bin.fetchall-part.json.tmp", b"keep".to_vec()),
    ];
    write_files(&elsewhere, &planted);
    symlink(&elsewhere, out.join("sub")).expect("symlink");
    let output = fetchall(work.path(), &["-r", &server.url("/")]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        tree_difference(&expected(&planted), &read_tree(&elsewhere)),
        ""
    );
}

#[test]
fn follow_symlinks_writes_through_a_symlinked_folder() {
    let (work, output) = symlinked_folder_run(false, &["--follow-symlinks"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let elsewhere = read_tree(&work.path().join("elsewhere"));
    assert_eq!(
        elsewhere.keys().collect::<Vec<_>>(),
        ["deeper/y.txt", "x.bin"]
    );
}

#[test]
fn a_symlinked_folder_leading_inside_the_output_folder_is_followed() {
    let (work, output) = symlinked_folder_run(true, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let real = read_tree(&work.path().join("out/real"));
    assert_eq!(real.keys().collect::<Vec<_>>(), ["deeper/y.txt", "x.bin"]);
}

#[test]
fn the_output_folder_may_itself_be_a_symlink() {
    let files = [
        ("a.txt", b"a".to_vec()),
        ("sub/b.bin", pseudo_random_bytes(11, 200_000)),
    ];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let real = work.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    // A link to the output folder, through a linked ancestor too.
    symlink(&real, work.path().join("out")).expect("symlink");
    symlink(work.path(), work.path().join("again")).expect("symlink");
    let output = support::cli::run(work.path(), &["-o", "again/out", "-r"], &[&server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(tree_difference(&expected(&files), &read_tree(&real)), "");
}

#[test]
fn verify_does_not_hash_through_a_symlink_leading_outside() {
    let work = tempfile::tempdir().expect("temp dir");
    let outside = work.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("secret"), b"hello").expect("write");
    let mirror = work.path().join("mirror");
    std::fs::create_dir(&mirror).expect("mkdir");
    std::fs::write(mirror.join("real.txt"), b"hello").expect("write");
    symlink(outside.join("secret"), mirror.join("link.txt")).expect("symlink");
    let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    std::fs::write(
        mirror.join("SHA256SUMS"),
        format!("{hello}  real.txt\n{hello}  link.txt\n"),
    )
    .expect("write");
    let output = support::cli::run(work.path(), &[], &["verify", "mirror"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("real.txt: OK"), "{stdout}");
    assert!(
        stdout.contains("link.txt: FAILED to read") && stdout.contains("symlink"),
        "{stdout}"
    );
}

// ---- Item 6: names fetchall uses itself never come from a server ----

/// Names shaped like fetchall's own files, served beside `a.bin`.
fn reserved_lookalikes() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a.bin", pseudo_random_bytes(20, 300_000)),
        (".a.bin.fetchall-part", pseudo_random_bytes(21, 100_000)),
        (".a.bin.fetchall-part.json", b"{\"url\":\"x\"}".to_vec()),
        (
            ".a.bin.fetchall-part.json.tmp",
            pseudo_random_bytes(23, 500),
        ),
        (
            "..fetchall-0123456789abcdef.fetchall-part",
            pseudo_random_bytes(24, 70_000),
        ),
        (".fetchall.lock", b"not a lock".to_vec()),
        (".fetchall.shard-1-of-2.lock", b"nor this".to_vec()),
        (".A.BIN.FETCHALL-PART", pseudo_random_bytes(25, 900)),
        (".hidden", b"plain hidden file".to_vec()),
    ]
}

/// Where each lookalike is saved: its leading dot written `%2E`.
fn escaped(name: &str) -> String {
    if name.starts_with('.') && name.to_ascii_lowercase().contains("fetchall") {
        format!("%2E{}", &name[1..])
    } else {
        name.to_string()
    }
}

/// A listing page that links every name of `files` under `prefix`.
fn listing(prefix: &str, files: &[(&str, Vec<u8>)]) -> String {
    let mut html = String::from("<html><body>\n");
    for (name, _) in files {
        let href = name.replace('%', "%25");
        html.push_str(&format!("<a href=\"{prefix}{href}\">{name}</a>\n"));
    }
    html.push_str("</body></html>\n");
    html
}

#[test]
fn remote_names_shaped_like_fetchalls_own_files_are_saved_escaped() {
    for (recursive, folder) in [(false, ""), (true, "sub/")] {
        let lookalikes = reserved_lookalikes();
        let files: Vec<(String, Vec<u8>)> = lookalikes
            .iter()
            .map(|(name, bytes)| (format!("{folder}{name}"), bytes.clone()))
            .collect();
        let served_files: Vec<(&str, Vec<u8>)> = files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.clone()))
            .collect();
        let (_served, server) = serve(&served_files);
        // a.bin is interrupted once, so its partial file and sidecar exist while the
        // lookalikes arrive, and it is resumed.
        server
            .faults()
            .script(&format!("/{folder}a.bin"), [Fault::ResetAfter(100_000)]);
        // Split too, so a.bin has a preallocated partial file and a sidecar.
        let mut args = vec!["--min-split-size", "50000"];
        if recursive {
            server.can("/", Canned::html("<a href=\"sub/\">sub/</a>"));
            server.can("/sub/", Canned::html(listing("", &lookalikes)));
            args.push("-r");
        } else {
            server.can("/", Canned::html(listing("", &lookalikes)));
        }
        let work = tempfile::tempdir().expect("temp dir");
        let url = server.url("/");
        args.push(&url);
        let output = fetchall(work.path(), &args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let want: BTreeMap<String, Vec<u8>> = lookalikes
            .iter()
            .map(|(name, bytes)| (format!("{folder}{}", escaped(name)), bytes.clone()))
            .collect();
        let got = read_tree(&work.path().join("out"));
        assert_eq!(tree_difference(&want, &got), "", "{}", text(&output.stdout));
    }
}

#[test]
fn content_disposition_names_shaped_like_fetchalls_own_files_are_saved_escaped() {
    let big = pseudo_random_bytes(30, 300_000);
    let (_served, server) = serve(&[("a.bin", big.clone())]);
    let suggested = [
        ".a.bin.fetchall-part",
        ".a.bin.fetchall-part.json",
        ".a.bin.fetchall-part.json.tmp",
        ".fetchall.lock",
        "..fetchall-0123456789abcdef.fetchall-part.json",
    ];
    let mut html = String::from("<a href=\"a.bin\">a.bin</a>\n");
    let mut want = BTreeMap::from([("a.bin".to_string(), big)]);
    for (index, name) in suggested.iter().enumerate() {
        let body = pseudo_random_bytes(40 + index as u64, 3_000);
        server.can(
            &format!("/get{index}"),
            Canned {
                status: axum::http::StatusCode::OK,
                headers: vec![(
                    "content-disposition".into(),
                    format!("attachment; filename=\"{name}\""),
                )],
                body: body.clone(),
            },
        );
        html.push_str(&format!("<a href=\"get{index}\">x</a>\n"));
        want.insert(escaped(name), body);
    }
    server.can("/", Canned::html(html));
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(
        work.path(),
        &[
            "--content-disposition",
            "--min-split-size",
            "50000",
            &server.url("/"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&want, &got), "", "{}", text(&output.stdout));
}

// ---- Item 7: one run per output folder ----

/// A served tree whose file `slow.bin` trickles, so a run stays busy.
fn slow_server() -> (tempfile::TempDir, TestServer, Vec<(&'static str, Vec<u8>)>) {
    let files = vec![
        ("slow.bin", pseudo_random_bytes(50, 200_000)),
        ("quick.txt", b"quick".to_vec()),
    ];
    let (served, server) = serve(&files);
    server.faults().script(
        "/slow.bin",
        [Fault::Throttle {
            chunk: 1024,
            pause: Duration::from_millis(200),
        }],
    );
    (served, server, files)
}

fn spawn_fetchall(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .args(QUICK)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fetchall")
}

/// Waits (a bounded while) until the lock file of `out` names `pid`.
fn wait_for_holder(out: &Path, pid: u32) {
    let wanted = format!("pid {pid} ");
    for _ in 0..600 {
        let text = std::fs::read_to_string(out.join(".fetchall.lock")).unwrap_or_default();
        if text.contains(&wanted) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the first run never took the lock");
}

#[test]
fn a_second_run_stops_with_exit_3_naming_the_first_and_a_killed_run_leaves_no_lock() {
    let (_served, server, files) = slow_server();
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let url = server.url("/");
    let mut first = spawn_fetchall(work.path(), &[&url]);
    wait_for_holder(&out, first.id());
    let second = fetchall(work.path(), &[&url]);
    let stderr = text(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.id()))
            && stderr.contains("out")
            && stderr.contains("--wait-for-lock"),
        "{stderr}"
    );
    // The refused run wrote nothing: no file of the first run was disturbed.
    first.kill().expect("kill -9");
    first.wait().expect("reap");
    server.faults().clear("/slow.bin");
    server.faults().always("/slow.bin", Fault::Serve);
    let third = fetchall(work.path(), &[&url]);
    assert_eq!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
}

#[test]
fn a_lock_held_by_a_library_user_refuses_the_command() {
    let files = [("a.txt", b"a".to_vec())];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let lock = fetchall::disk::lock::lock_folder(&out, None, false).expect("lock");
    // The holder's manifest, which a refused run must not empty.
    let manifest = work.path().join("manifest.jsonl");
    std::fs::write(&manifest, "{\"path\":\"held\"}\n").expect("write");
    let refused = fetchall(
        work.path(),
        &["--manifest", "manifest.jsonl", &server.url("/")],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains(&format!("pid {}", std::process::id())),
        "{}",
        text(&refused.stderr)
    );
    assert!(!out.join("a.txt").exists());
    assert_eq!(
        std::fs::read_to_string(&manifest).ok().as_deref(),
        Some("{\"path\":\"held\"}\n")
    );
    // A dry run writes nothing, so it needs no lock.
    let dry = fetchall(work.path(), &["--dry-run", &server.url("/")]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    drop(lock);
    let after = fetchall(work.path(), &[&server.url("/")]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
    assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
}

#[test]
fn wait_for_lock_waits_for_the_holder_then_runs() {
    let files = [
        ("a.txt", b"a".to_vec()),
        ("b.bin", pseudo_random_bytes(60, 90_000)),
    ];
    let (_served, server) = serve(&files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let lock = fetchall::disk::lock::lock_folder(&out, None, false).expect("lock");
    let mut waiting = spawn_fetchall(work.path(), &["--wait-for-lock", &server.url("/")]);
    std::thread::sleep(Duration::from_millis(500));
    // Still waiting (a run that did not wait would have exited 3 by now or written).
    assert!(waiting.try_wait().expect("status").is_none());
    assert!(!out.join("a.txt").exists());
    drop(lock);
    let status = waiting.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert_eq!(tree_difference(&expected(&files), &read_tree(&out)), "");
}

#[test]
fn shard_runs_share_a_folder_but_not_a_shard() {
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|index| {
            (
                format!("f{index}.txt"),
                format!("file {index}").into_bytes(),
            )
        })
        .collect();
    let served_files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    let (_served, server) = serve(&served_files);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let one = "1/2".parse::<fetchall::Shard>().expect("shard");
    let held = fetchall::disk::lock::lock_folder(&out, Some(&one), false).expect("lock");
    let url = server.url("/");
    let other_shard = fetchall(work.path(), &["--shard", "2/2", &url]);
    assert_eq!(
        other_shard.status.code(),
        Some(0),
        "{}",
        text(&other_shard.stderr)
    );
    let same_shard = fetchall(work.path(), &["--shard", "1/2", &url]);
    assert_eq!(
        same_shard.status.code(),
        Some(3),
        "{}",
        text(&same_shard.stderr)
    );
    let whole = fetchall(work.path(), &[&url]);
    let stderr = text(&whole.stderr);
    assert_eq!(whole.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    drop(held);
    let rest = fetchall(work.path(), &["--shard", "1/2", &url]);
    assert_eq!(rest.status.code(), Some(0), "{}", text(&rest.stderr));
    assert_eq!(
        tree_difference(&expected(&served_files), &read_tree(&out)),
        ""
    );
}

/// A FIFO (or any file that is not a regular one) at a name fetchall keeps for
/// itself — a partial file, its sidecar, the sidecar's temporary — is no partial
/// file: it is replaced like a planted symlink, never opened and waited on. Before,
/// opening a FIFO sidecar blocked the one runtime thread: the run hung, deaf even
/// to SIGTERM.
#[test]
fn a_fifo_at_a_hidden_name_is_replaced_not_waited_on() {
    let files = [
        ("big.bin", pseudo_random_bytes(61, 300_000)),
        ("small.txt", b"small".to_vec()),
    ];
    let (_served, server) = serve(&files);
    let url = server.url("/");
    for name in [
        ".big.bin.fetchall-part",
        ".big.bin.fetchall-part.json",
        ".big.bin.fetchall-part.json.tmp",
        ".small.txt.fetchall-part",
        ".small.txt.fetchall-part.json",
    ] {
        let work = tempfile::tempdir().expect("temp dir");
        let out = work.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        let made = Command::new("mkfifo")
            .arg(out.join(name))
            .status()
            .expect("mkfifo");
        assert!(made.success(), "mkfifo {name}");
        let output = support::cli::run_within_a_minute(work.path(), QUICK, &[&url])
            .unwrap_or_else(|| panic!("{name}: still running after a minute"));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        let left = std::fs::symlink_metadata(out.join(name));
        assert!(
            left.as_ref().is_err() || left.as_ref().is_ok_and(|meta| meta.is_file()),
            "{name}: {left:?}"
        );
        let got = read_tree(&out);
        let want: BTreeMap<String, Vec<u8>> = files
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.clone()))
            .collect();
        assert_eq!(tree_difference(&want, &got), "", "{name}");
    }
}
