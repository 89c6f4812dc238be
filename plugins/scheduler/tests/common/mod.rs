//! Test support: the real host's live in-process context (`gohost::harness`: the same probe
//! code and shared facts users get, with a test PATH, environment overrides and a command log)
//! and finding lookups. Shared by the powermetrics, ane and scheduler live tests.
#![allow(dead_code, unused_imports)]

pub use gohost::harness::LiveHarness as LiveContext;
pub use gohost_plugin_api::testing::{ev, one};
