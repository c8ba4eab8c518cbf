//! Issue 15, many tiny files: small files are made durable in batches (one
//! `syncfs` for many files, then their renames), with the same promises as one at
//! a time — every file lands byte for byte under its final name, no hidden file is
//! left, and a file whose final (or hidden) name cannot be taken fails alone,
//! named, while the rest of its batch lands. The order inside the batch thread (bytes durable before
//! the rename, the rename durable before "done") is checked by its unit tests
//! (`disk::batch`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::harness::{self, Ending};
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

/// `count` files of 1–4 KB spread over `folders` folders.
fn tiny_files(count: usize, folders: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|index| {
            let path = format!("d{:02}/f{index:04}.bin", index % folders);
            (
                path,
                pseudo_random_bytes(index as u64, 1000 + (index * 37) % 3000),
            )
        })
        .collect()
}

/// Every `.fetchall-part` file (and anything else hidden) under `root`.
fn hidden_files(root: &Path) -> Vec<String> {
    read_tree(root)
        .into_keys()
        .filter(|path| path.split('/').any(|name| name.starts_with('.')))
        .collect()
}

#[test]
fn a_mirror_of_many_tiny_files_lands_byte_for_byte() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tiny_files(600, 12);
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = harness::options([server.url("/")], &work.path().join("out"));
    options.recursive = true;
    options.jobs = 16;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    assert_eq!(run.downloaded().len(), files.len());
    let expected: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    let out = work.path().join("out");
    assert_eq!(tree_difference(&expected, &read_tree(&out)), "");
    assert_eq!(hidden_files(&out), Vec::<String>::new());
}

/// Mirrors 200 tiny files into a fresh `out` where `plant` first put something in
/// the way of the file `blocked`; checks that this file alone failed, named, with
/// nothing under its final name, and every other file landed byte for byte.
/// Returns `out` and the failure's reason.
fn mirror_past(blocked: &str, plant: impl FnOnce(&Path)) -> (tempfile::TempDir, String) {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tiny_files(200, 4);
    write_files(served.path(), &files);
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    plant(&out);
    let mut options = harness::options([server.url("/")], &out);
    options.recursive = true;
    options.jobs = 16;
    let run = harness::mirror(&options);
    assert_eq!(run.ending(), Ending::SomeFailed, "{}", run.log());
    let failures = run.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].0.ends_with(blocked), "{failures:?}");
    let name = blocked.rsplit('/').next().unwrap_or(blocked);
    assert!(failures[0].1.contains(name), "{failures:?}");
    let got = read_tree(&out);
    for (path, body) in &files {
        if path != blocked {
            assert_eq!(got.get(path), Some(body), "{path}");
        }
    }
    (work, failures[0].1.clone())
}

#[test]
fn a_tiny_file_whose_name_is_taken_by_a_folder_fails_alone_and_is_named() {
    // A folder (not empty) planted where one file must go.
    let blocked = "d01/f0005.bin";
    let (work, _) = mirror_past(blocked, |out| {
        std::fs::create_dir_all(out.join(blocked).join("keep")).expect("mkdir");
    });
    let out = work.path().join("out");
    assert!(
        out.join(blocked).join("keep").is_dir(),
        "the folder is left as it was"
    );
    assert_eq!(hidden_files(&out), Vec::<String>::new());
}

/// The writer thread's failure path: a tiny file whose hidden name (the one it is
/// written under before its rename) is taken by a folder cannot be written. It
/// fails alone, named, while the writer goes on with the files after it; the
/// folder, which is not ours, is left as it was.
#[test]
fn a_tiny_file_whose_hidden_name_is_taken_by_a_folder_fails_alone_and_the_rest_land() {
    let blocked = "d02/f0006.bin";
    let hidden = "d02/.f0006.bin.fetchall-part";
    let (work, reason) = mirror_past(blocked, |out| {
        std::fs::create_dir_all(out.join(hidden).join("keep")).expect("mkdir");
    });
    let out = work.path().join("out");
    // The writer's own reason, not only that it could not go on.
    assert!(reason.contains("Is a directory"), "{reason}");
    assert!(
        out.join(hidden).join("keep").is_dir(),
        "the folder is left as it was"
    );
    assert!(!out.join(blocked).exists(), "no file under the final name");
}
