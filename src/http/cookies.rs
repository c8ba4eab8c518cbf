//! `--cookies FILE`: a read-only jar in the Netscape `cookies.txt` format that
//! browsers' exporters, curl (`-b`/`-c`) and wget (`--load-cookies`) use. Each line
//! holds seven tab-separated fields:
//!
//! ```text
//! domain  include-subdomains  path  secure  expires  name  value
//! .example.org  TRUE  /  FALSE  0  session  abc123
//! ```
//!
//! `#HttpOnly_` before a domain marks an HttpOnly cookie (it is sent like the
//! others); other `#` lines are comments. `expires` is a Unix time, 0 for a session
//! cookie. A cookie is sent only to its domain (and sub-domains when the second
//! field is `TRUE`), under its path, over https when `secure`, and not once expired.

use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;

/// One cookie of the jar.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cookie {
    domain: String,
    include_subdomains: bool,
    path: String,
    secure: bool,
    expires: u64,
    name: String,
    value: String,
}

/// The cookies of a `cookies.txt` file.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// Reads the text of a `cookies.txt` file; malformed lines are skipped.
    pub fn parse(text: &str) -> CookieJar {
        let cookies = text
            .lines()
            .filter_map(|line| {
                let line = line.trim_end_matches('\r');
                let line = line.strip_prefix("#HttpOnly_").unwrap_or(line);
                if line.starts_with('#') || line.trim().is_empty() {
                    return None;
                }
                let fields: Vec<&str> = line.split('\t').collect();
                let [domain, subdomains, path, secure, expires, name, value] = fields[..] else {
                    return None;
                };
                Some(Cookie {
                    domain: domain.trim_start_matches('.').to_ascii_lowercase(),
                    include_subdomains: subdomains.eq_ignore_ascii_case("TRUE"),
                    path: path.to_string(),
                    secure: secure.eq_ignore_ascii_case("TRUE"),
                    expires: expires.trim().parse().unwrap_or(0),
                    name: name.to_string(),
                    value: value.to_string(),
                })
            })
            .collect();
        CookieJar { cookies }
    }

    /// How many cookies the jar holds (the tests count what a file gave).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.cookies.len()
    }

    /// The `Cookie` header value for a request to `url`, if any cookie matches.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|duration| duration.as_secs())
            .unwrap_or(0);
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|cookie| {
                let domain_matches = host == cookie.domain
                    || (cookie.include_subdomains
                        && host.ends_with(&format!(".{}", cookie.domain)));
                domain_matches
                    && path_matches(url.path(), &cookie.path)
                    && (!cookie.secure || url.scheme() == "https")
                    && (cookie.expires == 0 || cookie.expires > now)
            })
            .map(|cookie| format!("{}={}", cookie.name, cookie.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

/// RFC 6265 path matching: `/a` matches `/a`, `/a/` and `/a/b`, not `/ab`.
fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_go_only_where_they_belong() {
        let jar = CookieJar::parse(
            "# Netscape HTTP Cookie File\n\
             .example.org\tTRUE\t/\tFALSE\t0\tall\t1\n\
             #HttpOnly_files.example.org\tFALSE\t/pub\tFALSE\t0\tpub\t2\n\
             example.org\tFALSE\t/\tTRUE\t0\tsecure\t3\n\
             example.org\tFALSE\t/\tFALSE\t1\texpired\t4\n\
             broken line\n",
        );
        assert_eq!(jar.len(), 4);
        let header = |url: &str| jar.header_for(&Url::parse(url).expect("URL"));
        assert_eq!(
            header("http://files.example.org/pub/x"),
            Some("all=1; pub=2".into())
        );
        assert_eq!(
            header("http://files.example.org/public"),
            Some("all=1".into())
        );
        assert_eq!(
            header("https://example.org/"),
            Some("all=1; secure=3".into())
        );
        assert_eq!(header("http://example.org/"), Some("all=1".into()));
        assert_eq!(header("http://badexample.org/"), None);
    }
}
