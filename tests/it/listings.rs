//! Link and size extraction over listings captured from real servers
//! (`tests/fixtures/listings/`, see its README), checked against the tree those
//! servers were serving. That tree's top level is committed as
//! `tests/fixtures/listings/tree-manifest.json`, written by
//! `scripts/interop/make_tree.py --manifest`, so these tests need no python3;
//! [`the_tree_manifest_is_what_make_tree_makes`] checks the two agree.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use fetchall::listing::{Link, extract_json_links, extract_links};
use fetchall::plan::paths;
use fetchall::select::{Scope, Verdict};
use url::Url;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/listings");

/// The tree's top-level files and folders, with file sizes.
#[derive(Debug, PartialEq)]
struct Tree {
    /// Sorted by name.
    files: Vec<(String, u64)>,
    /// Each file's modification time, to the second.
    modified: std::collections::HashMap<String, u64>,
    folders: BTreeSet<String>,
}

#[derive(serde::Deserialize)]
struct Manifest {
    files: Vec<ManifestFile>,
    folders: BTreeSet<String>,
}

#[derive(serde::Deserialize)]
struct ManifestFile {
    name: String,
    size: u64,
    modified: u64,
}

/// The served tree, as `make_tree.py --manifest` recorded it.
fn served_tree() -> Tree {
    let path = Path::new(FIXTURES).join("tree-manifest.json");
    let text = std::fs::read_to_string(&path).expect("tree-manifest.json");
    let manifest: Manifest = serde_json::from_str(&text).expect("manifest is JSON");
    let mut files: Vec<(String, u64)> = manifest
        .files
        .iter()
        .map(|file| (file.name.clone(), file.size))
        .collect();
    files.sort();
    Tree {
        files,
        modified: manifest
            .files
            .into_iter()
            .map(|file| (file.name, file.modified))
            .collect(),
        folders: manifest.folders,
    }
}

/// The top level of the tree `make_tree.py` writes into `dir`, read from disk.
fn tree_on_disk(dir: &Path) -> Tree {
    let mut files = Vec::new();
    let mut folders = BTreeSet::new();
    let mut modified = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir).expect("read tree").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let metadata = entry.metadata().expect("metadata");
        if metadata.is_dir() {
            folders.insert(name);
        } else {
            let seconds = metadata
                .modified()
                .expect("mtime")
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            modified.insert(name.clone(), seconds);
            files.push((name, metadata.len()));
        }
    }
    files.sort();
    Tree {
        files,
        modified,
        folders,
    }
}

/// The committed manifest is the tree `make_tree.py` makes today. Checked where
/// python3 is installed (the interop machines); `cargo test` alone needs only Rust.
#[test]
fn the_tree_manifest_is_what_make_tree_makes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/interop/make_tree.py");
    let tree = dir.path().join("tree");
    let status = match Command::new("python3").arg(script).arg(&tree).status() {
        Ok(status) => status,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("python3 not found: tree-manifest.json not checked against make_tree.py");
            return;
        }
        Err(error) => panic!("python3 {script}: {error}"),
    };
    assert!(status.success(), "make_tree.py failed");
    assert_eq!(
        tree_on_disk(&tree),
        served_tree(),
        "tests/fixtures/listings/tree-manifest.json is stale: regenerate it with \
         scripts/interop/make_tree.py --manifest > tests/fixtures/listings/tree-manifest.json"
    );
}

fn links_of(fixture: &str, page: &Url) -> Vec<Link> {
    let bytes = std::fs::read(Path::new(FIXTURES).join(fixture)).expect("fixture");
    let text = fetchall::listing::decode_text(bytes, Some("utf-8"));
    if fixture.ends_with(".json") {
        extract_json_links(&text, page)
    } else {
        extract_links(&text, page)
    }
}

/// Every fixture lists the tree's files (minus what that server hides) and folders,
/// and every size it states covers the true size.
#[test]
fn real_listings_yield_the_served_files_and_their_sizes() {
    let tree = served_tree();
    // What each server does not list, as recorded in the fixtures' README.
    let cases: [(&str, &[&str]); 12] = [
        ("apache-fancy.html", &[".hidden", "backup.txt~"]),
        ("apache-plain.html", &[".hidden", "backup.txt~"]),
        ("apache-fancy-pre.html", &[".hidden", "backup.txt~"]),
        (
            "apache-fancy-namewidth-default.html",
            &[".hidden", "backup.txt~"],
        ),
        ("nginx.html", &[".hidden"]),
        ("nginx.json", &[".hidden"]),
        ("lighttpd.html", &[".hidden"]),
        ("caddy.html", &[]),
        ("caddy.json", &[]),
        ("python-http-server.html", &[]),
        ("rclone.html", &[]),
        ("nginx-fancyindex.html", &[".hidden"]),
    ];
    let page = Url::parse("http://127.0.0.1:8080/").expect("page URL");
    let scope = Scope::new(&page, false);
    for (fixture, hidden) in cases {
        let mut files = BTreeSet::new();
        let mut folders = BTreeSet::new();
        let mut sized = 0;
        let mut dated = 0;
        for link in links_of(fixture, &page) {
            let Ok(url) = &link.url else { continue };
            match scope.classify(&link.href, url, &page) {
                Verdict::File(url) => {
                    let path = paths::path_under(scope.start_dir(), &url)
                        .expect("under start")
                        .expect("safe path")
                        .to_string();
                    if let Some(size) = link.size {
                        let (_, truth) = tree
                            .files
                            .iter()
                            .find(|(name, _)| *name == path)
                            .unwrap_or_else(|| panic!("{fixture}: unknown file {path}"));
                        assert!(
                            size.low <= *truth && *truth <= size.high,
                            "{fixture}: {path} is {truth} bytes, listed as {size:?}"
                        );
                        sized += 1;
                    }
                    if let Some(listed) = link.modified {
                        let truth = std::time::UNIX_EPOCH
                            + std::time::Duration::from_secs(tree.modified[&path]);
                        assert!(listed.contains(truth), "{fixture}: {path} {listed:?}");
                        dated += 1;
                    }
                    files.insert(path);
                }
                Verdict::Directory(url) => {
                    let name = url.path().trim_matches('/').to_string();
                    folders.insert(
                        percent_encoding::percent_decode_str(&name)
                            .decode_utf8_lossy()
                            .into_owned(),
                    );
                }
                Verdict::Skip(_) => {}
            }
        }
        let expected: BTreeSet<String> = tree
            .files
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| !hidden.contains(&name.as_str()))
            .collect();
        assert_eq!(files, expected, "{fixture}: files");
        let expected_folders: BTreeSet<String> = tree
            .folders
            .iter()
            .filter(|name| !(fixture.starts_with("apache") && name.ends_with('#')))
            .cloned()
            .collect();
        assert_eq!(folders, expected_folders, "{fixture}: folders");
        // python and Apache without FancyIndexing print names only.
        let sizes_expected = !(fixture.starts_with("python") || fixture == "apache-plain.html");
        assert_eq!(
            sized > 0,
            sizes_expected,
            "{fixture}: sizes found for {sized} files"
        );
        // UTC times: exact from JSON listings, Caddy's <time datetime> and rclone's
        // `+0000 UTC`, the minute from nginx's GMT dates; local times without a zone
        // (Apache, lighttpd, IIS) are `local_modified`.
        let times_expected = fixture.ends_with(".json")
            || fixture == "caddy.html"
            || fixture == "nginx.html"
            || fixture == "rclone.html";
        assert_eq!(
            dated > 0,
            times_expected,
            "{fixture}: times found for {dated} files"
        );
    }
}

#[test]
fn iis_listing_links_are_absolute_and_sizes_come_first() {
    let tree = served_tree();
    let page = Url::parse("http://127.0.0.1:8080/").expect("page URL");
    let scope = Scope::new(&page, false);
    let mut checked = 0;
    for link in links_of("iis.html", &page) {
        let Ok(url) = &link.url else { continue };
        if let Verdict::File(url) = scope.classify(&link.href, url, &page) {
            let path = paths::path_under(scope.start_dir(), &url)
                .expect("under start")
                .expect("safe path")
                .to_string();
            let (_, truth) = tree
                .files
                .iter()
                .find(|(name, _)| *name == path)
                .unwrap_or_else(|| panic!("unknown file {path}"));
            assert_eq!(
                link.size.and_then(|size| size.exact_bytes()),
                Some(*truth),
                "{path}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} IIS files");
}

/// Every server that prints local time without a zone: each file's time is read,
/// to its precision, and (the captures ran with `TZ=UTC`) gives offset zero
/// against the file's true mtime. Servers that print a zone, or none, give none.
#[test]
fn zone_less_local_times_are_read_from_every_server_that_prints_them() {
    use fetchall::listing::local_time::Precision;
    use fetchall::listing::offset::sample_offset;
    let tree = served_tree();
    let cases: &[(&str, Option<Precision>)] = &[
        ("apache-fancy.html", Some(Precision::Minute)),
        ("apache-fancy-pre.html", Some(Precision::Minute)),
        (
            "apache-fancy-namewidth-default.html",
            Some(Precision::Minute),
        ),
        ("lighttpd.html", Some(Precision::Second)),
        ("iis.html", Some(Precision::Minute)),
        ("mini_httpd.html", Some(Precision::Minute)),
        ("webrick.html", Some(Precision::Minute)),
        // nginx prints GMT (read as exact minutes), others a zone or no time.
        ("nginx.html", None),
        ("apache-plain.html", None),
        ("caddy.html", None),
        ("miniserve.html", None),
        ("plack.html", None),
        ("rclone.html", None),
        ("python-http-server.html", None),
    ];
    let page = Url::parse("http://127.0.0.1:8080/").expect("page URL");
    for (fixture, precision) in cases {
        let mut dated = 0;
        for link in links_of(fixture, &page) {
            if link.href.ends_with('/') || link.href.contains('?') {
                continue;
            }
            let name = percent_encoding::percent_decode_str(link.href.trim_start_matches('/'))
                .decode_utf8_lossy()
                .into_owned();
            let Some(truth) = tree.modified.get(&name) else {
                continue;
            };
            let truth = std::time::UNIX_EPOCH + std::time::Duration::from_secs(*truth);
            match (precision, link.local_modified) {
                (Some(precision), Some(local)) => {
                    assert_eq!(local.precision, *precision, "{fixture}: {name}");
                    assert_eq!(sample_offset(local, truth), Some(0), "{fixture}: {name}");
                    dated += 1;
                }
                (None, None) => {}
                (expected, found) => {
                    panic!("{fixture}: {name}: expected {expected:?}, read {found:?}")
                }
            }
        }
        if precision.is_some() {
            assert!(dated >= 5, "{fixture}: only {dated} local times read");
        }
    }
}

/// Servers that print a zone with each time (Plack's HTTP date, rclone's `+0000
/// UTC`): read as exact UTC seconds. (miniserve prints `+00:00` too, but in a cell
/// after two sort links of its own row, so its times are not the file's.)
#[test]
fn zoned_listing_times_are_exact() {
    let tree = served_tree();
    let page = Url::parse("http://127.0.0.1:8080/").expect("page URL");
    for fixture in ["plack.html", "rclone.html"] {
        let mut dated = 0;
        for link in links_of(fixture, &page) {
            let name = percent_encoding::percent_decode_str(link.href.trim_start_matches('/'))
                .decode_utf8_lossy()
                .into_owned();
            let Some(truth) = tree.modified.get(&name) else {
                continue;
            };
            let truth = std::time::UNIX_EPOCH + std::time::Duration::from_secs(*truth);
            let listed = link.modified.unwrap_or_else(|| panic!("{fixture}: {name}"));
            assert_eq!(
                listed,
                fetchall::listing::ListedTime::exact(truth),
                "{fixture}: {name}"
            );
            dated += 1;
        }
        assert!(dated >= 20, "{fixture}: only {dated} times read");
    }
}
