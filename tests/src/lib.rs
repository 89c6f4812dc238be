//! Helpers for gohost's end-to-end tests: build the real `gohost` binary, the workspace
//! plugins and the fault-fixture plugins (in `target/e2e`, a target dir of their own, so the
//! nested cargo never waits on the lock of the `cargo test` that runs us), and run gohost.
//!
//! Not a test framework: just enough to spawn the real thing and look at what it did.
//!
//! It is also the one home of test support for the whole workspace (ARCHITECTURE.md, "Tests"):
//! plugin crates take it as a dev-dependency for [`harness`] (their replay, ablation and live
//! tests through the host's own context), [`plugin_e2e`] (the real `gohost` binary with the
//! crate's freshly built dylib), [`go`] (the real Go toolchains) and [`macos_commands`] (the
//! known-good macOS command lines printed remediations are checked against). It depends on the host only
//! for `gohost::harness`; the host and the plugins never depend on it.

pub mod go;
pub mod harness;
pub mod macos_commands;
pub mod plugin_e2e;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where the tests build everything.
pub fn e2e_target_dir() -> PathBuf {
    std::env::var_os("GOHOST_E2E_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target").join("e2e"))
}

fn cargo(args: &[&str], manifest: &Path) {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(args)
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(e2e_target_dir())
        .arg("--quiet")
        .stdin(Stdio::null())
        .status()
        .expect("cargo must run");
    assert!(
        status.success(),
        "cargo {args:?} for {} failed",
        manifest.display()
    );
}

/// Build the gohost binary and every workspace plugin once per test process; returns the
/// directory holding the binary and the plugin dylibs.
pub fn build_workspace() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = workspace_root();
        cargo(
            &[
                "build",
                "--workspace",
                "--exclude",
                "gohost-e2e",
                "--lib",
                "--bins",
            ],
            &root.join("Cargo.toml"),
        );
        e2e_target_dir().join("debug")
    })
}

/// The real gohost binary.
pub fn gohost_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("GOHOST_BIN") {
        return PathBuf::from(bin);
    }
    build_workspace().join("gohost")
}

/// Build the fault-fixture plugins once; returns the directory holding their dylibs.
pub fn build_fixtures() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        cargo(
            &["build"],
            &workspace_root().join("tests/fixture-plugins/Cargo.toml"),
        );
        e2e_target_dir().join("debug")
    })
}

/// The path of a fixture plugin (by plugin name, e.g. `fault-panic`).
pub fn fixture(name: &str) -> PathBuf {
    build_fixtures().join(format!(
        "libgohost_plugin_{}.{}",
        name.replace('-', "_"),
        std::env::consts::DLL_EXTENSION
    ))
}

/// The path of a workspace plugin (e.g. `arch`).
pub fn workspace_plugin(name: &str) -> PathBuf {
    build_workspace().join(format!(
        "libgohost_plugin_{}.{}",
        name.replace('-', "_"),
        std::env::consts::DLL_EXTENSION
    ))
}

/// A private plugin directory with copies of the given files (mode 0755, dir 0700).
pub fn plugin_dir(files: &[PathBuf]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("gohost-e2e-plugins-")
        .tempdir()
        .expect("tempdir");
    for file in files {
        let name = file.file_name().expect("file name");
        std::fs::copy(file, dir.path().join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
    }
    dir
}

/// A gohost command that sees only `dir`'s plugins, with a clean, predictable environment.
pub fn gohost(dir: &Path) -> Command {
    let mut cmd = Command::new(gohost_bin());
    cmd.arg("--color")
        .arg("never")
        .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
        .env("GOHOST_PLUGIN_PATH", dir)
        .env_remove("GOHOST_FORMAT")
        .env_remove("GOHOST_ISOLATION")
        .env_remove("GOHOST_TIMEOUT")
        .env_remove("GOHOST_CONFIG")
        .env("XDG_CONFIG_HOME", dir.join(".no-config"))
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

/// Run and capture.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("gohost must start")
}

/// Run with `--format json` appended; returns (exit code, parsed report, stderr).
pub fn run_json(cmd: &mut Command) -> (i32, serde_json::Value, String) {
    let out = output(cmd.arg("--format").arg("json"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The findings of plugin `name` in a JSON report.
pub fn findings<'a>(report: &'a serde_json::Value, plugin: &str) -> Vec<&'a serde_json::Value> {
    report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == plugin)
        .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        .collect()
}

/// The processes whose parent is `pid` (Linux /proc), for leak checks.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return kids;
    };
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // The command name may hold spaces; fields after the last ')' are fixed.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            kids.push(child);
        }
    }
    kids
}

/// `cmd` run as `nobody` through `setpriv` (needs root to switch; CI runs as root). Files it
/// reads must be readable by others: a [`plugin_dir`] is 0700 until chmod'ed.
pub fn as_nobody(cmd: &mut Command) -> Command {
    // By absolute path: `cmd`'s PATH may be one of the broken ones under test.
    let mut wrapped = Command::new("/usr/bin/setpriv");
    wrapped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(cwd) = cmd.get_current_dir() {
        wrapped.current_dir(cwd);
    }
    wrapped.stdin(std::process::Stdio::null());
    wrapped
}

/// Whether the tests run as root (CI does).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Build the compatibility workspace (`tests/compat`: frozen 1.0.0 api + fixtures) once.
pub fn compat_dir() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(workspace_root().join("tests/compat/Cargo.toml"))
            .arg("--target-dir")
            .arg(e2e_target_dir())
            .stdin(Stdio::null())
            .status()
            .expect("cargo must run");
        assert!(status.success(), "building tests/compat failed");
        e2e_target_dir().join("debug")
    })
}

/// The path of a compatibility fixture plugin (e.g. `old-plugin`).
pub fn compat(name: &str) -> PathBuf {
    compat_dir().join(format!(
        "libgohost_plugin_{}.{}",
        name.replace('-', "_"),
        std::env::consts::DLL_EXTENSION
    ))
}
