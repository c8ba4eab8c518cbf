//! The proxy adds the round-trip time it is asked for, and does not cap throughput.
//! Run with `cargo test --release` (throughput in a debug build says little).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use latency_proxy::{Config, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts an upstream that echoes every byte back.
async fn start_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let address = listener.local_addr().expect("echo address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                socket.set_nodelay(true).expect("nodelay");
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    address
}

/// Starts an upstream that sends `size` bytes to each connection, then closes.
async fn start_source(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind source");
    let address = listener.local_addr().expect("source address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let block = vec![7u8; 256 * 1024];
                let mut left = size;
                while left > 0 {
                    let n = left.min(block.len());
                    if socket.write_all(&block[..n]).await.is_err() {
                        return;
                    }
                    left -= n;
                }
            });
        }
    });
    address
}

async fn start_proxy(config: Config) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let address = listener.local_addr().expect("proxy address");
    tokio::spawn(serve(listener, config));
    address
}

async fn round_trip(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    stream.write_all(b"x").await.expect("write");
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).await.expect("read");
    started.elapsed()
}

fn assert_near(measured: Duration, expected: Duration, what: &str) {
    let slack = Duration::from_millis(15);
    eprintln!("{what}: {measured:?} (expected {expected:?})");
    assert!(
        measured + Duration::from_millis(1) >= expected && measured <= expected + slack,
        "{what}: {measured:?}, expected {expected:?} (+{slack:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_round_trip_takes_one_rtt() {
    let rtt = Duration::from_millis(100);
    let proxy = start_proxy(Config::new(start_echo().await, rtt)).await;
    let mut stream = TcpStream::connect(proxy).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    // The first exchange also pays for the connection setup (RTT / 2 by default).
    assert_near(
        round_trip(&mut stream).await,
        rtt + rtt / 2,
        "first round trip",
    );
    for attempt in 0..3 {
        assert_near(
            round_trip(&mut stream).await,
            rtt,
            &format!("round trip {attempt}"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_delay_is_configurable() {
    let rtt = Duration::from_millis(60);
    let config = Config::new(start_echo().await, rtt).with_connect_delay(rtt);
    let proxy = start_proxy(config).await;
    let mut stream = TcpStream::connect(proxy).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    assert_near(
        round_trip(&mut stream).await,
        rtt * 2,
        "first round trip, full handshake",
    );
}

async fn download(address: SocketAddr) -> (usize, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buffer).await.expect("read");
        if n == 0 {
            break;
        }
        total += n;
    }
    (total, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_is_not_capped_by_the_delay() {
    const SIZE: usize = 256 * 1024 * 1024;
    let rtt = Duration::from_millis(40);
    let source = start_source(SIZE).await;
    let proxy = start_proxy(Config::new(source, rtt)).await;
    let (direct_bytes, direct_time) = download(source).await;
    let (proxied_bytes, proxied_time) = download(proxy).await;
    assert_eq!(direct_bytes, SIZE);
    assert_eq!(proxied_bytes, SIZE);
    let rate = |time: Duration| SIZE as f64 / time.as_secs_f64() / 1e6;
    eprintln!(
        "direct: {:.0} MB/s; through the proxy at 40 ms RTT: {:.0} MB/s ({proxied_time:?})",
        rate(direct_time),
        rate(proxied_time)
    );
    // A proxy that slept per chunk in series would manage 64 KiB per 20 ms, about
    // 3 MB/s. A delay line keeps the rate of the copy itself.
    assert!(
        rate(proxied_time) > 200.0,
        "proxied rate {:.0} MB/s",
        rate(proxied_time)
    );
}
