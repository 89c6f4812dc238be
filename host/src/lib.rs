//! `gohost`: the host. It finds plugin files, inspects them without running their code (with
//! the `gohost-inspect` crate, which `cargo xtask` shares), loads them through the stable ABI
//! of `gohost-plugin-api` (in a worker process each, by default), gives them one shared
//! context for all their I/O, and renders their findings.
//!
//! It is **not** a place for checks: every check lives in a plugin, and it is not a library
//! for other programs: the modules are private, and what is public below is what the `gohost`
//! binary, the end-to-end tests, the fuzz targets and the benchmarks need. Platform-specific
//! code lives only in `probes/live.rs` (and, for handing a verified descriptor to `dlopen`
//! and the few process-wide libc calls, in `sys.rs`); everything else is portable.
//!
//! Modules, in the order of a run: `cli` → `config` → `discovery` → `run` (with `facts` once,
//! then per plugin `worker` → `worker_main` → `loader` (`gohost-inspect`) → `invoke` (the one
//! way a plugin is invoked: `context` over `probes`, `cache`)) → `report`; `redact` for
//! snapshots; `sys` for the trust rules on files. ARCHITECTURE.md is the map.
//!
//! With the cargo feature `harness`, `gohost::harness` runs a plugin's linked checks through the
//! same invocation path, for plugin tests.

#![allow(clippy::print_stderr)]

mod cache;
mod cli;
mod config;
mod context;
mod discovery;
mod facts;
mod fix;
#[cfg(feature = "harness")]
pub mod harness;
mod interrupt;
mod invoke;
mod loader;
mod name_promise;
mod probes;
mod progress;
mod redact;
mod refusals;
mod replay_home;
mod report;
mod run;
mod sys;
mod worker;
mod worker_main;

/// The `gohost` binary's entry point; returns the process exit code.
pub use cli::main;

/// The worker protocol, for tests that speak it (a forged or replaced plugin) and the
/// foundation benchmark (worker spawn cost).
pub use invoke::Setup;
pub use worker::{
    FromWorker, TimeLimit, ToWorker, Worker, WorkerEvents, WorkerFailure, WorkerStart,
};

/// Parsing outside input, for the fuzz targets: config files.
pub use config::{load_file as load_config_file, merge as merge_configs, ConfigError, FileConfig};

/// The probe backend of this machine, for the tests of its limits and redirect rules.
pub use probes::live::{redirect_target, running_as_root, Limits, LiveProbes};
pub use probes::Probes;

/// The shared facts of a run and the result cache they may come from (`tests/facts_cache.rs`).
pub use cache::Cache;
pub use facts::compute_cached;

/// Plugin files: their names, trust identity and loading (benchmarks and trust tests).
pub use discovery::plugin_file_name;
pub use loader::{load as load_plugin, LoadError, LoadedPlugin};
pub use sys::{is_private_group, FileIdentity};
