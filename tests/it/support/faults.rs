//! Fault injection: per-path scripts of misbehaviour for the test server.
//!
//! `server.faults().script("/f.bin", [Fault::Status(503, vec![]), Fault::Serve])`
//! makes the first request for `/f.bin` get a 503, the second a normal answer, and
//! later ones whatever [`Faults::always`] set (by default the plain file server).
//! Faulty answers are built here from the file on disk, with their own Range,
//! If-Range, ETag and Last-Modified handling, so a fault can bend any of them.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio_util::sync::CancellationToken;

/// Bytes per body chunk.
const CHUNK: usize = 16 * 1024;

/// One misbehaviour, for one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer the file honestly (Range, If-Range, ETag, Last-Modified).
    Serve,
    /// Answer this status with these headers and no body.
    Status(u16, Vec<(&'static str, String)>),
    /// Answer honestly, but abort the connection after this many body bytes.
    ResetAfter(usize),
    /// Answer honestly, but stop sending after this many body bytes for this long,
    /// then abort the connection.
    StallAfter(usize, Duration),
    /// Announce the full Content-Length but end the body after this many bytes.
    ShortBody(usize),
    /// Answer a Range request with 200 and the whole file.
    IgnoreRange,
    /// Answer a Range request with a 206 whose Content-Range starts at 0.
    WrongContentRange,
    /// Answer a Range request with a 206 that continues where asked, but from a file
    /// that has changed (new ETag and Last-Modified): a server ignoring If-Range.
    IgnoreIfRange,
    /// Answer honestly, sending `chunk` bytes every `pause`.
    Throttle { chunk: usize, pause: Duration },
    /// Redirect (302) to this path.
    Redirect(String),
    /// Answer HEAD with this status and no body (servers that do not allow HEAD:
    /// 405, 501); any other method is answered as normal.
    RefuseHead(u16),
    /// Answer a Range request with 200 and the whole file as another version (new
    /// ETag and Last-Modified): the file changed, and If-Range did not match.
    ChangedWhole,
    /// Answer 200 with `total` bytes and no Content-Length (chunked), whatever the
    /// path: a body that, for the client, has no announced end. Bytes sent are
    /// counted ([`Faults::unsized_bytes_sent`]).
    Unsized { total: usize },
    /// Answer 200 with `body` (of this Content-Type), `chunk` bytes every `pause`:
    /// any path, a listing page too.
    Trickle {
        body: Vec<u8>,
        content_type: &'static str,
        chunk: usize,
        pause: Duration,
    },
    /// Answer a Range request with the bytes asked for, but a Content-Range whose
    /// total is one byte more than the file: another size, same ETag.
    RangeOtherTotal,
    /// Answer a Range request honestly, without ETag or Last-Modified.
    RangeWithoutValidators,
}

#[derive(Debug, Default)]
struct Script {
    steps: VecDeque<Fault>,
    always: Option<Fault>,
}

/// The fault scripts of one server.
#[derive(Debug, Default)]
pub struct Faults {
    scripts: Mutex<HashMap<String, Script>>,
    /// Cancelled when the server stops, so stalled bodies end.
    stop: CancellationToken,
    /// Faulty bodies being sent now, and the most there have been at once.
    bodies: Arc<BodiesInFlight>,
}

#[derive(Debug, Default)]
struct BodiesInFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
    /// Bytes of [`Fault::Unsized`] bodies handed to the connection.
    unsized_sent: AtomicUsize,
}

/// Counts one body as being sent until it is dropped (finished or cut).
struct Sending(Arc<BodiesInFlight>);

impl Sending {
    fn start(bodies: &Arc<BodiesInFlight>) -> Sending {
        let now = bodies.now.fetch_add(1, Ordering::SeqCst) + 1;
        bodies.peak.fetch_max(now, Ordering::SeqCst);
        Sending(Arc::clone(bodies))
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Faults {
    /// The next requests for `path` meet `steps`, one each, in order.
    pub fn script(&self, path: &str, steps: impl IntoIterator<Item = Fault>) {
        let mut scripts = self.scripts.lock().expect("faults lock");
        scripts
            .entry(path.to_string())
            .or_default()
            .steps
            .extend(steps);
    }

    /// Every request for `path` meets `fault` once its script is used up.
    pub fn always(&self, path: &str, fault: Fault) {
        let mut scripts = self.scripts.lock().expect("faults lock");
        scripts.entry(path.to_string()).or_default().always = Some(fault);
    }

    /// Back to normal for `path`.
    pub fn clear(&self, path: &str) {
        self.scripts.lock().expect("faults lock").remove(path);
    }

    /// The most faulty bodies that were being sent at once: the connections a
    /// client kept busy with throttled files.
    pub fn peak_bodies_in_flight(&self) -> usize {
        self.bodies.peak.load(Ordering::SeqCst)
    }

    /// Bytes of [`Fault::Unsized`] bodies handed to the connections so far: a client
    /// that stops reading makes the sending stop once the socket buffers are full.
    pub fn unsized_bytes_sent(&self) -> usize {
        self.bodies.unsized_sent.load(Ordering::SeqCst)
    }

    /// Ends every stalled body (the server is stopping).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// The faulty answer for `request`, or `None` to answer normally.
    pub fn respond(&self, root: &Path, request: &Request) -> Option<Response> {
        let path = request.uri().path().to_string();
        let fault = {
            let mut scripts = self.scripts.lock().expect("faults lock");
            let script = scripts.get_mut(&path)?;
            script.steps.pop_front().or_else(|| script.always.clone())?
        };
        let fault = match fault {
            Fault::RefuseHead(_) if request.method() != axum::http::Method::HEAD => return None,
            Fault::RefuseHead(code) => Fault::Status(code, vec![]),
            fault => fault,
        };
        Some(self.answer(root, &path, request, fault))
    }

    fn answer(&self, root: &Path, path: &str, request: &Request, fault: Fault) -> Response {
        match fault {
            Fault::Status(code, headers) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::from_u16(code).expect("status code");
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .insert(name, HeaderValue::from_str(&value).expect("header value"));
                }
                return response;
            }
            Fault::Redirect(to) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::FOUND;
                response.headers_mut().insert(
                    header::LOCATION,
                    HeaderValue::from_str(&to).expect("location"),
                );
                return response;
            }
            Fault::Unsized { total } => return self.unsized_body(total),
            Fault::Trickle {
                body,
                content_type,
                chunk,
                pause,
            } => {
                let length = body.len();
                let stream = self.body(
                    Bytes::from(body),
                    Fault::Throttle {
                        chunk: chunk.max(1),
                        pause,
                    },
                );
                let mut response = Response::new(stream);
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                return response;
            }
            _ => {}
        }
        let file = root.join(path.trim_start_matches('/'));
        let Ok(contents) = std::fs::read(&file) else {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        };
        let modified = std::fs::metadata(&file)
            .and_then(|metadata| metadata.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut version = Version::of(&contents, modified);
        let total = contents.len();
        let asked = range_start(request);
        // One past the last byte asked for (a closed range stops before the end).
        let range_end = requested_range(request)
            .and_then(|(_, end)| end)
            .map_or(total, |end| (end + 1).min(total));
        let if_range_holds = request
            .headers()
            .get(header::IF_RANGE)
            .and_then(|value| value.to_str().ok())
            .is_none_or(|value| value == version.etag || value == version.last_modified);
        let (status, start, content_range) = match (&fault, asked) {
            (Fault::IgnoreRange, _) | (_, None) => (StatusCode::OK, 0, None),
            (Fault::ChangedWhole, Some(_)) => {
                version = Version::of(&contents, modified + Duration::from_secs(7200));
                (StatusCode::OK, 0, None)
            }
            (Fault::WrongContentRange, Some(_)) => (
                StatusCode::PARTIAL_CONTENT,
                0,
                Some(format!("bytes 0-{}/{total}", total.saturating_sub(1))),
            ),
            (Fault::IgnoreIfRange, Some(start)) => {
                version = Version::of(&contents, modified + Duration::from_secs(3600));
                (
                    StatusCode::PARTIAL_CONTENT,
                    start,
                    Some(format!("bytes {start}-{}/{total}", total.saturating_sub(1))),
                )
            }
            (Fault::RangeOtherTotal, Some(start)) if start < total => (
                StatusCode::PARTIAL_CONTENT,
                start,
                Some(format!("bytes {start}-{}/{}", range_end - 1, total + 1)),
            ),
            (_, Some(_)) if !if_range_holds => (StatusCode::OK, 0, None),
            (_, Some(start)) if start >= total => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                response.headers_mut().insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{total}")).expect("range"),
                );
                return response;
            }
            (_, Some(start)) => (
                StatusCode::PARTIAL_CONTENT,
                start,
                Some(format!("bytes {start}-{}/{total}", range_end - 1)),
            ),
        };
        let end = if content_range.is_some() {
            range_end
        } else {
            total
        };
        let body = Bytes::from(contents).slice(start..end);
        let length = body.len();
        let without_validators =
            matches!(fault, Fault::RangeWithoutValidators) && content_range.is_some();
        let stream = self.body(body, fault);
        let mut response = Response::new(stream);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(&version.etag).expect("etag"),
        );
        headers.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&version.last_modified).expect("date"),
        );
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(content_range) = content_range {
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&content_range).expect("range"),
            );
        }
        if without_validators {
            headers.remove(header::ETAG);
            headers.remove(header::LAST_MODIFIED);
        }
        response
    }

    /// A 200 of `total` bytes without Content-Length, counted as they go.
    fn unsized_body(&self, total: usize) -> Response {
        let bodies = Arc::clone(&self.bodies);
        let stop = self.stop.clone();
        let piece = Bytes::from(vec![b'x'; CHUNK * 4]);
        let stream = futures_util::stream::unfold(0_usize, move |sent| {
            let bodies = Arc::clone(&bodies);
            let piece = piece.clone();
            let stop = stop.clone();
            async move {
                if sent >= total || stop.is_cancelled() {
                    return None;
                }
                let piece = piece.slice(..piece.len().min(total - sent));
                bodies.unsized_sent.fetch_add(piece.len(), Ordering::SeqCst);
                Some((Ok::<_, std::io::Error>(piece.clone()), sent + piece.len()))
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        response
    }

    /// The body of an answer, misbehaving as `fault` says.
    fn body(&self, body: Bytes, fault: Fault) -> Body {
        let (cut, stall, pause, chunk) = match fault {
            Fault::ResetAfter(bytes) => (Some(bytes), None, None, CHUNK),
            Fault::StallAfter(bytes, stall) => (Some(bytes), Some(stall), None, CHUNK),
            Fault::ShortBody(bytes) => (Some(bytes), None, None, CHUNK),
            Fault::Throttle { chunk, pause } => (None, None, Some(pause), chunk.max(1)),
            _ => (None, None, None, CHUNK),
        };
        let clean_end = matches!(fault, Fault::ShortBody(_));
        let stop = self.stop.clone();
        let sending = Sending::start(&self.bodies);
        let state = (body, 0_usize, false);
        let stream = futures_util::stream::unfold(state, move |(body, sent, done)| {
            let stop = stop.clone();
            let _sending = &sending;
            async move {
                if done {
                    return None;
                }
                let limit = cut.unwrap_or(usize::MAX).min(body.len());
                if sent >= limit {
                    if sent >= body.len() {
                        return None;
                    }
                    // hyper drops unflushed bytes when a body fails: let what was
                    // "sent" reach the socket before the cut.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if clean_end {
                        return None;
                    }
                    if let Some(stall) = stall {
                        tokio::select! {
                            () = stop.cancelled() => {}
                            () = tokio::time::sleep(stall) => {}
                        }
                    }
                    let error = std::io::Error::other("fault: connection cut");
                    return Some((Err(error), (body, sent, true)));
                }
                if let Some(pause) = pause
                    && sent > 0
                {
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = tokio::time::sleep(pause) => {}
                    }
                }
                let end = (sent + chunk).min(limit);
                let piece = body.slice(sent..end);
                Some((Ok::<_, std::io::Error>(piece), (body, end, false)))
            }
        });
        Body::from_stream(stream)
    }
}

/// The validators of one version of a file.
struct Version {
    etag: String,
    last_modified: String,
}

impl Version {
    fn of(contents: &[u8], modified: SystemTime) -> Version {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        contents.hash(&mut hasher);
        modified.hash(&mut hasher);
        Version {
            etag: format!("\"{:016x}\"", hasher.finish()),
            last_modified: httpdate::fmt_http_date(modified),
        }
    }
}

/// The `N` of `Range: bytes=N-` or `bytes=N-M` (the forms fetchall sends).
fn range_start(request: &Request) -> Option<usize> {
    requested_range(request).map(|(start, _)| start)
}

/// `(N, Some(M))` for `bytes=N-M`, `(N, None)` for `bytes=N-`.
fn requested_range(request: &Request) -> Option<(usize, Option<usize>)> {
    let text = request.headers().get(header::RANGE)?.to_str().ok()?;
    let (start, end) = text.strip_prefix("bytes=")?.split_once('-')?;
    let end = if end.is_empty() {
        None
    } else {
        Some(end.parse().ok()?)
    };
    Some((start.parse().ok()?, end))
}
