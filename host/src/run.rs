//! One run: discover plugin files, resolve the selection, compute the shared facts once, run
//! every selected plugin (in worker processes or in-process, in parallel, bounded), and
//! assemble the report (and the snapshot when recording).

mod job;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gohost_plugin_api::snapshot::Snapshot;
use gohost_plugin_api::{AbiVersionTag, Facts, PluginManifest, RunOptions};
use serde::Serialize;

use crate::cache::Cache;
use crate::context::EventSink;
use crate::discovery::{self, Candidate, Origin, SearchConfig};
use crate::invoke::{self, Setup};
use crate::probes::live::{Limits, LiveProbes};
use crate::progress::ProgressSink;
use crate::report::{self, LoadErrorEntry, Platform, Report, RunInfo, Summary};
use crate::worker::{RunDeadline, TimeLimit, Worker, WorkerFailure, WorkerStart};
use job::{run_in_process, run_in_worker, JobEvents, PluginRun};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// One worker process per plugin (survives crashes and hangs).
    Worker,
    /// In this process: faster, for development; a segfault or exit() ends gohost itself.
    None,
}

/// Which plugins and checks to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Plugin names; empty or `all` = every plugin.
    pub plugins: Vec<String>,
    pub checks: Vec<String>,
    pub skip: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub search: SearchConfig,
    pub selection: Selection,
    pub isolation: Isolation,
    pub plugin_timeout: Duration,
    /// The whole run's time limit (`--run-timeout`): plugins still running are killed, and
    /// ones not yet started are not started.
    pub run_timeout: Duration,
    pub exec_timeout: Duration,
    pub jobs: usize,
    pub options: RunOptions,
    pub strict: bool,
    pub record: bool,
    pub replay: Option<PathBuf>,
    /// The largest snapshot `--replay` reads (`--max-snapshot-size`).
    pub max_snapshot_bytes: u64,
    pub cache_dir: Option<PathBuf>,
    /// Show progress on stderr (only when it is a terminal).
    pub progress: bool,
    /// The gohost executable workers are started from.
    pub exe: PathBuf,
    /// `[plugins.<name>]` of the user's config, as TOML text per key (plugin API 1.3.0).
    pub plugin_settings: crate::probes::PluginSettings,
}

/// Errors that stop a run before a report exists.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad selection or input: exit 2.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

/// A plugin file that lost to an earlier one with the same name.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Shadowed {
    pub name: String,
    pub path: String,
    pub winner: String,
}

/// The outcome of one plugin job.
struct JobResult {
    candidate: Candidate,
    run: PluginRun,
    duration: Duration,
}

/// Everything `run` produces.
pub struct RunOutput {
    pub report: Report,
    /// The shared facts of the run (for redaction: the private patterns of `go env -json`).
    pub facts: Facts,
    pub shadowed: Vec<Shadowed>,
    pub snapshot: Option<Snapshot>,
}

/// Plugin files after discovery and de-duplication by name.
pub struct Resolved {
    pub winners: Vec<Candidate>,
    pub shadowed: Vec<Shadowed>,
    pub refused: Vec<LoadErrorEntry>,
}

pub fn resolve(search: &SearchConfig) -> Resolved {
    let found = discovery::discover(search);
    let mut winners: Vec<Candidate> = Vec::new();
    let mut shadowed = Vec::new();
    for candidate in found.candidates {
        if let Some(winner) = winners
            .iter()
            .find(|w| w.file_stem_name == candidate.file_stem_name)
        {
            shadowed.push(Shadowed {
                name: candidate.file_stem_name.clone(),
                path: candidate.path.display().to_string(),
                winner: winner.path.display().to_string(),
            });
        } else {
            winners.push(candidate);
        }
    }
    let refused = found
        .refused
        .into_iter()
        .map(|r| LoadErrorEntry {
            plugin: discovery::plugin_file_name(&r.path),
            path: r.path.display().to_string(),
            message: format!("refused: {}", r.reason),
        })
        .collect();
    Resolved {
        winners,
        shadowed,
        refused,
    }
}

fn list_names(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "none found (see `gohost list -v` for where gohost looked)".to_owned()
    } else {
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Which winners to run, and the checks selected per plugin (empty = all).
fn select(
    winners: &[Candidate],
    selection: &Selection,
) -> Result<Vec<(Candidate, Vec<String>)>, RunError> {
    let names: BTreeSet<String> = winners.iter().map(|c| c.file_stem_name.clone()).collect();
    let unknown = |kind: &str, name: &str| {
        RunError::Usage(format!(
            "unknown {kind} `{name}`; available plugins: {}",
            list_names(&names)
        ))
    };
    let mut explicit: BTreeSet<String> = BTreeSet::new();
    let mut all = selection.plugins.is_empty();
    for name in &selection.plugins {
        if name == "all" {
            all = true;
        } else if names.contains(name) {
            explicit.insert(name.clone());
        } else {
            return Err(unknown("plugin", name));
        }
    }
    for name in &selection.skip {
        if !names.contains(name) {
            return Err(unknown("plugin to skip", name));
        }
    }
    let mut checks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &selection.checks {
        let Some((plugin, rest)) = id.split_once('.') else {
            return Err(RunError::Usage(format!(
                "check ids look like `<plugin>.<check>` (e.g. `arch.translation`), not `{id}`; `gohost list` shows them"
            )));
        };
        if rest.is_empty() || !names.contains(plugin) {
            return Err(RunError::Usage(format!(
                "unknown check `{id}`: no plugin `{plugin}`; available plugins: {}",
                list_names(&names)
            )));
        }
        checks
            .entry(plugin.to_owned())
            .or_default()
            .push(id.clone());
    }
    let run_all = all && checks.is_empty();
    let selected = winners
        .iter()
        .filter(|c| !selection.skip.contains(&c.file_stem_name))
        .filter_map(|c| {
            let name = &c.file_stem_name;
            if explicit.contains(name) || (run_all && !checks.contains_key(name)) {
                Some((c.clone(), Vec::new()))
            } else if all && !checks.is_empty() && checks.contains_key(name) {
                Some((c.clone(), checks[name].clone()))
            } else {
                checks.get(name).map(|ids| (c.clone(), ids.clone()))
            }
        })
        .collect();
    Ok(selected)
}

/// Everything every plugin of this run is invoked with: the snapshot read once (`--replay`)
/// or the shared facts computed once; the flag says the Go facts came from the cache (never
/// with --no-cache, --record or --replay).
fn setup(config: &RunConfig, temp_root: &Path) -> Result<(Setup, bool), RunError> {
    let replay = match &config.replay {
        Some(path) => Some(Arc::new(
            invoke::read_snapshot(path, config.max_snapshot_bytes)
                .map_err(|e| RunError::Usage(e.to_string()))?,
        )),
        None => None,
    };
    let (facts, go_facts_cached) = match &replay {
        Some(snapshot) => (snapshot.facts.clone(), false),
        None => {
            let probes = LiveProbes::new(
                Limits {
                    default_exec_timeout: config.exec_timeout,
                    ..Limits::default()
                },
                temp_root.to_path_buf(),
            );
            let cache = (!config.options.no_cache && !config.record)
                .then(|| Cache::new(config.cache_dir.clone(), true));
            crate::facts::compute_cached(&probes, cache.as_ref())
        }
    };
    let setup = Setup {
        facts,
        options: config.options,
        replay,
        record: config.record,
        cache_dir: config.cache_dir.clone(),
        exec_timeout_ms: u64::try_from(config.exec_timeout.as_millis()).unwrap_or(u64::MAX),
        settings: Arc::new(config.plugin_settings.clone()),
    };
    Ok((setup, go_facts_cached))
}

/// Run `jobs` closures with at most `parallel` at a time, keeping their order.
fn bounded_parallel<T: Send, R: Send>(
    items: Vec<T>,
    parallel: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let total = items.len();
    let queue = Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter(),
    );
    let results = Mutex::new((0..total).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, total.max(1)) {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some((index, item)) = next else { break };
                let result = f(item);
                if let Ok(mut r) = results.lock() {
                    r[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Run the selected plugins and build the report.
pub fn run(config: &RunConfig) -> Result<RunOutput, RunError> {
    let started = Instant::now();
    // Everything counts against the run's limit, discovery and the shared facts included.
    let run_deadline = RunDeadline {
        at: started + config.run_timeout,
        limit: config.run_timeout,
    };
    let started_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0);
    let resolved = resolve(&config.search);
    if resolved.winners.is_empty() && resolved.refused.is_empty() {
        let searched: Vec<String> = discovery::search_dirs(&config.search)
            .into_iter()
            .map(|(dir, origin)| format!("{} [{}]", dir.display(), origin.describe()))
            .collect();
        return Err(RunError::Usage(format!(
            "no plugins found; searched: {}. Build them with `cargo xtask build`, or point gohost at them with --plugin-dir or GOHOST_PLUGIN_PATH",
            if searched.is_empty() { "nothing (no plugin directories configured)".to_owned() } else { searched.join(", ") }
        )));
    }
    let selected = select(&resolved.winners, &config.selection)
        .map_err(|e| crate::refusals::with_refusals(e, &resolved.refused))?;
    let temp = run_temp_dir()
        .map_err(|e| RunError::Io(format!("cannot create a temporary directory: {e}")))?;
    let (setup, go_facts_cached) = setup(config, temp.path())?;
    let facts = setup.facts.clone();
    let progress = Arc::new(ProgressSink::new(config.progress, selected.len()));

    let jobs: Vec<(usize, (Candidate, Vec<String>))> = selected.into_iter().enumerate().collect();
    let results = bounded_parallel(jobs, config.jobs, |(index, (candidate, checks))| {
        let job_started = Instant::now();
        let not_started = if crate::interrupt::requested() {
            Some(WorkerFailure::Interrupted)
        } else if Instant::now() >= run_deadline.at {
            Some(WorkerFailure::NotStarted {
                run_timeout: run_deadline.limit,
            })
        } else {
            None
        };
        if let Some(failure) = not_started {
            return JobResult {
                candidate,
                run: PluginRun::failed(failure, None, Vec::new()),
                duration: Duration::ZERO,
            };
        }
        let limit = TimeLimit {
            plugin: config.plugin_timeout,
            run: Some(run_deadline),
        };
        let span = tracing::info_span!("plugin", name = %candidate.file_stem_name);
        let _entered = span.enter();
        let temp_root = temp.path().join(format!("p{index}"));
        let _ = private_dir(&temp_root);
        let run = match config.isolation {
            Isolation::Worker => run_in_worker(
                config, &setup, &candidate, &checks, &temp_root, limit, &*progress,
            ),
            Isolation::None => {
                let sink: Arc<dyn EventSink> = progress.clone();
                run_in_process(&setup, &candidate, &checks, &temp_root, limit, sink)
            }
        };
        // Whatever the plugin left in its temp dirs goes now, even if it was killed.
        let _ = std::fs::remove_dir_all(&temp_root);
        progress.done(&candidate.file_stem_name);
        tracing::debug!(
            elapsed_ms = job_started.elapsed().as_millis() as u64,
            "plugin finished"
        );
        JobResult {
            candidate,
            run,
            duration: job_started.elapsed(),
        }
    });

    let selection_errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.run.selection_error.clone())
        .collect();
    if !selection_errors.is_empty() {
        return Err(RunError::Usage(selection_errors.join("\n")));
    }

    let mut plugins = Vec::new();
    let mut load_errors = resolved.refused.clone();
    let mut probes = Vec::new();
    for result in results {
        let JobResult {
            candidate,
            run,
            duration,
        } = result;
        let candidate = &candidate;
        let mut run = run;
        probes.append(&mut run.probes);
        let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        match job::result_of(candidate, run, duration_ms, config.run_timeout) {
            Ok(plugin) => plugins.push(plugin),
            Err(load_error) => load_errors.push(load_error),
        }
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name));
    load_errors.sort_by(|a, b| a.path.cmp(&b.path));
    let summary = Summary::count(&plugins, load_errors.len());
    let interrupted = crate::interrupt::requested();
    let exit_code = if interrupted {
        crate::interrupt::EXIT_INTERRUPTED
    } else {
        report::exit_code(&summary, config.strict)
    };
    let report = Report {
        schema_version: report::SCHEMA_VERSION,
        gohost_version: env!("CARGO_PKG_VERSION").to_owned(),
        plugin_api_version: AbiVersionTag::CURRENT.to_string(),
        platform: Platform {
            go_facts_cached,
            ..Platform::from_facts(&facts)
        },
        run: RunInfo {
            isolation: match config.isolation {
                Isolation::Worker => "worker".to_owned(),
                Isolation::None => "none".to_owned(),
            },
            online: config.options.online,
            deep: config.options.deep,
            allow_root: config.options.allow_root,
            strict: config.strict,
            replay: config.replay.as_ref().map(|p| p.display().to_string()),
            started_unix_ms,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            interrupted,
        },
        plugins,
        load_errors,
        summary,
        exit_code,
    };
    let snapshot = config.record.then(|| {
        let mut snapshot = Snapshot::new(
            facts.clone(),
            format!("gohost {}", env!("CARGO_PKG_VERSION")),
        );
        snapshot.probes = probes;
        snapshot
    });
    drop(temp);
    Ok(RunOutput {
        report,
        facts,
        shadowed: resolved.shadowed,
        snapshot,
    })
}

/// A plugin as `gohost list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub name: String,
    pub path: String,
    pub origin: Origin,
    pub manifest: Option<PluginManifest>,
    pub error: Option<String>,
}

/// Load every discovered plugin's manifest (in workers or in-process).
pub fn list(config: &RunConfig) -> (Vec<Listed>, Resolved) {
    let resolved = resolve(&config.search);
    let setup = Setup::listing();
    let sink = ProgressSink::new(false, 0);
    let listed = bounded_parallel(resolved.winners.clone(), config.jobs, |candidate| {
        let manifest: Result<PluginManifest, String> = match config.isolation {
            Isolation::None => crate::loader::load(
                &candidate.canonical,
                Some(&candidate.identity),
                Some(&candidate.file_stem_name),
            )
            .map(|p| p.manifest)
            .map_err(|e| e.to_string()),
            Isolation::Worker => {
                let start = WorkerStart {
                    plugin_path: candidate.canonical.clone(),
                    plugin_identity: Some(candidate.identity),
                    expected_name: Some(candidate.file_stem_name.clone()),
                    temp_root: std::env::temp_dir(),
                    setup: setup.clone(),
                };
                let mut events = JobEvents {
                    plugin: candidate.file_stem_name.clone(),
                    sink: &sink,
                    probes: Vec::new(),
                };
                let limit = TimeLimit {
                    plugin: config.plugin_timeout,
                    run: None,
                };
                Worker::spawn(&config.exe, start, limit)
                    .and_then(|mut w| {
                        let m = w.manifest(&mut events);
                        if m.is_ok() {
                            w.exit();
                        }
                        m
                    })
                    .map_err(|e| e.message())
            }
        };
        let (manifest, error) = match manifest {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(e)),
        };
        Listed {
            name: candidate.file_stem_name.clone(),
            path: candidate.path.display().to_string(),
            origin: candidate.origin,
            manifest,
            error,
        }
    });
    (listed, resolved)
}

/// The run's temporary directory, mode 0700. tempfile creates directories with
/// `DirBuilder`'s default 0777 minus the umask (0755 usually; tempfile 3.27
/// `src/dir/imp/unix.rs` sets a mode only when asked), which would let every local user list
/// and read what plugins build and write there (issue 20, item 13).
pub fn run_temp_dir() -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix("gohost-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
}

/// A directory (and any missing parents) only its owner may enter.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runs_temp_dirs_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777;
        let temp = run_temp_dir().expect("temp dir");
        // Before issue 20 this was 0755 under the usual umask 022: readable by every user.
        assert_eq!(mode(temp.path()), 0o700);
        let per_plugin = temp.path().join("p0").join("deeper");
        private_dir(&per_plugin).expect("per-plugin dir");
        assert_eq!(mode(&temp.path().join("p0")), 0o700);
        assert_eq!(mode(&per_plugin), 0o700);
    }
}
