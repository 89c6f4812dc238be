//! Shared helpers of gohost's libFuzzer targets (`fuzz_targets/*.rs`, run with `cargo fuzz`).
//!
//! What it is: the snapshot loading and probe-answer substitution that the `probes_*` targets
//! share, and the no-panic / well-formedness assertions on a plugin's findings. What it is
//! not: a parser, a mock of any probe, or anything the product links (this crate is its own
//! workspace, built only by `cargo fuzz` on nightly).
//!
//! The `probes_*` targets fuzz every value a plugin reads through `Ctx` (sysctl values,
//! `/proc` and `/sys` files, command outputs, environment values, `go env -json` and
//! `go version` from the facts) exactly where the plugin parses it: the fuzz input names a
//! real snapshot and one probe in it, and its payload replaces that probe's answer. Seeds are
//! those answers as recorded (`fuzz/seeds.py`), so libFuzzer starts from real captures.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use abi_stable::std_types::ROption;
use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};

/// The repository root (this crate sits in `fuzz/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every replay snapshot of the repository, keyed by its path relative to the root:
/// `tests/replay`, `tests/field` and `plugins/*/tests/replay`. Loaded once per process.
pub fn snapshots() -> &'static [(String, Snapshot)] {
    static ALL: OnceLock<Vec<(String, Snapshot)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = repo_root();
        let mut dirs = vec![root.join("tests/replay"), root.join("tests/field")];
        if let Ok(plugins) = std::fs::read_dir(root.join("plugins")) {
            for p in plugins.flatten() {
                dirs.push(p.path().join("tests/replay"));
            }
        }
        let mut out = Vec::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "json") {
                    continue;
                }
                // tests/field/cases.json is the case table, not a snapshot: it does not parse.
                let Some(snapshot) = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| Snapshot::from_json(&t).ok())
                else {
                    continue;
                };
                let key = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((key, snapshot));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        // A target without its snapshots would fuzz nothing: refuse to start.
        assert!(
            !out.is_empty(),
            "no replay snapshots under {}",
            root.display()
        );
        out
    })
}

/// The key of a probe whose answer is a payload the plugin parses (`fuzz/seeds.py` writes the
/// same keys); `None` for probes without one (file metadata, directory listings, HTTP).
pub fn probe_key(record: &ProbeRecord) -> Option<String> {
    Some(match record {
        ProbeRecord::Exec { argv, .. } => format!("exec {}", argv.join(" ")),
        ProbeRecord::Sysctl { name, .. } => format!("sysctl {name}"),
        ProbeRecord::ReadFile { path, .. } => format!("read_file {path}"),
        ProbeRecord::ReadFileAt { path, offset, .. } => format!("read_file_at {path} {offset}"),
        ProbeRecord::Env { name, .. } => format!("env {name}"),
        ProbeRecord::Which { name, .. } => format!("which {name}"),
        _ => return None,
    })
}

/// Fact fields a plugin parses, addressed like probes.
pub const FACT_KEYS: &[&str] = &[
    "facts go.version_output",
    "facts go.env_json",
    "facts machine",
    "facts os_version",
    "facts chip",
];

fn pick<'a>(data: &'a [u8]) -> (&'a [u8], &'a [u8], &'a [u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let c = parts.next().unwrap_or_default();
    (a, b, c)
}

fn fnv(bytes: &[u8]) -> usize {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) as usize
}

/// Decode `<snapshot key>\0<probe key>\0<payload>` into a snapshot whose named probe now
/// answers `payload`. A key that names nothing (the fuzzer mutated it) still selects a
/// snapshot and probe, by hash, so every input exercises some answer.
pub fn snapshot_with_payload(data: &[u8]) -> Snapshot {
    let all = snapshots();
    let (snap_key, probe, payload) = pick(data);
    let snap_key = String::from_utf8_lossy(snap_key);
    let index = all
        .iter()
        .position(|(k, _)| *k == snap_key)
        .unwrap_or_else(|| fnv(snap_key.as_bytes()) % all.len());
    let mut snapshot = all[index].1.clone();
    let probe = String::from_utf8_lossy(probe);
    let text = String::from_utf8_lossy(payload).into_owned();
    if let Some(field) = probe.strip_prefix("facts ") {
        set_fact(&mut snapshot, field, text);
        return snapshot;
    }
    let slots: Vec<usize> = (0..snapshot.probes.len())
        .filter(|&i| probe_key(&snapshot.probes[i]).is_some())
        .collect();
    if slots.is_empty() {
        return snapshot;
    }
    let slot = slots
        .iter()
        .copied()
        .find(|&i| probe_key(&snapshot.probes[i]).as_deref() == Some(&*probe))
        .unwrap_or_else(|| slots[fnv(probe.as_bytes()) % slots.len()]);
    match &mut snapshot.probes[slot] {
        ProbeRecord::Exec { result, .. } => {
            if let Answer::Ok(out) = result {
                out.stdout = Bytes(payload.to_vec());
            }
        }
        ProbeRecord::Sysctl { result, .. } => *result = Answer::Ok(text),
        ProbeRecord::ReadFile { result, .. } | ProbeRecord::ReadFileAt { result, .. } => {
            *result = Answer::Ok(Bytes(payload.to_vec()));
        }
        ProbeRecord::Env { value, .. } => *value = Some(text),
        ProbeRecord::Which { found, .. } => *found = vec![text],
        _ => {}
    }
    snapshot
}

fn set_fact(snapshot: &mut Snapshot, field: &str, text: String) {
    let f = &mut snapshot.facts;
    match field {
        "machine" => f.machine = text.into(),
        "os_version" => f.os_version = text.into(),
        "chip" => f.chip = ROption::RSome(text.into()),
        "go.version_output" => {
            if let ROption::RSome(go) = &mut f.go {
                go.version_output = text.into();
            }
        }
        "go.env_json" => {
            if let ROption::RSome(go) = &mut f.go {
                go.env_json = text.into();
            }
        }
        _ => {}
    }
}

/// Run every check of `plugin` on `snapshot` in-process, as the exported `run` entry point
/// does, and assert what must hold for any input: findings exist, no check reported nothing,
/// each finding carries its check id.
///
/// A panic needs no assertion here: libfuzzer-sys installs a panic hook that aborts the
/// process (libfuzzer-sys `initialize`), which runs before the plugin runtime's
/// `catch_unwind` could turn it into a finding, so every panic in a check is a crash.
/// Recognising the runtime's "panicked" finding by its words is what this did before, and
/// libFuzzer defeated it twice: the ane checks quote the chip name at the start of a title,
/// and it made a chip name that began with exactly those words.
pub fn run_plugin_checks(plugin: &str, snapshot: Snapshot) {
    let ctx = gohost_plugin_api::testing::TestContext::new(snapshot);
    let findings = gohost_plugin_api::testing::run_plugin(plugin, &ctx, &[]);
    assert!(!findings.is_empty(), "plugin {plugin} reported nothing");
    let prefix = format!("{plugin}.");
    for f in &findings {
        // The runtime's finding for a check that returned nothing (plugin-api runtime.rs
        // `run_one`), matched on title and detail together: both are the runtime's own words.
        let silent = format!("check `{}` produced no finding", f.check);
        assert!(
            !(f.title.as_str() == silent
                && f.detail.as_str().starts_with("Every check must report")),
            "{plugin}: {}",
            f.title
        );
        assert!(
            f.check.as_str().starts_with(&prefix),
            "finding without its check id: {:?}",
            f.check
        );
    }
}
