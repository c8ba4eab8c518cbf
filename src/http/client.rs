//! The one HTTP client of a run: a shared connection pool (keep-alive, HTTP/2 when
//! the server offers it over TLS), timeouts and identity.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use percent_encoding::percent_decode_str;
use reqwest::{RequestBuilder, Response, Version};
use url::{Origin, Url};

use crate::error::{Error, RequestError};
use crate::http::dns::RunResolver;
use crate::http::request::RequestRules;

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
    if !settings.insecure {
        let given = tls::given_certificates(settings.cacert.as_deref())?;
        if !given.is_empty() {
            builder = builder.tls_backend_preconfigured(tls::client_config(given)?);
        }
    }
    builder
        .tls_danger_accept_invalid_certs(settings.insecure)
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .pool_max_idle_per_host(settings.concurrency_per_host)
        .redirect(redirect_policy())
        .tcp_nodelay(true)
        .dns_resolver(resolver.clone())
        .build()
        .map_err(Error::Client)
}

/// Redirects followed in a row before a request fails, as curl and wget do.
const MAX_REDIRECTS: usize = 10;

/// Follows up to [`MAX_REDIRECTS`] redirects, but stops at an unescaped folder
/// redirect (see [`unescaped_folder_redirect`]), which [`HttpClient::send`] then
/// follows to the right URL itself.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(TooManyRedirects);
        }
        match attempt.previous().last() {
            Some(previous) if may_be_unescaped_folder_redirect(previous, attempt.url()) => {
                attempt.stop()
            }
            _ => {
                note_redirect(attempt.url());
                attempt.follow()
            }
        }
    })
}

tokio::task_local! {
    /// The URL the request being executed was last redirected to. The redirect
    /// policy runs inside the poll of the request's own future, so a task-local
    /// scoped around [`HttpClient::execute`] belongs to that one request.
    static REDIRECTED_TO: std::cell::RefCell<Option<Url>>;
}

/// Remembers that the request in flight now goes to `url`.
fn note_redirect(url: &Url) {
    let _ = REDIRECTED_TO.try_with(|slot| *slot.borrow_mut() = Some(url.clone()));
}

/// More than [`MAX_REDIRECTS`] redirects in a row.
#[derive(Debug)]
struct TooManyRedirects;

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "too many redirects (more than {MAX_REDIRECTS})")
    }
}

impl std::error::Error for TooManyRedirects {}

/// Whether `next` could be a cut-down [`unescaped_folder_redirect`]: the redirect
/// policy sees the target without its fragment, so it stops at any redirect whose
/// decoded path begins the decoded folder, and [`HttpClient::send`] decides with the
/// raw `Location`.
fn may_be_unescaped_folder_redirect(previous: &Url, next: &Url) -> bool {
    if previous.path().ends_with('/') || previous.origin() != next.origin() {
        return false;
    }
    let folder = format!("{}/", previous.path());
    if next.path() == folder && next.query().is_none() {
        return false;
    }
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    decode(&folder).starts_with(&decode(next.path()))
}

/// Whether `next` is what a URL parser makes of a redirect from `previous` to
/// `previous` + `/` written without escapes, as mini_httpd writes it: `/a%20%23`
/// redirected to `Location: /a #/` parses as the path `/a%20` and the fragment `/`,
/// a file that does not exist. Decoded, both say `/a #/`, so the folder is meant.
fn unescaped_folder_redirect(previous: &Url, next: &Url) -> bool {
    if previous.path().ends_with('/') || previous.origin() != next.origin() {
        return false;
    }
    let folder = format!("{}/", previous.path());
    if next.path() == folder && next.query().is_none() && next.fragment().is_none() {
        // Parsed as meant: nothing to repair.
        return false;
    }
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let mut said = decode(next.path());
    if let Some(query) = next.query() {
        said.push('?');
        said.push_str(&decode(query));
    }
    if let Some(fragment) = next.fragment() {
        said.push('#');
        said.push_str(&decode(fragment));
    }
    said == decode(&folder)
}

/// Whether `error`, or any of its causes, is a refused server certificate: final at
/// once, since asking again gets the same certificate.
pub fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let refused = |error: &(dyn std::error::Error + 'static)| {
        matches!(
            error.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        )
    };
    let mut source = Some(error);
    while let Some(cause) = source {
        // `io::Error::source` skips the error it wraps (often another `io::Error`
        // around the TLS error): look inside each.
        let mut wrapped = Some(cause);
        while let Some(error) = wrapped {
            if refused(error) {
                return true;
            }
            wrapped = error
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|inner| inner as &(dyn std::error::Error + 'static));
        }
        source = cause.source();
    }
    false
}

/// The default `User-Agent`: `fetchall/VERSION`.
pub fn default_user_agent() -> String {
    format!("fetchall/{}", env!("CARGO_PKG_VERSION"))
}

/// HTTP/2 requests one connection carries at once before the next request to that
/// host goes to another connection.
const STREAMS_PER_CONNECTION: usize = 8;

/// The client of a run with its [`RequestRules`]: `get` and `head` add the headers,
/// credentials and cookies that belong to each URL. It offers no way to reach the
/// bare `reqwest::Client`, so no request can leave without them.
///
/// A host that answers over HTTP/2 gets one connection per eight requests in flight
/// (`STREAMS_PER_CONNECTION`), not reqwest's single one: nginx ends an HTTP/2
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

    /// The slowest a body may arrive before its request fails.
    pub fn low_speed(&self) -> crate::pace::speed::LowSpeed {
        self.lanes.settings.low_speed
    }

    /// A GET request for `url`, with what belongs to it.
    pub fn get(&self, url: Url) -> RequestBuilder {
        self.rules.decorate(self.lanes.first.get(url.clone()), &url)
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
        // reqwest names the first URL of a redirect chain in its errors, whichever
        // URL failed: the user would check a server that works. Name the last.
        let (redirected_to, response) = REDIRECTED_TO
            .scope(std::cell::RefCell::new(None), async {
                let response = client.execute(request).await;
                let redirected_to = REDIRECTED_TO.with(|slot| slot.borrow_mut().take());
                (redirected_to, response)
            })
            .await;
        let response = match (response, redirected_to) {
            (Err(error), Some(target)) => Err(error.with_url(target)),
            (response, _) => response,
        };
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

/// Where a redirect the policy stopped leads: the folder, when its raw `Location`
/// is an [`unescaped_folder_redirect`], else the `Location` as written.
fn stopped_redirect_target(response: &Response) -> Option<Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(reqwest::header::LOCATION)?;
    let location = String::from_utf8_lossy(location.as_bytes());
    let next = response.url().join(&location).ok()?;
    if !may_be_unescaped_folder_redirect(response.url(), &next) {
        // Not one the policy stops at (a redirect of a method it does not
        // follow, say): the answer as it is.
        return None;
    }
    if !unescaped_folder_redirect(response.url(), &next) {
        return Some(next);
    }
    let mut folder = response.url().clone();
    folder.set_path(&format!("{}/", response.url().path()));
    Some(folder)
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
    /// Origins that answered over HTTP/2: their requests go round the lanes.
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
            .is_ok_and(|origins| origins.contains(&url.origin()));
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
        if let Ok(mut origins) = self.multiplexed.lock() {
            origins.insert(url.origin());
        }
        let wanted = self
            .settings
            .concurrency_per_host
            .div_ceil(STREAMS_PER_CONNECTION);
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

/// TLS with certificates the user trusts explicitly (`--cacert`, `SSL_CERT_FILE`).
///
/// curl and wget accept a server whose certificate is self-signed when the user gives
/// that very certificate; rustls's verifier refuses it as the end of a chain when it
/// says `CA:TRUE` (`CaUsedAsEndEntity`, as `openssl req -x509` and many NAS boxes
/// make them), or as having no known issuer. The verifier here is the one reqwest
/// uses (the system's roots and the given ones, webpki rules), and only when it
/// refuses for one of those two reasons does it accept the certificate — if it is
/// byte for byte one the user gave, and valid for the server's name. Its validity
/// period has been checked by then: webpki checks it before either of those errors.
/// Signatures of the handshake are verified as always.
mod tls {
    use std::path::Path;
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

    use crate::error::RequestError;

    /// The certificates of `--cacert FILE` and of the file `SSL_CERT_FILE` names.
    pub(super) fn given_certificates(
        cacert: Option<&Path>,
    ) -> Result<Vec<CertificateDer<'static>>, RequestError> {
        let from_env = std::env::var_os("SSL_CERT_FILE")
            .filter(|value| !value.is_empty())
            .map(std::path::PathBuf::from);
        let mut certificates = Vec::new();
        for path in cacert.into_iter().chain(from_env.as_deref()) {
            let pem = std::fs::read(path).map_err(|source| RequestError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let before = certificates.len();
            certificates.extend(CertificateDer::pem_slice_iter(&pem).flatten());
            if certificates.len() == before {
                return Err(RequestError::Client(format!(
                    "no PEM certificate in `{}`",
                    path.display()
                )));
            }
        }
        Ok(certificates)
    }

    /// A client configuration trusting the system's roots and `given`, and `given`
    /// server certificates themselves.
    pub(super) fn client_config(
        given: Vec<CertificateDer<'static>>,
    ) -> Result<rustls::ClientConfig, RequestError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_error = |error: rustls::Error| {
            RequestError::Client(format!("cannot use the given certificates: {error}"))
        };
        // Every given certificate is also a root, as with reqwest's own `--cacert`
        // set-up; `SSL_CERT_FILE`'s are also read by the platform verifier itself.
        let inner = rustls_platform_verifier::Verifier::new_with_extra_roots(
            given.iter().cloned(),
            Arc::clone(&provider),
        )
        .map_err(tls_error)?;
        let verifier = GivenCertificates {
            inner: Arc::new(inner),
            given,
        };
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    #[derive(Debug)]
    struct GivenCertificates {
        inner: Arc<dyn ServerCertVerifier>,
        given: Vec<CertificateDer<'static>>,
    }

    impl GivenCertificates {
        /// Whether a certificate `refused` by webpki is one the user gave for this
        /// name, refused only because it is self-signed.
        fn accepts(
            &self,
            refused: &rustls::Error,
            end_entity: &CertificateDer<'_>,
            server_name: &ServerName<'_>,
        ) -> bool {
            let self_signed_refusal = match refused {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => true,
                rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ),
                _ => false,
            };
            self_signed_refusal
                && self
                    .given
                    .iter()
                    .any(|given| given.as_ref() == end_entity.as_ref())
                && rustls::server::ParsedCertificate::try_from(end_entity)
                    .and_then(|parsed| rustls::client::verify_server_name(&parsed, server_name))
                    .is_ok()
        }
    }

    impl ServerCertVerifier for GivenCertificates {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(refused) if self.accepts(&refused, end_entity, server_name) => {
                    Ok(ServerCertVerified::assertion())
                }
                verdict => verdict,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn unescaped_folder_redirects_are_told_from_other_redirects() {
        let from = url("http://h/pub/a%20%23");
        let said = |location: &str| from.join(location).expect("join");
        // What mini_httpd writes for the folder: decoded, the same as `from` + `/`.
        assert!(unescaped_folder_redirect(&from, &said("/pub/a #/")));
        let question = url("http://h/pub/q%3F");
        assert!(unescaped_folder_redirect(
            &question,
            &question.join("/pub/q?/").expect("join")
        ));
        // Escaped as it should be: followed as it is.
        assert!(!unescaped_folder_redirect(&from, &said("/pub/a%20%23/")));
        // Somewhere else, another host, or from a folder: not this case.
        assert!(!unescaped_folder_redirect(&from, &said("/pub/other/")));
        assert!(!unescaped_folder_redirect(
            &from,
            &said("http://g/pub/a #/")
        ));
        let folder = url("http://h/pub/a/");
        assert!(!unescaped_folder_redirect(
            &folder,
            &folder.join("/pub/a/#/").expect("join")
        ));
        // The policy only sees the path: it stops where the raw text must decide.
        let cut = url("http://h/pub/a%20");
        assert!(may_be_unescaped_folder_redirect(&from, &cut));
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &said("/pub/a%20%23/")
        ));
        assert!(!may_be_unescaped_folder_redirect(
            &from,
            &said("/elsewhere")
        ));
    }
}
