//! End-to-end: the real `gohost` binary loads the real sumdb plugin dylib (worker isolation)
//! and runs it `--online` inside a module the real `go` command filled through a real
//! checksum database server. gohost is found via GOHOST_BIN, else next to this test binary's
//! target dir; when it is not built the tests FAIL ("gohost binary not built").
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does (all
// its I/O goes through the host context).
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::World;
use serde_json::Value;

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn gohost_bin() -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let p = target_dir().join("gohost");
    assert!(
        p.is_file(),
        "gohost binary not built: looked for {} (cargo build -p gohost, or set GOHOST_BIN)",
        p.display()
    );
    p
}

/// A 0755 directory holding only the freshly built sumdb dylib.
fn plugin_dir(world: &World) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let name = "libgohost_plugin_sumdb.so";
    let dir = target_dir();
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let src = [dir.join("deps").join(name), dir.join(name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| mtime(p))
        .unwrap_or_else(|| panic!("plugin dylib {name} not built in {}", dir.display()));
    let out = world.dir.join("plugins");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(src, out.join(name)).unwrap();
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
