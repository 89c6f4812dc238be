//! One plugin's end-to-end tests (arch, toolchain, cgo): run the real `gohost` binary on this
//! machine with the calling crate's freshly built plugin dylib, and read its JSON report.
//! The Go toolchain helpers ([`crate::go`]) are re-exported, so `use gohost_e2e::plugin_e2e::*`
//! is all such a test needs.
//!
//! gohost is found via `GOHOST_BIN`, else next to this test binary's target dir, else the
//! workspace's `target/debug/gohost`. When none exists the tests FAIL with
//! "gohost binary not built" — they never pass silently.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub use crate::go::*;

/// The gohost binary, or a clear failure.
pub fn gohost_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("GOHOST_BIN") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "gohost binary not built: GOHOST_BIN={} does not exist",
            p.display()
        );
        return p;
    }
    let mut candidates = Vec::new();
    if let Some(dir) = target_dir() {
        candidates.push(dir.join("gohost"));
    }
    candidates.push(crate::workspace_root().join("target/debug/gohost"));
    for c in &candidates {
        if c.is_file() {
            return c.clone();
        }
    }
    panic!(
        "gohost binary not built: looked for {} (build it with `cargo build -p gohost` or set GOHOST_BIN)",
        candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", ")
    );
}

/// `GOHOST_BIN`, or a fresh debug build of the host and `plugins` (workspace plugin names) into
/// `$CARGO_TARGET_DIR` or the workspace's `target/`, so a stale binary can never make a test
/// pass or fail; the plugins' dylibs lie next to the returned binary. A failed build or a
/// missing binary fails the test: its subject is the real binary (issue 15 item 4).
pub fn build_host_and_plugins(plugins: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let workspace = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "-q", "-p", "gohost"])
        .args(
            plugins
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

/// `target/<profile>` of this test binary (`…/deps/e2e-xxxx` → `…`).
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

/// This crate's plugin dylib as built with its tests (`libgohost_plugin_<plugin>.so`).
///
/// # Panics
/// When it is not built (the test's subject is missing: it fails, never passes).
pub fn plugin_dylib(plugin: &str) -> PathBuf {
    let name = format!("libgohost_plugin_{plugin}.so");
    let dir = target_dir().expect("target dir");
    // `cargo test` builds the cdylib into deps/ without copying it up to the target dir, so
    // the newest of the two is the one built from the current sources.
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    [dir.join("deps").join(&name), dir.join(&name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| mtime(p))
        .unwrap_or_else(|| panic!("plugin dylib {name} not built in {}", dir.display()))
}

/// A private 0755 directory holding only this crate's plugin dylib (built with the tests).
pub fn plugin_dir(plugin: &str) -> tempfile::TempDir {
    let src = plugin_dylib(plugin);
    let tmp = tempfile::Builder::new()
        .prefix("gohost-e2e-plugins")
        .tempdir()
        .expect("tempdir");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let name = src.file_name().expect("a file name");
    std::fs::copy(&src, tmp.path().join(name)).expect("copy plugin");
    tmp
}

/// One gohost run's JSON report and exit code.
#[derive(Debug)]
pub struct Report {
    pub json: Value,
    pub exit: i32,
    pub stderr: String,
}

/// Run `gohost run <plugins> --format json` with env changes (`None` removes a variable).
pub fn run(plugin: &str, env: &[(&str, Option<&str>)], args: &[&str]) -> Report {
    let dir = plugin_dir(plugin);
    let mut cmd = Command::new(gohost_bin());
    cmd.args([
        "run",
        plugin,
        "--format",
        "json",
        "--color",
        "never",
        "--no-default-plugin-dirs",
        "--plugin-dir",
    ])
    .arg(dir.path())
    .args(args);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    Report::from_output(&cmd.output().expect("run gohost"), "gohost")
}

impl Report {
    /// The report a finished gohost (or a script ending in one) printed on stdout.
    ///
    /// # Panics
    /// When stdout is not a JSON report, showing `what` ran, its exit, stdout and stderr.
    pub fn from_output(out: &std::process::Output, what: &str) -> Report {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "{what}: no JSON report ({e}); exit {:?}\nstdout: {stdout}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        Report {
            json,
            exit: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn findings(&self) -> Vec<&Value> {
        self.json["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["findings"].as_array().into_iter().flatten())
            .collect()
    }

    /// The only finding of `check` (panics with the whole report otherwise).
    pub fn finding(&self, check: &str) -> &Value {
        let all: Vec<&Value> = self
            .findings()
            .into_iter()
            .filter(|f| f["check"] == check)
            .collect();
        assert_eq!(all.len(), 1, "one finding for {check} in {:#}", self.json);
        all[0]
    }

    pub fn status(&self, check: &str) -> String {
        self.finding(check)["status"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn title(&self, check: &str) -> String {
        self.finding(check)["title"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn evidence(&self, check: &str, key: &str) -> Option<String> {
        self.finding(check)["evidence"]
            .as_array()?
            .iter()
            .find(|e| e["key"] == key)
            .and_then(|e| e["value"].as_str())
            .map(str::to_owned)
    }

    pub fn fix_commands(&self, check: &str) -> Vec<String> {
        self.finding(check)["remediation"]["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect()
    }
}
