//! `fetchall verify DIR`: checks an existing mirror against the checksum files in
//! it, as `sha256sum -c` would, but for every checksum file of the tree at once and
//! in any of the formats [`crate::sums`] reads. Nothing goes over the network.
//!
//! A file named by several checksum files is checked once, with the strongest
//! algorithm. Names that would leave the checksum file's folder (`../x`, `/etc/x`)
//! are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checksum::{Expected, VerifyError, verify_file};
use crate::error::error_chain;
use crate::sums;

/// What one file's check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Status {
    /// The digest matches.
    Ok,
    /// The digest differs (the message gives both).
    Failed(String),
    /// A checksum file lists it, but it is not in the mirror.
    Missing,
    /// It exists but could not be read.
    Unreadable(String),
}

/// One file of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// The file, relative to the verified folder (`/`-separated).
    pub path: String,
    /// The algorithm it was checked with.
    pub algorithm: crate::checksum::Algorithm,
    /// What was found (`"status"`, and `"detail"` for failures).
    #[serde(flatten)]
    pub status: Status,
}

/// Every file the checksum files under `root` name, in path order (not yet checked).
pub fn plan(root: &Path) -> std::io::Result<BTreeMap<PathBuf, Expected>> {
    let mut expected: BTreeMap<PathBuf, Expected> = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("`{}` is not a folder", root.display()),
        ));
    }
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if !sums::is_checksum_file(&name) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            for item in sums::parse(&name, &String::from_utf8_lossy(&bytes)) {
                let name = item.name.strip_prefix("./").unwrap_or(&item.name);
                let relative = Path::new(name);
                if !crate::paths::is_contained(relative) {
                    continue;
                }
                let file = dir.join(relative);
                let slot = expected.entry(file).or_insert(item.expected);
                if item.expected.algorithm > slot.algorithm {
                    *slot = item.expected;
                }
            }
        }
    }
    Ok(expected)
}

/// Checks every file the checksum files under `root` name, calling `each` with each
/// result as it is known (blocking; hashing is sequential).
pub fn verify_tree(root: &Path, mut each: impl FnMut(&Checked)) -> std::io::Result<Vec<Checked>> {
    let mut results = Vec::new();
    for (file, expected) in plan(root)? {
        let status = if !file.is_file() {
            Status::Missing
        } else {
            match verify_file(&file, &expected) {
                Ok(()) => Status::Ok,
                Err(VerifyError::Mismatch(mismatch)) => Status::Failed(mismatch.to_string()),
                Err(error) => Status::Unreadable(error_chain(&error)),
            }
        };
        let path = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let checked = Checked {
            path,
            algorithm: expected.algorithm,
            status,
        };
        each(&checked);
        results.push(checked);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_checked_against_every_checksum_file_in_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("good.txt"), b"hello").expect("write");
        std::fs::write(root.join("sub/bad.txt"), b"hellO").expect("write");
        let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(
            root.join("SHA256SUMS"),
            format!("{hello}  good.txt\n{hello}  gone.txt\n{hello}  ../escape.txt\n"),
        )
        .expect("write");
        std::fs::write(root.join("sub/bad.txt.sha256"), format!("{hello}\n")).expect("write");
        let results = verify_tree(root, |_| {}).expect("verify");
        let statuses: Vec<(&str, &Status)> = results
            .iter()
            .map(|checked| (checked.path.as_str(), &checked.status))
            .collect();
        assert_eq!(statuses.len(), 3, "{statuses:?}");
        assert_eq!(statuses[0], ("gone.txt", &Status::Missing));
        assert_eq!(statuses[1], ("good.txt", &Status::Ok));
        assert_eq!(statuses[2].0, "sub/bad.txt");
        assert!(matches!(statuses[2].1, Status::Failed(_)));
    }
}
