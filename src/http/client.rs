//! The one HTTP client of a run: a shared connection pool (keep-alive, HTTP/2 when
//! the server offers it over TLS), timeouts and identity.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use reqwest::{RequestBuilder, Response, Version};
use url::{Origin, Url};

use crate::error::{Error, RequestError};
use crate::http::dns::RunResolver;
use crate::http::redirect::{self, MAX_REDIRECTS, naming_last_redirect, stopped_redirect_target};
use crate::http::request::RequestRules;
use crate::http::tls;

/// How the client connects.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Limit for establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Limit for any wait with no bytes arriving.
    pub read_timeout: Duration,
    /// Requests in flight to one host at most: the idle connections kept for reuse,
    /// and how many HTTP/2 connections share them (see [`HttpClient`]).
    pub concurrency_per_host: usize,
    /// Every request through this proxy (else the `*_PROXY` environment variables).
    pub proxy: Option<String>,
    /// Extra trusted certificates (PEM).
    pub cacert: Option<PathBuf>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// The slowest a page or file body may arrive (`--speed-limit`, `--speed-time`).
    pub low_speed: crate::pace::speed::LowSpeed,
}

/// Builds the client. Redirects are followed up to 10 times; reqwest refuses loops.
/// Host names are looked up through `resolver`, shared by the run's clients.
pub fn build_client(
    settings: &ClientSettings,
    resolver: &RunResolver,
) -> Result<reqwest::Client, Error> {
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
    // Ours even with no certificate given: its verifier reads the system's roots
    // at the first handshake, not when the client is built (reqwest's own reads
    // them at once, for a run over plain HTTP too).
    if !settings.insecure {
        let given = tls::given_certificates(settings.cacert.as_deref())?;
        builder = builder.tls_backend_preconfigured(tls::client_config(given)?);
    }
    builder
        .tls_danger_accept_invalid_certs(settings.insecure)
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .pool_max_idle_per_host(settings.concurrency_per_host)
        .redirect(redirect::policy())
        .tcp_nodelay(true)
        .dns_resolver(resolver.clone())
        .build()
        .map_err(Error::Client)
}

/// The default `User-Agent`: `fetchall/VERSION`.
pub fn default_user_agent() -> String {
    format!("fetchall/{}", env!("CARGO_PKG_VERSION"))
}

/// Slots of `--per-host` per HTTP/2 connection: a host with 16 gets two connections.
const SLOTS_PER_CONNECTION: usize = 8;

/// Requests in flight per slot of `--jobs` and `--per-host` for a host that answers
/// over HTTP/2, where a request is a stream of a shared connection rather than a
/// connection of its own (see [`HttpClient::is_multiplexed`]).
pub const STREAMS_PER_SLOT: usize = 4;

/// The client of a run with its [`RequestRules`]: `get` and `head` add the headers,
/// credentials and cookies that belong to each URL. It offers no way to reach the
/// bare `reqwest::Client`, so no request can leave without them.
///
/// A host that answers over HTTP/2 gets one connection per eight slots of
/// `--per-host` (`SLOTS_PER_CONNECTION`), not reqwest's single one: nginx ends an HTTP/2
/// connection after 1,000 requests (`keepalive_requests`), and on one connection
/// every file waits while it is re-opened; several connections also share out the
/// server's work. reqwest keeps one HTTP/2 connection per host and pool, so each
/// extra connection is an extra pool (a *lane*), built the first time a host answers
/// over HTTP/2; [`HttpClient::send`] sends the requests to that host round the lanes.
/// Requests sent any other way stay on the first lane.
#[derive(Debug, Clone)]
pub struct HttpClient {
    lanes: Arc<Lanes>,
    rules: Arc<RequestRules>,
}

impl HttpClient {
    /// Builds the client of a run from `settings`, decorating requests by `rules`.
    pub fn new(settings: &ClientSettings, rules: RequestRules) -> Result<HttpClient, Error> {
        let resolver = RunResolver::default();
        Ok(HttpClient {
            lanes: Arc::new(Lanes {
                first: build_client(settings, &resolver)?,
                resolver,
                settings: settings.clone(),
                others: OnceLock::new(),
                multiplexed: Mutex::new(HashSet::new()),
                next: AtomicUsize::new(0),
            }),
            rules: Arc::new(rules),
        })
    }

    /// The credentials `-u`, a start URL's `user:password@` or `.netrc` give for
    /// `url`'s host: what an FTP session logs in with.
    pub(crate) fn credentials_for(
        &self,
        url: &Url,
    ) -> Option<&crate::http::credentials::Credentials> {
        self.rules.credentials_for(url)
    }

    /// The settings the client was built from (FTP sessions share its timeouts
    /// and certificates).
    pub(crate) fn settings(&self) -> &ClientSettings {
        &self.lanes.settings
    }

    /// The slowest a body may arrive before its request fails.
    pub fn low_speed(&self) -> crate::pace::speed::LowSpeed {
        self.lanes.settings.low_speed
    }

    /// Whether `url`'s origin has answered this client over HTTP/2: its requests
    /// are streams of a few shared connections, so the run lets
    /// [`STREAMS_PER_SLOT`] of them share one slot, as wget2 sends up to 30
    /// requests on each of its connections. One round trip per file is what many
    /// small files cost; more of them in flight on the same connections is the
    /// only way to pay fewer, and HTTP/2 is made for it.
    pub fn is_multiplexed(&self, url: &Url) -> bool {
        self.lanes
            .multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&url.origin())
    }

    /// A GET request for `url`, with what belongs to it.
    pub fn get(&self, url: Url) -> RequestBuilder {
        self.rules.decorate(self.lanes.first.get(url.clone()), &url)
    }

    /// A request of any method (WebDAV's `PROPFIND`) for `url`, with what belongs to it.
    pub fn request(&self, method: reqwest::Method, url: Url) -> RequestBuilder {
        self.rules
            .decorate(self.lanes.first.request(method, url.clone()), &url)
    }

    /// A HEAD request for `url`, with what belongs to it.
    pub fn head(&self, url: Url) -> RequestBuilder {
        self.rules
            .decorate(self.lanes.first.head(url.clone()), &url)
    }

    /// Sends `request` on the lane its host's turn gives, and notes whether the host
    /// answered over HTTP/2.
    pub async fn send(&self, request: RequestBuilder) -> reqwest::Result<Response> {
        let (_, request) = request.build_split();
        let mut request = request?;
        for _ in 0..MAX_REDIRECTS {
            let again = request.try_clone();
            let response = self.execute(request).await?;
            // Stopped by the policy at what may be an unescaped folder redirect: ask
            // for the folder, escaped, or else where it leads, with the same method
            // and headers (the origin is the same).
            let next = stopped_redirect_target(&response);
            match (again, next) {
                (Some(mut again), Some(next)) => {
                    *again.url_mut() = next;
                    request = again;
                }
                _ => return Ok(response),
            }
        }
        self.execute(request).await
    }

    async fn execute(&self, request: reqwest::Request) -> reqwest::Result<Response> {
        let (client, mut opening) = self.lanes.pick(request.url());
        let response = naming_last_redirect(client.execute(request)).await;
        if let Some(opening) = &mut opening {
            opening.answered = response.is_ok();
        }
        drop(opening);
        let response = response?;
        if response.version() == Version::HTTP_2 {
            self.lanes.note_multiplexed(response.url());
        }
        Ok(response)
    }
}

/// The clients of a run: the first carries everything but HTTP/2 hosts' overflow.
#[derive(Debug)]
struct Lanes {
    first: reqwest::Client,
    settings: ClientSettings,
    /// The run's DNS answers, shared by every lane.
    resolver: RunResolver,
    /// The lanes after the first, built when a host first answers over HTTP/2.
    others: OnceLock<Vec<Lane>>,
    /// Origins that answered over HTTP/2: their requests go round the lanes. A
    /// poisoned lock is used as it is (each use is one lookup or one insert, so
    /// the set is whole), as in [`crate::http::dns`].
    multiplexed: Mutex<HashSet<Origin>>,
    next: AtomicUsize,
}

/// An extra client, and whether its connection is up.
#[derive(Debug)]
struct Lane {
    client: reqwest::Client,
    /// A request on it has been answered: it has its (HTTP/2) connection.
    opened: AtomicBool,
    /// A request on it is opening its connection: the others go on the first lane
    /// meanwhile, rather than each opening a connection before ALPN says HTTP/2.
    opening: AtomicBool,
}

/// Held by the request that opens a lane's connection. Answered, it opens the lane
/// to every request; failed or dropped (a timeout, Ctrl-C), it lets the next request
/// try, so a lane is never left closed for good.
struct Opening<'a> {
    lane: &'a Lane,
    answered: bool,
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        if self.answered {
            self.lane.opened.store(true, Ordering::Release);
        }
        self.lane.opening.store(false, Ordering::Release);
    }
}

impl Lanes {
    /// The client for a request to `url`: the next lane in turn for an HTTP/2 host,
    /// else the first (whose HTTP/1.1 connections are pooled, as many as there are
    /// requests in flight). With it, the guard of a lane this request opens.
    fn pick(&self, url: &Url) -> (&reqwest::Client, Option<Opening<'_>>) {
        let Some(others) = self.others.get().filter(|others| !others.is_empty()) else {
            return (&self.first, None);
        };
        let multiplexed = self
            .multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&url.origin());
        if !multiplexed {
            return (&self.first, None);
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % (others.len() + 1);
        let Some(lane) = turn.checked_sub(1).map(|index| &others[index]) else {
            return (&self.first, None);
        };
        if lane.opened.load(Ordering::Acquire) {
            return (&lane.client, None);
        }
        let first_on_lane = lane
            .opening
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first_on_lane {
            let opening = Opening {
                lane,
                answered: false,
            };
            (&lane.client, Some(opening))
        } else {
            (&self.first, None)
        }
    }

    fn note_multiplexed(&self, url: &Url) {
        self.multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.origin());
        let wanted = self
            .settings
            .concurrency_per_host
            .div_ceil(SLOTS_PER_CONNECTION);
        // A lane that cannot be built (it was built once with the same settings, so
        // this is unlikely) only means fewer connections.
        self.others.get_or_init(|| {
            (1..wanted)
                .filter_map(|_| build_client(&self.settings, &self.resolver).ok())
                .map(|client| Lane {
                    client,
                    opened: AtomicBool::new(false),
                    opening: AtomicBool::new(false),
                })
                .collect()
        });
    }
}
