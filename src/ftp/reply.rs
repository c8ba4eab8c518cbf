//! What an FTP command's failure is for the run: the server's reply (or the
//! lost connection) and the command it answered, transient or final, and the
//! read timeout every command is given.

use std::future::Future;
use std::time::Duration;

use suppaftp::FtpError;

use crate::error::FtpFailure;

/// Runs one command within `timeout`; a timeout is a connection error.
pub(crate) async fn within<T>(
    timeout: Duration,
    what: &str,
    command: impl Future<Output = Result<T, FtpError>>,
) -> Result<T, FtpError> {
    tokio::time::timeout(timeout, command)
        .await
        .unwrap_or_else(|_| {
            Err(FtpError::ConnectionError(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer to {what} for {} s", timeout.as_secs_f64()),
            )))
        })
}

/// An error of the command `command` as the run reports it: the server's
/// reply and the command, transient for a `4xx` reply or a lost connection.
pub(crate) fn failure(error: FtpError, command: &str) -> FtpFailure {
    match error {
        FtpError::UnexpectedResponse(reply) => {
            let code = reply.status.code();
            let text = String::from_utf8_lossy(&reply.body);
            let text = text.trim();
            let text = if text.starts_with(&code.to_string()) {
                text.to_string()
            } else {
                format!("{code} {text}")
            };
            FtpFailure {
                message: format!("the server answered `{text}` to {command}"),
                transient: (400..500).contains(&code),
            }
        }
        FtpError::ConnectionError(error) => FtpFailure {
            message: format!("the connection failed during {command}: {error}"),
            transient: true,
        },
        FtpError::SecureError(error) => {
            // A certificate refused stays refused; a handshake cut or garbled on the
            // way (seen under load: "received corrupt message") is worth another try.
            let text = error.to_string();
            FtpFailure {
                transient: !text.to_ascii_lowercase().contains("certificate"),
                message: format!("TLS failed during {command}: {text}"),
            }
        }
        FtpError::DataConnectionAlreadyOpen => FtpFailure {
            message: format!("a data connection was still open at {command}"),
            transient: true,
        },
        other => FtpFailure {
            message: format!("{command} failed: {other}"),
            transient: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use suppaftp::Status;

    fn reply(code: u32, text: &str) -> FtpError {
        FtpError::UnexpectedResponse(suppaftp::types::Response::new(
            Status::from(code),
            text.as_bytes().to_vec(),
        ))
    }

    #[test]
    fn a_4xx_reply_is_transient_and_a_5xx_final() {
        let busy = failure(reply(421, "421 Too many users\r\n"), "RETR /a");
        assert!(busy.transient);
        assert_eq!(
            busy.message,
            "the server answered `421 Too many users` to RETR /a"
        );
        let missing = failure(reply(550, "550 No such file"), "RETR /a");
        assert!(!missing.transient);
        assert!(missing.message.contains("550 No such file"));
    }

    #[test]
    fn a_garbled_tls_handshake_is_transient_and_a_refused_certificate_final() {
        // As libunftp's AUTH TLS answered once under load.
        let garbled = FtpError::SecureError(
            "received corrupt message of type InvalidContentType".to_string(),
        );
        assert!(failure(garbled, "AUTH TLS").transient);
        // rustls's words for a certificate no root vouches for.
        let refused = FtpError::SecureError("invalid peer certificate: UnknownIssuer".to_string());
        let refused = failure(refused, "AUTH TLS");
        assert!(!refused.transient);
        assert!(refused.message.contains("UnknownIssuer"));
    }
}
