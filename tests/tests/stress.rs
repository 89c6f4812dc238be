//! Stress: many runs in a row and at once, a directory of 200 generated plugins, and the
//! bounded worker pool. Every run must succeed the same way and leave nothing behind: no
//! temp dir (each run gets a private TMPDIR that must be empty afterwards), no process, and
//! the host's open file descriptors and RSS must not grow with the number of plugins.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gohost_e2e::*;

/// The plugin dir of the repeated runs: the healthy fixture and the real `arch` plugin.
fn small_set() -> tempfile::TempDir {
    plugin_dir(&[fixture("fixture-status"), workspace_plugin("arch")])
}

/// A private TMPDIR: after the runs it must hold nothing gohost made.
fn private_tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("gohost-stress-tmp-")
        .tempdir()
        .expect("tempdir")
}

fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Live processes whose environment holds `marker` (an env var value unique to a test):
/// any worker or plugin child a run left behind, wherever it was reparented.
fn processes_with_env(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        // A zombie has an empty environ; it is still a leak, but of its parent's making and
        // reaped with it: count only processes that still run.
        if environ
            .split(|&b| b == 0)
            .any(|kv| kv == format!("GOHOST_STRESS_MARKER={marker}").as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

/// The summary of a run that the runs are compared on: exit code and statuses per check.
fn outcome(code: i32, report: &serde_json::Value) -> (i32, Vec<(String, String)>) {
    let mut checks: Vec<(String, String)> = report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        .map(|f| {
            (
                f["check"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    checks.sort();
    (code, checks)
}

#[test]
fn two_hundred_consecutive_runs_agree_and_leave_nothing_behind() {
    let dir = small_set();
    let tmp = private_tmp();
    let marker = format!("consecutive-{}", std::process::id());
    let runs: usize = std::env::var("GOHOST_STRESS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut first = None;
    let started = Instant::now();
    for i in 0..runs {
        let (code, report, stderr) = run_json(
            gohost(dir.path())
                .args(["run", "all"])
                .env("TMPDIR", tmp.path())
                .env("GOHOST_STRESS_MARKER", &marker),
        );
        assert!(!stderr.contains("panicked"), "run {i}: {stderr}");
        let this = outcome(code, &report);
        assert!(
            this.0 == 0 || this.0 == 1,
            "run {i}: exit {}: {report:#}",
            this.0
        );
        assert!(
            this.1.iter().all(|(_, s)| s != "error"),
            "run {i}: {report:#}"
        );
        match &first {
            None => first = Some(this),
            Some(f) => assert_eq!(&this, f, "run {i} differs from run 0"),
        }
    }
    eprintln!("{runs} runs in {:?}", started.elapsed());
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "temp dirs left behind"
    );
    assert_eq!(
        processes_with_env(&marker),
        Vec::<u32>::new(),
        "processes left behind"
    );
}

#[test]
fn twenty_concurrent_runs_agree_and_leave_nothing_behind() {
    let dir = small_set();
    let tmp = private_tmp();
    let marker = format!("concurrent-{}", std::process::id());
    let children: Vec<_> = (0..20)
        .map(|_| {
            gohost(dir.path())
                .args(["run", "all", "--format", "json"])
                .env("TMPDIR", tmp.path())
                .env("GOHOST_STRESS_MARKER", &marker)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outcomes: Vec<_> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("json report");
            outcome(out.status.code().unwrap_or(-1), &report)
        })
        .collect();
    for o in &outcomes {
        assert!(o.0 == 0 || o.0 == 1, "{o:?}");
        assert!(o.1.iter().all(|(_, s)| s != "error"), "{o:?}");
        assert_eq!(o, &outcomes[0], "concurrent runs disagree");
    }
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "temp dirs left behind"
    );
    assert_eq!(
        processes_with_env(&marker),
        Vec::<u32>::new(),
        "processes left behind"
    );
}

/// Copies of the `gen-q0000` fixture with the marker rewritten: `n` distinct real plugins.
fn generated_plugins(n: usize) -> tempfile::TempDir {
    let dir = plugin_dir(&[]);
    let original = std::fs::read(fixture("gen-q0000")).expect("fixture-gen built");
    let marker = b"gen-q0000";
    let sites: Vec<usize> = original
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| w == marker)
        .map(|(i, _)| i)
        .collect();
    assert!(
        sites.len() >= 2,
        "the plugin name and its check id must both carry the marker"
    );
    for i in 0..n {
        let name = format!("gen-q{i:04}");
        let mut bytes = original.clone();
        for &at in &sites {
            bytes[at..at + marker.len()].copy_from_slice(name.as_bytes());
        }
        let path = dir.path().join(format!(
            "libgohost_plugin_{}.{}",
            name.replace('-', "_"),
            std::env::consts::DLL_EXTENSION
        ));
        std::fs::write(&path, bytes).expect("write plugin");
    }
    dir
}

/// Samples of a process's open fds and RSS (KiB) while it runs.
#[derive(Debug, Default)]
struct Samples {
    fds: Vec<usize>,
    rss_kib: Vec<u64>,
    workers: Vec<usize>,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn is_worker(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"__worker"))
}

/// Run `cmd` to completion, sampling the host every few milliseconds.
fn run_sampled(cmd: &mut Command) -> (std::process::Output, Samples) {
    let out_file = tempfile::NamedTempFile::new().expect("tempfile");
    let err_file = tempfile::NamedTempFile::new().expect("tempfile");
    let mut child = cmd
        .stdout(out_file.reopen().expect("reopen"))
        .stderr(err_file.reopen().expect("reopen"))
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut samples = Samples::default();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            samples.fds.push(fds.count());
        }
        if let Some(rss) = rss_kib(pid) {
            samples.rss_kib.push(rss);
        }
        samples.workers.push(
            children_of(pid)
                .into_iter()
                .filter(|&c| is_worker(c))
                .count(),
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = std::process::Output {
        status,
        stdout: std::fs::read(out_file.path()).unwrap_or_default(),
        stderr: std::fs::read(err_file.path()).unwrap_or_default(),
    };
    (output, samples)
}

#[test]
fn two_hundred_generated_plugins_load_and_run_in_a_bounded_pool() {
    let n = 200;
    let dir = generated_plugins(n);
    let tmp = private_tmp();

    // All of them, in workers, 4 at a time: every one passes, fds and RSS stay flat.
    let started = Instant::now();
    let (out, samples) = run_sampled(
        gohost(dir.path())
            .args(["run", "all", "--jobs", "4", "--format", "json"])
            .env("TMPDIR", tmp.path()),
    );
    let elapsed = started.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: BTreeSet<&str> = report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names.len(), n, "every generated plugin ran");
    assert_eq!(report["summary"]["pass"], n, "{:#}", report["summary"]);
    eprintln!(
        "{n} plugins in workers: {elapsed:?}; fds max {:?}; rss KiB {:?}..{:?}; workers max {:?}",
        samples.fds.iter().max(),
        samples.rss_kib.first(),
        samples.rss_kib.iter().max(),
        samples.workers.iter().max()
    );
    // 4 workers hold 3 pipes each; everything else is the host's own (std streams, the
    // plugin dir scan, sockets of nothing). A leak per plugin would reach hundreds.
    let max_fds = samples.fds.iter().copied().max().unwrap_or(0);
    assert!(
        max_fds < 64,
        "open fds peaked at {max_fds}: {:?}",
        samples.fds
    );
    assert!(
        samples.workers.iter().all(|&w| w <= 4),
        "more than --jobs workers: {:?}",
        samples.workers
    );
    // RSS in the last quarter of the run is not more than in the first quarter plus a margin.
    let q = samples.rss_kib.len() / 4;
    if q > 0 {
        let early = samples.rss_kib[..q].iter().copied().max().unwrap_or(0);
        let late = samples.rss_kib[samples.rss_kib.len() - q..]
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        assert!(
            late <= early + early / 2 + 4096,
            "RSS grew from {early} KiB to {late} KiB"
        );
    }

    // In-process: 200 libraries loaded into one process.
    let (code, report, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "all", "--isolation", "none"])
            .env("TMPDIR", tmp.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["pass"], n);

    let out = output(gohost(dir.path()).args(["list", "--format", "json"]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed["plugins"].as_array().map(Vec::len), Some(n));
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "temp dirs left behind"
    );
}

#[test]
fn jobs_bounds_how_many_workers_run_at_once() {
    let dir = generated_plugins(6);
    for jobs in [1usize, 2] {
        let (out, samples) = run_sampled(
            gohost(dir.path())
                .args([
                    "run",
                    "all",
                    "--jobs",
                    &jobs.to_string(),
                    "--format",
                    "json",
                ])
                .env("GOHOST_GEN_SLEEP", "0.6"),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let max = samples.workers.iter().copied().max().unwrap_or(0);
        assert_eq!(
            max, jobs,
            "--jobs {jobs}: workers seen at once: {:?}",
            samples.workers
        );
    }
}
