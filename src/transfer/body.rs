//! Reading a body: how every transfer reads its chunks, within the read timeout and
//! the low-speed rule ([`crate::pace::speed`]), at the pace of `--limit-rate`, and
//! until Ctrl-C.

use std::time::Duration;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::error::TransferError;
use crate::pace::speed::{self, LowSpeed, SpeedMeter};
use crate::pace::throttle::RateLimiter;

/// The pace a body is read at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyPace<'a> {
    /// Limit for any wait with no bytes arriving.
    pub read_timeout: Duration,
    /// `--speed-limit`, `--speed-time`: each body is measured on its own.
    pub low_speed: LowSpeed,
    /// `--limit-rate`, paid for every chunk as it arrives.
    pub limiter: Option<&'a RateLimiter>,
    /// Ctrl-C.
    pub cancel: &'a CancellationToken,
}

/// A body being read: the one place its chunks are read from, within the read
/// timeout and the low-speed rule, paid for at `--limit-rate`, until Ctrl-C.
pub(crate) struct Body<'a> {
    response: reqwest::Response,
    meter: SpeedMeter,
    pace: BodyPace<'a>,
}

impl<'a> Body<'a> {
    /// The body of `response`, read at `pace`; measured on its own.
    pub fn new(response: reqwest::Response, pace: BodyPace<'a>) -> Body<'a> {
        Body {
            response,
            meter: SpeedMeter::new(pace.low_speed),
            pace,
        }
    }

    /// The next chunk, `None` at the body's end; by value, so that it can be
    /// dropped before a write is awaited. Fails when nothing arrives for the read
    /// timeout, when the body is too slow, or on Ctrl-C.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransferError> {
        let pace = self.pace;
        let next = speed::next_chunk(
            &mut self.response,
            &mut self.meter,
            pace.read_timeout,
            pace.cancel,
        );
        let Some(chunk) = next.await? else {
            return Ok(None);
        };
        if let Some(limiter) = pace.limiter {
            limiter.take(chunk.len(), pace.cancel).await?;
        }
        Ok(Some(chunk))
    }
}

/// What bounds one body of a file: its pace, and `--max-size`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits<'a> {
    /// The pace it is read at.
    pub pace: BodyPace<'a>,
    /// `--max-size`: a file that passes it is stopped and skipped as too large.
    pub max_size: Option<u64>,
}
