//! `fetchall verify DIR`: checks an existing mirror against the checksum files in
//! it, as `sha256sum -c` would, but for every checksum file of the tree at once and
//! in any of the formats [`crate::checksum::sums`] reads. Nothing goes over the network.
//!
//! A file named by several checksum files is checked once, with the strongest
//! algorithm; when two lines give it different digests of one algorithm, it is not
//! checked but failed, with both lines named (see [`sums::Listed`]). Names that would leave the checksum file's folder (`../x`, `/etc/x`)
//! are ignored.
//!
//! Nothing is read through a symlink inside the verified folder (the folder itself
//! may be one): a listed file that is a symlink, or lies under a symlinked folder, is
//! reported as unreadable (so the check fails) and is not hashed, and checksum files
//! that are symlinks are not read: each is reported as a checksum file that cannot
//! be read (so the check fails too), like one that is not a regular file or cannot
//! be opened. Symlinked folders are not descended into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checksum::VerifyError;
use crate::checksum::sums::{self, Listed, Origin};
use crate::disk::hash::verify_file;
use crate::http::redact::error_chain;

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

/// What the checksum files under `root` list, and the checksum files that cannot
/// be read (a symlink, dangling or not; not a regular file; permission denied), each
/// as a failed check of the checksum file itself: the files it lists go unchecked,
/// which must never pass for a clean verification.
fn survey(root: &Path) -> std::io::Result<(BTreeMap<PathBuf, Listed>, Vec<Checked>)> {
    let mut expected: BTreeMap<PathBuf, Listed> = BTreeMap::new();
    let mut unreadable = Vec::new();
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
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(algorithm) = sums::checksum_file_algorithm(&name) else {
                continue;
            };
            let read = if kind.is_symlink() {
                Err("it is a symlink; verify does not follow symlinks".to_string())
            } else if !kind.is_file() {
                // A FIFO would block the read forever; a socket cannot be read.
                Err("it is not a regular file".to_string())
            } else {
                crate::disk::checksum_file::read_listed(&path).map_err(|error| error.to_string())
            };
            let bytes = match read {
                Ok(bytes) => bytes,
                Err(why) => {
                    unreadable.push(Checked {
                        path: relative_text(root, &path),
                        algorithm,
                        status: Status::Unreadable(format!(
                            "checksum file cannot be read, the files it lists are not checked: {why}"
                        )),
                    });
                    continue;
                }
            };
            let source: std::sync::Arc<str> = relative_text(root, &path).into();
            for item in sums::parse(&name, &String::from_utf8_lossy(&bytes)) {
                let name = item.name.strip_prefix("./").unwrap_or(&item.name);
                let relative = Path::new(name);
                if !crate::plan::paths::is_contained(relative) {
                    continue;
                }
                let file = dir.join(relative);
                let origin = Origin {
                    file: std::sync::Arc::clone(&source),
                    line: item.line,
                };
                match expected.get_mut(&file) {
                    Some(listed) => listed.add(name, item.expected, origin),
                    None => {
                        expected.insert(file, Listed::new(item.expected, origin));
                    }
                }
            }
        }
    }
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((expected, unreadable))
}

/// `file` relative to `root`, `/`-separated.
fn relative_text(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Checks every file the checksum files under `root` name, calling `each` with each
/// result as it is known (blocking; hashing is sequential). A checksum file that
/// cannot be read comes first, as an [`Status::Unreadable`] check of its own path.
pub fn verify_tree(root: &Path, mut each: impl FnMut(&Checked)) -> std::io::Result<Vec<Checked>> {
    let (planned, unreadable) = survey(root)?;
    let mut results = Vec::new();
    for checked in unreadable {
        each(&checked);
        results.push(checked);
    }
    for (file, listed) in planned {
        let relative = file.strip_prefix(root).unwrap_or(&file);
        let expected = match listed.expected() {
            Ok(expected) => expected,
            Err(conflict) => {
                let checked = Checked {
                    path: relative_text(root, &file),
                    algorithm: conflict.algorithm,
                    status: Status::Failed(conflict.to_string()),
                };
                each(&checked);
                results.push(checked);
                continue;
            }
        };
        let status = if let Some(link) = crate::disk::safe_fs::first_symlink(root, relative) {
            Status::Unreadable(format!(
                "`{}` is a symlink; verify does not follow symlinks",
                link.display()
            ))
        } else if !file.is_file() {
            Status::Missing
        } else {
            match verify_file(&file, &expected) {
                Ok(()) => Status::Ok,
                Err(VerifyError::Mismatch(mismatch)) => Status::Failed(mismatch.to_string()),
                Err(error) => Status::Unreadable(error_chain(&error)),
            }
        };
        let checked = Checked {
            path: relative_text(root, &file),
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

    #[test]
    fn nothing_is_hashed_through_a_symlink() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join("secret"), b"hello").expect("write");
        let root = dir.path().join("mirror");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::os::unix::fs::symlink(outside.join("secret"), root.join("file")).expect("link");
        std::os::unix::fs::symlink(&outside, root.join("sub")).expect("link");
        let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(
            root.join("SHA256SUMS"),
            format!("{hello}  file\n{hello}  sub/secret\n"),
        )
        .expect("write");
        let results = verify_tree(&root, |_| {}).expect("verify");
        assert_eq!(results.len(), 2, "{results:?}");
        for checked in &results {
            let Status::Unreadable(why) = &checked.status else {
                panic!("hashed through a symlink: {checked:?}");
            };
            assert!(why.contains("symlink"), "{why}");
        }
    }

    #[test]
    fn a_checksum_file_that_cannot_be_read_is_a_failed_check() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("mirror");
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("good.txt"), b"hello").expect("write");
        let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(root.join("SHA256SUMS"), format!("{hello}  good.txt\n")).expect("write");
        // Dangling, and pointing at a good checksum file outside the mirror.
        std::os::unix::fs::symlink(dir.path().join("nowhere"), root.join("sub/MD5SUMS"))
            .expect("link");
        std::fs::write(dir.path().join("real.sha512"), "x").expect("write");
        std::os::unix::fs::symlink(dir.path().join("real.sha512"), root.join("a.iso.sha512"))
            .expect("link");
        let mut seen = Vec::new();
        let results = verify_tree(&root, |checked| seen.push(checked.clone())).expect("verify");
        assert_eq!(seen, results);
        let statuses: Vec<(&str, &Status)> = results
            .iter()
            .map(|checked| (checked.path.as_str(), &checked.status))
            .collect();
        assert_eq!(statuses.len(), 3, "{statuses:?}");
        assert_eq!(statuses[0].0, "a.iso.sha512");
        assert_eq!(statuses[1].0, "sub/MD5SUMS");
        for (_, status) in &statuses[..2] {
            assert!(
                matches!(status, Status::Unreadable(why) if why.contains("checksum file") && why.contains("symlink")),
                "{status:?}"
            );
        }
        assert_eq!(results[1].algorithm, crate::checksum::Algorithm::Md5);
        assert_eq!(statuses[2], ("good.txt", &Status::Ok));
    }
}
