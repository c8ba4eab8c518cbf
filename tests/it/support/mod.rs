//! Test support: a real HTTP server on 127.0.0.1:0 serving a folder, with directory
//! listings in the markup of real servers, a request log, and canned responses for
//! pages and files that need to misbehave.
//!
//! Files are served by tower-http's `ServeDir`, which implements Range,
//! Last-Modified and If-Modified-Since for real.

pub mod bucket;
pub mod cli;
pub mod copyparty;
pub mod faults;
pub mod ftp;
pub mod harness;
pub mod listing;
pub mod php_listings;
pub mod raw;
pub mod tls;
pub mod tree;
pub mod webdav;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub use listing::{IisDates, ListingStyle};

/// One request the server received, and what it answered.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: Method,
    /// HTTP/1.1 or HTTP/2.
    pub version: axum::http::Version,
    /// Path and query, as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub status: StatusCode,
}

/// A fixed answer for one path (path and query, as sent).
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn html(body: impl Into<Vec<u8>>) -> Self {
        Canned {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

struct ServerState {
    root: PathBuf,
    style: ListingStyle,
    canned: Mutex<HashMap<String, Canned>>,
    log: Mutex<Vec<LoggedRequest>>,
    faults: faults::Faults,
    /// How long each listing page is held before it is answered.
    page_delay: Mutex<Duration>,
    /// Listing pages being answered now, and the most there have been at once.
    pages_in_flight: AtomicUsize,
    peak_pages_in_flight: AtomicUsize,
    /// Answer 400 to a request target holding a `%` that starts no valid escape, as
    /// npm's `serve`, Go's net/http and many others do.
    strict_escapes: std::sync::atomic::AtomicBool,
    /// Headers added to every answer for a path (whatever made the answer).
    added_headers: Mutex<HashMap<String, Vec<(String, String)>>>,
}

impl ServerState {
    fn new(root: &Path, style: ListingStyle) -> Arc<ServerState> {
        Arc::new(ServerState {
            root: root.to_path_buf(),
            style,
            canned: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            faults: faults::Faults::default(),
            page_delay: Mutex::new(Duration::ZERO),
            pages_in_flight: AtomicUsize::new(0),
            peak_pages_in_flight: AtomicUsize::new(0),
            strict_escapes: std::sync::atomic::AtomicBool::new(false),
            added_headers: Mutex::new(HashMap::new()),
        })
    }
}

/// Runs `serve` on a thread of its own with a two-worker runtime, so the server
/// works under synchronous tests and beside the binary they run.
fn on_server_thread(serve: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
            .block_on(serve);
    })
}

/// Every request goes through [`handle`]: the request log, canned answers, faults,
/// listings and files.
fn router(state: Arc<ServerState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

/// A listener on 127.0.0.1 with a port of the kernel's choosing.
fn bind_loopback() -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let address = listener.local_addr().expect("local address");
    (listener, address)
}

/// The server; it stops when dropped.
pub struct TestServer {
    address: SocketAddr,
    /// `http`, or `https` for [`TestServer::start_tls`].
    scheme: &'static str,
    /// TLS connections accepted so far (HTTPS only).
    connections: Arc<std::sync::atomic::AtomicUsize>,
    state: Arc<ServerState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Writes `files` into a fresh folder and serves it in `style`; the folder
    /// lives as long as the returned `TempDir` (which also has room for `out`).
    pub fn serving(
        files: &[(String, Vec<u8>)],
        style: ListingStyle,
    ) -> (tempfile::TempDir, TestServer) {
        let work = tempfile::tempdir().expect("tempdir");
        let root = work.path().join("served");
        tree::write_files(&root, files);
        let server = TestServer::start(&root, style);
        (work, server)
    }

    /// Serves `root` on 127.0.0.1 with listings in `style`.
    pub fn start(root: &Path, style: ListingStyle) -> TestServer {
        let (listener, address) = bind_loopback();
        let state = ServerState::new(root, style);
        let (shutdown, shutdown_signal) = tokio::sync::oneshot::channel::<()>();
        let app_state = Arc::clone(&state);
        let thread = on_server_thread(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            axum::serve(listener, router(app_state))
                .with_graceful_shutdown(async {
                    let _ = shutdown_signal.await;
                })
                .await
                .expect("server");
        });
        TestServer {
            address,
            scheme: "http",
            connections: Arc::default(),
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.address, path)
    }

    /// TLS connections the server has accepted (HTTPS only).
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers `target` (path and query) with `canned` from now on.
    pub fn can(&self, target: &str, canned: Canned) {
        self.state
            .canned
            .lock()
            .expect("canned lock")
            .insert(target.to_string(), canned);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.lock().expect("log lock").clone()
    }

    /// The fault scripts: misbehaviour per path (see [`faults`]).
    pub fn faults(&self) -> &faults::Faults {
        &self.state.faults
    }

    /// Holds every listing page for `delay` before answering it, so that pages
    /// asked for together are in flight together.
    pub fn delay_pages(&self, delay: Duration) {
        *self.state.page_delay.lock().expect("delay lock") = delay;
    }

    /// The most listing pages the server was answering at once.
    pub fn peak_pages_in_flight(&self) -> usize {
        self.state.peak_pages_in_flight.load(Ordering::SeqCst)
    }

    /// From now on, a request target with a `%` not followed by two hex digits gets
    /// 400 Bad Request, as strict servers answer.
    pub fn reject_bad_escapes(&self) {
        self.state.strict_escapes.store(true, Ordering::SeqCst);
    }

    /// Adds `name: value` to every answer for `path` from now on, whatever makes
    /// it (the file server, a fault, a canned answer): a `Content-Disposition` on
    /// a file served with real Range handling, say.
    pub fn add_header(&self, path: &str, name: &str, value: &str) {
        self.state
            .added_headers
            .lock()
            .expect("headers lock")
            .entry(path.to_string())
            .or_default()
            .push((name.to_string(), value.to_string()));
    }

    /// Forgets the requests so far.
    pub fn clear_log(&self) {
        self.state.log.lock().expect("log lock").clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.state.faults.stop();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let method = request.method().clone();
    let version = request.version();
    let target = request
        .uri()
        .path_and_query()
        .map(|target| target.as_str().to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let path = request.uri().path().to_string();
    let mut response = respond(&state, request).await;
    let added = state
        .added_headers
        .lock()
        .expect("headers lock")
        .get(&path)
        .cloned();
    for (name, value) in added.unwrap_or_default() {
        response.headers_mut().insert(
            axum::http::HeaderName::try_from(name).expect("header name"),
            value.parse().expect("header value"),
        );
    }
    state.log.lock().expect("log lock").push(LoggedRequest {
        method,
        version,
        target,
        headers,
        status: response.status(),
    });
    response
}

async fn respond(state: &ServerState, request: Request) -> Response {
    if state.strict_escapes.load(Ordering::SeqCst)
        && has_bad_escape(
            request
                .uri()
                .path_and_query()
                .map_or("", |target| target.as_str()),
        )
    {
        return (StatusCode::BAD_REQUEST, "malformed percent-encoding").into_response();
    }
    if let Some(response) = state.faults.respond(&state.root, &request) {
        return response;
    }
    let target = request
        .uri()
        .path_and_query()
        .map(|target| target.as_str().to_string())
        .unwrap_or_default();
    let canned = state
        .canned
        .lock()
        .expect("canned lock")
        .get(&target)
        .cloned();
    if let Some(canned) = canned {
        let mut response = Response::new(Body::from(canned.body));
        *response.status_mut() = canned.status;
        for (name, value) in canned.headers {
            response.headers_mut().insert(
                axum::http::HeaderName::try_from(name).expect("header name"),
                value.parse().expect("header value"),
            );
        }
        return response;
    }
    match state.style {
        ListingStyle::S3 => return bucket::respond(&state.root, bucket::Store::S3, request).await,
        ListingStyle::Azure => {
            return bucket::respond(&state.root, bucket::Store::Azure, request).await;
        }
        ListingStyle::WebDav => return webdav::respond(&state.root, request).await,
        ListingStyle::Copyparty => return copyparty::respond(&state.root, request).await,
        ListingStyle::H5ai { api } => return php_listings::h5ai(&state.root, api, request).await,
        ListingStyle::DirLister => return php_listings::dirlister(&state.root, request).await,
        _ => {}
    }
    let mut path = request.uri().path().to_string();
    if state.style == ListingStyle::SlashlessDirect && !path.ends_with('/') {
        let decoded = percent_encoding::percent_decode_str(&path).decode_utf8_lossy();
        if state.root.join(decoded.trim_start_matches('/')).is_dir() {
            path.push('/');
        }
    }
    if path.ends_with('/') {
        let delay = *state.page_delay.lock().expect("delay lock");
        let now = state.pages_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak_pages_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(delay).await;
        state.pages_in_flight.fetch_sub(1, Ordering::SeqCst);
        let accepts_gzip = request
            .headers()
            .get("accept-encoding")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.contains("gzip"));
        return listing::respond(&state.root, &path, state.style, accepts_gzip);
    }
    match ServeDir::new(&state.root).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Whether `target` holds a `%` that is not followed by two hex digits.
fn has_bad_escape(target: &str) -> bool {
    let bytes = target.as_bytes();
    bytes.iter().enumerate().any(|(index, byte)| {
        *byte == b'%'
            && !(bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}
