//! The test server over HTTPS with a self-signed certificate, offering HTTP/2 and
//! HTTP/1.1 by ALPN, and counting the TLS connections it accepts — so a test can see
//! many requests share few connections.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use super::{ListingStyle, ServerState, TestServer, bind_loopback, on_server_thread, router};

impl TestServer {
    /// Serves `root` over HTTPS on 127.0.0.1 (h2 and http/1.1), with a certificate
    /// for `127.0.0.1` written as PEM to `certificate` for the client to trust.
    pub fn start_tls(root: &Path, style: ListingStyle, certificate: &Path) -> TestServer {
        TestServer::start_tls_with(root, style, server_config(certificate))
    }

    /// Serves `root` over HTTPS with `certificate` (see [`TestCertificate`]).
    pub fn start_tls_certificate(
        root: &Path,
        style: ListingStyle,
        certificate: &TestCertificate,
    ) -> TestServer {
        TestServer::start_tls_with(root, style, certificate.server_config())
    }

    /// Serves `root` over HTTPS with this server configuration.
    pub fn start_tls_with(
        root: &Path,
        style: ListingStyle,
        config: rustls::ServerConfig,
    ) -> TestServer {
        let (listener, address) = bind_loopback();
        let state = ServerState::new(root, style);
        let connections = Arc::new(AtomicUsize::new(0));
        let (shutdown, mut shutdown_signal) = tokio::sync::oneshot::channel::<()>();
        let app_state = Arc::clone(&state);
        let counted = Arc::clone(&connections);
        let thread = on_server_thread(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let acceptor = TlsAcceptor::from(Arc::new(config));
            let app = router(app_state);
            loop {
                let accepted = tokio::select! {
                    _ = &mut shutdown_signal => break,
                    accepted = listener.accept() => accepted,
                };
                let Ok((tcp, _)) = accepted else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                let service = TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TestServer {
            address,
            scheme: "https",
            connections,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

/// A self-signed certificate for 127.0.0.1, saved as PEM, and a rustls server
/// configuration that offers h2 before http/1.1.
fn server_config(certificate: &Path) -> rustls::ServerConfig {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("self-signed certificate");
    std::fs::write(certificate, generated.cert.pem()).expect("write certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(generated.signing_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![generated.cert.der().clone()], key)
    .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// A self-signed server certificate of a chosen kind, and its key.
pub struct TestCertificate {
    certificate: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl TestCertificate {
    /// Self-signed for `names`; with `ca` it says `CA:TRUE` in its basic
    /// constraints (as `openssl req -x509` and many NAS boxes make them); `expired`
    /// ended in 2001.
    pub fn self_signed(names: &[&str], ca: bool, expired: bool) -> TestCertificate {
        let mut params = rcgen::CertificateParams::new(
            names
                .iter()
                .map(|name| name.to_string())
                .collect::<Vec<_>>(),
        )
        .expect("certificate names");
        if ca {
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("self-signed certificate");
        TestCertificate { certificate, key }
    }

    /// Writes the certificate as PEM to `path`, for `--cacert` or `SSL_CERT_FILE`.
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, self.certificate.pem()).expect("write certificate");
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key.serialize_der().into());
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![self.certificate.der().clone()], key)
        .expect("server certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}

/// Where a test keeps the certificate to pass to `--cacert`.
pub fn certificate_path(dir: &Path) -> PathBuf {
    dir.join("test-ca.pem")
}
