//! Replay tests from real captures (tests/replay/hw-*.json; see each file's notes).

use gohost_e2e::harness::{ev, fixture, one, run_plugin};
use gohost_plugin_ane::{ane_for_chip, Ane};
use gohost_plugin_api::{ExecOutput, ExitInfo, RunOptions, Status};

#[test]
fn chip_table_and_unknowns() {
    assert_eq!(ane_for_chip("Apple M1"), Ane::Cores(16));
    assert_eq!(ane_for_chip("Apple M4 Max"), Ane::Cores(16));
    assert_eq!(ane_for_chip("Apple M2 Ultra"), Ane::Cores(32));
    assert_eq!(
        ane_for_chip("Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz"),
        Ane::None
    );
    // Not in FACTS.md's table: unknown, never guessed.
    assert_eq!(ane_for_chip("Apple M3 Ultra"), Ane::Unknown);
    assert_eq!(ane_for_chip("Apple M5"), Ane::Unknown);
    assert_eq!(
        ane_for_chip("VirtualApple @ 2.50GHz processor"),
        Ane::Unknown
    );
}

#[test]
fn m2max_ioreg_service_from_the_real_capture() {
    let f = run_plugin("ane", &fixture("hw-m2max-ane-ioreg.json"), &[]);
    let n = one(&f, "ane.neural-engine");
    assert_eq!(n.status, Status::Info);
    assert_eq!(
        n.title.as_str(),
        "Apple M2 Max: Apple lists a 16-core Neural Engine"
    );
    let d = one(&f, "ane.driver");
    assert_eq!(d.status, Status::Pass);
    assert_eq!(
        d.title.as_str(),
        "Neural Engine service H11ANEIn present, 16 cores, firmware loaded"
    );
    assert_eq!(
        ev(d, "CFBundleIdentifier"),
        "com.apple.driver.AppleH11ANEInterface"
    );
    assert_eq!(ev(d, "ANEDevicePropertyTypeANEArchitectureTypeStr"), "h14g");
    let c = one(&f, "ane.coreml-link");
    assert_eq!(c.status, Status::Skip);
    assert_eq!(
        c.title.as_str(),
        "A cgo program links Core ML: not run without --deep"
    );
    assert_eq!(ev(c, "needs"), "slow");
}

#[test]
fn m4max_without_an_ioreg_capture_skips_the_service() {
    let f = run_plugin("ane", &fixture("hw-m4max-sequoia.json"), &[]);
    assert_eq!(
        one(&f, "ane.neural-engine").title.as_str(),
        "Apple M4 Max: Apple lists a 16-core Neural Engine"
    );
    let d = one(&f, "ane.driver");
    assert_eq!(d.status, Status::Skip);
    assert_eq!(d.title.as_str(), "Could not run ioreg");
}

#[test]
fn intel_mac_has_no_neural_engine() {
    let f = run_plugin("ane", &fixture("hw-intel-macos12.json"), &[]);
    let n = one(&f, "ane.neural-engine");
    assert_eq!(
        n.title.as_str(),
        "Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz: no Neural Engine"
    );
    assert_eq!(ev(n, "Neural Engine cores"), "none");
    let d = one(&f, "ane.driver");
    assert_eq!(d.status, Status::Info);
    assert_eq!(
        d.title.as_str(),
        "Intel Mac: no Neural Engine service to look for"
    );
}

#[test]
fn apple_silicon_without_the_service_warns() {
    // MADE UP: an empty `ioreg` answer (as in a VM without the ANE driver); no capture exists.
    let ctx = fixture("hw-m4max-sequoia.json").with_exec(|req| {
        (req.argv.first().map(|a| a.as_str()) == Some("ioreg")).then(|| {
            Ok(ExecOutput {
                exit: ExitInfo {
                    code: Some(0).into(),
                    signal: None.into(),
                    timed_out: false,
                },
                stdout: Vec::new().into(),
                stderr: Vec::new().into(),
                truncated: false,
            })
        })
    });
    let f = run_plugin("ane", &ctx, &["ane.driver"]);
    let d = one(&f, "ane.driver");
    assert_eq!(d.status, Status::Warn);
    assert_eq!(
        d.title.as_str(),
        "No H11ANEIn service in the IOKit registry"
    );
}

#[test]
fn coreml_link_without_go_skips_with_reason() {
    let ctx = fixture("hw-m2max-ane-ioreg.json").with_options(RunOptions {
        deep: true,
        replay: true,
        ..RunOptions::default()
    });
    let f = run_plugin("ane", &ctx, &["ane.coreml-link"]);
    let c = one(&f, "ane.coreml-link");
    assert_eq!(c.status, Status::Skip);
    assert_eq!(
        c.title.as_str(),
        "No `go` on PATH: cannot build the Core ML probe"
    );
}

#[test]
fn rosetta_capture_names_the_real_chip() {
    let f = run_plugin(
        "ane",
        &fixture("hw-m1-rosetta-monterey.json"),
        &["ane.neural-engine"],
    );
    let n = one(&f, "ane.neural-engine");
    // The capture is from a translated process and still reads `machdep.cpu.brand_string:
    // Apple M1` (shared/fixtures/macos/m1-rosetta-monterey-sysctl-hw-machdep.txt, FACTS.md).
    assert_eq!(
        n.title.as_str(),
        "Apple M1: Apple lists a 16-core Neural Engine"
    );
    assert!(!n.detail.contains("does not name"), "{}", n.detail);
}

#[test]
fn rosetta_capture_builds_the_core_ml_probe_for_arm64() {
    // uname -m is x86_64 under Rosetta (FACTS.md), yet the Mac is Apple Silicon: the probe is
    // built for the machine's native arm64 (the old code built amd64 here).
    let snapshot = gohost_e2e::harness::load_snapshot(format!(
        "{}/../../tests/replay/hw-m1-rosetta-monterey.json",
        env!("CARGO_MANIFEST_DIR")
    ));
    assert_eq!(snapshot.facts.machine.as_str(), "x86_64");
    let (goarch, why) = gohost_plugin_ane::native_goarch(&snapshot.facts).expect("decided");
    assert_eq!(goarch, "arm64", "{why}");
}
