//! One run per output folder: the lock file `.fetchall.lock` inside it.
//!
//! Two runs writing one folder at once (an hourly cron job that overlaps the
//! previous one) would fight over the same partial files. So [`crate::mirror()`]
//! takes an `flock` on `.fetchall.lock` before it writes anything, and keeps it until
//! the run ends. The operating system drops the lock when the process ends, however
//! it ends (`kill -9` included): a lock is never stale. While a run holds it, the file
//! names the holder: pid, host, start time and command line; the run removes it when
//! it ends (one left by a killed run is simply taken by the next).
//!
//! `--shard K/N` runs share a folder by design: each takes `.fetchall.lock` *shared*
//! and `.fetchall.shard-K-of-N.lock` exclusive. Shards of different K share the
//! folder; two runs of the same K/N exclude each other; a run without `--shard`
//! (exclusive lock) excludes every shard run and the reverse.
//!
//! A run that finds the folder locked stops at once with [`Error::Locked`] (exit
//! code 3 for the command), or waits for it with `--wait-for-lock`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustix::fs::{FlockOperation, flock};

use crate::error::Error;
use crate::select::shard::Shard;

/// Name of the lock file in the output folder.
pub const LOCK_FILE: &str = ".fetchall.lock";

/// A held lock on one output folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    /// The locks held: the folder's, and the shard's for a `--shard` run.
    files: Vec<(PathBuf, File)>,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        for (path, file) in self.files.iter().rev() {
            // Removed only by a run that holds it alone (a shard run may share it): a
            // run waiting on the removed file sees that its name is gone and opens the
            // new one (see `take`). Best effort; the lock itself ends with the file.
            if flock(file, FlockOperation::NonBlockingLockExclusive).is_ok() {
                let _ = std::fs::remove_file(path);
            }
            let _ = flock(file, FlockOperation::Unlock);
        }
    }
}

/// The name of the lock file of one shard.
pub(crate) fn shard_lock_name(shard: &Shard) -> String {
    let text = shard.to_string();
    let (index, count) = text.split_once('/').unwrap_or((&text, ""));
    format!(".fetchall.shard-{index}-of-{count}.lock")
}

/// Takes the lock of `folder` for a run (of `shard`, if given): at once, or after
/// waiting for the holder to finish when `wait` is true. Blocking.
pub fn lock_folder(folder: &Path, shard: Option<&Shard>, wait: bool) -> Result<FolderLock, Error> {
    let mut lock = FolderLock { files: Vec::new() };
    let main = folder.join(LOCK_FILE);
    let mode = if shard.is_some() {
        Mode::Shared
    } else {
        Mode::Exclusive
    };
    // A folder where no lock file can be made (read-only) cannot be written either.
    let Some(file) = take(&main, mode, wait, folder)? else {
        return Ok(lock);
    };
    if mode == Mode::Exclusive {
        describe_holder(&file);
    } else {
        // Held shared: no whole run holds it, so what it says is stale (kill -9).
        let _ = file.set_len(0);
    }
    lock.files.push((main, file));
    if let Some(shard) = shard {
        let path = folder.join(shard_lock_name(shard));
        if let Some(file) = take(&path, Mode::Exclusive, wait, folder)? {
            describe_holder(&file);
            lock.files.push((path, file));
        }
    }
    Ok(lock)
}

/// The locks of every output folder of a run (none for a dry run, which writes
/// nothing), each folder once.
pub(crate) async fn lock_outputs(
    outputs: &[PathBuf],
    options: &crate::Options,
) -> Result<Vec<FolderLock>, Error> {
    if options.dry_run {
        return Ok(Vec::new());
    }
    let mut seen = std::collections::HashSet::new();
    let mut locks = Vec::new();
    for output in outputs {
        let key = std::fs::canonicalize(output).unwrap_or_else(|_| output.clone());
        if !seen.insert(key) {
            continue;
        }
        let (folder, shard, wait) = (output.clone(), options.filters.shard, options.wait_for_lock);
        let lock = tokio::task::spawn_blocking(move || lock_folder(&folder, shard.as_ref(), wait))
            .await
            .map_err(|error| Error::OutputDir {
                path: output.clone(),
                source: io::Error::other(error),
            })??;
        locks.push(lock);
    }
    Ok(locks)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Shared,
    Exclusive,
}

/// The lock file at `path`, locked; `None` when the folder is read-only and there is
/// no lock file to lock.
fn take(path: &Path, mode: Mode, wait: bool, folder: &Path) -> Result<Option<File>, Error> {
    let io_error = |source: io::Error| Error::OutputDir {
        path: folder.to_path_buf(),
        source: io::Error::new(
            source.kind(),
            format!("cannot use the lock file `{}`: {source}", path.display()),
        ),
    };
    let operation = match (mode, wait) {
        (Mode::Shared, false) => FlockOperation::NonBlockingLockShared,
        (Mode::Exclusive, false) => FlockOperation::NonBlockingLockExclusive,
        (Mode::Shared, true) => FlockOperation::LockShared,
        (Mode::Exclusive, true) => FlockOperation::LockExclusive,
    };
    loop {
        let Some(file) = open_lock_file(path).map_err(io_error)? else {
            return Ok(None);
        };
        match flock(&file, operation) {
            Ok(()) => {}
            Err(error) if error == rustix::io::Errno::INTR => continue,
            Err(error) if error == rustix::io::Errno::WOULDBLOCK => {
                return Err(Error::Locked {
                    path: folder.to_path_buf(),
                    holder: holders(folder, path),
                });
            }
            Err(error) => return Err(io_error(error.into())),
        }
        // The run that held it may have removed it when it ended: then this lock is
        // on a file nobody else will look at, and the name is locked afresh.
        if is_at_name(&file, path).map_err(io_error)? {
            return Ok(Some(file));
        }
    }
}

/// True when `path` still names the open `file`.
fn is_at_name(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let open = file.metadata()?;
    Ok(match std::fs::symlink_metadata(path) {
        Ok(named) => named.dev() == open.dev() && named.ino() == open.ino(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        Err(error) => return Err(error),
    })
}

/// Opens (creating) a lock file, never through a symlink or another file's hard link.
/// Where it cannot be written (another user's, or a read-only folder), it is opened
/// to read: `flock` needs no more. `None`: a read-only folder without one.
fn open_lock_file(path: &Path) -> io::Result<Option<File>> {
    match crate::disk::safe_fs::open_writable(path) {
        Ok(file) => Ok(Some(file)),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            match crate::disk::safe_fs::open_read(path) {
                Ok(file) => Ok(Some(file)),
                Err(missing) if missing.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(other) => Err(other),
            }
        }
        Err(error) => Err(error),
    }
}

/// Writes who holds the lock into the lock file: what a refused run shows. Best
/// effort: a lock file this run may only read keeps its text.
fn describe_holder(file: &File) {
    let started = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + elapsed))
        .unwrap_or_default();
    let text = format!(
        "pid {} on host {}, started {}: {}\n",
        std::process::id(),
        host_name(),
        started,
        shown_command(std::env::args())
    );
    let mut writer = file;
    let _ = file
        .set_len(0)
        .and_then(|()| writer.write_all(text.as_bytes()));
}

/// The command line as the lock file shows it to anyone: passwords in URLs, `-u`
/// passwords and `-H` header values masked.
fn shown_command(args: impl IntoIterator<Item = String>) -> String {
    const MASK: &str = "****";
    let mut shown = Vec::new();
    let mut masks_next: Option<bool> = None;
    for arg in args {
        let arg = crate::http::redact::redact_text(&arg);
        let masked = match masks_next.take() {
            // The value of `-H`: `Name: ****`.
            Some(true) => match arg.split_once(':') {
                Some((name, _)) => format!("{name}: {MASK}"),
                None => MASK.to_string(),
            },
            // The value of `-u`: `user:****`.
            Some(false) => match arg.split_once(':') {
                Some((user, _)) => format!("{user}:{MASK}"),
                None => arg,
            },
            None => {
                match arg.as_str() {
                    "-H" | "--header" => masks_next = Some(true),
                    "-u" | "--user" => masks_next = Some(false),
                    _ => {}
                }
                if let Some(value) = arg
                    .strip_prefix("--header=")
                    .or_else(|| arg.strip_prefix("-H").filter(|value| !value.is_empty()))
                {
                    let name = value.split_once(':').map_or("", |(name, _)| name);
                    format!("--header={name}: {MASK}")
                } else if let Some(value) = arg
                    .strip_prefix("--user=")
                    .or_else(|| arg.strip_prefix("-u").filter(|value| !value.is_empty()))
                {
                    let user = value.split_once(':').map_or(value, |(user, _)| user);
                    format!("--user={user}:{MASK}")
                } else {
                    arg
                }
            }
        };
        shown.push(masked);
    }
    shown.join(" ")
}

fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Who holds the lock at `wanted`: its text, or for a folder held by shard runs,
/// the text of every shard lock that is held.
fn holders(folder: &Path, wanted: &Path) -> String {
    let describe = |path: &Path| {
        crate::disk::safe_fs::read(path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
            .filter(|text| !text.is_empty())
    };
    if let Some(text) = describe(wanted) {
        return text;
    }
    // Held shared: by `--shard` runs, each named in its own lock file.
    let mut shards = Vec::new();
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".fetchall.shard-")
                && name.ends_with(".lock")
                && crate::disk::safe_fs::is_locked_by_another(&entry.path())
                && let Some(text) = describe(&entry.path())
            {
                shards.push(text);
            }
        }
    }
    shards.sort();
    if shards.is_empty() {
        "another fetchall run".to_string()
    } else {
        shards.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_shows_no_credentials() {
        let args = [
            "fetchall",
            "-H",
            "Authorization: Bearer s3cret",
            "--header=Cookie: id=s3cret",
            "-HX-Token:s3cret",
            "-u",
            "ann:s3cret",
            "--user=bob:s3cret",
            "https://ann:s3cret@h/files/",
            "-o",
            "out",
        ];
        let shown = shown_command(args.iter().map(|arg| arg.to_string()));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("Authorization: ****"), "{shown}");
        assert!(
            shown.contains("https://ann:****@h/files/ -o out"),
            "{shown}"
        );
    }

    #[test]
    fn one_run_per_folder_and_shards_share_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path();
        let first = lock_folder(folder, None, false).expect("free");
        let refused = lock_folder(folder, None, false).expect_err("held");
        let Error::Locked { holder, .. } = refused else {
            panic!("not a lock error: {refused:?}");
        };
        assert!(
            holder.contains(&format!("pid {}", std::process::id())),
            "{holder}"
        );
        assert!(matches!(
            lock_folder(folder, Some(&Shard::new(1, 2).expect("shard")), false),
            Err(Error::Locked { .. })
        ));
        drop(first);
        let one = Shard::new(1, 2).expect("shard");
        let two = Shard::new(2, 2).expect("shard");
        let shard_one = lock_folder(folder, Some(&one), false).expect("shared");
        let _shard_two = lock_folder(folder, Some(&two), false).expect("shared");
        assert!(matches!(
            lock_folder(folder, Some(&one), false),
            Err(Error::Locked { .. })
        ));
        let Err(Error::Locked { holder, .. }) = lock_folder(folder, None, false) else {
            panic!("a whole run must wait for the shards");
        };
        assert!(holder.contains("pid"), "{holder}");
        drop(shard_one);
        assert!(lock_folder(folder, Some(&one), false).is_ok());
    }
}
