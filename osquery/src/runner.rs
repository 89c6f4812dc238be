//! Running the real `gohost` binary: one child in a process group of its own, stdout and a
//! bounded stderr tail collected, the whole group killed at its deadline. The extension
//! never loads a plugin itself: discovery, trust, isolation and gates stay `gohost`'s.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How a gohost invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("`gohost {args}` did not finish within {secs:.1} s and was killed")]
    Timeout { args: String, secs: f64 },
    #[error("`gohost {args}` exited with {code:?} and no JSON ({reason}); stderr: {stderr}")]
    NoJson {
        args: String,
        code: Option<i32>,
        reason: String,
        stderr: String,
    },
    #[error("waiting for gohost: {0}")]
    Wait(std::io::Error),
}

/// The largest stderr tail kept for an error message.
const STDERR_TAIL: usize = 4096;
/// How long gohost gets after SIGTERM to kill its workers and exit.
const TERM_GRACE: Duration = Duration::from_secs(1);
/// How long pipes may stay open after gohost exited (a process it left behind holding them).
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// Process groups of children still running, so the extension can kill them when it exits.
#[derive(Debug, Default, Clone)]
pub struct Children(Arc<Mutex<Vec<i32>>>);

impl Children {
    fn add(&self, pgid: i32) {
        if let Ok(mut v) = self.0.lock() {
            v.push(pgid);
        }
    }
    fn remove(&self, pgid: i32) {
        if let Ok(mut v) = self.0.lock() {
            v.retain(|p| *p != pgid);
        }
    }
    /// Stop every child (the extension is going away): SIGTERM, which gohost answers by
    /// killing its workers and exiting (host/src/interrupt.rs).
    pub fn stop_all(&self) {
        if let Ok(v) = self.0.lock() {
            for pgid in v.iter() {
                kill_group(*pgid, libc::SIGTERM);
            }
        }
    }
}

fn kill_group(pgid: i32, signal: i32) {
    if pgid <= 1 {
        return; // never signal "every process" or init's group
    }
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
    // The group is the child's own (process_group(0) below), never ours.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Run `bin args…` and parse its stdout as JSON, killing its process group at `limit`.
///
/// gohost exits 1 for failing checks and 3 when a plugin could not run, with a full report
/// either way, so any exit with JSON on stdout is an answer; no JSON is an error.
pub fn run_json(
    bin: &Path,
    args: &[String],
    limit: Duration,
    children: &Children,
) -> Result<Value, RunError> {
    use std::os::unix::process::CommandExt as _;
    let shown = args.join(" ");
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group: a timeout kills gohost and every worker it started, and a signal
        // meant for the extension's terminal group does not reach it.
        .process_group(0)
        .spawn()
        .map_err(|source| RunError::Spawn {
            bin: bin.to_owned(),
            source,
        })?;
    let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    children.add(pgid);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    // Both pipes are drained on threads so a chatty child never blocks on a full pipe; the
    // results come back through channels so a leftover process holding a pipe open cannot
    // block the extension (it is waited for a bounded time only).
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stdout {
            let _ = s.read_to_end(&mut buf);
        }
        let _ = out_tx.send(buf);
    });
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tail = Vec::new();
        let mut chunk = [0u8; 4096];
        if let Some(mut s) = stderr {
            while let Ok(n) = s.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
        }
        let _ = err_tx.send(tail);
    });
    let started = Instant::now();
    let wait_until = |child: &mut std::process::Child, until: Duration| loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if started.elapsed() >= until => return Ok(None),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e),
        }
    };
    let status = match wait_until(&mut child, limit) {
        Ok(s) => s,
        Err(e) => {
            kill_group(pgid, libc::SIGKILL);
            let _ = child.wait();
            children.remove(pgid);
            return Err(RunError::Wait(e));
        }
    };
    let Some(status) = status else {
        // SIGTERM first: gohost's own handler (host/src/interrupt.rs) kills its workers, which
        // lead process groups of their own and so are not in this one; then SIGKILL the rest.
        kill_group(pgid, libc::SIGTERM);
        let _ = wait_until(&mut child, limit + TERM_GRACE);
        kill_group(pgid, libc::SIGKILL);
        let _ = child.wait();
        children.remove(pgid);
        return Err(RunError::Timeout {
            args: shown,
            secs: limit.as_secs_f64(),
        });
    };
    // Anything gohost left in its group (it reaps its own workers) goes too.
    kill_group(pgid, libc::SIGKILL);
    children.remove(pgid);
    let stdout = out_rx.recv_timeout(PIPE_GRACE).unwrap_or_default();
    let stderr = err_rx.recv_timeout(PIPE_GRACE).unwrap_or_default();
    serde_json::from_slice(&stdout).map_err(|e| RunError::NoJson {
        args: shown,
        code: status.code(),
        reason: e.to_string(),
        stderr: String::from_utf8_lossy(&stderr).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> (PathBuf, Vec<String>) {
        (
            PathBuf::from("/bin/sh"),
            vec!["-c".to_owned(), script.to_owned()],
        )
    }

    #[test]
    fn json_on_stdout_is_an_answer_whatever_the_exit_code() {
        let (bin, args) = sh("echo '{\"a\": 1}'; exit 3");
        let v = run_json(&bin, &args, Duration::from_secs(10), &Children::default()).expect("JSON");
        assert_eq!(v["a"], 1);
    }

    #[test]
    fn no_json_is_an_error_with_stderr() {
        let (bin, args) = sh("echo 'gohost: unknown plugin' >&2; exit 2");
        let e = run_json(&bin, &args, Duration::from_secs(10), &Children::default())
            .expect_err("no JSON");
        let text = e.to_string();
        assert!(text.contains("unknown plugin"), "{text}");
        assert!(text.contains("Some(2)"), "{text}");
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("grandchild-survived");
        // A grandchild that would write the marker after 2 s unless its group is killed.
        let (bin, args) = sh(&format!("(sleep 2; touch {}) & sleep 30", marker.display()));
        let children = Children::default();
        let started = Instant::now();
        let e =
            run_json(&bin, &args, Duration::from_millis(300), &children).expect_err("times out");
        assert!(matches!(e, RunError::Timeout { .. }), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "the grandchild outlived the kill");
        assert!(children.0.lock().map(|v| v.is_empty()).unwrap_or(false));
    }

    #[test]
    fn missing_binary_is_a_spawn_error() {
        let e = run_json(
            Path::new("/nonexistent/gohost"),
            &[],
            Duration::from_secs(1),
            &Children::default(),
        )
        .expect_err("no binary");
        assert!(matches!(e, RunError::Spawn { .. }), "{e}");
    }
}
