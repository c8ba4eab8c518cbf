//! Opening and creating things inside the output folder without being led elsewhere
//! by a symlink someone planted there.
//!
//! Whoever can write into a shared mirror folder could replace a partial file, a
//! sidecar or a sub-folder by a symlink to a file of theirs choosing; a fetchall run
//! by root would then write (or truncate) that file. So:
//!
//! - every file fetchall opens for itself (partial files, sidecars, their
//!   temporaries, files hashed to resume or verify) is opened with `O_NOFOLLOW`; a
//!   symlink found at such a name is removed (the link, never its target) and the
//!   file starts fresh; so is a file there with other hard links (another file
//!   linked in), before anything is written or cut;
//! - what is at a final name is looked at with `lstat`, never through a link, and the
//!   rename that puts a file in place replaces a symlink there, never its target;
//! - the folders between the output folder and a file are checked with `lstat` one
//!   by one and created one by one (never `create_dir_all`, which follows links). A
//!   folder that is a symlink is followed only if it leads inside the output folder,
//!   or if the user said `--follow-symlinks`.
//!
//! The output folder itself, and its ancestors, are the user's choice: they may be
//! symlinks. The folder checks and the opens are separate calls, so someone could
//! swap a checked folder for a symlink in between: before a partial file is cut or
//! written, [`Folders::open_part`] asks the system where the opened file is
//! (`/proc/self/fd`) and refuses one outside the output folder. What remains, in
//! that race: files with fetchall's own names (an empty partial file, a sidecar and
//! its temporary) may be created or replaced where the swapped link leads; no body
//! byte goes there. Opens relative to directory handles would close that too.
//!
//! A partial file is also locked (`flock`) by the process writing it, so two runs
//! without the folder lock (see [`crate::disk::lock`]) never write into the same file, and
//! a file is only renamed into place while its writer holds that lock and has checked
//! that the name still refers to the file it wrote.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustix::fs::{FlockOperation, OFlags, flock};

use crate::error::TransferError;
use crate::plan::paths::RelativePath;

/// `O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK`, as std's `custom_flags` wants them. No
/// wait either: opening a FIFO to read waits for a writer, and one planted where
/// fetchall reads would stall the run; on a regular file `O_NONBLOCK` does nothing.
fn no_follow() -> i32 {
    (OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK).bits() as i32
}

/// Opens `path` for reading, failing if it is a symlink or no regular file (a
/// FIFO, a socket, a device, a folder).
pub fn open_read(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(no_follow())
        .open(path)
        .map_err(|error| explain_symlink(path, error))?;
    if !file.metadata()?.is_file() {
        return Err(not_a_regular_file());
    }
    Ok(file)
}

/// What opening something that is no regular file where fetchall reads or writes
/// one fails with.
fn not_a_regular_file() -> io::Error {
    io::Error::other("it is not a regular file (a FIFO, socket, device or folder)")
}

/// Reads a whole file, failing if it is a symlink.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_read(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Creates (or truncates) `path` and writes `bytes`, never through a symlink: a
/// symlink found there is removed first.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = open_writable(path)?;
    file.set_len(0)?;
    file.write_all(bytes)
}

/// Opens (creating it if needed) a file fetchall owns for writing, never through a
/// symlink: a symlink at `path` is removed (not its target) and the file created
/// fresh. A file with other hard links is not ours either (someone linked another
/// file there): the name is unlinked, the other file untouched, and a new one made.
/// Nor is anything but a regular file (a FIFO would take writes until it is full,
/// then wait forever): removed, and a file made. Not truncated.
pub(crate) fn open_writable(path: &Path) -> io::Result<File> {
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(no_follow())
            .open(path)
    };
    for _ in 0..3 {
        let file = match open() {
            Ok(file) => file,
            Err(error) => {
                if remove_if_symlink(path)? {
                    continue;
                }
                return Err(explain_symlink(path, error));
            }
        };
        let metadata = file.metadata()?;
        if metadata.nlink() > 1 || !metadata.is_file() {
            std::fs::remove_file(path)?;
            continue;
        }
        return Ok(file);
    }
    Err(io::Error::other(
        "a symlink, another file's hard link or a non-file keeps being put there",
    ))
}

/// Removes `path` if it is a symlink (the link itself). True if it was one.
pub fn remove_if_symlink(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            std::fs::remove_file(path)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// How long a partial file's lock may be held by someone else before the file
/// counts as being written by another process. A lock can be held for a moment by
/// no writer at all: a process that forks (to run a program) copies every open
/// descriptor, this run's too, and holds them until its `exec` closes them — a
/// library user's program spawning a child, or a test harness. Another fetchall
/// holds the lock for the whole transfer, far longer.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(200);

/// Takes `file`'s exclusive lock, trying again for up to [`LOCK_PATIENCE`] while
/// someone holds it; then fails with "another process is writing this file".
fn lock_or_wait_briefly(file: &File) -> io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(()),
            Err(error) if error == rustix::io::Errno::WOULDBLOCK => {
                if started.elapsed() >= LOCK_PATIENCE {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "another process is writing this file (is another fetchall running \
                         on this folder?)",
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// A partial file, open and locked by this process.
#[derive(Debug)]
pub struct LockedPart {
    file: File,
    path: PathBuf,
    /// The file's device and inode, to tell whether `path` still names it.
    identity: (u64, u64),
    /// Its length when it was locked.
    locked_length: u64,
}

impl LockedPart {
    /// Opens the partial file at `path` (creating it), never through a symlink, and
    /// locks it. Its bytes are kept: a caller that starts afresh cuts them once it
    /// has checked where the file is ([`Folders::open_part`]), and only with the
    /// lock held, so the bytes of another writer are never cut.
    pub fn open(path: &Path) -> io::Result<LockedPart> {
        // A rename or removal by another process between the open and the lock is
        // seen by comparing the name with the file; then try again.
        for _ in 0..8 {
            let file = open_writable(path)?;
            lock_or_wait_briefly(&file)?;
            // One look at the file, once locked, serves every check below (and
            // `open_part`'s): a mirror of many small files opens one per file.
            let locked = file.metadata()?;
            let part = LockedPart {
                file,
                path: path.to_path_buf(),
                identity: (locked.dev(), locked.ino()),
                locked_length: locked.len(),
            };
            if !part.is_at_its_name()? {
                continue;
            }
            return Ok(part);
        }
        Err(io::Error::other(
            "the file keeps being replaced by another process",
        ))
    }

    /// True while `path` names this very file (not a file put there since).
    fn is_at_its_name(&self) -> io::Result<bool> {
        Ok(match std::fs::symlink_metadata(&self.path) {
            Ok(named) => (named.dev(), named.ino()) == self.identity,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(error) => return Err(error),
        })
    }

    /// The device the file is on.
    pub fn device(&self) -> u64 {
        self.identity.0
    }

    /// Its length when this process locked it.
    pub fn locked_length(&self) -> u64 {
        self.locked_length
    }

    /// Removes the file, if its name still refers to it (best effort).
    pub fn remove(&self) {
        if self.is_at_its_name().unwrap_or(false) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// The open file (locked as long as this value lives).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The file, to write through; the lock goes with it and ends when it is closed.
    pub fn into_file(self) -> File {
        self.file
    }

    /// Renames the file to `destination`, after checking that it holds `length` bytes
    /// and that its name still refers to it: a file under a final name is always
    /// the complete file this process wrote.
    pub fn rename_to(&self, destination: &Path, length: Option<u64>) -> io::Result<()> {
        let open = self.file.metadata()?;
        if let Some(length) = length
            && open.len() != length
        {
            return Err(io::Error::other(format!(
                "holds {} bytes, not {length}: changed by another process",
                open.len()
            )));
        }
        if !self.is_at_its_name()? {
            return Err(io::Error::other(
                "it was replaced or removed by another process",
            ));
        }
        std::fs::rename(&self.path, destination)
    }
}

/// True when another process holds the lock of the partial file at `path` (so it
/// must not be removed). A symlink or a missing file is not locked.
pub fn is_locked_by_another(path: &Path) -> bool {
    let Ok(file) = open_read(path) else {
        return false;
    };
    matches!(
        flock(&file, FlockOperation::NonBlockingLockShared),
        Err(error) if error == rustix::io::Errno::WOULDBLOCK
    )
}

/// The real path (symlinks resolved) of each output folder of a run, resolved
/// once: every file opened is checked against it (see [`Folders::open_part`]).
/// Held for the run, so an output folder (or a parent) swapped for a symlink after
/// the first file still fails the files opened through it.
#[derive(Debug, Clone, Default)]
pub struct RealRoots(Arc<Mutex<HashMap<PathBuf, Arc<PathBuf>>>>);

impl RealRoots {
    /// The real path of `root`, resolved on the first call.
    fn of(&self, root: &Path) -> io::Result<Arc<PathBuf>> {
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(real) = known.get(root) {
            return Ok(Arc::clone(real));
        }
        let real = Arc::new(std::fs::canonicalize(root)?);
        known.insert(root.to_path_buf(), Arc::clone(&real));
        Ok(real)
    }
}

/// The folders a file is written in: checked, and created where missing, one by one
/// from the output folder down, never through a symlink that leads outside it.
#[derive(Debug, Clone)]
pub struct Folders {
    /// The output folder (may itself be a symlink: the user chose it).
    pub root: PathBuf,
    /// The file's path under it.
    pub relative: RelativePath,
    /// `--follow-symlinks`: a symlinked folder may lead anywhere.
    pub follow_symlinks: bool,
    /// The run's output folders, resolved.
    pub real_roots: RealRoots,
}

impl Folders {
    /// Makes sure every folder between the output folder and the file exists and is
    /// a real folder, or a symlink the rules allow.
    pub fn prepare(&self) -> Result<(), TransferError> {
        let mut path = self.root.clone();
        let names = self.relative.names();
        for name in names.iter().take(names.len().saturating_sub(1)) {
            path.push(name);
            self.prepare_one(&path)?;
        }
        Ok(())
    }

    /// Checks the folders that exist, creating none: what is read or removed in them
    /// (a partial file left by an earlier run) is never reached through a symlink
    /// the rules refuse.
    pub fn check(&self) -> Result<(), TransferError> {
        let mut path = self.root.clone();
        let names = self.relative.names();
        for name in names.iter().take(names.len().saturating_sub(1)) {
            path.push(name);
            match std::fs::symlink_metadata(&path) {
                Ok(metadata) if metadata.file_type().is_symlink() => self.check_symlink(&path)?,
                Ok(_) => {}
                // Nothing below a missing folder exists.
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    fn prepare_one(&self, path: &Path) -> Result<(), TransferError> {
        let error = |source| TransferError::io("create folder", path, source);
        for _ in 0..3 {
            match std::fs::symlink_metadata(path) {
                Ok(metadata) if metadata.is_dir() => return Ok(()),
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    return self.check_symlink(path);
                }
                Ok(_) => {
                    return Err(error(io::Error::other(
                        "it exists and is not a folder".to_string(),
                    )));
                }
                Err(missing) if missing.kind() == io::ErrorKind::NotFound => {
                    match std::fs::create_dir(path) {
                        Ok(()) => return Ok(()),
                        // Created by another transfer meanwhile: look again.
                        Err(exists) if exists.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(source) => return Err(error(source)),
                    }
                }
                Err(source) => return Err(error(source)),
            }
        }
        Err(error(io::Error::other("it keeps changing")))
    }

    /// Checks and creates the folders, then opens the partial (or temporary) file at
    /// `path`, locked, and makes sure the file opened is inside the output folder
    /// before anything is cut or written: a folder swapped for a symlink after it was
    /// checked is caught here (where the system says where an open file is, as
    /// Linux's `/proc/self/fd` does). `fresh`: its old bytes are dropped.
    pub fn open_part(&self, path: &Path, fresh: bool) -> Result<LockedPart, TransferError> {
        self.prepare()?;
        let action = if fresh { "create" } else { "append to" };
        let part =
            LockedPart::open(path).map_err(|source| TransferError::io(action, path, source))?;
        self.check_opened(part.file(), path)?;
        // An empty file (the usual: just created) is not cut: a truncate stamps
        // the file's times, a journaled change per file for nothing.
        if fresh && part.locked_length() != 0 {
            part.file()
                .set_len(0)
                .map_err(|source| TransferError::io(action, path, source))?;
        }
        Ok(part)
    }

    /// Fails if `file`, opened at `path`, lies outside the output folder (unless
    /// `--follow-symlinks`). A system that cannot say passes.
    fn check_opened(&self, file: &File, path: &Path) -> Result<(), TransferError> {
        use std::os::fd::AsRawFd;
        if self.follow_symlinks {
            return Ok(());
        }
        let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) else {
            return Ok(());
        };
        let root = self
            .real_roots
            .of(&self.root)
            .map_err(|source| TransferError::io("read", &self.root, source))?;
        if opened.starts_with(root.as_path()) {
            return Ok(());
        }
        Err(TransferError::io(
            "write",
            path,
            io::Error::other(format!(
                "a folder on its way was swapped for a symlink leading outside the output \
                 folder (to `{}`)",
                opened.display()
            )),
        ))
    }

    /// A symlinked folder: allowed if it leads to a folder inside the output folder,
    /// or anywhere with `--follow-symlinks`.
    fn check_symlink(&self, path: &Path) -> Result<(), TransferError> {
        let target = std::fs::canonicalize(path)
            .map_err(|source| TransferError::io("follow the symlink", path, source))?;
        if !target.is_dir() {
            return Err(TransferError::io(
                "create folder",
                path,
                io::Error::other("it is a symlink that does not lead to a folder"),
            ));
        }
        if self.follow_symlinks {
            return Ok(());
        }
        let root = self
            .real_roots
            .of(&self.root)
            .map_err(|source| TransferError::io("read", &self.root, source))?;
        if target.starts_with(root.as_path()) {
            return Ok(());
        }
        Err(TransferError::io(
            "write into",
            path,
            io::Error::other(format!(
                "it is a symlink leading outside the output folder (to `{}`); \
                 --follow-symlinks writes through it",
                target.display()
            )),
        ))
    }
}

/// The first symlink on the way from `root` down to `root/relative` (the file itself
/// included), if any.
pub fn first_symlink(root: &Path, relative: &Path) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for component in relative.components() {
        path.push(component);
        if std::fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.file_type().is_symlink())
        {
            return Some(path);
        }
    }
    None
}

/// An open that failed on a symlink says so. `O_NOFOLLOW` fails on one with
/// `ELOOP`; any other failure (above all "not found", the usual answer when looking
/// for a partial file) is passed on without another lookup.
fn explain_symlink(path: &Path, error: io::Error) -> io::Error {
    if error.raw_os_error() != Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return error;
    }
    let is_symlink =
        std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink());
    if is_symlink {
        io::Error::other(format!(
            "`{}` is a symlink; fetchall does not follow it",
            path.display()
        ))
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_refused_symlink_is_named_and_a_missing_file_stays_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target");
        std::fs::write(&target, b"x").expect("write");
        let link = dir.path().join("link");
        symlink(&target, &link).expect("symlink");
        let refused = open_read(&link).expect_err("a symlink is not opened");
        assert!(refused.to_string().contains("is a symlink"), "{refused}");
        // The usual case, looking for a partial file never started: its kind is
        // kept, so callers can tell "nothing there" from a failure.
        let missing = open_read(&dir.path().join("nothing")).expect_err("missing");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_planted_symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("write");
        let part = dir.path().join(".f.fetchall-part");
        symlink(&victim, &part).expect("symlink");
        let locked = LockedPart::open(&part).expect("open");
        use std::io::Write;
        locked.file().write_all(b"new").expect("write");
        assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
        assert!(
            !std::fs::symlink_metadata(&part)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        symlink(&victim, dir.path().join("link")).expect("symlink");
        assert!(open_read(&dir.path().join("link")).is_err());
        write(&dir.path().join("link"), b"x").expect("write");
        assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    }

    #[test]
    fn a_planted_hard_link_is_unlinked_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("write");
        let part = dir.path().join(".f.fetchall-part");
        std::fs::hard_link(&victim, &part).expect("link");
        let locked = LockedPart::open(&part).expect("open");
        use std::io::Write;
        locked.file().write_all(b"new").expect("write");
        let temporary = dir.path().join(".f.fetchall-part.json.tmp");
        std::fs::hard_link(&victim, &temporary).expect("link");
        write(&temporary, b"{}").expect("write");
        assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
        assert_eq!(std::fs::read(&part).expect("read"), b"new");
    }

    #[test]
    fn a_folder_swapped_after_its_check_is_caught_before_anything_is_cut() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("out");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let relative = crate::plan::paths::relative_path_from_segments(["sub", "f"]).expect("path");
        let folders = Folders {
            root: root.clone(),
            relative,
            follow_symlinks: false,
            real_roots: RealRoots::default(),
        };
        let inside = LockedPart::open(&root.join("sub/.f.fetchall-part")).expect("open");
        assert!(
            folders
                .check_opened(inside.file(), &root.join("sub/.f.fetchall-part"))
                .is_ok()
        );
        // What an open through `out/sub` swapped for a link to `outside` gets.
        let victim = outside.join(".f.fetchall-part");
        std::fs::write(&victim, b"precious").expect("write");
        let swapped = LockedPart::open(&victim).expect("open");
        let checked = folders.check_opened(swapped.file(), &root.join("sub/.f.fetchall-part"));
        if std::path::Path::new("/proc/self/fd").exists() {
            let error = checked.expect_err("outside");
            assert!(error.to_string().contains("write"), "{error}");
        }
        assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    }

    #[test]
    fn a_locked_part_refuses_a_second_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let part = dir.path().join(".f.fetchall-part");
        let first = LockedPart::open(&part).expect("open");
        assert!(is_locked_by_another(&part));
        let second = LockedPart::open(&part).expect_err("locked");
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        drop(first);
        assert!(!is_locked_by_another(&part));
        assert!(LockedPart::open(&part).is_ok());
    }

    #[test]
    fn a_lock_held_for_a_moment_is_waited_for() {
        // What a process that forks to run a program does to this run's files: it
        // holds their descriptors (and locks) until its exec, a moment later.
        let dir = tempfile::tempdir().expect("tempdir");
        let part = dir.path().join(".f.fetchall-part");
        let held = LockedPart::open(&part).expect("open");
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(30));
            drop(held);
        });
        let opened = LockedPart::open(&part);
        letting_go.join().expect("thread");
        assert!(opened.is_ok(), "{:?}", opened.err());
    }

    #[test]
    fn rename_checks_length_and_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let part = dir.path().join(".f.fetchall-part");
        let locked = LockedPart::open(&part).expect("open");
        std::fs::write(&part, b"abc").expect("write");
        assert!(locked.rename_to(&dir.path().join("f"), Some(4)).is_err());
        std::fs::remove_file(&part).expect("remove");
        std::fs::write(&part, b"abc").expect("write");
        assert!(locked.rename_to(&dir.path().join("f"), Some(3)).is_err());
        assert!(!dir.path().join("f").exists());
    }
}
