//! Every failure mode of a plugin becomes exactly one `error` finding or load error, healthy
//! plugins in the same run keep their findings, the run ends within its timeout, exit code 3.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gohost_e2e::*;

/// Files that are not loadable plugins, each with the words its load error must contain.
fn garbage(dir: &std::path::Path) -> Vec<(&'static str, &'static str)> {
    let real = std::fs::read(fixture("fixture-status")).expect("fixture built");
    std::fs::write(dir.join("libgohost_plugin_empty.so"), b"").expect("write");
    std::fs::write(dir.join("libgohost_plugin_truncated.so"), &real[..200]).expect("write");
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("libgohost_plugin_random.so"), random).expect("write");
    std::fs::write(
        dir.join("libgohost_plugin_text.dylib"),
        b"#!/bin/sh\necho not a library\n",
    )
    .expect("write");
    // A real shared library that is not a plugin: the C math library.
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/usr/lib/libm.so.6",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("a libm to copy");
    std::fs::copy(libm, dir.join("libgohost_plugin_nosym.so")).expect("copy");
    vec![
        ("libgohost_plugin_empty.so", "empty file"),
        ("libgohost_plugin_truncated.so", "truncated"),
        ("libgohost_plugin_random.so", "not a Mach-O, ELF or PE file"),
        ("libgohost_plugin_text.dylib", "text file"),
        ("libgohost_plugin_nosym.so", "not a gohost plugin"),
        (
            "libgohost_plugin_fault_major.so",
            "built for plugin API 99.0.0",
        ),
    ]
}

fn error_of<'a>(report: &'a serde_json::Value, plugin: &str) -> &'a serde_json::Value {
    let f = findings(report, plugin);
    assert_eq!(
        f.len(),
        1,
        "{plugin}: exactly one finding expected, got {f:?}"
    );
    assert_eq!(f[0]["status"], "error", "{plugin}: {}", f[0]);
    f[0]
}

#[test]
fn worker_isolation_survives_every_fault() {
    let faults = [
        "fault-panic",
        "fault-segv",
        "fault-abort",
        "fault-exit",
        "fault-hang",
        "fault-spin",
        "fault-flood",
        "fault-major",
    ];
    let mut files: Vec<PathBuf> = faults.iter().map(|f| fixture(f)).collect();
    files.push(fixture("fixture-status"));
    let dir = plugin_dir(&files);
    let expected_load_errors = garbage(dir.path());
    let timeout = 4.0;
    let started = Instant::now();
    let (code, report, _stderr) =
        run_json(gohost(dir.path()).args(["run", "all", "--timeout", &timeout.to_string()]));
    let elapsed = started.elapsed();
    assert_eq!(code, 3, "{report:#}");
    // Hanging plugins run in parallel and are killed at their timeout: the run must end soon
    // after it (generous margin: this proves "no hang", not speed).
    assert!(
        elapsed < Duration::from_secs_f64(timeout * 3.0 + 20.0),
        "run took {elapsed:?}"
    );

    let detail = |p: &str| {
        error_of(&report, p)["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(error_of(&report, "fault-panic")["title"]
        .as_str()
        .unwrap_or_default()
        .contains("panicked: fixture panic"));
    for (plugin, expected) in [
        ("fault-segv", "signal 11 (SIGSEGV"),
        ("fault-abort", "signal 6 (SIGABRT"),
        // The stderr tail is kept.
        ("fault-abort", "fixture: aborting now"),
        ("fault-exit", "exited with status 3"),
        ("fault-hang", "did not finish within 4.0s"),
        ("fault-spin", "did not finish within 4.0s"),
    ] {
        assert!(
            detail(plugin).contains(expected),
            "{plugin}: `{expected}` not in {}",
            detail(plugin)
        );
    }

    // The flood went to the worker's stderr (a bounded tail), not into the protocol.
    let flood = findings(&report, "fault-flood");
    assert_eq!(flood.len(), 1);
    assert_eq!(flood[0]["status"], "pass", "{}", flood[0]);

    let healthy = findings(&report, "fixture-status");
    assert_eq!(healthy.len(), 2, "healthy plugin intact: {healthy:?}");
    assert!(healthy.iter().all(|f| f["status"] == "pass"));

    let load_errors = report["load_errors"].as_array().expect("load_errors");
    assert_eq!(
        load_errors.len(),
        expected_load_errors.len(),
        "{load_errors:#?}"
    );
    for (file, words) in expected_load_errors {
        let entry = load_errors
            .iter()
            .find(|e| e["path"].as_str().is_some_and(|p| p.ends_with(file)))
            .unwrap_or_else(|| panic!("no load error for {file}: {load_errors:#?}"));
        let message = entry["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "{file}: `{message}` should say `{words}`"
        );
        assert!(!message.contains('\n'), "one line: {message}");
    }
    assert_eq!(report["summary"]["error"], 6);
    assert_eq!(report["summary"]["load_errors"], 6);
}

#[test]
fn worker_timeout_kills_what_the_plugin_started_and_leaves_no_children() {
    let dir = plugin_dir(&[fixture("fault-hang")]);
    let child = gohost(dir.path())
        .args(["run", "all", "--timeout", "2", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(700));
    assert!(!children_of(pid).is_empty(), "a worker should be running");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3));
    assert!(children_of(pid).is_empty(), "no worker left behind");
}

/// `--run-timeout` bounds the whole run: with one job at a time, the hanging plugin is killed
/// when the run's time is up (long before its own timeout) and the others are never started.
/// Both are errors naming the run's limit, so the exit code says the run is incomplete.
#[test]
fn run_timeout_kills_the_running_plugin_and_starts_no_other_in_both_isolation_modes() {
    let dir = plugin_dir(&[
        fixture("fault-hang"),
        fixture("fault-spin"),
        fixture("fixture-status"),
    ]);
    for isolation in ["worker", "none"] {
        let started = Instant::now();
        let (code, report, stderr) = run_json(gohost(dir.path()).args([
            "run",
            "all",
            "--jobs",
            "1",
            "--timeout",
            "120",
            "--run-timeout",
            "3",
            "--isolation",
            isolation,
        ]));
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(60),
            "{isolation}: the run ignored its time limit: {elapsed:?}"
        );
        assert_eq!(code, 3, "{isolation}: {report:#}\n{stderr}");
        let details: Vec<(String, String)> = ["fault-hang", "fault-spin", "fixture-status"]
            .iter()
            .map(|p| {
                let f = error_of(&report, p);
                (
                    p.to_string(),
                    f["detail"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        // Plugins run in name order with one job: fault-hang holds the only slot.
        assert!(
            details[0].1.starts_with(
                "the run's time limit of 3.0s (--run-timeout) ran out before the plugin finished"
            ),
            "{isolation}: {details:?}"
        );
        for (plugin, detail) in &details[1..] {
            assert!(
                detail.starts_with("not started: the run's time limit of 3.0s (--run-timeout)"),
                "{isolation}: {plugin}: {detail}"
            );
        }
        for p in report["plugins"].as_array().into_iter().flatten() {
            assert_eq!(p["outcome"], "timeout", "{isolation}: {p:#}");
        }
        let fix = &error_of(&report, "fault-spin")["remediation"]["commands"][0];
        assert_eq!(fix, "gohost run fault-spin --run-timeout 60", "{isolation}");
    }
}

#[test]
fn in_process_survives_panics_hangs_floods_and_bad_files() {
    let faults = [
        "fault-panic",
        "fault-hang",
        "fault-spin",
        "fault-flood",
        "fault-major",
    ];
    let mut files: Vec<PathBuf> = faults.iter().map(|f| fixture(f)).collect();
    files.push(fixture("fixture-status"));
    let dir = plugin_dir(&files);
    let expected_load_errors = garbage(dir.path());
    let (code, report, _) =
        run_json(gohost(dir.path()).args(["run", "all", "--isolation", "none", "--timeout", "3"]));
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(report["run"]["isolation"], "none");
    assert!(error_of(&report, "fault-panic")["title"]
        .as_str()
        .unwrap_or_default()
        .contains("panicked"));
    assert!(error_of(&report, "fault-hang")["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("did not finish within 3.0s"));
    assert!(error_of(&report, "fault-spin")["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("did not finish within 3.0s"));
    // In-process, the plugin's stdout is pointed at stderr while it runs, so the JSON parsed.
    assert_eq!(findings(&report, "fault-flood")[0]["status"], "pass");
    assert_eq!(findings(&report, "fixture-status").len(), 2);
    assert_eq!(
        report["load_errors"].as_array().map(Vec::len),
        Some(expected_load_errors.len())
    );
}

#[test]
fn in_process_cannot_survive_a_segfault_as_documented() {
    // Documented limit of `--isolation none`: a segfault takes gohost down with it.
    let dir = plugin_dir(&[fixture("fault-segv")]);
    let out = output(gohost(dir.path()).args(["run", "all", "--isolation", "none"]));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(11), "{:?}", out.status);
}
