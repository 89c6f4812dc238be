//! Probe ablation over every replay snapshot in the repository (issue 13 section 2, for this
//! plugin until the lead's repository-wide test lands): each probe answer in turn is removed,
//! then turned into an error, and the facts the checks read (chip, go, translation) are
//! removed one at a time. No check may gain a `pass` it did not have, and without go's
//! answers (facts.go) every sumdb check says it could not tell (skip).
#![allow(clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)] // reads the snapshot files

use std::collections::BTreeSet;

use gohost_e2e::harness::{replay, run_plugin};
use gohost_plugin_api::snapshot::Snapshot;
use gohost_plugin_api::{Finding, RunOptions, Status};
// Link the plugin so its `inventory` check registrations are part of this binary.
use gohost_plugin_sumdb as _;

fn passes(f: &[Finding]) -> BTreeSet<String> {
    f.iter()
        .filter(|x| x.status == Status::Pass)
        .map(|x| x.check.to_string())
        .collect()
}

fn run(v: &serde_json::Value) -> Vec<Finding> {
    let snapshot: Snapshot = serde_json::from_value(v.clone()).unwrap();
    let ctx = replay(snapshot).with_options(RunOptions {
        deep: true,
        replay: true,
        online: true,
        ..RunOptions::default()
    });
    run_plugin("sumdb", &ctx, &[])
}

#[test]
fn no_missing_answer_makes_a_pass_or_a_verdict() {
    let dir = format!("{}/../../tests/replay", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let mut variants = 0;
    for file in &files {
        let base: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let before = run(&base);
        assert!(before.len() >= 5, "{}: {before:#?}", file.display());
        let had = passes(&before);
        let n = base["probes"].as_array().map_or(0, Vec::len);
        let mut ablated = Vec::new();
        for i in 0..n {
            let mut removed = base.clone();
            removed["probes"].as_array_mut().unwrap().remove(i);
            ablated.push((format!("probe {i} removed"), removed));
            let mut failed = base.clone();
            failed["probes"][i]["result"] =
                serde_json::json!({"err": {"kind": "other", "message": "ablated"}});
            ablated.push((format!("probe {i} an error"), failed));
        }
        for fact in ["chip", "go"] {
            let mut v = base.clone();
            v["facts"][fact] = serde_json::Value::Null;
            ablated.push((format!("facts.{fact} removed"), v));
        }
        let mut v = base.clone();
        v["facts"]["translation"] = "unknown".into();
        ablated.push(("facts.translation unknown".into(), v));
        for (what, v) in &ablated {
            let after = run(v);
            variants += 1;
            let ctx = format!("{} / {what}", file.display());
            assert!(after.len() >= 5, "{ctx}: {after:#?}");
            let gained: Vec<_> = passes(&after).difference(&had).cloned().collect();
            assert!(
                gained.is_empty(),
                "{ctx}: new pass in {gained:?}: {after:#?}"
            );
            // No verdict about the module without go env's answer.
            if v["facts"]["go"].is_null() {
                for f in &after {
                    assert!(
                        matches!(f.status, Status::Skip),
                        "{ctx}: a verdict without go env: {f:#?}"
                    );
                }
            }
        }
    }
    assert!(variants > 500, "{variants}");
}
