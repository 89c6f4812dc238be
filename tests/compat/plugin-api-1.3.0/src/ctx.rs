//! [`Ctx`]: the plugin-side, idiomatic face of the [`HostContext`](crate::HostContext).

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use abi_stable::std_types::{ROption, RResult, RSlice, RString, RVec};

use crate::abi::{
    DirEntry, EnvVar, ExecOutput, ExecRequest, Facts, FileIdentity, FileInfo, HostContextRef,
    HttpResponse, LogLevel, ProbeError, RunOptions,
};

/// Why [`Ctx::setting_as`] has no value to give.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    /// The host could not answer (a replay whose snapshot has no answer: kind `NotRecorded`).
    /// "Could not tell": never judge as if the setting were unset.
    #[error("setting `{key}`: {source}")]
    Probe {
        /// The key asked for.
        key: String,
        /// The host's answer.
        source: ProbeError,
    },
    /// The user's value is not what the plugin takes (tell the user which key and why).
    #[error("setting `{key}` in [plugins.{plugin}] of gohost.toml: {message} (value: {value})")]
    Invalid {
        /// The plugin whose table holds it.
        plugin: String,
        /// The key.
        key: String,
        /// The value as the host gave it (TOML text).
        value: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The host context as a check sees it. Shareable across threads (`Ctx` is `Sync`); every method goes through the host,
/// so it has timeouts and is recorded/replayed.
pub struct Ctx<'a> {
    inner: HostContextRef<'a>,
    plugin: &'a str,
    /// Values computed once per plugin run and shared by its checks ([`Ctx::run_memo`]).
    /// Lives exactly as long as this `Ctx`, which the runtime makes once per `run` call, so
    /// nothing is carried over between runs. Plugin-side only: not part of the ABI.
    memo: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

/// The result type of probes.
pub type ProbeResult<T> = Result<T, ProbeError>;

fn into_result<T>(r: RResult<T, ProbeError>) -> ProbeResult<T> {
    r.into_result()
}

/// A finished command, with its output decoded as (lossy) UTF-8.
#[derive(Debug, Clone)]
pub struct Output {
    /// The command line that ran.
    pub argv: Vec<String>,
    /// The raw answer (exit, bytes, truncation).
    pub raw: ExecOutput,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Output {
    /// Exited with status 0 (and did not time out).
    pub fn success(&self) -> bool {
        self.raw.exit.success()
    }

    /// The command line, for evidence (`go env -json`).
    pub fn command_line(&self) -> String {
        self.argv.join(" ")
    }

    /// A one-line description of how it ended: `exit 0`, `exit 2`, `signal 9`, `timed out`.
    pub fn describe_exit(&self) -> String {
        let exit = &self.raw.exit;
        if exit.timed_out {
            return "timed out".to_owned();
        }
        match (exit.code, exit.signal) {
            (ROption::RSome(code), _) => format!("exit {code}"),
            (_, ROption::RSome(sig)) => format!("signal {sig}"),
            _ => "unknown exit".to_owned(),
        }
    }
}

/// Builder for a command run through the host.
#[derive(Debug, Clone)]
pub struct Command {
    request: ExecRequest,
}

impl Command {
    /// A command with `argv` (`argv[0]` is looked up on PATH unless it contains a `/`).
    pub fn new<I, S>(argv: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Command {
            request: ExecRequest {
                argv: argv.into_iter().map(|s| RString::from(s.into())).collect(),
                env: RVec::new(),
                clear_env: false,
                cwd: ROption::RNone,
                timeout_ms: 0,
            },
        }
    }

    /// Set an environment variable for the command.
    pub fn env(mut self, name: &str, value: &str) -> Command {
        self.request.env.push(EnvVar {
            name: name.into(),
            value: ROption::RSome(value.into()),
        });
        self
    }

    /// Remove an environment variable for the command.
    pub fn env_remove(mut self, name: &str) -> Command {
        self.request.env.push(EnvVar {
            name: name.into(),
            value: ROption::RNone,
        });
        self
    }

    /// Start from an empty environment (then apply `env`).
    pub fn clear_env(mut self) -> Command {
        self.request.clear_env = true;
        self
    }

    /// Run in `dir`.
    pub fn cwd(mut self, dir: &str) -> Command {
        self.request.cwd = ROption::RSome(dir.into());
        self
    }

    /// Kill the command's whole process group after `timeout` (default: the host's, 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Command {
        self.request.timeout_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self
    }

    /// The ABI request this builds.
    pub fn request(&self) -> &ExecRequest {
        &self.request
    }
}

impl<'a> Ctx<'a> {
    /// Wrap a host context. `plugin` names the plugin in logs.
    pub fn new<'h: 'a>(inner: &'a HostContextRef<'h>, plugin: &'a str) -> Ctx<'a> {
        Ctx {
            inner: inner.sabi_reborrow(),
            plugin,
            memo: Mutex::new(Vec::new()),
        }
    }

    /// The value of type `T` stored earlier in this plugin run, if any (see
    /// [`Ctx::run_memo`]).
    pub fn memo_get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        memo.iter().find_map(|v| Arc::clone(v).downcast::<T>().ok())
    }

    /// Store `value` as this run's `T`, replacing an earlier one; returns it shared.
    pub fn memo_put<T: Any + Send + Sync>(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        memo.retain(|v| !v.is::<T>());
        memo.push(Arc::clone(&value) as Arc<dyn Any + Send + Sync>);
        value
    }

    /// A value computed once per plugin run and shared by its checks: the first call runs
    /// `make`, later calls (in the same run, by any check) get the same value. Use a type of
    /// the plugin's own as the key. The lock is not held while `make` runs (it may probe and
    /// call `run_memo` itself); two threads racing may both compute, and the first stored wins
    /// for later calls.
    pub fn run_memo<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(v) = self.memo_get::<T>() {
            return v;
        }
        let value = make();
        if let Some(v) = self.memo_get::<T>() {
            return v;
        }
        self.memo_put(value)
    }

    /// The raw ABI object (for forwarding to helpers that take it).
    pub fn raw(&self) -> &HostContextRef<'a> {
        &self.inner
    }

    /// The plugin's name (as given to `export_plugin!`).
    pub fn plugin(&self) -> &'a str {
        self.plugin
    }

    /// The facts the host computed once for this run (OS, architecture, translation, Go).
    pub fn facts(&self) -> Facts {
        self.inner.facts()
    }

    /// The options of this run (`online`, `deep`, `replay`, …).
    pub fn options(&self) -> RunOptions {
        self.inner.options()
    }

    /// Run a command. A non-zero exit is an `Ok` output; `Err` means it could not be started
    /// (not found, permission) or the probe is not available (replay without a record).
    pub fn exec(&self, command: &Command) -> ProbeResult<Output> {
        let raw = into_result(self.inner.exec(command.request.clone()))?;
        Ok(Output {
            argv: command.request.argv.iter().map(|s| s.to_string()).collect(),
            stdout: String::from_utf8_lossy(&raw.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&raw.stderr).into_owned(),
            raw,
        })
    }

    /// Shorthand: run `argv` with the default timeout.
    pub fn run(&self, argv: &[&str]) -> ProbeResult<Output> {
        self.exec(&Command::new(argv.iter().copied()))
    }

    /// A sysctl value as text (`sysctl -n NAME` on macOS; `/proc/sys` on Linux).
    pub fn sysctl(&self, name: &str) -> ProbeResult<String> {
        into_result(self.inner.sysctl(name.into())).map(String::from)
    }

    /// Read a whole file (up to the host's cap).
    pub fn read_file(&self, path: &str) -> ProbeResult<Vec<u8>> {
        into_result(self.inner.read_file(path.into(), 0)).map(RVec::into_vec)
    }

    /// Read at most `max_bytes` of a file starting at byte `offset` (a binary's section, or
    /// a large file in chunks); empty past the end. Since plugin API 1.2.0.
    pub fn read_file_at(&self, path: &str, offset: u64, max_bytes: u64) -> ProbeResult<Vec<u8>> {
        into_result(
            self.inner
                .read_file_at(path.into(), offset, max_bytes.max(1)),
        )
        .map(RVec::into_vec)
    }

    /// Read at most `max_bytes` of a file (e.g. a binary's header).
    pub fn read_file_prefix(&self, path: &str, max_bytes: u64) -> ProbeResult<Vec<u8>> {
        into_result(self.inner.read_file(path.into(), max_bytes.max(1))).map(RVec::into_vec)
    }

    /// Read a text file, lossily decoded.
    pub fn read_to_string(&self, path: &str) -> ProbeResult<String> {
        self.read_file(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The entries of a directory.
    pub fn read_dir(&self, path: &str) -> ProbeResult<Vec<DirEntry>> {
        into_result(self.inner.read_dir(path.into())).map(RVec::into_vec)
    }

    /// `lstat` of a path, plus a symlink's target and the canonical path.
    pub fn file_info(&self, path: &str) -> ProbeResult<FileInfo> {
        into_result(self.inner.file_info(path.into()))
    }

    /// An environment variable of the host process (from the snapshot in replay).
    pub fn env(&self, name: &str) -> Option<String> {
        self.inner.env(name.into()).into_option().map(String::from)
    }

    /// Every executable named `name` on PATH, in order.
    pub fn which_all(&self, name: &str) -> Vec<String> {
        self.inner
            .which(name.into())
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// The first executable named `name` on PATH.
    pub fn which(&self, name: &str) -> Option<String> {
        self.which_all(name).into_iter().next()
    }

    /// [`Ctx::env`] for a variable a verdict depends on: `Err` (kind `NotRecorded`) when a
    /// replayed snapshot has no answer for it, where [`Ctx::env`] says "unset". A missing
    /// answer is "could not tell", never a verdict about an unset variable.
    pub fn env_answer(&self, name: &str) -> ProbeResult<Option<String>> {
        into_result(self.inner.env_answer(name.into())).map(|v| v.into_option().map(String::from))
    }

    /// [`Ctx::which_all`] for a lookup a verdict depends on: `Err` (kind `NotRecorded`) when
    /// a replayed snapshot has no answer for it, where [`Ctx::which_all`] says "not found".
    pub fn which_answer(&self, name: &str) -> ProbeResult<Vec<String>> {
        into_result(self.inner.which_answer(name.into()))
            .map(|found| found.into_iter().map(String::from).collect())
    }

    /// A fresh private directory, deleted by the host when the run ends.
    pub fn make_temp_dir(&self) -> ProbeResult<String> {
        into_result(self.inner.make_temp_dir()).map(String::from)
    }

    /// Write a file below a directory from [`Ctx::make_temp_dir`] (anywhere else is refused).
    pub fn write_file(&self, path: &str, contents: &[u8]) -> ProbeResult<()> {
        into_result(
            self.inner
                .write_file(path.into(), RSlice::from_slice(contents)),
        )
    }

    /// Tell the user what the check is doing now.
    pub fn progress(&self, message: &str) {
        self.inner.progress(message.into());
    }

    /// Log a line to the host's log (or use `tracing`: its events are forwarded too).
    pub fn log(&self, level: LogLevel, message: &str) {
        self.inner.log(level, self.plugin.into(), message.into());
    }

    /// A value stored with [`Ctx::cache_put`] in an earlier run (None with `--no-cache`).
    pub fn cache_get(&self, key: &str) -> Option<String> {
        self.inner
            .cache_get(key.into())
            .into_option()
            .map(String::from)
    }

    /// Store a value in the host's cache, namespaced by plugin.
    pub fn cache_put(&self, key: &str, value: &str) {
        self.inner.cache_put(key.into(), value.into());
    }

    /// *Since plugin API 1.3.0.* The identity of `path` for change detection (size, mtime,
    /// ctime, inode, device of its `lstat`): equal identities mean "unchanged" for a cache
    /// key over a tree. `Err` of kind `Unsupported` from a host that predates 1.3.0.
    pub fn file_identity(&self, path: &str) -> ProbeResult<FileIdentity> {
        into_result(self.inner.file_identity(path.into()))
    }

    /// *Since plugin API 1.3.0.* The value of `key` in the user's `[plugins.<this plugin>]`
    /// table of gohost.toml, as TOML text (`"x"`, `3`, `["a", "b"]`); `Ok(None)` when unset.
    /// `Err` (kind `NotRecorded`) in a replay whose snapshot has no answer: "could not tell".
    /// Use [`Ctx::setting_as`] to get a typed value.
    pub fn setting(&self, key: &str) -> ProbeResult<Option<String>> {
        into_result(self.inner.plugin_setting(key.into()))
            .map(|v| v.into_option().map(String::from))
    }

    /// *Since plugin API 1.3.0.* [`Ctx::setting`] deserialized as `T` (`String`, `u64`,
    /// `bool`, `Vec<String>`, a struct for an inline table, …); `Ok(None)` when unset.
    pub fn setting_as<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, SettingError> {
        let text = self.setting(key).map_err(|source| SettingError::Probe {
            key: key.to_owned(),
            source,
        })?;
        let Some(text) = text else {
            return Ok(None);
        };
        parse_setting(&text)
            .map(Some)
            .map_err(|message| SettingError::Invalid {
                plugin: self.plugin.to_owned(),
                key: key.to_owned(),
                value: text,
                message,
            })
    }

    /// *Since plugin API 1.1.0.* HTTP GET `url` through the host, with a `timeout` for the
    /// whole request and at most `max_bytes` of body (0 = the host's cap, 16 MiB).
    ///
    /// Declare the check with `needs: Needs { network: true, .. }`: the host refuses network
    /// access unless the run has `--online` (the runtime then skips the check before it
    /// runs). In replay the answer comes from the snapshot (`"probe": "http"`), so online
    /// checks can be tested offline.
    pub fn http_get(
        &self,
        url: &str,
        timeout: Duration,
        max_bytes: u64,
    ) -> ProbeResult<HttpResponse> {
        let timeout_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        into_result(self.inner.http_get(url.into(), timeout_ms, max_bytes))
    }
}

/// Parse one TOML value (the text [`Ctx::setting`] returns) as `T`. TOML has no grammar rule
/// for a bare value, so it is parsed as the document `v = <text>`, which must hold exactly
/// that one key (a replayed snapshot's text could otherwise smuggle in more).
pub fn parse_setting<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut table: toml::Table = toml::from_str(&format!("v = {text}"))
        .map_err(|e| format!("not a TOML value: {}", e.message()))?;
    if table.len() != 1 {
        return Err("not a single TOML value".to_owned());
    }
    let value = table
        .remove("v")
        .ok_or_else(|| "not a single TOML value".to_owned())?;
    value
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_owned())
}

#[cfg(test)]
mod setting_tests {
    use super::parse_setting;

    #[test]
    fn setting_text_parses_as_one_toml_value_and_nothing_else() {
        assert_eq!(parse_setting::<String>("\"x\""), Ok("x".to_owned()));
        assert_eq!(parse_setting::<u64>("3"), Ok(3));
        assert_eq!(
            parse_setting::<Vec<String>>("[\"a\", \"b\"]"),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert!(parse_setting::<u64>("\"x\"").is_err(), "wrong type");
        assert!(parse_setting::<String>("REDACTED").is_err(), "not TOML");
        assert!(
            parse_setting::<u64>("1\nw = 2").is_err(),
            "a second key is refused"
        );
    }
}
