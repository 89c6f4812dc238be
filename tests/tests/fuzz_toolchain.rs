//! Fuzz target for the toolchain plugin: `go version` and `go env -json` output, go.mod `go`/`toolchain` lines, GOROOT paths, shims.
//! Besides the parsers, every check runs in-process against the replay snapshots
//! (tests/replay, built from real captures) with a few probe answers mutated, so each
//! sysctl value, file and command output the plugin reads is fuzzed where it is parsed.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use proptest::prelude::*;

use gohost_plugin_toolchain::version::GoVersion;

/// This target's tokens; [`with_common_tokens`] adds the ones every target shares.
const OWN_TOKENS: &[&str] = &[
    "go version ",
    " linux/",
    " darwin/",
    "devel ",
    "rc",
    "beta",
    "toolchain ",
    "go ",
    "\"GOROOT\":",
];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn toolchain_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        // The crate must be linked for its checks to register.
        let _ = gohost_plugin_toolchain::classify("/usr/bin/go");
        run_plugin_no_panic("toolchain", snapshot)?;
    }

    #[test]
    fn go_version_output(text in text_input(mac_seeds(&["go-version", "version"]), dict())) {
        if let Some(v) = gohost_plugin_toolchain::version_from_output(&text) {
            let _ = GoVersion::parse(&v);
        }
        let _ = GoVersion::parse(&text);
        let _ = gohost_plugin_toolchain::mod_versions(&text);
        let _ = gohost_plugin_toolchain::classify(&text);
    }
}
