//! The one HTTP client of a run: a shared connection pool (keep-alive, HTTP/2 when
//! the server offers it over TLS), timeouts and identity.

use std::time::Duration;

use crate::error::Error;

/// How the client connects.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Limit for establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Limit for any wait with no bytes arriving.
    pub read_timeout: Duration,
    /// Idle connections kept per host for reuse.
    pub idle_connections_per_host: usize,
}

/// Builds the client. Redirects are followed up to 10 times; reqwest refuses loops.
pub fn build_client(settings: &ClientSettings) -> Result<reqwest::Client, Error> {
    // reqwest is built without a TLS crypto provider (to avoid aws-lc's C build);
    // ring is ours. An `Err` means one is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .pool_max_idle_per_host(settings.idle_connections_per_host)
        .redirect(reqwest::redirect::Policy::limited(10))
        .tcp_nodelay(true)
        .build()
        .map_err(Error::Client)
}

/// The default `User-Agent`: `fetchall/VERSION`.
pub fn default_user_agent() -> String {
    format!("fetchall/{}", env!("CARGO_PKG_VERSION"))
}
