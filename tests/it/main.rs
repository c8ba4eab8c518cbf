//! fetchall's integration tests, one binary: a module per area, and the shared
//! `support` (in-process HTTP servers, fault scripts, tree helpers) compiled once.
//!
//! Tests run in parallel threads of this one process, so none of them may change
//! process-wide state (environment, current folder, signal handlers): children get
//! their environment and folder through `Command`, and measurements (peak RSS in
//! `memory`) are taken of the spawned `fetchall` process, never of this one.
//!
//! Tests about what a run reports (events, counts, how it ended) run the library in
//! this process through `support::harness`; tests about the binary itself (flags,
//! what it prints, exit codes, signals, the environment) run it through
//! `support::cli`.

mod support;

mod adversarial;
mod batched_durability;
mod buckets;
mod checksums;
mod cli;
mod completions;
mod copyparty;
mod delete;
mod flags;
mod ftp;
mod http2;
mod inputs;
mod json_schema;
mod listings;
mod local_safety;
mod memory;
mod more_listings;
mod paths_property;
mod php_listings;
mod plan_file;
mod recursive;
mod reliability;
mod requests;
mod scale;
mod segmented;
mod shard;
mod split_waste;
mod webdav;
mod zones;
