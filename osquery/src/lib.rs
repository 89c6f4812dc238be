//! `gohost-osquery`: an osquery extension that serves gohost's checks as SQL tables
//! (`gohost_findings`, `gohost_checks`, `gohost_plugins`), so fleets that already run osquery
//! query gohost's findings on every machine with no new agent or server.
//!
//! What it is: a Thrift server on osquery's extension socket (through the `osquery-rust-ng`
//! crate) whose tables run the real `gohost` binary (`gohost run … --format json`, `gohost
//! list --format json`) and turn its JSON into rows, with a TTL cache and a per-query time
//! budget so a scheduled query never waits on a slow check.
//!
//! What it is not: a second plugin host. It loads no plugin and reads no host internals; the
//! `gohost` binary next to it keeps discovery, trust rules, isolation and capability gates,
//! and the report schema (`docs/report.schema.json`) is the contract between them.

pub mod engine;
pub mod fingerprint;
pub mod query;
pub mod runner;
pub mod tables;
pub mod trust;
