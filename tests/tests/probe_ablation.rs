//! A missing answer is never a verdict (issue 13, section 2), tested structurally.
//!
//! For every replay snapshot in the repository (`tests/replay/`, the field corpus in
//! `tests/field/`, plugins' own `tests/replay/`), every probe answer in turn is removed (the
//! snapshot then answers "not recorded") and, where the probe has an error channel, turned into
//! a "permission denied" error; shared facts (`go env -json`, `go version`, the translation, the
//! OS version, the chip) are blanked the same way. Each variant is
//! replayed through the real `gohost` binary with every workspace plugin and compared with the
//! unmodified snapshot's report. Taking an answer away may only move a finding towards "could
//! not tell". It must never:
//!
//! 1. create a `pass` (a check passes more often than with the answer present);
//! 2. create a `fail` or `warn` the full snapshot did not give, unless the finding says it could
//!    not tell (a missing answer is not evidence of a problem either);
//! 3. present the missing answer as a value: an evidence item citing the ablated probe keeps
//!    its full-snapshot value or says the value is missing/unreadable.
//!
//! `env` and `which` answers are removed too. Plain `Ctx::env`/`which_all` replay a missing
//! answer as unset / not found (the snapshot format's definition, kept for plugins built
//! against older plugin APIs); a check whose verdict depends on a variable or a lookup asks
//! `Ctx::env_answer`/`which_answer` (plugin API 1.2.0), which say "not recorded", so a
//! snapshot made by an older gohost never yields a verdict about a variable it did not record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gohost_e2e::{gohost, output, plugin_dir, workspace_plugin, workspace_root};
use serde_json::{json, Value};

const PLUGINS: [&str; 7] = [
    "arch",
    "toolchain",
    "cgo",
    "sumdb",
    "powermetrics",
    "ane",
    "scheduler",
];

/// Words with which a finding or an evidence value says it could not tell.
const UNKNOWN_WORDS: [&str; 17] = [
    "could not",
    "cannot tell",
    "can't tell",
    "not recorded",
    "unknown",
    "missing",
    "unreadable",
    "not readable",
    "permission denied",
    "no answer",
    "not answered",
    "not verified",
    "could not be read",
    "error",
    "unavailable",
    "failed",
    "problem",
];

fn says_unknown(text: &str) -> bool {
    let lower = text.to_lowercase();
    UNKNOWN_WORDS.iter().any(|w| lower.contains(w))
}

/// One finding as the comparison needs it.
#[derive(Debug, Clone)]
struct Seen {
    status: String,
    text: String,
    /// (key, source) → value.
    evidence: BTreeMap<(String, String), String>,
}

/// Findings by check id.
type Report = BTreeMap<String, Vec<Seen>>;

fn parse_report(report: &Value) -> Report {
    let mut by_check: Report = BTreeMap::new();
    for plugin in report["plugins"].as_array().into_iter().flatten() {
        for f in plugin["findings"].as_array().into_iter().flatten() {
            let check = f["check"].as_str().unwrap_or("?").to_owned();
            let mut evidence = BTreeMap::new();
            for e in f["evidence"].as_array().into_iter().flatten() {
                evidence.insert(
                    (
                        e["key"].as_str().unwrap_or("").to_owned(),
                        e["source"].as_str().unwrap_or("").to_owned(),
                    ),
                    e["value"].as_str().unwrap_or("").to_owned(),
                );
            }
            by_check.entry(check).or_default().push(Seen {
                status: f["status"].as_str().unwrap_or("?").to_owned(),
                text: format!(
                    "{} {}",
                    f["title"].as_str().unwrap_or(""),
                    f["detail"].as_str().unwrap_or("")
                ),
                evidence,
            });
        }
    }
    by_check
}

fn count(findings: &[Seen], status: &str) -> usize {
    findings.iter().filter(|f| f.status == status).count()
}

/// What an ablation did, and the names an evidence source would cite it by.
#[derive(Debug, Clone)]
struct Ablation {
    label: String,
    snapshot: Value,
    /// Strings that identify the probe in an evidence source (sysctl name, path, command).
    names: Vec<String>,
}

fn probe_names(probe: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for key in ["name", "path", "url"] {
        if let Some(s) = probe[key].as_str() {
            names.push(s.to_owned());
        }
    }
    if let Some(argv) = probe["argv"].as_array() {
        let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
        names.push(words.join(" "));
    }
    names
}

fn ablations(snapshot: &Value) -> Vec<Ablation> {
    let mut out = Vec::new();
    let probes = snapshot["probes"].as_array().cloned().unwrap_or_default();
    for (i, probe) in probes.iter().enumerate() {
        let kind = probe["probe"].as_str().unwrap_or("?");
        let names = probe_names(probe);
        let what = format!("{kind} {}", names.first().cloned().unwrap_or_default());

        let mut removed = snapshot.clone();
        if let Some(list) = removed["probes"].as_array_mut() {
            list.remove(i);
        }
        out.push(Ablation {
            label: format!("{what}: removed"),
            snapshot: removed,
            names: names.clone(),
        });

        if probe.get("result").is_some() {
            let mut failed = snapshot.clone();
            failed["probes"][i]["result"] = json!({"err": {
                "kind": "permission-denied",
                "message": "ablation test: permission denied"
            }});
            out.push(Ablation {
                label: format!("{what}: permission denied"),
                snapshot: failed,
                names,
            });
        }
    }

    // Shared facts with no answer: `go env -json` or `go version` output empty while no
    // problem was recorded (a failure the host saw is a real answer and may be judged; an
    // empty answer with no reason is not), and an unknown chip.
    if snapshot["facts"]["go"].is_object() {
        let mut no_env = snapshot.clone();
        no_env["facts"]["go"]["env_json"] = json!("");
        out.push(Ablation {
            label: "facts.go.env_json: not recorded".into(),
            snapshot: no_env,
            names: vec!["go env".into()],
        });
        let mut no_version = snapshot.clone();
        no_version["facts"]["go"]["version_output"] = json!("");
        out.push(Ablation {
            label: "facts.go.version_output: not recorded".into(),
            snapshot: no_version,
            names: vec!["go version".into()],
        });
    }
    if snapshot["facts"]["translation"].as_str() != Some("unknown") {
        let mut unknown = snapshot.clone();
        unknown["facts"]["translation"] = json!("unknown");
        unknown["facts"]["translation_evidence"] = json!("");
        out.push(Ablation {
            label: "facts.translation: unknown".into(),
            snapshot: unknown,
            names: vec!["proc_translated".into(), "translation".into()],
        });
    }
    if snapshot["facts"]["os_version"]
        .as_str()
        .is_some_and(|v| !v.is_empty())
    {
        let mut no_version = snapshot.clone();
        no_version["facts"]["os_version"] = json!("");
        out.push(Ablation {
            label: "facts.os_version: not recorded".into(),
            snapshot: no_version,
            names: vec!["sw_vers".into(), "os_version".into()],
        });
    }
    if snapshot["facts"]["chip"].is_string() {
        let mut no_chip = snapshot.clone();
        no_chip["facts"]["chip"] = Value::Null;
        out.push(Ablation {
            label: "facts.chip: unknown".into(),
            snapshot: no_chip,
            names: vec!["brand_string".into(), "chip".into()],
        });
    }
    out
}

/// Replays `snapshot` with every plugin; the parsed report.
fn replay(plugins: &Path, snapshot_file: &Path) -> Value {
    let mut cmd = gohost(plugins);
    cmd.args([
        "run",
        "all",
        "--isolation",
        "none",
        "--allow-root-probes",
        "--deep",
    ])
    .arg("--replay")
    .arg(snapshot_file)
    .args(["--format", "json"]);
    let out = output(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "replay of {} gave no JSON report ({e}); exit {:?}\nstderr: {}",
            snapshot_file.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// What the ablated report did that it must not, as human-readable lines.
fn violations(base: &Report, ablated: &Report, ablation: &Ablation) -> Vec<String> {
    let mut found = Vec::new();
    let checks: BTreeSet<&String> = base.keys().chain(ablated.keys()).collect();
    let empty = Vec::new();
    for check in checks {
        let before = base.get(check).unwrap_or(&empty);
        let after = ablated.get(check).unwrap_or(&empty);
        if count(after, "pass") > count(before, "pass") {
            found.push(format!(
                "{check}: became pass ({} → {}): {}",
                statuses(before),
                statuses(after),
                texts(after, "pass")
            ));
        }
        for status in ["fail", "warn"] {
            let new_claims: Vec<&Seen> = after
                .iter()
                .filter(|f| f.status == status && !says_unknown(&f.text))
                .collect();
            let before_claims = before.iter().filter(|f| f.status == status).count();
            if new_claims.len() > before_claims {
                found.push(format!(
                    "{check}: a definite {status} drawn from a missing answer ({} → {}): {}",
                    statuses(before),
                    statuses(after),
                    new_claims
                        .iter()
                        .map(|f| f.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
        }
        let before_evidence: BTreeMap<&(String, String), &String> =
            before.iter().flat_map(|f| f.evidence.iter()).collect();
        for f in after {
            for (key_source, value) in &f.evidence {
                let (key, source) = key_source;
                let cites = ablation
                    .names
                    .iter()
                    .any(|n| !n.is_empty() && (source.contains(n.as_str()) || key == n));
                if !cites {
                    continue;
                }
                let unchanged = before_evidence.get(key_source) == Some(&value);
                if !unchanged && !says_unknown(value) {
                    found.push(format!(
                        "{check}: evidence `{key}` [{source}] = {value:?} although that answer is missing"
                    ));
                }
            }
        }
    }
    found
}

fn statuses(findings: &[Seen]) -> String {
    let list: Vec<&str> = findings.iter().map(|f| f.status.as_str()).collect();
    format!("[{}]", list.join(","))
}

fn texts(findings: &[Seen], status: &str) -> String {
    findings
        .iter()
        .filter(|f| f.status == status)
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Every replay snapshot in the repository: the captures in `tests/replay/`, the field corpus
/// in `tests/field/`, and plugins' own replay fixtures (`plugins/*/tests/replay/`).
fn snapshots() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut dirs = vec![root.join("tests/replay"), root.join("tests/field")];
    let plugins = root.join("plugins");
    for entry in std::fs::read_dir(&plugins)
        .unwrap_or_else(|e| panic!("{}: {e}", plugins.display()))
        .filter_map(Result::ok)
    {
        dirs.push(entry.path().join("tests/replay"));
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for path in std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
        {
            // cases.json and the like are not snapshots.
            let is_snapshot = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["format"] == "gohost-snapshot");
            if is_snapshot {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn no_missing_answer_becomes_a_verdict() {
    let files = snapshots();
    assert!(
        files.len() >= 25,
        "expected the replay fixtures of tests/replay and tests/field, found {}",
        files.len()
    );
    let plugin_files: Vec<PathBuf> = PLUGINS.iter().map(|p| workspace_plugin(p)).collect();
    let plugins = plugin_dir(&plugin_files);
    let work = tempfile::tempdir().expect("tempdir");

    // Every (snapshot, ablation) pair is one job; two threads replay them.
    let mut jobs: Vec<(String, Report, Ablation)> = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(workspace_root())
            .unwrap_or(file)
            .display()
            .to_string();
        let text = std::fs::read_to_string(file).expect("read snapshot");
        let snapshot: Value = serde_json::from_str(&text).expect("snapshot JSON");
        let base_report = replay(plugins.path(), file);
        let base = parse_report(&base_report);
        let finding_count: usize = base.values().map(Vec::len).sum();
        assert!(
            finding_count >= PLUGINS.len(),
            "{name}: the full snapshot gave only {finding_count} findings; did every plugin load? {base_report}"
        );
        for ablation in ablations(&snapshot) {
            jobs.push((name.clone(), base.clone(), ablation));
        }
    }
    assert!(jobs.len() > 100, "only {} ablations", jobs.len());

    let next = AtomicUsize::new(0);
    let problems: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let replayed = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (jobs, next, problems, replayed) = (&jobs, &next, &problems, &replayed);
            let (plugins, work) = (plugins.path(), work.path());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((name, base, ablation)) = jobs.get(i) else {
                    break;
                };
                let file = work.join(format!("ablated-{worker}.json"));
                std::fs::write(&file, ablation.snapshot.to_string()).expect("write snapshot");
                let report = replay(plugins, &file);
                let ablated = parse_report(&report);
                assert!(
                    !ablated.is_empty(),
                    "{name} / {}: the replay gave no findings",
                    ablation.label
                );
                replayed.fetch_add(1, Ordering::SeqCst);
                for v in violations(base, &ablated, ablation) {
                    problems
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(format!("{name} / {}: {v}", ablation.label));
                }
            });
        }
    });
    assert_eq!(replayed.load(Ordering::SeqCst), jobs.len());

    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} of {} ablations drew a verdict from a missing answer:\n{}",
        problems.len(),
        jobs.len(),
        problems.join("\n")
    );
}

#[test]
fn the_rules_catch_a_verdict_from_nothing() {
    // The comparison itself must bite: a pass appearing, a definite fail appearing and a
    // missing value presented as a value are each reported; a move to skip is not.
    let seen = |status: &str, text: &str, ev: &[(&str, &str, &str)]| Seen {
        status: status.into(),
        text: text.into(),
        evidence: ev
            .iter()
            .map(|(k, s, v)| (((*k).into(), (*s).into()), (*v).into()))
            .collect(),
    };
    let ablation = Ablation {
        label: "sysctl hw.optional.arm64: removed".into(),
        snapshot: Value::Null,
        names: vec!["hw.optional.arm64".into()],
    };
    let base: Report = [(
        "arch.goarm64".to_owned(),
        vec![seen(
            "info",
            "supports v8.3",
            &[("arm64", "sysctl hw.optional.arm64", "1")],
        )],
    )]
    .into();

    let to_skip: Report = [(
        "arch.goarm64".to_owned(),
        vec![seen(
            "skip",
            "could not tell: hw.optional.arm64 not recorded",
            &[("arm64", "sysctl hw.optional.arm64", "not recorded")],
        )],
    )]
    .into();
    assert!(violations(&base, &to_skip, &ablation).is_empty());

    let to_pass: Report = [("arch.goarm64".to_owned(), vec![seen("pass", "fine", &[])])].into();
    assert_eq!(violations(&base, &to_pass, &ablation).len(), 1);

    let to_fail: Report = [(
        "arch.goarm64".to_owned(),
        vec![seen(
            "fail",
            "not Apple Silicon: GOARM64 applies to arm64 only",
            &[("arm64", "sysctl hw.optional.arm64", "0")],
        )],
    )]
    .into();
    let v = violations(&base, &to_fail, &ablation);
    assert_eq!(v.len(), 2, "{v:?}");
}
