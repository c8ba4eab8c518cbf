//! Retrying transient failures: dropped or refused connections, stalled bodies and
//! the statuses a busy or restarting server sends (408, 425, 429, 500, 502, 503,
//! 504). Any other 4xx, a redirect loop or a local I/O error is final at once.
//!
//! The wait before attempt `n + 1` is "full jitter" exponential backoff: a uniformly
//! random time in `[0, min(max_wait, base_wait · 2^(n-1)))`, so that many transfers
//! failing together do not come back together. A `Retry-After` header (seconds or an
//! HTTP date) replaces the random wait, cut to `max_wait` so a server cannot park a
//! run for hours. A 429 or 503 also slows the whole host: every transfer to it waits
//! until the same instant before its next request ([`HostPacer`]).
//!
//! The policy lives here ([`RetryPolicy`], [`is_transient`], and the state a retry
//! loop counts with); the loops are the callers': a file's is
//! [`crate::transfer::download_with_retries`], whose every retry continues the
//! partial file of the failed attempt, so a connection that drops at 90 % costs 10 %.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::TransferError;

/// Retries after a too-slow attempt (`--speed-limit`): one, on a new connection, which
/// may take another route or reach another server worker. A server that is slow
/// again is slow: further retries would each cost `--speed-time` and make no real
/// progress, and attempts that make *some* progress do not use up `--retries`.
pub const TOO_SLOW_RETRIES: u32 = 1;

/// How many times, and how patiently, a failed transfer is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `retries + 1` requests at most).
    pub retries: u32,
    /// Upper bound of the first random wait; it doubles with each failure.
    pub base_wait: Duration,
    /// Longest single wait, `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            base_wait: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failed attempts (1 for the first), for a uniformly
    /// random `fraction` in `[0, 1)`.
    pub fn backoff(&self, failures: u32, fraction: f64) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        let ceiling = self
            .base_wait
            .saturating_mul(1 << doublings)
            .min(self.max_wait);
        ceiling.mul_f64(fraction.clamp(0.0, 1.0))
    }
}

/// Whether trying again may succeed.
pub fn is_transient(error: &TransferError) -> bool {
    match error {
        TransferError::Request(error) => {
            !error.is_redirect()
                && !error.is_builder()
                && !crate::error::is_certificate_error(error)
        }
        TransferError::Status { status, .. } => is_transient_status(*status),
        // The partial file was dropped; a fresh attempt may get a consistent body.
        TransferError::TooLong { .. } => true,
        TransferError::ReadTimeout(_) | TransferError::Truncated { .. } => true,
        // A new connection may be faster; how often is [`TOO_SLOW_RETRIES`]'s.
        TransferError::TooSlow { .. } => true,
        // The partial file is gone; the next attempt starts clean.
        TransferError::Changed { .. } | TransferError::RangesIgnored => true,
        TransferError::Ftp(failure) => failure.transient,
        TransferError::Io { .. }
        | TransferError::UnexpectedPartial { .. }
        | TransferError::UnaskedNotModified
        | TransferError::GaveUp { .. }
        | TransferError::Checksum(_)
        | TransferError::Interrupted => false,
    }
}

/// The statuses of a busy or restarting server: 408, 425, 429, 500, 502, 503, 504.
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

/// A 429 or 503 says the host as a whole is overloaded, not just this file.
pub(crate) fn slows_host(error: &TransferError) -> bool {
    matches!(
        error,
        TransferError::Status { status, .. }
            if *status == StatusCode::TOO_MANY_REQUESTS || *status == StatusCode::SERVICE_UNAVAILABLE
    )
}

/// The `Retry-After` of a response, in seconds or as an HTTP date (a date in the past
/// means now).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A "not before" instant per host, shared by every transfer of a run: after a 429 or
/// 503, no request goes to that host until the wait is over.
#[derive(Debug, Default)]
pub struct HostPacer {
    hosts: Mutex<HashMap<String, Instant>>,
}

impl HostPacer {
    /// Waits until `host` may be asked again.
    pub async fn wait(&self, host: &str, cancel: &CancellationToken) -> Result<(), TransferError> {
        loop {
            let until = self.hosts().get(host).copied();
            match until {
                Some(until) if until > Instant::now() => {
                    tokio::select! {
                        () = cancel.cancelled() => return Err(TransferError::Interrupted),
                        () = tokio::time::sleep_until(until) => {}
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Holds back every request to `host` for `delay` from now (never shortening a
    /// longer wait already set).
    pub fn slow_down(&self, host: &str, delay: Duration) {
        let until = Instant::now() + delay;
        let mut hosts = self.hosts();
        let entry = hosts.entry(host.to_string()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// The hosts' instants, locked. Nothing panics while holding them, so a
    /// poisoned lock still holds consistent instants.
    fn hosts(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The bytes an attempt must bring for its failure not to count against
/// `--retries`. Any byte at all would let a server that sends a few bytes an
/// answer (a dribble, a `Content-Length` larger than what follows) keep the file
/// retried for ever: a megabyte at one byte an attempt is a million attempts.
const PROGRESS_BYTES: u64 = 64 * 1024;

/// What a retry loop counts for one file (or one segment of a split file): pure
/// state the caller loops on, asking after each failure whether to try again and
/// how long to wait first.
#[derive(Debug, Clone)]
pub(crate) struct RetryState {
    policy: RetryPolicy,
    /// Attempts made and failed so far.
    attempts: u32,
    /// Failures in a row without [`PROGRESS_BYTES`] of progress: a long file on a
    /// connection that drops every few minutes keeps going, a dead server does
    /// not, nor one that sends a few bytes an answer.
    failures: u32,
    /// Attempts that were too slow ([`TOO_SLOW_RETRIES`]), progress or not.
    too_slow: u32,
}

impl RetryState {
    /// No attempt made yet.
    pub(crate) fn new(policy: RetryPolicy) -> RetryState {
        RetryState {
            policy,
            attempts: 0,
            failures: 0,
            too_slow: 0,
        }
    }

    /// Counts an attempt that failed with `error` after bringing `progress` bytes;
    /// true when another attempt may follow.
    pub(crate) fn may_retry(&mut self, error: &TransferError, progress: u64) -> bool {
        self.attempts += 1;
        self.failures = if progress >= PROGRESS_BYTES {
            1
        } else {
            self.failures + 1
        };
        if matches!(error, TransferError::TooSlow { .. }) {
            self.too_slow += 1;
        }
        is_transient(error)
            && self.failures <= self.policy.retries
            && self.too_slow <= TOO_SLOW_RETRIES
    }

    /// The attempts counted so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The failures in a row without progress so far.
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait before the next attempt after `error`: the server's `Retry-After`
    /// cut to `--retry-wait`, else full-jitter backoff ([`delay_after`]).
    pub(crate) fn wait(&self, error: &TransferError) -> Duration {
        delay_after(error, self.failures, self.policy)
    }

    /// The full-jitter backoff before the next attempt, whatever the server said.
    pub(crate) fn backoff(&self) -> Duration {
        self.policy.backoff(self.failures, random_fraction())
    }
}

/// A uniformly random number in `[0, 1)`. Jitter needs no strong randomness: std's
/// per-instance random SipHash keys are enough, and spare a dependency.
pub(crate) fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |time| time.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1_u64 << 53) as f64
}

/// The error a file fails with after `attempts`: the last one, said to be the last
/// of several when there were retries.
pub(crate) fn gave_up(attempts: u32, error: TransferError) -> TransferError {
    if attempts > 1 {
        TransferError::GaveUp {
            attempts,
            last: Box::new(error),
        }
    } else {
        error
    }
}

/// The wait before the next attempt after `error`, the `failures`-th in a row: the
/// server's `Retry-After` cut to `--retry-wait`, else full-jitter backoff.
pub(crate) fn delay_after(error: &TransferError, failures: u32, policy: RetryPolicy) -> Duration {
    match error {
        TransferError::Status {
            retry_after: Some(wait),
            ..
        } => (*wait).min(policy.max_wait),
        _ => policy.backoff(failures, random_fraction()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let policy = RetryPolicy {
            retries: 5,
            base_wait: Duration::from_millis(500),
            max_wait: Duration::from_secs(3),
        };
        let half = |failures| policy.backoff(failures, 0.5).as_millis();
        assert_eq!(half(1), 250);
        assert_eq!(half(2), 500);
        assert_eq!(half(3), 1000);
        assert_eq!(half(4), 1500);
        assert_eq!(half(40), 1500);
        assert_eq!(policy.backoff(3, 0.0), Duration::ZERO);
        for _ in 0..100 {
            let fraction = random_fraction();
            assert!((0.0..1.0).contains(&fraction), "{fraction}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let soon = SystemTime::now() + Duration::from_secs(120);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(soon)).expect("date"),
        );
        let wait = retry_after(&headers).expect("a date");
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("later"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let status = |code| TransferError::Status {
            status: StatusCode::from_u16(code).expect("status"),
            redirected_to: None,
            retry_after: None,
        };
        for code in [408, 425, 429, 500, 502, 503, 504] {
            assert!(is_transient(&status(code)), "{code}");
        }
        for code in [400, 401, 403, 404, 410, 416, 501] {
            assert!(!is_transient(&status(code)), "{code}");
        }
        assert!(is_transient(&TransferError::ReadTimeout(
            Duration::from_secs(1)
        )));
        assert!(!is_transient(&TransferError::Interrupted));
    }

    #[tokio::test]
    async fn a_slowed_host_holds_back_every_request() {
        let pacer = HostPacer::default();
        let cancel = CancellationToken::new();
        let start = Instant::now();
        pacer.slow_down("h", Duration::from_millis(200));
        // A shorter wait does not shorten the longer one.
        pacer.slow_down("h", Duration::from_millis(1));
        pacer.wait("h", &cancel).await.expect("waited");
        assert!(Instant::now() >= start + Duration::from_millis(200));

        pacer.slow_down("h", Duration::from_secs(60));
        cancel.cancel();
        assert!(matches!(
            pacer.wait("h", &cancel).await,
            Err(TransferError::Interrupted)
        ));
    }
}
