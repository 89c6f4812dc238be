//! Fuzz target for the powermetrics plugin: `powermetrics` plists, `pmset -g` (therm, batt, settings), `vm_stat`, `memory_pressure`, `sysctl vm.swapusage` in any locale, /proc/meminfo, PSI.
//! Besides the parsers, every check runs in-process against the replay snapshots
//! (tests/replay, built from real captures) with a few probe answers mutated, so each
//! sysctl value, file and command output the plugin reads is fuzzed where it is parsed.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use proptest::prelude::*;

use gohost_plugin_powermetrics::parse;

/// This target's tokens; [`with_common_tokens`] adds the ones every target shares.
const OWN_TOKENS: &[&str] = &[
    "<key>",
    "</key>",
    "<real>",
    "<integer>",
    "<string>",
    "<dict>",
    "</dict>",
    "<array>",
    "Pages free:",
    "M",
    ",",
    "lowpowermode",
    "CPU_Speed_Limit",
];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn powermetrics_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        // The crate must be linked for its checks to register.
        let _ = parse::meminfo("");
        run_plugin_no_panic("powermetrics", snapshot)?;
    }

    #[test]
    fn text_outputs(text in text_input(mac_seeds(&["pmset", "vm_stat", "memory_pressure", "swapusage"]), dict())) {
        let _ = parse::pmset_therm(&text);
        let _ = parse::pmset_setting(&text, "lowpowermode");
        let _ = parse::pmset_batt(&text);
        let _ = parse::vm_stat(&text);
        let _ = parse::memory_free_percent(&text);
        let _ = parse::locale_mib(&text);
        let _ = parse::swapusage(&text);
        let _ = parse::psi(&text);
        let _ = parse::meminfo(&text);
    }

    #[test]
    fn powermetrics_plists(bytes in input(mac_seeds(&["powermetrics-plist"]), dict())) {
        let _ = parse::powermetrics_plist(&bytes);
    }
}
