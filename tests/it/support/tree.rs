//! Building a served tree on disk, and reading a downloaded one back for comparison.

use std::collections::BTreeMap;
use std::path::Path;

/// Deterministic, incompressible-looking bytes (xorshift), so a wrong offset or a
/// swapped file cannot compare equal by accident.
pub fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Writes each `(relative path, contents)` under `root`.
pub fn write_files(root: &Path, files: &[(impl AsRef<str>, Vec<u8>)]) {
    for (path, contents) in files {
        let path = root.join(path.as_ref());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create test folder");
        }
        std::fs::write(&path, contents).expect("write test file");
    }
}

/// Every regular file under `root`, by `/`-separated relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let file_type = entry.file_type().expect("file type");
            if file_type.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(relative, std::fs::read(&path).expect("read file"));
            }
        }
    }
    files
}

/// A readable account of how two trees differ (empty when equal).
pub fn tree_difference(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut report = String::new();
    for (path, contents) in expected {
        match actual.get(path) {
            None => report.push_str(&format!("missing: {path}\n")),
            Some(got) if got != contents => report.push_str(&format!(
                "wrong: {path} ({} bytes, expected {})\n",
                got.len(),
                contents.len()
            )),
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|path| !expected.contains_key(*path)) {
        report.push_str(&format!("extra: {path}\n"));
    }
    report
}

/// The sidecar an interrupted run leaves for `url`: the version of the served file
/// `served` (its date, no ETag) of `total` bytes, and for a split download the
/// `(start, end, done)` of each segment.
pub fn partial_sidecar(
    url: &str,
    served: &Path,
    total: u64,
    segments: Option<&[(u64, u64, u64)]>,
) -> Vec<u8> {
    let modified = std::fs::metadata(served)
        .and_then(|metadata| metadata.modified())
        .expect("mtime of the served file");
    let mut json = serde_json::json!({
        "url": url,
        "etag": null,
        "last_modified": httpdate::fmt_http_date(modified),
        "total": total,
    });
    if let Some(segments) = segments {
        json["segments"] = segments
            .iter()
            .map(
                |&(start, end, done)| serde_json::json!({"start": start, "end": end, "done": done}),
            )
            .collect();
    }
    json.to_string().into_bytes()
}

/// Writes what an interrupted run leaves for `out/name`: the partial bytes and
/// their sidecar (see [`partial_sidecar`]).
pub fn plant_partial(out: &Path, name: &str, bytes: Vec<u8>, sidecar: Vec<u8>) {
    write_files(
        out,
        &[
            (&format!(".{name}.fetchall-part"), bytes),
            (&format!(".{name}.fetchall-part.json"), sidecar),
        ],
    );
}

/// The SHA-256 of `bytes` in hexadecimal, computed apart from fetchall's own hashing,
/// for the checksum files a test serves.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// The MD5 of `bytes` in hexadecimal, as [`sha256_hex`].
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex(&md5::Md5::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Names no listing should lose: reserved and awkward characters, UTF-8, a
/// 200-byte name (two bytes a character in part), an empty file, a file large
/// enough to matter (`seed` picks its bytes), and folders three deep.
pub fn awkward_files(seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = [
        ("a b.txt", b"space\n".to_vec()),
        ("hash#name.txt", b"hash\n".to_vec()),
        ("100%.txt", b"percent\n".to_vec()),
        ("a&b+c=d.txt", b"amp plus\n".to_vec()),
        ("q?.txt", b"question\n".to_vec()),
        ("café ünï.txt", b"utf-8\n".to_vec()),
        ("empty.bin", Vec::new()),
        ("big.bin", pseudo_random_bytes(seed, 300_000)),
        ("sub dir & #/inner file.txt", b"inner\n".to_vec()),
        ("sub dir & #/déjà/vu.txt", b"deep\n".to_vec()),
        ("a/b/c/deepest.txt", b"deepest\n".to_vec()),
    ]
    .into_iter()
    .map(|(path, bytes)| (path.to_string(), bytes))
    .collect();
    files.push((
        format!("{}{}.txt", "é".repeat(50), "n".repeat(96)),
        b"long\n".to_vec(),
    ));
    files
}

/// The files of `files` whose path `keep` wants, as a tree to compare with.
pub fn subset(
    files: &[(String, Vec<u8>)],
    keep: impl Fn(&str) -> bool,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .filter(|(path, _)| keep(path))
        .map(|(path, bytes)| (path.clone(), bytes.clone()))
        .collect()
}
