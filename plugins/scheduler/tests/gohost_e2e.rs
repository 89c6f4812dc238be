//! End to end through the real `gohost` binary (host/ crate), when it has been built: the three
//! hardware plugins load as .so files, run in worker processes, give the same stable findings
//! as the in-process live context, and a `--record` / `--replay` round trip reproduces every
//! finding exactly.
//!
//! The binary: env `GOHOST_BIN` (with the plugin .so files in `GOHOST_HW_PLUGIN_DIR` or next to
//! it), else the test runs `cargo build -p gohost -p gohost-plugin-{powermetrics,ane,scheduler}`
//! (debug) and uses `$CARGO_TARGET_DIR` or the workspace `target/`.
#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{one, LiveContext};

const PLUGINS: [&str; 3] = ["powermetrics", "ane", "scheduler"];

/// `GOHOST_BIN`, or a fresh debug build of the host and the three plugins (so a stale binary
/// can never make this test pass or fail). A failed build or a missing binary fails the test:
/// this test's subject is the real binary (issue 15 item 4).
pub fn find_gohost() -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "-q", "-p", "gohost"])
        .args(
            PLUGINS
                .iter()
                .flat_map(|p| ["-p".to_owned(), format!("gohost-plugin-{p}")]),
        )
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "cargo build of the host and plugins failed: {status}"
    );
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace.join("target"));
    let bin = target.join("debug").join("gohost");
    assert!(bin.is_file(), "no gohost binary at {}", bin.display());
    bin
}

/// (check, status, title, evidence key/value pairs)
type Row = (String, String, String, Vec<(String, String)>);

fn findings(json: &str) -> Vec<Row> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for p in v["plugins"].as_array().unwrap() {
        for f in p["findings"].as_array().unwrap() {
            let ev = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["key"].as_str().unwrap().to_owned(),
                        e["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            out.push((
                f["check"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                f["title"].as_str().unwrap().to_owned(),
                ev,
            ));
        }
    }
    out
}

#[test]
fn real_gohost_runs_the_hardware_plugins_and_replays_them() {
    let gohost = find_gohost();
    let from = std::env::var("GOHOST_HW_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| gohost.parent().unwrap().to_path_buf());
    let dir = std::env::temp_dir().join(format!("gohost-hw-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for p in PLUGINS {
        let so = from.join(format!("libgohost_plugin_{p}.so"));
        assert!(so.is_file(), "{} not built", so.display());
        std::fs::copy(&so, dir.join(so.file_name().unwrap())).unwrap();
    }
    let record = dir.join("record.json");
    let run = |extra: &[&str]| {
        let out = Command::new(&gohost)
            .args([
                "run",
                "powermetrics",
                "ane",
                "scheduler",
                "--format",
                "json",
                "-q",
                "--plugin-dir",
            ])
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(1),
            "gohost: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let live = findings(&run(&["--record", record.to_str().unwrap()]));
    assert_eq!(live.len(), 17, "{live:#?}");
    assert!(live.iter().all(|f| f.1 != "error"), "{live:#?}");

    // Stable values agree with the in-process live context (this test binary links the
    // scheduler plugin only).
    assert_eq!(gohost_plugin_scheduler::parse_cpu_list("1"), Some(vec![1]));
    let ctx = LiveContext::new();
    for check in ["scheduler.core-topology", "scheduler.gomaxprocs"] {
        let here = ctx.run("scheduler", &[check]);
        let f = one(&here, check);
        let there = live.iter().find(|x| x.0 == check).unwrap();
        assert_eq!(
            (f.status.as_str(), f.title.as_str()),
            (there.1.as_str(), there.2.as_str()),
            "{check}"
        );
    }

    // Running as root allowed the root checks live (the CLI's rule); a replay allows them
    // only when asked.
    let root = gohost::probes::live::running_as_root();
    let mut replay = vec!["--replay", record.to_str().unwrap()];
    if root {
        replay.push("--allow-root-probes");
    }
    let replayed = findings(&run(&replay));
    assert_eq!(live, replayed, "a replayed run gives the same findings");
    let _ = std::fs::remove_dir_all(&dir);
}
