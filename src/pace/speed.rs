//! The low-speed cut-off (`--speed-limit`, `--speed-time`), as curl's
//! `--speed-limit/--speed-time` and aria2's `--lowest-speed-limit`: a body that
//! arrives slower than `limit` bytes per second, measured over a sliding window of
//! `time`, fails. The read timeout alone cannot end a body that trickles: every byte
//! resets it.
//!
//! The measure starts once the body does (the wait for the answer's headers is the
//! read timeout's job) and only the time spent waiting for the network counts: time
//! held back by `--limit-rate` or spent writing to disk is not the server's
//! slowness. Nothing is judged before the first `time` of a body has passed.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::TransferError;

/// How often a body that sends nothing is looked at once it can be judged.
const TICK: Duration = Duration::from_millis(250);
/// Samples closer together than this are merged: a window holds at most
/// `time / SAMPLE_SPACING` of them, however fast the body.
const SAMPLE_SPACING: Duration = Duration::from_millis(100);

/// The slowest a body may be: `limit` bytes per second over any `time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowSpeed {
    /// Bytes per second; 0 turns the cut-off off.
    pub limit: u64,
    /// The window the rate is measured over, and the grace at the start of a body.
    pub time: Duration,
}

impl Default for LowSpeed {
    /// 1 KiB/s over 20 s: a dead or trickling server fails within 20 s, and with the
    /// one retry a too-slow transfer gets (see the retry policy), a page or a file
    /// that trickles ends within a minute with the default retry settings.
    fn default() -> Self {
        LowSpeed {
            limit: 1024,
            time: Duration::from_secs(20),
        }
    }
}

impl LowSpeed {
    /// No cut-off.
    pub const OFF: LowSpeed = LowSpeed {
        limit: 0,
        time: Duration::from_secs(1),
    };

    fn enabled(&self) -> bool {
        self.limit > 0 && !self.time.is_zero()
    }
}

/// Why the next chunk of a body did not come.
#[derive(Debug)]
pub(crate) enum ChunkError {
    /// Ctrl-C.
    Interrupted,
    /// Nothing arrived for the read timeout.
    ReadTimeout(Duration),
    /// The body is slower than `--speed-limit` over `--speed-time`.
    TooSlow(LowSpeed),
    /// The connection failed.
    Request(reqwest::Error),
    /// A plain byte stream (an FTP data connection) failed.
    Io(std::io::Error),
}

impl From<ChunkError> for TransferError {
    fn from(error: ChunkError) -> TransferError {
        match error {
            ChunkError::Interrupted => TransferError::Interrupted,
            ChunkError::ReadTimeout(timeout) => TransferError::ReadTimeout(timeout),
            ChunkError::TooSlow(low_speed) => TransferError::TooSlow {
                limit: low_speed.limit,
                time: low_speed.time,
            },
            ChunkError::Request(error) => TransferError::Request(error),
            ChunkError::Io(error) => TransferError::Ftp(crate::error::FtpFailure {
                message: format!("the data connection failed: {error}"),
                transient: true,
            }),
        }
    }
}

/// The bytes one body received over the network time spent waiting for them.
#[derive(Debug)]
pub(crate) struct SpeedMeter {
    low_speed: LowSpeed,
    /// Time spent waiting for the network since the body started.
    waited: Duration,
    /// Bytes received so far.
    total: u64,
    /// `(waited, total)` at some moments of the last window, oldest first; the first
    /// one is at or before the window's start (or absent: 0 bytes at 0).
    samples: VecDeque<(Duration, u64)>,
}

impl SpeedMeter {
    pub(crate) fn new(low_speed: LowSpeed) -> SpeedMeter {
        SpeedMeter {
            low_speed,
            waited: Duration::ZERO,
            total: 0,
            samples: VecDeque::new(),
        }
    }

    fn record(&mut self, bytes: usize) {
        self.total += bytes as u64;
        let now = (self.waited, self.total);
        let len = self.samples.len();
        if len >= 2 && self.waited.saturating_sub(self.samples[len - 2].0) < SAMPLE_SPACING {
            self.samples[len - 1] = now;
        } else {
            self.samples.push_back(now);
        }
    }

    /// `Err` when the last window received less than the limit allows.
    fn check(&mut self) -> Result<(), ChunkError> {
        if !self.low_speed.enabled() || self.waited < self.low_speed.time {
            return Ok(());
        }
        let window_start = self.waited - self.low_speed.time;
        while self
            .samples
            .get(1)
            .is_some_and(|&(at, _)| at <= window_start)
        {
            self.samples.pop_front();
        }
        let base = match self.samples.front() {
            Some(&(at, total)) if at <= window_start => total,
            _ => 0,
        };
        let needed = self.low_speed.limit as f64 * self.low_speed.time.as_secs_f64();
        if ((self.total - base) as f64) < needed {
            return Err(ChunkError::TooSlow(self.low_speed));
        }
        Ok(())
    }

    /// How long to wait for bytes before looking at the rate again.
    fn next_look(&self) -> Option<Duration> {
        if !self.low_speed.enabled() {
            return None;
        }
        Some(self.low_speed.time.saturating_sub(self.waited).max(TICK))
    }
}

/// The next chunk of `response`'s body: `Ok(None)` at its end. Fails when nothing
/// arrives for `read_timeout`, when the body is slower than the meter allows, or on
/// Ctrl-C.
pub(crate) async fn next_chunk(
    response: &mut reqwest::Response,
    meter: &mut SpeedMeter,
    read_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Option<bytes::Bytes>, ChunkError> {
    let silent_until = Instant::now() + read_timeout;
    loop {
        let Some(chunk) =
            paced(response.chunk(), meter, silent_until, read_timeout, cancel).await?
        else {
            continue;
        };
        let chunk = chunk.map_err(|error| {
            // reqwest's own read timeout fires before ours: the same words.
            if error.is_timeout() && !error.is_connect() {
                ChunkError::ReadTimeout(read_timeout)
            } else {
                ChunkError::Request(error)
            }
        })?;
        if let Some(chunk) = &chunk {
            meter.record(chunk.len());
        }
        meter.check()?;
        return Ok(chunk);
    }
}

/// [`next_chunk`] for a body read from a plain byte stream (an FTP data
/// connection): the next bytes into `buffer`, their count, `Ok(0)` at its end.
/// The same read timeout, low-speed rule and Ctrl-C; a failed read is
/// [`ChunkError::Io`].
pub(crate) async fn next_read<R>(
    reader: &mut R,
    buffer: &mut [u8],
    meter: &mut SpeedMeter,
    read_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<usize, ChunkError>
where
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt;
    let silent_until = Instant::now() + read_timeout;
    loop {
        // `read` is cancel-safe: a read the timer cut short took no bytes.
        let read = paced(
            reader.read(buffer),
            meter,
            silent_until,
            read_timeout,
            cancel,
        );
        let Some(read) = read.await? else {
            continue;
        };
        let count = read.map_err(ChunkError::Io)?;
        meter.record(count);
        meter.check()?;
        return Ok(count);
    }
}

/// One wait for `read`, the rules of [`next_chunk`] around it: `Some` with what it
/// gave, or `None` when the meter wanted a look first (the read is dropped and asked
/// again); an error on Ctrl-C, once nothing came by `silent_until`, or when the body
/// is slower than the meter allows.
async fn paced<T>(
    read: impl Future<Output = T>,
    meter: &mut SpeedMeter,
    silent_until: Instant,
    read_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Option<T>, ChunkError> {
    let started = Instant::now();
    let look = meter
        .next_look()
        .map_or(silent_until, |wait| (started + wait).min(silent_until));
    let read = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(ChunkError::Interrupted),
        read = read => Some(read),
        () = tokio::time::sleep_until(look) => None,
    };
    meter.waited += started.elapsed();
    if read.is_none() {
        if Instant::now() >= silent_until {
            return Err(ChunkError::ReadTimeout(read_timeout));
        }
        meter.check()?;
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(limit: u64, secs: u64) -> SpeedMeter {
        SpeedMeter::new(LowSpeed {
            limit,
            time: Duration::from_secs(secs),
        })
    }

    /// Feeds `bytes` after `wait` of network time.
    fn feed(meter: &mut SpeedMeter, wait_ms: u64, bytes: usize) -> Result<(), ChunkError> {
        meter.waited += Duration::from_millis(wait_ms);
        meter.record(bytes);
        meter.check()
    }

    #[test]
    fn nothing_is_judged_before_the_first_window() {
        let mut slow = meter(1000, 2);
        assert!(feed(&mut slow, 1900, 1).is_ok());
        assert!(matches!(
            feed(&mut slow, 200, 1),
            Err(ChunkError::TooSlow(LowSpeed { limit: 1000, .. }))
        ));
    }

    #[test]
    fn a_steady_body_above_the_limit_passes_and_a_slowdown_fails() {
        let mut steady = meter(1000, 2);
        // 1,200 bytes a second, in 10 pieces a second, for 10 s.
        for _ in 0..100 {
            feed(&mut steady, 100, 120).expect("fast enough");
        }
        assert!(steady.samples.len() <= 25, "{}", steady.samples.len());
        // Then 500 bytes a second: the window forgets the fast start.
        let mut failed = false;
        for _ in 0..40 {
            if feed(&mut steady, 100, 50).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "a window of 500 B/s passed a limit of 1000 B/s");
    }

    #[test]
    fn off_never_fails() {
        let mut off = SpeedMeter::new(LowSpeed::OFF);
        for _ in 0..100 {
            feed(&mut off, 1000, 0).expect("off");
        }
        assert_eq!(off.next_look(), None);
    }
}
