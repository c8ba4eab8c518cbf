//! What a run is asked to do: plain data, every field documented. The CLI fills it
//! from its arguments; a library user fills it by hand from [`Options::new`].
//! [`ChecksumSource`] is part of it: where the expected digests come from.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::http::client::default_user_agent;
use crate::http::request::RequestOptions;
use crate::pace::retry::RetryPolicy;
use crate::pace::speed::LowSpeed;
use crate::select::filter::Filters;
use crate::transfer::Existing;
use crate::transfer::SplitPolicy;

/// Everything a run needs to know. Plain data: the CLI fills it from its arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// Pages to read (listings, or any HTML page of links), or direct links to files.
    pub urls: Vec<String>,
    /// More start URLs, read from a list (`-i FILE`), taken after `urls`. They are
    /// items of a batch: one that fails, page or file, counts as a failed item
    /// ([`Summary::failed`](crate::Summary::failed), exit 1), where a page of `urls`
    /// that cannot be read counts in `pages_failed` (exit 2).
    pub list_urls: Vec<String>,
    /// A URL list to read from a file (`-i FILE`), taken after `urls` and
    /// `list_urls`, with the same rules: one URL per line, blank lines and `#`
    /// comments skipped. Read as a stream while the run goes on, so a list of
    /// millions of URLs is never held whole.
    pub list_file: Option<PathBuf>,
    /// A plan to download (`-i PLAN`): a file of JSON lines whose `planned` events,
    /// written by a dry run (`--dry-run --json`), each become a file to fetch at its
    /// `relative_path` under [`Options::output`] (required), with its planned size
    /// and time, and no listing read. Read as a stream, line by line; `-` is stdin.
    /// Filters and `--shard` apply; no start URL may be given with it.
    pub plan: Option<PathBuf>,
    /// Output folder; `None` means a folder named after each start URL's last path
    /// segment, in the current directory.
    pub output: Option<PathBuf>,
    /// Requests in flight at once: listing pages, files, and each connection of a
    /// split file.
    pub jobs: usize,
    /// Requests in flight at once to one host.
    pub jobs_per_host: usize,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for any wait with no bytes arriving.
    pub read_timeout: Duration,
    /// `--speed-limit`, `--speed-time`: a page or file body slower than this fails.
    pub low_speed: LowSpeed,
    /// Only report what would be downloaded; write nothing.
    pub dry_run: bool,
    /// Also download files linked on other hosts.
    pub span_hosts: bool,
    /// With `span_hosts`: the only other hosts allowed (and their sub-domains); empty
    /// means any.
    pub domains: Vec<String>,
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Follow sub-directory links (`-r`).
    pub recursive: bool,
    /// `--level N`: files of the start page are level 1, those of its
    /// sub-directories level 2...; `None` is unlimited.
    pub max_level: Option<usize>,
    /// Save every file directly in the output folder (`--flat`).
    pub flat: bool,
    /// Which files (and directories) are wanted.
    pub filters: Filters,
    /// Save files under the name of their `Content-Disposition` header, sanitised.
    pub content_disposition: bool,
    /// When and how large files are split over several connections.
    pub split: SplitPolicy,
    /// How failed transfers are retried.
    pub retry: RetryPolicy,
    /// How files already on disk are treated (compare, keep, replace).
    pub existing: Existing,
    /// Where expected digests come from (`--checksums`).
    pub checksums: ChecksumSource,
    /// Headers, credentials, cookies, proxy and TLS options of every request.
    pub request: RequestOptions,
    /// `--limit-rate`: the most bytes per second all file transfers receive together.
    pub limit_rate: Option<u64>,
    /// `--wait`: the least time between the starts of two requests to one host.
    pub wait: Duration,
    /// `--random-wait`: vary each wait between 0.5 and 1.5 times `wait`.
    pub random_wait: bool,
    /// Compute every downloaded file's SHA-256 (reported in
    /// [`Event::Downloaded`](crate::Event::Downloaded); `--manifest` needs it).
    pub record_sha256: bool,
    /// Files `--delete` never removes, wherever they lie: what the caller itself
    /// writes into an output folder (the CLI's `--manifest`), which no listing names.
    pub never_delete: Vec<PathBuf>,
    /// `--follow-symlinks`: write through a symlinked folder inside the output folder
    /// even when it leads outside it (by default such a file fails).
    pub follow_symlinks: bool,
    /// `--wait-for-lock`: when another run holds the output folder, wait for it to
    /// finish instead of stopping with [`Error::Locked`](crate::Error::Locked).
    pub wait_for_lock: bool,
    /// `--delete`: once every transfer has ended, remove the local files (then the
    /// emptied folders) that a folder's complete listing no longer names. Never
    /// files the filters leave out, another shard's, fetchall's own, or anything
    /// when a listing failed or the run was interrupted. Refused with `flat`,
    /// `content_disposition`, `list_urls` and `list_file` (no folder listing to
    /// compare with).
    pub delete: bool,
    /// `--max-delete N`: with `delete`, when more than N files would go, none does
    /// (the run fails).
    pub max_delete: Option<u64>,
    /// `--webdav`: every folder (the start one and, with `recursive`, each
    /// sub-folder) is listed by a WebDAV `PROPFIND` with `Depth: 1` instead of a
    /// GET, which gives each entry's exact size and time.
    pub webdav: bool,
}

impl Options {
    /// Options with the defaults for `urls`.
    pub fn new(urls: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Options {
            urls: urls.into_iter().map(Into::into).collect(),
            list_urls: Vec::new(),
            list_file: None,
            plan: None,
            output: None,
            jobs: 16,
            jobs_per_host: 16,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            low_speed: LowSpeed::default(),
            dry_run: false,
            span_hosts: false,
            domains: Vec::new(),
            user_agent: default_user_agent(),
            recursive: false,
            max_level: None,
            flat: false,
            filters: Filters::default(),
            content_disposition: false,
            split: SplitPolicy::default(),
            retry: RetryPolicy::default(),
            existing: Existing::default(),
            checksums: ChecksumSource::default(),
            record_sha256: false,
            never_delete: Vec::new(),
            request: RequestOptions::default(),
            limit_rate: None,
            wait: Duration::ZERO,
            random_wait: false,
            follow_symlinks: false,
            wait_for_lock: false,
            delete: false,
            max_delete: None,
            webdav: false,
        }
    }
}

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
