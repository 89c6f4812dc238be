//! gohost plugin `scheduler`: what cores this machine has (performance levels on macOS, hybrid
//! or `cpu_capacity` classes and SMT on Linux), what `GOMAXPROCS` a Go program will get here
//! (environment, CPU affinity, cgroup CPU quota, the Go version's container rule), and advice
//! for stable `go test -bench` runs that is true for this OS. With `--deep` it measures a short
//! spin loop per core class.
//!
//! It is **not** a scheduler tuner: it changes nothing, pins nothing outside its own measuring
//! commands, and never claims how the OS places Go threads on P or E cores (Go's scheduler has
//! no notion of core classes; placement is the OS's business).
//!
//! All I/O goes through the host context; the logic decides on `facts().os`, so the macOS paths
//! run in tests on Linux from replayed snapshots.

mod cgroup;
pub mod checks;
mod cpulist;
mod rules;
mod topology;

use gohost_plugin_api::export_plugin;

pub use cgroup::read_cgroup_limit;
pub use cpulist::parse_cpu_list;
pub use rules::{container_rule, mod_file_settings, predict, CgroupLimit, MainModule, Prediction};
pub use topology::{CoreClass, Topology};

export_plugin! {
    name: "scheduler",
    version: env!("CARGO_PKG_VERSION"),
    description: "Core topology (P/E cores, hybrid, SMT), the GOMAXPROCS Go picks here, and advice for stable benchmarks",
}
