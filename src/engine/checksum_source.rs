//! Where a run's expected digests come from (`--checksums auto|off|FILE|URL`), and
//! the engine's side of it: checksum files linked from a listing are fetched as soon
//! as the page is read, before any of its files is handed to a transfer, so every
//! transfer knows its expected digest when it starts.
//!
//! Checksum files are small; they are fetched once to be read, and downloaded like
//! any other file when the filters keep them (a second, small request).

use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

use url::Url;

use crate::checksum::Checks;
use crate::checksum::sums::{self, ChecksumIndex};
use crate::engine::mirror::Engine;
use crate::error::{Error, PageError};
use crate::event::Event;
use crate::http::redact::error_chain;
use crate::listing::{Link, fetch_page_with_retries};
use crate::plan::paths;
use crate::select::scope::{Scope, Verdict, folder_of};

/// Where expected digests come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChecksumSource {
    /// Checksum files found in the listings (`SHA256SUMS`, `*.sha256`…).
    #[default]
    Auto,
    /// No verification.
    Off,
    /// One local checksum file; its names are relative to each start URL's folder.
    File(PathBuf),
    /// One checksum file on a server; its names are relative to its own folder.
    Url(String),
}

impl FromStr for ChecksumSource {
    type Err = std::convert::Infallible;

    /// `auto`, `off`, an `http(s)://` URL, or else a local file.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "auto" => ChecksumSource::Auto,
            "off" | "none" => ChecksumSource::Off,
            url if url.starts_with("http://") || url.starts_with("https://") => {
                ChecksumSource::Url(url.to_string())
            }
            path => ChecksumSource::File(PathBuf::from(path)),
        })
    }
}

/// The expected digests of a run, filled while it crawls.
#[derive(Debug, Default)]
pub(crate) struct ChecksumState {
    index: Mutex<ChecksumIndex>,
    /// Checksum files already read (by URL), so each is fetched once per run.
    read: Mutex<HashSet<String>>,
    /// Checksum files of a listing that could not be read: each counts as one
    /// failure, already, when its own transfer fails too.
    unread: Mutex<HashSet<String>>,
}

impl ChecksumState {
    fn add(&self, sums_url: &Url, entries: &[sums::Entry]) -> usize {
        self.index
            .lock()
            .map(|mut index| index.add(sums_url, entries))
            .unwrap_or(0)
    }

    fn expected(&self, url: &Url) -> Option<crate::checksum::Expected> {
        self.index.lock().ok().and_then(|index| index.get(url))
    }

    /// Whether `url` is a checksum file whose failure to be read was counted.
    pub(crate) fn failure_counted(&self, url: &Url) -> bool {
        self.unread
            .lock()
            .is_ok_and(|unread| unread.contains(url.as_str()))
    }

    fn first_read(&self, url: &Url) -> bool {
        self.read
            .lock()
            .is_ok_and(|mut read| read.insert(url.to_string()))
    }
}

impl Engine {
    /// What the transfer of `url` computes on the fly.
    pub(crate) fn checks_for(&self, url: &Url) -> Checks {
        Checks {
            expected: self.checksums.expected(url),
            sha256: self.options.record_sha256,
        }
    }

    /// `--checksums FILE|URL`: reads the one checksum file before anything else; a
    /// file that cannot be read stops the run.
    pub(crate) async fn load_given_checksums(&self, starts: &[Url]) -> Result<(), Error> {
        match &self.options.checksums {
            ChecksumSource::Auto | ChecksumSource::Off => Ok(()),
            ChecksumSource::File(path) => {
                let text = std::fs::read(path).map_err(|source| Error::Checksums {
                    location: path.display().to_string(),
                    source: Box::new(source),
                })?;
                let name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let entries = sums::parse(&name, &String::from_utf8_lossy(&text));
                if entries.is_empty() {
                    return Err(no_checksum_lines(path.display().to_string()));
                }
                for start in starts {
                    let base = folder_of(start);
                    let count = self.checksums.add(&base, &entries);
                    self.report(Event::ChecksumsLoaded {
                        url: path.display().to_string(),
                        entries: count,
                    });
                }
                Ok(())
            }
            ChecksumSource::Url(text) => {
                let url = crate::engine::mirror::parse_start_url(text)?;
                let page =
                    self.fetch_checksum_file(&url)
                        .await
                        .map_err(|source| Error::Checksums {
                            location: crate::http::redact::redacted(&url),
                            source: Box::new(source),
                        })?;
                if self.read_checksum_text(&url, &page.text) == 0 {
                    return Err(no_checksum_lines(crate::http::redact::redacted(&url)));
                }
                Ok(())
            }
        }
    }

    /// A checksum file's text, with the retries a listing page gets.
    async fn fetch_checksum_file(
        &self,
        url: &Url,
    ) -> Result<crate::listing::page::Page, PageError> {
        fetch_page_with_retries(
            &self.client,
            url,
            self.options.read_timeout,
            self.options.retry,
            true,
            &self.cancel,
        )
        .await
    }

    /// `--checksums auto`: fetches and reads the checksum files among a page's links
    /// (those [`is_checksum_link`] picks)
    /// (whatever the filters say of them: `-A '*.iso'` still verifies the ISOs).
    pub(crate) async fn read_listed_checksums(&self, scope: &Scope, page: &Url, links: &[Link]) {
        if self.options.checksums != ChecksumSource::Auto {
            return;
        }
        for link in links.iter().filter(|link| is_checksum_link(link)) {
            let Ok(resolved) = &link.url else { continue };
            let Verdict::File(url) = scope.classify(&link.href, resolved, page) else {
                continue;
            };
            if !self.checksums.first_read(&url) {
                continue;
            }
            let fetched = tokio::select! {
                () = self.cancel.cancelled() => return,
                fetched = self.fetch_checksum_file(&url) => fetched,
            };
            match fetched {
                Ok(sums_page) => {
                    self.read_checksum_text(&url, &sums_page.text);
                }
                // Its files are still downloaded, unverified; but the verification
                // the listing offers did not happen, so the run is not a success
                // (exit 1), even when the filters or `--shard` leave the checksum
                // file itself out. Counted once: its own transfer, if it fails too,
                // adds no second failure.
                Err(error) => {
                    if let Ok(mut unread) = self.checksums.unread.lock() {
                        unread.insert(url.to_string());
                    }
                    self.count(|summary| summary.failed += 1);
                    self.report(Event::ChecksumsFailed {
                        url: crate::http::redact::redacted(&url),
                        error: error_chain(&error),
                    });
                }
            }
        }
    }

    /// Reads the checksum file at `url`; returns how many lines of it were read.
    fn read_checksum_text(&self, url: &Url, text: &str) -> usize {
        let name = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        let entries = sums::parse(&name, text);
        let count = self.checksums.add(url, &entries);
        self.report(Event::ChecksumsLoaded {
            url: crate::http::redact::redacted(url),
            entries: count,
        });
        entries.len()
    }
}

/// `--checksums FILE|URL` that holds no checksum line (an HTML error page, a
/// signature, the wrong file): verifying against it would verify nothing, so the
/// run stops instead of downloading everything unverified.
fn no_checksum_lines(location: String) -> Error {
    Error::Checksums {
        location,
        source: "it holds no checksum line (`HASH  name` or `SHA256 (name) = HASH`)".into(),
    }
}

/// Whether a link's name is one of a checksum file: it rules out almost every link
/// of a big listing cheaply.
pub(crate) fn is_checksum_link(link: &Link) -> bool {
    link.url.as_ref().is_ok_and(|resolved| {
        paths::file_name_only(resolved).is_ok_and(|relative| {
            relative
                .names()
                .last()
                .is_some_and(|name| sums::is_checksum_file(name))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_parsed() {
        let parse = |text: &str| text.parse::<ChecksumSource>().expect("infallible");
        assert_eq!(parse("auto"), ChecksumSource::Auto);
        assert_eq!(parse("off"), ChecksumSource::Off);
        assert_eq!(
            parse("https://h/SHA256SUMS"),
            ChecksumSource::Url("https://h/SHA256SUMS".into())
        );
        assert_eq!(
            parse("./SHA256SUMS"),
            ChecksumSource::File("./SHA256SUMS".into())
        );
    }
}
