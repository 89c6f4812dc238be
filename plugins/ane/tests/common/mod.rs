//! TEST-ONLY: a small live `HostContext` built on std, so integration tests can run a plugin's
//! checks against this machine for real (commands, /proc, /sys) without the `gohost` host.
//!
//! It is not the product's host: no isolation, no record/replay, no redaction. What it does
//! keep from the host's contract: commands run with stdin from /dev/null in their own process
//! group, and on timeout the whole group is killed (`timed_out = true`); argv[0] is resolved on
//! the context's PATH; a non-zero exit is `Ok`; `sysctl` on Linux reads /proc/sys.
//! (This file is identical in the powermetrics, ane and scheduler plugins' tests.)
#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gohost_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use gohost_plugin_api::abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};
use gohost_plugin_api::{
    DirEntry, ExecOutput, ExecRequest, ExitInfo, Facts, FileInfo, FileKind, Finding, GoFacts,
    HostContext, HostContext_TO, LogLevel, ProbeError, ProbeErrorKind, RunOptions, Translation,
};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct LiveContext {
    pub facts: Facts,
    pub options: RunOptions,
    /// PATH used to resolve argv[0] and `which`, and passed to children.
    pub path: String,
    /// Environment overrides seen by `env()` (None = unset), on top of the process env.
    pub env: HashMap<String, Option<String>>,
    temp_dirs: Mutex<Vec<PathBuf>>,
    cache: Mutex<HashMap<String, String>>,
    /// Every exec request, with how long it took (for the no-hang tests).
    pub execs: Mutex<Vec<(Vec<String>, Duration, bool)>>,
}

fn perr(kind: ProbeErrorKind, message: impl Into<String>) -> ProbeError {
    ProbeError {
        kind,
        message: message.into().into(),
    }
}

fn io_err(what: &str, e: &std::io::Error) -> ProbeError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ProbeErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ProbeErrorKind::PermissionDenied,
        _ => ProbeErrorKind::Other,
    };
    perr(kind, format!("{what}: {e}"))
}

fn run_plain(argv: &[&str]) -> Option<String> {
    let out = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl LiveContext {
    /// Facts of this Linux machine, computed like the host does (enough for these plugins).
    pub fn new() -> LiveContext {
        let path = std::env::var("PATH").unwrap_or_default();
        let chip = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let go = run_plain(&["go", "version"]).map(|v| GoFacts {
            path: "go".into(),
            version_output: v.into(),
            env_json: RString::new(),
            problem: ROption::RNone,
        });
        LiveContext {
            facts: Facts {
                os: std::env::consts::OS.into(),
                process_arch: std::env::consts::ARCH.into(),
                machine: run_plain(&["uname", "-m"]).unwrap_or_default().into(),
                os_version: run_plain(&["uname", "-r"]).unwrap_or_default().into(),
                translation: Translation::Native,
                translation_evidence: "".into(),
                chip: chip.map(RString::from).into(),
                go: go.into(),
            },
            options: RunOptions::default(),
            path,
            env: HashMap::new(),
            temp_dirs: Mutex::new(Vec::new()),
            cache: Mutex::new(HashMap::new()),
            execs: Mutex::new(Vec::new()),
        }
    }

    pub fn with_path(mut self, path: &str) -> LiveContext {
        self.path = path.to_owned();
        self
    }

    pub fn with_env(mut self, name: &str, value: Option<&str>) -> LiveContext {
        self.env.insert(name.to_owned(), value.map(str::to_owned));
        self
    }

    pub fn with_options(mut self, options: RunOptions) -> LiveContext {
        self.options = options;
        self
    }

    /// Run the plugin's checks (all when `selection` is empty) exactly as the exported entry does.
    pub fn run(&self, plugin: &str, selection: &[&str]) -> Vec<Finding> {
        let object = HostContext_TO::from_ptr(self, TD_Opaque);
        let selection: Vec<RString> = selection.iter().map(|s| RString::from(*s)).collect();
        gohost_plugin_api::runtime::run_checks(plugin, &object, &selection)
    }

    fn resolve(&self, name: &str) -> Vec<PathBuf> {
        if name.contains('/') {
            return vec![PathBuf::from(name)];
        }
        self.path
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(name))
            .filter(|p| {
                p.metadata()
                    .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
            })
            .collect()
    }

    fn exec_inner(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        let argv: Vec<String> = request.argv.iter().map(|s| s.to_string()).collect();
        let Some(first) = argv.first() else {
            return Err(perr(ProbeErrorKind::InvalidInput, "empty argv"));
        };
        let program = self.resolve(first).into_iter().next().ok_or_else(|| {
            perr(
                ProbeErrorKind::NotFound,
                format!("`{first}` not found on PATH"),
            )
        })?;
        let mut cmd = std::process::Command::new(&program);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if request.clear_env {
            cmd.env_clear();
        }
        cmd.env("PATH", &self.path);
        for e in request.env.iter() {
            match &e.value {
                ROption::RSome(v) => cmd.env(e.name.as_str(), v.as_str()),
                ROption::RNone => cmd.env_remove(e.name.as_str()),
            };
        }
        if let ROption::RSome(cwd) = &request.cwd {
            cmd.current_dir(cwd.as_str());
        }
        let timeout = if request.timeout_ms == 0 {
            DEFAULT_TIMEOUT
        } else {
            Duration::from_millis(request.timeout_ms)
        };
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| io_err(first, &e))?;
        let pgid = child.id() as i32;
        let mut out_pipe = child.stdout.take().unwrap();
        let mut err_pipe = child.stderr.take().unwrap();
        let out_t = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = out_pipe.read_to_end(&mut b);
            b
        });
        let err_t = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = err_pipe.read_to_end(&mut b);
            b
        });
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| io_err(first, &e))? {
                break status;
            }
            if started.elapsed() >= timeout {
                timed_out = true;
                // SAFETY: plain libc call on a process group we created.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                break child.wait().map_err(|e| io_err(first, &e))?;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if timed_out {
            // Grandchildren may still hold the pipes; the group kill above ended them.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let stdout = out_t.join().unwrap_or_default();
        let stderr = err_t.join().unwrap_or_default();
        self.execs
            .lock()
            .unwrap()
            .push((argv.clone(), started.elapsed(), timed_out));
        Ok(ExecOutput {
            exit: ExitInfo {
                code: status.code().into(),
                signal: status.signal().into(),
                timed_out,
            },
            stdout: stdout.into(),
            stderr: stderr.into(),
            truncated: false,
        })
    }
}

impl Default for LiveContext {
    fn default() -> Self {
        LiveContext::new()
    }
}

impl Drop for LiveContext {
    fn drop(&mut self) {
        for d in self.temp_dirs.lock().map(|d| d.clone()).unwrap_or_default() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn kind_of(m: &std::fs::Metadata) -> FileKind {
    let t = m.file_type();
    if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_dir() {
        FileKind::Dir
    } else if t.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

impl HostContext for LiveContext {
    fn facts(&self) -> Facts {
        self.facts.clone()
    }
    fn options(&self) -> RunOptions {
        self.options
    }
    fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError> {
        self.exec_inner(&request).into()
    }
    fn sysctl(&self, name: RStr<'_>) -> RResult<RString, ProbeError> {
        let path = format!("/proc/sys/{}", name.as_str().replace('.', "/"));
        std::fs::read_to_string(&path)
            .map(|s| RString::from(s.trim()))
            .map_err(|e| io_err(&path, &e))
            .into()
    }
    fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError> {
        let cap = if max_bytes == 0 { 256 << 20 } else { max_bytes };
        let res = std::fs::File::open(path.as_str()).and_then(|f| {
            let mut b = Vec::new();
            f.take(cap).read_to_end(&mut b)?;
            Ok(b)
        });
        res.map(RVec::from)
            .map_err(|e| io_err(path.as_str(), &e))
            .into()
    }
    fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError> {
        let res = std::fs::read_dir(path.as_str()).and_then(|rd| {
            let mut v = Vec::new();
            for e in rd {
                let e = e?;
                let kind = e
                    .path()
                    .symlink_metadata()
                    .map(|m| kind_of(&m))
                    .unwrap_or(FileKind::Other);
                v.push(DirEntry {
                    name: e.file_name().to_string_lossy().into_owned().into(),
                    kind,
                });
            }
            v.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(v)
        });
        res.map(RVec::from)
            .map_err(|e| io_err(path.as_str(), &e))
            .into()
    }
    fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError> {
        let p = Path::new(path.as_str());
        let res = p.symlink_metadata().map(|m| FileInfo {
            kind: kind_of(&m),
            size: m.len(),
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            link_target: std::fs::read_link(p)
                .ok()
                .map(|t| RString::from(t.to_string_lossy().into_owned()))
                .into(),
            canonical: std::fs::canonicalize(p)
                .ok()
                .map(|t| RString::from(t.to_string_lossy().into_owned()))
                .into(),
        });
        res.map_err(|e| io_err(path.as_str(), &e)).into()
    }
    fn env(&self, name: RStr<'_>) -> ROption<RString> {
        if let Some(v) = self.env.get(name.as_str()) {
            return v.clone().map(RString::from).into();
        }
        if name.as_str() == "PATH" {
            return ROption::RSome(self.path.clone().into());
        }
        std::env::var(name.as_str()).ok().map(RString::from).into()
    }
    fn which(&self, name: RStr<'_>) -> RVec<RString> {
        self.resolve(name.as_str())
            .into_iter()
            .filter(|p| p.exists())
            .map(|p| RString::from(p.to_string_lossy().into_owned()))
            .collect()
    }
    fn make_temp_dir(&self) -> RResult<RString, ProbeError> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("gohost-live-{}-{n}", std::process::id()));
        match std::fs::create_dir_all(&dir) {
            Ok(()) => {
                self.temp_dirs.lock().unwrap().push(dir.clone());
                RResult::ROk(dir.to_string_lossy().into_owned().into())
            }
            Err(e) => RResult::RErr(io_err("temp dir", &e)),
        }
    }
    fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError> {
        let p = Path::new(path.as_str());
        let allowed = self
            .temp_dirs
            .lock()
            .unwrap()
            .iter()
            .any(|d| p.starts_with(d));
        if !allowed {
            return RResult::RErr(perr(
                ProbeErrorKind::PermissionDenied,
                "write_file is only allowed below a temp dir",
            ));
        }
        std::fs::write(p, contents.as_slice())
            .map_err(|e| io_err(path.as_str(), &e))
            .into()
    }
    fn progress(&self, _message: RStr<'_>) {}
    fn log(&self, _level: LogLevel, _target: RStr<'_>, _message: RStr<'_>) {}
    fn cache_get(&self, key: RStr<'_>) -> ROption<RString> {
        self.cache
            .lock()
            .unwrap()
            .get(key.as_str())
            .cloned()
            .map(RString::from)
            .into()
    }
    fn cache_put(&self, key: RStr<'_>, value: RStr<'_>) {
        self.cache
            .lock()
            .unwrap()
            .insert(key.to_string(), value.to_string());
    }
}

/// The single finding of `check` (panics with the list when there is not exactly one).
pub fn one<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.check == check).collect();
    assert_eq!(
        matching.len(),
        1,
        "expected exactly one finding for {check}, got {findings:#?}"
    );
    matching[0]
}

/// Evidence value for `key` of a finding (panics with the finding when missing).
pub fn ev<'a>(f: &'a Finding, key: &str) -> &'a str {
    f.evidence_value(key)
        .unwrap_or_else(|| panic!("no evidence `{key}` in {f:#?}"))
}
