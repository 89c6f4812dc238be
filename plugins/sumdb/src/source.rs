//! Where an effective Go setting comes from, so a fix names the right place: the process
//! environment wins, then the per-user go env file (`go env GOENV`), then `$GOROOT/go.env`
//! (Go 1.21+) or the go command's compiled-in default. Source: cmd/go/internal/cfg/cfg.go
//! (Getenv: a non-empty environment value wins, an empty one falls through to the env cache;
//! readEnvFile: the user file is read first and go.env does not overwrite its keys).

use std::collections::BTreeMap;

use gohost_plugin_api::{Ctx, ProbeErrorKind};

use crate::goenv::GoEnv;
use crate::shell::quote;

/// The go env file as read through the host context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFile {
    /// GOENV=off or empty: no file is read.
    Off,
    /// No such file (nothing was ever written with `go env -w`).
    Absent { path: String },
    /// Its `NAME=value` lines (a later line wins, as in readEnvFile).
    Read {
        path: String,
        vars: BTreeMap<String, String>,
    },
    /// It could not be read (permission, not recorded in a replay, …): could not tell.
    Unreadable { path: String, why: String },
}

impl EnvFile {
    pub fn gather(ctx: &Ctx<'_>, env: &GoEnv) -> EnvFile {
        let path = env.get("GOENV");
        if path.is_empty() || path == "off" {
            return EnvFile::Off;
        }
        match ctx.read_to_string(path) {
            Ok(text) => EnvFile::Read {
                path: path.to_owned(),
                vars: parse_env_file(&text),
            },
            Err(e) if e.kind == ProbeErrorKind::NotFound => EnvFile::Absent {
                path: path.to_owned(),
            },
            Err(e) => EnvFile::Unreadable {
                path: path.to_owned(),
                why: e.to_string(),
            },
        }
    }
}

/// `NAME=value` lines as cmd/go/internal/cfg readEnvFile takes them (lines without `=` or not
/// starting with A-Z are ignored).
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Where one setting's effective value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Exported with a non-empty value.
    Environment,
    /// A line in the go env file.
    EnvFile { path: String },
    /// Neither: `$GOROOT/go.env` or the compiled-in default.
    Default,
    /// The go env file could not be read, so file or default cannot be told apart.
    Unknown { why: String },
}

/// The settings' sources, gathered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Environment values of the names gohost judges (present only when set at all).
    pub exported: BTreeMap<String, String>,
    pub env_file: EnvFile,
}

pub const NAMES: [&str; 7] = [
    "GOPROXY",
    "GOSUMDB",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOINSECURE",
    "GOFLAGS",
    "GONOPROXY",
];

impl Sources {
    pub fn gather(ctx: &Ctx<'_>, env: &GoEnv) -> Sources {
        Sources {
            exported: NAMES
                .iter()
                .filter_map(|n| ctx.env(n).map(|v| ((*n).to_owned(), v)))
                .collect(),
            env_file: EnvFile::gather(ctx, env),
        }
    }

    pub fn of(&self, name: &str) -> Source {
        if self.exported.get(name).is_some_and(|v| !v.is_empty()) {
            return Source::Environment;
        }
        match &self.env_file {
            EnvFile::Read { path, vars } if vars.contains_key(name) => {
                Source::EnvFile { path: path.clone() }
            }
            EnvFile::Unreadable { path, why } => Source::Unknown {
                why: format!("the go env file {path} could not be read: {why}"),
            },
            _ => Source::Default,
        }
    }

    /// Evidence text: where the value comes from.
    pub fn describe(&self, name: &str) -> String {
        match self.of(name) {
            Source::Environment => "exported in the environment".to_owned(),
            Source::EnvFile { path } => format!("a {name}= line in the go env file {path}"),
            Source::Default => "not set by you (the go command's default)".to_owned(),
            Source::Unknown { why } => format!("could not tell: {why}"),
        }
    }

    /// Commands that remove the user's setting of `name`, so the default applies again.
    /// `go env -u` is printed only when the line is in the go env file: go1.27.3 exits 1
    /// ("reading go env config: … no such file") when there is no file (checked by running it).
    pub fn reset(&self, name: &str) -> Vec<String> {
        match self.of(name) {
            Source::Environment => vec![format!("unset {name}")],
            Source::EnvFile { .. } => vec![format!("go env -u {name}")],
            Source::Default => Vec::new(),
            Source::Unknown { .. } => vec![format!("unset {name}"), format!("go env -u {name}")],
        }
    }

    /// A command that sets `name` to `value` where it takes effect: `export` when the
    /// environment already overrides the go env file or there is no go env file (GOENV=off),
    /// else `go env -w`.
    pub fn set(&self, name: &str, value: &str) -> String {
        // With GOENV=off `go env -w` refuses to write, so only the environment is left.
        match (self.of(name), &self.env_file) {
            (Source::Environment, _) | (_, EnvFile::Off) => {
                format!("export {name}={}", quote(value))
            }
            _ => format!("go env -w {name}={}", quote(value)),
        }
    }

    /// "… and delete it from your shell startup file" when the value is exported; which
    /// command applies when the source could not be told.
    pub fn profile_note(&self, name: &str) -> String {
        match self.of(name) {
            Source::Environment => format!(" {name} is exported in your environment: also delete the line that sets it from your shell startup file (~/.zshrc, ~/.zprofile or ~/.bash_profile), or it comes back in the next shell."),
            Source::Unknown { why } => format!(" gohost could not tell where {name} is set ({why}): of the commands below, use the one that applies (`go env -u` fails when there is no go env file)."),
            Source::EnvFile { .. } | Source::Default => String::new(),
        }
    }
}
