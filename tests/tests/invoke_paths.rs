//! One invocation path (issue 15, item 1): the same snapshot through a worker, in-process
//! (`--isolation none`) and the test harness (`gohost::harness`) gives identical findings, a
//! bad snapshot is refused with one wording everywhere, and the snapshot is read once per run.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use gohost_e2e::*;
use serde_json::Value;

/// The snapshots the three paths are compared on: real Mac captures (tests/replay, provenance
/// inside), Apple Silicon native and Intel.
const SNAPSHOTS: &[&str] = &[
    "mac-m1-native.json",
    "mac-intel.json",
    "mac-m1-rosetta.json",
];

fn snapshot(name: &str) -> std::path::PathBuf {
    workspace_root().join("tests/replay").join(name)
}

/// What must be identical: everything but the measured duration.
fn comparable(finding: &Value) -> Value {
    let mut f = finding.clone();
    if let Some(map) = f.as_object_mut() {
        map.remove("duration_us");
    }
    f
}

fn through_gohost(dir: &Path, snap: &Path, isolation: &str) -> Vec<Value> {
    let (code, report, stderr) = run_json(
        gohost(dir)
            .args(["run", "toolchain", "--isolation", isolation, "--replay"])
            .arg(snap),
    );
    // 0 (all pass) or 1 (a warn/fail in the captured machine): a report either way.
    assert!(matches!(code, 0 | 1), "exit {code}: {stderr}");
    assert_eq!(report["plugins"][0]["outcome"], "ok", "{stderr}");
    findings(&report, "toolchain")
        .into_iter()
        .map(comparable)
        .collect()
}

fn through_harness(snap: &Path) -> Vec<Value> {
    // The crate must be linked for its checks to register.
    let _ = gohost_plugin_toolchain::classify("/usr/bin/go");
    let harness = gohost::harness::Harness::replay(snap).expect("the snapshot reads");
    harness
        .run("toolchain", &[])
        .expect("every toolchain check")
        .iter()
        .map(|f| comparable(&serde_json::to_value(f).expect("a finding serializes")))
        .collect()
}

#[test]
fn worker_in_process_and_harness_give_identical_findings_for_one_snapshot() {
    let dir = plugin_dir(&[workspace_plugin("toolchain")]);
    for name in SNAPSHOTS {
        let snap = snapshot(name);
        let worker = through_gohost(dir.path(), &snap, "worker");
        let in_process = through_gohost(dir.path(), &snap, "none");
        let harness = through_harness(&snap);
        assert!(
            worker.len() >= 5,
            "{name}: the toolchain plugin ran its checks: {worker:#?}"
        );
        assert_eq!(worker, in_process, "{name}: worker vs in-process");
        assert_eq!(worker, harness, "{name}: worker vs harness");
    }
}

#[test]
fn the_capability_gate_is_the_same_on_every_path() {
    // Without --deep, --online or root, the gated checks are `skip`s the host made from the
    // manifest, on every path; the harness must not run them either.
    let dir = plugin_dir(&[workspace_plugin("toolchain")]);
    let snap = snapshot("mac-m1-native.json");
    let worker = through_gohost(dir.path(), &snap, "worker");
    let harness = through_harness(&snap);
    let skipped = |fs: &[Value]| -> Vec<String> {
        fs.iter()
            .filter(|f| f["status"] == "skip")
            .map(|f| f["check"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(skipped(&worker), skipped(&harness));
}

#[test]
fn a_bad_snapshot_has_one_wording_on_every_path() {
    let dir = plugin_dir(&[workspace_plugin("toolchain")]);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"format": "not-gohost", "version": 1}"#).expect("write");
    let mut messages = Vec::new();
    for isolation in ["worker", "none"] {
        let out = output(
            gohost(dir.path())
                .args(["run", "toolchain", "--isolation", isolation, "--replay"])
                .arg(&bad),
        );
        assert_eq!(out.status.code(), Some(2), "a usage error");
        assert!(out.stdout.is_empty(), "no report from a bad snapshot");
        messages.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let harness = match gohost::harness::Harness::replay(&bad) {
        Ok(_) => panic!("the harness accepted a snapshot of another format"),
        Err(e) => e.to_string(),
    };
    assert!(harness.contains("not a gohost snapshot"), "{harness}");
    for message in &messages {
        assert!(message.contains(&harness), "{message:?} vs {harness:?}");
    }
    assert_eq!(messages[0], messages[1]);
}

/// The snapshot is read once per run, by the parent: here it is a FIFO fed exactly once, so a
/// worker (or a second in-process plugin) opening it again would block until its timeout and
/// report an error instead of findings.
#[test]
fn the_snapshot_is_read_once_per_run() {
    let dir = plugin_dir(&[workspace_plugin("toolchain"), workspace_plugin("arch")]);
    let text = std::fs::read(snapshot("mac-m1-native.json")).expect("read the snapshot");
    for isolation in ["worker", "none"] {
        let fifo = dir.path().join(format!("snap-{isolation}.fifo"));
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo with a NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        let feed = {
            let fifo = fifo.clone();
            let text = text.clone();
            // Opening for writing waits for the one reader; then the data, then EOF.
            std::thread::spawn(move || std::fs::write(&fifo, text))
        };
        let out_path = dir.path().join(format!("report-{isolation}.json"));
        let err_path = dir.path().join(format!("stderr-{isolation}.txt"));
        let mut child = gohost(dir.path())
            .args(["run", "all", "--timeout", "20", "--isolation", isolation])
            .args(["--format", "json", "--replay"])
            .arg(&fifo)
            // Files, not pipes: nobody reads a pipe while the run is polled.
            .stdout(std::fs::File::create(&out_path).expect("report file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .expect("gohost starts");
        // A second open of the FIFO would wait forever in-process: bound the whole run.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        while child.try_wait().expect("wait").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                // Unblock the feeder if it still waits for a reader (a non-blocking open: a
                // blocking one would wait for a writer that is already gone).
                let _ = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&fifo);
                panic!("{isolation}: gohost hung on a snapshot it had already read");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let code = child.wait().expect("exit status").code().unwrap_or(-1);
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let report: Value = serde_json::from_slice(&std::fs::read(&out_path).expect("report"))
            .unwrap_or_else(|e| panic!("{isolation}: not JSON ({e}); stderr: {stderr}"));
        assert!(matches!(code, 0 | 1), "{isolation}: exit {code}: {stderr}");
        feed.join().expect("feeder").expect("the snapshot was fed");
        let plugins = report["plugins"].as_array().expect("plugins");
        assert_eq!(plugins.len(), 2, "{isolation}: {report:#}");
        for plugin in plugins {
            assert_eq!(plugin["outcome"], "ok", "{isolation}: {plugin:#}");
        }
        assert!(findings(&report, "toolchain").len() >= 5);
        assert!(!findings(&report, "arch").is_empty());
    }
}
