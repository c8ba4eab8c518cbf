//! Error types. A fatal [`Error`] stops the run (bad start page, unusable output
//! folder); a [`TransferError`] fails one file and the run goes on.
//!
//! This is the vocabulary at the bottom of the crate: it imports nothing from the
//! modules that use it, so every one of them can. Formatting an error for a report
//! (its causes on one line, passwords masked) is `http::redact::error_chain`.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// User input (a line of a URL list or a plan, a URL given) as an error quotes
/// it: control characters escaped (a NUL or an escape sequence printed raw would
/// garble the terminal), and at most 100 characters (a 10 MB line is not echoed).
pub(crate) fn shown_input(text: &str) -> String {
    let mut shown = String::new();
    for (count, character) in text.chars().enumerate() {
        if count == 100 {
            shown.push('…');
            break;
        }
        if character.is_control() {
            shown.extend(character.escape_debug());
        } else {
            shown.push(character);
        }
    }
    shown
}

/// What stops a whole run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The start URL could not be parsed.
    #[error("invalid URL `{input}`")]
    InvalidUrl {
        /// What the user gave.
        input: String,
        /// Why it is not a URL.
        #[source]
        source: url::ParseError,
    },
    /// The start URL is not http, https, ftp or ftps.
    #[error("unsupported URL `{url}`: only http, https, ftp and ftps are supported")]
    UnsupportedScheme {
        /// The URL.
        url: String,
    },
    /// The output folder could not be created or used.
    #[error("cannot use output folder `{}`", path.display())]
    OutputDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Another run holds the lock of the output folder (see [`crate::disk::lock`]).
    #[error(
        "the output folder `{}` is in use by another fetchall run ({holder}); \
         --wait-for-lock waits for it to finish",
        path.display()
    )]
    Locked {
        /// The folder.
        path: PathBuf,
        /// Who holds it: pid, host, start time and command line, as it wrote them.
        holder: String,
    },
    /// Options that cannot go together (`--delete` with `--flat`, say).
    #[error("{0}")]
    Usage(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("failed to set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The request options (`-H`, `--netrc`, `--cookies`, `--cacert`, `--proxy`) are
    /// unusable.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The plan given (`-i PLAN`, [`Options::plan`](crate::Options::plan)) cannot
    /// be used: it cannot be opened, it is not a plan, or the options do not fit it.
    #[error("cannot use the plan `{}`", path.display())]
    Plan {
        /// The plan file (`-` for stdin).
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The URL list given (`-i FILE`, [`Options::list_file`](crate::Options::list_file))
    /// cannot be read.
    #[error("cannot read the URL list `{}`", path.display())]
    UrlList {
        /// The list file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `--checksums FILE|URL` could not be read.
    #[error("cannot read the checksum file `{location}`")]
    Checksums {
        /// The file or URL (password masked).
        location: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Why the request options cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A `-H` header that is not `Name: value`.
    #[error("invalid header `{0}`: expected `Name: value`")]
    Header(String),
    /// A file (netrc, cookies, CA certificates) could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CA file holds no usable certificate, or the proxy URL is invalid.
    #[error("{0}")]
    Client(String),
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Connection, TLS or protocol failure.
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    /// The server answered with an error status.
    #[error("{}server answered {status}", redirected(redirected_to.as_deref()))]
    Status {
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// Where a redirect led, when the answer came from there.
        redirected_to: Option<Box<url::Url>>,
    },
    /// The server stopped sending.
    #[error("no data received for {} s", .0.as_secs_f64())]
    ReadTimeout(Duration),
    /// The page arrived slower than `--speed-limit` for `--speed-time`.
    #[error("{}", slower_than(*.limit, *.time))]
    TooSlow {
        /// Bytes per second.
        limit: u64,
        /// The window the rate was measured over.
        time: Duration,
    },
    /// The page is larger than we are willing to hold in memory.
    #[error("page is larger than {} MiB; stopped reading it", .limit / (1024 * 1024))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body could not be decompressed.
    #[error("cannot decode `{encoding}` content")]
    Decode {
        /// The Content-Encoding.
        encoding: String,
        /// The decoder error.
        #[source]
        source: io::Error,
    },
    /// The answer is no listing fetchall reads (an S3 `<Error>`, other XML): an
    /// error, never an empty folder.
    #[error("the answer ({content_type}) is not a listing: {found}; expected {expected}")]
    NotAListing {
        /// The `Content-Type` of the answer (`none` when it had none).
        content_type: String,
        /// What it was instead.
        found: String,
        /// What fetchall reads there.
        expected: &'static str,
    },
    /// An FTP server refused the listing, or the session to it failed.
    #[error("{0}")]
    Ftp(FtpFailure),
}

/// What went wrong with an FTP server: its reply to a command (`550 No such file
/// (RETR /pub/x)`), or the session's failure (connection, TLS, login).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("FTP: {message}")]
pub struct FtpFailure {
    /// The server's reply and the command it answered, or what failed.
    pub message: String,
    /// Whether asking again may succeed: a 4xx reply, a dropped connection.
    pub transient: bool,
}

/// Why one file failed. The run goes on with the others.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Connection, TLS or protocol failure.
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    /// The server answered with an error status.
    #[error("{}server answered {status}", redirected(redirected_to.as_deref()))]
    Status {
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// Where a redirect led, when the answer came from there: the message
        /// names the URL that failed, not only the one asked for.
        redirected_to: Option<Box<url::Url>>,
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// No bytes arrived for the read timeout.
    #[error("no data received for {} s", .0.as_secs_f64())]
    ReadTimeout(Duration),
    /// The body ended before Content-Length.
    #[error("connection closed after {received} of {expected} bytes")]
    Truncated {
        /// Bytes announced by Content-Length.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// The body arrived slower than `--speed-limit` for `--speed-time`.
    #[error("{}", slower_than(*.limit, *.time))]
    TooSlow {
        /// Bytes per second.
        limit: u64,
        /// The window the rate was measured over.
        time: Duration,
    },
    /// The body went past Content-Length.
    #[error("server sent more than the {expected} bytes it announced")]
    TooLong {
        /// Bytes announced by Content-Length.
        expected: u64,
    },
    /// A local file operation failed.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What we were doing: "create", "write", "rename to"...
        action: &'static str,
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The server answered a request without `Range` with a partial body, so there
    /// is no way to get the whole file from it.
    #[error(
        "server sent part of the file (`Content-Range: {content_range}`) when asked for all of it"
    )]
    UnexpectedPartial {
        /// The Content-Range it sent.
        content_range: String,
    },
    /// A 304 Not Modified to a request that asked for no comparison (no copy was
    /// here to keep, or `--force` replaces it): it cannot stand for the file.
    #[error(
        "server answered 304 Not Modified, but nothing was compared: there is no copy here it could mean"
    )]
    UnaskedNotModified,
    /// A range came back as another version than the bytes already on disk: its
    /// ETag, Last-Modified or total size differs. The partial file was dropped and
    /// the file starts again.
    #[error("the file changed on the server during the download ({detail})")]
    Changed {
        /// What differs, e.g. `ETag "a" became "b"`.
        detail: String,
    },
    /// A range request of a split download was answered in a way that cannot be
    /// assembled (a 200, or a 206 for other bytes) while the file's validators are
    /// unchanged: the server does not honour ranges for it. The file is then fetched
    /// over one connection; this error does not reach the user.
    #[error("the server does not honour range requests for this file")]
    RangesIgnored,
    /// Transient failures went on past the retry limit; `last` is the final one.
    #[error("gave up after {attempts} attempts")]
    GaveUp {
        /// Requests made, the first included.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last: Box<TransferError>,
    },
    /// The run was interrupted (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// The bytes do not have the digest a checksum file gives; they were deleted.
    #[error("checksum mismatch")]
    Checksum(#[source] Mismatch),
    /// An FTP server refused the file, or the session to it failed.
    #[error("{0}")]
    Ftp(FtpFailure),
}

/// A digest that differs from the one a checksum file gives. The algorithm is named,
/// not typed, so that this vocabulary needs nothing from [`crate::checksum`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{algorithm} of the bytes received is {actual}, the checksum file says {expected}")]
pub struct Mismatch {
    /// The algorithm's name, as [`crate::checksum::Algorithm::name`] gives it: `sha256`.
    pub algorithm: &'static str,
    /// The expected digest, hexadecimal.
    pub expected: String,
    /// The digest of the bytes, hexadecimal.
    pub actual: String,
}

impl TransferError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        TransferError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// `slower than 1 KiB/s for 20 s (--speed-limit, --speed-time)`.
fn slower_than(limit: u64, time: Duration) -> String {
    let rate = if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB/s", limit / (1024 * 1024))
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB/s", limit / 1024)
    } else {
        format!("{limit} bytes/s")
    };
    format!(
        "slower than {rate} for {} s (--speed-limit, --speed-time)",
        time.as_secs_f64()
    )
}

/// Where an answer came from, when a redirect led away from the URL asked for.
pub(crate) fn redirect_target(requested: &url::Url, served: &url::Url) -> Option<Box<url::Url>> {
    (requested != served).then(|| Box::new(served.clone()))
}

/// `redirected to URL: `, or nothing, ahead of a message about an answer.
fn redirected(target: Option<&url::Url>) -> String {
    target.map_or_else(String::new, |url| format!("redirected to {url}: "))
}

/// No server certificate can be verified: the system's roots could not be read
/// (a machine without a CA store). Made at the first HTTPS handshake.
#[derive(Debug, thiserror::Error)]
#[error("no trusted root certificates ({0}); give them with --cacert or SSL_CERT_FILE")]
pub(crate) struct NoTrustedRoots(pub(crate) String);

/// Whether `error`, or any of its causes, is a refused server certificate: final at
/// once, since asking again gets the same certificate.
pub(crate) fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let refused = |error: &(dyn std::error::Error + 'static)| {
        match error.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) => {
                true
            }
            // No root to verify any certificate with: asking again changes nothing.
            Some(rustls::Error::Other(other)) => other.0.downcast_ref::<NoTrustedRoots>().is_some(),
            _ => false,
        }
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
