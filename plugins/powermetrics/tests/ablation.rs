//! Issue 13 section 2, for this plugin: a missing answer is never a verdict. Over every replay
//! snapshot this plugin reads (the shared hw-*.json built from real Mac captures and this
//! plugin's own), each probe answer in turn is removed, then turned into an error; no finding
//! may become `pass` that was not one with the full snapshot.

use gohost_e2e::harness::{
    assert_no_ablation_makes_a_pass, load_snapshot, replay, run_plugin, statuses,
};
use gohost_plugin_api::snapshot::Snapshot;
use gohost_plugin_api::{Finding, RunOptions};

const PLUGIN: &str = "powermetrics";

fn snapshots() -> Vec<(String, Snapshot)> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<String> = [
        "hw-applesilicon-at-rest.json",
        "hw-applesilicon-low-power-mode.json",
        "hw-applesilicon-root-powermetrics.json",
        "hw-intel-macos12.json",
        "hw-m4max-sequoia.json",
        "hw-m2-monterey.json",
        "hw-m1-rosetta-monterey.json",
    ]
    .iter()
    .map(|f| format!("{dir}/../../tests/replay/{f}"))
    .collect();
    files.push(format!("{dir}/tests/replay/pm-m4max-busy-root.json"));
    files
        .into_iter()
        .map(|f| (f.clone(), load_snapshot(&f)))
        .collect()
}

fn run(snapshot: Snapshot) -> Vec<Finding> {
    // Link the plugin so its checks are registered.
    assert_eq!(
        gohost_plugin_powermetrics::parse::locale_mib("1M"),
        Some(1.0)
    );
    // Root checks allowed, as `gohost run --replay FILE --allow-root-probes`.
    let ctx = replay(snapshot).with_options(RunOptions {
        allow_root: true,
        replay: true,
        ..RunOptions::default()
    });
    run_plugin(PLUGIN, &ctx, &[])
}

#[test]
fn no_missing_answer_becomes_a_pass() {
    let snaps = snapshots();
    assert_eq!(snaps.len(), 8);
    let mut variants = 0;
    for (name, snap) in snaps {
        let base = statuses(&run(snap.clone()));
        assert_eq!(base.len(), 10, "{name}");
        variants += assert_no_ablation_makes_a_pass(&name, &snap, &base, run);
    }
    assert!(variants > 100, "{variants}");
}
