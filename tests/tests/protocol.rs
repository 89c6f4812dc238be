//! A hostile plugin against the worker protocol and the report: garbage written to the
//! worker's private protocol channel, and findings that claim another plugin's check id.

use gohost_e2e::*;

#[test]
fn garbage_on_the_protocol_channel_is_one_error_finding_and_the_rest_of_the_run_is_intact() {
    let dir = plugin_dir(&[fixture("fault-proto"), fixture("fixture-status")]);
    let (code, report, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "all"])
            .env("GOHOST_FAULT_PROTO", "garbage"),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 3, "{report:#}");
    let f = findings(&report, "fault-proto");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["status"], "error");
    assert!(
        f[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("broke the protocol"),
        "{}",
        f[0]
    );
    assert_eq!(
        findings(&report, "fixture-status").len(),
        2,
        "healthy plugin intact"
    );
}

// A plugin may report only its own check ids: `fault-proto` in "spoof" mode reports
// `arch.translation: pass`, which anything reading the report by check id (CI gates,
// `--check`) would believe; the host turns it into an `error` under the plugin's own name.
#[test]
fn a_finding_with_another_plugins_check_id_is_refused() {
    let dir = plugin_dir(&[fixture("fault-proto")]);
    for isolation in ["worker", "none"] {
        let (_, report, _) = run_json(
            gohost(dir.path())
                .args(["run", "all", "--isolation", isolation])
                .env("GOHOST_FAULT_PROTO", "spoof"),
        );
        let found = findings(&report, "fault-proto");
        assert!(
            !found.is_empty(),
            "{isolation}: fault-proto must load and report something: {report}"
        );
        for f in found {
            let check = f["check"].as_str().unwrap_or("");
            assert!(
                check.starts_with("fault-proto."),
                "{isolation}: plugin fault-proto reported `{check}`: {f}"
            );
        }
    }
}
