//! A TCP proxy that adds latency the way a long link does, for the benchmark.
//!
//! The kernel on the benchmark machines has no `netem`, so the benchmark puts this
//! proxy between each tool and nginx. Every chunk read from one side is stamped with
//! the time it arrived and written to the other side `rtt / 2` later. Reading and
//! writing are separate tasks joined by a queue (a *delay line*), so the proxy keeps
//! reading while earlier chunks wait: throughput is not capped by the delay, only
//! shifted in time, as on a real link with a large enough window.
//!
//! Connection setup is delayed too: the proxy waits `connect_delay` after accepting
//! before it connects upstream and starts reading the client, so a request on a new
//! connection costs `connect_delay` more than one on a kept-alive connection. TLS is
//! just bytes here, so its handshake round trips pay the delay like any others.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, sleep, sleep_until};

/// Largest single read from a socket.
const CHUNK: usize = 64 * 1024;

/// How the proxy delays traffic.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to forward each accepted connection.
    pub upstream: SocketAddr,
    /// Round-trip time added: each direction is delayed by half of it.
    pub rtt: Duration,
    /// Extra wait before a new connection carries data (models the TCP handshake).
    pub connect_delay: Duration,
    /// Bytes that may be in flight in one direction of one connection (the link's
    /// buffer); a reader waits when it is full, which is the back-pressure.
    pub in_flight: usize,
}

impl Config {
    /// A proxy to `upstream` adding `rtt`, with the connection setup delayed by
    /// `rtt / 2` and 64 MiB in flight per direction.
    #[must_use]
    pub fn new(upstream: SocketAddr, rtt: Duration) -> Self {
        Config {
            upstream,
            rtt,
            connect_delay: rtt / 2,
            in_flight: 64 * 1024 * 1024,
        }
    }

    /// Sets the wait before a new connection carries data.
    #[must_use]
    pub fn with_connect_delay(mut self, delay: Duration) -> Self {
        self.connect_delay = delay;
        self
    }
}

/// Accepts connections on `listener` forever, proxying each one with `config`.
pub async fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    let config = Arc::new(config);
    loop {
        let (client, _) = listener.accept().await?;
        let config = Arc::clone(&config);
        tokio::spawn(async move {
            // A failed connection is that connection's business: the peer sees it
            // closed, and the proxy goes on serving the others.
            let _ = proxy_connection(client, &config).await;
        });
    }
}

/// Proxies one connection until both directions are closed or one fails.
async fn proxy_connection(client: TcpStream, config: &Config) -> io::Result<()> {
    client.set_nodelay(true)?;
    sleep(config.connect_delay).await;
    let upstream = TcpStream::connect(config.upstream).await?;
    upstream.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    let one_way = config.rtt / 2;
    tokio::try_join!(
        delay_line(client_read, upstream_write, one_way, config.in_flight),
        delay_line(upstream_read, client_write, one_way, config.in_flight),
    )?;
    Ok(())
}

/// A chunk on its way, and the time it may leave. `None` is the end of the stream.
struct InFlight {
    due: Instant,
    data: Option<Bytes>,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Copies `from` to `to`, each chunk leaving `delay` after it arrived. An end of
/// stream is forwarded (as a write shutdown) with the same delay.
async fn delay_line(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay: Duration,
    in_flight: usize,
) -> io::Result<()> {
    let (sender, mut receiver) = mpsc::unbounded_channel::<InFlight>();
    let budget = Arc::new(Semaphore::new(in_flight));
    let reader = async move {
        let mut buffer = BytesMut::with_capacity(CHUNK);
        loop {
            buffer.reserve(CHUNK);
            let read = from.read_buf(&mut buffer).await?;
            let due = Instant::now() + delay;
            if read == 0 {
                let _ = sender.send(InFlight {
                    due,
                    data: None,
                    _budget: None,
                });
                return Ok::<(), io::Error>(());
            }
            let permit = Arc::clone(&budget)
                .acquire_many_owned(u32::try_from(read).unwrap_or(u32::MAX))
                .await
                .expect("the semaphore is never closed");
            let data = buffer.split().freeze();
            if sender
                .send(InFlight {
                    due,
                    data: Some(data),
                    _budget: Some(permit),
                })
                .is_err()
            {
                // The writer stopped (its side failed); its error is reported there.
                return Ok(());
            }
        }
    };
    let writer = async move {
        while let Some(chunk) = receiver.recv().await {
            sleep_until(chunk.due).await;
            match chunk.data {
                Some(data) => to.write_all(&data).await?,
                None => {
                    to.shutdown().await?;
                    break;
                }
            }
        }
        Ok::<(), io::Error>(())
    };
    tokio::try_join!(reader, writer)?;
    Ok(())
}
