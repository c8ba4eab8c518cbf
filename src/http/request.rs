//! What every request of a run carries, as curl and wget users expect: extra
//! headers (`-H`), credentials (`-u`, `--netrc`), cookies (`--cookies`), and how the
//! client connects (`--proxy`, `--cacert`, `--insecure`).
//!
//! Credentials go only where they belong: `-u` to the hosts of the start URLs,
//! `.netrc` entries to their `machine`, cookies to their domain and path. They are
//! added to each request for its own URL, never as client-wide defaults, so a file
//! linked on another host (`--span-hosts`) never receives them; on a redirect to
//! another host, scheme or port, the HTTP client drops `Authorization`, `Cookie` and
//! `Proxy-Authorization`. The same three headers given with `-H` are credentials
//! too: like `-u`, they go only to the origins (scheme, host and port) of the start
//! URLs; every other `-H` header goes everywhere, as with curl.

use std::collections::HashMap;
use std::path::PathBuf;

use reqwest::header::{
    AUTHORIZATION, COOKIE, HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION,
};
use url::Url;

use crate::error::RequestError;
use crate::http::cookies::CookieJar;
use crate::http::credentials::Credentials;
use crate::http::netrc::Netrc;

/// The request options of a run. Plain data: the CLI fills it from its arguments.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// `-H 'Name: value'`: sent with every request (like curl, to every host), except
    /// `Authorization`, `Cookie` and `Proxy-Authorization`, which go only to the
    /// origins of the start URLs.
    pub headers: Vec<(String, String)>,
    /// `-u`: sent to the hosts (and ports) of the start URLs only.
    pub user: Option<Credentials>,
    /// `--netrc` / `--netrc-file`: credentials per host from this file.
    pub netrc: Option<PathBuf>,
    /// `--cookies`: a Netscape `cookies.txt` whose cookies are sent where they match.
    pub cookies: Option<PathBuf>,
    /// `--proxy`: every request through this proxy (else `HTTP_PROXY`,
    /// `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` from the environment).
    pub proxy: Option<String>,
    /// `--cacert`: also trust the certificates of this PEM file.
    pub cacert: Option<PathBuf>,
    /// `--insecure`: accept any TLS certificate. For tests and emergencies.
    pub insecure: bool,
}

/// The request options, compiled for a run: what to add to a request for a URL.
#[derive(Debug, Default)]
pub struct RequestRules {
    /// `-H` headers for every request.
    headers: HeaderMap,
    /// `-H` headers that are credentials, for the start URLs' origins only.
    sensitive_headers: HeaderMap,
    /// `scheme://host:port` of each start URL.
    start_origins: std::collections::HashSet<String>,
    /// Credentials by `host:port`: `-u` for each start URL's host, or the
    /// `user:password@` of a start URL for its own host.
    users: HashMap<String, Credentials>,
    netrc: Option<Netrc>,
    cookies: Option<CookieJar>,
}

impl RequestRules {
    /// Compiles `options` for a run starting at `starts`.
    pub fn new(options: &RequestOptions, starts: &[Url]) -> Result<RequestRules, RequestError> {
        let mut headers = HeaderMap::new();
        let mut sensitive_headers = HeaderMap::new();
        for (name, value) in &options.headers {
            let invalid = || RequestError::Header(format!("{name}: {value}"));
            // `HeaderName` is lower-case whatever was typed, so the check below
            // catches `authorization` and `COOKIE` too.
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| invalid())?;
            let mut value = HeaderValue::from_str(value.trim()).map_err(|_| invalid())?;
            if is_credential_header(&name) {
                value.set_sensitive(true);
                sensitive_headers.append(name, value);
            } else {
                headers.append(name, value);
            }
        }
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).map_err(|source| RequestError::Read {
                path: path.clone(),
                source,
            })
        };
        let mut users = HashMap::new();
        for start in starts {
            let from_url = (!start.username().is_empty()).then(|| {
                let decode = |text: &str| {
                    percent_encoding::percent_decode_str(text)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                Credentials::new(decode(start.username()), start.password().map(decode))
            });
            if let Some(credentials) = from_url.or_else(|| options.user.clone()) {
                users.entry(host_key(start)).or_insert(credentials);
            }
        }
        Ok(RequestRules {
            headers,
            sensitive_headers,
            start_origins: starts.iter().map(origin_key).collect(),
            users,
            netrc: options
                .netrc
                .as_ref()
                .map(read)
                .transpose()?
                .map(|text| Netrc::parse(&text)),
            cookies: options
                .cookies
                .as_ref()
                .map(read)
                .transpose()?
                .map(|text| CookieJar::parse(&text)),
        })
    }

    /// Adds to `request` what a request for `url` carries.
    pub fn decorate(
        &self,
        mut request: reqwest::RequestBuilder,
        url: &Url,
    ) -> reqwest::RequestBuilder {
        if !self.headers.is_empty() {
            request = request.headers(self.headers.clone());
        }
        let own_credentials =
            !self.sensitive_headers.is_empty() && self.start_origins.contains(&origin_key(url));
        if own_credentials {
            request = request.headers(self.sensitive_headers.clone());
        }
        if !(own_credentials && self.sensitive_headers.contains_key(AUTHORIZATION))
            && let Some(credentials) = self.credentials_for(url)
        {
            // reqwest encodes it and marks the header sensitive.
            request = request.basic_auth(&credentials.user, Some(&credentials.password));
        }
        if let Some(cookie) = self.cookies.as_ref().and_then(|jar| jar.header_for(url))
            && let Ok(mut value) = HeaderValue::from_str(&cookie)
        {
            value.set_sensitive(true);
            request = request.header(COOKIE, value);
        }
        request
    }

    pub(crate) fn credentials_for(&self, url: &Url) -> Option<&Credentials> {
        if let Some(user) = self.users.get(&host_key(url)) {
            return Some(user);
        }
        self.netrc
            .as_ref()
            .and_then(|netrc| netrc.credentials_for(url.host_str()?))
    }
}

/// Removes the `user:password@` of each URL (after [`RequestRules::new`] took it).
pub fn strip_credentials(urls: &mut [Url]) {
    for url in urls {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
}

/// The headers that carry credentials: given with `-H`, they go only to the start
/// URLs' origins (curl drops the same ones on a redirect to another host).
fn is_credential_header(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == COOKIE || name == PROXY_AUTHORIZATION
}

/// `scheme://host:port`, lower-case, the port made explicit.
fn origin_key(url: &Url) -> String {
    format!("{}://{}", url.scheme(), host_key(url))
}

/// `host:port`, lower-case, the port made explicit.
fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_credentials_go_to_the_start_hosts_only() {
        let start = Url::parse("http://h:8080/files/").expect("URL");
        let options = RequestOptions {
            user: Some(Credentials::new("ann", Some("pw".into()))),
            ..RequestOptions::default()
        };
        let rules = RequestRules::new(&options, &[start]).expect("rules");
        let for_url = |url: &str| {
            rules
                .credentials_for(&Url::parse(url).expect("URL"))
                .is_some()
        };
        assert!(for_url("http://h:8080/files/a.zip"));
        assert!(for_url("http://H:8080/other/"));
        assert!(!for_url("http://h:8081/files/a.zip"));
        assert!(!for_url("http://cdn.h:8080/a.zip"));
        assert_eq!(format!("{:?}", options.user), "Some(Credentials(ann:****))");
    }

    #[test]
    fn credential_headers_go_to_the_start_origins_only() {
        let start = Url::parse("http://h:8080/files/").expect("URL");
        let options = RequestOptions {
            headers: vec![
                ("authorization".into(), "Bearer t".into()),
                ("COOKIE".into(), "s=1".into()),
                ("Proxy-Authorization".into(), "Basic x".into()),
                ("X-Api-Key".into(), "k".into()),
            ],
            ..RequestOptions::default()
        };
        let rules = RequestRules::new(&options, &[start]).expect("rules");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let sent = |url: &str| {
            let url = Url::parse(url).expect("URL");
            let request = rules
                .decorate(client.get(url.clone()), &url)
                .build()
                .expect("request");
            let mut names: Vec<String> = request
                .headers()
                .keys()
                .map(|name| name.to_string())
                .collect();
            names.sort();
            names
        };
        let all = [
            "authorization",
            "cookie",
            "proxy-authorization",
            "x-api-key",
        ];
        assert_eq!(sent("http://h:8080/files/a.zip"), all);
        assert_eq!(sent("http://H:8080/elsewhere/"), all);
        for other in [
            "http://h:8081/files/a.zip",
            "https://h:8080/files/a.zip",
            "http://cdn.h:8080/a.zip",
        ] {
            assert_eq!(sent(other), ["x-api-key"], "{other}");
        }
    }

    #[test]
    fn bad_headers_are_refused() {
        let options = RequestOptions {
            headers: vec![("Bad Name".into(), "x".into())],
            ..RequestOptions::default()
        };
        assert!(RequestRules::new(&options, &[]).is_err());
    }
}
