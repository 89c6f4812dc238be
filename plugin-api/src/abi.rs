//! The types that cross the host ↔ plugin boundary.
//!
//! Everything here is `#[repr(C)]` + `StableAbi`, so abi_stable checks its layout when a plugin
//! is loaded. The golden file `plugin-api/abi-layout.golden.txt` records the layout; a test
//! fails when it changes by accident (see the crate docs for the semver rules).

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// How a check ended. Ordered from best to worst for aggregation (`Error` is worst: the check
/// could not tell).
#[repr(u8)]
#[derive(
    StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Verified and fine.
    Pass,
    /// A fact worth knowing; nothing to fix.
    Info,
    /// Works, but something is likely to bite (exit 0 unless `--strict`).
    Warn,
    /// Verified broken.
    Fail,
    /// Could not run here; `detail` says why. Never a silent pass.
    Skip,
    /// The check itself broke (panic, crash, timeout, probe failure it cannot interpret).
    Error,
}

impl Status {
    /// All statuses, in declaration order.
    pub const ALL: [Status; 6] = [
        Status::Pass,
        Status::Info,
        Status::Warn,
        Status::Fail,
        Status::Skip,
        Status::Error,
    ];

    /// The lowercase name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }
}

/// One observed value behind a finding, and where it came from
/// (`sysctl sysctl.proc_translated`, `go env -json`, a file path, …).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was observed (`GOARCH`, `sysctl.proc_translated`, `go version`).
    pub key: RString,
    /// The observed value, as text.
    pub value: RString,
    /// Where it came from: the command line, sysctl name or file path.
    pub source: RString,
}

/// What the user should do: prose plus the exact commands.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Remediation {
    /// What to do and why, in a sentence or two.
    pub text: RString,
    /// The exact commands to run, in order (shown copy-pasteable).
    pub commands: RVec<RString>,
}

/// The result of one check (a check may emit several, e.g. one per `go` on PATH).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable dotted id `<plugin>.<kebab-name>`, e.g. `toolchain.path-shadow`.
    pub check: RString,
    /// The outcome.
    pub status: Status,
    /// One line a user reads first.
    pub title: RString,
    /// Why, in full sentences.
    #[serde(default)]
    pub detail: RString,
    #[serde(default)]
    /// What was observed, so a user can verify the conclusion.
    pub evidence: RVec<Evidence>,
    #[serde(default)]
    /// How to fix it; expected for every `warn` and `fail`.
    pub remediation: ROption<Remediation>,
    #[serde(default)]
    /// Links to further reading.
    pub docs: RVec<RString>,
    /// Wall time of the check, in microseconds (filled in by the export macro).
    #[serde(default)]
    pub duration_us: u64,
    /// True when the result was served from gohost's cache instead of being measured now.
    #[serde(default)]
    pub cached: bool,
}

/// What a check needs to be meaningful; the host uses it for selection and skips.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// Contacts the network: skipped unless the run has `--online`.
    pub network: bool,
    /// Needs root (e.g. `powermetrics`): skipped unless gohost runs as root or the run has
    /// `--allow-root-probes`.
    pub root: bool,
    /// Slow or measuring: skipped unless the run has `--deep`.
    pub slow: bool,
}

/// A check as the plugin declares it (without running it).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// `<plugin>.<kebab-name>`.
    pub id: RString,
    /// One line, shown in `gohost list`.
    pub title: RString,
    /// Long explanation for `gohost explain`: what is checked, why it matters, how to fix.
    pub explain: RString,
    /// Free-form tags for selection and grouping.
    pub tags: RVec<RString>,
    /// What the check needs to be meaningful.
    pub needs: Needs,
}

/// What a plugin says about itself.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginManifest {
    /// The plugin name: lowercase letters, digits and dashes; matches the file name.
    pub name: RString,
    /// The plugin crate's own version.
    pub version: RString,
    /// One line, shown in `gohost list`.
    pub description: RString,
    /// The plugin-api version the plugin was built against (`major.minor.patch`).
    pub api_version: RString,
    /// The checks the plugin registered, sorted by id.
    pub checks: RVec<CheckInfo>,
}

/// An environment change for a spawned command: `value` None removes the variable.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// The variable's name.
    pub name: RString,
    /// The value to set, or None to remove the variable.
    pub value: ROption<RString>,
}

/// A command to run through the host. The host enforces the timeout by killing the command's
/// whole process group, and records the answer for replay.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRequest {
    /// `argv[0]` is resolved on the host's PATH unless it contains a `/`.
    pub argv: RVec<RString>,
    /// Changes to the inherited environment.
    pub env: RVec<EnvVar>,
    /// Start from an empty environment (then apply `env`).
    pub clear_env: bool,
    /// The working directory (None: the host's).
    pub cwd: ROption<RString>,
    /// 0 means the host default.
    pub timeout_ms: u64,
}

/// How a command ended.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit status, when the process exited.
    pub code: ROption<i32>,
    /// The signal that ended it, when it was killed.
    pub signal: ROption<i32>,
    /// True when the host killed it at the timeout.
    pub timed_out: bool,
}

impl ExitInfo {
    /// Exited normally with status 0.
    pub fn success(&self) -> bool {
        self.code == ROption::RSome(0) && !self.timed_out
    }
}

/// The answer to an [`ExecRequest`]. Output beyond the host's cap is cut (`truncated`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// How it ended.
    pub exit: ExitInfo,
    /// Standard output (at most the host's cap).
    pub stdout: RVec<u8>,
    /// Standard error (at most the host's cap).
    pub stderr: RVec<u8>,
    /// True when stdout or stderr was cut at the cap.
    pub truncated: bool,
}

/// Why a probe could not answer.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeErrorKind {
    /// The file, command or sysctl does not exist.
    NotFound,
    /// The OS refused access.
    PermissionDenied,
    /// The probe did not finish within its timeout.
    Timeout,
    /// This probe does not exist on this OS (e.g. sysctl on Windows).
    Unsupported,
    /// Replaying a snapshot that has no answer for this probe.
    NotRecorded,
    /// The request itself is malformed (bad path, empty argv, bad URL).
    InvalidInput,
    /// Anything else; the message says what.
    Other,
}

#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Why a probe could not answer: a kind to branch on and a message to show.
pub struct ProbeError {
    /// What went wrong, to branch on.
    pub kind: ProbeErrorKind,
    /// What went wrong, for people (put it in a finding's detail).
    pub message: RString,
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProbeError {}

#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// The kind of a file system entry.
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
    /// Anything else (socket, device, fifo).
    Other,
}

#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// One entry of [`HostContext::read_dir`].
pub struct DirEntry {
    /// The file name (lossily converted when not UTF-8).
    pub name: RString,
    /// The entry itself, not what a symlink points to.
    pub kind: FileKind,
}

/// `lstat` of a path, plus where a symlink leads.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The entry itself (a symlink is `Symlink`).
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Unix permission bits (0 where unknown).
    pub mode: u32,
    /// The owner's user id.
    pub uid: u32,
    /// For a symlink: its target as written.
    pub link_target: ROption<RString>,
    /// The fully resolved path (`realpath`), when it resolves.
    pub canonical: ROption<RString>,
}

/// Whether the process runs natively, translated or emulated.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Translation {
    /// Runs as the machine's own architecture.
    Native,
    /// macOS Rosetta 2 (`sysctl.proc_translated` = 1).
    Rosetta,
    /// Linux user-mode emulation (qemu-user, Rosetta for Linux) of a foreign ELF.
    Emulated,
    /// Could not be decided; `translation_evidence` says why.
    Unknown,
}

/// The resolved `go` command, as the host found it once for all plugins.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoFacts {
    /// The first `go` on PATH (as found, not resolved).
    pub path: RString,
    /// `go version` stdout, trimmed.
    pub version_output: RString,
    /// `go env -json` stdout (a JSON object); empty when it failed.
    pub env_json: RString,
    /// Set when `go version` or `go env -json` failed: what happened.
    pub problem: ROption<RString>,
}

/// Facts computed once by the host and shared with every plugin.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// `macos`, `linux`, … (Rust's `std::env::consts::OS` of the host).
    pub os: RString,
    /// The host process's architecture as compiled (`aarch64`, `x86_64`).
    pub process_arch: RString,
    /// The kernel's machine name (`uname -m`: `arm64`, `x86_64`, `aarch64`).
    pub machine: RString,
    /// Human-readable OS version (`sw_vers`, `/etc/os-release` plus kernel).
    pub os_version: RString,
    /// Whether gohost itself runs natively, translated or emulated.
    pub translation: Translation,
    /// How `translation` was decided (sysctl value, binfmt handler, …).
    pub translation_evidence: RString,
    /// `machdep.cpu.brand_string` on macOS, `model name` on Linux.
    pub chip: ROption<RString>,
    /// None when no `go` is on PATH.
    pub go: ROption<GoFacts>,
}

/// Options of this run that change what plugins may do.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunOptions {
    /// `--online`: network requests allowed.
    pub online: bool,
    /// Checks that need root may run: `--allow-root-probes` (they may use non-interactive
    /// `sudo -n`), or gohost runs as root (never implied in a replay).
    pub allow_root: bool,
    /// `--deep`: slow, measuring checks allowed.
    pub deep: bool,
    /// `--no-cache`: bypass the result cache.
    pub no_cache: bool,
    /// Whether the host is replaying a snapshot (plugins must not assume live data).
    pub replay: bool,
}

#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// Severity of a plugin log line (forwarded to the host's log).
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something looks wrong.
    Warn,
    /// Normal progress.
    Info,
    /// Detail for `gohost -vv`.
    Debug,
    /// Everything, for `gohost -vvv`.
    Trace,
}

/// Everything a plugin may do to the outside world. The host implements it; plugins call it.
///
/// Going through this context (never `std::process`, `std::fs`, `std::env`) is what gives
/// plugins timeouts, record/replay and testability.
#[sabi_trait]
pub trait HostContext: Send + Sync {
    /// The facts the host computed once for this run (OS, architecture, translation, Go).
    fn facts(&self) -> Facts;
    /// The options of this run (`--online`, `--deep`, replay, …).
    fn options(&self) -> RunOptions;
    /// Run a command (see [`ExecRequest`]); a non-zero exit is `Ok`, `Err` means it could not start.
    fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError>;
    /// A sysctl value as text (`sysctlbyname` on macOS; `/proc/sys` on Linux).
    fn sysctl(&self, name: RStr<'_>) -> RResult<RString, ProbeError>;
    /// Up to `max_bytes` of a file (0 = the host's cap).
    fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError>;
    /// The entries of a directory (not sorted).
    fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError>;
    /// `lstat` of a path plus where a symlink leads.
    fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError>;
    /// An environment variable of the host process (replayed from the snapshot in replay).
    fn env(&self, name: RStr<'_>) -> ROption<RString>;
    /// Every match for `name` on PATH, in PATH order (executable files only).
    fn which(&self, name: RStr<'_>) -> RVec<RString>;
    /// A fresh private directory the host deletes when the run ends.
    fn make_temp_dir(&self) -> RResult<RString, ProbeError>;
    /// Write a file; only allowed below a directory from `make_temp_dir`.
    fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError>;
    /// A short progress message for the user (shown while the check runs).
    fn progress(&self, message: RStr<'_>);
    /// A log line, with the target it came from.
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);
    /// A value this plugin stored with `cache_put` in an earlier run (None when absent, or
    /// with `--no-cache`).
    fn cache_get(&self, key: RStr<'_>) -> ROption<RString>;
    /// Store a value in the host's result cache, namespaced by plugin.
    ///
    /// This is the last method of plugin API 1.0.0 and carries `last_prefix_field`: every
    /// host has it. It never moves (moving it is a major release); later methods are appended
    /// below it.
    #[sabi(last_prefix_field)]
    fn cache_put(&self, key: RStr<'_>, value: RStr<'_>);

    /// *Since plugin API 1.1.0.* An HTTP GET through the host: `timeout_ms` bounds the whole
    /// request (0 = the host default, 30 s), at most `max_bytes` of the body are kept (0 = the
    /// host cap, 16 MiB; `truncated` says when more was sent). Any HTTP status is `Ok` (look
    /// at `status`); `Err` means no response: network off (the host refuses unless the run
    /// has `--online`), DNS, connect, TLS, timeout, or not recorded in replay.
    ///
    /// Appended after `cache_put`, so a 1.0.0 vtable lacks it; the default body below is what
    /// a caller gets from such a host (the host refuses a plugin tagged with a newer minor, so
    /// in practice only a hand-built context without this method can produce it).
    fn http_get(
        &self,
        url: RStr<'_>,
        timeout_ms: u64,
        max_bytes: u64,
    ) -> RResult<HttpResponse, ProbeError> {
        let _ = (url, timeout_ms, max_bytes);
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "this host context has no http_get (it predates plugin API 1.1.0)".into(),
        })
    }

    /// *Since plugin API 1.2.0.* [`env`](Self::env), telling a missing answer from an unset
    /// variable: `Err` (kind `NotRecorded`) when a replayed snapshot has no answer for
    /// `name`, where plain `env` can only say "unset". A check whose verdict depends on a
    /// variable uses this, so a snapshot recorded by an older gohost (which never asked for
    /// the variable) gives "could not tell", not a verdict about an unset variable.
    ///
    /// The default body is what a host that predates 1.2.0 gives: its own `env`.
    fn env_answer(&self, name: RStr<'_>) -> RResult<ROption<RString>, ProbeError> {
        RResult::ROk(self.env(name))
    }

    /// *Since plugin API 1.2.0.* [`which`](Self::which), telling a missing answer from
    /// "not found": `Err` (kind `NotRecorded`) when a replayed snapshot has no answer for
    /// `name`.
    fn which_answer(&self, name: RStr<'_>) -> RResult<RVec<RString>, ProbeError> {
        RResult::ROk(self.which(name))
    }

    /// *Since plugin API 1.2.0.* Up to `max_bytes` of a file starting at byte `offset` (0 =
    /// the host's cap): a binary's section or trailer, or a large file in chunks, without
    /// reading everything before it. Past the end of the file the answer is empty.
    ///
    /// The default body, for a host that predates 1.2.0, reads the prefix up to the end of
    /// the range and cuts it: correct, only slower.
    fn read_file_at(
        &self,
        path: RStr<'_>,
        offset: u64,
        max_bytes: u64,
    ) -> RResult<RVec<u8>, ProbeError> {
        let end = offset.saturating_add(max_bytes.max(1));
        match self.read_file(path, end) {
            RResult::ROk(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                RResult::ROk(bytes[start..].to_vec().into())
            }
            RResult::RErr(e) => RResult::RErr(e),
        }
    }

    /// *Since plugin API 1.3.0.* Identity of a file for change detection (a cache key over a
    /// tree): size, modification time, inode, device, ctime, as `lstat` gives them (a symlink
    /// is not followed, like [`file_info`](Self::file_info)). Two answers that differ mean
    /// the file changed (or was replaced); equal answers are what `make`, Go's build cache
    /// and git's index accept as "unchanged".
    ///
    /// The default body, for a host that predates 1.3.0: `Err` of kind `Unsupported` (the
    /// caller re-reads instead of trusting a key).
    fn file_identity(&self, path: RStr<'_>) -> RResult<FileIdentity, ProbeError> {
        let _ = path;
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "this host context has no file_identity (it predates plugin API 1.3.0)".into(),
        })
    }

    /// *Since plugin API 1.3.0.* The value of `key` in the user's `[plugins.<this plugin>]`
    /// table of gohost.toml, as TOML text (e.g. `"x"`, `3`, `["a","b"]`); `ROk(RNone)` when
    /// unset; `Err` (kind `NotRecorded`) in a replay whose snapshot has no answer. A plugin
    /// sees only its own table.
    ///
    /// The default body, for a host that predates 1.3.0 (which had no plugin settings): unset.
    fn plugin_setting(&self, key: RStr<'_>) -> RResult<ROption<RString>, ProbeError> {
        let _ = key;
        RResult::ROk(ROption::RNone)
    }

    /// *Since plugin API 1.4.0.* The entries of a directory, sorted by name like
    /// [`read_dir`](Self::read_dir), each with the [`file_identity`](Self::file_identity) of
    /// the entry itself (`lstat`: a symlink is not followed), or `RNone` for an entry that
    /// could not be stat-ed (e.g. removed between the listing and its stat). One host call per
    /// directory instead of one per file: the host opens the directory once and stats each
    /// name relative to it (`fstatat`), which spares the kernel a full path walk per file.
    ///
    /// The default body, for a host that predates 1.4.0: `Err` of kind `Unsupported`
    /// ([`Ctx::read_dir_identities`](crate::Ctx::read_dir_identities) then falls back to
    /// `read_dir` + `file_identity`).
    fn read_dir_identities(&self, path: RStr<'_>) -> RResult<RVec<DirEntryIdentity>, ProbeError> {
        let _ = path;
        RResult::RErr(ProbeError {
            kind: ProbeErrorKind::Unsupported,
            message: "this host context has no read_dir_identities (it predates plugin API 1.4.0)"
                .into(),
        })
    }
}

/// *Since plugin API 1.4.0.* One entry of [`HostContext::read_dir_identities`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntryIdentity {
    /// The file name (lossily converted when not UTF-8), as in [`DirEntry`].
    pub name: RString,
    /// The entry itself, not what a symlink points to.
    pub kind: FileKind,
    /// The entry's `lstat` identity; `RNone` when that one entry could not be stat-ed.
    pub identity: ROption<FileIdentity>,
}

/// *Since plugin API 1.3.0.* The answer to [`HostContext::file_identity`]: the `lstat` fields
/// that change when a file's contents or inode change. Times are seconds since the Unix epoch
/// plus nanoseconds (both macOS's `struct stat` and Linux's have nanosecond `st_mtim`/`st_ctim`
/// or `st_mtimespec`/`st_ctimespec`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileIdentity {
    /// Size in bytes (`st_size`).
    pub size: u64,
    /// Last modification, seconds (`st_mtime`).
    pub mtime_sec: i64,
    /// Last modification, nanoseconds within the second.
    pub mtime_nsec: u32,
    /// Last status change, seconds (`st_ctime`): changes on rename, chmod, link, and every write.
    pub ctime_sec: i64,
    /// Last status change, nanoseconds within the second.
    pub ctime_nsec: u32,
    /// Inode number (`st_ino`).
    pub inode: u64,
    /// Device (`st_dev`).
    pub device: u64,
}

/// *Since plugin API 1.1.0.* The answer to [`HostContext::http_get`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The HTTP status code (`200`, `404`, `410`, …).
    pub status: u16,
    /// The body, cut at the requested maximum.
    pub body: RVec<u8>,
    /// True when the body was longer than the maximum and was cut.
    pub truncated: bool,
}

/// The context as plugins receive it: a borrowed trait object.
pub type HostContextRef<'a> = HostContext_TO<'a, abi_stable::sabi_types::RRef<'a, ()>>;

/// The root module every plugin exports. A prefix type: fields can be appended in a minor
/// release; a host reads only the prefix it knows.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Returns the plugin's manifest (name, version, checks); called once at load.
    pub manifest: extern "C" fn() -> PluginManifest,
    /// Run the selected checks (all when `selection` is empty).
    #[sabi(last_prefix_field)]
    pub run:
        extern "C" fn(ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "gohost_plugin";
    const NAME: &'static str = "gohost plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The plain version tag every plugin exports as `GOHOST_PLUGIN_ABI` (a `#[no_mangle]` static).
///
/// It is read before abi_stable's checks — from the file, without running plugin code, and
/// with `libloading` — so that a plugin built for another plugin-api major gets a one-line
/// message instead of a layout dump. Its layout never changes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiVersionTag {
    /// Always [`AbiVersionTag::MAGIC`].
    pub magic: [u8; 8],
    /// The plugin-api major version.
    pub major: u32,
    /// The plugin-api minor version.
    pub minor: u32,
    /// The plugin-api patch version.
    pub patch: u32,
    /// Reserved, zero.
    pub reserved: u32,
}

/// The name of the exported version symbol.
pub const ABI_VERSION_SYMBOL: &str = "GOHOST_PLUGIN_ABI";

impl AbiVersionTag {
    /// The first 8 bytes of every tag, to recognise it in a file.
    pub const MAGIC: [u8; 8] = *b"GOHOSTPL";
    /// The size of the tag in bytes, as stored in a plugin file.
    pub const SIZE: usize = 24;

    /// The version of this plugin-api crate.
    pub const CURRENT: AbiVersionTag = AbiVersionTag {
        magic: Self::MAGIC,
        major: parse_u32(env!("CARGO_PKG_VERSION_MAJOR")),
        minor: parse_u32(env!("CARGO_PKG_VERSION_MINOR")),
        patch: parse_u32(env!("CARGO_PKG_VERSION_PATCH")),
        reserved: 0,
    };

    /// Decode a tag from the bytes of a plugin file (native endianness of the file given).
    pub fn from_bytes(bytes: &[u8], little_endian: bool) -> Option<AbiVersionTag> {
        if bytes.len() < Self::SIZE || bytes[..8] != Self::MAGIC {
            return None;
        }
        let word = |i: usize| {
            let raw: [u8; 4] = bytes[8 + 4 * i..12 + 4 * i].try_into().ok()?;
            Some(if little_endian {
                u32::from_le_bytes(raw)
            } else {
                u32::from_be_bytes(raw)
            })
        };
        Some(AbiVersionTag {
            magic: Self::MAGIC,
            major: word(0)?,
            minor: word(1)?,
            patch: word(2)?,
            reserved: word(3)?,
        })
    }

    /// Whether a host built with `self` may load a plugin tagged `plugin`: same major, and the
    /// plugin's minor no newer than the host's (a newer minor may call methods this host lacks).
    pub fn accepts(&self, plugin: &AbiVersionTag) -> Result<(), VersionMismatch> {
        if plugin.major != self.major {
            Err(VersionMismatch::Major {
                host: *self,
                plugin: *plugin,
            })
        } else if plugin.minor > self.minor {
            Err(VersionMismatch::NewerMinor {
                host: *self,
                plugin: *plugin,
            })
        } else {
            Ok(())
        }
    }
}

impl std::fmt::Display for AbiVersionTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a host refuses a plugin's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionMismatch {
    /// The plugin was built for another major version.
    Major {
        /// The host's version.
        host: AbiVersionTag,
        /// The plugin's version.
        plugin: AbiVersionTag,
    },
    /// The plugin was built for a newer minor than the host's.
    NewerMinor {
        /// The host's version.
        host: AbiVersionTag,
        /// The plugin's version.
        plugin: AbiVersionTag,
    },
}

impl std::fmt::Display for VersionMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionMismatch::Major { host, plugin } => write!(
                f,
                "built for plugin API {plugin} but this gohost speaks plugin API {}.x; rebuild the plugin against gohost-plugin-api {}.x",
                host.major, host.major
            ),
            VersionMismatch::NewerMinor { host, plugin } => write!(
                f,
                "built for plugin API {plugin}, newer than this gohost's {host}; it needs a gohost supporting plugin API >= {}.{} (upgrade gohost)",
                plugin.major, plugin.minor
            ),
        }
    }
}

const fn parse_u32(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < bytes.len() {
        n = n * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    n
}
