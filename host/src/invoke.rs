//! The one way a plugin is invoked, whatever runs it: the worker (`worker_main.rs`), the
//! in-process path (`run.rs`, `--isolation none`) and the test harness (`harness.rs`) all
//!
//! 1. [`plan`] the checks from the plugin's manifest and the run's options (the selection
//!    checked against the manifest, then the capability gate),
//! 2. build the probe stack ([`probe_stack`]: live or replay, recording on top) and the
//!    host context ([`context`]) once,
//! 3. [`call`] the plugin's entry with what the plan left to run, and
//! 4. merge the gate's `skip` findings into the plugin's ([`with_not_run`]).
//!
//! A `--replay` snapshot is read and validated once per run, by [`read_snapshot`] in the
//! parent, and handed down as a parsed [`Snapshot`] (to workers inside their start message
//! over the private protocol pipe), so every path answers from the same data and a bad file
//! has one wording.
//!
//! It is not the job pool, the worker protocol or the report: those stay in `run.rs`,
//! `worker.rs` and `report.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::sabi_types::RRef;
use abi_stable::std_types::RString;
use gohost_plugin_api::snapshot::{Replayer, Snapshot, SnapshotError};
use gohost_plugin_api::{
    check_id_problem, not_run_finding, Facts, Finding, HostContext_TO, PluginManifest,
    PluginModRef, RunOptions,
};
use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::context::{EventSink, HostCtx};
use crate::probes::live::{Limits, LiveProbes};
use crate::probes::{PluginSettings, Probes, RecordSink, Recorder, ReplayProbes};

/// The default of `--max-snapshot-size`: far above any real recording (a few MB) and far
/// below what would strain memory (the parent holds the parsed snapshot and each worker a
/// copy).
pub const DEFAULT_MAX_SNAPSHOT_BYTES: u64 = 64 << 20;

/// Why a `--replay` snapshot cannot be used: the one wording for every path.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotReadError {
    #[error("cannot read snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("snapshot {path} is {size} bytes, above the limit of {max} bytes; if it is really yours, raise the limit with --max-snapshot-size SIZE (or GOHOST_MAX_SNAPSHOT_SIZE, or max_snapshot_size in gohost.toml)")]
    TooBig {
        path: PathBuf,
        /// The size seen, or "more than N" when the file grew while it was read.
        size: String,
        max: u64,
    },
    #[error("{path}: not a valid snapshot: not UTF-8 ({source})")]
    NotUtf8 {
        path: PathBuf,
        source: std::string::FromUtf8Error,
    },
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        source: SnapshotError,
    },
}

/// Read and validate a snapshot of at most `max_bytes`, refusing a larger one before reading
/// it: its size is checked on the open file, and the read stops one byte past the limit in
/// case the file grows meanwhile (SECURITY.md, "Bounded output").
pub fn read_snapshot(path: &Path, max_bytes: u64) -> Result<Snapshot, SnapshotReadError> {
    use std::io::Read as _;
    let read_error = |source| SnapshotReadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_big = |size: String| SnapshotReadError::TooBig {
        path: path.to_path_buf(),
        size,
        max: max_bytes,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > max_bytes {
        return Err(too_big(size.to_string()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(format!("more than {max_bytes}")));
    }
    let text = String::from_utf8(bytes).map_err(|source| SnapshotReadError::NotUtf8 {
        path: path.to_path_buf(),
        source,
    })?;
    // A recording wrote the recording user's home as `$HOME`; hand plugins this user's.
    let text = crate::replay_home::map_back(text);
    Snapshot::from_json(&text).map_err(|source| SnapshotReadError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

/// What every plugin of one run is invoked with, decided once by the parent (`run.rs`) and
/// handed to each plugin as it is: to the in-process path directly, to a worker inside its
/// start message (`worker.rs`), to the harness by its builder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setup {
    pub facts: Facts,
    pub options: RunOptions,
    /// The snapshot every probe is answered from (`--replay`), read once (`read_snapshot`).
    #[serde(with = "shared_snapshot")]
    pub replay: Option<Arc<Snapshot>>,
    /// Record every probe answer (`--record`).
    pub record: bool,
    /// The result cache (`None` for a replay: never read or written).
    #[serde(with = "crate::worker::opt_path_bytes")]
    pub cache_dir: Option<PathBuf>,
    /// The default time limit of a command (`--exec-timeout`), in milliseconds.
    pub exec_timeout_ms: u64,
    /// The `[plugins.<name>]` tables of the user's config (plugin API 1.3.0 settings); a
    /// worker receives only its own plugin's table ([`Setup::for_plugin`]).
    #[serde(default, with = "shared_settings")]
    pub settings: Arc<PluginSettings>,
}

impl Setup {
    /// What `gohost list` starts a worker with: it only asks for the manifest, so no facts,
    /// no probes and no cache are needed.
    pub fn listing() -> Setup {
        Setup {
            facts: crate::facts::placeholder(),
            options: RunOptions::default(),
            replay: None,
            record: false,
            cache_dir: None,
            exec_timeout_ms: 1,
            settings: Arc::default(),
        }
    }

    /// This setup as `plugin`'s worker gets it: only `plugin`'s settings table, so another
    /// plugin's settings never reach its process.
    pub fn for_plugin(&self, plugin: &str) -> Setup {
        let mut own = PluginSettings::new();
        if let Some(table) = self.settings.get(plugin) {
            own.insert(plugin.to_owned(), table.clone());
        }
        Setup {
            settings: Arc::new(own),
            ..self.clone()
        }
    }

    /// Where this run's probes are answered from; live temp dirs go under `temp_root`.
    pub fn source(&self, temp_root: &Path) -> Source {
        match &self.replay {
            Some(snapshot) => Source::Replay(Arc::clone(snapshot)),
            None => Source::Live {
                exec_timeout: Duration::from_millis(self.exec_timeout_ms.max(1)),
                temp_root: temp_root.to_path_buf(),
                settings: Arc::clone(&self.settings),
            },
        }
    }

    /// The host context of `plugin` over `probes` (`probe_stack`).
    pub fn context(
        &self,
        plugin: &str,
        probes: Arc<dyn Probes>,
        events: Arc<dyn EventSink>,
    ) -> HostCtx {
        context(
            plugin,
            self.facts.clone(),
            self.options,
            probes,
            run_cache(self.cache_dir.clone(), &self.options),
            events,
        )
    }
}

/// A shared snapshot crosses the protocol as the snapshot itself; the parent serializes the
/// one it read without copying it per worker.
mod shared_snapshot {
    use std::sync::Arc;

    use gohost_plugin_api::snapshot::Snapshot;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Arc<Snapshot>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_deref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<Snapshot>>, D::Error> {
        Option::<Snapshot>::deserialize(d).map(|s| s.map(Arc::new))
    }
}

/// Shared settings cross the protocol as the map itself (serde's `rc` feature is off).
mod shared_settings {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::probes::PluginSettings;

    pub fn serialize<S: Serializer>(value: &Arc<PluginSettings>, s: S) -> Result<S::Ok, S::Error> {
        PluginSettings::serialize(value, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<PluginSettings>, D::Error> {
        PluginSettings::deserialize(d).map(Arc::new)
    }
}

/// Where a plugin's probes are answered from.
#[derive(Clone)]
pub enum Source {
    /// This machine, commands bounded by `exec_timeout`, temp dirs under `temp_root`.
    Live {
        exec_timeout: Duration,
        temp_root: PathBuf,
        /// The run's plugin settings, answered by `plugin_setting`.
        settings: Arc<PluginSettings>,
    },
    /// A snapshot read once for the run ([`read_snapshot`]).
    Replay(Arc<Snapshot>),
}

/// The probe stack of one plugin: live or replay, with a recorder on top when `record` is
/// given. Each plugin gets its own replayer over the shared snapshot, so repeated probes are
/// answered in recorded order per plugin, as they were recorded.
pub fn probe_stack(source: &Source, record: Option<Arc<dyn RecordSink>>) -> Arc<dyn Probes> {
    let base: Arc<dyn Probes> = match source {
        Source::Live {
            exec_timeout,
            temp_root,
            settings,
        } => Arc::new(
            LiveProbes::new(
                Limits {
                    default_exec_timeout: *exec_timeout,
                    ..Limits::default()
                },
                temp_root.clone(),
            )
            .with_settings(Arc::clone(settings)),
        ),
        Source::Replay(snapshot) => {
            Arc::new(ReplayProbes::new(Replayer::new(Snapshot::clone(snapshot))))
        }
    };
    match record {
        Some(sink) => Arc::new(Recorder::new(base, sink)),
        None => base,
    }
}

/// The host context one plugin runs with. The result cache is read only when the options
/// allow it (`--no-cache`); `cache_dir` is `None` for a replay (cli.rs), so a replay neither
/// reads nor writes it.
pub fn context(
    plugin: &str,
    facts: Facts,
    options: RunOptions,
    probes: Arc<dyn Probes>,
    cache: Cache,
    events: Arc<dyn EventSink>,
) -> HostCtx {
    HostCtx {
        plugin: plugin.to_owned(),
        facts,
        options,
        probes,
        cache,
        events,
    }
}

/// The result cache of a run: at `dir`, read unless `--no-cache`.
pub fn run_cache(dir: Option<PathBuf>, options: &RunOptions) -> Cache {
    Cache::new(dir, !options.no_cache)
}

/// How a plugin's checks are entered.
#[derive(Clone)]
pub enum Entry {
    /// A loaded plugin's root module (worker and in-process): its exported `run`.
    Module(PluginModRef),
    /// Checks linked into this binary (the test harness): the body of the exported `run`
    /// (`runtime::run_checks`), without the cdylib-only search for foreign check ids, which a
    /// test binary linking several plugins would misreport.
    #[cfg(feature = "harness")]
    Linked(String),
}

/// Call the plugin with `selection` (empty = every check) through `ctx`.
/// The context as the plugin ABI hands it to a plugin.
pub fn ffi_context(ctx: &HostCtx) -> HostContext_TO<'_, RRef<'_, ()>> {
    HostContext_TO::from_ptr(ctx, TD_Opaque)
}

pub fn call(entry: Entry, ctx: &HostCtx, selection: &[String]) -> Vec<Finding> {
    let object = ffi_context(ctx);
    let selection: Vec<RString> = selection
        .iter()
        .map(|c| RString::from(c.as_str()))
        .collect();
    match entry {
        Entry::Module(module) => (module.run())(object, selection.as_slice().into()).into_vec(),
        #[cfg(feature = "harness")]
        Entry::Linked(plugin) => {
            gohost_plugin_api::runtime::run_checks(&plugin, &object, &selection)
        }
    }
}

/// What a run does with one plugin, decided from its manifest before any check runs.
#[derive(Debug, PartialEq)]
pub struct Plan {
    /// The selection to send (empty = every check, as the plugin protocol has it), or `None`
    /// when nothing is left to run and the plugin need not be called at all.
    pub run: Option<Vec<String>>,
    /// A `skip` finding per check whose declared needs the options do not allow.
    pub not_run: Vec<Finding>,
}

/// Plan one plugin's checks: every selected id must be in the manifest (else the usage error
/// naming the plugin's checks), then the capability gate ([`gate`]).
pub fn plan(
    manifest: &PluginManifest,
    selected: &[String],
    options: &RunOptions,
) -> Result<Plan, String> {
    match selection_problem(manifest, selected) {
        Some(problem) => Err(problem),
        None => Ok(gate(manifest, selected, options)),
    }
}

/// Check that every selected id exists in the manifest.
fn selection_problem(manifest: &PluginManifest, selected: &[String]) -> Option<String> {
    let known: Vec<&str> = manifest.checks.iter().map(|c| c.id.as_str()).collect();
    let missing: Vec<&String> = selected
        .iter()
        .filter(|id| !known.contains(&id.as_str()))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "unknown check {}; checks of plugin `{}`: {}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            manifest.name,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    })
}

/// Apply the capability rule from the manifest, before any plugin code runs a check: this is
/// what holds for every plugin, including ones built against older plugin-api releases whose
/// runtime only knew the network rule. Ids the runtime must report as author errors
/// (duplicates, malformed) are passed through untouched so their `error` finding still shows.
fn gate(manifest: &PluginManifest, selected: &[String], options: &RunOptions) -> Plan {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in manifest.checks.iter() {
        *counts.entry(c.id.as_str()).or_default() += 1;
    }
    let wanted: Vec<&str> = if selected.is_empty() {
        counts.keys().copied().collect()
    } else {
        // `--check x --check x` is one check.
        let mut seen = BTreeSet::new();
        selected
            .iter()
            .map(String::as_str)
            .filter(|id| seen.insert(*id))
            .collect()
    };
    let mut run = Vec::new();
    let mut not_run = Vec::new();
    for id in wanted {
        let info = manifest.checks.iter().find(|c| c.id.as_str() == id);
        let author_error = counts.get(id).copied().unwrap_or(0) != 1
            || check_id_problem(manifest.name.as_str(), id).is_some();
        let unmet = match info {
            Some(info) if !author_error => info.needs.unmet(options),
            _ => Vec::new(),
        };
        match info {
            Some(info) if !unmet.is_empty() => {
                not_run.push(not_run_finding(id, info.title.as_str(), &unmet));
            }
            _ => run.push(id.to_owned()),
        }
    }
    let run = if not_run.is_empty() {
        Some(selected.to_vec())
    } else if run.is_empty() {
        None
    } else {
        Some(run)
    };
    Plan { run, not_run }
}

/// Merge the host's not-run findings into the plugin's, each before the first finding with a
/// later check id (the plugin reports in id order); the plugin's own order is kept as it is.
pub fn with_not_run(mut findings: Vec<Finding>, not_run: Vec<Finding>) -> Vec<Finding> {
    for skipped in not_run {
        let at = findings
            .iter()
            .position(|f| f.check > skipped.check)
            .unwrap_or(findings.len());
        findings.insert(at, skipped);
    }
    findings
}

#[cfg(test)]
mod tests {
    use abi_stable::std_types::RVec;
    use gohost_plugin_api::{AbiVersionTag, CheckInfo, Needs};

    use super::*;

    fn info(id: &str, needs: Needs) -> CheckInfo {
        CheckInfo {
            id: id.into(),
            title: id.into(),
            explain: RString::new(),
            tags: RVec::new(),
            needs,
        }
    }

    fn manifest(checks: Vec<CheckInfo>) -> PluginManifest {
        PluginManifest {
            name: "demo".into(),
            version: "0.1.0".into(),
            description: RString::new(),
            api_version: AbiVersionTag::CURRENT.to_string().into(),
            checks: checks.into(),
        }
    }

    const SLOW: Needs = Needs {
        network: false,
        root: false,
        slow: true,
    };

    fn skipped(plan: &Plan) -> Vec<&str> {
        plan.not_run.iter().map(|f| f.check.as_str()).collect()
    }

    #[test]
    fn nothing_gated_keeps_the_selection_as_given() {
        let m = manifest(vec![info("demo.a", Needs::default()), info("demo.b", SLOW)]);
        let deep = RunOptions {
            deep: true,
            ..RunOptions::default()
        };
        let planned = plan(&m, &[], &deep).expect("no unknown ids");
        assert_eq!(
            planned.run,
            Some(Vec::new()),
            "empty still means every check"
        );
        assert!(planned.not_run.is_empty());
    }

    #[test]
    fn gated_checks_leave_an_explicit_selection_or_nothing() {
        let m = manifest(vec![info("demo.a", Needs::default()), info("demo.b", SLOW)]);
        let gated = gate(&m, &[], &RunOptions::default());
        assert_eq!(gated.run, Some(vec!["demo.a".to_owned()]));
        assert_eq!(skipped(&gated), ["demo.b"]);
        let twice = ["demo.b".to_owned(), "demo.b".to_owned()];
        let gated = gate(&m, &twice, &RunOptions::default());
        assert_eq!(gated.run, None, "nothing left: the plugin is not called");
        assert_eq!(
            skipped(&gated),
            ["demo.b"],
            "one finding for a check named twice"
        );
    }

    #[test]
    fn an_unknown_selected_id_is_a_usage_error_naming_the_plugins_checks() {
        let m = manifest(vec![info("demo.a", Needs::default())]);
        let problem = plan(&m, &["demo.zz".to_owned()], &RunOptions::default())
            .expect_err("demo.zz is not in the manifest");
        assert_eq!(
            problem,
            "unknown check `demo.zz`; checks of plugin `demo`: demo.a"
        );
    }

    #[test]
    fn author_errors_pass_through_to_the_runtime_that_reports_them() {
        let m = manifest(vec![
            info("demo.dup", SLOW),
            info("demo.dup", SLOW),
            info("demo.Bad_Name", SLOW),
            info("demo.c", SLOW),
        ]);
        let gated = gate(&m, &[], &RunOptions::default());
        assert_eq!(
            gated.run,
            Some(vec!["demo.Bad_Name".to_owned(), "demo.dup".to_owned()])
        );
        assert_eq!(skipped(&gated), ["demo.c"]);
    }

    #[test]
    fn not_run_findings_slot_in_by_check_id_without_reordering_the_plugins() {
        let plugin = vec![
            Finding::pass("a2").with_check("demo.a"),
            Finding::pass("a1").with_check("demo.a"),
            Finding::pass("c").with_check("demo.c"),
        ];
        let merged = with_not_run(
            plugin,
            vec![
                Finding::skip("b").with_check("demo.b"),
                Finding::skip("d").with_check("demo.d"),
            ],
        );
        let titles: Vec<&str> = merged.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["a2", "a1", "b", "c", "d"]);
    }

    #[test]
    fn a_snapshot_is_refused_by_size_before_it_is_read_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{\"format\": \"other\", \"version\": 1}").expect("write");
        let too_big = read_snapshot(&path, 4).expect_err("above 4 bytes");
        assert!(matches!(too_big, SnapshotReadError::TooBig { .. }));
        assert!(too_big.to_string().contains("--max-snapshot-size"));
        let invalid = read_snapshot(&path, 1 << 20).expect_err("not a gohost snapshot");
        assert!(
            invalid.to_string().contains("not a gohost snapshot"),
            "{invalid}"
        );
        let missing = read_snapshot(&dir.path().join("nope.json"), 1 << 20).expect_err("absent");
        assert!(matches!(missing, SnapshotReadError::Read { .. }));
    }
}
