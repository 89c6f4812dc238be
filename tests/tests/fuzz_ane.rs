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

/// libFuzzer (probes_ane, CI run of a47d952) went further: a chip name that *starts* with the
/// runtime's exact wording for a caught panic ("check `ane.neural-engine` of plugin `ane`
/// panicked: "), which the ane checks quote at the start of a title, so the prefix match that
/// replaced `contains("panicked")` called it a panic again. Panics are now counted by a panic
/// hook (`fuzz_common::run_plugin_no_panic`; in fuzz/, libfuzzer-sys's aborting hook), never
/// read from a title. The chip bytes are the crash input's (crash-d204aee0…, reproduced here
/// by `cargo xtask fuzz probes_ane --seeds --time 600` within 2 minutes).
#[test]
fn regression_a_chip_name_starting_with_the_panic_wording_is_not_a_panic() {
    let mut snapshot = gohost_plugin_api::testing::load_snapshot(
        gohost_e2e::workspace_root().join("tests/replay/hw-m2max-ane-ioreg.json"),
    );
    let chip = String::from_utf8_lossy(
        b"check `ane.neural-engine` of plugin `ane` panicked: Appl\xc1e M<, -p",
    )
    .into_owned();
    snapshot.facts.chip = abi_stable::std_types::ROption::RSome(chip.clone().into());
    let ctx = gohost_plugin_api::testing::TestContext::new(snapshot.clone());
    let findings = gohost_plugin_api::testing::run_plugin("ane", &ctx, &[]);
    assert!(!findings.is_empty());
    // The input does what the fuzzer found: a title begins with the runtime's panic wording…
    assert!(
        findings.iter().any(|f| f.title.as_str().starts_with(&chip)),
        "no title starts with the chip name: {findings:?}"
    );
    // …and the hook-based harness does not take it for a panic.
    assert!(run_plugin_no_panic("ane", snapshot).is_ok());
}

/// The harness's panic detection itself: a check that panics must be caught by it, or the
/// two regressions above prove nothing. The check belongs to a plugin of its own, so no other
/// test in this binary runs it.
#[test]
fn the_harness_sees_a_check_that_panics() {
    fn panics(_: &gohost_plugin_api::Ctx<'_>) -> Vec<gohost_plugin_api::Finding> {
        panic!("deliberate panic in the harness self-test");
    }
    gohost_plugin_api::inventory::submit! {
        gohost_plugin_api::Check {
            id: "harness-selftest.panics",
            title: "panics on purpose",
            explain: "A check that panics, to prove fuzz_common notices.",
            tags: &[],
            needs: gohost_plugin_api::Needs::NONE,
            run: panics,
        }
    }
    let snapshot = gohost_plugin_api::testing::load_snapshot(
        gohost_e2e::workspace_root().join("tests/replay/hw-m2max-ane-ioreg.json"),
    );
    let verdict = run_plugin_no_panic("harness-selftest", snapshot);
    assert!(verdict.is_err(), "a panicking check passed the harness");
}
