//! The macOS paths of `arch`, driven in-process from the replay fixtures built from real
//! captured Mac outputs (tests/replay/mac-*.json, see plugins/arch/fixtures-gen).

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::harness::{
    assert_explained_and_actionable, fixture, fixture_names, json_ablations, one, replay,
    replay_file, run_plugin, statuses, MAC_FIXTURES,
};
use gohost_plugin_api::Status;

// The rlib must be linked for its checks to register.
use gohost_plugin_arch as _;

#[test]
fn m1_native() {
    let findings = run_plugin("arch", &fixture("mac-m1-native.json"), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("arch.binfmt-emulation".to_owned(), Status::Skip),
            ("arch.goarm64".to_owned(), Status::Info),
            ("arch.parent-chain".to_owned(), Status::Pass),
            ("arch.platform".to_owned(), Status::Info),
            ("arch.process-translation".to_owned(), Status::Pass),
            ("arch.rosetta-installed".to_owned(), Status::Info),
        ]
    );
    let t = one(&findings, "arch.process-translation");
    assert_eq!(t.evidence_value("sysctl.proc_translated"), Some("0"));
    assert_eq!(t.evidence_value("hw.optional.arm64"), Some("1"));
    // macOS 12's M1 dump reports FEAT_CRC32 only under its old name and has no FEAT_DIT, so
    // v8.4 cannot be verified.
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.evidence_value("supported_goarm64"), Some("v8.3"));
    assert_eq!(g.evidence_value("hw.optional.armv8_crc32"), Some("1"));
    assert!(g
        .evidence_value("limit")
        .is_some_and(|l| l.contains("v8.4") && l.contains("FEAT_DIT not reported")));
    let p = one(&findings, "arch.parent-chain");
    assert!(p.title.contains("all 3 parent processes"), "{}", p.title);
    let r = one(&findings, "arch.rosetta-installed");
    assert!(r.title.contains("not installed"));
    assert!(r.remediation.is_some());
    assert_eq!(
        one(&findings, "arch.platform").evidence_value("chip"),
        Some("Apple M1")
    );
}

#[test]
fn m1_under_rosetta() {
    let findings = run_plugin("arch", &fixture("mac-m1-rosetta.json"), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("arch.binfmt-emulation".to_owned(), Status::Skip),
            ("arch.goarm64".to_owned(), Status::Info),
            ("arch.parent-chain".to_owned(), Status::Warn),
            ("arch.platform".to_owned(), Status::Info),
            ("arch.process-translation".to_owned(), Status::Fail),
            ("arch.rosetta-installed".to_owned(), Status::Info),
        ]
    );
    let t = one(&findings, "arch.process-translation");
    assert_eq!(t.evidence_value("sysctl.proc_translated"), Some("1"));
    assert_eq!(t.evidence_value("hw.optional.arm64"), Some("1"));
    assert_eq!(t.evidence_value("machine"), Some("x86_64"));
    let fix = t.remediation.as_ref().expect("remediation");
    assert!(fix
        .commands
        .iter()
        .any(|c| c.as_str() == "arch -arm64 /bin/zsh -l"));
    let p = one(&findings, "arch.parent-chain");
    assert!(
        p.title.contains("`-zsh` runs under Rosetta 2"),
        "{}",
        p.title
    );
    // The translated view still reports the real M1's FEAT_* (with FEAT_DIT on this macOS);
    // Apple reports FEAT_SPECRES 0, which stops v8.5.
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.evidence_value("supported_goarm64"), Some("v8.4"));
    assert!(g
        .evidence_value("limit")
        .is_some_and(|l| l.contains("FEAT_SPECRES absent")));
    assert!(one(&findings, "arch.rosetta-installed")
        .title
        .contains("is installed"));
}

#[test]
fn intel_mac() {
    let findings = run_plugin("arch", &fixture("mac-intel.json"), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("arch.binfmt-emulation".to_owned(), Status::Skip),
            ("arch.goarm64".to_owned(), Status::Skip),
            ("arch.parent-chain".to_owned(), Status::Pass),
            ("arch.platform".to_owned(), Status::Info),
            ("arch.process-translation".to_owned(), Status::Pass),
            ("arch.rosetta-installed".to_owned(), Status::Skip),
        ]
    );
    let t = one(&findings, "arch.process-translation");
    assert!(t.title.contains("Intel Mac"));
    assert_eq!(
        t.evidence_value("sysctl.proc_translated"),
        Some("unknown oid")
    );
    assert_eq!(
        one(&findings, "arch.platform").evidence_value("chip"),
        Some("Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz")
    );
}

/// The M1 fixture with the user's GOARM64 replaced (a test value, not a capture). Its
/// captured go is go1.16, which ignores GOARM64, so the go is dropped (version unknown:
/// judged as a Go that reads GOARM64).
fn m1_with_goarm64(value: &str) -> gohost_e2e::harness::Harness {
    let mut snap = m1_snapshot_with_goarm64(value);
    snap.facts.go = gohost_plugin_api::abi_stable::std_types::ROption::RNone;
    replay(snap)
}

/// The captured go1.16 (fixture m1-rosetta-go-version-go116-amd64.txt) predates GOARM64
/// (Go 1.23, FACTS.md): any value is ignored, so nothing is judged against the CPU.
#[test]
fn goarm64_ignored_by_go_before_1_23() {
    let findings = run_plugin("arch", &m1_with_goarm64_keep_go("v8.6"), &["arch.goarm64"]);
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.status, Status::Info, "{}", g.title);
    assert!(g.title.contains("go1.16.0 ignores it"), "{}", g.title);
}

fn m1_with_goarm64_keep_go(value: &str) -> gohost_e2e::harness::Harness {
    replay(m1_snapshot_with_goarm64(value))
}

fn m1_snapshot_with_goarm64(value: &str) -> gohost_plugin_api::snapshot::Snapshot {
    use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
    let path = format!(
        "{}/../../tests/replay/mac-m1-rosetta.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    let mut snap = Snapshot::from_json(&text).expect("snapshot");
    snap.probes
        .retain(|p| !matches!(p, ProbeRecord::Env { name, .. } if name == "GOARM64"));
    snap.probes.push(ProbeRecord::Env {
        name: "GOARM64".into(),
        value: Some(value.into()),
        source: Some("test value".into()),
    });
    snap
}

/// Above the level the M1 reports (FEAT_BTI and FEAT_SPECRES 0): a warning, not a fail —
/// Go 1.27 itself only uses LSE from the level (internal/buildcfg, cmd/compile ssagen), the
/// rest is build tags code may select instructions with. The fix only unsets it: every
/// printed command is meant to be run.
#[test]
fn goarm64_above_the_cpu_warns_with_the_fix() {
    let findings = run_plugin("arch", &m1_with_goarm64("v8.6"), &["arch.goarm64"]);
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.status, Status::Warn, "{}", g.title);
    assert_eq!(g.evidence_value("GOARM64"), Some("v8.6"));
    let fix = g.remediation.as_ref().expect("remediation");
    assert_eq!(
        fix.commands.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        vec!["unset GOARM64"]
    );
    // v9.0 includes v8.5 (internal/buildcfg) and Armv9 features: above this M1 either way.
    let findings = run_plugin("arch", &m1_with_goarm64("v9.0"), &["arch.goarm64"]);
    assert_eq!(one(&findings, "arch.goarm64").status, Status::Warn);
}

#[test]
fn goarm64_within_or_invalid() {
    let findings = run_plugin("arch", &m1_with_goarm64("v8.4,crypto"), &["arch.goarm64"]);
    assert_eq!(one(&findings, "arch.goarm64").status, Status::Pass);
    let findings = run_plugin("arch", &m1_with_goarm64("2"), &["arch.goarm64"]);
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.status, Status::Fail);
    assert!(g.title.contains("not a value Go accepts"));
}

/// Linux on arm64: the Features line of /proc/cpuinfo of an Apple M1 Firestorm core under
/// Linux, verbatim as a public write-up on Apple Silicon cpuinfo prints it. The rest of the
/// snapshot (facts) is minimal and made up for this test.
#[test]
fn linux_arm64_goarm64_from_cpuinfo() {
    use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
    let mut facts = gohost_plugin_api::testing::TestContext::linux_facts();
    facts.machine = "aarch64".into();
    facts.process_arch = "aarch64".into();
    let mut snap = Snapshot::new(facts, "test: made-up facts, quoted cpuinfo");
    let cpuinfo = "processor\t: 0\nFeatures        : fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop sha3 asimddp sha512 asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg dcpodp flagm2 frint\nCPU implementer : 0x61\n";
    snap.probes.push(ProbeRecord::ReadFile {
        path: "/proc/cpuinfo".into(),
        result: Answer::Ok(Bytes::from(cpuinfo)),
        source: Some("quoted: Apple M1 Firestorm /proc/cpuinfo under Linux".into()),
    });
    let findings = run_plugin("arch", &replay(snap), &["arch.goarm64"]);
    let g = one(&findings, "arch.goarm64");
    assert_eq!(g.status, Status::Info);
    // Same answer as macOS gives for the M1 (mac-m1-rosetta): v8.4. Linux has no hwcap for
    // FEAT_CSV2, so v8.5 is never verified there.
    assert_eq!(g.evidence_value("supported_goarm64"), Some("v8.4"));
    assert!(g
        .evidence_value("limit")
        .is_some_and(|l| l.contains("FEAT_CSV2 not reported")));
}

/// Every check explains itself, and every warn/fail finding in every macOS fixture carries a
/// remediation with at least one exact command.
#[test]
fn explain_texts_and_remediations() {
    assert_explained_and_actionable("arch", 80, &MAC_FIXTURES);
}

/// The committed mac-*.json fixtures are exactly what the generator makes from the captures
/// (so nobody hand-edits a "captured" value).
#[test]
fn fixtures_match_their_generator() {
    let root = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("tmp");
    let status = std::process::Command::new("python3")
        .arg(format!(
            "{root}/plugins/arch/fixtures-gen/gen_mac_fixtures.py"
        ))
        .env("GOHOST_FIXTURES_OUT", out.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3");
    assert!(
        status.success(),
        "the generator failed (are ../shared/fixtures present?)"
    );
    for name in [
        "mac-m1-native.json",
        "mac-m1-rosetta.json",
        "mac-intel.json",
        "mac-applesilicon-xcode.json",
    ] {
        let fresh = std::fs::read_to_string(out.path().join(name)).expect("generated");
        let committed =
            std::fs::read_to_string(format!("{root}/tests/replay/{name}")).expect("committed");
        assert!(fresh == committed, "{name} differs from its generator's output: re-run plugins/arch/fixtures-gen/gen_mac_fixtures.py");
    }
}

/// Issue 13's example: the M1 snapshot lacking `hw.optional.arm64` got "not Apple Silicon:
/// GOARM64 applies to arm64 only". uname -m says arm64, so it is Apple Silicon.
#[test]
fn m1_without_hw_optional_arm64_is_still_apple_silicon() {
    use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
    let path = format!(
        "{}/../../tests/replay/mac-m1-native.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut snap =
        Snapshot::from_json(&std::fs::read_to_string(path).expect("fixture")).expect("snapshot");
    let before = snap.probes.len();
    snap.probes
        .retain(|p| !matches!(p, ProbeRecord::Sysctl { name, .. } if name == "hw.optional.arm64"));
    assert_eq!(snap.probes.len(), before - 1);
    let findings = run_plugin("arch", &replay(snap), &[]);
    assert_eq!(findings.len(), 6);
    let g = one(&findings, "arch.goarm64");
    assert!(!g.title.contains("not Apple Silicon"), "{}", g.title);
    assert_eq!(g.evidence_value("supported_goarm64"), Some("v8.3"));
    assert_eq!(
        one(&findings, "arch.process-translation").status,
        Status::Pass
    );
}

/// A local probe ablation over every replay snapshot in tests/replay (the repository-wide one is the
/// lead's): removing any one probe answer, or turning it into an error, never makes an arch
/// finding pass that did not, and no evidence shows an ablated answer as a value.
#[test]
fn probe_ablation_never_creates_a_pass() {
    let mut runs = 0;
    let names = fixture_names();
    assert!(names.len() >= 4, "{names:?}");
    for name in &names {
        let path = format!("{}/../../tests/replay/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        let base = run_plugin("arch", &replay_file(&path), &[]);
        assert_eq!(base.len(), 6, "{name}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let ablated = json_ablations(&json, "ABLATED");
        assert!(!ablated.is_empty(), "{name}");
        for (i, mode, snap) in ablated {
            let after = run_plugin("arch", &replay(snap), &[]);
            runs += 1;
            assert_eq!(after.len(), base.len(), "{name} #{i} {mode}");
            for f in &after {
                let was = one(&base, f.check.as_str());
                if f.status == Status::Pass {
                    assert_eq!(
                        was.status,
                        Status::Pass,
                        "{name} probe #{i} {mode}: {} became pass: {}",
                        f.check,
                        f.title
                    );
                }
                for e in &f.evidence {
                    assert!(
                        !e.value.contains("ABLATED") || e.value.starts_with("unreadable"),
                        "{name} #{i} {mode}: {} shows {e:?}",
                        f.check
                    );
                }
            }
        }
    }
    assert!(runs > 100, "{runs}");
}
