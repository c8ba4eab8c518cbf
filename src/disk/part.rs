//! The hidden files of a destination while it is incomplete: the partial body
//! (`.NAME.fetchall-part`) and the sidecar that names its version
//! (`.NAME.fetchall-part.json`), written to a temporary name and renamed, so it
//! survives `kill -9` and is never half-written. A sidecar beside the file was
//! chosen over an extended attribute because every file system (tmpfs, FAT,
//! network mounts) has files, and not all keep xattrs. How a partial file is
//! continued is [`crate::disk::resume`]'s.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use crate::disk::resume::{Partial, Validator};
use crate::disk::safe_fs::Folders;
use crate::error::TransferError;
use crate::plan::paths::MAX_NAME_BYTES;

/// Suffix of the partial file.
const PART_SUFFIX: &str = ".fetchall-part";
/// What the sidecar's name adds to the partial file's.
const SIDECAR_EXTENSION: &str = ".json";
/// What the sidecar's name adds while it is being written (then renamed).
const TEMPORARY_EXTENSION: &str = ".tmp";
/// The longest suffix a hidden name gets: the sidecar's while it is written.
const LONGEST_SUFFIX: usize =
    PART_SUFFIX.len() + SIDECAR_EXTENSION.len() + TEMPORARY_EXTENSION.len();

/// The hidden files that belong to one destination while it is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPaths {
    /// The partial body.
    pub data: PathBuf,
    /// The validator of the partial body (JSON).
    pub sidecar: PathBuf,
    /// Where the sidecar is written before it is renamed.
    sidecar_temporary: PathBuf,
}

impl PartPaths {
    /// The hidden files for `destination`: in the same folder (so the final rename is
    /// atomic), named after it, and never longer than a file system allows — a name
    /// too long for that is replaced by a hash of it.
    pub fn new(destination: &Path) -> PartPaths {
        let name = destination
            .file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default();
        let mut hidden = String::with_capacity(1 + name.len() + LONGEST_SUFFIX);
        if 1 + name.len() + LONGEST_SUFFIX > MAX_NAME_BYTES {
            // FNV-1a: specified, so every build of fetchall finds the partial again
            // (std's hasher may change between Rust versions).
            let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
            // Two dots: `.` and then a reserved name (see `paths::is_reserved`), so no
            // destination `D`, whose hidden files are `.D…`, can have this stem: the
            // remote name `fetchall-HASH` gets `.fetchall-HASH…`, never this.
            hidden.push_str(&format!("..fetchall-{hash:016x}"));
        } else {
            hidden.push('.');
            hidden.push_str(&name);
        }
        hidden.push_str(PART_SUFFIX);
        // The sidecars' names extend the partial file's, so only the first is
        // built from the destination (one path split a file, not three).
        let data = destination.with_file_name(hidden);
        let sidecar = with_extension_added(&data, SIDECAR_EXTENSION);
        let sidecar_temporary = with_extension_added(&sidecar, TEMPORARY_EXTENSION);
        PartPaths {
            data,
            sidecar,
            sidecar_temporary,
        }
    }

    /// Removes the partial file and its sidecar (best effort: what is already gone
    /// is fine, and a leftover is found and checked again by the next run).
    pub async fn discard(&self) {
        let _ = tokio::fs::remove_file(&self.data).await;
        let _ = tokio::fs::remove_file(&self.sidecar).await;
        let _ = tokio::fs::remove_file(&self.sidecar_temporary).await;
    }

    /// Saves `validator` for the partial file, atomically: a reader sees the old
    /// sidecar or the new one, never half of one.
    ///
    /// Not synced: it only has to survive the process (kill -9), and after a power
    /// loss a sidecar that is empty or unreadable only costs a restart of that file,
    /// while an fsync per file would slow down mirrors of many small files.
    pub async fn save(&self, validator: &Validator) -> Result<(), TransferError> {
        let text = serde_json::to_vec(validator).map_err(|source| {
            TransferError::io("write", &self.sidecar_temporary, io::Error::other(source))
        })?;
        crate::disk::safe_fs::write(&self.sidecar_temporary, &text)
            .map_err(|source| TransferError::io("write", &self.sidecar_temporary, source))?;
        tokio::fs::rename(&self.sidecar_temporary, &self.sidecar)
            .await
            .map_err(|source| TransferError::io("rename into", &self.sidecar, source))
    }

    /// The partial file left for `url` by an earlier attempt, if it can be resumed.
    /// Anything else found there — a partial without a sidecar, a sidecar for
    /// another URL or one that cannot be read — is removed.
    ///
    /// The look is made on the calling thread, like the planner's look at the
    /// destination: for the usual answer, two lookups that find nothing, that costs
    /// microseconds, while two hand-offs to the blocking pool per file cost 12% of
    /// the CPU time of a mirror of small files (0.187 s against 0.165 s per 1,000).
    pub async fn load(&self, url: &Url) -> Option<Partial> {
        // Never through a symlink: a planted link counts as nothing and is removed.
        // Nor a hard link to another file: partial files have one name.
        let length = std::fs::symlink_metadata(&self.data)
            .ok()
            .filter(|metadata| {
                metadata.is_file() && std::os::unix::fs::MetadataExt::nlink(metadata) == 1
            })
            .map(|metadata| metadata.len());
        let validator = match crate::disk::safe_fs::read(&self.sidecar) {
            Ok(text) => serde_json::from_slice::<Validator>(&text).ok(),
            // The usual case, a file never started: nothing to clean up.
            Err(error) if error.kind() == io::ErrorKind::NotFound && length.is_none() => {
                return None;
            }
            Err(_) => None,
        };
        let usable = match (length, validator) {
            (Some(offset), Some(validator))
                if offset > 0
                    && validator.url == url.as_str()
                    && validator.if_range().is_some()
                    && validator.total.is_none_or(|total| offset <= total)
                    // A split download's file is preallocated to its full size.
                    && (validator.segments.is_none()
                        || (validator.total == Some(offset) && validator.segments_cover_the_file())) =>
            {
                Some(Partial { offset, validator })
            }
            _ => None,
        };
        // Another process writing it (a second run without the folder lock): leave
        // its files alone; opening the partial file fails and says so.
        if usable.is_none() && !crate::disk::safe_fs::is_locked_by_another(&self.data) {
            self.discard().await;
        }
        usable
    }

    /// Opens the partial file for writing, locked by this process (see
    /// [`crate::disk::safe_fs`]), after checking and creating its folders: never through a
    /// symlink. `fresh`: its old bytes are dropped.
    pub fn open(
        &self,
        folders: &crate::disk::safe_fs::Folders,
        fresh: bool,
    ) -> Result<crate::disk::safe_fs::LockedPart, TransferError> {
        folders.open_part(&self.data, fresh)
    }

    /// Removes the sidecar once the file is in place.
    pub async fn remove_sidecar(&self) {
        let _ = tokio::fs::remove_file(&self.sidecar).await;
    }
}

/// `path` with `extension` appended to its last component.
fn with_extension_added(path: &Path, extension: &str) -> PathBuf {
    let mut extended = std::ffi::OsString::with_capacity(path.as_os_str().len() + extension.len());
    extended.push(path);
    extended.push(extension);
    PathBuf::from(extended)
}

/// Opens the partial file of `parts`, locked and never through a symlink: emptied,
/// or positioned after the `resume_at` bytes an earlier attempt wrote.
pub(crate) fn open_to_write(
    parts: &PartPaths,
    folders: &Folders,
    resume_at: Option<u64>,
) -> Result<File, TransferError> {
    let mut file = parts.open(folders, resume_at.is_none())?.into_file();
    if let Some(offset) = resume_at {
        // The bytes the sidecar vouches for must still be there: a file replaced since
        // (a planted link removed on opening) is not continued.
        let positioned = file.metadata().and_then(|metadata| {
            if metadata.len() < offset {
                return Err(io::Error::other(
                    "the partial file was replaced since it was checked",
                ));
            }
            file.set_len(offset)?;
            io::Seek::seek(&mut file, io::SeekFrom::Start(offset))
        });
        positioned.map_err(|source| TransferError::io("append to", &parts.data, source))?;
    }
    Ok(file)
}

/// The partial file of a split download, locked by this process and never reached
/// through a symlink, at its full size `total`: every segment writes at its offset.
pub(crate) async fn open_preallocated(
    parts: &PartPaths,
    folders: Folders,
    total: u64,
) -> Result<File, TransferError> {
    let parts = parts.clone();
    let data = parts.data.clone();
    tokio::task::spawn_blocking(move || {
        let file = parts.open(&folders, false)?.into_file();
        // Sparse until written; a full disk shows up at the first write that needs room.
        let sized = file.metadata().and_then(|metadata| {
            if metadata.len() != total {
                file.set_len(total)
            } else {
                Ok(())
            }
        });
        sized.map_err(|source| TransferError::io("create", &parts.data, source))?;
        Ok(file)
    })
    .await
    .map_err(|error| TransferError::io("create", &data, io::Error::other(error)))?
}

/// The positioned writes of one partial file still running on the blocking pool.
///
/// A write handed to the blocking pool runs to its end even when the connection
/// that asked for it is dropped (another segment failed, say). The attempt waits
/// for them ([`WritesInFlight::drain`]) before it ends: otherwise a write could land
/// after the attempt's counts were saved, and the descriptor it holds would keep
/// the partial file's lock, so that the retry's open of the file failed with
/// "another process is writing this file".
#[derive(Debug)]
pub(crate) struct WritesInFlight(Arc<Semaphore>);

/// More writes than can be in flight at once (one per connection of a file).
const MAX_WRITES_IN_FLIGHT: u32 = 1 << 16;

impl WritesInFlight {
    pub(crate) fn new() -> WritesInFlight {
        WritesInFlight(Arc::new(Semaphore::new(MAX_WRITES_IN_FLIGHT as usize)))
    }

    /// Waits until every write handed to the blocking pool has ended.
    pub(crate) async fn drain(&self) {
        let _all = self.0.acquire_many(MAX_WRITES_IN_FLIGHT).await;
    }
}

/// Writes `data` at `position` of a preallocated partial file, on the blocking pool,
/// counted in `writes` until it has ended.
///
/// Positioned writes (`pwrite`) are Unix-only, as the rest of the crate's file
/// handling (`flock`, `O_NOFOLLOW`, link counts) is.
pub(crate) async fn write_at(
    file: &Arc<File>,
    writes: &WritesInFlight,
    path: &Path,
    position: u64,
    data: Vec<u8>,
) -> Result<(), TransferError> {
    let stopped = || TransferError::io("write", path, io::Error::other("the run is ending"));
    let running = Arc::clone(&writes.0)
        .acquire_owned()
        .await
        .map_err(|_| stopped())?;
    let file = Arc::clone(file);
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        let written = file.write_all_at(&data, position);
        // The descriptor is let go before the write counts as ended.
        drop(file);
        drop(running);
        written
    })
    .await
    .map_err(io::Error::other)
    .and_then(|result| result)
    .map_err(|source| TransferError::io("write", path, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A split download's connection dropped mid-write (another segment failed)
    /// leaves its write on the blocking pool; the retry opened the file while that
    /// write still held it and failed with "another process is writing this file".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_write_ends_before_the_drain_does_and_lets_the_file_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.bin");
        let file = Arc::new(
            crate::disk::safe_fs::LockedPart::open(&path)
                .expect("open")
                .into_file(),
        );
        let writes = WritesInFlight::new();
        // Large enough to be under way when its connection is dropped.
        let write = write_at(&file, &writes, &path, 0, vec![7; 64 << 20]);
        let dropped = tokio::time::timeout(std::time::Duration::from_millis(1), write).await;
        assert!(
            dropped.is_err(),
            "the write was to be dropped while running"
        );
        drop(file);
        writes.drain().await;
        let again = crate::disk::safe_fs::LockedPart::open(&path);
        assert!(again.is_ok(), "{:?}", again.err());
        assert_eq!(std::fs::metadata(&path).expect("stat").len(), 64 << 20);
    }

    #[tokio::test]
    async fn a_partial_file_another_process_writes_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let parts = PartPaths::new(&dir.path().join("f.bin"));
        let url = Url::parse("http://h/f.bin").expect("url");
        // Being written, its sidecar not yet saved: to a reader it looks unusable.
        let writer = crate::disk::safe_fs::LockedPart::open(&parts.data).expect("open");
        assert_eq!(parts.load(&url).await, None);
        assert!(
            parts.data.exists(),
            "another writer's partial file was removed"
        );
        drop(writer);
        assert_eq!(parts.load(&url).await, None);
        assert!(!parts.data.exists(), "an unusable partial file is dropped");
    }

    #[tokio::test]
    async fn planted_symlinks_are_never_read_or_resumed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"0123456789").expect("write");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        let parts = PartPaths::new(&out.join("f.bin"));
        let url = Url::parse("http://h/f.bin").expect("url");
        let validator = Validator {
            url: url.to_string(),
            etag: Some("\"v\"".into()),
            last_modified: None,
            total: Some(100),
            segments: None,
        };
        std::os::unix::fs::symlink(&victim, &parts.data).expect("symlink");
        parts.save(&validator).await.expect("save");
        assert_eq!(parts.load(&url).await, None);
        assert!(std::fs::symlink_metadata(&parts.data).is_err());
        // A sidecar that is a link to a valid-looking validator is not trusted.
        let elsewhere = dir.path().join("sidecar");
        std::fs::write(&elsewhere, serde_json::to_vec(&validator).expect("json")).expect("w");
        std::fs::write(&parts.data, b"0123456789").expect("write");
        std::os::unix::fs::symlink(&elsewhere, &parts.sidecar).expect("symlink");
        assert_eq!(parts.load(&url).await, None);
        // The sidecar temporary: written by replacing the link, not through it.
        std::os::unix::fs::symlink(&victim, &parts.sidecar_temporary).expect("symlink");
        parts.save(&validator).await.expect("save");
        assert_eq!(std::fs::read(&victim).expect("read"), b"0123456789");
    }

    #[test]
    fn no_two_destinations_share_a_hidden_file() {
        let long = "é".repeat(120);
        let hash_of_long = PartPaths::new(Path::new(&long));
        let hashed_stem = hash_of_long
            .data
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(PART_SUFFIX))
            .map(|stem| stem.trim_start_matches('.').to_string())
            .unwrap_or_default();
        let mut names = vec![
            "a".to_string(),
            "a.fetchall-part".into(),
            "a.fetchall-part.json".into(),
            ".a".into(),
            "%2Ea".into(),
            long.clone(),
            hashed_stem,
        ];
        // Every name as local_name gives it to a remote file.
        names = names
            .iter()
            .filter_map(|name| crate::plan::paths::local_name(&name.replace('%', "%25")).ok())
            .collect();
        let mut seen = std::collections::HashMap::new();
        for name in &names {
            let parts = PartPaths::new(Path::new(name));
            for hidden in [&parts.data, &parts.sidecar, &parts.sidecar_temporary] {
                if let Some(other) = seen.insert(hidden.clone(), name.clone()) {
                    panic!("{name} and {other} share {hidden:?}");
                }
            }
        }
        for name in &names {
            assert!(
                !seen.contains_key(Path::new(name)),
                "{name} is a hidden file"
            );
        }
    }

    #[test]
    fn part_names_stay_short_and_beside_the_file() {
        let short = PartPaths::new(Path::new("out/a.zip"));
        assert_eq!(short.data, Path::new("out/.a.zip.fetchall-part"));
        assert_eq!(short.sidecar, Path::new("out/.a.zip.fetchall-part.json"));
        assert_eq!(
            short.sidecar_temporary,
            Path::new("out/.a.zip.fetchall-part.json.tmp")
        );
        // The longest name kept as it is: its temporary sidecar's name is exactly
        // as long as a name may be; one byte more and the name is hashed.
        let longest = "a".repeat(MAX_NAME_BYTES - ".fetchall-part.json.tmp".len() - 1);
        let kept = PartPaths::new(&Path::new("out").join(&longest));
        assert_eq!(
            kept.sidecar_temporary,
            Path::new("out").join(format!(".{longest}.fetchall-part.json.tmp"))
        );
        let hashed = PartPaths::new(&Path::new("out").join(format!("{longest}a")));
        let hashed_name = hashed.data.file_name().and_then(|name| name.to_str());
        assert!(
            hashed_name.is_some_and(|name| name.starts_with("..fetchall-")
                && name.len() == "..fetchall-".len() + 16 + PART_SUFFIX.len()),
            "{hashed_name:?}"
        );
        let long = PartPaths::new(&Path::new("out").join("é".repeat(120)));
        for path in [&long.data, &long.sidecar, &long.sidecar_temporary] {
            assert_eq!(path.parent(), Some(Path::new("out")));
            let length = path.file_name().map_or(usize::MAX, |name| name.len());
            assert!(length <= MAX_NAME_BYTES, "{path:?}");
        }
    }
}
