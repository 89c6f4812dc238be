//! An in-process test harness for plugin authors (feature `testing`).
//!
//! [`TestContext`] implements the host context from a [`Snapshot`]
//! (the same format `gohost run --record` writes), with optional closures for commands, so a
//! plugin's checks run in a plain `#[test]` without a host, a dylib or the machine:
//!
//! ```
//! use gohost_plugin_api::testing::{TestContext, run_plugin};
//! use gohost_plugin_api::snapshot::{Snapshot, ProbeRecord, Answer};
//!
//! let mut snapshot = Snapshot::new(TestContext::linux_facts(), "doc example");
//! snapshot.probes.push(ProbeRecord::Sysctl {
//!     name: "kernel.ostype".into(),
//!     result: Answer::Ok("Linux".into()),
//!     source: None,
//! });
//! let ctx = TestContext::new(snapshot);
//! // `run_plugin("myplugin", &ctx, &[])` runs every check registered for `myplugin`.
//! let findings = run_plugin("nothing-registered", &ctx, &[]);
//! assert!(findings.is_empty());
//! ```

use std::collections::HashMap;
use std::sync::Mutex;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};

use crate::abi::{
    ExecOutput, ExecRequest, Facts, HostContext, HostContext_TO, HttpResponse, LogLevel,
    ProbeError, ProbeErrorKind, RunOptions, Translation,
};
use crate::convert::{AbiResult, IntoAbi};
use crate::snapshot::{Replayer, Snapshot};

/// The record builders, here too so a plugin test needs only this module and no
/// `abi_stable` type: a command (`exec_ok`), sysctl, file contents, a range of a file,
/// directory listing, `lstat` (`file_info_ok`), file identity, directory listing with
/// identities (`read_dir_identities_ok`), environment variable, PATH lookup, plugin setting,
/// and a failed probe (`failed`).
pub use crate::snapshot::{
    env_var, exec_ok, failed, file_identity_ok, file_info_ok, plugin_setting,
    read_dir_identities_ok, read_dir_ok, read_file_at_ok, read_file_ok, sysctl_ok, which_found,
};
use crate::{Finding, Status};

type ExecHook = Box<dyn Fn(&ExecRequest) -> Option<Result<ExecOutput, ProbeError>> + Send + Sync>;

/// A host context for tests: probes answered from a snapshot, commands optionally by a closure.
pub struct TestContext {
    replayer: Replayer,
    options: RunOptions,
    exec_hook: Option<ExecHook>,
    written: Mutex<HashMap<String, Vec<u8>>>,
    cache: Mutex<HashMap<String, String>>,
    logs: Mutex<Vec<(LogLevel, String, String)>>,
    /// Whose `[plugins.<name>]` settings `plugin_setting` answers: set by [`run_plugin`] (or
    /// [`TestContext::for_plugin`]), as the host answers each plugin from its own table.
    plugin: Mutex<Option<String>>,
}

impl TestContext {
    /// A context answering from `snapshot`, with `options().replay` set.
    pub fn new(snapshot: Snapshot) -> TestContext {
        TestContext {
            replayer: Replayer::new(snapshot),
            options: RunOptions {
                replay: true,
                ..RunOptions::default()
            },
            exec_hook: None,
            written: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            logs: Mutex::new(Vec::new()),
            plugin: Mutex::new(None),
        }
    }

    /// Answer `plugin_setting` from `plugin`'s recorded settings (what [`run_plugin`] does by
    /// itself; for calling checks through the context without it).
    pub fn for_plugin(self, plugin: &str) -> TestContext {
        self.set_plugin(plugin);
        self
    }

    fn set_plugin(&self, plugin: &str) {
        if let Ok(mut p) = self.plugin.lock() {
            *p = Some(plugin.to_owned());
        }
    }

    /// Load a snapshot file (panics with a clear message: this is test code).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> TestContext {
        TestContext::new(load_snapshot(path))
    }

    /// Use `options` (e.g. `online: true` to let network checks run).
    pub fn with_options(mut self, options: RunOptions) -> TestContext {
        self.options = options;
        self
    }

    /// Answer commands with `hook` first; `None` falls back to the snapshot.
    pub fn with_exec(
        mut self,
        hook: impl Fn(&ExecRequest) -> Option<Result<ExecOutput, ProbeError>> + Send + Sync + 'static,
    ) -> TestContext {
        self.exec_hook = Some(Box::new(hook));
        self
    }

    /// Plain Linux x86_64 facts without Go, for snapshots built in tests.
    pub fn linux_facts() -> Facts {
        Facts {
            os: "linux".into(),
            process_arch: "x86_64".into(),
            machine: "x86_64".into(),
            os_version: "".into(),
            translation: Translation::Native,
            translation_evidence: "".into(),
            chip: ROption::RNone,
            go: ROption::RNone,
        }
    }

    /// Log lines the plugin sent: (level, target, message).
    pub fn logs(&self) -> Vec<(LogLevel, String, String)> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl HostContext for TestContext {
    fn facts(&self) -> Facts {
        self.replayer.facts()
    }
    fn options(&self) -> RunOptions {
        self.options
    }
    fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError> {
        if let Some(answer) = self.exec_hook.as_ref().and_then(|h| h(&request)) {
            return answer.into();
        }
        self.replayer.exec(&request).into()
    }
    crate::forward_host_context!(replayer => sysctl, read_dir, read_file_at, file_info,
        file_identity, read_dir_identities, env, which, env_answer, which_answer, make_temp_dir);
    fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError> {
        if let Some(bytes) = self
            .written
            .lock()
            .ok()
            .and_then(|w| w.get(path.as_str()).cloned())
        {
            return RResult::ROk(bytes.into());
        }
        self.replayer.read_file(path.as_str(), max_bytes).into_abi()
    }
    fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError> {
        match self.written.lock() {
            Ok(mut w) => {
                w.insert(path.to_string(), contents.to_vec());
                RResult::ROk(())
            }
            Err(_) => RResult::RErr(ProbeError {
                kind: ProbeErrorKind::Other,
                message: "test context poisoned".into(),
            }),
        }
    }
    fn progress(&self, _message: RStr<'_>) {}
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
        if let Ok(mut logs) = self.logs.lock() {
            logs.push((level, target.to_string(), message.to_string()));
        }
    }
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
    fn http_get(&self, url: RStr<'_>, _timeout_ms: u64, max_bytes: u64) -> AbiResult<HttpResponse> {
        self.replayer.http_get(url.as_str(), max_bytes).into()
    }
    fn plugin_setting(&self, key: RStr<'_>) -> RResult<ROption<RString>, ProbeError> {
        let plugin = self.plugin.lock().ok().and_then(|p| p.clone());
        let Some(plugin) = plugin else {
            return RResult::RErr(ProbeError {
                kind: ProbeErrorKind::NotRecorded,
                message: "this TestContext does not know which plugin asks: use run_plugin or TestContext::for_plugin".into(),
            });
        };
        self.replayer
            .plugin_setting(&plugin, key.as_str())
            .into_abi()
    }
}

/// Run the checks of plugin `plugin` (all when `selection` is empty) against `ctx`, exactly as
/// the exported `run` entry point does (panics caught, ids filled in, durations measured).
pub fn run_plugin(plugin: &str, ctx: &TestContext, selection: &[&str]) -> Vec<Finding> {
    ctx.set_plugin(plugin);
    let object = HostContext_TO::from_ptr(ctx, TD_Opaque);
    let selection: Vec<RString> = selection.iter().map(|s| RString::from(*s)).collect();
    crate::runtime::run_checks(plugin, &object, &selection)
}

/// Read a snapshot file, to edit it before [`TestContext::new`] (panics with a clear message:
/// this is test code).
pub fn load_snapshot(path: impl AsRef<std::path::Path>) -> Snapshot {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read snapshot {}: {e}", path.display()));
    Snapshot::from_json(&text).unwrap_or_else(|e| panic!("bad snapshot {}: {e}", path.display()))
}

/// The one finding of `check`.
///
/// # Panics
///
/// When there is none or more than one, listing every finding.
pub fn one<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.check == check).collect();
    assert_eq!(
        matching.len(),
        1,
        "expected exactly one `{check}` finding, got: {:#?}",
        findings
            .iter()
            .map(|f| format!("{} {:?} {}", f.check, f.status, f.title))
            .collect::<Vec<_>>()
    );
    matching[0]
}

/// The evidence value for `key`.
///
/// # Panics
///
/// When the finding has no such evidence, listing what it has.
pub fn ev<'a>(finding: &'a Finding, key: &str) -> &'a str {
    finding.evidence_value(key).unwrap_or_else(|| {
        panic!(
            "`{}` has no evidence `{key}`: {:#?}",
            finding.check, finding.evidence
        )
    })
}

/// `(check id, status)` of every finding, in order: one assertion covers a whole run.
pub fn statuses(findings: &[Finding]) -> Vec<(String, Status)> {
    findings
        .iter()
        .map(|f| (f.check.to_string(), f.status))
        .collect()
}

/// The finding rules of the crate docs, as a test: every check of `plugin` has an `explain`
/// text of at least `min_chars` characters.
///
/// # Panics
///
/// Naming the first check that does not, or when `plugin` has no checks.
pub fn assert_checks_explained(plugin: &str, min_chars: usize) {
    let checks = crate::registered_checks(plugin);
    assert!(!checks.is_empty(), "plugin `{plugin}` registers no checks");
    for c in checks {
        assert!(
            c.explain.chars().count() >= min_chars,
            "{} needs a real explain text (at least {min_chars} characters)",
            c.id
        );
    }
}

/// The finding rules of the crate docs, as a test: every `warn` and `fail` finding carries a
/// remediation with at least one exact command. `context` (e.g. the snapshot's name) goes into
/// the panic message.
///
/// # Panics
///
/// Naming the first finding that does not.
pub fn assert_actionable(findings: &[Finding], context: &str) {
    for f in findings {
        if matches!(f.status, Status::Warn | Status::Fail) {
            let fix = f.remediation.as_ref().into_option();
            assert!(
                fix.is_some_and(|r| !r.commands.is_empty()),
                "{context}: {} ({:?}) has no remediation commands",
                f.check,
                f.status
            );
        }
    }
}
