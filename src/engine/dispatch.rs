//! The consumer of the crawl: each task it sends is checked against what the run
//! decides before any request, then started (a transfer, or in a dry run a size
//! probe) as soon as a slot of the run and of its host is free.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::{Id, JoinError, JoinSet};

use crate::engine::dry_run::probe_file;
use crate::engine::file_transfer::transfer_file;
use crate::engine::learn_clock::resolve_listed_time;
use crate::engine::run::Run;
use crate::event::{Event, SkipReason};
use crate::plan::Task;
use crate::transfer::Existing;

/// What each running task is for (URL and path), to name the file if it panics.
type Running = HashMap<Id, (String, String)>;

/// Starts a transfer (or, in a dry run, a size probe) for each task, with at most
/// `jobs` in flight and `jobs_per_host` per host.
pub(crate) async fn dispatch(run: &Arc<Run>, mut tasks: mpsc::Receiver<Task>) {
    let mut running = JoinSet::new();
    let mut files = Running::new();
    loop {
        let task = tokio::select! {
            () = run.cancel.cancelled() => break,
            task = tasks.recv() => task,
        };
        let Some(mut task) = task else { break };
        resolve_listed_time(run, &mut task).await;
        if settled_without_request(run, &task) {
            continue;
        }
        let host_slots = run.slots_for(&task.url);
        let slot = tokio::select! {
            () = run.cancel.cancelled() => break,
            slot = host_slots.take() => slot,
        };
        let Some(slot) = slot else { break };
        tokio::select! {
            () = run.cancel.cancelled() => break,
            () = run.spacing.wait(task.url.host_str().unwrap_or_default()) => {}
        }
        let file = (task.url.to_string(), task.destination.display().to_string());
        let this_run = Arc::clone(run);
        // Boxed: a transfer's state is ~9 KB, which the task would otherwise copy
        // whole each time it is moved or its stage set (seven copies a file;
        // measured on 1,000 small files: 93 M of 350 M instructions).
        let handle = running.spawn(Box::pin(async move {
            if this_run.options.dry_run {
                let _slot = slot;
                probe_file(&this_run, task).await;
            } else {
                transfer_file(&this_run, task, slot, &host_slots).await;
            }
        }));
        files.insert(handle.id(), file);
        // Reap finished transfers so the set does not grow with the listing.
        while let Some(joined) = running.try_join_next_with_id() {
            reap(run, joined, &mut files);
        }
    }
    // Closing the channel stops the producer promptly after a Ctrl-C.
    drop(tasks);
    // No file will come but those in flight: none waits for others to share its
    // flush.
    run.small_files.finish();
    // Every path of the run is claimed: Content-Disposition names may go on.
    run.all_claimed.cancel();
    while let Some(joined) = running.join_next_with_id().await {
        reap(run, joined, &mut files);
    }
}

/// Settles a task that needs no request (so takes no slot), reporting it; false if
/// it goes on to a transfer.
fn settled_without_request(run: &Run, task: &Task) -> bool {
    if run.options.content_disposition && !run.claim(&task.destination) {
        // A Content-Disposition name took this path earlier in the run.
        let url = task.url.to_string();
        let reason = SkipReason::Collision("a Content-Disposition name".into());
        run.log.skipped(url.clone(), url, reason);
        return true;
    }
    // Up to date by the listing alone.
    if !run.options.dry_run
        && run.options.existing == Existing::Compare
        && task.is_up_to_date_by_listing()
    {
        run.log.up_to_date(
            None,
            task.url.to_string(),
            task.destination.display().to_string(),
        );
        return true;
    }
    false
}

/// A transfer task ended: a panic is a failed file, never a silent one.
fn reap(run: &Run, joined: Result<(Id, ()), JoinError>, files: &mut Running) {
    match joined {
        Ok((id, ())) => {
            files.remove(&id);
        }
        Err(error) => {
            let file = files.remove(&error.id());
            if error.is_panic() {
                transfer_panicked(run, file, error);
            }
        }
    }
}

/// A transfer task panicked: its file is a failure like any other.
fn transfer_panicked(run: &Run, file: Option<(String, String)>, error: JoinError) {
    let message = panic_message(error);
    let (url, path) = file.unwrap_or_default();
    run.log.record_failure_guarded(Event::Failed {
        id: None,
        url,
        path,
        error: format!("internal error: the transfer panicked ({message})"),
    });
}

/// The message a panic carried, for the error event.
pub(crate) fn panic_message(error: JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string()),
        Err(error) => error.to_string(),
    }
}
