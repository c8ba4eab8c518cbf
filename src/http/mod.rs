//! The network edge: the HTTP client (with its redirect rules and TLS set-up), DNS,
//! what each request carries (headers, credentials, netrc, cookies), and passwords
//! masked in what is reported.

pub mod client;
pub mod cookies;
pub mod credentials;
pub mod dns;
pub mod netrc;
pub mod redact;
mod redirect;
pub mod request;
pub mod tls;
