//! `gohost`: the host. It finds plugin files, inspects them without running their code (with
//! the `gohost-inspect` crate, which `cargo xtask` shares; re-exported here as [`inspect`]),
//! loads them through the stable ABI of `gohost-plugin-api` (in a worker process each, by
//! default), gives them one shared context for all their I/O, and renders their findings.
//!
//! It is **not** a place for checks: every check lives in a plugin. Platform-specific code
//! lives only in [`probes::live`] (and, for handing a verified descriptor to `dlopen`, in
//! [`sys`]); everything else is portable.
//!
//! Modules, in the order of a run: [`cli`] → [`config`] → [`discovery`] → [`run`] (with
//! [`facts`] once, then per plugin [`worker`] → [`worker_main`] → [`loader`] (`gohost-inspect`) →
//! [`context`] ([`probes`], [`cache`])) → [`report`]; [`redact`] for snapshots; [`sys`] for the
//! trust rules on files (config files, plugin files and every directory above them).

#![allow(clippy::print_stderr)]

pub mod cache;
pub mod cli;
pub mod config;
pub mod context;
pub mod discovery;
pub mod facts;
pub mod fix;
pub mod harness;
/// The inspection of plugin files, from its own crate (`gohost-inspect`), kept at this path
/// for code written against `gohost::inspect`.
pub use gohost_inspect as inspect;
pub mod interrupt;
pub mod invoke;
pub mod loader;
pub mod probes;
pub mod progress;
pub mod redact;
pub mod report;
pub mod run;
pub mod sys;
pub mod worker;
pub mod worker_main;
