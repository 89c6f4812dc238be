//! What issue 20 lists as verified safe, kept true by tests: a `--replay` runs no program but
//! gohost's own workers, reads none of the machine's files the snapshot answers for, and
//! writes nothing but its private run directory (removed at exit); a hostile snapshot nested
//! deeper than any parser should follow is refused cleanly.
//!
//! Observed with `strace -f` (Debian's strace; .ci/run installs it): every `execve`, every
//! `open`/`openat` and every call that creates, renames or removes a path, in gohost and in
//! each worker.

use std::path::Path;
use std::process::Command;

use gohost_e2e::{gohost, gohost_bin, output, plugin_dir, workspace_plugin, workspace_root};

const PLUGINS: [&str; 7] = [
    "arch",
    "toolchain",
    "cgo",
    "sumdb",
    "powermetrics",
    "ane",
    "scheduler",
];

/// The quoted path arguments of a strace line (`openat(AT_FDCWD, "/x", …)` → `/x`).
fn quoted(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

#[test]
fn a_replay_runs_nothing_reads_none_of_the_machines_answers_and_leaves_nothing() {
    assert!(
        Path::new("/usr/bin/strace").exists(),
        "this test needs strace (Debian package strace; .ci/run installs it)"
    );
    let plugins = plugin_dir(&PLUGINS.map(workspace_plugin));
    let work = tempfile::tempdir().expect("tempdir");
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let cache = work.path().join("cache");
    let log = work.path().join("strace.log");
    let mut probe_paths = Vec::new();

    for snapshot in [
        "mac-m1-native.json",
        "hw-m4max-sequoia.json",
        "mac-m1-rosetta.json",
    ] {
        let file = workspace_root().join("tests/replay").join(snapshot);
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("snapshot")).expect("JSON");
        for probe in value["probes"].as_array().into_iter().flatten() {
            if let Some(path) = probe["path"].as_str() {
                probe_paths.push(path.to_owned());
            }
        }
        let inner = gohost(plugins.path());
        let mut cmd = Command::new("/usr/bin/strace");
        cmd.args(["-f", "-qq", "-s", "256", "-o"])
            .arg(&log)
            .args([
                "-e",
                "trace=execve,execveat,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,link,linkat,symlink,symlinkat,truncate",
            ])
            .arg(gohost_bin())
            .args(inner.get_args())
            .args(["run", "all", "--deep", "--online", "--allow-root-probes"])
            .arg("--replay")
            .arg(&file)
            .args(["--format", "json"]);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env("TMPDIR", &tmp)
            .env("XDG_CACHE_HOME", &cache)
            .current_dir(work.path());
        let out = output(&mut cmd);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{snapshot}: no report ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let findings: usize = report["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["findings"].as_array().map_or(0, Vec::len))
            .sum();
        assert!(findings >= PLUGINS.len(), "{snapshot}: {report:#}");

        let trace = std::fs::read_to_string(&log).expect("strace log");
        let lines: Vec<&str> = trace.lines().collect();
        assert!(
            lines.iter().any(|l| l.contains("execve(")),
            "{snapshot}: strace saw nothing: {trace}"
        );
        let exe = gohost_bin();
        let exe = exe.to_string_lossy();
        for line in &lines {
            let paths = quoted(line);
            if line.contains("execve(") || line.contains("execveat(") {
                assert_eq!(
                    paths.first().copied(),
                    Some(exe.as_ref()),
                    "{snapshot}: a replay ran another program: {line}"
                );
                continue;
            }
            let writes = line.contains("O_WRONLY")
                || line.contains("O_RDWR")
                || line.contains("O_CREAT")
                || [
                    "creat(",
                    "mkdir",
                    "rename",
                    "unlink",
                    "link(",
                    "linkat(",
                    "symlink",
                    "truncate(",
                ]
                .iter()
                .any(|call| line.contains(call));
            for path in &paths {
                if writes && !path.is_empty() {
                    // Only gohost's private run directory (under TMPDIR) may be written.
                    assert!(
                        path.starts_with(&*tmp.to_string_lossy()) || *path == "/dev/null",
                        "{snapshot}: a replay wrote outside its run directory: {line}"
                    );
                }
                assert!(
                    !probe_paths.iter().any(|p| p == path),
                    "{snapshot}: a replay opened a file the snapshot answers for: {line}"
                );
                assert!(
                    !path.starts_with("/proc/sys/") && !path.starts_with("/sys/firmware"),
                    "{snapshot}: a replay read the machine's own state: {line}"
                );
            }
        }
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .expect("tmp")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{snapshot}: left behind {left:?}");
        assert!(
            !cache.exists(),
            "{snapshot}: a replay wrote the result cache"
        );
    }
    assert!(!probe_paths.is_empty(), "the snapshots name files");
}

#[test]
fn a_snapshot_nested_beyond_reason_is_refused_cleanly() {
    let plugins = plugin_dir(&[workspace_plugin("arch")]);
    let work = tempfile::tempdir().expect("tempdir");
    let deep = work.path().join("deep.json");
    // 100,000 levels of arrays inside a snapshot field: serde_json's recursion limit (128)
    // must turn it into an error, not a stack overflow.
    let depth = 100_000;
    let text = format!(
        "{{\"format\":\"gohost-snapshot\",\"version\":1,\"notes\":{}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    std::fs::write(&deep, text).expect("write");
    for isolation in ["worker", "none"] {
        let out = output(
            gohost(plugins.path())
                .args(["run", "arch", "--isolation", isolation, "--replay"])
                .arg(&deep),
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{isolation}: a bad snapshot is a usage error: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("deep.json"),
            "{isolation}: the error names the file: {stderr}"
        );
    }
}
