//! How many, how fast, how often again: request slots, rate limits, the retry
//! policy and the low-speed rule.

pub mod retry;
pub mod slots;
pub mod speed;
pub mod throttle;
