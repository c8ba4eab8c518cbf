//! What a data connection brings that is read whole — a folder's listing, a
//! small file — read within two bounds: no more than a limit in all (a listing
//! is a page, and a page has a size limit), and no pause longer than the read
//! timeout (a slow but steady answer is not cut short for taking long).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::FtpFailure;

/// Bytes asked of the data connection at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// Reads `data` to its end: at most `limit` bytes, each read within `idle`.
/// `what` names the command in errors (`LIST /pub`).
pub(crate) async fn read_to_end(
    data: &mut (impl AsyncRead + Unpin),
    what: &str,
    limit: u64,
    idle: Duration,
) -> Result<Vec<u8>, FtpFailure> {
    let failed = |message: String| FtpFailure {
        message,
        transient: true,
    };
    let mut body = Vec::new();
    let mut chunk = vec![0_u8; CHUNK_BYTES];
    loop {
        let read = match tokio::time::timeout(idle, data.read(&mut chunk)).await {
            Ok(Ok(read)) => read,
            Ok(Err(error)) => {
                return Err(failed(format!(
                    "the data connection of {what} failed: {error}"
                )));
            }
            Err(_) => {
                let secs = idle.as_secs_f64();
                return Err(failed(format!("no data received for {secs} s ({what})")));
            }
        };
        if read == 0 {
            return Ok(body);
        }
        if body.len() as u64 + read as u64 > limit {
            return Err(FtpFailure {
                message: format!("{what} sent more than {limit} bytes"),
                transient: false,
            });
        }
        body.extend_from_slice(&chunk[..read]);
    }
}

/// The lines of a listing as suppaftp splits them: at each `\n`, a final `\r`
/// dropped, empty lines left out, decoded as UTF-8 (lossy).
pub(crate) fn lines(listing: &[u8]) -> Vec<String> {
    listing
        .split(|byte| *byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_steady_answer_is_read_whole_and_a_large_one_is_cut() {
        // Slow in all (four pauses of 40 ms against an idle limit of 100 ms), but
        // never idle for long: read to its end.
        let (mut server, mut client) = tokio::io::duplex(16);
        let writing = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for line in ["a\r\n", "\r\n", "b\n", "c"] {
                tokio::time::sleep(Duration::from_millis(40)).await;
                server.write_all(line.as_bytes()).await.expect("write");
            }
        });
        let idle = Duration::from_millis(100);
        let read = read_to_end(&mut client, "LIST /", 100, idle).await;
        writing.await.expect("writer");
        assert_eq!(lines(&read.expect("read")), ["a", "b", "c"]);

        let mut big: &[u8] = &[b'x'; 101];
        let cut = read_to_end(&mut big, "LIST /", 100, idle).await;
        let failure = cut.expect_err("more than the limit");
        assert_eq!(failure.message, "LIST / sent more than 100 bytes");
        assert!(!failure.transient);

        // Silent for longer than the idle limit: a transient failure.
        let (_server, mut silent) = tokio::io::duplex(16);
        let failure = read_to_end(&mut silent, "MLSD /", 100, idle)
            .await
            .expect_err("silent");
        assert!(
            failure.message.starts_with("no data received"),
            "{}",
            failure.message
        );
        assert!(failure.transient);
    }
}
