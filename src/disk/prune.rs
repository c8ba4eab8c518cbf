//! `--delete`: reading and removing entries of the output folder without ever being
//! led elsewhere by a symlink. Which entries go is the engine's decision
//! (`engine::delete`); this file only does it safely.
//!
//! Every folder is opened from the one above it by a directory handle, with
//! `O_NOFOLLOW | O_DIRECTORY`, from the output folder down (the output folder itself
//! is the user's choice and may be a symlink). Entries are looked at with `lstat`
//! relative to that handle, and removed with `unlinkat` relative to it: a folder
//! swapped for a symlink after it was checked is refused by the next open, never
//! walked, and a symlink is removed as a link, never followed. Nothing outside the
//! output folder can be reached, since names are single path components.

use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, openat, statat, unlinkat};

/// What an entry of a folder is, looked at without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file, its size and modification time.
    File {
        /// Its size in bytes.
        size: u64,
        /// Its modification time.
        modified: Option<SystemTime>,
    },
    /// A symlink (to anything): removed as a link, never followed.
    Symlink,
    /// A folder.
    Folder,
    /// A device, a pipe, a socket: never touched.
    Other,
}

/// One entry of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its name (entries whose names are not UTF-8 are left out: no listing can
    /// name them, and nothing is deleted that cannot be compared).
    pub(crate) name: String,
    pub(crate) kind: EntryKind,
}

/// A folder inside the output folder, opened without following a symlink.
pub(crate) struct Folder {
    fd: OwnedFd,
    /// Its path, for messages.
    path: PathBuf,
}

/// `O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC`, read-only.
fn folder_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

impl Folder {
    /// Opens `root/names…`: the output folder `root` as the user gave it, then each
    /// name below it without following a symlink.
    pub(crate) fn open(root: &Path, names: &[String]) -> io::Result<Folder> {
        let fd = openat(
            rustix::fs::CWD,
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut folder = Folder {
            fd,
            path: root.to_path_buf(),
        };
        for name in names {
            folder = folder.child(name)?;
        }
        Ok(folder)
    }

    /// The folder `name` in this one; an error if it is a symlink or no folder.
    pub(crate) fn child(&self, name: &str) -> io::Result<Folder> {
        single_name(name)?;
        let fd = openat(&self.fd, name, folder_flags(), Mode::empty())?;
        Ok(Folder {
            fd,
            path: self.path.join(name),
        })
    }

    /// Its path, for messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Its entries (without `.` and `..`), each looked at with `lstat`.
    pub(crate) fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for entry in Dir::read_from(&self.fd)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = match statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => kind_of(&stat),
                // Gone since it was listed.
                Err(rustix::io::Errno::NOENT) => continue,
                Err(error) => return Err(error.into()),
            };
            entries.push(Entry {
                name: name.to_string(),
                kind,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Removes the file or symlink `name` (a symlink as the link itself). Refuses a
    /// folder.
    pub(crate) fn remove_file(&self, name: &str) -> io::Result<()> {
        single_name(name)?;
        unlinkat(&self.fd, name, AtFlags::empty()).map_err(io::Error::from)
    }

    /// Removes the folder `name` if it is empty; false if it is not (it holds
    /// files that were kept).
    pub(crate) fn remove_empty_folder(&self, name: &str) -> io::Result<bool> {
        single_name(name)?;
        match unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::NOTEMPTY | rustix::io::Errno::EXIST) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

/// Where a folder of the output folder really is, found by following the symlinks
/// on its way (see [`resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Its real path: absolute, no symlink in it.
    pub(crate) real: PathBuf,
    /// The real path of each symlink followed on the way (the link itself).
    pub(crate) links: Vec<PathBuf>,
}

/// How many symlinks [`resolve`] follows before it gives up (Linux's limit).
const MAX_LINKS: usize = 40;

/// Where `root/names…` really is, symlinks followed as a write into it follows
/// them (see [`crate::disk::safe_fs`]), and which symlinks that passes: a realpath
/// that remembers its links. It only looks (`lstat`, `readlink`): nothing is
/// opened or removed through a link. `real_root` is the output folder's real path.
/// An error names the path it could not follow.
pub(crate) fn resolve(real_root: &Path, names: &[String]) -> io::Result<Resolved> {
    use std::collections::VecDeque;
    use std::ffi::OsString;
    use std::path::Component;

    let mut real = real_root.to_path_buf();
    let mut links = Vec::new();
    let mut pending: VecDeque<OsString> = names.iter().map(OsString::from).collect();
    while let Some(name) = pending.pop_front() {
        if name.is_empty() || name == "." {
            continue;
        }
        if name == ".." {
            real.pop();
            continue;
        }
        let path = real.join(&name);
        let explain = |error: io::Error| {
            io::Error::new(error.kind(), format!("`{}`: {error}", path.display()))
        };
        let metadata = std::fs::symlink_metadata(&path).map_err(explain)?;
        if metadata.is_dir() {
            real = path;
            continue;
        }
        if !metadata.file_type().is_symlink() {
            return Err(explain(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a folder",
            )));
        }
        if links.len() == MAX_LINKS {
            return Err(explain(io::Error::other("too many symlinks on the way")));
        }
        let target = std::fs::read_link(&path).map_err(explain)?;
        links.push(path);
        if target.is_absolute() {
            real = PathBuf::from("/");
        }
        for component in target.components().rev() {
            match component {
                Component::Normal(name) => pending.push_front(name.to_os_string()),
                Component::ParentDir => pending.push_front(OsString::from("..")),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
    }
    Ok(Resolved { real, links })
}

/// A name must be one path component: never `..`, never a path.
fn single_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{name}` is not a plain file name"),
        ));
    }
    Ok(())
}

fn kind_of(stat: &rustix::fs::Stat) -> EntryKind {
    match FileType::from_raw_mode(stat.st_mode as _) {
        FileType::RegularFile => EntryKind::File {
            size: u64::try_from(stat.st_size).unwrap_or_default(),
            modified: u64::try_from(stat.st_mtime)
                .ok()
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
        },
        FileType::Symlink => EntryKind::Symlink,
        FileType::Directory => EntryKind::Folder,
        _ => EntryKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_symlinked_folder_is_never_opened_and_a_link_is_removed_as_a_link() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("victim"), b"precious").expect("write");
        let root = tempfile::tempdir().expect("tempdir");
        symlink(outside.path(), root.path().join("sub")).expect("symlink");
        symlink(
            outside.path().join("victim"),
            root.path().join("victim-link"),
        )
        .expect("symlink");
        assert!(Folder::open(root.path(), &["sub".to_string()]).is_err());
        let folder = Folder::open(root.path(), &[]).expect("open");
        let kinds: Vec<_> = folder
            .entries()
            .expect("entries")
            .into_iter()
            .map(|entry| (entry.name, entry.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("sub".to_string(), EntryKind::Symlink),
                ("victim-link".to_string(), EntryKind::Symlink)
            ]
        );
        folder.remove_file("victim-link").expect("unlink");
        assert!(outside.path().join("victim").exists());
        assert!(folder.remove_file("../x").is_err());
    }

    #[test]
    fn resolving_follows_every_link_and_names_each() {
        let root = tempfile::tempdir().expect("tempdir");
        let real_root = std::fs::canonicalize(root.path()).expect("canonicalize");
        std::fs::create_dir_all(root.path().join("store/deep")).expect("mkdir");
        symlink("hop", root.path().join("sub")).expect("symlink");
        symlink(real_root.join("store"), root.path().join("hop")).expect("symlink");
        symlink("..", root.path().join("store/up")).expect("symlink");
        let names = |path: &str| path.split('/').map(str::to_string).collect::<Vec<_>>();

        let resolved = resolve(&real_root, &names("sub/deep")).expect("resolve");
        assert_eq!(resolved.real, real_root.join("store/deep"));
        assert_eq!(
            resolved.links,
            [real_root.join("sub"), real_root.join("hop")]
        );
        let resolved = resolve(&real_root, &names("store/up/sub")).expect("resolve");
        assert_eq!(resolved.real, real_root.join("store"));
        assert_eq!(resolved.links.len(), 3);
        let plain = resolve(&real_root, &names("store/deep")).expect("resolve");
        assert!(plain.links.is_empty() && plain.real == real_root.join("store/deep"));

        symlink("loop", root.path().join("loop")).expect("symlink");
        let error = resolve(&real_root, &names("loop")).expect_err("a loop");
        assert!(error.to_string().contains("loop"), "{error}");
        let error = resolve(&real_root, &names("missing/x")).expect_err("missing");
        assert!(error.to_string().contains("missing"), "{error}");
    }

    #[test]
    fn only_empty_folders_are_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("full")).expect("mkdir");
        std::fs::create_dir_all(root.path().join("empty")).expect("mkdir");
        std::fs::write(root.path().join("full/kept"), b"x").expect("write");
        let folder = Folder::open(root.path(), &[]).expect("open");
        assert!(!folder.remove_empty_folder("full").expect("rmdir"));
        assert!(folder.remove_empty_folder("empty").expect("rmdir"));
        assert!(root.path().join("full/kept").exists());
        assert!(!root.path().join("empty").exists());
    }
}
