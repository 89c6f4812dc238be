//! `gohost.toml`: the project's (nearest one in the current directory or its parents) over
//! the user's (`<config dir>/gohost/gohost.toml`). Flags win over `GOHOST_*` environment
//! variables, which win over config files; the CLI applies that order.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::run::Isolation;

/// Every key `gohost.toml` accepts. Unknown keys are an error (a typo must not be ignored).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Per-plugin timeout in seconds.
    pub timeout: Option<f64>,
    /// Time limit of a whole run in seconds.
    pub run_timeout: Option<f64>,
    /// Default timeout of one command a plugin runs, in seconds.
    pub exec_timeout: Option<f64>,
    pub isolation: Option<Isolation>,
    /// How many plugins run at once.
    pub jobs: Option<usize>,
    /// Extra plugin directories (searched first).
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Plugins never run.
    #[serde(default)]
    pub skip: Vec<String>,
    pub strict: Option<bool>,
    pub online: Option<bool>,
    pub allow_untrusted: Option<bool>,
    pub no_cache: Option<bool>,
    /// The largest snapshot `--replay` reads: bytes, or a size such as `"64MiB"`.
    pub max_snapshot_size: Option<SizeSetting>,
}

/// A size in a config file: a number of bytes or a string with a unit (`"64MiB"`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SizeSetting {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// Parse one config file. Relative `plugin_dirs` are relative to the file's directory.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim().replace('\n', " "),
    })?;
    let base = path.parent().unwrap_or(Path::new("/"));
    for dir in &mut config.plugin_dirs {
        if dir.is_relative() {
            *dir = base.join(&*dir);
        }
    }
    Ok(config)
}

/// The nearest `gohost.toml` in `start` or its ancestors.
pub fn find_project_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("gohost.toml"))
        .find(|p| p.is_file())
}

pub fn user_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("gohost").join("gohost.toml"))
}

/// `over` wins key by key; lists are concatenated (project dirs first).
pub fn merge(under: FileConfig, over: FileConfig) -> FileConfig {
    FileConfig {
        timeout: over.timeout.or(under.timeout),
        run_timeout: over.run_timeout.or(under.run_timeout),
        exec_timeout: over.exec_timeout.or(under.exec_timeout),
        isolation: over.isolation.or(under.isolation),
        jobs: over.jobs.or(under.jobs),
        plugin_dirs: over
            .plugin_dirs
            .into_iter()
            .chain(under.plugin_dirs)
            .collect(),
        skip: over.skip.into_iter().chain(under.skip).collect(),
        strict: over.strict.or(under.strict),
        online: over.online.or(under.online),
        allow_untrusted: over.allow_untrusted.or(under.allow_untrusted),
        no_cache: over.no_cache.or(under.no_cache),
        max_snapshot_size: over.max_snapshot_size.or(under.max_snapshot_size),
    }
}

/// Load the effective file config: an explicit `--config` file alone, or user + project.
pub fn load(
    explicit: Option<&Path>,
    cwd: &Path,
) -> Result<(FileConfig, Vec<PathBuf>), ConfigError> {
    if let Some(path) = explicit {
        return Ok((load_file(path)?, vec![path.to_path_buf()]));
    }
    let mut used = Vec::new();
    let mut config = FileConfig::default();
    if let Some(user) = user_config_path().filter(|p| p.is_file()) {
        config = merge(config, load_file(&user)?);
        used.push(user);
    }
    if let Some(project) = find_project_config(cwd) {
        config = merge(config, load_file(&project)?);
        used.push(project);
    }
    Ok((config, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gohost.toml");
        std::fs::write(&path, "timout = 3\n").expect("write");
        let err = load_file(&path).expect_err("typo must be rejected");
        assert!(err.to_string().contains("unknown field `timout`"), "{err}");
    }

    #[test]
    fn project_wins_over_user_and_dirs_are_relative_to_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gohost.toml");
        std::fs::write(
            &path,
            "timeout = 5\nrun_timeout = 30\nplugin_dirs = [\"p\"]\nisolation = \"none\"\n",
        )
        .expect("write");
        let project = load_file(&path).expect("parse");
        let user = FileConfig {
            timeout: Some(60.0),
            run_timeout: Some(900.0),
            jobs: Some(2),
            ..FileConfig::default()
        };
        let merged = merge(user, project);
        assert_eq!(merged.timeout, Some(5.0));
        assert_eq!(merged.run_timeout, Some(30.0));
        assert_eq!(merged.jobs, Some(2));
        assert_eq!(merged.isolation, Some(Isolation::None));
        assert_eq!(merged.plugin_dirs, vec![dir.path().join("p")]);
    }
}
