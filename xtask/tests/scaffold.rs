//! `new-plugin` end to end: scaffold an out-of-tree plugin, run its own tests, build it, and
//! have the real gohost binary discover, load and run it.

mod common;

use common::*;
use std::process::Command;
use xtask::scaffold::{new_plugin, Location};

const NAME: &str = "scaffold-e2e";

#[test]
fn scaffolded_plugin_builds_loads_and_runs() {
    let ws = workspace();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(NAME);
    let created = new_plugin(&ws, NAME, &Location::OutOfTree(dir.clone())).expect("scaffold");
    assert_eq!(created, dir);

    // Its own tests pass, and it builds (a shared target dir keeps reruns fast).
    let target = fixture_dir("scaffold-target");
    run(
        Command::new(env!("CARGO"))
            .arg("test")
            .arg("--quiet")
            .arg("--target-dir")
            .arg(&target)
            .current_dir(&dir),
        "cargo test in the scaffolded crate",
    );
    run(
        Command::new(env!("CARGO"))
            .arg("build")
            .arg("--quiet")
            .arg("--target-dir")
            .arg(&target)
            .current_dir(&dir),
        "cargo build in the scaffolded crate",
    );
    let ext = if cfg!(target_os = "macos") {
        "dylib"
    } else {
        "so"
    };
    let lib_name = format!("libgohost_plugin_{}.{ext}", NAME.replace('-', "_"));
    let built = target.join("debug").join(&lib_name);
    assert!(built.is_file(), "{} not built", built.display());

    // The real host, from this workspace.
    let host_target = fixture_dir("host");
    run(
        Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "gohost",
                "--bin",
                "gohost",
                "--target-dir",
            ])
            .arg(&host_target)
            .arg("--manifest-path")
            .arg(ws.root.join("Cargo.toml")),
        "building gohost",
    );
    let gohost = host_target.join("debug/gohost");

    let plugin_dir = tmp.path().join("plugins");
    std::fs::create_dir(&plugin_dir).expect("mkdir");
    xtask::build::set_mode(&plugin_dir, 0o755).expect("chmod");
    xtask::build::copy_file(&built, &plugin_dir.join(&lib_name), 0o644).expect("copy");

    let out = Command::new(&gohost)
        .args([
            "run",
            NAME,
            "--format",
            "json",
            "--no-default-plugin-dirs",
            "--plugin-dir",
        ])
        .arg(&plugin_dir)
        .output()
        .expect("run gohost");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "gohost did not print JSON ({e}); status {}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let plugins = report["plugins"].as_array().expect("plugins array");
    assert_eq!(plugins.len(), 1, "{report:#}");
    assert_eq!(plugins[0]["name"], NAME);
    assert_eq!(plugins[0]["outcome"], "ok", "{report:#}");
    let findings = plugins[0]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["check"], format!("{NAME}.go-found"));
    // With a go on PATH the check reports it; without, it warns. Never an error.
    let status = findings[0]["status"].as_str().expect("status");
    assert!(matches!(status, "info" | "warn"), "{report:#}");
    assert!(
        report["load_errors"]
            .as_array()
            .is_some_and(|e| e.is_empty()),
        "{report:#}"
    );
}

#[test]
fn invalid_or_taken_names_are_refused() {
    let ws = workspace();
    let tmp = tempfile::tempdir().expect("tempdir");
    for bad in ["Upper", "1digit", "under_score", "trailing-", "api"] {
        let err = new_plugin(&ws, bad, &Location::OutOfTree(tmp.path().join("x")))
            .expect_err(bad)
            .to_string();
        assert!(!err.is_empty());
        assert!(
            !tmp.path().join("x").exists(),
            "{bad}: nothing may be created"
        );
    }
    let err = new_plugin(&ws, "arch", &Location::InTree)
        .expect_err("arch exists")
        .to_string();
    assert!(err.contains("already exists"), "{err}");
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("file"), "x").expect("write");
    let err = new_plugin(&ws, "fresh", &Location::OutOfTree(busy))
        .expect_err("non-empty")
        .to_string();
    assert!(err.contains("not empty"), "{err}");
}

/// In-tree: `plugins/<name>` in a copy of this workspace's root manifest (with only
/// plugin-api and plugins/* as members, so the real checkout is never touched): the crate
/// inherits the workspace settings, passes its tests and builds as a cdylib.
#[test]
fn in_tree_scaffold_builds_and_passes_its_tests() {
    let real = workspace();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let manifest = std::fs::read_to_string(real.root.join("Cargo.toml")).expect("root manifest");
    let start = manifest.find("members = [").expect("members list");
    let end = start + manifest[start..].find(']').expect("end of members");
    let manifest = format!(
        "{}members = [\"plugin-api\", \"plugins/*\"]{}",
        &manifest[..start],
        &manifest[end + 1..]
    );
    std::fs::write(root.join("Cargo.toml"), manifest).expect("write manifest");
    std::fs::copy(real.root.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy lock");
    copy_tree(&real.root.join("plugin-api"), &root.join("plugin-api"));
    std::fs::create_dir(root.join("plugins")).expect("mkdir plugins");

    // The copy has no host crate (and plugins/ is still empty, which `cargo metadata`
    // refuses), so describe it by hand; new_plugin only needs the root and the plugin list.
    let ws = xtask::workspace::Workspace {
        root: root.to_path_buf(),
        target_dir: root.join("target"),
        host: real.host.clone(),
        plugins: Vec::new(),
    };
    let dir = new_plugin(&ws, "intree-e2e", &Location::InTree).expect("scaffold");
    assert_eq!(dir, root.join("plugins/intree-e2e"));
    // Discovered through cargo metadata, as `cargo xtask build` and `dist` find plugins.
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let names: Vec<&str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"gohost-plugin-intree-e2e"), "{names:?}");
    let target = fixture_dir("scaffold-target");
    run(
        Command::new(env!("CARGO"))
            .args([
                "test",
                "--quiet",
                "-p",
                "gohost-plugin-intree-e2e",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(root),
        "cargo test of the in-tree scaffold",
    );
    run(
        Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "gohost-plugin-intree-e2e",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(root),
        "cargo build of the in-tree scaffold",
    );
    let ext = if cfg!(target_os = "macos") {
        "dylib"
    } else {
        "so"
    };
    let lib = target
        .join("debug")
        .join(format!("libgohost_plugin_intree_e2e.{ext}"));
    let found = gohost_inspect::inspect_path(&lib).expect("inspect the cdylib");
    assert_eq!(
        found.check_loadable_here().expect("loadable"),
        gohost_plugin_api::AbiVersionTag::CURRENT
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let kind = entry.file_type().expect("file type");
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}
