//! Every remediation command cgo prints for the macOS fixtures and variants of them (test
//! values, marked) parses with `bash -n` and `zsh -n` and uses only programs and flags from
//! the table of known-good command lines with their sources (the arch plugin's
//! tests/src/macos_commands.rs, shared).

#![allow(clippy::disallowed_methods)]

use gohost_e2e::macos_commands as macos_commands_table;

use gohost_e2e::harness::{replay, run_plugin, Harness};
use gohost_plugin_api::abi_stable::std_types::{ROption, RString};
use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
use gohost_plugin_api::{ExecOutput, ExitInfo, Status};

use gohost_plugin_cgo as _;

fn fixture(name: &str) -> Snapshot {
    let path = format!("{}/../../tests/replay/{name}", env!("CARGO_MANIFEST_DIR"));
    Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("snapshot")
}

fn exit(code: i32, stdout: &str) -> ExecOutput {
    ExecOutput {
        exit: ExitInfo {
            code: ROption::RSome(code),
            signal: ROption::RNone,
            timed_out: false,
        },
        stdout: stdout.as_bytes().to_vec().into(),
        stderr: b"test value".to_vec().into(),
        truncated: false,
    }
}

/// The Xcode fixture with `xcrun` or `xcodebuild -license check` failing (test values).
fn xcode_failing(which: &'static str) -> gohost_e2e::harness::Harness {
    replay(fixture("mac-applesilicon-xcode.json")).with_exec(move |req| {
        let argv: Vec<&str> = req.argv.iter().map(|s| s.as_str()).collect();
        match (which, argv.as_slice()) {
            ("xcrun", ["xcrun", "--show-sdk-path"]) => Some(Ok(exit(1, ""))),
            ("license", ["xcodebuild", "-license", "check"]) => Some(Ok(exit(69, ""))),
            _ => None,
        }
    })
}

#[test]
fn printed_commands_are_known_good() {
    let mut ctxs: Vec<(String, Harness)> = [
        "mac-m1-native.json",
        "mac-m1-rosetta.json",
        "mac-intel.json",
        "mac-applesilicon-xcode.json",
    ]
    .iter()
    .map(|n| (n.to_string(), replay(fixture(n))))
    .collect();
    // Intel Homebrew paths in an arm64 build (test value).
    let mut s = fixture("mac-m1-native.json");
    s.probes.push(ProbeRecord::Env {
        name: "LIBRARY_PATH".into(),
        value: Some("/usr/local/lib".into()),
        source: Some("test value".into()),
    });
    ctxs.push(("m1 LIBRARY_PATH=/usr/local/lib".into(), replay(s)));
    // A cross build (GOARCH=amd64 on the arm64 host, test value): cgo defaults off.
    let mut s = fixture("mac-m1-native.json");
    if let ROption::RSome(go) = &mut s.facts.go {
        let mut env: serde_json::Value =
            serde_json::from_str(go.env_json.as_str()).expect("env json");
        env["GOARCH"] = "amd64".into();
        env["GOHOSTARCH"] = "arm64".into();
        go.env_json = RString::from(env.to_string());
    }
    ctxs.push(("m1 GOARCH=amd64".into(), replay(s)));
    ctxs.push(("xcrun failing".into(), xcode_failing("xcrun")));
    ctxs.push(("license not accepted".into(), xcode_failing("license")));

    let mut checked = 0;
    let mut seen = Vec::new();
    for (name, ctx) in ctxs {
        let findings = run_plugin("cgo", &ctx, &[]);
        assert_eq!(findings.len(), 5, "{name}");
        for f in &findings {
            if let Some(r) = f.remediation.as_ref().into_option() {
                assert!(
                    !matches!(f.status, Status::Pass | Status::Skip) || !r.commands.is_empty(),
                    "{name} {}",
                    f.check
                );
                for c in r.commands.iter() {
                    macos_commands_table::assert_known(c.as_str(), &format!("{name} {}", f.check));
                    seen.push(c.to_string());
                    checked += 1;
                }
            }
        }
    }
    for expected in [
        "xcode-select --install",
        "sudo xcodebuild -license accept",
        "unset LIBRARY_PATH",
        "CGO_ENABLED=1 CC='<C compiler for amd64>' go build",
    ] {
        assert!(
            seen.iter().any(|c| c == expected),
            "{expected} not reached: {seen:?}"
        );
    }
    assert!(checked >= 6, "only {checked} commands checked");
}
