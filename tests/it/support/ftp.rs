//! A real FTP server in the test binary: libunftp with its file-system back-end,
//! serving a folder on 127.0.0.1 (MLSD, LIST, SIZE, MDTM, REST, passive mode), on
//! a runtime of its own, with a log of the bodies it sent (`RETR`s that ended)
//! and an authenticator that is anonymous or wants one user and password.
//!
//! [`HostileFtp`] is the other kind: a scripted imitation that answers every
//! listing with the lines a test gives, for what no real server lists (`../x`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libunftp::notification::{DataEvent, DataListener, EventMeta, PresenceEvent, PresenceListener};
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};
use unftp_sbe_fs::Filesystem;

/// A running libunftp server; stopped with the test process.
pub struct FtpServer {
    pub port: u16,
    /// `127.0.0.1`, or `[::1]`.
    host: &'static str,
    sent: Arc<Mutex<Vec<(String, u64)>>>,
    logins: Arc<Mutex<usize>>,
}

/// Counts the logins that succeeded.
#[derive(Debug)]
struct Logins(Arc<Mutex<usize>>);

#[async_trait::async_trait]
impl PresenceListener for Logins {
    async fn receive_presence_event(&self, event: PresenceEvent, _meta: EventMeta) {
        if matches!(event, PresenceEvent::LoggedIn) {
            *self.0.lock().expect("log") += 1;
        }
    }
}

/// Counts each `RETR` that ended, with its path and bytes.
#[derive(Debug)]
struct Sent(Arc<Mutex<Vec<(String, u64)>>>);

#[async_trait::async_trait]
impl DataListener for Sent {
    async fn receive_data_event(&self, event: DataEvent, _meta: EventMeta) {
        if let DataEvent::Got { path, bytes } = event {
            self.0.lock().expect("log").push((path, bytes));
        }
    }
}

/// Anonymous, or only `user` with `password`.
#[derive(Debug)]
struct Login(Option<(String, String)>);

#[async_trait::async_trait]
impl Authenticator for Login {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        match &self.0 {
            Some((user, password))
                if username != user || creds.password.as_deref() != Some(password.as_str()) =>
            {
                Err(AuthenticationError::BadPassword)
            }
            _ => Ok(Principal {
                username: username.to_string(),
            }),
        }
    }
}

impl FtpServer {
    /// Serves `root` to anyone.
    pub fn anonymous(root: &Path) -> FtpServer {
        FtpServer::start(root, None)
    }

    /// Serves `root` to `user` with `password` only.
    pub fn with_login(root: &Path, user: &str, password: &str) -> FtpServer {
        FtpServer::start(root, Some((user.to_string(), password.to_string())))
    }

    /// Serves `root` to anyone, with `AUTH TLS` offered: a self-signed
    /// certificate for 127.0.0.1, its PEM written to `certificate` for the
    /// client to trust (the key beside it).
    pub fn with_tls(root: &Path, certificate: &Path) -> FtpServer {
        let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
            .expect("self-signed certificate");
        std::fs::write(certificate, generated.cert.pem()).expect("write certificate");
        let key = certificate.with_extension("key");
        std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write key");
        FtpServer::start_with(
            root,
            None,
            Some((certificate.to_path_buf(), key)),
            "127.0.0.1",
        )
    }

    fn start(root: &Path, login: Option<(String, String)>) -> FtpServer {
        FtpServer::start_with(root, login, None, "127.0.0.1")
    }

    /// Serves `root` to anyone on IPv6's loopback, `[::1]`.
    pub fn anonymous_ipv6(root: &Path) -> FtpServer {
        FtpServer::start_with(root, None, None, "[::1]")
    }

    fn start_with(
        root: &Path,
        login: Option<(String, String)>,
        tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
        host: &'static str,
    ) -> FtpServer {
        // The port is picked by the system, then given to libunftp (which binds
        // it itself); a lost race shows as a failed connection below.
        let port = TcpListener::bind(format!("{host}:0"))
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let root = root.to_path_buf();
        let listener = Sent(Arc::clone(&sent));
        let logins = Arc::new(Mutex::new(0));
        let presence = Logins(Arc::clone(&logins));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut builder = libunftp::ServerBuilder::with_authenticator(
                    Box::new(move || Filesystem::new(root.clone()).expect("served folder")),
                    Arc::new(Login(login)),
                )
                .notify_data(listener)
                .notify_presence(presence)
                .passive_ports(50_000..=65_000);
                if let Some((certificate, key)) = tls {
                    builder = builder.ftps(certificate, key);
                }
                let server = builder.build().expect("FTP server");
                let _ = server.listen(format!("{host}:{port}")).await;
            });
        });
        for _ in 0..200 {
            if TcpStream::connect(format!("{host}:{port}")).is_ok() {
                return FtpServer {
                    port,
                    host,
                    sent,
                    logins,
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the FTP server did not start on port {port}");
    }

    /// `ftp://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("ftp://{}:{}{path}", self.host, self.port)
    }

    /// `ftps://127.0.0.1:PORT{path}`: the same server, with `AUTH TLS`.
    pub fn tls_url(&self, path: &str) -> String {
        format!("ftps://{}:{}{path}", self.host, self.port)
    }

    /// The bodies sent so far: each finished `RETR`'s path and bytes.
    pub fn sent(&self) -> Vec<(String, u64)> {
        self.sent.lock().expect("log").clone()
    }

    /// The logins that succeeded so far.
    pub fn logins(&self) -> usize {
        *self.logins.lock().expect("log")
    }

    /// Forgets the bodies sent so far.
    pub fn clear_sent(&self) {
        self.sent.lock().expect("log").clear();
    }
}

/// A scripted FTP server: logs anyone in, answers `MLSD` in every folder with
/// `lines` (after answering the first `busy` of them with `refusal`), and
/// `RETR` of any path with `body` from the `REST` offset (the first one cut off
/// after `cut` bytes, as a dropped connection), or `550` without a body; it
/// records each command it received.
pub struct HostileFtp {
    pub port: u16,
    commands: Arc<Mutex<Vec<String>>>,
}

/// What a [`HostileFtp`] answers.
struct Script {
    listing: String,
    /// A pause before each line of the listing: slow, but never silent for long.
    pause: Duration,
    busy: Mutex<usize>,
    refusal: &'static str,
    body: Option<Vec<u8>>,
    cut: Mutex<Option<usize>>,
}

impl HostileFtp {
    pub fn listing(lines: &[&str]) -> HostileFtp {
        HostileFtp::listing_after_busy(lines, 0)
    }

    pub fn listing_after_busy(lines: &[&str], busy: usize) -> HostileFtp {
        HostileFtp::start(lines, busy, "421 Too busy, try later", None)
    }

    /// Lists `lines` one at a time, `pause` before each.
    pub fn listing_paced(lines: &[&str], pause: Duration) -> HostileFtp {
        HostileFtp::start_paced(lines, 0, "", None, pause)
    }

    /// Every listing refused with `550`.
    pub fn listing_refused(lines: &[&str]) -> HostileFtp {
        HostileFtp::start(lines, usize::MAX, "550 Permission denied", None)
    }

    /// Lists `lines`, and sends `body` for any file: the first time only its
    /// first `cut` bytes, then `426`.
    pub fn serving_cut(lines: &[&str], body: Vec<u8>, cut: usize) -> HostileFtp {
        HostileFtp::start(lines, 0, "", Some((body, cut)))
    }

    fn start(
        lines: &[&str],
        busy: usize,
        refusal: &'static str,
        body: Option<(Vec<u8>, usize)>,
    ) -> HostileFtp {
        HostileFtp::start_paced(lines, busy, refusal, body, Duration::ZERO)
    }

    fn start_paced(
        lines: &[&str],
        busy: usize,
        refusal: &'static str,
        body: Option<(Vec<u8>, usize)>,
        pause: Duration,
    ) -> HostileFtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let (body, cut) = match body {
            Some((body, cut)) => (Some(body), Some(cut)),
            None => (None, None),
        };
        let script = Arc::new(Script {
            listing: lines.iter().map(|line| format!("{line}\r\n")).collect(),
            pause,
            busy: Mutex::new(busy),
            refusal,
            body,
            cut: Mutex::new(cut),
        });
        let log = Arc::clone(&commands);
        std::thread::spawn(move || {
            for control in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                let script = Arc::clone(&script);
                std::thread::spawn(move || serve_hostile(control, &script, &log));
            }
        });
        HostileFtp { port, commands }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ftp://127.0.0.1:{}{path}", self.port)
    }

    /// Every command received, in order.
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().expect("log").clone()
    }
}

fn serve_hostile(control: TcpStream, script: &Script, log: &Mutex<Vec<String>>) {
    let Ok(reader) = control.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let mut writer = control;
    let mut passive: Option<TcpListener> = None;
    let mut offset = 0;
    let reply = |writer: &mut TcpStream, text: &str| {
        let _ = writer.write_all(format!("{text}\r\n").as_bytes());
    };
    reply(&mut writer, "220 hostile");
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|read| read > 0) {
        let command = line.trim_end().to_string();
        line.clear();
        log.lock().expect("log").push(command.clone());
        let verb = command
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match verb.as_str() {
            "USER" => reply(&mut writer, "331 password please"),
            "PASS" => reply(&mut writer, "230 logged in"),
            "TYPE" => reply(&mut writer, "200 binary"),
            "PWD" => reply(&mut writer, "257 \"/\" is the folder"),
            "CWD" => reply(&mut writer, "250 here"),
            "NOOP" => reply(&mut writer, "200 ok"),
            "REST" => {
                offset = command[5..].trim().parse().unwrap_or(0);
                reply(&mut writer, "350 restarting");
            }
            "PASV" => {
                let data = TcpListener::bind("127.0.0.1:0").expect("bind");
                let port = data.local_addr().expect("address").port();
                passive = Some(data);
                let text = format!(
                    "227 Entering Passive Mode (127,0,0,1,{},{})",
                    port / 256,
                    port % 256
                );
                reply(&mut writer, &text);
            }
            "MLSD" | "LIST"
                if {
                    let mut busy = script.busy.lock().expect("busy");
                    let refused = *busy > 0;
                    *busy = busy.saturating_sub(1);
                    refused
                } =>
            {
                reply(&mut writer, script.refusal);
            }
            "MLSD" | "LIST" | "RETR" => {
                let sent = match verb.as_str() {
                    "RETR" => match &script.body {
                        Some(body) => body[offset.min(body.len())..].to_vec(),
                        None => {
                            reply(&mut writer, "550 refused");
                            continue;
                        }
                    },
                    _ => script.listing.as_bytes().to_vec(),
                };
                let cut = match verb.as_str() {
                    "RETR" => script.cut.lock().expect("cut").take(),
                    _ => None,
                };
                offset = 0;
                match passive.take().map(|data| data.accept()) {
                    Some(Ok((mut data, _))) => {
                        reply(&mut writer, "150 here it comes");
                        let end = cut.unwrap_or(sent.len()).min(sent.len());
                        if script.pause.is_zero() || verb == "RETR" {
                            let _ = data.write_all(&sent[..end]);
                        } else {
                            for line in sent[..end].split_inclusive(|byte| *byte == b'\n') {
                                std::thread::sleep(script.pause);
                                let _ = data.write_all(line);
                            }
                        }
                        drop(data);
                        match cut {
                            Some(_) => {
                                reply(&mut writer, "426 Connection closed; transfer aborted")
                            }
                            None => reply(&mut writer, "226 done"),
                        }
                    }
                    _ => reply(&mut writer, "425 no data connection"),
                }
            }
            "QUIT" => {
                reply(&mut writer, "221 bye");
                return;
            }
            _ => reply(&mut writer, "550 refused"),
        }
    }
}
