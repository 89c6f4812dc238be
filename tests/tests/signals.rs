//! Ctrl-C / SIGTERM during a run: workers and their children die, temp dirs go, a partial
//! report marked interrupted is printed, exit 130; a second signal exits at once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use gohost_e2e::*;

fn wait_for_worker(pid: u32) {
    let until = Instant::now() + Duration::from_secs(30);
    while children_of(pid).is_empty() {
        assert!(Instant::now() < until, "no worker appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: sending a signal to a child we own.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

fn interrupted_run(sig: i32) {
    let dir = plugin_dir(&[fixture("fault-hang"), fixture("fixture-status")]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let child = gohost(dir.path())
        .args(["run", "all", "--format", "json", "--timeout", "120"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    wait_for_worker(pid);
    // Wait until the healthy plugin has finished and only the hanging one's worker is left.
    let until = Instant::now() + Duration::from_secs(60);
    let only_hang_left = || {
        let kids = children_of(pid);
        !kids.is_empty()
            && kids.iter().all(|k| {
                std::fs::read_to_string(format!("/proc/{k}/maps"))
                    .is_ok_and(|m| m.contains("libgohost_plugin_fault_hang"))
            })
    };
    while !only_hang_left() {
        assert!(Instant::now() < until, "the healthy plugin never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    let workers = children_of(pid);
    signal(pid, sig);
    let started = Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        started.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a partial JSON report");
    assert_eq!(report["run"]["interrupted"], true);
    assert_eq!(report["exit_code"], 130);
    let hang = findings(&report, "fault-hang");
    assert_eq!(hang.len(), 1);
    assert_eq!(hang[0]["status"], "skip", "{}", hang[0]);
    assert_eq!(
        findings(&report, "fixture-status").len(),
        2,
        "finished plugins keep their findings"
    );
    for worker in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{worker}")).exists()
                || std::fs::read_to_string(format!("/proc/{worker}/stat"))
                    .map_or(true, |s| s.contains(") Z ")),
            "worker {worker} still running"
        );
    }
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "temp dirs left behind: {left:?}");
}

#[test]
fn sigint_stops_the_run_with_a_partial_report() {
    interrupted_run(libc::SIGINT);
}

#[test]
fn sigterm_stops_the_run_with_a_partial_report() {
    interrupted_run(libc::SIGTERM);
}

#[test]
fn a_second_interrupt_exits_at_once() {
    let dir = plugin_dir(&[fixture("fault-hang")]);
    // In-process, a hung plugin thread cannot be killed; the first Ctrl-C still ends the
    // run, and a second one ends the process immediately whatever it is doing.
    let child = gohost(dir.path())
        .args(["run", "all", "--isolation", "none", "--timeout", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(1500));
    signal(pid, libc::SIGINT);
    signal(pid, libc::SIGINT);
    let started = Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130));
}
