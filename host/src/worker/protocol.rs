//! The worker protocol's messages: JSON lines, [`ToWorker`] on the worker's stdin and
//! [`FromWorker`] on its private protocol channel. Paths cross as raw bytes.

use super::*;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    Start(Box<WorkerStart>),
    Run { selection: Vec<String> },
    Exit,
}

/// Everything a worker needs; it reads no configuration of its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerStart {
    /// The plugin file's real path, as discovery checked it.
    #[serde(with = "path_bytes")]
    pub plugin_path: PathBuf,
    /// The file discovery checked: the worker opens `plugin_path` and refuses any other file
    /// (it never trusts the path alone: a directory may have been swapped since).
    #[serde(default)]
    pub plugin_identity: Option<crate::sys::FileIdentity>,
    pub expected_name: Option<String>,
    /// The plugin's own temporary directory (under the run's private one).
    #[serde(with = "path_bytes")]
    pub temp_root: PathBuf,
    /// What the run invokes every plugin with (the same for every worker of a run), the
    /// `--replay` snapshot included: the parent read and validated it once, so a worker never
    /// opens the user's file.
    pub setup: Setup,
}

/// Paths cross the protocol as their raw bytes: a Unix path need not be UTF-8, and a JSON
/// string must be.
mod path_bytes {
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(path.as_os_str().as_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Vec::<u8>::deserialize(d).map(|b| PathBuf::from(OsString::from_vec(b)))
    }
}

pub(crate) mod opt_path_bytes {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        match path {
            Some(p) => s.serialize_some(&Bytes(p)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::path_bytes")] PathBuf);
        Option::<Wrapped>::deserialize(d).map(|w| w.map(|Wrapped(p)| p))
    }

    struct Bytes<'a>(&'a PathBuf);

    impl serde::Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::path_bytes::serialize(self.0, s)
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    Manifest {
        manifest: PluginManifest,
    },
    LoadError {
        message: String,
    },
    Log {
        level: LogLevel,
        target: String,
        message: String,
    },
    Progress {
        message: String,
    },
    Probe {
        record: ProbeRecord,
    },
    Findings {
        findings: Vec<Finding>,
    },
}
