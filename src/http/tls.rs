//! TLS: the certificates a run trusts, and telling a refused certificate (final at
//! once) from other failures.
//!
//! Certificates the user trusts explicitly (`--cacert`, `SSL_CERT_FILE`): curl and
//! wget accept a server whose certificate is self-signed when the user gives that
//! very certificate; rustls's verifier refuses it as the end of a chain when it says
//! `CA:TRUE` (`CaUsedAsEndEntity`, as `openssl req -x509` and many NAS boxes make
//! them), or as having no known issuer. The verifier here is the one reqwest
//! uses (the system's roots and the given ones, webpki rules), and only when it
//! refuses for one of those two reasons does it accept the certificate — if it is
//! byte for byte one the user gave, and valid for the server's name. Its validity
//! period has been checked by then: webpki checks it before either of those errors.
//! Signatures of the handshake are verified as always.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::error::{NoTrustedRoots, RequestError};

/// The certificates of `--cacert FILE` and of the file `SSL_CERT_FILE` names.
pub(crate) fn given_certificates(
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
pub(crate) fn client_config(
    given: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, RequestError> {
    let mut config = verifying_config(given, false)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The TLS configuration of FTPS sessions: the same trust as HTTPS (the
/// system's roots, `--cacert`, `SSL_CERT_FILE`), any certificate with
/// `--insecure`, and no ALPN (FTP names none).
pub(crate) fn ftp_client_config(
    cacert: Option<&Path>,
    insecure: bool,
) -> Result<rustls::ClientConfig, RequestError> {
    verifying_config(given_certificates(cacert)?, insecure)
}

/// [`client_config`] without ALPN; `accept_any`: `--insecure`.
fn verifying_config(
    given: Vec<CertificateDer<'static>>,
    accept_any: bool,
) -> Result<rustls::ClientConfig, RequestError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error = |error: rustls::Error| {
        RequestError::Client(format!("cannot use the given certificates: {error}"))
    };
    // Every given certificate is also a root, as with reqwest's own `--cacert`
    // set-up; `SSL_CERT_FILE`'s are also read by the platform verifier itself.
    // The system's roots are read at the first handshake; the given ones are
    // checked now, so a bad `--cacert` fails the run before it starts.
    let mut given_roots = rustls::RootCertStore::empty();
    for certificate in &given {
        given_roots.add(certificate.clone()).map_err(tls_error)?;
    }
    let verifier = GivenCertificates {
        system: SystemRoots {
            provider: Arc::clone(&provider),
            built: OnceLock::new(),
        },
        given,
        accept_any,
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The system's verifier (its roots and the given ones), built for the first
/// certificate to verify: reading and parsing the system's roots costs more CPU
/// than the rest of a small run (two thirds of the instructions of a 3-file
/// mirror, callgrind), and a run over plain HTTP never needs them.
#[derive(Debug)]
struct SystemRoots {
    provider: Arc<rustls::crypto::CryptoProvider>,
    built: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl SystemRoots {
    /// The verifier, built on the first call with `given` (the run's given
    /// certificates, the same on every call) as extra roots. A machine without
    /// roots (a slim container with no CA store) fails every certificate with
    /// that reason: final at once, as a refused certificate is (see
    /// [`crate::error::is_certificate_error`]).
    fn verifier(
        &self,
        given: &[CertificateDer<'static>],
    ) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.built
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    given.iter().cloned(),
                    Arc::clone(&self.provider),
                )
                .map_err(|error| {
                    rustls::Error::Other(rustls::OtherError(Arc::new(NoTrustedRoots(
                        error.to_string(),
                    ))))
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[derive(Debug)]
struct GivenCertificates {
    system: SystemRoots,
    given: Vec<CertificateDer<'static>>,
    /// `--insecure` (FTPS): any certificate; handshake signatures are still checked.
    accept_any: bool,
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
        let verdict = self.system.verifier(&self.given).and_then(|system| {
            system.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        });
        match verdict {
            Err(refused) if self.accept_any || self.accepts(&refused, end_entity, server_name) => {
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
        // As the system's verifier checks them (webpki, the provider's
        // algorithms), with no root needed: `--insecure` works without any.
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.system.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.system.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.system
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_certificate_that_is_no_certificate_fails_before_any_handshake() {
        // The system's roots are read at the first handshake; what the user gave
        // is checked when the client is made, so a bad `--cacert` stops the run.
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let error = client_config(vec![garbage]).expect_err("not a certificate");
        assert!(
            error
                .to_string()
                .contains("cannot use the given certificates"),
            "{error}"
        );
    }
}
