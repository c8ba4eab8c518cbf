//! Issue 5, sharding: `--shard K/N` runs for K = 1..N download disjoint sets whose
//! union is exactly one full run, and each still crawls the whole tree.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use crate::support;
use crate::support::tree::{pseudo_random_bytes, read_tree, tree_difference, write_files};
use crate::support::{ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(dir, &[], args)
}

fn tree_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for index in 0..30_u64 {
        let folder = ["", "a/", "a/b/", "c d/"][(index % 4) as usize];
        files.push((
            format!("{folder}file {index}.bin"),
            pseudo_random_bytes(index, 1000 + index as usize),
        ));
    }
    files
}

#[test]
fn shards_are_disjoint_and_their_union_is_the_full_mirror() {
    let served = tempfile::tempdir().expect("temp dir");
    let files = tree_files();
    let borrowed: Vec<(&str, Vec<u8>)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    write_files(&served.path().join("pub"), &borrowed);
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    let url = server.url("/pub/");
    let work = tempfile::tempdir().expect("temp dir");

    let full = fetchall(work.path(), &["-q", "-r", "-o", "full", &url]);
    assert_eq!(
        full.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let full = read_tree(&work.path().join("full"));
    assert_eq!(full.len(), files.len());

    let mut union: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let shards = 3;
    for k in 1..=shards {
        // Each shard in its own folder, as on separate machines.
        server.clear_log();
        let shard = format!("{k}/{shards}");
        let output = fetchall(
            work.path(),
            &[
                "-q",
                "-r",
                "--shard",
                &shard,
                "-o",
                &format!("shard{k}"),
                &url,
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let part = read_tree(&work.path().join(format!("shard{k}")));
        assert!(
            !part.is_empty(),
            "shard {shard} got no file of {}",
            files.len()
        );
        for (path, contents) in part {
            assert!(
                union.insert(path.clone(), contents).is_none(),
                "{path} is in two shards"
            );
        }
        // The whole tree is crawled by every shard.
        let listings = server
            .requests()
            .iter()
            .filter(|request| request.target.ends_with('/'))
            .count();
        assert_eq!(listings, 4, "shard {shard} read every folder");
    }
    assert_eq!(tree_difference(&full, &union), "");
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let work = tempfile::tempdir().expect("temp dir");
    for bad in ["0/3", "4/3", "x"] {
        let output = fetchall(work.path(), &["--shard", bad, "http://127.0.0.1:9/"]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}
