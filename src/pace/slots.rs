//! The run's share-out of requests in flight: `--jobs` for the whole run and
//! `--per-host` for each host. Every request that is being answered holds a [`Slot`]
//! of both: a listing page, a file, and each extra connection of a split file. So
//! `-j 16` means 16 connections at most, as wget2's `--max-threads` does, however
//! many large files are split, and the memory their buffers take stays bounded.
//! A host that answers over HTTP/2 draws from slots of its own, several per
//! connection ([`crate::http::client::STREAMS_PER_SLOT`]).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots a request to one host draws from: the run's and that host's.
#[derive(Debug, Clone)]
pub struct HostSlots {
    run: Arc<Semaphore>,
    host: Arc<Semaphore>,
}

/// One request's share of `--jobs` and of `--per-host`, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    _run: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl HostSlots {
    /// The slots of a host, drawn from `run` (shared by every host) and `host`.
    pub fn new(run: Arc<Semaphore>, host: Arc<Semaphore>) -> HostSlots {
        HostSlots { run, host }
    }

    /// Waits for a slot, in turn with every other request waiting; `None` once the
    /// run is closing.
    pub async fn take(&self) -> Option<Slot> {
        let run = Arc::clone(&self.run).acquire_owned().await.ok()?;
        let host = Arc::clone(&self.host).acquire_owned().await.ok()?;
        Some(Slot {
            _run: run,
            _host: host,
        })
    }

    /// A slot if one is free now and no one is waiting for it.
    pub fn try_take(&self) -> Option<Slot> {
        let run = Arc::clone(&self.run).try_acquire_owned().ok()?;
        let host = Arc::clone(&self.host).try_acquire_owned().ok()?;
        Some(Slot {
            _run: run,
            _host: host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_needs_room_in_both_the_run_and_the_host() {
        let run = Arc::new(Semaphore::new(3));
        let busy_host = HostSlots::new(Arc::clone(&run), Arc::new(Semaphore::new(1)));
        let other_host = HostSlots::new(Arc::clone(&run), Arc::new(Semaphore::new(5)));
        let first = busy_host.try_take().expect("a free slot");
        assert!(
            busy_host.try_take().is_none(),
            "the host's one slot is taken"
        );
        let second = other_host.try_take().expect("room in the run");
        let third = other_host.try_take().expect("room in the run");
        assert!(other_host.try_take().is_none(), "the run's three are taken");
        drop(first);
        assert!(
            other_host.try_take().is_some(),
            "a dropped slot is given back"
        );
        drop((second, third));
    }
}
