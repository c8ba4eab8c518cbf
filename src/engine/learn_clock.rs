//! Learning a host's clock for a task whose listing printed a local time (see
//! [`crate::engine::clocks`]), and turning that time into an exact listed one.

use url::Url;

use crate::engine::head::head_then_get;
use crate::engine::run::Run;
use crate::listing::local_time::{LocalTime, Precision};
use crate::listing::offset::{self, HostClock};
use crate::plan::{LocalFile, Task};
use crate::transfer::Existing;

/// Gives `task` an exact listed time from its listed local time, once its host's
/// clock is known; learns the clock first (one HEAD of this file) when the file on
/// disk could be up to date. Leaves the task alone otherwise.
pub(crate) async fn resolve_listed_time(run: &Run, task: &mut Task) {
    let Some(listed) = task.listed_local else {
        return;
    };
    if task.listed_modified.is_some()
        || run.options.existing != Existing::Compare
        || !could_be_up_to_date(task)
    {
        return;
    }
    let cell = run.clocks.cell(&task.url);
    // A date alone teaches no offset (`offset::sample_offset`): it uses one
    // learnt from another file of the host, or none.
    let clock = if listed.precision == Precision::Day {
        cell.get().and_then(Option::as_ref)
    } else {
        cell.get_or_init(|| learn_from_head(run, &task.url, listed))
            .await
            .as_ref()
    };
    if let Some(clock) = clock {
        task.listed_modified = clock.listed_time(listed);
    }
}

/// A file on disk whose size is one the listing allows: only then is the time
/// worth knowing (a missing or other-sized file is fetched anyway).
fn could_be_up_to_date(task: &Task) -> bool {
    let LocalFile::Present {
        size,
        modified: Some(_),
    } = task.local
    else {
        return false;
    };
    match (task.listed_size, task.listed_range) {
        (Some(exact), _) => exact == size,
        (None, Some(range)) => range.low <= size && size <= range.high,
        (None, None) => false,
    }
}

/// One HEAD of the file at `url`, listed at local time `listed`: its
/// `Last-Modified` against that time gives the host's clock. Nothing is learnt
/// from a failure, a redirect (another server's file) or an answer without a date.
async fn learn_from_head(run: &Run, url: &Url, listed: LocalTime) -> Option<HostClock> {
    let host = url.host_str().unwrap_or_default();
    let slots = run.slots_for(url);
    let _slot = tokio::select! {
        () = run.cancel.cancelled() => return None,
        slot = slots.take() => slot?,
    };
    // A host that answered 429 or 503 is waited for, as by any request.
    run.pacer.wait(host, &run.cancel).await.ok()?;
    tokio::select! {
        () = run.cancel.cancelled() => return None,
        () = run.spacing.wait(host) => {}
    }
    let asked = tokio::select! {
        () = run.cancel.cancelled() => return None,
        asked = head_then_get(&run.client, url, run.options.read_timeout, |_| false) => asked,
    };
    let response = asked.ok()?;
    if !response.status().is_success() || response.url() != url {
        return None;
    }
    let true_time = crate::transfer::headers::last_modified(response.headers())?;
    offset::learn(&[(listed, true_time)])
}
