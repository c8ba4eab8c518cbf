//! Small files made durable in batches: the same promise as any file, for one
//! flush per batch instead of one per file.
//!
//! A final name only ever holds a complete file, even after a power loss, because
//! a file's bytes are durable before it is renamed. Making one tiny file durable
//! costs a journal commit and a disk cache flush; a mirror of 100,000 tiny files
//! paid 100,000 of them. Here each small body is written (created, written, given
//! its time) under its hidden name by the run's writer thread; the open, locked
//! hidden file then goes to the run's batch thread, which takes every file waiting
//! (at most [`handoff::MAX_BATCH`]) while the writer goes on with the next ones:
//!
//! 1. **durable**: one `syncfs` per file system of the batch (usually one) makes
//!    every file's bytes and time durable together — and with them the renames of
//!    the batch before;
//! 2. **renamed**: each file gets its final name (still locked, checked as any
//!    file is: [`crate::disk::safe_fs::LockedPart::rename_to`]);
//! 3. **reported**: a file is answered "done" once its rename is durable too, by
//!    the next batch's flush, or — when no file comes soon — by a flush of its
//!    own. So a file reported downloaded is durable under its final name; a crash
//!    before that leaves either the hidden file or the complete file under its
//!    final name, never a short one.
//!
//! A batch is never waited for long: the next pass starts once the last is done
//! and a short gap has passed since it started, with every file queued meanwhile,
//! so a batch is as large as the disk is slow, and files that trickle in share a
//! flush rather than pay one each; once the run has sent its last file the gap is
//! 2 ms, so the run's end does not wait (see [`handoff`]). If `syncfs` fails (or
//! the system has none), each file is flushed on its own (`fdatasync`) and each
//! folder of a renamed file (`fsync`), so an error names the file it belongs to
//! and fails only that file.

mod handoff;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::disk::batch::handoff::{Handoff, Pass, WAITING};
use crate::disk::place::{Placement, rename_written, write_hidden};
use crate::disk::safe_fs::{LockedPart, RealRoots};
use crate::error::TransferError;

/// What the batch thread did, in order (for tests; a run ignores it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// One durability pass made these hidden files (their bytes) and these final
    /// names (renamed earlier) durable.
    Durable {
        written: Vec<PathBuf>,
        renamed: Vec<PathBuf>,
    },
    /// The hidden file got this final name.
    Renamed(PathBuf),
    /// The file at this final name was reported done (or failed).
    Answered(PathBuf),
}

/// Where the batch thread's steps go: nowhere in a run, where not even the paths
/// they name are copied, and into a list in tests.
struct Trace<'a>(Option<&'a mut dyn FnMut(Step)>);

impl Trace<'_> {
    fn step(&mut self, step: impl FnOnce() -> Step) {
        if let Some(record) = &mut self.0 {
            record(step());
        }
    }
}

/// One written hidden file waiting for its batch.
struct Job {
    part: LockedPart,
    placement: Placement,
    length: u64,
    /// The file system the file is on (`st_dev`).
    device: u64,
    done: oneshot::Sender<Result<(), TransferError>>,
    /// Its place among the [`WAITING`]; freed once the file is renamed.
    room: OwnedSemaphorePermit,
}

impl Job {
    /// The job of `part`, the hidden file of `placement` written with `length` bytes.
    fn written(
        part: LockedPart,
        placement: Placement,
        length: u64,
        done: oneshot::Sender<Result<(), TransferError>>,
        room: OwnedSemaphorePermit,
    ) -> Job {
        let device = part.device();
        Job {
            part,
            placement,
            length,
            device,
            done,
            room,
        }
    }

    /// Removes the hidden file and answers that the writer stopped.
    fn give_up(self) {
        self.part.remove();
        let error = TransferError::io("write", &self.placement.temporary, stopped());
        let _ = self.done.send(Err(error));
    }
}

/// A file renamed into place whose name is not durable yet.
struct Renamed {
    destination: PathBuf,
    device: u64,
    done: oneshot::Sender<Result<(), TransferError>>,
}

/// One small body received, waiting for the writer thread.
struct Received {
    body: Vec<u8>,
    placement: Placement,
    done: oneshot::Sender<Result<(), TransferError>>,
    room: OwnedSemaphorePermit,
}

/// The run's writer of small files: a writer thread and a batch thread, started
/// with the first file and ended when the writer is dropped (once every file
/// queued is answered).
#[derive(Debug)]
pub(crate) struct SmallFileWriter {
    bodies: Mutex<Option<mpsc::Sender<Received>>>,
    handoff: Arc<Handoff<Job>>,
    room: Arc<Semaphore>,
    real_roots: RealRoots,
}

impl Default for SmallFileWriter {
    fn default() -> SmallFileWriter {
        SmallFileWriter {
            bodies: Mutex::new(None),
            handoff: Arc::default(),
            room: Arc::new(Semaphore::new(WAITING)),
            real_roots: RealRoots::default(),
        }
    }
}

impl SmallFileWriter {
    /// The run's output folders, resolved once for every file of the run (large
    /// ones too), not once per file.
    pub(crate) fn real_roots(&self) -> RealRoots {
        self.real_roots.clone()
    }

    /// The run has sent its last file: the files still coming are made durable
    /// without waiting for others to share their flush.
    pub(crate) fn finish(&self) {
        self.handoff.finish();
    }

    /// Waits for room among the files waiting: taken before the connection is
    /// given back, so bodies never pile up faster than the disk takes them.
    pub(crate) async fn room(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.room).acquire_owned().await.ok()
    }

    /// Writes `body` to the hidden file of `placement` and has it made durable
    /// and renamed in the next batch; returns once its final name is durable (see
    /// the module's docs). `room` comes from [`SmallFileWriter::room`].
    pub(crate) async fn place(
        &self,
        body: Vec<u8>,
        placement: Placement,
        room: Option<OwnedSemaphorePermit>,
    ) -> Result<(), TransferError> {
        let temporary = placement.temporary.clone();
        let failed = |why: io::Error| TransferError::io("write", &temporary, why);
        let bodies = self.queue().map_err(failed)?;
        let room = match room {
            Some(room) => room,
            None => self.room().await.ok_or_else(|| failed(stopped()))?,
        };
        let (done, answer) = oneshot::channel();
        // Once queued, the file is written and then renamed or removed even if this
        // transfer is given up meanwhile: never a hidden file left behind.
        let received = Received {
            body,
            placement,
            done,
            room,
        };
        bodies.send(received).map_err(|_| failed(stopped()))?;
        answer.await.map_err(|_| failed(stopped()))?
    }

    /// The queue to the writer thread, which (with the batch thread) is started on
    /// first use.
    fn queue(&self) -> io::Result<mpsc::Sender<Received>> {
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bodies) = bodies.as_ref() {
            return Ok(bodies.clone());
        }
        let handoff = Arc::clone(&self.handoff);
        thread::Builder::new()
            .name("fetchall-small-files".to_string())
            .spawn(move || write_batches(&handoff, &mut Trace(None)))?;
        let handoff = Arc::clone(&self.handoff);
        let (sender, received) = mpsc::channel();
        thread::Builder::new()
            .name("fetchall-writer".to_string())
            .spawn(move || write_received(&received, &handoff))?;
        *bodies = Some(sender.clone());
        Ok(sender)
    }
}

/// The writer thread: writes each body received to its hidden file and hands the
/// file to the batch thread, while that one flushes the files before.
///
/// One thread kept busy, where a blocking-pool task per file woke one of a dozen
/// idle threads each time: measured on 20,000 tiny files, 2.7 context switches
/// less per file and a quarter less CPU time. One thread creates files faster
/// than the network brings them (a local disk takes ~30 µs per file).
fn write_received(received: &mpsc::Receiver<Received>, handoff: &Handoff<Job>) {
    for Received {
        body,
        placement,
        done,
        room,
    } in received
    {
        let part = match write_hidden(&body, &placement) {
            Ok(part) => part,
            Err(error) => {
                let _ = done.send(Err(error));
                continue;
            }
        };
        let job = Job::written(part, placement, body.len() as u64, done, room);
        drop(body);
        if let Some(job) = handoff.hand(job) {
            job.give_up();
        }
    }
    handoff.close();
}

fn stopped() -> io::Error {
    io::Error::other("the small-file writer stopped")
}

/// The batch thread: a batch is every file waiting once the next pass is due
/// (see [`handoff`]).
fn write_batches(handoff: &Handoff<Job>, trace: &mut Trace) {
    // Should this thread ever stop early (a bug), no file is left waiting for it.
    let _gone = Abandon(handoff);
    let mut syncer = Syncer::default();
    let mut renamed: Vec<Renamed> = Vec::new();
    let mut last_pass: Option<Instant> = None;
    loop {
        let batch = match handoff.next_pass(last_pass, !renamed.is_empty()) {
            Pass::Files(batch) => batch,
            // Nothing came to carry them: their names are made durable alone.
            Pass::NamesOnly => Vec::new(),
            Pass::Done => return,
        };
        last_pass = Some(Instant::now());
        renamed = write_batch(batch, std::mem::take(&mut renamed), &mut syncer, trace);
    }
}

/// Gives up the files still waiting when the batch thread stops.
struct Abandon<'a>(&'a Handoff<Job>);

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        for job in self.0.abandon() {
            job.give_up();
        }
    }
}

/// One pass: makes `batch`'s bytes and `previous`'s names durable, answers
/// `previous`, renames `batch`; returns the files renamed (to be answered once a
/// later pass has made their names durable).
fn write_batch(
    batch: Vec<Job>,
    previous: Vec<Renamed>,
    syncer: &mut Syncer,
    trace: &mut Trace,
) -> Vec<Renamed> {
    for job in &batch {
        syncer.know(job.device, &job.placement.destination, &job.part);
    }
    let devices: BTreeSet<u64> = batch
        .iter()
        .map(|job| job.device)
        .chain(previous.iter().map(|file| file.device))
        .collect();
    let synced = syncer.sync(&devices);
    trace.step(|| Step::Durable {
        written: batch
            .iter()
            .filter(|job| synced.get(&job.device).is_some_and(Result::is_ok))
            .map(|job| job.placement.temporary.clone())
            .collect(),
        renamed: previous
            .iter()
            .filter(|file| synced.get(&file.device).is_some_and(Result::is_ok))
            .map(|file| file.destination.clone())
            .collect(),
    });
    let mut folders_synced = BTreeMap::new();
    for file in previous {
        let result = if synced.get(&file.device).is_some_and(Result::is_ok) {
            Ok(())
        } else {
            // Its own folder's flush, so a failure is this file's alone.
            let folder = file.destination.parent().unwrap_or(Path::new("."));
            folders_synced
                .entry(folder.to_path_buf())
                .or_insert_with(|| sync_folder(folder).map_err(|error| error.to_string()))
                .clone()
                .map_err(|reason| {
                    TransferError::io(
                        "make the new name durable of",
                        &file.destination,
                        io::Error::other(reason),
                    )
                })
        };
        trace.step(|| Step::Answered(file.destination.clone()));
        let _ = file.done.send(result);
    }
    let mut renamed = Vec::with_capacity(batch.len());
    for job in batch {
        let Job {
            part,
            placement,
            length,
            device,
            done,
            room,
        } = job;
        let durable = if synced.get(&device).is_some_and(Result::is_ok) {
            Ok(())
        } else {
            part.file().sync_data().map_err(|source| {
                part.remove();
                TransferError::io("write", &placement.temporary, source)
            })
        };
        let result = durable.and_then(|()| rename_written(&part, &placement, length));
        drop(part);
        drop(room);
        match result {
            Ok(()) => {
                trace.step(|| Step::Renamed(placement.destination.clone()));
                renamed.push(Renamed {
                    destination: placement.destination,
                    device,
                    done,
                });
            }
            Err(error) => {
                trace.step(|| Step::Answered(placement.destination.clone()));
                let _ = done.send(Err(error));
            }
        }
    }
    renamed
}

/// An open file on each file system seen, to flush it with.
#[derive(Default)]
struct Syncer {
    handles: BTreeMap<u64, File>,
}

impl Syncer {
    /// Remembers a handle on `device`: the folder of `destination` (any file
    /// there does), else a second handle on the hidden file itself.
    fn know(&mut self, device: u64, destination: &Path, part: &LockedPart) {
        if self.handles.contains_key(&device) {
            return;
        }
        let folder = destination.parent().unwrap_or(Path::new("."));
        let handle = File::open(folder)
            .ok()
            .filter(|handle| handle.metadata().is_ok_and(|meta| meta.dev() == device))
            .or_else(|| part.file().try_clone().ok());
        if let Some(handle) = handle {
            self.handles.insert(device, handle);
        }
    }

    /// Flushes each file system of `devices` whole; how each went.
    fn sync(&self, devices: &BTreeSet<u64>) -> BTreeMap<u64, io::Result<()>> {
        devices
            .iter()
            .map(|device| {
                let result = match self.handles.get(device) {
                    Some(handle) => sync_file_system(handle),
                    None => Err(io::Error::other("no open file on that file system")),
                };
                (*device, result)
            })
            .collect()
    }
}

/// Makes everything written to the file system of `handle` durable: bytes, times,
/// names. Since Linux 5.8 it reports write-back errors too.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn sync_file_system(handle: &File) -> io::Result<()> {
    rustix::fs::syncfs(handle).map_err(io::Error::from)
}

/// Elsewhere: each file and folder is flushed on its own.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn sync_file_system(_handle: &File) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Makes the names in `folder` durable.
fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::safe_fs::Folders;

    /// A placement of `relative` (a `/`-separated path) under `root`.
    fn placement(root: &Path, relative: &str) -> Placement {
        let relative =
            crate::plan::paths::relative_path_from_segments(relative.split('/')).expect("path");
        let destination = root.join(relative.to_path_buf());
        let name = destination
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        Placement {
            temporary: destination.with_file_name(format!(".{name}.fetchall-part")),
            destination,
            modified: None,
            folders: Folders {
                root: root.to_path_buf(),
                relative,
                follow_symlinks: false,
                real_roots: RealRoots::default(),
            },
        }
    }

    type Answer = oneshot::Receiver<Result<(), TransferError>>;

    /// Writes `body` as the transfer does and makes its job.
    fn job(root: &Path, relative: &str, body: &[u8], room: &Arc<Semaphore>) -> (Job, Answer) {
        let placement = placement(root, relative);
        let part = write_hidden(body, &placement).expect("write");
        let (done, answer) = oneshot::channel();
        let room = Arc::clone(room).try_acquire_owned().expect("room");
        let job = Job::written(part, placement, body.len() as u64, done, room);
        (job, answer)
    }

    /// Runs the batch thread's loop over `jobs` (all queued before it starts, then
    /// the queue closed); returns its steps.
    fn run(jobs: Vec<Job>) -> Vec<Step> {
        let handoff = Handoff::default();
        for job in jobs {
            assert!(handoff.hand(job).is_none(), "handed over");
        }
        handoff.close();
        let mut steps = Vec::new();
        write_batches(&handoff, &mut Trace(Some(&mut |step| steps.push(step))));
        steps
    }

    /// The index of the first durability pass after `after` that covers the name
    /// `destination`.
    fn durable_name(steps: &[Step], destination: &Path, after: usize) -> Option<usize> {
        steps.iter().enumerate().skip(after).find_map(|(at, step)| {
            matches!(step, Step::Durable { renamed, .. } if renamed.iter().any(|n| n == destination))
                .then_some(at)
        })
    }

    #[test]
    fn one_pass_makes_a_batch_durable_and_each_file_is_answered_after_its_name_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let room = Arc::new(Semaphore::new(WAITING));
        let mut answers = Vec::new();
        let mut jobs = Vec::new();
        for index in 0..6 {
            let body = vec![index as u8; 1000 + index];
            let (job, answer) = job(root, &format!("d{}/f{index}", index % 2), &body, &room);
            jobs.push(job);
            answers.push((format!("d{}/f{index}", index % 2), body, answer));
        }
        let steps = run(jobs);
        let passes: Vec<&Step> = steps
            .iter()
            .filter(|step| matches!(step, Step::Durable { .. }))
            .collect();
        // One pass for the six files' bytes, one for their six names.
        assert_eq!(passes.len(), 2, "{steps:#?}");
        assert!(
            matches!(passes[0], Step::Durable { written, .. } if written.len() == 6),
            "{steps:#?}"
        );
        for (relative, body, mut answer) in answers {
            let destination = root.join(&relative);
            let written = placement(root, &relative).temporary;
            let bytes_durable = steps
                .iter()
                .position(|s| matches!(s, Step::Durable { written: w, .. } if w.contains(&written)))
                .expect("bytes made durable");
            let renamed = steps
                .iter()
                .position(|s| *s == Step::Renamed(destination.clone()))
                .expect("renamed");
            let name_durable = durable_name(&steps, &destination, renamed).expect("name durable");
            let answered = steps
                .iter()
                .position(|s| *s == Step::Answered(destination.clone()))
                .expect("answered");
            assert!(
                bytes_durable < renamed && renamed < name_durable && name_durable < answered,
                "{relative}: {steps:#?}"
            );
            assert!(matches!(answer.try_recv(), Ok(Ok(()))), "{relative}");
            assert_eq!(
                std::fs::read(&destination).expect("read"),
                body,
                "{relative}"
            );
            assert!(!written.exists(), "{relative}: hidden file left");
        }
        // Every place among the files waiting is given back.
        assert_eq!(room.available_permits(), WAITING);
    }

    #[test]
    fn a_file_that_cannot_be_renamed_fails_alone_and_names_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let room = Arc::new(Semaphore::new(WAITING));
        // A folder planted at the final name of `d/b`, not empty.
        std::fs::create_dir_all(root.join("d/b/inside")).expect("mkdir");
        let mut jobs = Vec::new();
        let mut answers = Vec::new();
        for name in ["a", "b", "c"] {
            let (job, answer) = job(root, &format!("d/{name}"), name.as_bytes(), &room);
            jobs.push(job);
            answers.push(answer);
        }
        let steps = run(jobs);
        let results: Vec<Result<(), TransferError>> = answers
            .into_iter()
            .map(|mut answer| answer.try_recv().expect("answered"))
            .collect();
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        let error = results[1].as_ref().expect_err("b fails").to_string();
        assert!(
            error.contains("rename into") && error.contains(&*root.join("d/b").to_string_lossy()),
            "{error}"
        );
        assert_eq!(std::fs::read(root.join("d/a")).expect("read"), b"a");
        assert_eq!(std::fs::read(root.join("d/c")).expect("read"), b"c");
        assert!(
            root.join("d/b/inside").is_dir(),
            "the folder is left as it was"
        );
        assert!(
            !root.join("d/.b.fetchall-part").exists(),
            "hidden file left"
        );
        assert!(
            !steps.contains(&Step::Renamed(root.join("d/b"))),
            "{steps:#?}"
        );
    }

    #[test]
    fn a_hidden_file_behind_a_symlink_out_of_the_output_folder_is_never_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("out");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("d")).expect("symlink");
        let error = write_hidden(b"x", &placement(&root, "d/f"))
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains(&*root.join("d").to_string_lossy()),
            "{error}"
        );
        assert_eq!(std::fs::read_dir(&outside).expect("list").count(), 0);
    }

    #[test]
    fn a_run_of_a_few_files_is_answered_without_waiting_for_more() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let writer = Arc::new(SmallFileWriter::default());
        let started = std::time::Instant::now();
        runtime.block_on(async {
            let placing: Vec<_> = ["a", "b/c", "b/d"]
                .into_iter()
                .map(|relative| {
                    let (writer, placement) = (Arc::clone(&writer), placement(&root, relative));
                    tokio::spawn(async move {
                        writer
                            .place(relative.as_bytes().to_vec(), placement, None)
                            .await
                    })
                })
                .collect();
            for placed in placing {
                placed.await.expect("join").expect("placed");
            }
        });
        // No timer holds a file back for company (the disk's flushes take what
        // they take; ten seconds is only against a hang).
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        for relative in ["a", "b/c", "b/d"] {
            assert_eq!(
                std::fs::read(root.join(relative)).expect("read"),
                relative.as_bytes()
            );
        }
    }

    #[test]
    fn a_waiting_batch_thread_is_woken_by_the_first_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let room = Arc::new(Semaphore::new(WAITING));
        let handoff = Arc::new(Handoff::default());
        // Nothing queued, no names waiting, the writer still open: it waits for a
        // file however long that takes (a lost wake-up would hang here).
        let batch_thread = {
            let handoff = Arc::clone(&handoff);
            thread::spawn(move || match handoff.next_pass(None, false) {
                Pass::Files(batch) => batch.len(),
                Pass::NamesOnly | Pass::Done => 0,
            })
        };
        thread::sleep(std::time::Duration::from_millis(50));
        let (job, _answer) = job(dir.path(), "f", b"x", &room);
        assert!(handoff.hand(job).is_none(), "handed over");
        assert_eq!(batch_thread.join().expect("batch thread"), 1);
    }

    #[test]
    fn files_left_to_a_stopped_batch_thread_are_removed_and_failed_with_a_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let room = Arc::new(Semaphore::new(WAITING));
        let handoff = Handoff::default();
        let (waiting, waiting_answer) = job(dir.path(), "waiting", b"x", &room);
        assert!(handoff.hand(waiting).is_none(), "handed over");
        // The batch thread stops (it only would by a bug) with one file waiting,
        // and the writer hands it one more afterwards.
        drop(Abandon(&handoff));
        let (late, late_answer) = job(dir.path(), "late", b"y", &room);
        let Some(late) = handoff.hand(late) else {
            panic!("a file was handed to a batch thread that is gone");
        };
        late.give_up();
        for (mut answer, name) in [(waiting_answer, "waiting"), (late_answer, "late")] {
            let error = answer.try_recv().expect("answered").expect_err("failed");
            let reason = std::error::Error::source(&error).map(ToString::to_string);
            assert!(
                error
                    .to_string()
                    .contains(&format!(".{name}.fetchall-part")),
                "{error}"
            );
            assert_eq!(reason.as_deref(), Some("the small-file writer stopped"));
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        assert_eq!(room.available_permits(), WAITING);
    }
}
