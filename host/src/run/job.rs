//! One plugin job of a run: the plugin run in a worker ([`run_in_worker`]) or in this process
//! ([`run_in_process`]), both through [`crate::invoke`], and what the report keeps of it
//! ([`result_of`]).

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gohost_plugin_api::snapshot::ProbeRecord;
use gohost_plugin_api::{Finding, LogLevel, PluginManifest};

use crate::context::EventSink;
use crate::discovery::Candidate;
use crate::invoke::{self, Entry, Plan, Setup};
use crate::probes::{MemorySink, RecordSink};
use crate::report::{LoadErrorEntry, PluginResult};
use crate::worker::{TimeLimit, Worker, WorkerEvents, WorkerFailure, WorkerStart};

use super::RunConfig;

/// What running one plugin (in a worker or in-process) produced.
pub(super) struct PluginRun {
    pub(super) manifest: Option<PluginManifest>,
    pub(super) outcome: Result<Vec<Finding>, WorkerFailure>,
    /// `skip` findings for checks the host did not hand to the plugin because this run does
    /// not allow what they declare they need; kept even when the plugin then fails.
    pub(super) not_run: Vec<Finding>,
    /// A selected check id the manifest does not have (a usage error).
    pub(super) selection_error: Option<String>,
    pub(super) probes: Vec<ProbeRecord>,
}

impl PluginRun {
    pub(super) fn failed(
        failure: WorkerFailure,
        manifest: Option<PluginManifest>,
        probes: Vec<ProbeRecord>,
    ) -> PluginRun {
        PluginRun {
            manifest,
            outcome: Err(failure),
            not_run: Vec::new(),
            selection_error: None,
            probes,
        }
    }

    fn usage_error(
        manifest: PluginManifest,
        problem: String,
        probes: Vec<ProbeRecord>,
    ) -> PluginRun {
        PluginRun {
            manifest: Some(manifest),
            outcome: Ok(Vec::new()),
            not_run: Vec::new(),
            selection_error: Some(problem),
            probes,
        }
    }
}

/// Forwards worker events to the host log, progress display and snapshot.
pub(super) struct JobEvents<'a> {
    pub(super) plugin: String,
    pub(super) sink: &'a dyn EventSink,
    pub(super) probes: Vec<ProbeRecord>,
}

impl WorkerEvents for JobEvents<'_> {
    fn log(&mut self, level: LogLevel, target: &str, message: &str) {
        self.sink.log(&self.plugin, level, target, message);
    }
    fn progress(&mut self, message: &str) {
        self.sink.progress(&self.plugin, message);
    }
    fn probe(&mut self, record: ProbeRecord) {
        self.probes.push(record);
    }
}

pub(super) fn run_in_worker(
    config: &RunConfig,
    setup: &Setup,
    candidate: &Candidate,
    checks: &[String],
    temp_root: &Path,
    limit: TimeLimit,
    sink: &dyn EventSink,
) -> PluginRun {
    let start = WorkerStart {
        plugin_path: candidate.canonical.clone(),
        plugin_identity: Some(candidate.identity),
        expected_name: Some(candidate.file_stem_name.clone()),
        temp_root: temp_root.to_path_buf(),
        setup: setup.for_plugin(&candidate.file_stem_name),
    };
    let mut events = JobEvents {
        plugin: candidate.file_stem_name.clone(),
        sink,
        probes: Vec::new(),
    };
    let mut worker = match Worker::spawn(&config.exe, start, limit) {
        Ok(w) => w,
        Err(e) => return PluginRun::failed(e, None, Vec::new()),
    };
    let manifest = match worker.manifest(&mut events) {
        Ok(m) => m,
        Err(e) => return PluginRun::failed(e, None, events.probes),
    };
    let Plan { run, not_run } = match invoke::plan(&manifest, checks, &setup.options) {
        Ok(plan) => plan,
        Err(problem) => {
            worker.exit();
            return PluginRun::usage_error(manifest, problem, events.probes);
        }
    };
    let outcome = match run {
        Some(selection) => worker.run(selection, &mut events),
        None => {
            worker.exit();
            Ok(Vec::new())
        }
    };
    PluginRun {
        manifest: Some(manifest),
        outcome,
        not_run,
        selection_error: None,
        probes: events.probes,
    }
}

pub(super) fn run_in_process(
    setup: &Setup,
    candidate: &Candidate,
    checks: &[String],
    temp_root: &Path,
    limit: TimeLimit,
    sink: Arc<dyn EventSink>,
) -> PluginRun {
    let plugin = match crate::loader::load(
        &candidate.canonical,
        Some(&candidate.identity),
        Some(&candidate.file_stem_name),
    ) {
        Ok(p) => p,
        Err(e) => return PluginRun::failed(WorkerFailure::Load(e.to_string()), None, Vec::new()),
    };
    let manifest = plugin.manifest.clone();
    let Plan { run, not_run } = match invoke::plan(&manifest, checks, &setup.options) {
        Ok(plan) => plan,
        Err(problem) => return PluginRun::usage_error(manifest, problem, Vec::new()),
    };
    let Some(checks) = run else {
        return PluginRun {
            manifest: Some(manifest),
            outcome: Ok(Vec::new()),
            not_run,
            selection_error: None,
            probes: Vec::new(),
        };
    };
    let recorded = setup.record.then(|| Arc::new(MemorySink::default()));
    let probes = invoke::probe_stack(
        &setup.source(temp_root),
        recorded.clone().map(|s| s as Arc<dyn RecordSink>),
    );
    let ctx = setup.context(manifest.name.as_str(), probes, sink);
    let (tx, rx) = mpsc::channel();
    let module = plugin.module;
    // A hung in-process plugin cannot be killed: the thread is abandoned and gohost exits
    // at the end of the run anyway. Use worker isolation for untrusted plugins.
    let spawned = std::thread::Builder::new()
        .name(format!("plugin-{}", manifest.name))
        .spawn(move || {
            let findings = invoke::call(Entry::Module(module), &ctx, &checks);
            let _ = tx.send(findings);
        });
    if let Err(e) = spawned {
        return PluginRun::failed(
            WorkerFailure::Spawn(e.to_string()),
            Some(manifest),
            Vec::new(),
        );
    }
    let expiry = limit.start_now();
    let outcome = loop {
        if crate::interrupt::requested() {
            break Err(WorkerFailure::Interrupted);
        }
        let left = expiry.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(expiry.failure(String::new()));
        }
        match rx.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(findings) => break Ok(findings),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(WorkerFailure::Crashed {
                    how: "the plugin thread ended without results".to_owned(),
                    stderr_tail: String::new(),
                })
            }
        }
    };
    let probes = recorded.map(|s| s.take()).unwrap_or_default();
    PluginRun {
        manifest: Some(manifest),
        outcome,
        not_run,
        selection_error: None,
        probes,
    }
}

/// A plugin speaks only for its own checks: a finding whose id lies outside `<plugin>.` is
/// replaced by an `error` finding saying so, so nothing reading the report by check id can be
/// misled.
fn own_findings(plugin: &str, findings: Vec<Finding>) -> Vec<Finding> {
    let prefix = format!("{plugin}.");
    findings
        .into_iter()
        .map(|f| {
            // Malformed ids under the plugin's own prefix are the runtime's to report (it
            // names them as errors); only ids outside the prefix are foreign.
            if f.check.starts_with(&prefix) && f.check.len() > prefix.len() {
                return f;
            }
            Finding::error(format!(
                "plugin `{plugin}` reported a finding for check `{}`, which is not its own",
                f.check
            ))
            .detail(format!(
                "A plugin's check ids start with `{prefix}`. The finding ({} \"{}\") was discarded.",
                f.status.as_str(),
                f.title
            ))
            .with_check(format!("{plugin}.plugin"))
        })
        .collect()
}

/// The report's entry for one finished job: its findings (foreign ones replaced, the gate's
/// `skip`s merged in, a failure as one finding), or a load error when the file was refused.
pub(super) fn result_of(
    candidate: &Candidate,
    run: PluginRun,
    duration_ms: u64,
    run_timeout: Duration,
) -> Result<PluginResult, LoadErrorEntry> {
    match (run.manifest, run.outcome) {
        (_, Err(WorkerFailure::Load(message))) => Err(LoadErrorEntry {
            path: candidate.path.display().to_string(),
            plugin: Some(candidate.file_stem_name.clone()),
            message,
        }),
        (manifest, outcome) => {
            let (version, api_version) = manifest
                .as_ref()
                .map(|m| (m.version.to_string(), m.api_version.to_string()))
                .unwrap_or_default();
            let (outcome_name, findings) = match outcome {
                Ok(findings) => (
                    "ok".to_owned(),
                    own_findings(&candidate.file_stem_name, findings),
                ),
                // Not the plugin's fault, and nothing was verified: a skip that says so.
                Err(WorkerFailure::Interrupted) => (
                    "interrupted".to_owned(),
                    vec![Finding::skip(format!(
                        "plugin `{}` was interrupted before it finished",
                        candidate.file_stem_name
                    ))
                    .detail(WorkerFailure::Interrupted.message())
                    .with_check(format!("{}.plugin", candidate.file_stem_name))],
                ),
                Err(failure) => {
                    let name = &candidate.file_stem_name;
                    let finding = Finding::error(format!("plugin `{name}` could not finish"))
                        .detail(failure.message())
                        .with_check(format!("{name}.plugin"))
                        .evidence("file", candidate.path.display().to_string(), "discovery");
                    let finding = if failure.run_time_limit() {
                        finding.remediation(
                            "The whole run took longer than its limit; raise it, run fewer plugins, or more at once (--jobs).",
                            [format!("gohost run {name} --run-timeout {}", (run_timeout.as_secs() * 2).max(60))],
                        )
                    } else {
                        finding.remediation(
                            "Report this to the plugin's author with the detail above; run `gohost run --skip NAME` to leave the plugin out meanwhile.",
                            [format!("gohost run all --skip {name}")],
                        )
                    };
                    (failure.outcome().to_owned(), vec![finding])
                }
            };
            let findings = invoke::with_not_run(findings, run.not_run);
            Ok(PluginResult {
                name: candidate.file_stem_name.clone(),
                version,
                api_version,
                path: candidate.path.display().to_string(),
                origin: candidate.origin.name().to_owned(),
                outcome: outcome_name,
                duration_ms,
                findings,
            })
        }
    }
}
