//! The macOS paths of `cgo`, in-process, from the replay fixtures built from real captured
//! Mac outputs (tests/replay/mac-*.json; see plugins/arch/fixtures-gen), plus the cache
//! contract of cgo.build with a scripted context.

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gohost_e2e::harness::{
    assert_explained_and_actionable, fixture_names, json_ablations, load_snapshot, one, replay,
    replay_file, run_plugin, statuses, Harness, MAC_FIXTURES,
};
use gohost_plugin_api::abi_stable::std_types::{ROption, RString};
use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
use gohost_plugin_api::{ExecOutput, ExitInfo, GoFacts, RunOptions, Status};

use gohost_plugin_cgo as _;

fn snapshot(name: &str) -> Snapshot {
    load_snapshot(format!(
        "{}/../../tests/replay/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

#[test]
fn m1_homebrew_go_without_compiler() {
    let findings = run_plugin("cgo", &replay(snapshot("mac-m1-native.json")), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("cgo.build".to_owned(), Status::Skip),
            ("cgo.compiler".to_owned(), Status::Warn),
            ("cgo.enabled".to_owned(), Status::Warn),
            ("cgo.flags-leak".to_owned(), Status::Pass),
            ("cgo.xcode".to_owned(), Status::Fail),
        ]
    );
    let e = one(&findings, "cgo.enabled");
    assert_eq!(e.evidence_value("CGO_ENABLED"), Some("0"));
    assert!(e
        .evidence_value("reason")
        .is_some_and(|r| r.contains("default C compiler `clang` is not on PATH")));
    let fix = e.remediation.as_ref().expect("fix");
    assert_eq!(fix.commands[0].as_str(), "xcode-select --install");
    let c = one(&findings, "cgo.compiler");
    assert_eq!(c.evidence_value("CC"), Some("cc"));
    assert_eq!(c.evidence_value("path"), Some("not found"));
    let x = one(&findings, "cgo.xcode");
    assert!(x
        .remediation
        .as_ref()
        .into_option()
        .is_some_and(|r| r.commands[0].as_str() == "xcode-select --install"));
}

#[test]
fn m1_rosetta_intel_go() {
    let findings = run_plugin("cgo", &replay(snapshot("mac-m1-rosetta.json")), &[]);
    assert_eq!(
        statuses(&findings),
        vec![
            ("cgo.build".to_owned(), Status::Skip),
            ("cgo.compiler".to_owned(), Status::Skip),
            ("cgo.enabled".to_owned(), Status::Pass),
            ("cgo.flags-leak".to_owned(), Status::Pass),
            ("cgo.xcode".to_owned(), Status::Skip),
        ]
    );
    let e = one(&findings, "cgo.enabled");
    assert_eq!(e.evidence_value("GOOS/GOARCH"), Some("darwin/amd64"));
    assert_eq!(
        one(&findings, "cgo.compiler").evidence_value("path"),
        Some("/usr/bin/clang")
    );
}

#[test]
fn applesilicon_full_xcode() {
    let findings = run_plugin("cgo", &replay(snapshot("mac-applesilicon-xcode.json")), &[]);
    let x = one(&findings, "cgo.xcode");
    assert_eq!(x.status, Status::Pass);
    assert_eq!(
        x.evidence_value("developer_dir"),
        Some("/Applications/Xcode.app/Contents/Developer")
    );
    assert_eq!(
        x.evidence_value("sdk"),
        Some("/Applications/Xcode.app/Contents/Developer/Platforms/MacOSX.platform/Developer/SDKs/MacOSX.sdk")
    );
    // No go in this fixture: the go-dependent checks say so instead of guessing.
    assert_eq!(one(&findings, "cgo.build").status, Status::Skip);
}

/// No go in the Intel capture: every go-dependent check says so; cgo.xcode has its own
/// answer. (Issue 15 item 4: this used to be a loop only, passing on empty output.)
#[test]
fn intel_without_go_skips() {
    let findings = run_plugin("cgo", &replay(snapshot("mac-intel.json")), &[]);
    assert_eq!(findings.len(), 5);
    for id in ["cgo.build", "cgo.compiler", "cgo.enabled", "cgo.flags-leak"] {
        let f = one(&findings, id);
        assert_eq!(f.status, Status::Skip, "{f:?}");
        assert!(f.title.contains("no go on PATH"), "{}", f.title);
    }
    // The capture has no `xcode-select -p`: could not tell, not a verdict.
    let x = one(&findings, "cgo.xcode");
    assert_eq!(x.status, Status::Skip, "{}", x.title);
    assert!(x.title.contains("not recorded"), "{}", x.title);
}

/// A macOS arm64 build setup whose Homebrew paths leak into an arm64 build (test values).
#[test]
fn usr_local_flags_on_arm64_warn() {
    let mut snap = snapshot("mac-m1-native.json");
    snap.probes.push(ProbeRecord::Env {
        name: "PKG_CONFIG_PATH".into(),
        value: Some("/usr/local/lib/pkgconfig".into()),
        source: Some("test value".into()),
    });
    let findings = run_plugin("cgo", &replay(snap), &["cgo.flags-leak"]);
    let f = one(&findings, "cgo.flags-leak");
    assert_eq!(f.status, Status::Warn);
    assert!(f
        .title
        .contains("PKG_CONFIG_PATH: /usr/local/lib/pkgconfig"));
}

fn exit_ok(stdout: &str) -> ExecOutput {
    ExecOutput {
        exit: ExitInfo {
            code: ROption::RSome(0),
            signal: ROption::RNone,
            timed_out: false,
        },
        stdout: stdout.as_bytes().to_vec().into(),
        stderr: Vec::new().into(),
        truncated: false,
    }
}

/// A scripted Linux context for cgo.build: the probes answer like a working gcc + go would,
/// and the "built binary" is this test executable's own (real) ELF header. The run is live
/// (`as_live_run`: a real result cache in the harness's temp dir), as the cache it tests exists
/// only outside `--replay`.
fn scripted(builds: Arc<AtomicUsize>, options: RunOptions) -> Harness {
    let env = serde_json::json!({
        "GOOS": "linux", "GOARCH": "amd64", "GOHOSTOS": "linux", "GOHOSTARCH": "amd64",
        "CC": "gcc", "CGO_ENABLED": "1", "GOVERSION": "go1.27.3", "GOENV": "/nonexistent/go/env"
    });
    let mut facts = gohost_plugin_api::testing::TestContext::linux_facts();
    facts.go = ROption::RSome(GoFacts {
        path: "/usr/bin/go".into(),
        version_output: "go version go1.27.3 linux/amd64".into(),
        env_json: RString::from(env.to_string()),
        problem: ROption::RNone,
    });
    let mut snap = Snapshot::new(facts, "scripted test");
    let me = std::fs::read("/proc/self/exe").expect("own ELF");
    snap.probes.push(ProbeRecord::Which {
        name: "gcc".into(),
        found: vec!["/usr/bin/gcc".into()],
        source: None,
    });
    snap.probes.push(ProbeRecord::TempDir {
        result: Answer::Ok("/tmp/gohost-test-cgo".into()),
    });
    snap.probes.push(ProbeRecord::ReadFile {
        path: "/tmp/gohost-test-cgo/cgoprobe".into(),
        result: Answer::Ok(Bytes(me[..4096.min(me.len())].to_vec())),
        source: None,
    });
    replay(snap)
        .as_live_run()
        .with_options(options)
        .with_exec(move |req| {
            let argv: Vec<&str> = req.argv.iter().map(|s| s.as_str()).collect();
            match argv.as_slice() {
                ["/usr/bin/gcc", "-dumpmachine"] => Some(Ok(exit_ok("x86_64-linux-gnu\n"))),
                ["/usr/bin/gcc", "--version"] => Some(Ok(exit_ok("gcc (test) 12\n"))),
                ["/usr/bin/go", "build", ..] => {
                    builds.fetch_add(1, Ordering::SeqCst);
                    Some(Ok(exit_ok("")))
                }
                ["/tmp/gohost-test-cgo/cgoprobe"] => Some(Ok(exit_ok("cgo ok 42\n"))),
                _ => None,
            }
        })
}

#[test]
fn build_result_is_cached_and_no_cache_bypasses_it() {
    let builds = Arc::new(AtomicUsize::new(0));
    let live = RunOptions {
        replay: false,
        ..RunOptions::default()
    };
    let ctx = scripted(builds.clone(), live);
    let first = run_plugin("cgo", &ctx, &["cgo.build"]);
    let f = one(&first, "cgo.build");
    assert_eq!(f.status, Status::Pass, "{f:?}");
    assert!(!f.cached);
    assert_eq!(f.evidence_value("output"), Some("ELF amd64"));
    assert_eq!(f.evidence_value("run"), Some("cgo ok 42"));
    assert_eq!(builds.load(Ordering::SeqCst), 1);

    let second = run_plugin("cgo", &ctx, &["cgo.build"]);
    let g = one(&second, "cgo.build");
    assert_eq!(g.status, Status::Pass);
    assert!(g.cached, "served from the cache");
    assert_eq!(g.evidence_value("output"), Some("ELF amd64"));
    assert_eq!(builds.load(Ordering::SeqCst), 1, "no second build");

    let no_cache = RunOptions {
        replay: false,
        no_cache: true,
        ..RunOptions::default()
    };
    let builds2 = Arc::new(AtomicUsize::new(0));
    let ctx2 = scripted(builds2.clone(), no_cache);
    for _ in 0..2 {
        let r = run_plugin("cgo", &ctx2, &["cgo.build"]);
        assert!(!one(&r, "cgo.build").cached);
    }
    assert_eq!(
        builds2.load(Ordering::SeqCst),
        2,
        "--no-cache builds every time"
    );
}

/// Every check explains itself, and every warn/fail finding in every macOS fixture carries a
/// remediation with at least one exact command.
#[test]
fn explain_texts_and_remediations() {
    assert_explained_and_actionable("cgo", 80, &MAC_FIXTURES);
}

/// A local probe ablation over every replay snapshot in tests/replay (the repository-wide one is the
/// lead's): removing any one probe answer, or turning it into an error, never makes a cgo
/// finding pass that did not, and no evidence shows an ablated answer as a value.
#[test]
fn probe_ablation_never_creates_a_pass() {
    let mut runs = 0;
    let names = fixture_names();
    assert!(names.len() >= 4, "{names:?}");
    for name in &names {
        let path = format!("{}/../../tests/replay/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        let base = run_plugin("cgo", &replay_file(&path), &[]);
        assert_eq!(base.len(), 5, "{name}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let ablated = json_ablations(&json, "ABLATED");
        assert!(!ablated.is_empty(), "{name}");
        for (i, mode, snap) in ablated {
            let after = run_plugin("cgo", &replay(snap), &[]);
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
                    // An error may be shown, but only as an error.
                    assert!(
                        !e.value.contains("ABLATED")
                            || e.value.contains("could not")
                            || e.value.starts_with("unreadable"),
                        "{name} #{i} {mode}: {} shows {e:?}",
                        f.check
                    );
                }
            }
        }
    }
    assert!(runs > 100, "{runs}");
}
