//! A raw HTTP/1.1 server for answers a well-behaved server library refuses to send:
//! a `Content-Length` beside `Transfer-Encoding: chunked` that lies, or a body
//! that ends only when the connection closes. Every answer is written by hand and
//! the body bytes written are counted.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What the server answers for one path.
#[derive(Debug, Clone)]
pub enum RawAnswer {
    /// A small HTML page (with a correct Content-Length).
    Html(String),
    /// `Transfer-Encoding: chunked` and `Content-Length: announced`, then `total`
    /// body bytes in chunks.
    ChunkedWithLength { announced: usize, total: usize },
    /// No Content-Length, no chunking (HTTP/1.0 style): `total` body bytes, then
    /// the connection closes.
    UntilClose { total: usize },
}

/// The server; it stops accepting when dropped.
pub struct RawServer {
    address: SocketAddr,
    sent: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    /// Serves `answers` (path → answer); any other path is a 404.
    pub fn start(answers: Vec<(&'static str, RawAnswer)>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let sent = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(answers);
        {
            let sent = Arc::clone(&sent);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let answers = Arc::clone(&answers);
                    let sent = Arc::clone(&sent);
                    let stop = Arc::clone(&stop);
                    std::thread::spawn(move || serve(stream, &answers, &sent, &stop));
                }
            });
        }
        RawServer {
            address,
            sent,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Body bytes written to the connections so far.
    pub fn body_bytes_sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_millis(100));
    }
}

fn serve(
    stream: TcpStream,
    answers: &[(&'static str, RawAnswer)],
    sent: &AtomicUsize,
    stop: &AtomicBool,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        let answer = answers
            .iter()
            .find(|(known, _)| *known == path)
            .map(|(_, answer)| answer.clone());
        let keep_going = match answer {
            None => writer
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .is_ok(),
            Some(RawAnswer::Html(html)) => writer
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{html}",
                        html.len()
                    )
                    .as_bytes(),
                )
                .is_ok(),
            Some(RawAnswer::ChunkedWithLength { announced, total }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                     content-length: {announced}\r\ntransfer-encoding: chunked\r\n\r\n"
                );
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let piece = vec![b'y'; 64 * 1024];
                let mut left = total;
                while left > 0 && !stop.load(Ordering::SeqCst) {
                    let size = left.min(piece.len());
                    let frame = [
                        format!("{size:x}\r\n").as_bytes(),
                        &piece[..size],
                        b"\r\n",
                    ]
                    .concat();
                    if writer.write_all(&frame).is_err() {
                        return;
                    }
                    sent.fetch_add(size, Ordering::SeqCst);
                    left -= size;
                }
                let _ = writer.write_all(b"0\r\n\r\n");
                true
            }
            Some(RawAnswer::UntilClose { total }) => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                            connection: close\r\n\r\n";
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let piece = vec![b'z'; 64 * 1024];
                let mut left = total;
                while left > 0 && !stop.load(Ordering::SeqCst) {
                    let size = left.min(piece.len());
                    if writer.write_all(&piece[..size]).is_err() {
                        return;
                    }
                    sent.fetch_add(size, Ordering::SeqCst);
                    left -= size;
                }
                false
            }
        };
        if !keep_going {
            return;
        }
    }
}
