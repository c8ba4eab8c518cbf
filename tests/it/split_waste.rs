//! Split downloads without waste: the bytes a server actually sends for a split
//! file stay within 2% of its size, and no range asked for is cut short, even when
//! a slow segment is shared with a connection that is done.
//!
//! The server here is a small HTTP/1.1 server on a raw socket, sending each body in
//! bursts with a pause between them, as a rate-limited nginx does: it counts the
//! bytes each write handed to the kernel, which is what the server pays for (and
//! what nginx's `$bytes_sent` counts), whether or not the client read them.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::harness::{self, Ending};
use crate::support::tree::{pseudo_random_bytes, read_tree};

/// One request the server answered: the range asked for and the body bytes sent.
#[derive(Debug, Clone)]
struct Served {
    /// `(first, last)` of `Range: bytes=first-last`, `None` for no Range.
    range: Option<(u64, Option<u64>)>,
    /// Body bytes the answer announced.
    announced: u64,
    /// Body bytes written to the socket before it ended or failed.
    sent: u64,
}

/// How the server paces one answer: `burst` bytes, then `pause`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    burst: usize,
    pause: Duration,
}

struct BurstServer {
    port: u16,
    served: Arc<Mutex<Vec<Served>>>,
}

impl BurstServer {
    /// Serves `contents` as `/big.bin`; ranges starting at `slow_start` are paced
    /// by `slow`, every other answer by `fast`.
    fn start(contents: Vec<u8>, fast: Pace, slow_start: Option<u64>, slow: Pace) -> BurstServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let served = Arc::new(Mutex::new(Vec::new()));
        let contents = Arc::new(contents);
        let log = Arc::clone(&served);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (contents, log) = (Arc::clone(&contents), Arc::clone(&log));
                std::thread::spawn(move || {
                    let _ = serve_connection(stream, &contents, &log, fast, slow_start, slow);
                });
            }
        });
        BurstServer { port, served }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/big.bin", self.port)
    }

    fn served(&self) -> Vec<Served> {
        // Let the last answer's thread record what it sent.
        std::thread::sleep(Duration::from_millis(100));
        self.served.lock().expect("log").clone()
    }
}

/// Answers the requests of one kept-alive connection until it closes.
fn serve_connection(
    stream: TcpStream,
    contents: &[u8],
    log: &Mutex<Vec<Served>>,
    fast: Pace,
    slow_start: Option<u64>,
    slow: Pace,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let total = contents.len() as u64;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let head = line.starts_with("HEAD ");
        let mut range = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            if name.eq_ignore_ascii_case("range") {
                range = parse_range(value.trim());
            }
        }
        let (first, last, status) = match range {
            Some((first, last)) => (
                first,
                last.unwrap_or(total - 1).min(total - 1),
                "206 Partial Content",
            ),
            None => (0, total - 1, "200 OK"),
        };
        let length = last + 1 - first;
        let mut answer = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {length}\r\nAccept-Ranges: bytes\r\n\
             ETag: \"v1\"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
             Content-Type: application/octet-stream\r\n"
        );
        if range.is_some() {
            answer += &format!("Content-Range: bytes {first}-{last}/{total}\r\n");
        }
        answer += "\r\n";
        writer.write_all(answer.as_bytes())?;
        if head {
            continue;
        }
        let pace = match (range, slow_start) {
            (Some((start, _)), Some(slow_start)) if start == slow_start => slow,
            _ => fast,
        };
        let body = &contents[first as usize..=last as usize];
        let mut sent = 0_u64;
        let mut result = Ok(());
        for burst in body.chunks(pace.burst) {
            if let Err(error) = writer.write_all(burst) {
                result = Err(error);
                break;
            }
            sent += burst.len() as u64;
            std::thread::sleep(pace.pause);
        }
        log.lock().expect("log").push(Served {
            range,
            announced: length,
            sent,
        });
        result?;
    }
}

fn parse_range(value: &str) -> Option<(u64, Option<u64>)> {
    let (first, last) = value.strip_prefix("bytes=")?.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()))
}

/// `url` into `work/out`, split in four from 256 KiB, with quick retries.
fn split_options(url: String, work: &Path) -> fetchall::Options {
    let mut options = harness::options([url], &work.join("out"));
    options.split = fetchall::SplitPolicy {
        max_segments: 4,
        min_segment_size: 256 * 1024,
    };
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options
}

/// Downloads the file from `server` split in four and checks the bytes, the bytes
/// served (at most 2% more than the file) and that every range asked for was sent
/// to its end.
fn fetch_and_count(server: &BurstServer, contents: &[u8]) -> Vec<Served> {
    let work = tempfile::tempdir().expect("temp dir");
    let run = harness::mirror(&split_options(server.url(), work.path()));
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
    let tree = read_tree(&work.path().join("out"));
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        ["big.bin"],
        "no part files"
    );
    assert!(tree["big.bin"] == contents, "bytes differ");
    let served = server.served();
    let ranged: Vec<&Served> = served.iter().filter(|s| s.range.is_some()).collect();
    assert!(ranged.len() >= 3, "the file was split: {served:?}");
    // Every range is closed and was sent whole: the client never stopped reading
    // one early, so the server never sent bytes past what was kept.
    for answer in &ranged {
        assert!(
            answer.range.is_some_and(|(_, last)| last.is_some()),
            "open range: {served:?}"
        );
        assert_eq!(answer.sent, answer.announced, "a range was cut: {served:?}");
    }
    let sent: u64 = served.iter().map(|answer| answer.sent).sum();
    let size = contents.len() as u64;
    assert!(
        sent * 100 <= size * 102,
        "{sent} bytes sent for a file of {size}: {served:?}"
    );
    served
}

/// 25 MB/s per connection, in bursts of 64 KiB.
const FAST: Pace = Pace {
    burst: 64 * 1024,
    pause: Duration::from_millis(2),
};

#[test]
fn a_split_download_is_served_at_most_two_percent_more_than_the_file() {
    let contents = pseudo_random_bytes(41, 16_000_000);
    let server = BurstServer::start(contents.clone(), FAST, None, FAST);
    fetch_and_count(&server, &contents);
}

#[test]
fn a_slow_segment_is_shared_without_cutting_its_range() {
    let contents = pseudo_random_bytes(42, 16_000_000);
    // The first range of the second segment trickles (~1 MB/s); the others are done
    // long before it, and take over what it has not asked for.
    let slow = Pace {
        burst: 32 * 1024,
        pause: Duration::from_millis(30),
    };
    let server = BurstServer::start(contents.clone(), FAST, Some(4_000_000), slow);
    let served = fetch_and_count(&server, &contents);
    let mut starts: Vec<u64> = served
        .iter()
        .filter_map(|answer| answer.range.map(|(first, _)| first))
        .collect();
    starts.sort_unstable();
    assert!(
        starts
            .iter()
            .any(|start| *start > 4_000_000 && *start < 8_000_000),
        "no part of the slow segment was shared: {served:?}"
    );
    starts.dedup();
    assert_eq!(
        starts.len(),
        served
            .iter()
            .filter(|answer| answer.range.is_some())
            .count(),
        "a range was asked twice: {served:?}"
    );
}
