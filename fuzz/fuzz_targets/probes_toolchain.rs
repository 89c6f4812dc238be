//! The toolchain plugin's checks on a real snapshot whose one probe answer (or fact) the fuzzer
//! chose: every sysctl value, `/proc` or `/sys` file, command output and environment value
//! the plugin reads is fuzzed where the plugin parses it. Input: see
//! `gohost_fuzz::snapshot_with_payload`.
#![no_main]

use libfuzzer_sys::fuzz_target;
// Linked for its checks, which register themselves (inventory) when the crate is linked.
use gohost_plugin_toolchain as _;

fuzz_target!(|data: &[u8]| {
    let snapshot = gohost_fuzz::snapshot_with_payload(data);
    gohost_fuzz::run_plugin_checks("toolchain", snapshot);
});
