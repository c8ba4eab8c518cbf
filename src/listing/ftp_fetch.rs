//! FTP folders, fetched whole: the folder's `MLSD` (or `LIST`) lines from the
//! run's sessions ([`crate::ftp`]), read into links with their exact sizes and
//! times ([`crate::listing::formats::ftp`]). A listing the server refuses, or
//! a session that fails, is a failed page naming the URL and the reply, never an
//! empty folder.

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::PageError;
use crate::ftp::{FtpSessions, ListingKind};
use crate::listing::fetch::with_retries;
use crate::listing::formats::ftp::ftp_links;
use crate::listing::page::{MAX_PAGE_BYTES, Page};
use crate::pace::retry::RetryPolicy;

/// Lists the FTP folder `url` (its path read as a folder, `/` or not), with the
/// run's retries for a `4xx` reply or a lost connection.
pub(crate) async fn fetch_ftp_folder(
    sessions: &FtpSessions,
    url: &Url,
    policy: RetryPolicy,
    cancel: &CancellationToken,
) -> Result<Page, PageError> {
    let mut folder = crate::ftp::folder_url(url);
    folder.set_query(None);
    folder.set_fragment(None);
    let folder = &folder;
    with_retries(policy, true, cancel, || async move {
        let listing = sessions
            .list(folder, MAX_PAGE_BYTES)
            .await
            .map_err(PageError::Ftp)?;
        let links = ftp_links(&listing.lines, listing.kind == ListingKind::Mlsd, folder);
        Ok(Page {
            url: folder.clone(),
            text: String::new(),
            is_json: false,
            content_type: None,
            listed: Some(links),
            bucket: None,
        })
    })
    .await
}

/// The text of the small FTP file `url` (a checksum file), as a page with the
/// same retries as a listing.
pub(crate) async fn fetch_ftp_text(
    sessions: &FtpSessions,
    url: &Url,
    policy: RetryPolicy,
    cancel: &CancellationToken,
) -> Result<Page, PageError> {
    with_retries(policy, true, cancel, || async move {
        let body = sessions
            .read_whole(url, MAX_PAGE_BYTES)
            .await
            .map_err(PageError::Ftp)?;
        Ok(Page {
            url: url.clone(),
            text: crate::listing::charset::decode_text(body, None),
            is_json: false,
            content_type: None,
            listed: None,
            bucket: None,
        })
    })
    .await
}
