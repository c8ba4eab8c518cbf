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
//! Every retry continues the partial file of the failed attempt (see
//! [`crate::disk::resume`]), so a connection that drops at 90 % costs 10 %.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::disk::resume::PartPaths;
use crate::error::TransferError;
use crate::plan::Task;
use crate::select::filter::Filters;
use crate::transfer::{self, Existing, Outcome, Progress, Settings};

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
                && !crate::http::tls::is_certificate_error(error)
        }
        TransferError::Status { status, .. } => is_transient_status(*status),
        // The partial file was dropped; a fresh attempt may get a consistent body.
        TransferError::TooLong { .. } => true,
        TransferError::ReadTimeout(_) | TransferError::Truncated { .. } => true,
        // A new connection may be faster; how often is [`TOO_SLOW_RETRIES`]'s.
        TransferError::TooSlow { .. } => true,
        // The partial file is gone; the next attempt starts clean.
        TransferError::Changed { .. } | TransferError::RangesIgnored => true,
        TransferError::Io { .. }
        | TransferError::UnexpectedPartial { .. }
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
fn slows_host(error: &TransferError) -> bool {
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
            let until = self
                .hosts
                .lock()
                .ok()
                .and_then(|hosts| hosts.get(host).copied());
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
        if let Ok(mut hosts) = self.hosts.lock() {
            let entry = hosts.entry(host.to_string()).or_insert(until);
            *entry = (*entry).max(until);
        }
    }
}

/// Downloads `task` with retries: the whole of what a transfer does.
///
/// The final error of a file that was tried more than once is
/// [`TransferError::GaveUp`], which carries the attempt count and the last error.
#[expect(
    clippy::too_many_arguments,
    reason = "each is a separate concern of the engine; a struct would only rename them"
)]
pub async fn download(
    client: &crate::http::client::HttpClient,
    task: &Task,
    settings: Settings<'_>,
    policy: RetryPolicy,
    pacer: &HostPacer,
    cancel: &CancellationToken,
    filters: &Filters,
    progress: &mut dyn Progress,
) -> Result<Outcome, TransferError> {
    if settings.existing == Existing::Replace {
        // `--force`: bytes kept from an earlier run are not trusted either.
        PartPaths::new(&task.destination).discard().await;
    }
    let host = task.url.host_str().unwrap_or_default();
    let mut progress = StartedOnce {
        inner: progress,
        started: false,
        total: 0,
    };
    let mut attempts: u32 = 0;
    // Failures in a row without a byte of progress: a long file on a connection that
    // drops every few minutes keeps going, a dead server does not.
    let mut failures: u32 = 0;
    let mut too_slow: u32 = 0;
    loop {
        pacer.wait(host, cancel).await?;
        attempts += 1;
        let total_before = progress.total;
        let error = match transfer::download(client, task, settings, cancel, filters, &mut progress)
            .await
        {
            Ok(outcome) => return Ok(outcome),
            Err(error) => error,
        };
        failures = if progress.total > total_before {
            1
        } else {
            failures + 1
        };
        if matches!(error, TransferError::TooSlow { .. }) {
            too_slow += 1;
        }
        if !is_transient(&error) || failures > policy.retries || too_slow > TOO_SLOW_RETRIES {
            return Err(gave_up(attempts, error));
        }
        let delay = delay_after(&error, failures, policy);
        if slows_host(&error) {
            pacer.slow_down(host, delay);
        }
        progress.inner.retrying(attempts + 1, delay, &error);
        tokio::select! {
            () = cancel.cancelled() => return Err(TransferError::Interrupted),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// Passes progress on, but reports the start of a transfer once however many
/// attempts it takes.
struct StartedOnce<'a> {
    inner: &'a mut dyn Progress,
    started: bool,
    /// Bytes of the file on disk, as last reported.
    total: u64,
}

impl Progress for StartedOnce<'_> {
    fn started(&mut self, size: Option<u64>) {
        if !self.started {
            self.started = true;
            self.inner.started(size);
        }
    }

    fn advanced(&mut self, total: u64) {
        self.total = total;
        self.inner.advanced(total);
    }

    fn retrying(&mut self, attempt: u32, delay: Duration, error: &TransferError) {
        self.inner.retrying(attempt, delay, error);
    }

    fn body_received(&mut self) {
        self.inner.body_received();
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
