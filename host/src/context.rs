//! [`HostCtx`]: the host's implementation of the plugin-facing `HostContext`.
//!
//! It adds nothing a plugin could not see through the ABI: it routes probes to the chosen
//! backend (live, recording or replay), log and progress to an [`EventSink`], and cache calls
//! to the [`Cache`] under the plugin's own namespace.

use std::sync::Arc;

use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString};
use gohost_plugin_api::{
    ExecOutput, ExecRequest, Facts, HostContext, HttpResponse, LogLevel, ProbeError,
    ProbeErrorKind, RunOptions,
};

use gohost_plugin_api::convert::{AbiResult, IntoAbi};

use crate::cache::Cache;
use crate::probes::Probes;

/// Where a plugin's log lines and progress messages go.
pub trait EventSink: Send + Sync {
    fn log(&self, plugin: &str, level: LogLevel, target: &str, message: &str);
    fn progress(&self, plugin: &str, message: &str);
}

/// Emit one plugin log line through the host's tracing, tagged with the plugin's name.
pub fn emit_log(plugin: &str, level: LogLevel, target: &str, message: &str) {
    match level {
        LogLevel::Error => tracing::error!(plugin, target, "{message}"),
        LogLevel::Warn => tracing::warn!(plugin, target, "{message}"),
        LogLevel::Info => tracing::info!(plugin, target, "{message}"),
        LogLevel::Debug => tracing::debug!(plugin, target, "{message}"),
        LogLevel::Trace => tracing::trace!(plugin, target, "{message}"),
    }
}

/// The context one plugin runs with.
pub struct HostCtx {
    pub plugin: String,
    pub facts: Facts,
    pub options: RunOptions,
    pub probes: Arc<dyn Probes>,
    pub cache: Cache,
    pub events: Arc<dyn EventSink>,
}

impl HostContext for HostCtx {
    fn facts(&self) -> Facts {
        self.facts.clone()
    }
    fn options(&self) -> RunOptions {
        self.options
    }
    fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError> {
        let _span =
            tracing::debug_span!("exec", plugin = %self.plugin, argv = ?request.argv).entered();
        self.probes.exec(&request).into()
    }
    gohost_plugin_api::forward_host_context!(probes => sysctl, read_file, read_dir, read_file_at,
        file_info, file_identity, read_dir_identities, env, which, env_answer, which_answer,
        make_temp_dir);
    fn plugin_setting(&self, key: RStr<'_>) -> RResult<ROption<RString>, ProbeError> {
        // The plugin names only the key: its table is the one of the plugin this context
        // was made for, so no plugin can read another's settings.
        self.probes
            .plugin_setting(&self.plugin, key.as_str())
            .into_abi()
    }
    fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError> {
        self.probes
            .write_file(path.as_str(), contents.as_slice())
            .into()
    }
    fn progress(&self, message: RStr<'_>) {
        self.events.progress(&self.plugin, message.as_str());
    }
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
        self.events
            .log(&self.plugin, level, target.as_str(), message.as_str());
    }
    fn cache_get(&self, key: RStr<'_>) -> ROption<RString> {
        if self.options.no_cache {
            return ROption::RNone;
        }
        self.cache
            .get(&self.plugin, key.as_str())
            .map(RString::from)
            .into()
    }
    fn cache_put(&self, key: RStr<'_>, value: RStr<'_>) {
        // A replayed answer is not a measurement of this machine: never cache it.
        if self.options.replay {
            return;
        }
        self.cache.put(&self.plugin, key.as_str(), value.as_str());
    }
    fn http_get(&self, url: RStr<'_>, timeout_ms: u64, max_bytes: u64) -> AbiResult<HttpResponse> {
        // The runtime already skips checks declared `needs.network` without --online; this
        // also stops a check that forgot to declare it. Replay never touches the network.
        if !self.options.online && !self.options.replay {
            return RResult::RErr(ProbeError {
                kind: ProbeErrorKind::PermissionDenied,
                message: format!(
                    "network access is off for this run: GET {url} refused (run with --online, and declare the check with `needs.network = true`)"
                )
                .into(),
            });
        }
        let _span = tracing::debug_span!("http_get", plugin = %self.plugin, url = %url).entered();
        self.probes
            .http_get(url.as_str(), timeout_ms, max_bytes)
            .into()
    }
}
