//! Reading a checksum file from disk, never more than a listing page may be
//! ([`MAX_PAGE_BYTES`], the cap of a checksum file fetched from a server): a huge
//! file, `/dev/zero` or a FIFO that never ends is refused once that much was read,
//! instead of filling the memory.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::OFlags;

use crate::listing::page::MAX_PAGE_BYTES;

/// `--checksums FILE`: the user's file, read wherever it leads (a symlink, a pipe of
/// `<(curl …)`, a device), at most [`MAX_PAGE_BYTES`] of it.
///
/// Opened without waiting: opening a FIFO no one writes to would wait forever, and
/// reading one then finds it empty. Reads wait as usual, for a slow writer.
pub(crate) fn read_given(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::CLOEXEC | OFlags::NONBLOCK).bits() as i32)
        .open(path)?;
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    read_capped(file, MAX_PAGE_BYTES)
}

/// A checksum file of a mirror `verify` checks: no symlink, only a regular file
/// (see [`crate::disk::safe_fs::open_read`]), at most [`MAX_PAGE_BYTES`] of it.
pub(crate) fn read_listed(path: &Path) -> io::Result<Vec<u8>> {
    read_capped(crate::disk::safe_fs::open_read(path)?, MAX_PAGE_BYTES)
}

/// All of `file` when it holds at most `limit` bytes; an error without reading it
/// when it is a regular file that is larger, or after `limit + 1` bytes otherwise.
fn read_capped(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > limit {
        return Err(too_large(limit));
    }
    let hint = if metadata.is_file() {
        metadata.len()
    } else {
        0
    };
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// What reading a checksum file past `limit` fails with.
fn too_large(limit: u64) -> io::Error {
    io::Error::other(format!(
        "it is larger than {} MiB, the most fetchall reads of a checksum file",
        limit / (1024 * 1024)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("SHA256SUMS");
        std::fs::write(&path, b"0123456789").expect("write");
        let open = || File::open(&path).expect("open");
        assert_eq!(read_capped(open(), 10).expect("fits").len(), 10);
        let error = read_capped(open(), 9).expect_err("too large");
        assert!(error.to_string().contains("larger than"), "{error}");
        // Not a regular file: read up to the limit, then refused.
        let zero = File::open("/dev/zero").expect("open /dev/zero");
        assert!(read_capped(zero, 1024).is_err());
    }

    #[test]
    fn a_fifo_without_writer_is_read_as_empty_not_waited_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("SHA256SUMS");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        assert_eq!(read_given(&fifo).expect("read").len(), 0);
    }
}
