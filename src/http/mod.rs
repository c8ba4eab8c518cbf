//! The network edge: the HTTP client, DNS, what each request carries (headers,
//! credentials, netrc, cookies), and passwords masked in what is reported.

pub mod client;
pub mod cookies;
pub mod credentials;
pub mod dns;
pub mod netrc;
pub mod redact;
pub mod redirect;
pub mod request;
pub mod tls;
