//! A streamed body's way into its partial file: the network thread only copies
//! each chunk into a buffer; writing the buffer and hashing it happen together on
//! the blocking pool, one buffer while the next fills, so the disk and the network
//! overlap as they do with tokio's own file. The runtime has one thread, so hashing
//! there would bound a checksum-verified mirror by one core (MD5 runs at about
//! 0.5 GB/s); on the pool, the files being streamed are hashed side by side.

use std::fs::File;
use std::io::{self, Write};

use tokio::task::JoinHandle;

use crate::checksum::BodyHasher;

/// What a write on the pool hands back: the file, the hasher that has seen the
/// buffer, the emptied buffer (to fill again), and how the write went.
type Written = (File, BodyHasher, Vec<u8>, io::Result<()>);

/// Bytes gathered before a write reaches the file: few system calls, bounded
/// memory (two buffers a file: one filling, one being written).
const BUFFER_BYTES: usize = 256 * 1024;

/// Writes a body to a file and hashes it, off the network thread.
pub(crate) struct BodyWriter {
    /// The file and the hasher, while no write is under way.
    idle: Option<(File, BodyHasher)>,
    /// The write under way; it hands them back.
    writing: Option<JoinHandle<Written>>,
    /// Bytes taken and not yet handed to a write.
    filling: Vec<u8>,
    /// A buffer handed back by the last write, to fill next.
    spare: Vec<u8>,
    /// How many bytes are gathered before a write.
    capacity: usize,
}

impl BodyWriter {
    /// Writes after `file`'s current position, feeding `hasher` the same bytes.
    pub(crate) fn new(file: File, hasher: BodyHasher) -> BodyWriter {
        BodyWriter::with_capacity(file, hasher, BUFFER_BYTES)
    }

    /// [`Self::new`], `capacity` bytes at a time.
    fn with_capacity(file: File, hasher: BodyHasher, capacity: usize) -> BodyWriter {
        BodyWriter {
            idle: Some((file, hasher)),
            writing: None,
            filling: Vec::with_capacity(capacity),
            spare: Vec::new(),
            capacity,
        }
    }

    /// Takes `bytes`; once a buffer is full it goes to the pool, after the write
    /// before it is over (an error of that write is returned here).
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.filling.extend_from_slice(bytes);
        if self.filling.len() >= self.capacity {
            self.hand_over().await?;
        }
        Ok(())
    }

    /// Writes out what is buffered and waits until every byte taken is in the file.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if !self.filling.is_empty() {
            self.hand_over().await?;
        }
        let idle = self.wait().await?;
        self.idle = Some(idle);
        Ok(())
    }

    /// The hasher, having seen every byte written, once [`Self::flush`] succeeded;
    /// the file is closed.
    pub(crate) fn into_hasher(self) -> io::Result<BodyHasher> {
        match (self.idle, self.writing, self.filling.is_empty()) {
            (Some((_, hasher)), None, true) => Ok(hasher),
            _ => Err(io::Error::other(
                "the body's writer was not flushed, or its last write failed",
            )),
        }
    }

    /// Hands the filled buffer to a write on the blocking pool.
    async fn hand_over(&mut self) -> io::Result<()> {
        let (file, mut hasher) = self.wait().await?;
        let mut next = std::mem::take(&mut self.spare);
        next.reserve(self.capacity);
        let mut buffer = std::mem::replace(&mut self.filling, next);
        self.writing = Some(tokio::task::spawn_blocking(move || {
            hasher.update(&buffer);
            let result = (&file).write_all(&buffer);
            buffer.clear();
            (file, hasher, buffer, result)
        }));
        Ok(())
    }

    /// The file and the hasher, once the write under way (if any) is over. After
    /// a failed write there are none: the body cannot be continued here.
    async fn wait(&mut self) -> io::Result<(File, BodyHasher)> {
        if let Some(writing) = self.writing.take() {
            let (file, hasher, buffer, result) = writing.await.map_err(io::Error::other)?;
            result?;
            self.spare = buffer;
            return Ok((file, hasher));
        }
        self.idle
            .take()
            .ok_or_else(|| io::Error::other("an earlier write to this file failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::{Algorithm, Checks, Expected};
    use sha2::Digest;

    #[tokio::test]
    async fn every_byte_is_written_once_in_order_and_hashed_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("part");
        // Chunks that fill a buffer exactly, overflow it, and leave a remainder.
        let body: Vec<u8> = (0..10_000u32).map(|index| (index % 251) as u8).collect();
        let sha256 = format!("{:x}", sha2::Sha256::digest(&body));
        let checks = Checks {
            expected: Expected::from_hex(Algorithm::Sha256, &sha256),
            sha256: true,
        };
        std::fs::write(&path, b"kept").expect("prefix");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        io::Seek::seek(&mut file, io::SeekFrom::End(0)).expect("seek");
        let mut writer = BodyWriter::with_capacity(file, BodyHasher::new(checks), 1_000);
        for chunk in body.chunks(1_000).chain([&[][..]]) {
            writer.write(chunk).await.expect("write");
        }
        writer.flush().await.expect("flush");
        let digest = writer
            .into_hasher()
            .expect("flushed")
            .finish()
            .expect("digest matches");
        assert_eq!(digest.sha256.as_deref(), Some(sha256.as_str()));
        let written = std::fs::read(&path).expect("read");
        assert_eq!(&written[..4], b"kept");
        assert_eq!(&written[4..], &body[..]);
    }

    #[tokio::test]
    async fn a_body_in_uneven_chunks_arrives_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("part");
        let body: Vec<u8> = (0..7_777u32).map(|index| (index % 13) as u8).collect();
        let file = File::create(&path).expect("create");
        let mut writer = BodyWriter::with_capacity(file, BodyHasher::new(Checks::default()), 4_096);
        for chunk in body.chunks(333) {
            writer.write(chunk).await.expect("write");
        }
        writer.flush().await.expect("flush");
        assert_eq!(std::fs::read(&path).expect("read"), body);
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_and_nothing_more_is_taken() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("part");
        std::fs::write(&path, b"").expect("create");
        // Open for reading only: every write fails.
        let file = File::open(&path).expect("open");
        let mut writer = BodyWriter::with_capacity(file, BodyHasher::new(Checks::default()), 8);
        writer.write(&[1; 8]).await.expect("handed to the pool");
        let error = writer.flush().await.expect_err("the write fails");
        assert_eq!(error.raw_os_error(), Some(9), "{error}"); // EBADF
        assert!(writer.write(&[2; 8]).await.is_err());
        assert!(writer.flush().await.is_err());
        assert!(writer.into_hasher().is_err());
    }
}
