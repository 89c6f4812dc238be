//! End-to-end: the real `gohost` binary loads the real sumdb plugin dylib (worker isolation)
//! and runs it `--online` inside a module the real `go` command filled through a real
//! checksum database server. gohost is found via GOHOST_BIN, else next to this test binary's
//! target dir (`gohost_e2e::plugin_e2e`); when it is not built the tests FAIL ("gohost binary
//! not built").
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does (all
// its I/O goes through the host context).
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::World;
use gohost_e2e::plugin_e2e::{gohost_bin, plugin_dylib};
use serde_json::Value;

/// A 0755 directory holding only the freshly built sumdb dylib.
fn plugin_dir(world: &World) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let src = plugin_dylib("sumdb");
    let out = world.dir.join("plugins");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(&src, out.join(src.file_name().unwrap())).unwrap();
    out
}

fn gohost(world: &World, args: &[&str]) -> (i32, Vec<Value>) {
    let plugins = plugin_dir(world);
    let out = Command::new(gohost_bin())
        .args([
            "run",
            "sumdb",
            "--format",
            "json",
            "--color",
            "never",
            "--no-default-plugin-dirs",
            "--plugin-dir",
        ])
        .arg(&plugins)
        .args(args)
        .env_clear()
        .envs(&world.env)
        .env("XDG_CACHE_HOME", world.dir.join("xdg-cache"))
        .current_dir(&world.app)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let findings = json["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
        .collect();
    (out.status.code().unwrap_or(-1), findings)
}

fn statuses(findings: &[Value], check: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| f["status"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn gohost_online_all_consistent_exits_0() {
    let w = World::new();
    let (code, f) = gohost(&w, &["--online"]);
    let all = serde_json::to_string_pretty(&f).unwrap();
    for check in [
        "sumdb.gosum",
        "sumdb.cache",
        "sumdb.tree-head",
        "sumdb.lookup",
    ] {
        assert_eq!(statuses(&f, check), vec!["pass"], "{check}: {all}");
    }
    assert_eq!(code, 0, "{all}");
}

#[test]
fn gohost_detects_a_forked_database_and_exits_1() {
    let w = World::new();
    w.server.mode("fork");
    let (code, f) = gohost(&w, &["--online"]);
    let all = serde_json::to_string_pretty(&f).unwrap();
    assert_eq!(statuses(&f, "sumdb.tree-head"), vec!["fail"], "{all}");
    let head = f.iter().find(|x| x["check"] == "sumdb.tree-head").unwrap();
    assert_eq!(
        head["title"], "The checksum database sumdb.gohost.test may have forked",
        "{all}"
    );
    assert_eq!(code, 1, "{all}");
}

#[test]
fn gohost_without_online_skips_the_network_checks() {
    let w = World::new();
    let (_, f) = gohost(&w, &[]);
    assert_eq!(statuses(&f, "sumdb.tree-head"), vec!["skip"]);
    assert_eq!(statuses(&f, "sumdb.lookup"), vec!["skip"]);
    assert_eq!(statuses(&f, "sumdb.cache"), vec!["pass"]);
}

/// Issue 14 item 4: the real gohost, recording, reads module zips and extracted files only
/// in ranges of at most `dirhash::CHUNK` bytes (`read_file_at`), never whole (`read_file`);
/// replaying that recording gives the same `sumdb.cache` verdicts.
#[test]
fn module_files_are_read_in_bounded_chunks_and_the_recording_replays() {
    use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
    use gohost_plugin_sumdb::dirhash::CHUNK;
    let w = World::new();
    let snap = w.dir.join("snap.json");
    let snap_s = snap.display().to_string();
    let (_, live) = gohost(&w, &["--check", "sumdb.cache", "--record", &snap_s]);
    assert_eq!(statuses(&live, "sumdb.cache"), vec!["pass"], "{live:#?}");
    let snapshot = Snapshot::from_json(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let mut ranged_zips = 0;
    let mut ranged = 0;
    for p in &snapshot.probes {
        match p {
            ProbeRecord::ReadFileAt { path, result, .. } => {
                ranged += 1;
                if path.ends_with(".zip") {
                    ranged_zips += 1;
                }
                if let gohost_plugin_api::snapshot::Answer::Ok(bytes) = result {
                    assert!(
                        bytes.0.len() as u64 <= CHUNK,
                        "{path}: {} bytes",
                        bytes.0.len()
                    );
                }
            }
            ProbeRecord::ReadFile { path, .. } => {
                // Only small metadata is read whole (go.sum, cached go.mod files, .ziphash,
                // the go env file; sumdb.goroot-authentic, which runs too because `run sumdb
                // --check X` runs the plugin, reads GOROOT/VERSION and cached lookups): no
                // zip, and nothing in an extracted module tree (modcache/<module>@<v>/...).
                let modcache = format!("{}/modcache/", w.dir.display());
                let in_extracted_tree =
                    path.starts_with(&modcache) && !path[modcache.len()..].starts_with("cache/");
                assert!(
                    !path.ends_with(".zip") && !in_extracted_tree,
                    "{path} was read whole"
                );
            }
            _ => {}
        }
    }
    assert!(
        ranged_zips > 0 && ranged > ranged_zips,
        "zips and extracted files were read in ranges"
    );
    let (_, replayed) = gohost(&w, &["--check", "sumdb.cache", "--replay", &snap_s]);
    let verdicts = |f: &[Value]| -> Vec<(String, String)> {
        f.iter()
            .map(|x| (x["status"].to_string(), x["title"].to_string()))
            .collect()
    };
    assert_eq!(verdicts(&live), verdicts(&replayed));
}
