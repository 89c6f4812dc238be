//! Probes: how the host answers a plugin's questions about the machine.
//!
//! Three backends behind one trait: [`live::LiveProbes`] asks the real machine (the only place
//! with platform code), [`Recorder`] wraps another backend and keeps every answer for a
//! snapshot, [`ReplayProbes`] answers from a snapshot and never touches the machine.

/// Writes the probes a layer passes through unchanged: `forward_probes!(field => sysctl,
/// read_file, …)` inside an `impl Probes` expands to methods that call the same method of
/// `self.field` with the same arguments, so each layer (the recorder, the replay backend, the
/// test harness's overlays and exec hook) writes out only the probes it changes. The one table
/// of forwardable signatures is here, next to the trait.
///
/// `env_answer`/`which_answer` are forwarded only when listed: a layer that changes `env` or
/// `which` leaves them to the trait's defaults, which call its own `env`/`which`.
macro_rules! forward_probes {
    ($to:ident => $($method:ident),+ $(,)?) => {
        $(forward_probes!(@probe $to $method);)+
    };
    (@probe $to:ident exec) => {
        forward_probes!(@fn $to exec(request: &::gohost_plugin_api::ExecRequest)
            -> Result<::gohost_plugin_api::ExecOutput, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident sysctl) => {
        forward_probes!(@fn $to sysctl(name: &str) -> Result<String, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident read_file) => {
        forward_probes!(@fn $to read_file(path: &str, max_bytes: u64)
            -> Result<Vec<u8>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident read_dir) => {
        forward_probes!(@fn $to read_dir(path: &str)
            -> Result<Vec<::gohost_plugin_api::DirEntry>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident read_file_at) => {
        forward_probes!(@fn $to read_file_at(path: &str, offset: u64, max_bytes: u64)
            -> Result<Vec<u8>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident file_info) => {
        forward_probes!(@fn $to file_info(path: &str)
            -> Result<::gohost_plugin_api::FileInfo, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident file_identity) => {
        forward_probes!(@fn $to file_identity(path: &str)
            -> Result<::gohost_plugin_api::FileIdentity, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident read_dir_identities) => {
        forward_probes!(@fn $to read_dir_identities(path: &str)
            -> Result<Vec<::gohost_plugin_api::DirEntryIdentity>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident plugin_setting) => {
        forward_probes!(@fn $to plugin_setting(plugin: &str, key: &str)
            -> Result<Option<String>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident env) => {
        forward_probes!(@fn $to env(name: &str) -> Option<String>);
    };
    (@probe $to:ident which) => {
        forward_probes!(@fn $to which(name: &str) -> Vec<String>);
    };
    (@probe $to:ident env_answer) => {
        forward_probes!(@fn $to env_answer(name: &str)
            -> Result<Option<String>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident which_answer) => {
        forward_probes!(@fn $to which_answer(name: &str)
            -> Result<Vec<String>, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident make_temp_dir) => {
        forward_probes!(@fn $to make_temp_dir() -> Result<String, ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident write_file) => {
        forward_probes!(@fn $to write_file(path: &str, contents: &[u8])
            -> Result<(), ::gohost_plugin_api::ProbeError>);
    };
    (@probe $to:ident http_get) => {
        forward_probes!(@fn $to http_get(url: &str, timeout_ms: u64, max_bytes: u64)
            -> Result<::gohost_plugin_api::HttpResponse, ::gohost_plugin_api::ProbeError>);
    };
    (@fn $to:ident $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        fn $method(&self, $($arg: $ty),*) -> $ret {
            self.$to.$method($($arg),*)
        }
    };
}
#[cfg(feature = "harness")]
pub(crate) use forward_probes;

pub mod live;

use std::sync::{Arc, Mutex};

use gohost_plugin_api::snapshot::{Answer, Bytes, ExecAnswer, HttpAnswer, ProbeRecord, Replayer};
use gohost_plugin_api::{
    DirEntry, DirEntryIdentity, ExecOutput, ExecRequest, FileIdentity, FileInfo, HttpResponse,
    ProbeError, ProbeResult,
};

/// Plugin settings of a run: plugin name → key → the value as TOML text, from the
/// `[plugins.<name>]` tables of the user's gohost.toml (`config.rs`).
pub type PluginSettings =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// Every probe a plugin can ask for (through the host context).
pub trait Probes: Send + Sync {
    fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError>;
    fn sysctl(&self, name: &str) -> Result<String, ProbeError>;
    fn read_file(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, ProbeError>;
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, ProbeError>;
    /// Up to `max_bytes` from byte `offset` (plugin API 1.2.0).
    fn read_file_at(&self, path: &str, offset: u64, max_bytes: u64) -> Result<Vec<u8>, ProbeError>;
    fn file_info(&self, path: &str) -> Result<FileInfo, ProbeError>;
    /// The `lstat` identity of a path (plugin API 1.3.0).
    fn file_identity(&self, path: &str) -> Result<FileIdentity, ProbeError>;
    /// A directory's entries, sorted by name, each with its `lstat` identity (`None` for one
    /// that could not be stat-ed) (plugin API 1.4.0).
    fn read_dir_identities(&self, path: &str) -> Result<Vec<DirEntryIdentity>, ProbeError>;
    /// The value (TOML text) of `key` in `[plugins.<plugin>]`, `Ok(None)` when unset (plugin
    /// API 1.3.0). `plugin` comes from the host context, never from the plugin.
    fn plugin_setting(&self, plugin: &str, key: &str) -> Result<Option<String>, ProbeError>;
    fn env(&self, name: &str) -> Option<String>;
    fn which(&self, name: &str) -> Vec<String>;
    /// `env`, with a missing answer told apart from an unset variable (plugin API 1.2.0).
    /// Only a replay can lack an answer; every other backend knows, so the default is `env`.
    fn env_answer(&self, name: &str) -> Result<Option<String>, ProbeError> {
        Ok(self.env(name))
    }
    /// `which`, with a missing answer told apart from "not found" (plugin API 1.2.0).
    fn which_answer(&self, name: &str) -> Result<Vec<String>, ProbeError> {
        Ok(self.which(name))
    }
    fn make_temp_dir(&self) -> Result<String, ProbeError>;
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), ProbeError>;
    /// HTTP GET (plugin API 1.1.0); the caller has already checked that the run is online.
    fn http_get(&self, url: &str, timeout_ms: u64, max_bytes: u64) -> ProbeResult<HttpResponse>;
}

/// Where recorded probe answers go (a vector in-process, the worker pipe in a worker).
pub trait RecordSink: Send + Sync {
    fn record(&self, record: ProbeRecord);
}

/// A sink that keeps records in memory.
#[derive(Default)]
pub struct MemorySink {
    records: Mutex<Vec<ProbeRecord>>,
}

impl MemorySink {
    pub fn take(&self) -> Vec<ProbeRecord> {
        self.records
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

impl RecordSink for MemorySink {
    fn record(&self, record: ProbeRecord) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }
}

/// Records every answer of an inner backend.
pub struct Recorder {
    inner: Arc<dyn Probes>,
    sink: Arc<dyn RecordSink>,
}

impl Recorder {
    pub fn new(inner: Arc<dyn Probes>, sink: Arc<dyn RecordSink>) -> Recorder {
        Recorder { inner, sink }
    }
}

impl Probes for Recorder {
    fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        let result = self.inner.exec(request);
        self.sink.record(ProbeRecord::Exec {
            argv: request.argv.iter().map(|a| a.to_string()).collect(),
            env: request.env.iter().cloned().collect(),
            clear_env: request.clear_env,
            cwd: request.cwd.as_ref().map(|c| c.to_string()).into_option(),
            result: Answer::from_result(result.clone().map(ExecAnswer::from)),
            source: None,
        });
        result
    }
    fn sysctl(&self, name: &str) -> Result<String, ProbeError> {
        let result = self.inner.sysctl(name);
        self.sink.record(ProbeRecord::Sysctl {
            name: name.to_owned(),
            result: Answer::from_result(result.clone()),
            source: None,
        });
        result
    }
    fn read_file(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        let result = self.inner.read_file(path, max_bytes);
        self.sink.record(ProbeRecord::ReadFile {
            path: path.to_owned(),
            result: Answer::from_result(result.clone().map(Bytes)),
            source: None,
        });
        result
    }
    fn read_file_at(&self, path: &str, offset: u64, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        let result = self.inner.read_file_at(path, offset, max_bytes);
        self.sink.record(ProbeRecord::ReadFileAt {
            path: path.to_owned(),
            offset,
            result: Answer::from_result(result.clone().map(Bytes)),
            source: None,
        });
        result
    }
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, ProbeError> {
        let result = self.inner.read_dir(path);
        self.sink.record(ProbeRecord::ReadDir {
            path: path.to_owned(),
            result: Answer::from_result(result.clone()),
            source: None,
        });
        result
    }
    fn file_info(&self, path: &str) -> Result<FileInfo, ProbeError> {
        let result = self.inner.file_info(path);
        self.sink.record(ProbeRecord::FileInfo {
            path: path.to_owned(),
            result: Answer::from_result(result.clone()),
            source: None,
        });
        result
    }
    fn file_identity(&self, path: &str) -> Result<FileIdentity, ProbeError> {
        let result = self.inner.file_identity(path);
        self.sink.record(ProbeRecord::FileIdentity {
            path: path.to_owned(),
            result: Answer::from_result(result.clone()),
            source: None,
        });
        result
    }
    fn read_dir_identities(&self, path: &str) -> Result<Vec<DirEntryIdentity>, ProbeError> {
        // One record per directory, as asked: replay answers the same call.
        let result = self.inner.read_dir_identities(path);
        self.sink.record(ProbeRecord::ReadDirIdentities {
            path: path.to_owned(),
            result: Answer::from_result(result.clone()),
            source: None,
        });
        result
    }
    fn plugin_setting(&self, plugin: &str, key: &str) -> Result<Option<String>, ProbeError> {
        let result = self.inner.plugin_setting(plugin, key);
        // Only answers are recorded (as for env); the redactor hides a secret-named key's
        // value in the snapshot (redact.rs).
        if let Ok(value) = &result {
            self.sink.record(ProbeRecord::PluginSetting {
                plugin: plugin.to_owned(),
                key: key.to_owned(),
                value: value.clone(),
                source: None,
            });
        }
        result
    }
    fn env(&self, name: &str) -> Option<String> {
        let value = self.inner.env(name);
        self.sink.record(ProbeRecord::Env {
            name: name.to_owned(),
            value: value.clone(),
            source: None,
        });
        value
    }
    fn which(&self, name: &str) -> Vec<String> {
        let found = self.inner.which(name);
        self.sink.record(ProbeRecord::Which {
            name: name.to_owned(),
            found: found.clone(),
            source: None,
        });
        found
    }
    fn make_temp_dir(&self) -> Result<String, ProbeError> {
        let result = self.inner.make_temp_dir();
        self.sink.record(ProbeRecord::TempDir {
            result: Answer::from_result(result.clone()),
        });
        result
    }
    // Writes are side effects, not observations: replay accepts them without a record.
    forward_probes!(inner => write_file);
    fn http_get(&self, url: &str, timeout_ms: u64, max_bytes: u64) -> ProbeResult<HttpResponse> {
        let result = self.inner.http_get(url, timeout_ms, max_bytes);
        self.sink.record(ProbeRecord::Http {
            url: url.to_owned(),
            result: Answer::from_result(result.clone().map(HttpAnswer::from)),
            source: None,
        });
        result
    }
}

/// Answers from a snapshot; the machine is never touched.
pub struct ReplayProbes {
    replayer: Replayer,
}

impl ReplayProbes {
    pub fn new(replayer: Replayer) -> ReplayProbes {
        ReplayProbes { replayer }
    }
}

impl Probes for ReplayProbes {
    forward_probes!(replayer => exec, sysctl, read_file, read_dir, read_file_at, file_info,
        file_identity, read_dir_identities, plugin_setting, env, which, env_answer, which_answer,
        make_temp_dir);
    fn write_file(&self, _path: &str, _contents: &[u8]) -> Result<(), ProbeError> {
        Ok(())
    }
    fn http_get(&self, url: &str, _timeout_ms: u64, max_bytes: u64) -> ProbeResult<HttpResponse> {
        self.replayer.http_get(url, max_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::snapshot::Snapshot;

    #[test]
    fn read_file_at_reads_a_range_and_replays_what_it_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("data");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        std::fs::write(&file, &bytes).expect("write");
        let path = file.to_string_lossy().into_owned();

        let live: Arc<dyn Probes> = Arc::new(live::LiveProbes::new(
            live::Limits::default(),
            dir.path().to_path_buf(),
        ));
        let sink = Arc::new(MemorySink::default());
        let recorder = Recorder::new(live, sink.clone());
        assert_eq!(
            recorder.read_file_at(&path, 9_000, 16).ok(),
            Some(bytes[9_000..9_016].to_vec())
        );
        assert_eq!(
            recorder.read_file_at(&path, 9_990, 100).ok(),
            Some(bytes[9_990..].to_vec()),
            "a range past the end is cut at the end"
        );
        assert_eq!(
            recorder.read_file_at(&path, 20_000, 10).ok(),
            Some(Vec::new())
        );

        let mut snapshot = Snapshot::new(crate::facts::placeholder(), "test");
        snapshot.probes = sink.take();
        assert_eq!(snapshot.probes.len(), 3);
        let replay = ReplayProbes::new(Replayer::new(snapshot));
        assert_eq!(
            replay.read_file_at(&path, 9_000, 16).ok(),
            Some(bytes[9_000..9_016].to_vec())
        );
        assert_eq!(
            replay.read_file_at(&path, 0, 16).map_err(|e| e.kind),
            Err(gohost_plugin_api::ProbeErrorKind::NotRecorded),
            "another offset was never read"
        );
    }

    #[test]
    fn file_identity_is_lstat_changes_with_the_file_and_replays_what_it_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("data");
        std::fs::write(&file, b"one").expect("write");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let path = file.to_string_lossy().into_owned();
        let link_path = link.to_string_lossy().into_owned();

        let live: Arc<dyn Probes> = Arc::new(live::LiveProbes::new(
            live::Limits::default(),
            dir.path().to_path_buf(),
        ));
        let sink = Arc::new(MemorySink::default());
        let recorder = Recorder::new(live, sink.clone());
        let first = recorder.file_identity(&path).expect("identity");
        let meta = std::fs::symlink_metadata(&file).expect("stat");
        use std::os::unix::fs::MetadataExt as _;
        assert_eq!(
            (first.size, first.inode, first.device, first.mtime_sec),
            (3, meta.ino(), meta.dev(), meta.mtime())
        );
        let of_link = recorder
            .file_identity(&link_path)
            .expect("identity of the link");
        assert_ne!(
            of_link.inode, first.inode,
            "lstat: the link itself, not its target"
        );
        // Another file moved into place (what an editor's save or `go install` does): the
        // identity changes even when the size does not.
        let other = dir.path().join("other");
        std::fs::write(&other, b"two").expect("write");
        std::fs::rename(&other, &file).expect("rename");
        let second = recorder.file_identity(&path).expect("identity");
        assert_eq!(second.size, 3);
        assert_ne!(first, second, "a replaced file has another identity");
        let missing = recorder
            .file_identity(&format!("{path}.absent"))
            .map_err(|e| e.kind);
        assert_eq!(missing, Err(gohost_plugin_api::ProbeErrorKind::NotFound));

        let mut snapshot = Snapshot::new(crate::facts::placeholder(), "test");
        snapshot.probes = sink.take();
        assert_eq!(snapshot.probes.len(), 4);
        let text = snapshot.to_json();
        let replay = ReplayProbes::new(Replayer::new(Snapshot::from_json(&text).expect("parse")));
        assert_eq!(
            replay.file_identity(&path),
            Ok(first),
            "answers in recorded order"
        );
        assert_eq!(replay.file_identity(&path), Ok(second));
        assert_eq!(
            replay
                .file_identity(&format!("{path}.absent"))
                .map_err(|e| e.kind),
            Err(gohost_plugin_api::ProbeErrorKind::NotFound),
            "a recorded failure replays as that failure"
        );
        assert_eq!(
            replay.file_identity("/never/asked").map_err(|e| e.kind),
            Err(gohost_plugin_api::ProbeErrorKind::NotRecorded)
        );
    }

    #[test]
    fn dir_identities_equal_file_identity_of_each_entry_and_replay_what_was_recorded() {
        use gohost_plugin_api::{FileKind, ProbeErrorKind};
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("b.txt"), b"bee").expect("write");
        std::fs::write(d.join("a.go"), b"package a\n").expect("write");
        std::fs::create_dir(d.join("sub")).expect("mkdir");
        std::os::unix::fs::symlink("a.go", d.join("link")).expect("symlink");
        std::os::unix::fs::symlink("nowhere", d.join("dangling")).expect("symlink");
        std::fs::write(d.join("gone"), b"soon removed").expect("write");
        let path = d.to_string_lossy().into_owned();
        let live: Arc<dyn Probes> = Arc::new(live::LiveProbes::new(
            live::Limits::default(),
            d.to_path_buf(),
        ));

        // Every entry's batched identity is file_identity of its full path (same lstat
        // fields), in read_dir's order with read_dir's kinds.
        std::fs::remove_file(d.join("gone")).expect("rm");
        let batched = live.read_dir_identities(&path).expect("listing");
        let listed = live.read_dir(&path).expect("read_dir");
        assert_eq!(batched.len(), 5, "{batched:?}");
        assert_eq!(
            batched
                .iter()
                .map(|e| (e.name.to_string(), e.kind))
                .collect::<Vec<_>>(),
            listed
                .iter()
                .map(|e| (e.name.to_string(), e.kind))
                .collect::<Vec<_>>()
        );
        for e in &batched {
            let full = format!("{path}/{}", e.name);
            assert_eq!(
                e.identity.into_option(),
                Some(live.file_identity(&full).expect("identity")),
                "{full}"
            );
        }
        let link = batched
            .iter()
            .find(|e| e.name.as_str() == "link")
            .expect("link listed");
        assert_eq!(link.kind, FileKind::Symlink);
        let target = batched
            .iter()
            .find(|e| e.name.as_str() == "a.go")
            .expect("a.go listed");
        assert_ne!(
            link.identity.map(|i| i.inode),
            target.identity.map(|i| i.inode),
            "lstat: the link itself"
        );

        // An entry removed between the listing and its stat: listed, without an identity;
        // the others keep theirs.
        std::fs::write(d.join("gone"), b"soon removed").expect("write");
        let raced = live::dir_identities(&path, || {
            std::fs::remove_file(d.join("gone")).expect("rm");
        })
        .expect("listing");
        assert_eq!(raced.len(), 6, "{raced:?}");
        let gone = raced
            .iter()
            .find(|e| e.name.as_str() == "gone")
            .expect("listed before removal");
        assert_eq!(gone.identity.into_option(), None);
        assert_eq!(gone.kind, FileKind::File, "from the listing's d_type");
        assert_eq!(
            raced.iter().filter(|e| e.identity.is_some()).count(),
            5,
            "{raced:?}"
        );

        // Errors are the listing's: a missing directory, a file.
        assert_eq!(
            live.read_dir_identities(&format!("{path}/absent"))
                .map_err(|e| e.kind),
            Err(ProbeErrorKind::NotFound)
        );
        assert!(live.read_dir_identities(&format!("{path}/b.txt")).is_err());

        // Recorded once per directory; replay answers it, and an unasked directory is not
        // recorded (never an empty one).
        let sink = Arc::new(MemorySink::default());
        let recorder = Recorder::new(Arc::clone(&live), sink.clone());
        let recorded = recorder.read_dir_identities(&path).expect("listing");
        let missing = recorder
            .read_dir_identities(&format!("{path}/absent"))
            .map_err(|e| e.kind);
        assert_eq!(missing, Err(ProbeErrorKind::NotFound));
        let mut snapshot = Snapshot::new(crate::facts::placeholder(), "test");
        snapshot.probes = sink.take();
        assert_eq!(snapshot.probes.len(), 2, "one record per directory");
        let text = snapshot.to_json();
        let replay = ReplayProbes::new(Replayer::new(Snapshot::from_json(&text).expect("parse")));
        assert_eq!(replay.read_dir_identities(&path), Ok(recorded));
        assert_eq!(
            replay
                .read_dir_identities(&format!("{path}/absent"))
                .map_err(|e| e.kind),
            Err(ProbeErrorKind::NotFound),
            "a recorded failure replays as that failure"
        );
        assert_eq!(
            replay
                .read_dir_identities("/never/asked")
                .map_err(|e| e.kind),
            Err(ProbeErrorKind::NotRecorded)
        );
    }

    #[test]
    fn plugin_settings_are_per_plugin_recorded_and_unrecorded_ones_are_not_unset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = PluginSettings::new();
        settings.insert(
            "demo".to_owned(),
            [("mode".to_owned(), "\"fast\"".to_owned())]
                .into_iter()
                .collect(),
        );
        let live: Arc<dyn Probes> = Arc::new(
            live::LiveProbes::new(live::Limits::default(), dir.path().to_path_buf())
                .with_settings(Arc::new(settings)),
        );
        let sink = Arc::new(MemorySink::default());
        let recorder = Recorder::new(live, sink.clone());
        assert_eq!(
            recorder.plugin_setting("demo", "mode"),
            Ok(Some("\"fast\"".to_owned()))
        );
        assert_eq!(recorder.plugin_setting("demo", "other"), Ok(None));
        assert_eq!(
            recorder.plugin_setting("intruder", "mode"),
            Ok(None),
            "another plugin's table is not this one's"
        );
        let mut snapshot = Snapshot::new(crate::facts::placeholder(), "test");
        snapshot.probes = sink.take();
        assert_eq!(snapshot.probes.len(), 3);
        let replay = ReplayProbes::new(Replayer::new(snapshot));
        assert_eq!(
            replay.plugin_setting("demo", "mode"),
            Ok(Some("\"fast\"".to_owned()))
        );
        assert_eq!(
            replay.plugin_setting("demo", "other"),
            Ok(None),
            "recorded unset"
        );
        assert_eq!(
            replay.plugin_setting("demo", "never").map_err(|e| e.kind),
            Err(gohost_plugin_api::ProbeErrorKind::NotRecorded)
        );
    }
}
