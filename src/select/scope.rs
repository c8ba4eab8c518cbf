//! Which links of a page are files to download. Pure: no I/O.

use url::Url;

use crate::event::SkipReason;

/// What the start URL allows: its folder, and whether other hosts are welcome.
#[derive(Debug, Clone)]
pub struct Scope {
    start_dir: Url,
    span_hosts: bool,
    domains: Vec<String>,
}

/// The decision for one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A file to download (fragment removed).
    File(Url),
    /// A sub-directory of the start folder.
    Directory(Url),
    /// Not downloaded, for this reason.
    Skip(SkipReason),
}

impl Scope {
    /// The scope of a run that starts at `start`: everything under the folder that
    /// holds it (`http://h/a/b/` and `http://h/a/b/index.html` both give `/a/b/`).
    pub fn new(start: &Url, span_hosts: bool) -> Self {
        Scope {
            start_dir: folder_of(start),
            span_hosts,
            domains: Vec::new(),
        }
    }

    /// `--domains`: with `span_hosts`, only these hosts and their sub-domains
    /// (`example.org` allows `cdn.example.org`, not `badexample.org`).
    #[must_use]
    pub fn with_domains(mut self, domains: &[String]) -> Self {
        self.domains = domains
            .iter()
            .map(|domain| domain.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|domain| !domain.is_empty())
            .collect();
        self
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.domains.is_empty()
            || self
                .domains
                .iter()
                .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
    }

    /// The start folder, ending with `/`.
    pub fn start_dir(&self) -> &Url {
        &self.start_dir
    }

    /// Whether the folder `url` lies under the start folder, on its host.
    pub fn contains_folder(&self, url: &Url) -> bool {
        same_origin(url, &self.start_dir) && url.path().starts_with(self.start_dir.path())
    }

    /// Classifies a link found on `page` (the page URL after redirects).
    pub fn classify(&self, href: &str, resolved: &Url, page: &Url) -> Verdict {
        let scheme = resolved.scheme();
        // An FTP listing's own entries are `ftp://` (or `ftps://`) links.
        let ftp_entry = matches!(scheme, "ftp" | "ftps") && scheme == page.scheme();
        if scheme != "http" && scheme != "https" && !ftp_entry {
            return Verdict::Skip(SkipReason::Scheme(scheme.to_string()));
        }
        let mut url = resolved.clone();
        url.set_fragment(None);
        let mut page_without_query = page.clone();
        page_without_query.set_fragment(None);
        page_without_query.set_query(None);
        if href.starts_with('#') {
            return Verdict::Skip(SkipReason::Fragment);
        }
        if href.starts_with('?') {
            return Verdict::Skip(SkipReason::QueryOnly);
        }
        let mut url_without_query = url.clone();
        url_without_query.set_query(None);
        if url_without_query == page_without_query {
            return Verdict::Skip(if url.query().is_some() {
                SkipReason::QueryOnly
            } else {
                SkipReason::SamePage
            });
        }
        if !same_origin(&url, &self.start_dir) {
            let host = url.host_str().unwrap_or_default().to_string();
            if !self.span_hosts || !self.allows_host(&host) {
                return Verdict::Skip(SkipReason::OtherHost(host));
            }
            return if url.path().ends_with('/') {
                Verdict::Skip(SkipReason::OutsideStart)
            } else {
                Verdict::File(url)
            };
        }
        // `../` of a sub-directory page, or any other ancestor of the page.
        if folder_of(page).path().starts_with(url.path()) && url.path().ends_with('/') {
            return Verdict::Skip(SkipReason::ParentDirectory);
        }
        if !url.path().starts_with(self.start_dir.path()) {
            return Verdict::Skip(if self.start_dir.path().starts_with(url.path()) {
                SkipReason::ParentDirectory
            } else {
                SkipReason::OutsideStart
            });
        }
        if url.path().ends_with('/') {
            return Verdict::Directory(url);
        }
        Verdict::File(url)
    }
}

/// The folder part of a URL: everything up to the last `/` of the path, without
/// query or fragment.
pub fn folder_of(url: &Url) -> Url {
    let mut folder = url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    let path = url.path();
    let cut = path.rfind('/').map_or(0, |index| index + 1);
    folder.set_path(&path[..cut]);
    folder
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(start: &str, href: &str) -> Verdict {
        let start = Url::parse(start).expect("test URL");
        let scope = Scope::new(&start, false);
        let resolved = start.join(href).expect("resolvable");
        scope.classify(href, &resolved, &start)
    }

    fn skip(reason: SkipReason) -> Verdict {
        Verdict::Skip(reason)
    }

    #[test]
    fn classifies_links_of_a_listing() {
        let start = "http://h/files/bots/";
        let file = |u: &str| Verdict::File(Url::parse(u).expect("test URL"));
        let dir = |u: &str| Verdict::Directory(Url::parse(u).expect("test URL"));
        let cases = [
            ("a.zip", file("http://h/files/bots/a.zip")),
            ("a.zip#x", file("http://h/files/bots/a.zip")),
            ("README", file("http://h/files/bots/README")),
            ("sub/", dir("http://h/files/bots/sub/")),
            ("x.zip/", dir("http://h/files/bots/x.zip/")),
            ("../", skip(SkipReason::ParentDirectory)),
            ("/", skip(SkipReason::ParentDirectory)),
            ("/files/other/x.zip", skip(SkipReason::OutsideStart)),
            ("?C=N;O=D", skip(SkipReason::QueryOnly)),
            ("#top", skip(SkipReason::Fragment)),
            ("./", skip(SkipReason::SamePage)),
            ("mailto:a@b", skip(SkipReason::Scheme("mailto".into()))),
            (
                "javascript:void(0)",
                skip(SkipReason::Scheme("javascript".into())),
            ),
            (
                "data:text/plain,hi",
                skip(SkipReason::Scheme("data".into())),
            ),
            (
                "http://other/x.zip",
                skip(SkipReason::OtherHost("other".into())),
            ),
            (
                "https://h/files/bots/a.zip",
                skip(SkipReason::OtherHost("h".into())),
            ),
        ];
        for (href, expected) in cases {
            assert_eq!(verdict(start, href), expected, "href {href:?}");
        }
    }

    #[test]
    fn a_page_url_scopes_to_its_folder() {
        let start = Url::parse("http://h/files/index.html?x=1").expect("test URL");
        assert_eq!(
            Scope::new(&start, false).start_dir().as_str(),
            "http://h/files/"
        );
    }

    #[test]
    fn domains_restrict_the_other_hosts() {
        let start = Url::parse("http://h/files/").expect("test URL");
        let scope = Scope::new(&start, true).with_domains(&["example.org".to_string()]);
        let verdict = |text: &str| {
            let url = Url::parse(text).expect("test URL");
            scope.classify(text, &url, &start)
        };
        assert!(matches!(
            verdict("http://cdn.example.org/a.zip"),
            Verdict::File(_)
        ));
        assert!(matches!(
            verdict("http://example.org/a.zip"),
            Verdict::File(_)
        ));
        assert_eq!(
            verdict("http://badexample.org/a.zip"),
            Verdict::Skip(SkipReason::OtherHost("badexample.org".into()))
        );
    }

    #[test]
    fn span_hosts_allows_files_elsewhere() {
        let start = Url::parse("http://h/files/").expect("test URL");
        let scope = Scope::new(&start, true);
        let other = Url::parse("http://cdn/x/y.zip").expect("test URL");
        assert_eq!(
            scope.classify("http://cdn/x/y.zip", &other, &start),
            Verdict::File(other.clone())
        );
    }
}
