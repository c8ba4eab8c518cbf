//! Recursive mirroring, filters and `--flat` against the in-process server: the
//! library run in this process (its events recorded), and the binary where what it
//! prints is the point (the dry-run tree, the plain summary, `-i`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use fetchall::{Filters, Options, SkipReason};

use crate::support;
use crate::support::cli::text;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, &[], args)
}

/// `-r` from `url` into `work/out`.
fn recursive(url: String, work: &Path) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    options.recursive = true;
    options
}

/// Panics with the run's events unless it ended clean.
fn assert_clean(run: &Run) {
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
}

/// A 3-level tree like a software archive.
fn archive() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("README.txt", b"top\n".to_vec()),
        ("release-1.0.zip", pseudo_random_bytes(1, 5000)),
        ("beta-2.0.zip", pseudo_random_bytes(2, 6000)),
        ("v1/notes.txt", b"notes\n".to_vec()),
        ("v1/app-1.zip", pseudo_random_bytes(3, 7000)),
        ("v1/linux/app-1.tar.gz", pseudo_random_bytes(4, 8000)),
        (
            "v1/linux/index.html",
            b"<a href='x'>a file, not a listing</a>".to_vec(),
        ),
        ("old/ancient.zip", pseudo_random_bytes(5, 100)),
        ("old/deeper/fossil.zip", pseudo_random_bytes(6, 100)),
        ("x.zip/inside.txt", b"folder named like a file\n".to_vec()),
    ]
}

fn expected(
    files: &[(impl AsRef<str>, Vec<u8>)],
    keep: impl Fn(&str) -> bool,
) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .filter(|(path, _)| keep(path.as_ref()))
        .map(|(path, contents)| (path.as_ref().to_string(), contents.clone()))
        .collect()
}

#[test]
fn recursive_mirrors_the_whole_tree() {
    for style in [
        ListingStyle::Apache,
        ListingStyle::Nginx,
        ListingStyle::Python,
    ] {
        let served = tempfile::tempdir().expect("temp dir");
        let files = archive();
        write_files(&served.path().join("pub"), &files);
        let server = TestServer::start(served.path(), style);
        let work = tempfile::tempdir().expect("temp dir");
        let run = harness::mirror(&recursive(server.url("/pub/"), work.path()));
        assert_eq!(run.ending(), Ending::Clean, "{style:?}: {}", run.log());
        let got = read_tree(&work.path().join("out"));
        assert_eq!(
            tree_difference(&expected(&files, |_| true), &got),
            "",
            "{style:?}"
        );
        // Never above the start folder.
        assert!(
            server
                .requests()
                .iter()
                .all(|request| request.target.starts_with("/pub/")),
            "{style:?} asked outside /pub/"
        );
    }
}

#[test]
fn sibling_listings_are_read_as_many_at_once_as_jobs_allow() {
    // Twelve folders under the start page, each listing held 500 ms by the server:
    // read together, twelve are in flight at once; a prefetch window narrower than
    // --jobs would cap that.
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|index| {
            (
                format!("d{index:02}/f.bin"),
                pseudo_random_bytes(index, 1000),
            )
        })
        .collect();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    server.delay_pages(std::time::Duration::from_millis(500));
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/pub/"), work.path());
    options.jobs = 16;
    options.jobs_per_host = 16;
    assert_clean(&harness::mirror(&options));
    assert_eq!(
        tree_difference(
            &expected(&files, |_| true),
            &read_tree(&work.path().join("out"))
        ),
        ""
    );
    assert_eq!(
        server.peak_pages_in_flight(),
        12,
        "listings in flight at once"
    );
}

#[test]
fn per_host_limits_listing_pages_too() {
    // Twelve sibling folders, each listing held for 0.3 s; `--per-host 3` allows
    // three requests to the host at once, listing pages included.
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|index| (format!("pub/d{index:02}/f.bin"), vec![index as u8; 100]))
        .collect();
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    server.delay_pages(std::time::Duration::from_millis(300));
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/pub/"), work.path());
    options.jobs = 16;
    options.jobs_per_host = 3;
    assert_clean(&harness::mirror(&options));
    assert_eq!(read_tree(&work.path().join("out")).len(), 12);
    assert_eq!(
        server.peak_pages_in_flight(),
        3,
        "listings in flight at once"
    );
}

#[test]
fn level_limits_the_depth_like_wget() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = archive();
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/"), work.path());
    options.max_level = Some(2);
    assert_clean(&harness::mirror(&options));
    let depth = |path: &str| path.matches('/').count();
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(&expected(&files, |path| depth(path) <= 1), &got),
        ""
    );
}

#[test]
fn accept_reject_and_exclude_do_what_the_readme_says() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = archive();
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/"), work.path());
    options.filters = Filters::default()
        .with_accept(&["*.zip".to_string()])
        .and_then(|filters| filters.with_reject(&["beta*".to_string()]))
        .and_then(|filters| filters.with_exclude(Some("^old/")))
        .expect("filters");
    assert_clean(&harness::mirror(&options));
    let got = read_tree(&work.path().join("out"));
    let wanted = |path: &str| {
        path.ends_with(".zip")
            && !path.rsplit('/').next().unwrap_or("").starts_with("beta")
            && !path.starts_with("old/")
    };
    assert_eq!(tree_difference(&expected(&files, wanted), &got), "");
    // An excluded folder is pruned: its listing is never requested.
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.target.starts_with("/old/")),
        "the excluded folder was crawled"
    );
}

#[test]
fn size_filters_use_the_answer_headers() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("small.bin", vec![1; 100]), ("big.bin", vec![2; 5000])],
    );
    let server = TestServer::start(served.path(), ListingStyle::Python);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = harness::options([server.url("/")], &work.path().join("out"));
    options.filters.min_size = Some(1024); // --min-size 1k
    let run = harness::mirror(&options);
    assert_clean(&run);
    let got = read_tree(&work.path().join("out"));
    assert_eq!(got.keys().collect::<Vec<_>>(), ["big.bin"]);
    let too_small = run.skipped_where(
        |reason| matches!(reason, SkipReason::Filtered(why) if why.contains("smaller than --min-size")),
    );
    assert_eq!(too_small, [server.url("/small.bin")], "{}", run.log());
}

#[test]
fn flat_puts_every_file_in_one_folder_and_renames_collisions_deterministically() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("a.txt", b"top".to_vec()),
            ("one/a.txt", b"one".to_vec()),
            ("two/a.txt", b"two".to_vec()),
            ("two/b.txt", b"b".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    for _ in 0..2 {
        let work = tempfile::tempdir().expect("temp dir");
        let mut options = recursive(server.url("/"), work.path());
        options.flat = true;
        let run = harness::mirror(&options);
        assert_clean(&run);
        let got = read_tree(&work.path().join("out"));
        let want: BTreeMap<String, Vec<u8>> = [
            ("a.txt", "top"),
            ("a (2).txt", "one"),
            ("a (3).txt", "two"),
            ("b.txt", "b"),
        ]
        .into_iter()
        .map(|(path, contents)| (path.to_string(), contents.as_bytes().to_vec()))
        .collect();
        assert_eq!(tree_difference(&want, &got), "");
        assert!(!run.renamed().is_empty(), "{}", run.log());
    }
}

#[test]
fn a_symlink_loop_on_the_server_terminates() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("d/file.txt", b"f".to_vec())]);
    std::os::unix::fs::symlink(".", served.path().join("d/loop")).expect("symlink");
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&recursive(server.url("/d/"), work.path()));
    assert_clean(&run);
    assert!(!run.skipped(SkipReason::Loop).is_empty(), "{}", run.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(got.keys().collect::<Vec<_>>(), ["file.txt"]);
}

#[test]
fn dry_run_prints_the_tree_with_sizes_and_a_total() {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("a.bin", vec![0; 1024]),
            ("l1/b.bin", vec![0; 2048]),
            ("l1/l2/c.bin", vec![0; 1024]),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-r", "-n", "-o", "out", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("└── out/  (3 files, 4.00 KiB)"), "{stdout}");
    assert!(stdout.contains("l1/  (2 files, 3.00 KiB)"), "{stdout}");
    assert!(stdout.contains("l2/  (1 file, 1.00 KiB)"), "{stdout}");
    assert!(stdout.contains("c.bin  1.00 KiB"), "{stdout}");
    assert!(stdout.contains("total: 3 files, 4.00 KiB"), "{stdout}");
    assert!(!work.path().join("out").exists());
}

/// A listing written the way npm's `serve` writes it: names in hrefs as they are,
/// `%` included, served by a server that refuses malformed escapes (400).
fn serve_style_listing(names: &[&str]) -> String {
    let mut html = String::from("<html><body><ul>\n");
    for name in names {
        html.push_str(&format!("<li><a href=\"{name}\">{name}</a></li>\n"));
    }
    html.push_str("</ul></body></html>\n");
    html
}

#[test]
fn hrefs_with_a_bare_percent_are_fetched_as_literal_percent_signs() {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("100%.txt", pseudo_random_bytes(11, 3000)),
        ("50% off.txt", pseudo_random_bytes(12, 2000)),
        ("%.txt", b"percent".to_vec()),
        ("%%.txt", b"two percents".to_vec()),
        ("a%2.txt", b"percent two".to_vec()),
        ("%zz.bin", pseudo_random_bytes(13, 100)),
        ("100% more.txt", b"already escaped in the href".to_vec()),
        ("café.txt", b"valid escapes untouched".to_vec()),
        ("get", b"query".to_vec()),
        ("100%/inner%.txt", b"inside a folder named 100%".to_vec()),
    ];
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    server.reject_bad_escapes();
    let hrefs = [
        "100%.txt",
        "50% off.txt",
        "%.txt",
        "%%.txt",
        "a%2.txt",
        "%zz.bin",
        "100%25 more.txt",
        "caf%C3%A9.txt",
        "get?v=100%",
        "100%/",
    ];
    server.can("/pub/", support::Canned::html(serve_style_listing(&hrefs)));
    server.can(
        "/pub/100%25/",
        support::Canned::html(serve_style_listing(&["inner%.txt"])),
    );
    let work = tempfile::tempdir().expect("temp dir");
    assert_clean(&harness::mirror(&recursive(
        server.url("/pub/"),
        work.path(),
    )));
    let mut want = expected(&files, |path| path != "get");
    want.insert("get?v=100%".to_string(), b"query".to_vec());
    assert_eq!(
        tree_difference(&want, &read_tree(&work.path().join("out"))),
        ""
    );
    let refused: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|request| !request.status.is_success())
        .map(|request| format!("{} {}", request.status, request.target))
        .collect();
    assert!(refused.is_empty(), "refused requests: {refused:?}");
}

#[test]
fn start_urls_and_url_lists_with_a_bare_percent_are_repaired() {
    let served = tempfile::tempdir().expect("temp dir");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("100%/a.txt", b"a".to_vec()),
        ("list/50%.bin", pseudo_random_bytes(14, 5000)),
    ];
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    server.reject_bad_escapes();
    let work = tempfile::tempdir().expect("temp dir");
    // A start page typed with a bare `%`.
    let output = fetchall(work.path(), &["-o", "page", &server.url("/100%/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        read_tree(&work.path().join("page")).get("a.txt"),
        Some(&b"a".to_vec())
    );
    // A file URL with a bare `%` on a line of `-i`.
    std::fs::write(
        work.path().join("urls.txt"),
        format!("{}\n", server.url("/list/50%.bin")),
    )
    .expect("write list");
    let output = fetchall(work.path(), &["-i", "urls.txt", "-o", "listed"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        read_tree(&work.path().join("listed")).get("50%.bin"),
        Some(&pseudo_random_bytes(14, 5000))
    );
}

/// Two levels of folders linked without their slash, an HTML file among them.
fn slashless_tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("top.bin", pseudo_random_bytes(21, 3000)),
        (
            "notes.html",
            b"<a href='x'>an HTML file, not a folder</a>".to_vec(),
        ),
        ("a/one.txt", b"one".to_vec()),
        ("a/b/two.bin", pseudo_random_bytes(22, 9000)),
        (
            "a/b/c.html",
            b"<a href='/pub/a/b/two.bin'>html</a>".to_vec(),
        ),
        ("a/b/deeper/three.txt", b"three".to_vec()),
        ("z/last.txt", b"last".to_vec()),
    ]
}

#[test]
fn folders_linked_without_a_slash_are_crawled_when_they_redirect() {
    // mini_httpd: `<A HREF="a">`, and `/pub/a` redirects to `/pub/a/`: with 307
    // (the file server), 301 (canned) and 302 (a fault script).
    let served = tempfile::tempdir().expect("temp dir");
    let files = slashless_tree();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::MiniHttpd);
    server.can(
        "/pub/a",
        support::Canned {
            status: axum::http::StatusCode::MOVED_PERMANENTLY,
            headers: vec![("location".into(), "/pub/a/".into())],
            body: Vec::new(),
        },
    );
    server.faults().always(
        "/pub/a/b",
        support::faults::Fault::Redirect("/pub/a/b/".into()),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&recursive(server.url("/pub/"), work.path()));
    assert_clean(&run);
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&expected(&files, |_| true), &got), "");
    assert_eq!(run.skipped(SkipReason::Directory), Vec::<String>::new());
    assert_eq!(run.summary().failed, 0);
    // Each folder's listing is read once.
    for folder in ["/pub/a/", "/pub/a/b/", "/pub/a/b/deeper/", "/pub/z/"] {
        assert_eq!(run.pages_listed(folder), 1, "{folder}");
    }
    // Again into the same folder: `a` is a folder on disk now, and still one to read.
    let again = harness::mirror(&recursive(server.url("/pub/"), work.path()));
    assert_clean(&again);
    assert_eq!(again.summary().downloaded, 0, "{}", again.log());
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&expected(&files, |_| true), &got), "");

    // Without -r the folders stay sub-directories, as the README says.
    let flat = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&harness::options(
        [server.url("/pub/")],
        &flat.path().join("out"),
    ));
    assert_clean(&run);
    assert_eq!(run.skipped(SkipReason::Directory).len(), 2);
    let got = read_tree(&flat.path().join("out"));
    assert_eq!(
        tree_difference(&expected(&files, |path| !path.contains('/')), &got),
        ""
    );
}

#[test]
fn folders_found_by_their_answer_follow_level_exclude_and_read_once_rules() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = slashless_tree();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::MiniHttpd);
    // `a` linked both ways, with and without its slash: read once.
    server.can(
        "/pub/",
        support::Canned::html(
            "<pre><A HREF=\"top.bin\">top.bin</A>\n<A HREF=\"notes.html\">notes.html</A>\n\
             <A HREF=\"a\">a</A>/\n<A HREF=\"z\">z</A>/\n<A HREF=\"a/\">a/</A>\n</pre>",
        ),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/pub/"), work.path());
    options.filters = Filters::default()
        .with_exclude(Some("^a/b/deeper"))
        .expect("filters");
    let run = harness::mirror(&options);
    assert_clean(&run);
    let got = read_tree(&work.path().join("out"));
    assert_eq!(
        tree_difference(
            &expected(&files, |path| !path.starts_with("a/b/deeper/")),
            &got
        ),
        ""
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.target.starts_with("/pub/a/b/deeper/")),
        "an excluded folder was read"
    );
    assert_eq!(run.pages_listed("/pub/a/"), 1);
    // `--level 2`: the start page's folders are read, theirs are not.
    let level = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/pub/"), level.path());
    options.max_level = Some(2);
    let run = harness::mirror(&options);
    assert_clean(&run);
    let depth = |path: &str| path.matches('/').count();
    assert_eq!(
        tree_difference(
            &expected(&files, |path| depth(path) <= 1),
            &read_tree(&level.path().join("out"))
        ),
        ""
    );
    assert_eq!(run.skipped(SkipReason::TooDeep).len(), 1);
}

#[test]
fn folders_answered_without_a_redirect_are_crawled_and_html_files_kept() {
    // `/pub/a` answers its listing at once (200), hrefs absolute, two levels deep.
    let served = tempfile::tempdir().expect("temp dir");
    let files = slashless_tree();
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::SlashlessDirect);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&recursive(server.url("/pub/"), work.path()));
    assert_clean(&run);
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&expected(&files, |_| true), &got), "");
    assert_eq!(run.skipped(SkipReason::Directory), Vec::<String>::new());
    let summary = run.summary();
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.downloaded, files.len() as u64, "{summary:?}");
    // A dry run finds them as the real run does (this listing states no sizes).
    let dry = tempfile::tempdir().expect("temp dir");
    let mut options = recursive(server.url("/pub/"), dry.path());
    options.dry_run = true;
    let run = harness::mirror(&options);
    assert_clean(&run);
    let planned: std::collections::BTreeSet<String> =
        run.planned().into_iter().map(|(_, path)| path).collect();
    let want: std::collections::BTreeSet<String> = files
        .iter()
        .map(|(path, _)| dry.path().join("out").join(path).display().to_string())
        .collect();
    assert_eq!(planned, want);
    assert_eq!(run.skipped(SkipReason::Directory), Vec::<String>::new());
}

#[test]
fn absolute_hrefs_and_identical_chrome_do_not_make_folders_look_like_loops() {
    // miniserve: entries by absolute path, the same theme links, sort queries and
    // assets on every page. Folders with the same names as their parent's, siblings
    // with identical contents, and folders-only nesting are all ordinary folders.
    let served = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("same.txt".into(), b"same".to_vec()),
        ("x/same.txt".into(), b"same".to_vec()),
        ("y/same.txt".into(), b"same".to_vec()),
        ("x/x/same.txt".into(), b"other size".to_vec()),
        ("nest/nest/nest/deep.txt".into(), b"deep".to_vec()),
    ];
    for index in 0..20 {
        files.push((
            format!("tree/d{index:02}/f{index:02}.bin"),
            pseudo_random_bytes(index, 500),
        ));
    }
    write_files(&served.path().join("pub"), &files);
    std::fs::create_dir_all(served.path().join("pub/empty/inner")).expect("empty folders");
    let server = TestServer::start(served.path(), ListingStyle::Miniserve);
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&recursive(server.url("/pub/"), work.path()));
    assert_clean(&run);
    assert_eq!(run.skipped(SkipReason::Loop), Vec::<String>::new());
    assert_eq!(run.summary().loops_skipped, 0);
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&expected(&files, |_| true), &got), "");
    assert_eq!(run.pages_listed("/pub/empty/inner/"), 1);
}

#[test]
fn a_symlink_loop_with_absolute_hrefs_is_found_reported_and_counted() {
    for style in [
        ListingStyle::Miniserve,
        ListingStyle::Apache,
        ListingStyle::MiniHttpd,
    ] {
        let served = tempfile::tempdir().expect("temp dir");
        write_files(
            served.path(),
            &[
                ("d/file.txt", b"f".to_vec()),
                ("d/sub/inner.txt", b"i".to_vec()),
            ],
        );
        std::os::unix::fs::symlink(".", served.path().join("d/loop")).expect("symlink");
        // A loop two levels up: d/sub/up -> .. lists what d/ lists.
        std::os::unix::fs::symlink("..", served.path().join("d/sub/up")).expect("symlink");
        let server = TestServer::start(served.path(), style);
        let work = tempfile::tempdir().expect("temp dir");
        let run = harness::mirror(&recursive(server.url("/d/"), work.path()));
        assert_eq!(run.ending(), Ending::Clean, "{style:?}: {}", run.log());
        let loops = run.skipped(SkipReason::Loop);
        assert_eq!(loops.len(), 2, "{style:?}: {loops:?}");
        assert_eq!(run.summary().loops_skipped, 2, "{style:?}");
        let got = read_tree(&work.path().join("out"));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            ["file.txt", "sub/inner.txt"],
            "{style:?}"
        );
        // The plain summary names them.
        let plain = tempfile::tempdir().expect("temp dir");
        let output = fetchall(plain.path(), &["-r", "-o", "out", &server.url("/d/")]);
        assert!(
            text(&output.stdout).contains("(2 folders as symlink loops)"),
            "{style:?}: {}",
            text(&output.stdout)
        );
    }
}

#[test]
fn an_html_file_too_big_for_a_listing_is_still_downloaded_under_recursive() {
    // Under -r a page answer to a link without a slash is read as a maybe-folder;
    // one larger than any listing (64 MiB) is the file it was linked as.
    let served = tempfile::tempdir().expect("temp dir");
    let mut big = b"<html><body>".to_vec();
    big.resize(65 * 1024 * 1024, b'x');
    let files = vec![("huge.html", big), ("small.html", b"<p>hi</p>".to_vec())];
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    assert_clean(&harness::mirror(&recursive(
        server.url("/pub/"),
        work.path(),
    )));
    let got = read_tree(&work.path().join("out"));
    assert_eq!(tree_difference(&expected(&files, |_| true), &got), "");
}

/// mini_httpd redirects a folder linked without its slash to `Location:` + the
/// name unescaped (`/pub/sp ace & #/`): parsed as a URL, `#` starts a fragment and
/// `?` a query, `%20` is an escape (`dir%20lit` is `dir lit`) and `\` a `/`, so
/// following it as written asks for a file or folder that does not exist. Read
/// literally, it says the folder: that is what is asked for, in flat mode (skipped
/// as a sub-directory) and under `-r` (crawled).
#[test]
fn unescaped_folder_redirects_lead_to_the_folder() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = vec![
        ("top.txt", b"top".to_vec()),
        ("sp ace & #/one.txt", b"one".to_vec()),
        ("q?mark/two.txt", b"two".to_vec()),
        ("pct%/three.txt", b"three".to_vec()),
        ("hash#/q?/four.txt", b"four".to_vec()),
        // As mini_httpd 1.30 answers them: `Location: /dir%20lit/` for the folder
        // named `dir%20lit`, `Location: /back\slashdir/` for `back\slashdir`.
        ("dir%20lit/five.txt", b"five".to_vec()),
        ("back\\slashdir/six.txt", b"six".to_vec()),
    ];
    write_files(&served.path().join("pub"), &files);
    let server = TestServer::start(served.path(), ListingStyle::MiniHttpd);
    for (target, location) in [
        ("/pub/sp%20ace%20&%20%23", "/pub/sp ace & #/"),
        ("/pub/q%3Fmark", "/pub/q?mark/"),
        ("/pub/pct%25", "/pub/pct%/"),
        ("/pub/hash%23", "/pub/hash#/"),
        ("/pub/hash%23/q%3F", "/pub/hash#/q?/"),
        ("/pub/dir%2520lit", "/pub/dir%20lit/"),
        ("/pub/back%5Cslashdir", "/pub/back\\slashdir/"),
    ] {
        server.can(
            target,
            support::Canned {
                status: axum::http::StatusCode::FOUND,
                headers: vec![("location".into(), location.into())],
                body: Vec::new(),
            },
        );
    }
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&recursive(server.url("/pub/"), work.path()));
    assert_clean(&run);
    let got = read_tree(&work.path().join("out"));
    // `\` is written `%5C` in a local name.
    let mut wanted = expected(&files, |_| true);
    let six = wanted.remove("back\\slashdir/six.txt").expect("six.txt");
    wanted.insert("back%5Cslashdir/six.txt".into(), six);
    assert_eq!(tree_difference(&wanted, &got), "");
    assert_eq!(run.summary().failed, 0);

    let flat = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&harness::options(
        [server.url("/pub/")],
        &flat.path().join("out"),
    ));
    assert_clean(&run);
    assert_eq!(run.skipped(SkipReason::Directory).len(), 6);
}
