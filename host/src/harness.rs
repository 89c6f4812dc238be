//! A live, in-process host context for plugin tests: the real probes ([`LiveProbes`]) and the
//! real shared facts ([`crate::facts::compute`]), without a dylib or a worker, plus the
//! overlays tests need (a PATH of their own, environment overrides or a whole replaced
//! environment with a working directory, a log of every command).
//!
//! Plugin crates use it as a dev-dependency (`gohost = { workspace = true }`), so their live
//! tests exercise exactly the probe code users run, instead of a test-only copy of it.
//! It is not used by gohost itself.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RString, RVec};
use gohost_plugin_api::{
    DirEntry, EnvVar, ExecOutput, ExecRequest, Facts, FileInfo, Finding, HostContext_TO,
    HttpResponse, LogLevel, ProbeError, RunOptions,
};

use crate::cache::Cache;
use crate::context::{EventSink, HostCtx};
use crate::probes::live::{running_as_root, which_in, Limits, LiveProbes};
use crate::probes::Probes;

/// Every command run: argv, wall time, whether it timed out.
type ExecLog = Mutex<Vec<(Vec<String>, Duration, bool)>>;

/// The live probes seen through the harness's overlays. Also what the Go facts are computed
/// with after [`LiveHarness::with_environment`], so they describe the `go` the plugin will run.
struct OverlayProbes {
    live: LiveProbes,
    /// PATH used to resolve commands and `which`, and passed to every command.
    path: String,
    /// Overrides seen by `env()` and commands (None = unset).
    env: HashMap<String, Option<String>>,
    /// Only `env` exists: the process environment is not inherited.
    replaced: bool,
    /// The working directory of commands that do not ask for one.
    cwd: Option<String>,
    execs: Arc<ExecLog>,
}

impl OverlayProbes {
    fn overlaid(&self, request: &ExecRequest) -> ExecRequest {
        let mut request = request.clone();
        if self.replaced && !request.clear_env {
            // The replaced environment first, so the plugin's own settings win.
            let mut env: RVec<EnvVar> = self
                .env
                .iter()
                .filter_map(|(name, value)| {
                    value.as_ref().map(|v| EnvVar {
                        name: name.as_str().into(),
                        value: ROption::RSome(v.as_str().into()),
                    })
                })
                .collect();
            env.extend(request.env.iter().cloned());
            request.env = env;
            request.clear_env = true;
        }
        if !request.env.iter().any(|e| e.name == "PATH") {
            request.env.push(EnvVar {
                name: "PATH".into(),
                value: ROption::RSome(self.path.as_str().into()),
            });
        }
        if request.cwd.is_none() {
            request.cwd = self.cwd.as_deref().map(RString::from).into();
        }
        request
    }
}

impl Probes for OverlayProbes {
    fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        let started = Instant::now();
        let result = self.live.exec(&self.overlaid(request));
        let timed_out = result.as_ref().is_ok_and(|o| o.exit.timed_out);
        if let Ok(mut execs) = self.execs.lock() {
            execs.push((
                request.argv.iter().map(|a| a.to_string()).collect(),
                started.elapsed(),
                timed_out,
            ));
        }
        result
    }
    fn sysctl(&self, name: &str) -> Result<String, ProbeError> {
        self.live.sysctl(name)
    }
    fn read_file(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        self.live.read_file(path, max_bytes)
    }
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, ProbeError> {
        self.live.read_dir(path)
    }
    fn read_file_at(&self, path: &str, offset: u64, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        self.live.read_file_at(path, offset, max_bytes)
    }
    fn file_info(&self, path: &str) -> Result<FileInfo, ProbeError> {
        self.live.file_info(path)
    }
    fn env(&self, name: &str) -> Option<String> {
        if name == "PATH" {
            return Some(self.path.clone());
        }
        match self.env.get(name) {
            Some(value) => value.clone(),
            None if self.replaced => None,
            None => self.live.env(name),
        }
    }
    fn which(&self, name: &str) -> Vec<String> {
        which_in(Some(OsString::from(&self.path)), name)
    }
    fn make_temp_dir(&self) -> Result<String, ProbeError> {
        self.live.make_temp_dir()
    }
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), ProbeError> {
        self.live.write_file(path, contents)
    }
    fn http_get(
        &self,
        url: &str,
        timeout_ms: u64,
        max_bytes: u64,
    ) -> Result<HttpResponse, ProbeError> {
        self.live.http_get(url, timeout_ms, max_bytes)
    }
}

/// Keeps the plugin's log lines for the test to read.
#[derive(Default)]
struct LogCollector(Mutex<Vec<(LogLevel, String, String)>>);

impl EventSink for LogCollector {
    fn log(&self, _plugin: &str, level: LogLevel, target: &str, message: &str) {
        if let Ok(mut logs) = self.0.lock() {
            logs.push((level, target.to_owned(), message.to_owned()));
        }
    }
    fn progress(&self, _plugin: &str, _message: &str) {}
}

/// The live context for tests: the host's own context ([`HostCtx`]) over the live probes and
/// the overlays. `facts` and `options` are public so a test can adjust them.
pub struct LiveHarness {
    pub facts: Facts,
    pub options: RunOptions,
    /// Every command the plugin ran: argv, wall time, whether it timed out.
    pub execs: Arc<ExecLog>,
    probes: Arc<OverlayProbes>,
    cache: Cache,
    logs: Arc<LogCollector>,
    _temp: tempfile::TempDir,
}

impl LiveHarness {
    /// The machine's real facts, a private temp root and an empty result cache.
    ///
    /// # Panics
    /// When no temporary directory can be created (test code).
    pub fn new() -> LiveHarness {
        let temp = tempfile::Builder::new()
            .prefix("gohost-harness-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .expect("a temp dir for the harness");
        let probes = OverlayProbes {
            live: LiveProbes::new(Limits::default(), temp.path().to_path_buf()),
            path: std::env::var("PATH").unwrap_or_default(),
            env: HashMap::new(),
            replaced: false,
            cwd: None,
            execs: Arc::new(Mutex::new(Vec::new())),
        };
        let facts = crate::facts::compute(&probes);
        let execs = Arc::clone(&probes.execs);
        let harness = LiveHarness {
            facts,
            // As `gohost run` decides it: root checks run when the tests run as root.
            options: RunOptions {
                allow_root: running_as_root(),
                ..RunOptions::default()
            },
            execs,
            probes: Arc::new(probes),
            cache: Cache::new(Some(temp.path().join("cache")), true),
            logs: Arc::new(LogCollector::default()),
            _temp: temp,
        };
        harness.forget_execs();
        harness
    }

    /// The commands so far were the harness's own (the facts), not the plugin's.
    fn forget_execs(&self) {
        if let Ok(mut execs) = self.execs.lock() {
            execs.clear();
        }
    }

    fn overlays(&mut self) -> &mut OverlayProbes {
        // Only the harness holds the probes between runs.
        Arc::get_mut(&mut self.probes).expect("overlays are set before running checks")
    }

    /// Resolve and run commands with this PATH (the facts keep describing the real PATH).
    pub fn with_path(mut self, path: &str) -> LiveHarness {
        self.overlays().path = path.to_owned();
        self
    }

    /// Override one variable (None = unset) for `env()` and every command.
    pub fn with_env(mut self, name: &str, value: Option<&str>) -> LiveHarness {
        self.overlays()
            .env
            .insert(name.to_owned(), value.map(str::to_owned));
        self
    }

    /// Replace the whole environment: the plugin and its commands see only `env` (PATH
    /// included), and commands run in `cwd` unless they ask for another directory. The Go
    /// facts are computed again, with that environment and in that directory, as the host
    /// would compute them for a user whose shell looked like this.
    pub fn with_environment(mut self, env: HashMap<String, String>, cwd: &Path) -> LiveHarness {
        let overlays = self.overlays();
        overlays.path = env.get("PATH").cloned().unwrap_or_default();
        overlays.env = env.into_iter().map(|(k, v)| (k, Some(v))).collect();
        overlays.replaced = true;
        overlays.cwd = Some(cwd.to_string_lossy().into_owned());
        self.facts.go = crate::facts::go_facts(&*self.probes, None).into();
        self.forget_execs();
        self
    }

    pub fn with_options(mut self, options: RunOptions) -> LiveHarness {
        self.options = options;
        self
    }

    /// Run the plugin's checks (all when `selection` is empty) exactly as the exported entry
    /// point does (panics caught, ids filled in, durations measured), through the host's own
    /// context: its rules for the cache, logs and the network hold here too.
    pub fn run(&self, plugin: &str, selection: &[&str]) -> Vec<Finding> {
        let ctx = HostCtx {
            plugin: plugin.to_owned(),
            facts: self.facts.clone(),
            options: self.options,
            probes: self.probes.clone(),
            cache: self.cache.clone(),
            events: self.logs.clone(),
        };
        let object = HostContext_TO::from_ptr(&ctx, TD_Opaque);
        let selection: Vec<RString> = selection.iter().map(|s| RString::from(*s)).collect();
        gohost_plugin_api::runtime::run_checks(plugin, &object, &selection)
    }

    /// Call `f` with the plugin-side context (`Ctx`) of a run of `plugin` through the host's
    /// own context, for testing a plugin's helpers (not only its checks) on the live machine.
    pub fn with_ctx<R>(&self, plugin: &str, f: impl FnOnce(&gohost_plugin_api::Ctx<'_>) -> R) -> R {
        let ctx = HostCtx {
            plugin: plugin.to_owned(),
            facts: self.facts.clone(),
            options: self.options,
            probes: self.probes.clone(),
            cache: self.cache.clone(),
            events: self.logs.clone(),
        };
        let object = HostContext_TO::from_ptr(&ctx, TD_Opaque);
        let ctx = gohost_plugin_api::Ctx::new(&object, plugin);
        f(&ctx)
    }

    /// Log lines the plugin sent: (level, target, message).
    pub fn logs(&self) -> Vec<(LogLevel, String, String)> {
        self.logs.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Default for LiveHarness {
    fn default() -> LiveHarness {
        LiveHarness::new()
    }
}
