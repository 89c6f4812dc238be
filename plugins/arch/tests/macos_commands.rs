//! Every remediation command arch prints for the macOS fixtures (and GOARM64 variants of
//! them) parses with `bash -n` and `zsh -n` and uses only programs and flags from the table
//! of known-good command lines with their sources (tests/src/macos_commands.rs).

#![allow(clippy::disallowed_methods)]

use gohost_e2e::macos_commands as macos_commands_table;

use gohost_e2e::harness::{replay, run_plugin};
use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
use gohost_plugin_api::Status;

use gohost_plugin_arch as _;

fn fixture(name: &str) -> Snapshot {
    let path = format!("{}/../../tests/replay/{name}", env!("CARGO_MANIFEST_DIR"));
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("snapshot")
}

#[test]
fn printed_commands_are_known_good() {
    let mut snaps: Vec<(String, Snapshot)> = [
        "mac-m1-native.json",
        "mac-m1-rosetta.json",
        "mac-intel.json",
        "mac-applesilicon-xcode.json",
    ]
    .iter()
    .map(|n| (n.to_string(), fixture(n)))
    .collect();
    // Test values (not captures): GOARM64 invalid and above the M1's level, go dropped.
    for value in ["2", "v8.6", "v9.2"] {
        let mut s = fixture("mac-m1-native.json");
        s.facts.go = gohost_plugin_api::abi_stable::std_types::ROption::RNone;
        s.probes
            .retain(|p| !matches!(p, ProbeRecord::Env { name, .. } if name == "GOARM64"));
        s.probes.push(ProbeRecord::Env {
            name: "GOARM64".into(),
            value: Some(value.into()),
            source: Some("test value".into()),
        });
        snaps.push((format!("m1 GOARM64={value}"), s));
    }
    let mut checked = 0;
    let mut statuses = Vec::new();
    for (name, snap) in snaps {
        let findings = run_plugin("arch", &replay(snap), &[]);
        assert_eq!(findings.len(), 6, "{name}");
        for f in &findings {
            statuses.push(f.status);
            if let Some(r) = f.remediation.as_ref().into_option() {
                for c in r.commands.iter() {
                    macos_commands_table::assert_known(c.as_str(), &format!("{name} {}", f.check));
                    checked += 1;
                }
            }
        }
    }
    // The fixtures reach a Rosetta fail, a parent warn and GOARM64 fail/warn remediations.
    assert!(statuses.contains(&Status::Fail) && statuses.contains(&Status::Warn));
    assert!(checked >= 8, "only {checked} commands checked");
}

#[test]
fn tokenizer() {
    use macos_commands_table::simple_commands;
    assert_eq!(
        simple_commands("arch -arm64 /bin/zsh -l"),
        vec![
            ("arch".to_owned(), vec!["-arm64".to_owned()]),
            ("/bin/zsh".to_owned(), vec!["-l".to_owned()])
        ]
    );
    assert_eq!(
        simple_commands("echo 0 | sudo tee '/proc/sys/fs/binfmt_misc/qemu-x'"),
        vec![("echo".to_owned(), vec![]), ("tee".to_owned(), vec![])]
    );
    assert_eq!(
        simple_commands("sysctl -n sysctl.proc_translated   # expect 0"),
        vec![("sysctl".to_owned(), vec!["-n".to_owned()])]
    );
    assert_eq!(
        simple_commands("CGO_ENABLED=1 CC='<C compiler for arm64>' go build"),
        vec![("go".to_owned(), vec![])]
    );
    assert_eq!(
        simple_commands("$(go env CC) -dumpmachine"),
        vec![("$(go env CC)".to_owned(), vec!["-dumpmachine".to_owned()])]
    );
}
