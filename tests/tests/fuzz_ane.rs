//! Fuzz target for the ane plugin: `ioreg` text (H11ANEIn), chip brand strings, Core ML / Mach-O headers.
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
    "<class H11ANEIn,",
    "+-o ",
    "|",
    "\"ANEDevicePropertyNumANECores\" = ",
    "Apple M",
    " Max",
    " Pro",
    " Ultra",
];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn ane_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        // The crate must be linked for its checks to register.
        let _ = gohost_plugin_ane::ane_for_chip("Apple M1");
        run_plugin_no_panic("ane", snapshot)?;
    }

    #[test]
    fn ioreg_and_chip_text(text in text_input(mac_seeds(&["ioreg", "sysctl-hw", "machdep"]), dict())) {
        let _ = gohost_plugin_ane::parse_ioreg(&text);
        let _ = gohost_plugin_ane::ane_for_chip(&text);
    }
}
