//! Shared by the extension tests and the query-cost bench: a manager (`manager.py`, built
//! from osquery's generated Thrift code) and the real extension registered with it, plus
//! /proc readings of a process.

#![allow(dead_code)] // each includer uses part of it

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use gohost_e2e::*;
use serde_json::{json, Value};

/// Where the binaries come from: `GOHOST_OSQUERY_DIR` (a directory with `gohost`,
/// `gohost-osquery` and the plugins, e.g. a release build) or the e2e debug build.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("GOHOST_OSQUERY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| build_workspace().to_path_buf())
}

pub fn plugin_file(name: &str) -> PathBuf {
    bin_dir().join(format!(
        "libgohost_plugin_{}.{}",
        name.replace('-', "_"),
        std::env::consts::DLL_EXTENSION
    ))
}

pub fn gohost_binary() -> PathBuf {
    if std::env::var_os("GOHOST_OSQUERY_DIR").is_some() {
        bin_dir().join("gohost")
    } else {
        gohost_bin()
    }
}

pub fn extension_bin() -> PathBuf {
    bin_dir().join("gohost-osquery")
}

/// A manager (python) and the extension registered with it.
pub struct Fleet {
    pub manager: Child,
    to_manager: ChildStdin,
    from_manager: BufReader<ChildStdout>,
    pub ext: Child,
    _sock_dir: tempfile::TempDir,
    pub socket: PathBuf,
}

impl Fleet {
    /// Start the manager, then the extension with `ext_args` and the same environment as
    /// `gohost(plugins)` (so both see exactly the same plugins), plus `env`.
    pub fn start(plugins: &Path, ext_args: &[&str], env: &[(&str, &str)]) -> Fleet {
        let sock_dir = tempfile::Builder::new()
            .prefix("gohost-osq-")
            .tempdir()
            .expect("tempdir");
        let socket = sock_dir.path().join("osquery.em");
        let mut manager = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manager.py"))
            .arg("--socket")
            .arg(&socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 must start");
        let to_manager = manager.stdin.take().expect("stdin");
        let from_manager = BufReader::new(manager.stdout.take().expect("stdout"));
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the manager did not create its socket (is `pip install osquery` done?)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let reference = gohost(plugins);
        let mut cmd = Command::new(extension_bin());
        for (k, v) in reference.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.envs(env.iter().copied())
            .current_dir(plugins)
            .arg("--socket")
            .arg(&socket)
            .arg("--gohost")
            .arg(gohost_binary())
            .args(["--interval", "0.5"])
            .args(ext_args)
            .stdin(Stdio::null());
        // Tests not about timing wait as long as a cold `gohost run all` on a loaded CI
        // machine may take.
        if !ext_args.contains(&"--query-budget") {
            cmd.args(["--query-budget", "120"]);
        }
        let ext = cmd.spawn().expect("gohost-osquery must start");
        let mut fleet = Fleet {
            manager,
            to_manager,
            from_manager,
            ext,
            _sock_dir: sock_dir,
            socket,
        };
        let reg = fleet.ask(json!({"cmd": "wait_registered", "timeout": 20}));
        assert!(reg.get("error").is_none(), "{reg}");
        fleet
    }

    pub fn ask(&mut self, cmd: Value) -> Value {
        writeln!(self.to_manager, "{cmd}").expect("manager stdin");
        self.to_manager.flush().expect("flush");
        let mut line = String::new();
        self.from_manager
            .read_line(&mut line)
            .expect("manager stdout");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("manager said {line:?}: {e}"))
    }

    /// `SELECT columns FROM table WHERE col = value …` as osquery sends it.
    pub fn select(&mut self, table: &str, columns: &[&str], filter: Value) -> Value {
        self.ask(json!({"cmd": "select", "table": table, "columns": columns, "where": filter}))
    }

    /// A select that must succeed: its rows.
    pub fn rows(&mut self, table: &str, columns: &[&str], filter: Value) -> Vec<Value> {
        let r = self.select(table, columns, filter);
        assert_eq!(r["code"], 0, "{r}");
        r["rows"].as_array().cloned().unwrap_or_default()
    }

    pub fn ext_pid(&self) -> u32 {
        self.ext.id()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.ext.kill();
        let _ = self.ext.wait();
        let _ = self.manager.kill();
        let _ = self.manager.wait();
    }
}

pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
