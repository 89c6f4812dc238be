//! In-process plugin tests through the host's own harness (`gohost::harness`, feature
//! `harness`): a replay runs a plugin's linked checks exactly as `gohost run --replay` does
//! (the snapshot read by `invoke::read_snapshot`, the manifest's plan and capability gate, the
//! host's `HostCtx`), a live run over the real probes and facts. These are the few lines every
//! plugin's replay, ablation and live tests would otherwise write again; the finding lookups
//! (`one`, `ev`, `statuses`, `assert_*`) are plugin-api's `testing` module, re-exported.
//!
//! Not a second context: nothing here answers a probe; `gohost::harness` does.

use std::path::{Path, PathBuf};

pub use gohost::harness::{Harness, HarnessError, LiveHarness as LiveContext};
use gohost_plugin_api::snapshot::Snapshot;
pub use gohost_plugin_api::testing::{
    assert_actionable, assert_checks_explained, ev, load_snapshot, one, statuses, TestContext,
};
use gohost_plugin_api::Finding;

/// A replay fixture of the workspace (`tests/replay/<name>`: real captures, provenance inside).
pub fn fixture_path(name: &str) -> PathBuf {
    crate::workspace_root().join("tests/replay").join(name)
}

/// A replay of the workspace fixture `name`, read as `gohost run --replay` reads it.
///
/// # Panics
/// With the host's own wording when the file cannot be used (test code).
pub fn fixture(name: &str) -> Harness {
    replay_file(fixture_path(name))
}

/// A replay of the snapshot file at `path`, read as `gohost run --replay` reads it.
///
/// # Panics
/// With the host's own wording when the file cannot be used (test code).
pub fn replay_file(path: impl AsRef<Path>) -> Harness {
    let path = path.as_ref();
    Harness::replay(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A replay of a snapshot the test built or edited, through the same read as a file.
///
/// # Panics
/// With the host's own wording when the snapshot cannot be used (test code).
pub fn replay(snapshot: Snapshot) -> Harness {
    Harness::replay_snapshot(&snapshot).unwrap_or_else(|e| panic!("the test's snapshot: {e}"))
}

/// `plugin`'s checks (all when `selection` is empty) through `harness`.
///
/// # Panics
/// With `gohost run`'s usage error when `selection` names a check the plugin does not have:
/// the test is mistaken, and says how.
pub fn run_plugin(plugin: &str, harness: &Harness, selection: &[&str]) -> Vec<Finding> {
    harness
        .run(plugin, selection)
        .unwrap_or_else(|e| panic!("{plugin}: {e}"))
}

/// One ablated variant of a snapshot (issue 13 section 2: a missing answer is never a verdict).
#[derive(Debug, Clone)]
pub struct Ablated {
    /// The probe record changed (its index in the snapshot's `probes`).
    pub index: usize,
    /// `"removed"` or `"error"`.
    pub how: &'static str,
    pub snapshot: Snapshot,
}

/// Every probe of `snapshot` in turn removed, then (same index) its answer turned into an
/// error with `message` — for commands, sysctls, files and directory listings; other records
/// are kept as they are in the "error" variant. In that order: removed, error, per index.
pub fn ablations(snapshot: &Snapshot, message: &str) -> Vec<Ablated> {
    use gohost_plugin_api::snapshot::{Answer, ProbeRecord};
    use gohost_plugin_api::{ProbeError, ProbeErrorKind};
    fn error<T>(message: &str) -> Answer<T> {
        Answer::Err(ProbeError {
            kind: ProbeErrorKind::Other,
            message: message.into(),
        })
    }
    let mut out = Vec::with_capacity(2 * snapshot.probes.len());
    for index in 0..snapshot.probes.len() {
        let mut removed = snapshot.clone();
        removed.probes.remove(index);
        out.push(Ablated {
            index,
            how: "removed",
            snapshot: removed,
        });
        let mut errored = snapshot.clone();
        match &mut errored.probes[index] {
            ProbeRecord::Exec { result, .. } => *result = error(message),
            ProbeRecord::Sysctl { result, .. } => *result = error(message),
            ProbeRecord::ReadFile { result, .. } => *result = error(message),
            ProbeRecord::ReadDir { result, .. } => *result = error(message),
            _ => {}
        }
        out.push(Ablated {
            index,
            how: "error",
            snapshot: errored,
        });
    }
    out
}

/// The names of every replay fixture of the workspace (`tests/replay/*.json`), sorted.
///
/// # Panics
/// When the directory cannot be read (test code).
pub fn fixture_names() -> Vec<String> {
    let dir = crate::workspace_root().join("tests/replay");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Every probe of the snapshot JSON `json` in turn removed (`"remove"`), then, when the record
/// has a `result`, that result made the error `{"kind": "other", "message": message}`
/// (`"error"`): `(index, how, snapshot)`, in that order. Read with `Snapshot::from_json`.
///
/// # Panics
/// When `json` has no `probes` array or a variant is not a snapshot (test code).
pub fn json_ablations(
    json: &serde_json::Value,
    message: &str,
) -> Vec<(usize, &'static str, Snapshot)> {
    let n = json["probes"].as_array().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        for how in ["remove", "error"] {
            let mut j = json.clone();
            let probes = j["probes"].as_array_mut().expect("probes");
            if how == "remove" {
                probes.remove(i);
            } else if probes[i].get("result").is_some() {
                probes[i]["result"] =
                    serde_json::json!({"err": {"kind": "other", "message": message}});
            } else {
                continue;
            }
            let snapshot = Snapshot::from_json(&j.to_string()).expect("snapshot");
            out.push((i, how, snapshot));
        }
    }
    out
}

/// The Mac fixtures every go-facing plugin (arch, toolchain, cgo) is judged on: real captures
/// of an M1 native, an M1 under Rosetta, an Intel Mac and an Apple Silicon Mac with Xcode.
pub const MAC_FIXTURES: [&str; 4] = [
    "mac-m1-native.json",
    "mac-m1-rosetta.json",
    "mac-intel.json",
    "mac-applesilicon-xcode.json",
];

/// The crate docs' finding rules for `plugin`: every check has an explain text of at least
/// `min_chars` characters, and every warn/fail finding on each of `fixtures` carries a
/// remediation with at least one exact command.
///
/// # Panics
/// Naming the first check or finding that does not (test code).
pub fn assert_explained_and_actionable(plugin: &str, min_chars: usize, fixtures: &[&str]) {
    assert!(!fixtures.is_empty(), "no fixtures to judge {plugin} on");
    assert_checks_explained(plugin, min_chars);
    for name in fixtures {
        assert_actionable(&run_plugin(plugin, &fixture(name), &[]), name);
    }
}

/// Issue 13 section 2 for one snapshot: run each of its [`ablations`] (message `ablated`) with
/// `run` and assert that every variant gives as many findings as `base` (the statuses of the
/// whole snapshot, in order) and no check passes that did not pass in `base`. Returns how many
/// variants ran, for the caller to assert it is not zero.
///
/// # Panics
/// Naming the snapshot, the probe, how it was ablated and the check that became a pass.
pub fn assert_no_ablation_makes_a_pass(
    name: &str,
    snapshot: &Snapshot,
    base: &[(String, gohost_plugin_api::Status)],
    run: impl Fn(Snapshot) -> Vec<Finding>,
) -> usize {
    use gohost_plugin_api::Status;
    let mut variants = 0;
    for Ablated {
        index: i,
        how,
        snapshot: variant,
    } in ablations(snapshot, "ablated")
    {
        let after = statuses(&run(variant));
        assert_eq!(after.len(), base.len(), "{name} probe {i} {how}");
        for ((check, was), (_, now)) in base.iter().zip(&after) {
            assert!(
                !(*now == Status::Pass && *was != Status::Pass),
                "{name}: probe {i} ({:?}) {how} made {check} pass (was {was:?})",
                snapshot.probes[i]
            );
        }
        variants += 1;
    }
    variants
}
