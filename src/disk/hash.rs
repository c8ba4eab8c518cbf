//! Hashing files that are already on disk, opened the way every file in the output
//! folder is (`disk::safe_fs`: never through a symlink): the bytes an
//! earlier attempt left in a part file, a part assembled out of order, and the files
//! `fetchall verify` checks.

use std::io::Read;
use std::path::Path;

use crate::checksum::{BodyDigest, BodyHasher, Checks, Expected, Verifier, VerifyError};

/// Bytes read at a time.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Verifies a complete file on disk (blocking: call it from `spawn_blocking` in async
/// code). The hook for downloads whose bytes do not arrive in order, such as
/// segmented ones: hash the assembled temporary file before renaming it into place.
pub fn verify_file(path: &Path, expected: &Expected) -> Result<(), VerifyError> {
    let mut verifier = Verifier::new(*expected);
    feed_file(path, None, |bytes| verifier.update(bytes)).map_err(|source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(verifier.finish()?)
}

/// Reads `path` from its start, up to `limit` bytes (all of it for `None`), passing
/// each block to `feed`. Fails if the file is shorter than `limit`.
fn feed_file(path: &Path, limit: Option<u64>, mut feed: impl FnMut(&[u8])) -> std::io::Result<()> {
    // Never through a symlink: a partial file or a mirrored file is ours, a link there is not.
    let file = crate::disk::safe_fs::open_read(path)?;
    let mut reader = file.take(limit.unwrap_or(u64::MAX));
    let mut buffer = vec![0; READ_BUFFER_BYTES];
    let mut total = 0_u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        total += read as u64;
        feed(&buffer[..read]);
    }
    match limit {
        Some(limit) if total < limit => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file holds {total} bytes, {limit} were expected"),
        )),
        _ => Ok(()),
    }
}

/// Feeds `hasher` the first `length` bytes of `path`: the part of a resumed file that
/// an earlier attempt wrote. Runs on the blocking pool.
pub(crate) async fn feed_prefix(
    hasher: BodyHasher,
    path: &Path,
    length: u64,
) -> std::io::Result<BodyHasher> {
    if length == 0 {
        return Ok(hasher);
    }
    feed(hasher, path, Some(length)).await
}

/// Feeds `path` (up to `limit` bytes) to `hasher` on the blocking pool.
async fn feed(
    mut hasher: BodyHasher,
    path: &Path,
    limit: Option<u64>,
) -> std::io::Result<BodyHasher> {
    if hasher.is_idle() {
        return Ok(hasher);
    }
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        feed_file(&path, limit, |bytes| hasher.update(bytes)).map(|()| hasher)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Hashes a whole file that is already complete on disk (a transfer the server
/// said was finished, or one assembled out of order) and checks it.
pub(crate) async fn check_file(checks: Checks, path: &Path) -> Result<BodyDigest, VerifyError> {
    let hasher = feed(BodyHasher::new(checks), path, None)
        .await
        .map_err(|source| VerifyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(hasher.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Algorithm;

    const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[tokio::test]
    async fn a_resumed_body_hashes_the_prefix_on_disk_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let part = dir.path().join("part");
        std::fs::write(&part, b"hel").expect("write");
        let checks = Checks {
            expected: Expected::from_hex(Algorithm::Sha256, HELLO_SHA256),
            sha256: true,
        };
        let mut hasher = feed_prefix(BodyHasher::new(checks), &part, 3)
            .await
            .expect("prefix");
        hasher.update(b"lo");
        let digest = hasher.finish().expect("matches");
        assert_eq!(digest.sha256.as_deref(), Some(HELLO_SHA256));
        assert_eq!(digest.verified, Some(Algorithm::Sha256));

        std::fs::write(&part, b"hello").expect("write");
        let whole = check_file(checks, &part).await.expect("matches");
        assert_eq!(whole.sha256.as_deref(), Some(HELLO_SHA256));
        // A prefix longer than the file is an error, not a silent short hash.
        assert!(
            feed_prefix(BodyHasher::new(checks), &part, 10)
                .await
                .is_err()
        );
    }
}
