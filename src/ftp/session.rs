//! The sessions of a run: opened on demand (connect, `AUTH TLS` for `ftps://`,
//! login, `TYPE I`, passive mode), kept idle per server and user between uses,
//! and the commands fetchall sends on them. Every command waits at most the
//! read timeout; a session that failed or timed out is dropped, never reused.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use suppaftp::Status;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream, AsyncRustlsStream};
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode};
use url::Url;

use crate::error::FtpFailure;
use crate::ftp::data;
use crate::ftp::reply::{failure, within};
use crate::ftp::server_path;
use crate::http::client::HttpClient;

type Stream = AsyncRustlsFtpStream;

/// The password of an anonymous login, as curl and wget send it.
const ANONYMOUS_PASSWORD: &str = "anonymous@";
/// An idle session used less than this long ago is used again without a
/// `NOOP` first: servers end idle sessions after minutes, not seconds, and a
/// round trip per file would slow a folder of small files on a distant server.
const FRESH: Duration = Duration::from_secs(10);

/// The FTP sessions of one run, by server and user.
pub(crate) struct FtpSessions {
    /// Where credentials, timeouts and certificates come from.
    client: HttpClient,
    /// Logged-in sessions not in use, by [`session_key`].
    idle: Mutex<HashMap<String, Vec<Session>>>,
    /// Idle sessions kept per server at most (`--per-host`).
    max_idle: usize,
    /// The TLS configuration of `ftps://`, built at its first use.
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
    /// Servers that answered `MLSD` with "not understood": `LIST` at once.
    no_mlsd: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for FtpSessions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FtpSessions")
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

/// One logged-in control connection.
pub(crate) struct Session {
    stream: Stream,
    key: String,
    /// The login folder (`PWD`), which URL paths are under.
    home: String,
    /// When it was last given back.
    idle_since: std::time::Instant,
}

/// How a folder was listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingKind {
    /// RFC 3659 `MLSD`: facts with exact sizes and UTC times.
    Mlsd,
    /// `LIST`: `ls -l` (Unix) or DOS lines, as the server prints them.
    List,
}

/// The lines of one folder's listing.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// Which command gave them.
    pub kind: ListingKind,
    /// One entry a line, as the server sent them (decoded as UTF-8).
    pub lines: Vec<String>,
}

/// A file's body on its way: read it from [`Download::reader`], then
/// [`Download::finish`] for the server's closing reply.
pub(crate) struct Download {
    session: Session,
    stream: suppaftp::tokio::TransferStream<AsyncRustlsStream>,
    read_timeout: Duration,
    /// The command whose data this is (`RETR /pub/a.iso`), for errors.
    command: String,
}

impl FtpSessions {
    /// The sessions of a run whose HTTP client is `client` (its credentials,
    /// timeouts and certificates apply), keeping at most `max_idle` idle per
    /// server.
    pub(crate) fn new(client: HttpClient, max_idle: usize) -> FtpSessions {
        FtpSessions {
            client,
            idle: Mutex::new(HashMap::new()),
            max_idle: max_idle.max(1),
            tls: OnceLock::new(),
            no_mlsd: Mutex::new(HashSet::new()),
        }
    }

    /// `--speed-limit`, `--speed-time`: each body is measured on its own.
    pub(crate) fn low_speed(&self) -> crate::pace::speed::LowSpeed {
        self.client.low_speed()
    }

    fn read_timeout(&self) -> Duration {
        self.client.settings().read_timeout
    }

    /// Lists the folder `url`: `MLSD`, or `LIST` on a server that does not
    /// understand it; at most `limit` bytes, each within the read timeout. A
    /// refusal (`550`) is an error naming the reply.
    pub(crate) async fn list(&self, url: &Url, limit: u64) -> Result<Listing, FtpFailure> {
        let mut session = self.take(url).await?;
        let path = session.path(url)?;
        let timeout = self.read_timeout();
        let moved = within(timeout, "CWD", session.stream.cwd(&path)).await;
        moved.map_err(|error| failure(error, &format!("CWD {path}")))?;
        let origin = session.key.clone();
        let mut kind = ListingKind::List;
        if !self.lock_no_mlsd().contains(&origin) {
            kind = ListingKind::Mlsd;
            match start_listing(&mut session, "MLSD", timeout).await {
                Ok(stream) => {
                    let lines = self.read_listing(session, stream, &path, kind, limit);
                    return lines.await;
                }
                Err(FtpError::UnexpectedResponse(reply))
                    if matches!(reply.status.code(), 500 | 501 | 502 | 504) =>
                {
                    self.lock_no_mlsd().insert(origin);
                    kind = ListingKind::List;
                }
                Err(error) => return Err(failure(error, &format!("MLSD {path}"))),
            }
        }
        let stream = start_listing(&mut session, "LIST", timeout)
            .await
            .map_err(|error| failure(error, &format!("LIST {path}")))?;
        self.read_listing(session, stream, &path, kind, limit).await
    }

    /// Reads a listing's data connection to its end, then the server's reply.
    async fn read_listing(
        &self,
        session: Session,
        stream: suppaftp::tokio::TransferStream<AsyncRustlsStream>,
        path: &str,
        kind: ListingKind,
        limit: u64,
    ) -> Result<Listing, FtpFailure> {
        let command = match kind {
            ListingKind::Mlsd => format!("MLSD {path}"),
            ListingKind::List => format!("LIST {path}"),
        };
        let timeout = self.read_timeout();
        let mut download = Download {
            session,
            stream,
            read_timeout: timeout,
            command,
        };
        let text = download.read_to_end(limit).await?;
        download.finish(self).await?;
        Ok(Listing {
            kind,
            lines: data::lines(&text),
        })
    }

    /// Whether `url` (written without a final `/`) is a folder: `CWD` to it
    /// succeeds. A refusal says it is not.
    pub(crate) async fn is_folder(&self, url: &Url) -> Result<bool, FtpFailure> {
        let mut session = self.take(url).await?;
        let path = session.path(url)?;
        match within(self.read_timeout(), "CWD", session.stream.cwd(&path)).await {
            Ok(()) => {
                self.give_back(session);
                Ok(true)
            }
            Err(FtpError::UnexpectedResponse(reply)) if reply.status.code() >= 500 => {
                self.give_back(session);
                Ok(false)
            }
            Err(error) => Err(failure(error, &format!("CWD {path}"))),
        }
    }

    /// The size (`SIZE`) and modification time (`MDTM`, UTC) of the file
    /// `url`; each `None` when the server does not say. A `SIZE` refused with
    /// `550` (no such file) is an error.
    pub(crate) async fn size_and_time(
        &self,
        url: &Url,
    ) -> Result<(Option<u64>, Option<SystemTime>), FtpFailure> {
        let mut session = self.take(url).await?;
        let path = session.path(url)?;
        let timeout = self.read_timeout();
        let size = match within(timeout, "SIZE", session.stream.size(&path)).await {
            Ok(size) => Some(size as u64),
            Err(FtpError::UnexpectedResponse(reply)) if reply.status.code() == 550 => {
                self.give_back(session);
                return Err(failure(
                    FtpError::UnexpectedResponse(reply),
                    &format!("SIZE {path}"),
                ));
            }
            Err(FtpError::UnexpectedResponse(_) | FtpError::BadResponse) => None,
            Err(error) => return Err(failure(error, &format!("SIZE {path}"))),
        };
        let time = match within(timeout, "MDTM", session.stream.mdtm(&path)).await {
            Ok(time) => u64::try_from(time.and_utc().timestamp())
                .ok()
                .map(|seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)),
            Err(FtpError::UnexpectedResponse(_) | FtpError::BadResponse) => None,
            Err(error) => return Err(failure(error, &format!("MDTM {path}"))),
        };
        self.give_back(session);
        Ok((size, time))
    }

    /// Starts the body of the file `url` from byte `offset` (`REST` then
    /// `RETR`).
    pub(crate) async fn retrieve(&self, url: &Url, offset: u64) -> Result<Download, FtpFailure> {
        let mut session = self.take(url).await?;
        let path = session.path(url)?;
        let timeout = self.read_timeout();
        let offset = usize::try_from(offset).map_err(|_| FtpFailure {
            message: format!("cannot resume {path} at byte {offset}"),
            transient: false,
        })?;
        let command = if offset > 0 {
            let rest = session.stream.resume_transfer(offset);
            within(timeout, "REST", rest)
                .await
                .map_err(|error| failure(error, &format!("REST {offset}")))?;
            format!("REST {offset}, RETR {path}")
        } else {
            format!("RETR {path}")
        };
        let started = within(timeout, "RETR", session.stream.retr_as_stream(&path)).await;
        match started {
            Ok(stream) => Ok(Download {
                session,
                stream,
                read_timeout: timeout,
                command,
            }),
            Err(error @ FtpError::UnexpectedResponse(_)) => {
                self.give_back(session);
                Err(failure(error, &command))
            }
            Err(error) => Err(failure(error, &command)),
        }
    }

    /// The whole of the small file `url` (a checksum file), in memory: at most
    /// `limit` bytes, a larger one is an error.
    pub(crate) async fn read_whole(&self, url: &Url, limit: u64) -> Result<Vec<u8>, FtpFailure> {
        let mut download = self.retrieve(url, 0).await?;
        let body = download.read_to_end(limit).await?;
        download.finish(self).await?;
        Ok(body)
    }

    /// An idle session for `url`'s server and user that still answers, or a
    /// new one.
    async fn take(&self, url: &Url) -> Result<Session, FtpFailure> {
        let credentials = self.client.credentials_for(url);
        let user = credentials.map_or("anonymous", |credentials| credentials.user.as_str());
        let key = session_key(url, user);
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&key)
                .and_then(Vec::pop);
            let Some(mut session) = idle else { break };
            // A server ends idle sessions after a while: one that no longer
            // answers is dropped.
            if session.idle_since.elapsed() < FRESH
                || within(self.read_timeout(), "NOOP", session.stream.noop())
                    .await
                    .is_ok()
            {
                return Ok(session);
            }
        }
        let password = credentials.map_or(ANONYMOUS_PASSWORD, |credentials| {
            credentials.password.as_str()
        });
        self.open(url, key, user, password).await
    }

    /// Puts a session that ended its command well back for the next use.
    fn give_back(&self, mut session: Session) {
        session.idle_since = std::time::Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let sessions = idle.entry(session.key.clone()).or_default();
        if sessions.len() < self.max_idle {
            sessions.push(session);
        }
    }

    fn lock_no_mlsd(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.no_mlsd.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connects, secures (`ftps://`), logs in, and sets binary passive transfers.
    async fn open(
        &self,
        url: &Url,
        key: String,
        user: &str,
        password: &str,
    ) -> Result<Session, FtpFailure> {
        // `[::1]` for IPv6, as a socket address is written; the TLS name without.
        let host = url.host_str().unwrap_or_default();
        let port = url.port().unwrap_or(21);
        let settings = self.client.settings();
        let address = format!("{host}:{port}");
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let connecting = tokio::net::TcpStream::connect(address.clone());
        let tcp = match tokio::time::timeout(settings.connect_timeout, connecting).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => {
                return Err(FtpFailure {
                    message: format!("cannot connect to {address}: {error}"),
                    transient: error.kind() != std::io::ErrorKind::ConnectionRefused,
                });
            }
            Err(_) => {
                return Err(FtpFailure {
                    message: format!(
                        "cannot connect to {address}: no answer for {} s",
                        settings.connect_timeout.as_secs_f64()
                    ),
                    transient: true,
                });
            }
        };
        let _ = tcp.set_nodelay(true);
        let ipv6 = tcp.peer_addr().is_ok_and(|peer| peer.is_ipv6());
        let timeout = settings.read_timeout;
        let mut stream = within(timeout, "greeting", Stream::connect_with_stream(tcp))
            .await
            .map_err(|error| failure(error, "the greeting"))?;
        if url.scheme() == "ftps" {
            let connector = AsyncRustlsConnector::from(suppaftp::tokio_rustls::TlsConnector::from(
                self.tls_config()?,
            ));
            stream = within(timeout, "AUTH TLS", stream.into_secure(connector, &host))
                .await
                .map_err(|error| failure(error, "AUTH TLS"))?;
        }
        within(timeout, "login", stream.login(user, password))
            .await
            .map_err(|error| {
                let mut failure = failure(error, &format!("the login as `{user}`"));
                // A refused login is refused again: 530 is final, whatever 4xx says.
                failure.transient = false;
                failure
            })?;
        within(timeout, "TYPE I", stream.transfer_type(FileType::Binary))
            .await
            .map_err(|error| failure(error, "TYPE I"))?;
        // PASV, connecting to the control connection's address whatever the
        // reply names (as curl does): a server behind NAT works, and no reply
        // sends fetchall to another host. PASV speaks only IPv4: over IPv6,
        // EPSV (RFC 2428), which names a port only.
        if ipv6 {
            stream.set_mode(Mode::ExtendedPassive);
        } else {
            stream.set_mode(Mode::Passive);
            stream.set_passive_nat_workaround(true);
        }
        let home = match within(timeout, "PWD", stream.pwd()).await {
            Ok(home) if home.starts_with('/') => home,
            _ => "/".to_string(),
        };
        Ok(Session {
            stream,
            key,
            home,
            idle_since: std::time::Instant::now(),
        })
    }

    /// The TLS configuration of every FTPS session of the run.
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, FtpFailure> {
        let settings = self.client.settings();
        self.tls
            .get_or_init(|| {
                crate::http::tls::ftp_client_config(settings.cacert.as_deref(), settings.insecure)
                    .map(Arc::new)
                    .map_err(|error| error.to_string())
            })
            .clone()
            .map_err(|message| FtpFailure {
                message,
                transient: false,
            })
    }
}

impl Session {
    /// The server path of `url`, under the login folder.
    fn path(&self, url: &Url) -> Result<String, FtpFailure> {
        let path = server_path(url).ok_or_else(|| FtpFailure {
            message: format!("{url} names no path an FTP command can carry"),
            transient: false,
        })?;
        let path = format!("{}{path}", self.home.trim_end_matches('/'));
        // A folder is named without its final slash (`/pub`, but `/`).
        Ok(match path.trim_end_matches('/') {
            "" => "/".to_string(),
            trimmed => trimmed.to_string(),
        })
    }
}

impl Download {
    /// The body, to be read to its end.
    pub(crate) fn reader(&mut self) -> &mut suppaftp::tokio::TransferStream<AsyncRustlsStream> {
        &mut self.stream
    }

    /// All of the data, when it is at most `limit` bytes, each read within the
    /// read timeout (see [`data::read_to_end`]).
    pub(crate) async fn read_to_end(&mut self, limit: u64) -> Result<Vec<u8>, FtpFailure> {
        data::read_to_end(&mut self.stream, &self.command, limit, self.read_timeout).await
    }

    /// Closes the data connection and reads the server's reply (`226`); the
    /// session goes back to `sessions` when it ended well.
    pub(crate) async fn finish(self, sessions: &FtpSessions) -> Result<(), FtpFailure> {
        let Download {
            session,
            stream,
            read_timeout,
            command,
        } = self;
        let end = format!("the end of {command}");
        within(read_timeout, &end, stream.finish())
            .await
            .map_err(|error| failure(error, &end))?;
        sessions.give_back(session);
        Ok(())
    }
}

/// Sends `command` (`MLSD`, `LIST`) and opens its data connection.
async fn start_listing(
    session: &mut Session,
    command: &str,
    timeout: Duration,
) -> Result<suppaftp::tokio::TransferStream<AsyncRustlsStream>, FtpError> {
    let expected = [Status::AboutToSend, Status::AlreadyOpen];
    let started = session.stream.custom_data_command(command, &expected);
    within(timeout, command, started)
        .await
        .map(|(_, stream)| stream)
}

/// The idle sessions a URL may use: same scheme, server, port and user.
fn session_key(url: &Url, user: &str) -> String {
    format!(
        "{}://{user}@{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().unwrap_or(21)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_kept_per_scheme_server_port_and_user() {
        let url = |text: &str| Url::parse(text).expect("URL");
        assert_eq!(
            session_key(&url("ftp://h/pub/"), "anonymous"),
            "ftp://anonymous@h:21"
        );
        assert_ne!(
            session_key(&url("ftp://h/"), "a"),
            session_key(&url("ftps://h/"), "a")
        );
        assert_ne!(
            session_key(&url("ftp://h:2121/"), "a"),
            session_key(&url("ftp://h/"), "a")
        );
    }
}
