//! The engine's side of `--checksums`: the one given checksum file is read before
//! anything else, and checksum files linked from a listing are fetched as soon as
//! the page is read, before any of its files is handed to a transfer, so every
//! transfer knows its expected digest when it starts.
//!
//! Checksum files are small; they are fetched once to be read, and downloaded like
//! any other file when the filters keep them (a second, small request).

use url::Url;

use crate::checksum::Checks;
use crate::checksum::sums::{self, Conflict};
use crate::disk::checksum_file::read_given;
use crate::engine::options::ChecksumSource;
use crate::engine::run::Run;
use crate::engine::starts::parse_start_url;
use crate::error::{Error, PageError};
use crate::event::Event;
use crate::http::redact::error_chain;
use crate::http::redact::redacted;
use crate::listing::Link;
use crate::listing::page::Page;
use crate::plan::paths;
use crate::select::scope::{Scope, Verdict, folder_of};

/// What the transfer of `url` computes on the fly; `Err` when the checksum files
/// contradict each other about it, which fails the file.
pub(crate) fn checks_for(run: &Run, url: &Url) -> Result<Checks, Conflict> {
    Ok(Checks {
        expected: run.digests.expected(url).transpose()?,
        sha256: run.options.record_sha256,
    })
}

/// `--checksums FILE|URL`: reads the one checksum file before anything else; a
/// file that cannot be read stops the run.
pub(crate) async fn load_given_checksums(run: &Run, starts: &[Url]) -> Result<(), Error> {
    match &run.options.checksums {
        ChecksumSource::Auto | ChecksumSource::Off => Ok(()),
        ChecksumSource::File(path) => {
            let text = read_given(path).map_err(|source| Error::Checksums {
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
            let source = path.display().to_string();
            for start in starts {
                let count = run.digests.add(&folder_of(start), &source, &entries);
                run.log.report(Event::ChecksumsLoaded {
                    url: path.display().to_string(),
                    entries: count,
                });
            }
            Ok(())
        }
        ChecksumSource::Url(text) => {
            let url = parse_start_url(text)?;
            let page = fetch_checksum_file(run, &url)
                .await
                .map_err(|source| Error::Checksums {
                    location: redacted(&url),
                    source: Box::new(source),
                })?;
            if read_checksum_text(run, &url, &page.text) == 0 {
                return Err(no_checksum_lines(redacted(&url)));
            }
            Ok(())
        }
    }
}

/// A checksum file's text, with the retries a listing page gets.
async fn fetch_checksum_file(run: &Run, url: &Url) -> Result<Page, PageError> {
    if crate::ftp::is_ftp(url) {
        let fetched = crate::listing::ftp_fetch::fetch_ftp_text(
            &run.ftp,
            url,
            run.options.retry,
            &run.cancel,
        );
        return fetched.await;
    }
    crate::listing::fetch_page_with_retries(
        &run.client,
        url,
        run.options.read_timeout,
        run.options.retry,
        true,
        &run.cancel,
    )
    .await
}

/// `--checksums auto`: fetches and reads the checksum files among a page's links
/// (those [`is_checksum_link`] picks), whatever the filters say of them: `-A '*.iso'`
/// still verifies the ISOs.
pub(crate) async fn read_listed_checksums(run: &Run, scope: &Scope, page: &Url, links: &[Link]) {
    if run.options.checksums != ChecksumSource::Auto {
        return;
    }
    for link in links.iter().filter(|link| is_checksum_link(link)) {
        let Ok(resolved) = &link.url else { continue };
        let Verdict::File(url) = scope.classify(&link.href, resolved, page) else {
            continue;
        };
        if !run.digests.admit_read(&url) {
            continue;
        }
        let fetched = tokio::select! {
            () = run.cancel.cancelled() => return,
            fetched = fetch_checksum_file(run, &url) => fetched,
        };
        match fetched {
            Ok(sums_page) => {
                read_checksum_text(run, &url, &sums_page.text);
            }
            // Its files are still downloaded, unverified; but the verification
            // the listing offers did not happen, so the run is not a success
            // (exit 1), even when the filters or `--shard` leave the checksum
            // file itself out. Counted once: its own transfer, if it fails too,
            // adds no second failure.
            Err(error) => {
                run.digests.mark_unread(&url);
                let event = Event::ChecksumsFailed {
                    url: redacted(&url),
                    error: error_chain(&error),
                };
                run.log.record(event, |summary| summary.failed += 1);
            }
        }
    }
}

/// Reads the checksum file at `url`; returns how many lines of it were read.
fn read_checksum_text(run: &Run, url: &Url, text: &str) -> usize {
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
    // Named by its path in messages: short, and it tells two `SHA256SUMS` apart.
    let source = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    let count = run.digests.add(url, &source, &entries);
    run.log.report(Event::ChecksumsLoaded {
        url: redacted(url),
        entries: count,
    });
    entries.len()
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
