//! Foundation benchmarks, written down in BENCHMARKS.md (never asserted in tests):
//! in-process plugin load time per plugin, worker spawn overhead per plugin, `gohost list`
//! wall time, and the host's peak RSS during `gohost run all`.
//!
//! Run: `cargo bench -p gohost --bench foundation`. It builds the workspace plugins in release
//! mode into `target/bench` (a target dir of its own), then measures with medians and spread.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gohost::{TimeLimit, Worker, WorkerEvents, WorkerStart};
use gohost_plugin_api::snapshot::ProbeRecord;
use gohost_plugin_api::LogLevel;

/// Worker events are not part of what is measured.
struct Ignore;

impl WorkerEvents for Ignore {
    fn log(&mut self, _: LogLevel, _: &str, _: &str) {}
    fn progress(&mut self, _: &str) {}
    fn probe(&mut self, _: ProbeRecord) {}
}

const ROUNDS: usize = 15;

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    )
}

fn build_plugins() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let target = root.join("target/bench");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--quiet",
            "--workspace",
            "--exclude",
            "gohost-e2e",
            "--exclude",
            "xtask",
            "--lib",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(&root)
        .status()
        .expect("cargo");
    assert!(status.success(), "building the plugins failed");
    target.join("release")
}

fn plugins_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("plugin dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| gohost::plugin_file_name(p).is_some())
        .collect();
    files.sort();
    files
}

/// Peak RSS (VmHWM) of a process, sampled from /proc until it exits.
fn run_sampling_hwm(mut cmd: Command) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (started.elapsed(), peak_kb)
}

fn main() {
    let dir = build_plugins();
    let plugins = plugins_in(&dir);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_gohost"));
    let scratch = tempfile::tempdir().expect("tempdir");
    println!(
        "gohost foundation benchmarks: {} plugins from {}, {ROUNDS} rounds each, median [min..max]",
        plugins.len(),
        dir.display()
    );
    println!();
    println!(
        "| plugin | in-process load (ms) | worker spawn+manifest (ms) | worker overhead (ms) |"
    );
    println!("|---|---|---|---|");
    for plugin in &plugins {
        let name = gohost::plugin_file_name(plugin).unwrap_or_default();
        // dlopen loads a file once per process: load distinct copies to measure real loads.
        let mut loads = Vec::new();
        for i in 0..ROUNDS {
            let copy = scratch.path().join(format!(
                "c{i}-{}",
                plugin.file_name().and_then(|n| n.to_str()).unwrap_or("p")
            ));
            std::fs::copy(plugin, &copy).expect("copy");
            let started = Instant::now();
            let loaded = gohost::load_plugin(&copy, None, None);
            loads.push(started.elapsed());
            assert!(
                loaded.is_ok(),
                "{}: {:?}",
                plugin.display(),
                loaded.err().map(|e| e.to_string())
            );
        }
        let mut spawns = Vec::new();
        for _ in 0..ROUNDS {
            let start = WorkerStart {
                plugin_path: plugin.clone(),
                plugin_identity: None,
                expected_name: Some(name.clone()),
                temp_root: scratch.path().to_path_buf(),
                setup: gohost::Setup::listing(),
            };
            let started = Instant::now();
            let limit = TimeLimit {
                plugin: Duration::from_secs(30),
                run: None,
            };
            let mut worker = Worker::spawn(&exe, start, limit).expect("spawn");
            worker.manifest(&mut Ignore).expect("manifest");
            worker.exit();
            spawns.push(started.elapsed());
        }
        let (load, lmin, lmax) = stats(loads);
        let (spawn, smin, smax) = stats(spawns);
        println!("| {name} | {load:.2} [{lmin:.2}..{lmax:.2}] | {spawn:.2} [{smin:.2}..{smax:.2}] | {:.2} |", spawn - load);
    }

    let list = |_: usize| {
        let started = Instant::now();
        let status = Command::new(&exe)
            .args(["list"])
            .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
            .env("GOHOST_PLUGIN_PATH", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("gohost list");
        assert!(status.success() || status.code() == Some(3));
        started.elapsed()
    };
    let (median, min, max) = stats((0..ROUNDS).map(list).collect());
    println!();
    println!(
        "`gohost list` ({} plugins, worker isolation): median {median:.1} ms [{min:.1}..{max:.1}]",
        plugins.len()
    );

    for isolation in ["worker", "none"] {
        let mut peaks = Vec::new();
        let mut walls = Vec::new();
        for _ in 0..5 {
            let mut cmd = Command::new(&exe);
            cmd.args(["run", "all", "--isolation", isolation, "--no-cache"])
                .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
                .env("GOHOST_PLUGIN_PATH", &dir);
            let (wall, kb) = run_sampling_hwm(cmd);
            peaks.push(kb);
            walls.push(wall);
        }
        peaks.sort();
        let (wall, wmin, wmax) = stats(walls);
        println!(
            "`gohost run all --isolation {isolation}`: host peak RSS (VmHWM) median {:.1} MB [{:.1}..{:.1}], wall {wall:.0} ms [{wmin:.0}..{wmax:.0}]",
            peaks[peaks.len() / 2] as f64 / 1024.0,
            peaks[0] as f64 / 1024.0,
            peaks[peaks.len() - 1] as f64 / 1024.0
        );
    }
}
