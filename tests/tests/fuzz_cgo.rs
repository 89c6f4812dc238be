//! Fuzz target for the cgo plugin: `go env -json`, compiler `-v` output and target triples, pkg-config paths, CGO_*FLAGS values.
//! Besides the parsers, every check runs in-process against the replay snapshots
//! (tests/replay, built from real captures) with a few probe answers mutated, so each
//! sysctl value, file and command output the plugin reads is fuzzed where it is parsed.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use proptest::prelude::*;

/// This target's tokens; [`with_common_tokens`] adds the ones every target shares.
const OWN_TOKENS: &[&str] = &[
    "Target: ",
    "-apple-darwin",
    "-linux-gnu",
    "-I",
    "-L",
    "/opt/homebrew",
    "/usr/local",
    ":",
    "-arch ",
];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn cgo_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        // The crate must be linked for its checks to register.
        let _ = gohost_plugin_cgo::triple_arch("x86_64-apple-darwin");
        run_plugin_no_panic("cgo", snapshot)?;
    }

    #[test]
    fn triples_and_flag_paths(text in text_input(mac_seeds(&["clang"]), dict())) {
        let _ = gohost_plugin_cgo::triple_arch(&text);
        for goarch in ["arm64", "amd64"] {
            let _ = gohost_plugin_cgo::foreign_paths(&text, goarch, true);
            let _ = gohost_plugin_cgo::foreign_paths(&text, goarch, false);
        }
    }
}
