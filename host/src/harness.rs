//! The in-process host for plugin tests (cargo feature `harness`): a plugin's linked checks
//! run through the host's own invocation path (`invoke.rs`: the manifest's plan and
//! capability gate, the host's `HostCtx`, the same merge of `skip` findings), without a
//! dylib or a worker.
//!
//! Live ([`Harness::new`]): the real probes (`LiveProbes`) and the real shared facts
//! (`facts::compute`), plus the overlays tests need (a PATH of their own, environment
//! overrides or a whole replaced environment with a working directory, a log of every
//! command). Replay ([`Harness::replay`]): a snapshot read by the same code, with the same
//! checks and error wording, as `gohost run --replay`; [`Harness::replay_snapshot`] does the
//! same for a snapshot a test built or edited (written to the harness's temp dir and read back
//! by that code). [`Harness::with_exec`] lets a test answer chosen commands itself (a
//! made-up machine state), on top of the same context.
//!
//! A selection naming a check the plugin does not have is the usage error `gohost run` gives
//! ([`HarnessError::Selection`]), returned to the test rather than panicking.
//!
//! Plugin crates use it as a dev-dependency (`gohost = { workspace = true, features =
//! ["harness"] }`), so their tests exercise exactly the code users run, instead of a
//! test-only copy of it. It is not used by gohost itself.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abi_stable::std_types::{ROption, RString, RVec};
use gohost_plugin_api::{
    EnvVar, ExecOutput, ExecRequest, Facts, Finding, LogLevel, ProbeError, RunOptions,
};

use gohost_plugin_api::snapshot::Snapshot;

use crate::context::EventSink;
use crate::context::HostCtx;
pub use crate::invoke::SnapshotReadError;
use crate::invoke::{self, Entry, Source};
/// Whether this process runs as root (what `gohost run` decides root checks from).
pub use crate::probes::live::running_as_root;
use crate::probes::live::{which_in, Limits, LiveProbes};
use crate::probes::{forward_probes, Probes};

/// Every command run: argv, wall time, whether it timed out.
type ExecLog = Mutex<Vec<(Vec<String>, Duration, bool)>>;

/// A test's own answer to chosen commands (`None`: ask the probes below).
type ExecHook = dyn Fn(&ExecRequest) -> Option<Result<ExecOutput, ProbeError>> + Send + Sync;

/// What the harness cannot do for a test.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The selection names a check the plugin does not have: `gohost run`'s usage error.
    #[error("{0}")]
    Selection(String),
    /// The snapshot could not be used, in `gohost run --replay`'s wording.
    #[error(transparent)]
    Snapshot(#[from] SnapshotReadError),
    /// A snapshot built by the test could not be written for the host to read.
    #[error("cannot write the test's snapshot to {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// The live probes seen through the harness's overlays. Also what the Go facts are computed
/// with after [`Harness::with_environment`], so they describe the `go` the plugin will run.
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
    // `env_answer`/`which_answer` are not forwarded: the trait's defaults answer from this
    // layer's own `env`/`which`.
    forward_probes!(live => sysctl, read_file, read_dir, read_file_at, file_info, file_identity,
        read_dir_identities, plugin_setting, make_temp_dir, write_file, http_get);
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
}

/// The probes of one run with a test's exec hook in front: commands the hook answers never
/// reach the probes below; everything else (and every other probe) is theirs.
struct HookedProbes {
    inner: Arc<dyn Probes>,
    hook: Arc<ExecHook>,
}

impl Probes for HookedProbes {
    fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        match (self.hook)(request) {
            Some(answer) => answer,
            None => self.inner.exec(request),
        }
    }
    forward_probes!(inner => sysctl, read_file, read_dir, read_file_at, file_info, file_identity,
        read_dir_identities, plugin_setting, env, which, env_answer, which_answer, make_temp_dir,
        write_file, http_get);
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

/// Where the harness's probes are answered from.
enum Answers {
    /// This machine, through the overlays.
    Live(Arc<OverlayProbes>),
    /// A snapshot, as `gohost run --replay` answers (each run gets a fresh replayer).
    Replay(Source),
}

/// The host for plugin tests: the host's own context (`HostCtx`) over the live probes and
/// the overlays, or over a snapshot. `facts` and `options` are public so a test can adjust
/// them.
pub struct Harness {
    pub facts: Facts,
    pub options: RunOptions,
    /// Every command the plugin ran: argv, wall time, whether it timed out (live only).
    pub execs: Arc<ExecLog>,
    answers: Answers,
    exec_hook: Option<Arc<ExecHook>>,
    /// The result cache's directory (`None` for a replay: never read or written). The cache
    /// is made per run from the options then in force, as `gohost run` makes it from its own.
    cache_dir: Option<std::path::PathBuf>,
    /// A replay harness whose run is live ([`Harness::as_live_run`]).
    live_run: bool,
    logs: Arc<LogCollector>,
    _temp: tempfile::TempDir,
}

/// The name plugin tests were written against.
pub type LiveHarness = Harness;

fn harness_temp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("gohost-harness-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .expect("a temp dir for the harness")
}

impl Harness {
    /// The machine's real facts, a private temp root and an empty result cache.
    ///
    /// # Panics
    /// When no temporary directory can be created (test code).
    pub fn new() -> Harness {
        let temp = harness_temp();
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
        let harness = Harness {
            facts,
            // As `gohost run` decides it: root checks run when the tests run as root.
            options: RunOptions {
                allow_root: running_as_root(),
                ..RunOptions::default()
            },
            execs,
            answers: Answers::Live(Arc::new(probes)),
            exec_hook: None,
            cache_dir: Some(temp.path().join("cache")),
            live_run: false,
            logs: Arc::new(LogCollector::default()),
            _temp: temp,
        };
        harness.forget_execs();
        harness
    }

    /// Answer every probe from the snapshot at `path`, read as `gohost run --replay` reads it
    /// (the default `--max-snapshot-size`, the recording's `$HOME` mapped to this user's), with
    /// the options `gohost run --replay` has without other flags: no cache (never read or
    /// written), root checks only if allowed explicitly.
    ///
    /// # Panics
    /// When no temporary directory can be created (test code).
    pub fn replay(path: &Path) -> Result<Harness, HarnessError> {
        Harness::replay_in(path, harness_temp())
    }

    /// [`Harness::replay`] for a snapshot the test built or edited: it is written as JSON into
    /// the harness's private temp dir and read back by the same code (`invoke::read_snapshot`),
    /// so it is bounded, home-mapped and validated exactly as a `--replay` file is.
    ///
    /// # Panics
    /// When no temporary directory can be created (test code).
    pub fn replay_snapshot(snapshot: &Snapshot) -> Result<Harness, HarnessError> {
        let temp = harness_temp();
        let path = temp.path().join("snapshot.json");
        std::fs::write(&path, snapshot.to_json()).map_err(|source| HarnessError::Write {
            path: path.clone(),
            source,
        })?;
        Harness::replay_in(&path, temp)
    }

    fn replay_in(path: &Path, temp: tempfile::TempDir) -> Result<Harness, HarnessError> {
        let snapshot = invoke::read_snapshot(path, invoke::DEFAULT_MAX_SNAPSHOT_BYTES)?;
        Ok(Harness {
            facts: snapshot.facts.clone(),
            options: RunOptions {
                no_cache: true,
                replay: true,
                ..RunOptions::default()
            },
            execs: Arc::new(Mutex::new(Vec::new())),
            answers: Answers::Replay(Source::Replay(Arc::new(snapshot))),
            exec_hook: None,
            cache_dir: None,
            live_run: false,
            logs: Arc::new(LogCollector::default()),
            _temp: temp,
        })
    }

    /// The commands so far were the harness's own (the facts), not the plugin's.
    fn forget_execs(&self) {
        if let Ok(mut execs) = self.execs.lock() {
            execs.clear();
        }
    }

    fn overlays(&mut self) -> &mut OverlayProbes {
        match &mut self.answers {
            // Only the harness holds the probes between runs.
            Answers::Live(probes) => {
                Arc::get_mut(probes).expect("overlays are set before running checks")
            }
            Answers::Replay(_) => panic!("a replay harness answers from its snapshot alone"),
        }
    }

    /// Resolve and run commands with this PATH (the facts keep describing the real PATH).
    pub fn with_path(mut self, path: &str) -> Harness {
        self.overlays().path = path.to_owned();
        self
    }

    /// Override one variable (None = unset) for `env()` and every command.
    pub fn with_env(mut self, name: &str, value: Option<&str>) -> Harness {
        self.overlays()
            .env
            .insert(name.to_owned(), value.map(str::to_owned));
        self
    }

    /// Replace the whole environment: the plugin and its commands see only `env` (PATH
    /// included), and commands run in `cwd` unless they ask for another directory. The Go
    /// facts are computed again, with that environment and in that directory, as the host
    /// would compute them for a user whose shell looked like this.
    pub fn with_environment(mut self, env: HashMap<String, String>, cwd: &Path) -> Harness {
        let overlays = self.overlays();
        overlays.path = env.get("PATH").cloned().unwrap_or_default();
        overlays.env = env.into_iter().map(|(k, v)| (k, Some(v))).collect();
        overlays.replaced = true;
        overlays.cwd = Some(cwd.to_string_lossy().into_owned());
        let facts = match &self.answers {
            Answers::Live(probes) => crate::facts::go_facts(&**probes, None),
            Answers::Replay(_) => unreachable!("overlays() refused a replay harness"),
        };
        self.facts.go = facts.into();
        self.forget_execs();
        self
    }

    /// Set `key` of `[plugins.<plugin>]` to `value`, TOML text as in gohost.toml (`"\"x\""`,
    /// `"3"`, `"[\"a\"]"`): what the plugin's `Ctx::setting(key)` answers.
    pub fn with_setting(mut self, plugin: &str, key: &str, value: &str) -> Harness {
        // The live probes answer `plugin_setting` from the run's tables, as in `gohost run`.
        self.overlays()
            .live
            .settings_mut()
            .entry(plugin.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// Run with `options` (the flags of a `gohost run`). A replay harness keeps `replay` set
    /// whatever `options` says, as every `gohost run --replay` has it (unless
    /// [`Harness::as_live_run`] made its run live).
    pub fn with_options(mut self, options: RunOptions) -> Harness {
        let replay = matches!(self.answers, Answers::Replay(_)) && !self.live_run;
        self.options = RunOptions {
            replay: options.replay || replay,
            ..options
        };
        self
    }

    /// Treat a replay harness's snapshot as this machine's answers and make the run live:
    /// `options.replay` off and a result cache in the harness's private temp dir, read unless
    /// `no_cache` — what `gohost run` without `--replay` has on a machine that answers like
    /// the snapshot. For tests of a plugin's live-only behaviour (its use of the result cache)
    /// on a machine state the test made up; a replay never reads or writes the cache.
    pub fn as_live_run(mut self) -> Harness {
        if matches!(self.answers, Answers::Replay(_)) {
            self.live_run = true;
            self.options.replay = false;
            self.options.no_cache = false;
            self.cache_dir = Some(self._temp.path().join("cache"));
        }
        self
    }

    /// Answer commands with `hook` first (a machine state the test makes up); `None` falls
    /// through to the snapshot or the machine. The hook sits under the host's context, so
    /// everything else a check does still goes through `HostCtx` as in `gohost run`.
    pub fn with_exec(
        mut self,
        hook: impl Fn(&ExecRequest) -> Option<Result<ExecOutput, ProbeError>> + Send + Sync + 'static,
    ) -> Harness {
        self.exec_hook = Some(Arc::new(hook));
        self
    }

    /// Run the plugin's checks (all when `selection` is empty) the way gohost runs a plugin
    /// (`invoke.rs`): planned from the manifest of the linked checks (the capability
    /// gate's `skip`s merged in), then the runtime's entry (panics caught, ids filled in,
    /// durations measured) through the host's own context: its rules for the cache, logs and
    /// the network hold here too.
    ///
    /// # Errors
    /// [`HarnessError::Selection`] when `selection` names a check the plugin does not have:
    /// the usage error `gohost run` refuses it with, before any check runs.
    pub fn run(&self, plugin: &str, selection: &[&str]) -> Result<Vec<Finding>, HarnessError> {
        let manifest = gohost_plugin_api::runtime::manifest(plugin, "", "");
        let selection: Vec<String> = selection.iter().map(|s| (*s).to_owned()).collect();
        let plan =
            invoke::plan(&manifest, &selection, &self.options).map_err(HarnessError::Selection)?;
        let ctx = self.host_ctx(plugin);
        let findings = match &plan.run {
            Some(checks) => invoke::call(Entry::Linked(plugin.to_owned()), &ctx, checks),
            None => Vec::new(),
        };
        Ok(invoke::with_not_run(findings, plan.not_run))
    }

    /// Call `f` with the plugin-side context (`Ctx`) of a run of `plugin` through the host's
    /// own context, for testing a plugin's helpers (not only its checks) on the live machine.
    pub fn with_ctx<R>(&self, plugin: &str, f: impl FnOnce(&gohost_plugin_api::Ctx<'_>) -> R) -> R {
        let ctx = self.host_ctx(plugin);
        let object = invoke::ffi_context(&ctx);
        let ctx = gohost_plugin_api::Ctx::new(&object, plugin);
        f(&ctx)
    }

    /// The host's context for `plugin` over this harness's answers, facts, cache and log.
    fn host_ctx(&self, plugin: &str) -> HostCtx {
        let probes: Arc<dyn Probes> = match &self.answers {
            Answers::Live(probes) => probes.clone(),
            Answers::Replay(source) => invoke::probe_stack(source, None),
        };
        let probes: Arc<dyn Probes> = match &self.exec_hook {
            Some(hook) => Arc::new(HookedProbes {
                inner: probes,
                hook: Arc::clone(hook),
            }),
            None => probes,
        };
        invoke::context(
            plugin,
            self.facts.clone(),
            self.options,
            probes,
            invoke::run_cache(self.cache_dir.clone(), &self.options),
            self.logs.clone(),
        )
    }

    /// Log lines the plugin sent: (level, target, message).
    pub fn logs(&self) -> Vec<(LogLevel, String, String)> {
        self.logs.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Default for Harness {
    fn default() -> Harness {
        Harness::new()
    }
}
