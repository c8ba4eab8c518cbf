//! Placing a finished file: its bytes made durable, given the server's time, then
//! renamed to their final name while locked. A file under its final name is
//! therefore always complete, and never reached through a symlink
//! ([`crate::disk::safe_fs`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::checksum::{BodyDigest, Checks, VerifyError};
use crate::disk::part::PartPaths;
use crate::disk::resume::Validator;
use crate::disk::safe_fs::{Folders, LockedPart};
use crate::error::TransferError;

/// A partial file the server says is complete, or whose ranges arrived out of
/// order: verified over the whole file before it gets its name. Bad bytes are
/// dropped, not kept to resume from.
pub(crate) async fn verify_part(
    parts: &PartPaths,
    checks: Checks,
) -> Result<BodyDigest, TransferError> {
    match crate::disk::hash::check_file(checks, &parts.data).await {
        Ok(digest) => Ok(digest),
        Err(VerifyError::Mismatch(mismatch)) => {
            parts.discard().await;
            Err(TransferError::Checksum(mismatch))
        }
        Err(VerifyError::Io { path, source }) => Err(TransferError::io("read", path, source)),
    }
}

/// Makes the complete partial file of `bytes` durable, gives it the time of
/// `validator`'s version and the name `destination`, and forgets its validator.
pub(crate) async fn place_part(
    parts: &PartPaths,
    validator: &Validator,
    destination: &Path,
    bytes: u64,
) -> Result<(), TransferError> {
    let modified = validator
        .last_modified
        .as_deref()
        .and_then(|text| httpdate::parse_http_date(text).ok());
    let data = parts.data.clone();
    let target = destination.to_path_buf();
    // Locked, checked and renamed while locked: the name gets the complete file this
    // process wrote, even if another process (without the folder lock) is at work.
    let placed = tokio::task::spawn_blocking(move || {
        let part =
            LockedPart::open(&data).map_err(|source| TransferError::io("write", &data, source))?;
        // Durable before it gets its final name: a crash never leaves a short file there.
        part.file()
            .sync_data()
            .map_err(|source| TransferError::io("write", &data, source))?;
        if let Some(modified) = modified {
            part.file()
                .set_modified(modified)
                .map_err(|source| TransferError::io("set the time of", &data, source))?;
        }
        part.rename_to(&target, Some(bytes))
            .map_err(|source| TransferError::io("rename into", &target, source))
    })
    .await
    .map_err(|error| TransferError::io("rename into", destination, std::io::Error::other(error)))?;
    placed?;
    parts.remove_sidecar().await;
    Ok(())
}

/// Where a small file goes, and what it is given.
pub(crate) struct Placement {
    /// The hidden file written first.
    pub temporary: PathBuf,
    /// The final name.
    pub destination: PathBuf,
    /// The server's Last-Modified, given to the file.
    pub modified: Option<SystemTime>,
    /// The folders between the output folder and the file, checked and created first.
    pub folders: Folders,
}

/// Creates the hidden file of `placement`, writes `body` into it and gives it the
/// server's time: complete, but neither durable nor renamed yet
/// ([`crate::disk::batch`] does both, for many files at once). On failure the
/// hidden file is removed. It is locked, and never reached through a symlink.
pub(crate) fn write_hidden(
    body: &[u8],
    placement: &Placement,
) -> Result<LockedPart, TransferError> {
    let temporary = &placement.temporary;
    let part = placement.folders.open_part(temporary, true)?;
    let result = (|| {
        let mut file = part.file();
        file.write_all(body)
            .map_err(|source| TransferError::io("write", temporary, source))?;
        if let Some(modified) = placement.modified {
            file.set_modified(modified)
                .map_err(|source| TransferError::io("set the time of", temporary, source))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(part),
        Err(error) => {
            part.remove();
            Err(error)
        }
    }
}

/// Renames the hidden file `part` (written and made durable) of `length` bytes to
/// its final name, after the checks of [`LockedPart::rename_to`]; on failure it is
/// removed.
pub(crate) fn rename_written(
    part: &LockedPart,
    placement: &Placement,
    length: u64,
) -> Result<(), TransferError> {
    let renamed = part
        .rename_to(&placement.destination, Some(length))
        .map_err(|source| TransferError::io("rename into", &placement.destination, source));
    if renamed.is_err() {
        part.remove();
    }
    renamed
}
