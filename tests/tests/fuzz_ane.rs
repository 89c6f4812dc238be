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

// Regressions: what the targets above (and the libFuzzer target fuzz/fuzz_targets/probes_ane.rs)
// found, kept as plain tests.

/// libFuzzer (probes_ane) made the chip name contain "panicked"; the ane checks quote the
/// chip in their findings, and the harness's old test (`title.contains("panicked")`) called
/// that a caught panic. The chip bytes are the crash input's (fuzz/artifacts, 2026-11-30).
#[test]
fn regression_a_chip_name_saying_panicked_is_not_a_panic() {
    let mut snapshot = gohost_plugin_api::testing::load_snapshot(
        gohost_e2e::workspace_root().join("tests/replay/hw-m2max-ane-ioreg.json"),
    );
    let chip = String::from_utf8_lossy(
        b"e Mw-intel-macos1\xcb\xd1json\0sysctl vm.spanicked\0total = 1024,00M  used = 379,25M  free = 644,75M  (enc1rypted)",
    )
    .into_owned();
    snapshot.facts.chip = abi_stable::std_types::ROption::RSome(chip.into());
    let _ = gohost_plugin_ane::ane_for_chip("Apple M1");
    let ctx = gohost_plugin_api::testing::TestContext::new(snapshot.clone());
    let findings = gohost_plugin_api::testing::run_plugin("ane", &ctx, &[]);
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .any(|f| f.title.as_str().contains("panicked")),
        "the chip name is quoted in a title, so the word appears there: {findings:?}"
    );
    assert!(run_plugin_no_panic("ane", snapshot).is_ok());
}
