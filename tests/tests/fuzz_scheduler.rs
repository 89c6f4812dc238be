//! Fuzz target for the scheduler plugin: sysctl values (hw.ncpu, hw.nperflevels, hw.perflevelN.*), /sys CPU topology and cpu lists, cgroup cpu.max, affinity, `go version` (GOMAXPROCS rules).
//! Besides the parsers, every check runs in-process against the replay snapshots
//! (tests/replay, built from real captures) with a few probe answers mutated, so each
//! sysctl value, file and command output the plugin reads is fuzzed where it is parsed.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use proptest::prelude::*;
// Linked for its checks (they register themselves).
use gohost_plugin_scheduler as _;

/// This target's tokens; [`with_common_tokens`] adds the ones every target shares.
const OWN_TOKENS: &[&str] = &[
    ",",
    "-",
    "max ",
    "100000",
    "Performance",
    "Efficiency",
    "Cpus_allowed_list:",
];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn scheduler_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        run_plugin_no_panic("scheduler", snapshot)?;
    }
}
