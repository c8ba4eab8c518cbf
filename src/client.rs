//! The one HTTP client of a run: a shared connection pool (keep-alive, HTTP/2 when
//! the server offers it over TLS), timeouts and identity.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::request::{RequestError, RequestRules};

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
    /// Every request through this proxy (else the `*_PROXY` environment variables).
    pub proxy: Option<String>,
    /// Extra trusted certificates (PEM).
    pub cacert: Option<PathBuf>,
    /// Accept any TLS certificate.
    pub insecure: bool,
}

/// Builds the client. Redirects are followed up to 10 times; reqwest refuses loops.
pub fn build_client(settings: &ClientSettings) -> Result<reqwest::Client, Error> {
    // reqwest is built without a TLS crypto provider (to avoid aws-lc's C build);
    // ring is ours. An `Err` means one is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|error| RequestError::Client(format!("invalid --proxy: {error}")))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &settings.cacert {
        let pem = std::fs::read(path).map_err(|source| RequestError::Read {
            path: path.clone(),
            source,
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|certificates| !certificates.is_empty())
            .ok_or_else(|| {
                RequestError::Client(format!("no PEM certificate in `{}`", path.display()))
            })?;
        builder = builder.tls_certs_merge(certificates);
    }
    builder
        .tls_danger_accept_invalid_certs(settings.insecure)
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

/// The client of a run with its [`RequestRules`]: `get` and `head` add the headers,
/// credentials and cookies that belong to each URL. It offers no way to reach the
/// bare `reqwest::Client`, so no request can leave without them.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    rules: Arc<RequestRules>,
}

impl HttpClient {
    /// Wraps `inner`, decorating requests by `rules`.
    pub fn new(inner: reqwest::Client, rules: RequestRules) -> HttpClient {
        HttpClient {
            inner,
            rules: Arc::new(rules),
        }
    }

    /// A GET request for `url`, with what belongs to it.
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.rules.decorate(self.inner.get(url.clone()), &url)
    }

    /// A HEAD request for `url`, with what belongs to it.
    pub fn head(&self, url: Url) -> reqwest::RequestBuilder {
        self.rules.decorate(self.inner.head(url.clone()), &url)
    }
}
