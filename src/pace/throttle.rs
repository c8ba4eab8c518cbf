//! Being gentle with servers: `--limit-rate` (a token bucket shared by every transfer
//! of a run, so the *total* rate stays under the limit) and `--wait`/`--random-wait`
//! (a minimum time between the starts of two requests to one host).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A token bucket of bytes per second. Transfers call [`RateLimiter::take`] after
/// each chunk they receive; a transfer that overdraws the bucket sleeps until the
/// debt is paid back, which holds back its reads and so (through TCP flow control)
/// the sender.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_second: f64,
    /// Bytes allowed at once after an idle time: a quarter of a second's worth.
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// A limiter of `bytes_per_second` (at least 1).
    pub fn new(bytes_per_second: u64) -> RateLimiter {
        let rate = bytes_per_second.max(1) as f64;
        RateLimiter {
            bytes_per_second: rate,
            burst: (rate / 4.0).max(16.0 * 1024.0),
            state: Mutex::new((0.0, Instant::now())),
        }
    }

    /// Accounts for `bytes` just received, and waits as long as the run is over its
    /// budget — or until `cancel` fires: with a very low `--limit-rate` the debt of
    /// one chunk may be hours, and Ctrl-C must not wait it out.
    pub async fn take(&self, bytes: usize, cancel: &CancellationToken) -> Result<(), Interrupted> {
        let wait = {
            // Nothing panics while holding it: a poisoned lock holds a valid bucket.
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let (tokens, last) = &mut *state;
            let refill = now.duration_since(*last).as_secs_f64() * self.bytes_per_second;
            *tokens = (*tokens + refill).min(self.burst) - bytes as f64;
            *last = now;
            (*tokens < 0.0).then(|| Duration::from_secs_f64(-*tokens / self.bytes_per_second))
        };
        if let Some(wait) = wait {
            tokio::select! {
                () = cancel.cancelled() => return Err(Interrupted),
                () = tokio::time::sleep(wait) => {}
            }
        }
        Ok(())
    }
}

/// A wait of the rate limiter cut short by cancellation (Ctrl-C, SIGTERM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl From<Interrupted> for crate::error::TransferError {
    fn from(_: Interrupted) -> Self {
        crate::error::TransferError::Interrupted
    }
}

/// `--wait SECS`, with `--random-wait` varying each wait between 0.5 and 1.5 times
/// it (as wget does): requests to one host start at least that far apart.
#[derive(Debug, Default)]
pub struct HostSpacing {
    interval: Duration,
    random: bool,
    next: Mutex<HashMap<String, Instant>>,
}

impl HostSpacing {
    /// Spacing of `interval` (zero: none).
    pub fn new(interval: Duration, random: bool) -> HostSpacing {
        HostSpacing {
            interval,
            random,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the turn of the next request to `host`.
    pub async fn wait(&self, host: &str) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            // Nothing panics while holding it: a poisoned lock holds valid instants.
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next
                .get(host)
                .copied()
                .filter(|at| *at > now)
                .unwrap_or(now);
            let gap = if self.random {
                self.interval
                    .mul_f64(0.5 + crate::pace::retry::random_fraction())
            } else {
                self.interval
            };
            next.insert(host.to_string(), slot + gap);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_holds_the_total_rate() {
        let limiter = RateLimiter::new(100_000);
        let started = Instant::now();
        let cancel = CancellationToken::new();
        for _ in 0..10 {
            limiter.take(50_000, &cancel).await.expect("not cancelled");
        }
        // 500 kB at 100 kB/s, less the initial burst allowance of none: ~5 s.
        let elapsed = started.elapsed().as_secs_f64();
        assert!((4.5..=5.5).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced() {
        let spacing = HostSpacing::new(Duration::from_secs(2), false);
        let started = Instant::now();
        spacing.wait("a").await;
        spacing.wait("b").await;
        assert!(started.elapsed() < Duration::from_millis(10));
        spacing.wait("a").await;
        spacing.wait("a").await;
        assert_eq!(started.elapsed().as_secs(), 4);
    }

    /// A debt of days at 1 B/s: cancelling ends the wait at once, whether the token
    /// fires before the wait or during it. (Real time: a wait that ignored the
    /// token would outlast the guard and fail the test.)
    #[tokio::test]
    async fn cancelling_ends_a_throttled_wait() {
        let limiter = std::sync::Arc::new(RateLimiter::new(1));
        let cancel = CancellationToken::new();
        let guard = Duration::from_secs(60);
        let waiting = tokio::spawn({
            let limiter = std::sync::Arc::clone(&limiter);
            let cancel = cancel.clone();
            async move { limiter.take(1_000_000, &cancel).await }
        });
        tokio::task::yield_now().await;
        cancel.cancel();
        let result = tokio::time::timeout(guard, waiting).await;
        assert!(matches!(result, Ok(Ok(Err(Interrupted)))), "{result:?}");
        // Cancelled already: no wait at all.
        let result = tokio::time::timeout(guard, limiter.take(1_000_000, &cancel)).await;
        assert_eq!(result.ok(), Some(Err(Interrupted)));
    }
}
