//! TEST-ONLY: a minimal live host context (std::fs / std::process) so the plugin's checks run
//! in-process against real files, a real `go` and a real checksum database server. It is not
//! the gohost host (host/ crate) and implements only what these tests need: reads, exec with
//! a timeout and an explicit environment, an in-memory cache.

#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::io::Read as _;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gohost_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use gohost_plugin_api::abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};
use gohost_plugin_api::{
    DirEntry, ExecOutput, ExecRequest, ExitInfo, Facts, FileInfo, FileKind, Finding, GoFacts,
    HostContext, HostContext_TO, HttpResponse, LogLevel, ProbeError, ProbeErrorKind, RunOptions,
    Translation,
};

pub struct LiveContext {
    pub env: HashMap<String, String>,
    pub options: RunOptions,
    facts: Facts,
    cache: Mutex<HashMap<String, String>>,
}

fn err(e: std::io::Error, path: &str) -> ProbeError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ProbeErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ProbeErrorKind::PermissionDenied,
        _ => ProbeErrorKind::Other,
    };
    ProbeError {
        kind,
        message: format!("{path}: {e}").into(),
    }
}

impl LiveContext {
    /// `env` is the whole environment the plugin (and commands it runs) see; `go env -json`
    /// is run for real with it in `cwd` to fill the Go facts, as the host does.
    pub fn new(env: HashMap<String, String>, cwd: &str, online: bool) -> LiveContext {
        let go = which("go", &env).unwrap_or_else(|| "go".to_owned());
        let run = |args: &[&str]| {
            std::process::Command::new(&go)
                .args(args)
                .env_clear()
                .envs(&env)
                .current_dir(cwd)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let facts = Facts {
            os: std::env::consts::OS.into(),
            process_arch: std::env::consts::ARCH.into(),
            machine: std::env::consts::ARCH.into(),
            os_version: "".into(),
            translation: Translation::Native,
            translation_evidence: "".into(),
            chip: ROption::RNone,
            go: ROption::RSome(GoFacts {
                path: go.clone().into(),
                version_output: run(&["version"]).into(),
                env_json: run(&["env", "-json"]).into(),
                problem: ROption::RNone,
            }),
        };
        LiveContext {
            env,
            options: RunOptions {
                online,
                ..RunOptions::default()
            },
            facts,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Run the selected checks of the sumdb plugin in-process (exactly the exported entry).
    pub fn run(&self, checks: &[&str]) -> Vec<Finding> {
        let object = HostContext_TO::from_ptr(self, TD_Opaque);
        let selection: Vec<RString> = checks.iter().map(|s| RString::from(*s)).collect();
        gohost_plugin_api::runtime::run_checks("sumdb", &object, &selection)
    }
}

fn which(name: &str, env: &HashMap<String, String>) -> Option<String> {
    env.get("PATH")?.split(':').find_map(|dir| {
        let p = format!("{dir}/{name}");
        std::path::Path::new(&p).is_file().then_some(p)
    })
}

impl HostContext for LiveContext {
    fn facts(&self) -> Facts {
        self.facts.clone()
    }
    fn options(&self) -> RunOptions {
        self.options
    }
    fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError> {
        let argv: Vec<String> = request.argv.iter().map(|s| s.to_string()).collect();
        let Some(first) = argv.first() else {
            return RResult::RErr(ProbeError {
                kind: ProbeErrorKind::InvalidInput,
                message: "empty argv".into(),
            });
        };
        let program = if first.contains('/') {
            first.clone()
        } else {
            which(first, &self.env).unwrap_or_else(|| first.clone())
        };
        let mut cmd = std::process::Command::new(program);
        cmd.args(&argv[1..]).env_clear();
        if !request.clear_env {
            cmd.envs(&self.env);
        }
        for var in request.env.iter() {
            match &var.value {
                ROption::RSome(v) => cmd.env(var.name.as_str(), v.as_str()),
                ROption::RNone => cmd.env_remove(var.name.as_str()),
            };
        }
        if let ROption::RSome(dir) = &request.cwd {
            cmd.current_dir(dir.as_str());
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return RResult::RErr(err(e, first)),
        };
        let timeout = Duration::from_millis(if request.timeout_ms == 0 {
            30_000
        } else {
            request.timeout_ms
        });
        let (mut out, mut errout) = (child.stdout.take(), child.stderr.take());
        let t_out = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(o) = out.as_mut() {
                let _ = o.read_to_end(&mut b);
            }
            b
        });
        let t_err = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(o) = errout.as_mut() {
                let _ = o.read_to_end(&mut b);
            }
            b
        });
        let started = Instant::now();
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if started.elapsed() > timeout => {
                    let _ = child.kill();
                    timed_out = true;
                    break child.wait().ok();
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        use std::os::unix::process::ExitStatusExt as _;
        RResult::ROk(ExecOutput {
            exit: ExitInfo {
                code: status.and_then(|s| s.code()).into(),
                signal: status.and_then(|s| s.signal()).into(),
                timed_out,
            },
            stdout: t_out.join().unwrap_or_default().into(),
            stderr: t_err.join().unwrap_or_default().into(),
            truncated: false,
        })
    }
    fn sysctl(&self, _name: RStr<'_>) -> RResult<RString, ProbeError> {
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "not in tests".into(),
        })
    }
    fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError> {
        match std::fs::read(path.as_str()) {
            Ok(mut d) => {
                if max_bytes > 0 {
                    d.truncate(usize::try_from(max_bytes).unwrap_or(usize::MAX));
                }
                RResult::ROk(d.into())
            }
            Err(e) => RResult::RErr(err(e, path.as_str())),
        }
    }
    fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError> {
        let rd = match std::fs::read_dir(path.as_str()) {
            Ok(rd) => rd,
            Err(e) => return RResult::RErr(err(e, path.as_str())),
        };
        let mut out = RVec::new();
        for entry in rd.flatten() {
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => FileKind::Symlink,
                Ok(t) if t.is_dir() => FileKind::Dir,
                Ok(t) if t.is_file() => FileKind::File,
                _ => FileKind::Other,
            };
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned().into(),
                kind,
            });
        }
        RResult::ROk(out)
    }
    fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError> {
        use std::os::unix::fs::MetadataExt as _;
        let md = match std::fs::symlink_metadata(path.as_str()) {
            Ok(m) => m,
            Err(e) => return RResult::RErr(err(e, path.as_str())),
        };
        let ft = md.file_type();
        RResult::ROk(FileInfo {
            kind: if ft.is_symlink() {
                FileKind::Symlink
            } else if ft.is_dir() {
                FileKind::Dir
            } else if ft.is_file() {
                FileKind::File
            } else {
                FileKind::Other
            },
            size: md.len(),
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            link_target: std::fs::read_link(path.as_str())
                .ok()
                .map(|p| RString::from(p.to_string_lossy().into_owned()))
                .into(),
            canonical: std::fs::canonicalize(path.as_str())
                .ok()
                .map(|p| RString::from(p.to_string_lossy().into_owned()))
                .into(),
        })
    }
    fn env(&self, name: RStr<'_>) -> ROption<RString> {
        self.env
            .get(name.as_str())
            .map(|v| RString::from(v.as_str()))
            .into()
    }
    fn which(&self, name: RStr<'_>) -> RVec<RString> {
        which(name.as_str(), &self.env)
            .map(RString::from)
            .into_iter()
            .collect()
    }
    fn make_temp_dir(&self) -> RResult<RString, ProbeError> {
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "not in tests".into(),
        })
    }
    fn write_file(&self, _path: RStr<'_>, _contents: RSlice<'_, u8>) -> RResult<(), ProbeError> {
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "not in tests".into(),
        })
    }
    fn progress(&self, _message: RStr<'_>) {}
    fn log(&self, _level: LogLevel, _target: RStr<'_>, _message: RStr<'_>) {}
    fn cache_get(&self, key: RStr<'_>) -> ROption<RString> {
        self.cache
            .lock()
            .ok()
            .and_then(|c| c.get(key.as_str()).cloned())
            .map(RString::from)
            .into()
    }
    fn cache_put(&self, key: RStr<'_>, value: RStr<'_>) {
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key.to_string(), value.to_string());
        }
    }
    /// HTTP through the real host's live probe (the code users run), with the host's rule:
    /// no network unless the run is online.
    fn http_get(
        &self,
        url: RStr<'_>,
        timeout_ms: u64,
        max_bytes: u64,
    ) -> RResult<HttpResponse, ProbeError> {
        use gohost::probes::Probes as _;
        if !self.options.online {
            return RResult::RErr(ProbeError {
                kind: ProbeErrorKind::PermissionDenied,
                message: format!("network access is off: GET {url} refused").into(),
            });
        }
        static PROBES: std::sync::OnceLock<gohost::probes::live::LiveProbes> =
            std::sync::OnceLock::new();
        let probes = PROBES.get_or_init(|| {
            gohost::probes::live::LiveProbes::new(Default::default(), std::env::temp_dir())
        });
        probes.http_get(url.as_str(), timeout_ms, max_bytes).into()
    }
}
