//! The clock of each host whose listing prints local times without a zone
//! (Apache, lighttpd, IIS...): learnt once per host (scheme, name and port) from
//! one HEAD of a listed file, and only when a file on disk could be up to date by
//! it; then every listed local time of that host becomes an exact-to-its-precision
//! time for the up-to-date check, so a re-sync sends the listings and nothing more.
//!
//! When nothing can be learnt (the HEAD fails, is redirected, has no
//! `Last-Modified`, or the offset breaks the rule of [`crate::listing::offset`]),
//! the host's files are asked about one by one, as without this. Learning lives in
//! `learn_clock`, which the dispatcher calls for each task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;
use url::Url;

use crate::listing::offset::HostClock;

/// The learnt clock of each host, or `None` once learning failed there.
#[derive(Default)]
pub(crate) struct HostClocks {
    hosts: Mutex<HashMap<String, Arc<OnceCell<Option<HostClock>>>>>,
}

impl HostClocks {
    /// The clock of `url`'s host (scheme, name and port), learnt or not yet.
    pub(crate) fn cell(&self, url: &Url) -> Arc<OnceCell<Option<HostClock>>> {
        let origin = url.origin().ascii_serialization();
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(hosts.entry(origin).or_default())
    }
}
