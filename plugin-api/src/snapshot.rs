//! The snapshot format (record/replay) and [`Replayer`], which answers probes from one.
//!
//! A snapshot is a JSON document holding the shared facts and every probe answer of a run.
//! `gohost run --record FILE` writes one; `gohost run --replay FILE` and the in-process test
//! harness answer probes from one, never touching the machine. Hand-built fixtures from real
//! captured outputs use the same format, with provenance in `notes` and per-probe `source`.
//!
//! # Format (version 1)
//!
//! ```json
//! {
//!   "format": "gohost-snapshot",
//!   "version": 1,
//!   "created_by": "gohost 0.1.0",
//!   "redacted": {"home": "$HOME", "user": "$USER", "url-credentials": "REDACTED"},
//!   "redacted_counts": {"home": 12, "url-credentials": 3},
//!   "notes": ["free text: provenance, made-up values and why"],
//!   "facts": { … Facts … },
//!   "probes": [
//!     {"probe": "exec", "argv": ["go", "version"], "result": {"ok": {"exit": {"code": 0, …},
//!        "stdout": "go version go1.22 linux/amd64\n", "stderr": "", "truncated": false}}},
//!     {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"}},
//!     {"probe": "read_file", "path": "/proc/cpuinfo", "result": {"err": {"kind": "not-found", "message": "…"}}},
//!     {"probe": "env", "name": "GOARCH", "value": null},
//!     {"probe": "http", "url": "https://sum.golang.org/latest", "result": {"ok": {"status": 200, "body": "go.sum database tree\n…", "truncated": false}}}
//!   ]
//! }
//! ```
//!
//! Bytes (stdout, stderr, file contents) are a JSON string when they are UTF-8, otherwise
//! `{"base64": "…"}`. Exec probes match on `argv`, `cwd` and the env changes; a probe
//! asked more often than recorded gets its last answer again. A probe with no record
//! answers `not-recorded` (for `env`: unset; for `which`: nothing found).

use std::collections::HashMap;
use std::sync::Mutex;

use abi_stable::std_types::{ROption, RString};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::abi::{
    DirEntry, DirEntryIdentity, EnvVar, ExecOutput, ExecRequest, Facts, FileIdentity, FileInfo,
    HttpResponse, ProbeError, ProbeErrorKind,
};

/// The `format` field of every snapshot.
pub const SNAPSHOT_FORMAT: &str = "gohost-snapshot";
/// The current snapshot version; readers accept this version only.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Bytes that serialize as a string when UTF-8, else as `{"base64": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                let mut map = HashMap::new();
                map.insert(
                    "base64",
                    base64::engine::general_purpose::STANDARD.encode(&self.0),
                );
                map.serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Base64 { base64: String },
        }
        match Repr::deserialize(d)? {
            Repr::Text(t) => Ok(Bytes(t.into_bytes())),
            Repr::Base64 { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map(Bytes)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A `Result` in snapshot JSON: `{"ok": …}` or `{"err": {kind, message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer<T> {
    /// The probe answered.
    Ok(T),
    /// The probe failed.
    Err(ProbeError),
}

impl<T> Answer<T> {
    /// From a `Result`.
    pub fn from_result(r: Result<T, ProbeError>) -> Answer<T> {
        match r {
            Ok(v) => Answer::Ok(v),
            Err(e) => Answer::Err(e),
        }
    }
    /// Into a `Result`.
    pub fn into_result(self) -> Result<T, ProbeError> {
        match self {
            Answer::Ok(v) => Ok(v),
            Answer::Err(e) => Err(e),
        }
    }
}

/// A command's output in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecAnswer {
    /// How it ended.
    pub exit: crate::abi::ExitInfo,
    /// Standard output.
    pub stdout: Bytes,
    /// Standard error.
    pub stderr: Bytes,
    #[serde(default)]
    /// True when output was cut at the cap.
    pub truncated: bool,
}

/// `From` both ways between an ABI answer and its snapshot form, which has the same fields
/// but its byte fields as [`Bytes`] (base64 or text in JSON) instead of `RVec<u8>`. The struct
/// literals name every field, so a field added to one side and not here does not compile.
macro_rules! snapshot_form {
    ($abi:ident <=> $answer:ident { bytes: $($b:ident),+; as_is: $($f:ident),+ }) => {
        impl From<$abi> for $answer {
            fn from(v: $abi) -> $answer {
                $answer { $($b: Bytes(v.$b.into_vec()),)+ $($f: v.$f,)+ }
            }
        }
        impl From<$answer> for $abi {
            fn from(v: $answer) -> $abi {
                $abi { $($b: v.$b.0.into(),)+ $($f: v.$f,)+ }
            }
        }
    };
}
snapshot_form!(ExecOutput <=> ExecAnswer { bytes: stdout, stderr; as_is: exit, truncated });

/// One recorded probe and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "probe", rename_all = "snake_case")]
pub enum ProbeRecord {
    /// A command (`HostContext::exec`).
    Exec {
        /// The command line.
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        /// Environment changes of the request.
        env: Vec<EnvVar>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        /// Whether the environment was cleared.
        clear_env: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// The working directory of the request.
        cwd: Option<String>,
        /// The answer.
        result: Answer<ExecAnswer>,
        /// Where a hand-built fixture's answer came from (a file in shared/fixtures).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// A sysctl (`HostContext::sysctl`).
    Sysctl {
        /// The sysctl name.
        name: String,
        /// The answer.
        result: Answer<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// A file read (`HostContext::read_file`).
    ReadFile {
        /// The path as asked.
        path: String,
        /// The answer (the bytes read).
        result: Answer<Bytes>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// *Since plugin API 1.2.0:* a read from an offset (`HostContext::read_file_at`).
    ReadFileAt {
        /// The path as asked.
        path: String,
        /// The first byte read.
        offset: u64,
        /// The answer (the bytes read, at most what was asked).
        result: Answer<Bytes>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// A directory listing (`HostContext::read_dir`).
    ReadDir {
        /// The path as asked.
        path: String,
        /// The answer.
        result: Answer<Vec<DirEntry>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// An `lstat` (`HostContext::file_info`).
    FileInfo {
        /// The path as asked.
        path: String,
        /// The answer.
        result: Answer<FileInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// An environment variable (`HostContext::env`).
    Env {
        /// The variable name.
        name: String,
        /// Its value, None when unset.
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// A PATH lookup (`HostContext::which`).
    Which {
        /// The program name.
        name: String,
        /// Every match, in PATH order.
        found: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// A temporary directory (`HostContext::make_temp_dir`).
    TempDir {
        /// The answer (the directory's path).
        result: Answer<String>,
    },
    /// *Since plugin API 1.1.0:* an HTTP GET (`HostContext::http_get`).
    Http {
        /// The URL as asked.
        url: String,
        /// The answer.
        result: Answer<HttpAnswer>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// *Since plugin API 1.3.0:* a file's identity (`HostContext::file_identity`).
    FileIdentity {
        /// The path as asked.
        path: String,
        /// The answer.
        result: Answer<FileIdentity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// *Since plugin API 1.3.0:* a plugin setting (`HostContext::plugin_setting`): the value
    /// of `key` in `[plugins.<plugin>]` of the user's gohost.toml, as TOML text, or `null`
    /// when unset. Keyed by plugin, since one snapshot holds every plugin's answers.
    PluginSetting {
        /// The plugin that asked (each plugin sees only its own table).
        plugin: String,
        /// The key asked for.
        key: String,
        /// The value as TOML text; `None` when unset.
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
    /// *Since plugin API 1.4.0:* a directory's entries with their identities
    /// (`HostContext::read_dir_identities`), one record per directory.
    ReadDirIdentities {
        /// The path as asked.
        path: String,
        /// The answer: every entry, `identity: null` for one that could not be stat-ed.
        result: Answer<Vec<DirEntryIdentity>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Where a hand-built fixture's answer came from.
        source: Option<String>,
    },
}

/// An HTTP response in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpAnswer {
    /// The HTTP status code.
    pub status: u16,
    /// The body (as kept, at most the requested maximum).
    pub body: Bytes,
    #[serde(default)]
    /// True when the body was cut.
    pub truncated: bool,
}

snapshot_form!(HttpResponse <=> HttpAnswer { bytes: body; as_is: status, truncated });

/// A whole snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// Always [`SNAPSHOT_VERSION`] for snapshots this crate reads.
    pub version: u32,
    #[serde(default)]
    /// What wrote it (`gohost 0.1.0`, a fixture generator, …).
    pub created_by: String,
    /// What was replaced while recording: each kind (`home`, `user`, `url-credentials`,
    /// `authorization`, `goauth`, `secret-variable`, `private-host`) → its placeholder.
    #[serde(default)]
    pub redacted: HashMap<String, String>,
    /// *Optional* (absent in older snapshots, which still replay): how many replacements of
    /// each kind in `redacted` were made (never the values).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub redacted_counts: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    /// Provenance and anything made up, in prose.
    pub notes: Vec<String>,
    /// The facts of the recorded run.
    pub facts: Facts,
    #[serde(default)]
    /// Every probe answer, in the order asked.
    pub probes: Vec<ProbeRecord>,
}

/// Why a snapshot could not be used.
#[derive(Debug)]
pub enum SnapshotError {
    /// Not valid JSON, or not the snapshot schema.
    Json(serde_json::Error),
    /// The `format` field is not [`SNAPSHOT_FORMAT`].
    Format(String),
    /// A `version` this crate cannot read.
    Version(u32),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Json(e) => write!(f, "not a valid snapshot: {e}"),
            SnapshotError::Format(found) => {
                write!(f, "not a gohost snapshot (format is `{found}`, expected `{SNAPSHOT_FORMAT}`)")
            }
            SnapshotError::Version(v) => write!(
                f,
                "snapshot version {v} is not supported (this gohost reads version {SNAPSHOT_VERSION})"
            ),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl Snapshot {
    /// An empty snapshot of `facts`.
    pub fn new(facts: Facts, created_by: impl Into<String>) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            version: SNAPSHOT_VERSION,
            created_by: created_by.into(),
            redacted: HashMap::new(),
            redacted_counts: std::collections::BTreeMap::new(),
            notes: Vec::new(),
            facts,
            probes: Vec::new(),
        }
    }

    /// Parse and validate format and version.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header: Header = serde_json::from_str(text).map_err(SnapshotError::Json)?;
        if header.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::Format(header.format));
        }
        if header.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version(header.version));
        }
        serde_json::from_str(text).map_err(SnapshotError::Json)
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// The key an exec probe is matched by.
fn exec_key(argv: &[String], env: &[EnvVar], clear_env: bool, cwd: Option<&str>) -> String {
    let env: Vec<String> = env
        .iter()
        .map(|e| format!("{}={:?}", e.name, e.value.as_ref().map(|v| v.as_str())))
        .collect();
    format!("{argv:?}|{env:?}|{clear_env}|{cwd:?}")
}

/// The replay key of a plugin setting: a plugin name never contains a NUL (names are
/// lowercase letters, digits and dashes), so the first NUL ends it and no two pairs collide.
fn setting_key(plugin: &str, key: &str) -> String {
    format!("plugin_setting:{plugin}\0{key}")
}

/// Answers probes from a snapshot. Thread-safe; repeated probes are answered in recorded
/// order, then the last answer repeats.
#[derive(Debug)]
pub struct Replayer {
    facts: Facts,
    queues: Mutex<HashMap<String, (Vec<ProbeRecord>, usize)>>,
}

/// Recorded bytes as a read of at most `max_bytes` (0 = whole) returns them.
fn cut(bytes: Bytes, max_bytes: u64) -> Vec<u8> {
    let mut bytes = bytes.0;
    if max_bytes > 0 {
        bytes.truncate(usize::try_from(max_bytes).unwrap_or(usize::MAX));
    }
    bytes
}

fn not_recorded(what: String) -> ProbeError {
    ProbeError {
        kind: ProbeErrorKind::NotRecorded,
        message: format!("the snapshot has no answer for {what}").into(),
    }
}

impl Replayer {
    /// Index the records of `snapshot` for answering.
    pub fn new(snapshot: Snapshot) -> Replayer {
        let mut queues: HashMap<String, (Vec<ProbeRecord>, usize)> = HashMap::new();
        for record in snapshot.probes {
            queues
                .entry(Self::key_of(&record))
                .or_default()
                .0
                .push(record);
        }
        Replayer {
            facts: snapshot.facts,
            queues: Mutex::new(queues),
        }
    }

    fn key_of(record: &ProbeRecord) -> String {
        match record {
            ProbeRecord::Exec {
                argv,
                env,
                clear_env,
                cwd,
                ..
            } => {
                format!("exec:{}", exec_key(argv, env, *clear_env, cwd.as_deref()))
            }
            ProbeRecord::Sysctl { name, .. } => format!("sysctl:{name}"),
            ProbeRecord::ReadFile { path, .. } => format!("read_file:{path}"),
            ProbeRecord::ReadFileAt { path, offset, .. } => format!("read_file_at:{path}@{offset}"),
            ProbeRecord::ReadDir { path, .. } => format!("read_dir:{path}"),
            ProbeRecord::FileInfo { path, .. } => format!("file_info:{path}"),
            ProbeRecord::Env { name, .. } => format!("env:{name}"),
            ProbeRecord::Which { name, .. } => format!("which:{name}"),
            ProbeRecord::TempDir { .. } => "temp_dir".to_owned(),
            ProbeRecord::Http { url, .. } => format!("http:{url}"),
            ProbeRecord::FileIdentity { path, .. } => format!("file_identity:{path}"),
            ProbeRecord::ReadDirIdentities { path, .. } => format!("read_dir_identities:{path}"),
            ProbeRecord::PluginSetting { plugin, key, .. } => setting_key(plugin, key),
        }
    }

    fn next(&self, key: &str) -> Option<ProbeRecord> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let (records, cursor) = queues.get_mut(key)?;
        let index = (*cursor).min(records.len().saturating_sub(1));
        *cursor += 1;
        records.get(index).cloned()
    }

    /// The recorded facts.
    pub fn facts(&self) -> Facts {
        self.facts.clone()
    }

    /// The recorded answer for this command line, cwd and environment changes.
    pub fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        let argv: Vec<String> = request.argv.iter().map(|s| s.to_string()).collect();
        let key = format!(
            "exec:{}",
            exec_key(
                &argv,
                &request.env,
                request.clear_env,
                request.cwd.as_ref().map(|c| c.as_str()).into_option()
            )
        );
        match self.next(&key) {
            Some(ProbeRecord::Exec { result, .. }) => result.into_result().map(ExecOutput::from),
            _ => Err(not_recorded(format!("command `{}`", argv.join(" ")))),
        }
    }

    /// The recorded sysctl value.
    pub fn sysctl(&self, name: &str) -> Result<String, ProbeError> {
        match self.next(&format!("sysctl:{name}")) {
            Some(ProbeRecord::Sysctl { result, .. }) => result.into_result(),
            _ => Err(not_recorded(format!("sysctl `{name}`"))),
        }
    }

    /// The recorded file contents, cut at `max_bytes` (0 = whole).
    pub fn read_file(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        match self.next(&format!("read_file:{path}")) {
            Some(ProbeRecord::ReadFile { result, .. }) => {
                result.into_result().map(|b| cut(b, max_bytes))
            }
            _ => Err(not_recorded(format!("file `{path}`"))),
        }
    }

    /// The recorded read at `offset`, cut at `max_bytes` (0 = whole).
    pub fn read_file_at(
        &self,
        path: &str,
        offset: u64,
        max_bytes: u64,
    ) -> Result<Vec<u8>, ProbeError> {
        match self.next(&format!("read_file_at:{path}@{offset}")) {
            Some(ProbeRecord::ReadFileAt { result, .. }) => {
                result.into_result().map(|b| cut(b, max_bytes))
            }
            _ => Err(not_recorded(format!("file `{path}` at offset {offset}"))),
        }
    }

    /// The recorded directory listing.
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, ProbeError> {
        match self.next(&format!("read_dir:{path}")) {
            Some(ProbeRecord::ReadDir { result, .. }) => result.into_result(),
            _ => Err(not_recorded(format!("directory `{path}`"))),
        }
    }

    /// The recorded `lstat`.
    pub fn file_info(&self, path: &str) -> Result<FileInfo, ProbeError> {
        match self.next(&format!("file_info:{path}")) {
            Some(ProbeRecord::FileInfo { result, .. }) => result.into_result(),
            _ => Err(not_recorded(format!("file info of `{path}`"))),
        }
    }

    /// Unrecorded variables are unset.
    pub fn env(&self, name: &str) -> Option<String> {
        match self.next(&format!("env:{name}")) {
            Some(ProbeRecord::Env { value, .. }) => value,
            _ => None,
        }
    }

    /// Unrecorded lookups find nothing.
    pub fn which(&self, name: &str) -> Vec<String> {
        match self.next(&format!("which:{name}")) {
            Some(ProbeRecord::Which { found, .. }) => found,
            _ => Vec::new(),
        }
    }

    /// The recorded value of a variable, `Err` (not recorded) when the snapshot has none.
    pub fn env_answer(&self, name: &str) -> Result<Option<String>, ProbeError> {
        match self.next(&format!("env:{name}")) {
            Some(ProbeRecord::Env { value, .. }) => Ok(value),
            _ => Err(not_recorded(format!("environment variable `{name}`"))),
        }
    }

    /// The recorded lookup, `Err` (not recorded) when the snapshot has none.
    pub fn which_answer(&self, name: &str) -> Result<Vec<String>, ProbeError> {
        match self.next(&format!("which:{name}")) {
            Some(ProbeRecord::Which { found, .. }) => Ok(found),
            _ => Err(not_recorded(format!("`which {name}`"))),
        }
    }

    /// The recorded temporary directory.
    pub fn make_temp_dir(&self) -> Result<String, ProbeError> {
        match self.next("temp_dir") {
            Some(ProbeRecord::TempDir { result }) => result.into_result(),
            _ => Err(not_recorded("a temporary directory".to_owned())),
        }
    }

    /// The recorded identity of `path` (plugin API 1.3.0).
    pub fn file_identity(&self, path: &str) -> Result<FileIdentity, ProbeError> {
        match self.next(&format!("file_identity:{path}")) {
            Some(ProbeRecord::FileIdentity { result, .. }) => result.into_result(),
            _ => Err(not_recorded(format!("file identity of `{path}`"))),
        }
    }

    /// The recorded entries and identities of directory `path` (plugin API 1.4.0). A snapshot
    /// recorded before 1.4.0 has none: `Err` (not recorded), never an empty directory.
    pub fn read_dir_identities(&self, path: &str) -> Result<Vec<DirEntryIdentity>, ProbeError> {
        match self.next(&format!("read_dir_identities:{path}")) {
            Some(ProbeRecord::ReadDirIdentities { result, .. }) => result.into_result(),
            _ => Err(not_recorded(format!("directory `{path}` with identities"))),
        }
    }

    /// The recorded setting `key` of `plugin` (plugin API 1.3.0): `Ok(None)` when it was
    /// recorded as unset, `Err` (not recorded) when the snapshot has no answer (e.g. it was
    /// recorded by a gohost that predates plugin settings).
    pub fn plugin_setting(&self, plugin: &str, key: &str) -> Result<Option<String>, ProbeError> {
        match self.next(&setting_key(plugin, key)) {
            Some(ProbeRecord::PluginSetting { value, .. }) => Ok(value),
            _ => Err(not_recorded(format!(
                "setting `{key}` of plugin `{plugin}`"
            ))),
        }
    }

    /// The recorded response for `url`, its body cut at `max_bytes` (0 = keep it whole).
    pub fn http_get(&self, url: &str, max_bytes: u64) -> Result<HttpResponse, ProbeError> {
        match self.next(&format!("http:{url}")) {
            Some(ProbeRecord::Http { result, .. }) => result.into_result().map(|a| {
                let mut response = HttpResponse::from(a);
                let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
                if max_bytes > 0 && response.body.len() > cap {
                    response.body.truncate(cap);
                    response.truncated = true;
                }
                response
            }),
            _ => Err(not_recorded(format!("HTTP GET `{url}`"))),
        }
    }
}

/// Convenience for building records in tests and fixtures.
pub fn exec_ok(argv: &[&str], code: i32, stdout: &str, stderr: &str) -> ProbeRecord {
    ProbeRecord::Exec {
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        env: Vec::new(),
        clear_env: false,
        cwd: None,
        result: Answer::Ok(ExecAnswer {
            exit: crate::abi::ExitInfo {
                code: ROption::RSome(code),
                signal: ROption::RNone,
                timed_out: false,
            },
            stdout: Bytes(stdout.as_bytes().to_vec()),
            stderr: Bytes(stderr.as_bytes().to_vec()),
            truncated: false,
        }),
        source: None,
    }
}

/// A sysctl answer, for tests and fixtures.
pub fn sysctl_ok(name: &str, value: &str) -> ProbeRecord {
    ProbeRecord::Sysctl {
        name: name.to_owned(),
        result: Answer::Ok(value.to_owned()),
        source: None,
    }
}

/// A file's contents, for tests and fixtures.
pub fn read_file_ok(path: &str, contents: &[u8]) -> ProbeRecord {
    ProbeRecord::ReadFile {
        path: path.to_owned(),
        result: Answer::Ok(Bytes(contents.to_vec())),
        source: None,
    }
}

/// The bytes of a file from `offset` (`read_file_at`), for tests and fixtures.
pub fn read_file_at_ok(path: &str, offset: u64, contents: &[u8]) -> ProbeRecord {
    ProbeRecord::ReadFileAt {
        path: path.to_owned(),
        offset,
        result: Answer::Ok(Bytes(contents.to_vec())),
        source: None,
    }
}

/// A directory listing, for tests and fixtures: `(name, kind)` per entry.
pub fn read_dir_ok(path: &str, entries: &[(&str, crate::abi::FileKind)]) -> ProbeRecord {
    ProbeRecord::ReadDir {
        path: path.to_owned(),
        result: Answer::Ok(
            entries
                .iter()
                .map(|(name, kind)| DirEntry {
                    name: (*name).into(),
                    kind: *kind,
                })
                .collect(),
        ),
        source: None,
    }
}

/// An `lstat` of a regular file or directory (no symlink, canonical path = `path`), for tests
/// and fixtures; build a [`FileInfo`] yourself for symlinks.
pub fn file_info_ok(
    path: &str,
    kind: crate::abi::FileKind,
    size: u64,
    mode: u32,
    uid: u32,
) -> ProbeRecord {
    ProbeRecord::FileInfo {
        path: path.to_owned(),
        result: Answer::Ok(FileInfo {
            kind,
            size,
            mode,
            uid,
            link_target: ROption::RNone,
            canonical: ROption::RSome(path.into()),
        }),
        source: None,
    }
}

/// An environment variable as recorded (`None`: recorded as unset), for tests and fixtures.
pub fn env_var(name: &str, value: Option<&str>) -> ProbeRecord {
    ProbeRecord::Env {
        name: name.to_owned(),
        value: value.map(str::to_owned),
        source: None,
    }
}

/// A PATH lookup as recorded (empty: recorded as not found), for tests and fixtures.
pub fn which_found(name: &str, found: &[&str]) -> ProbeRecord {
    ProbeRecord::Which {
        name: name.to_owned(),
        found: found.iter().map(|s| (*s).to_owned()).collect(),
        source: None,
    }
}

/// A file identity, for tests and fixtures (plugin API 1.3.0).
pub fn file_identity_ok(path: &str, identity: FileIdentity) -> ProbeRecord {
    ProbeRecord::FileIdentity {
        path: path.to_owned(),
        result: Answer::Ok(identity),
        source: None,
    }
}

/// A directory listing with identities, for tests and fixtures (plugin API 1.4.0): `(name,
/// kind, identity)` per entry, `None` for an entry that could not be stat-ed.
pub fn read_dir_identities_ok(
    path: &str,
    entries: &[(&str, crate::abi::FileKind, Option<FileIdentity>)],
) -> ProbeRecord {
    ProbeRecord::ReadDirIdentities {
        path: path.to_owned(),
        result: Answer::Ok(
            entries
                .iter()
                .map(|(name, kind, identity)| DirEntryIdentity {
                    name: (*name).into(),
                    kind: *kind,
                    identity: (*identity).into(),
                })
                .collect(),
        ),
        source: None,
    }
}

/// A plugin setting as recorded, for tests and fixtures (plugin API 1.3.0): `value` is TOML
/// text (`"\"x\""`, `"3"`, `"[\"a\", \"b\"]"`), `None` when recorded as unset.
pub fn plugin_setting(plugin: &str, key: &str, value: Option<&str>) -> ProbeRecord {
    ProbeRecord::PluginSetting {
        plugin: plugin.to_owned(),
        key: key.to_owned(),
        value: value.map(str::to_owned),
        source: None,
    }
}

/// A probe that failed, for tests and fixtures: e.g.
/// `failed(sysctl_ok("hw.optional.arm64", ""), ProbeErrorKind::NotFound, "unknown oid")`
/// turns the answer of any record with a result into that error.
pub fn failed(mut record: ProbeRecord, kind: ProbeErrorKind, message: &str) -> ProbeRecord {
    let err = ProbeError {
        kind,
        message: message.into(),
    };
    // Every other field stays as recorded; only the answer becomes the error.
    match &mut record {
        ProbeRecord::Exec { result, .. } => *result = Answer::Err(err),
        ProbeRecord::Sysctl { result, .. } | ProbeRecord::TempDir { result } => {
            *result = Answer::Err(err);
        }
        ProbeRecord::ReadFile { result, .. } | ProbeRecord::ReadFileAt { result, .. } => {
            *result = Answer::Err(err);
        }
        ProbeRecord::ReadDir { result, .. } => *result = Answer::Err(err),
        ProbeRecord::FileInfo { result, .. } => *result = Answer::Err(err),
        ProbeRecord::FileIdentity { result, .. } => *result = Answer::Err(err),
        ProbeRecord::ReadDirIdentities { result, .. } => *result = Answer::Err(err),
        ProbeRecord::Http { result, .. } => *result = Answer::Err(err),
        // Variables, lookups and settings have no error in the format: a missing answer is
        // their "could not tell" (see `Replayer::env_answer`).
        ProbeRecord::Env { .. } | ProbeRecord::Which { .. } | ProbeRecord::PluginSetting { .. } => {
        }
    }
    record
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Bytes {
        Bytes(s.as_bytes().to_vec())
    }
}

impl From<RString> for Bytes {
    fn from(s: RString) -> Bytes {
        Bytes(s.into_string().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::FileKind;

    fn facts() -> Facts {
        crate::testing::TestContext::linux_facts()
    }

    fn identity(inode: u64) -> FileIdentity {
        FileIdentity {
            size: 9,
            mtime_sec: 1,
            mtime_nsec: 2,
            ctime_sec: 3,
            ctime_nsec: 4,
            inode,
            device: 6,
        }
    }

    #[test]
    fn dir_identities_replay_as_recorded_and_an_old_snapshot_has_none() {
        let mut snapshot = Snapshot::new(facts(), "test");
        snapshot.probes.push(read_dir_identities_ok(
            "/go/src",
            &[
                ("a.go", FileKind::File, Some(identity(1))),
                ("gone.go", FileKind::File, None),
            ],
        ));
        // What a run before plugin API 1.4.0 recorded: a listing and per-file identities.
        snapshot
            .probes
            .push(read_dir_ok("/go/old", &[("b.go", FileKind::File)]));
        snapshot
            .probes
            .push(file_identity_ok("/go/old/b.go", identity(2)));
        let text = serde_json::to_string(&snapshot).expect("serialize");
        assert!(text.contains(r#""probe":"read_dir_identities""#), "{text}");
        let replayer = Replayer::new(serde_json::from_str(&text).expect("parse"));
        let got = replayer.read_dir_identities("/go/src").expect("recorded");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].identity, ROption::RSome(identity(1)));
        assert_eq!(got[1].identity, ROption::RNone, "recorded as not stat-able");
        assert_eq!(
            replayer.read_dir_identities("/go/old").map_err(|e| e.kind),
            Err(ProbeErrorKind::NotRecorded),
            "never an empty directory"
        );
        assert_eq!(replayer.read_dir("/go/old").map(|e| e.len()), Ok(1));
    }

    #[test]
    fn a_missing_variable_or_lookup_is_not_recorded_not_unset() {
        let mut snapshot = Snapshot::new(facts(), "test");
        snapshot.probes.push(env_var("GOARCH", None));
        snapshot.probes.push(env_var("GOOS", Some("darwin")));
        snapshot.probes.push(which_found("go", &[]));
        let replayer = Replayer::new(snapshot);
        assert_eq!(replayer.env_answer("GOARCH"), Ok(None), "recorded as unset");
        assert_eq!(replayer.env_answer("GOOS"), Ok(Some("darwin".into())));
        assert_eq!(
            replayer.env_answer("GOFLAGS").map_err(|e| e.kind),
            Err(ProbeErrorKind::NotRecorded)
        );
        // The plain form keeps the format's definition for older plugins.
        assert_eq!(replayer.env("GOFLAGS"), None);
        assert_eq!(
            replayer.which_answer("go"),
            Ok(Vec::new()),
            "recorded: none"
        );
        assert_eq!(
            replayer.which_answer("gcc").map_err(|e| e.kind),
            Err(ProbeErrorKind::NotRecorded)
        );
    }

    #[test]
    fn failed_replaces_only_the_answer_of_every_record_with_one() {
        let with_source = |mut v: serde_json::Value| {
            v["source"] = serde_json::json!("capture.txt");
            serde_json::from_value::<ProbeRecord>(v).expect("a record")
        };
        let mut records: Vec<ProbeRecord> = vec![
            exec_ok(&["go", "env", "-json"], 0, "{}", ""),
            sysctl_ok("hw.optional.arm64", "1"),
            read_file_ok("/etc/os-release", b"ID=debian\n"),
            read_file_at_ok("/usr/local/go/bin/go", 4096, b"\x7fELF"),
            read_dir_ok("/usr/local/go/bin", &[("go", FileKind::File)]),
            file_info_ok("/usr/local/go", FileKind::Dir, 4096, 0o755, 0),
            file_identity_ok(
                "/usr/local/go/VERSION",
                FileIdentity {
                    size: 9,
                    mtime_sec: 1,
                    mtime_nsec: 2,
                    ctime_sec: 3,
                    ctime_nsec: 4,
                    inode: 5,
                    device: 6,
                },
            ),
            read_dir_identities_ok("/usr/local/go/bin", &[("go", FileKind::File, None)]),
        ]
        .into_iter()
        .map(|r| with_source(serde_json::to_value(r).expect("json")))
        .collect();
        records.push(ProbeRecord::TempDir {
            result: Answer::Ok("/tmp/t0".to_owned()),
        });
        records.push(with_source(serde_json::json!({
            "probe": "http", "url": "https://sum.golang.org/latest",
            "result": {"ok": {"status": 200, "body": "x", "truncated": false}}
        })));
        assert_eq!(records.len(), 10);
        for record in records {
            let before = serde_json::to_value(&record).expect("json");
            let after =
                serde_json::to_value(failed(record, ProbeErrorKind::Other, "boom")).expect("json");
            let mut expected = before.clone();
            expected["result"] = serde_json::json!({"err": {"kind": "other", "message": "boom"}});
            assert_eq!(after, expected, "{before}");
        }
        let kept = [
            env_var("GOPATH", None),
            which_found("go", &[]),
            plugin_setting("demo", "mode", Some("\"fast\"")),
        ];
        for record in kept {
            assert_eq!(
                failed(record.clone(), ProbeErrorKind::Other, "boom"),
                record,
                "no error in the format: kept as recorded"
            );
        }
    }

    #[test]
    fn record_builders_round_trip_through_json() {
        let records = vec![
            sysctl_ok("hw.optional.arm64", "1"),
            read_file_ok("/etc/os-release", b"ID=debian\n"),
            read_dir_ok("/usr/local/go/bin", &[("go", FileKind::File)]),
            read_dir_identities_ok(
                "/usr/local/go/bin",
                &[
                    ("go", FileKind::File, Some(identity(7))),
                    ("gone", FileKind::File, None),
                ],
            ),
            file_info_ok("/usr/local/go", FileKind::Dir, 4096, 0o755, 0),
            env_var("GOPATH", Some("/home/me/go")),
            which_found("go", &["/usr/local/go/bin/go"]),
            failed(
                sysctl_ok("hw.optional.arm.FEAT_BTI", ""),
                ProbeErrorKind::NotFound,
                "unknown oid",
            ),
        ];
        let mut snapshot = Snapshot::new(facts(), "test");
        snapshot.probes = records.clone();
        let text = serde_json::to_string(&snapshot).expect("serialize");
        let back: Snapshot = serde_json::from_str(&text).expect("parse");
        assert_eq!(back.probes, records);
        let replayer = Replayer::new(back);
        assert_eq!(replayer.sysctl("hw.optional.arm64").as_deref(), Ok("1"));
        assert_eq!(
            replayer
                .sysctl("hw.optional.arm.FEAT_BTI")
                .map_err(|e| e.kind),
            Err(ProbeErrorKind::NotFound)
        );
        assert_eq!(
            replayer.file_info("/usr/local/go").map(|i| i.mode),
            Ok(0o755)
        );
    }
}
