//! The macOS paths of `toolchain`, in-process, from the replay fixtures built from real
//! captured Mac outputs (tests/replay/mac-*.json; see plugins/arch/fixtures-gen).

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::harness::{
    assert_explained_and_actionable, fixture_names, load_snapshot, one, replay, run_plugin,
    statuses, MAC_FIXTURES,
};
use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
use gohost_plugin_api::Status;

use gohost_plugin_toolchain as _;

fn snapshot(name: &str) -> Snapshot {
    load_snapshot(format!(
        "{}/../../tests/replay/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

#[test]
fn m1_native_homebrew_go_1_20() {
    let findings = run_plugin("toolchain", &replay(snapshot("mac-m1-native.json")), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("toolchain.go-binary-arch".to_owned(), Status::Pass),
            ("toolchain.go-env-file".to_owned(), Status::Pass),
            ("toolchain.go-on-path".to_owned(), Status::Pass),
            ("toolchain.goarch".to_owned(), Status::Pass),
            ("toolchain.gobin-on-path".to_owned(), Status::Warn),
            ("toolchain.gotoolchain".to_owned(), Status::Info),
            // No GOPATH/bin listing in this capture: nothing verified, not a pass.
            ("toolchain.lc-uuid-binaries".to_owned(), Status::Info),
            // go1.20 on macOS 12: fine now, aborts after an upgrade to macOS 26.
            ("toolchain.lc-uuid-go".to_owned(), Status::Info),
            ("toolchain.release-support".to_owned(), Status::Warn),
            ("toolchain.version-goroot".to_owned(), Status::Info),
        ]
    );
    let p = one(&findings, "toolchain.go-on-path");
    assert!(
        p.title.contains("go1.20.6") && p.title.contains("Homebrew (arm64"),
        "{}",
        p.title
    );
    let a = one(&findings, "toolchain.go-binary-arch");
    assert_eq!(a.evidence_value("header"), Some("Mach-O arm64"));
    assert_eq!(a.evidence_value("machine_native_arch"), Some("arm64"));
    assert_eq!(
        a.evidence_value("real_binary"),
        Some("/opt/homebrew/Cellar/go/1.20.6/libexec/bin/go")
    );
    let g = one(&findings, "toolchain.gobin-on-path");
    assert_eq!(
        g.evidence_value("GOPATH/bin"),
        Some("/Users/richard/go/bin")
    );
    assert!(one(&findings, "toolchain.release-support")
        .title
        .contains("no longer supported"));
}

#[test]
fn m1_rosetta_intel_homebrew_go_fails_with_fix() {
    let findings = run_plugin("toolchain", &replay(snapshot("mac-m1-rosetta.json")), &[]);
    let a = one(&findings, "toolchain.go-binary-arch");
    assert_eq!(a.status, Status::Fail);
    assert_eq!(a.evidence_value("header"), Some("Mach-O amd64"));
    assert_eq!(a.evidence_value("machine_native_arch"), Some("arm64"));
    let fix = a.remediation.as_ref().expect("remediation");
    assert!(fix
        .commands
        .iter()
        .any(|c| c.starts_with("arch -x86_64 /usr/local/bin/brew uninstall go")));
    let p = one(&findings, "toolchain.go-on-path");
    assert!(
        p.title.contains("Homebrew (Intel prefix /usr/local)"),
        "{}",
        p.title
    );
    assert_eq!(
        one(&findings, "toolchain.release-support").status,
        Status::Warn
    );
    // GOARCH=amd64 there comes from the go binary itself, not from a setting.
    let g = one(&findings, "toolchain.goarch");
    assert_eq!(g.status, Status::Info);
    assert_eq!(g.evidence_value("GOHOSTARCH"), Some("amd64"));
    assert!(g.title.contains("toolchain.go-binary-arch"));
}

#[test]
fn intel_without_go() {
    let findings = run_plugin("toolchain", &replay(snapshot("mac-intel.json")), &[]);
    let p = one(&findings, "toolchain.go-on-path");
    assert_eq!(p.status, Status::Fail);
    assert!(p.remediation.is_some());
    for id in [
        "toolchain.go-binary-arch",
        "toolchain.go-env-file",
        "toolchain.goarch",
        "toolchain.gobin-on-path",
        "toolchain.gotoolchain",
        "toolchain.lc-uuid-binaries",
        "toolchain.lc-uuid-go",
        "toolchain.release-support",
        "toolchain.version-goroot",
    ] {
        assert_eq!(one(&findings, id).status, Status::Skip, "{id}");
    }
}

#[test]
fn persisted_goarch_amd64_on_apple_silicon() {
    let mut snap = snapshot("mac-m1-native.json");
    let goenv = "/Users/richard/Library/Application Support/go/env";
    snap.probes
        .retain(|p| !matches!(p, ProbeRecord::ReadFile { path, .. } if path == goenv));
    snap.probes.push(ProbeRecord::ReadFile {
        path: goenv.into(),
        result: Answer::Ok(Bytes::from(
            "GOARCH=amd64\nGOPROXY=https://goproxy.cn,direct\n",
        )),
        source: Some("test value".into()),
    });
    let findings = run_plugin("toolchain", &replay(snap), &["toolchain.go-env-file"]);
    let arch = findings
        .iter()
        .find(|f| f.evidence_value("GOARCH").is_some())
        .expect("GOARCH finding");
    assert_eq!(arch.status, Status::Fail);
    let fix = arch.remediation.as_ref().expect("fix");
    assert_eq!(fix.commands[0].as_str(), "go env -u GOARCH");
    let proxy = findings
        .iter()
        .find(|f| f.evidence_value("GOPROXY").is_some())
        .expect("GOPROXY finding");
    assert_eq!(proxy.status, Status::Info);
}

/// Every check explains itself, and every warn/fail finding in every macOS fixture carries a
/// remediation with at least one exact command.
#[test]
fn explain_texts_and_remediations() {
    assert_explained_and_actionable("toolchain", 80, &MAC_FIXTURES);
}

/// Every probe answer of every macOS replay snapshot removed in turn, and turned into an
/// error in turn (plus the host facts' `go version`, `go env -json`, macOS version and
/// machine blanked): no check may come out `pass` that did not pass with the answer, and no
/// evidence may show a missing answer as an empty value. (Issue 13 section 2: a missing
/// answer is "could not tell", never a verdict.)
#[test]
fn probe_ablation_never_creates_a_pass() {
    use std::collections::BTreeMap;
    // Every replay snapshot in the repository (the hw-* ones have no go, so there the
    // toolchain checks must stay skips whatever is removed).
    let names = fixture_names();
    assert!(names.len() >= 4, "{names:?}");
    let passes = |findings: &[gohost_plugin_api::Finding]| -> BTreeMap<String, bool> {
        let mut m = BTreeMap::new();
        for f in findings {
            let e = m.entry(f.check.to_string()).or_insert(false);
            *e |= f.status == Status::Pass;
        }
        m
    };
    let mut variants = 0usize;
    for name in &names {
        let base = snapshot(name);
        let baseline = run_plugin("toolchain", &replay(base.clone()), &[]);
        assert!(baseline.len() >= 8, "{name}: {} findings", baseline.len());
        let before = passes(&baseline);
        let json = serde_json::to_value(&base).expect("snapshot to json");
        let probes = json["probes"].as_array().cloned().unwrap_or_default();
        assert!(!probes.is_empty(), "{name} has probes");
        let mut mutated: Vec<(String, serde_json::Value)> = Vec::new();
        for i in 0..probes.len() {
            let mut removed = json.clone();
            if let Some(a) = removed["probes"].as_array_mut() {
                a.remove(i);
            }
            mutated.push((format!("{name}: probe {i} removed: {}", probes[i]), removed));
            let mut errored = json.clone();
            errored["probes"][i]["result"] =
                serde_json::json!({"err": {"kind": "other", "message": "ablated"}});
            mutated.push((format!("{name}: probe {i} errored: {}", probes[i]), errored));
        }
        if !json["facts"]["go"].is_null() {
            for key in ["env_json", "version_output"] {
                let mut m = json.clone();
                m["facts"]["go"][key] = serde_json::json!("");
                mutated.push((format!("{name}: facts.go.{key} blank"), m));
            }
        }
        let mut m = json.clone();
        m["facts"]["os_version"] = serde_json::json!("");
        mutated.push((format!("{name}: facts.os_version blank"), m));
        let mut m = json.clone();
        m["facts"]["machine"] = serde_json::json!("unknown");
        m["facts"]["translation"] = serde_json::json!("unknown");
        mutated.push((format!("{name}: facts.machine unknown"), m));
        for (what, value) in mutated {
            let snap: Snapshot = serde_json::from_value(value).expect("mutated snapshot");
            let findings = run_plugin("toolchain", &replay(snap), &[]);
            assert!(!findings.is_empty(), "{what}: no findings");
            for (check, pass) in passes(&findings) {
                assert!(
                    !pass || before.get(&check).copied().unwrap_or(false),
                    "{what}: {check} became pass: {findings:#?}"
                );
            }
            for f in &findings {
                for e in f.evidence.iter() {
                    assert!(
                        !e.value.trim().is_empty() || e.key.as_str() == "PATH",
                        "{what}: {} evidence {} is an empty value",
                        f.check,
                        e.key
                    );
                }
            }
            variants += 1;
        }
    }
    assert!(variants > 40, "only {variants} ablations ran");
}
