//! `gohost.toml`: the project's (nearest one in the current directory or its parents) over
//! the user's (`<config dir>/gohost/gohost.toml`). Flags win over `GOHOST_*` environment
//! variables, which win over config files; the CLI applies that order.
//!
//! Trust: a config file is read only if it, and every directory above it, passes the same
//! owner/permission rules as plugin files ([`crate::sys`]); it is opened once and read from
//! that descriptor. The upward search stops at the first directory owned by someone other
//! than you or root (a shared `/tmp/x`, a colleague's checkout). A project file may not widen
//! trust: `plugin_dirs` and `allow_untrusted = true` there are ignored with a warning — they
//! would let any repository (or anyone who can write a parent directory) choose code for
//! gohost to load, as root under `sudo`. Ignoring rather than failing keeps a hostile file
//! from stopping the doctor, and the warning tells the user exactly what was dropped.
//! `isolation = "none"` stays allowed: it changes where trusted plugins run, not which code
//! is loaded.

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
    /// `[plugins.<name>]`: each plugin's own settings (plugin API 1.3.0), handed to that
    /// plugin alone through `HostContext::plugin_setting`. Only the user's config (or an
    /// explicit `--config FILE`) may set them; a project file's are ignored with a warning
    /// (SECURITY.md: a setting can steer what a trusted plugin runs or reads).
    #[serde(default)]
    pub plugins: std::collections::BTreeMap<String, toml::Table>,
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
    #[error("refusing config file {path}: {reason}")]
    Untrusted { path: PathBuf, reason: String },
}

/// The effective file configuration and how it came about.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: FileConfig,
    /// The files read, in the order applied.
    pub used: Vec<PathBuf>,
    /// Files or keys ignored for trust reasons; the CLI prints them (a user must know).
    pub warnings: Vec<String>,
}

/// Parse one config file (no trust checks: `load` makes them). Relative `plugin_dirs` are
/// relative to the file's directory.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    let mut config: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
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

/// Where the upward search for `gohost.toml` ended.
#[derive(Debug, PartialEq)]
pub enum ProjectSearch {
    Found(PathBuf),
    NotFound,
    /// The search stopped at `dir`, owned by `uid` (not you, not root); `ignored` is the
    /// `gohost.toml` found there, if any.
    Stopped {
        dir: PathBuf,
        uid: u32,
        ignored: Option<PathBuf>,
    },
}

/// The nearest `gohost.toml` in `start` or its ancestors, not looking in or above a directory
/// owned by another user who is not root: that user must not configure your runs (git's
/// `safe.directory` draws the same line for repositories).
pub fn find_project_config(start: &Path) -> ProjectSearch {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let me = crate::sys::euid();
    for dir in start.ancestors() {
        let candidate = dir.join("gohost.toml");
        if let Ok(meta) = std::fs::metadata(dir) {
            let uid = std::os::unix::fs::MetadataExt::uid(&meta);
            if uid != me && uid != 0 {
                return ProjectSearch::Stopped {
                    dir: dir.to_path_buf(),
                    uid,
                    ignored: candidate.is_file().then_some(candidate),
                };
            }
        }
        if candidate.is_file() {
            return ProjectSearch::Found(candidate);
        }
    }
    ProjectSearch::NotFound
}

/// Read a config file once, if it and every directory above it may be trusted.
/// `Ok(Err(reason))`: untrusted.
fn read_trusted(path: &Path) -> Result<Result<String, String>, ConfigError> {
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let canonical = std::fs::canonicalize(path).map_err(read_error)?;
    if let Some(problem) = crate::sys::ancestors_problem(&canonical) {
        return Ok(Err(problem));
    }
    let opened =
        crate::sys::OpenedFile::open(&canonical, None).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    if let Some(problem) = opened.trust_problem() {
        return Ok(Err(problem));
    }
    let bytes = opened.read_all().map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    String::from_utf8(bytes)
        .map(Ok)
        .map_err(|_| ConfigError::Parse {
            path: path.to_path_buf(),
            message: "not UTF-8 text".to_owned(),
        })
}

/// Drop what a project file may not set (see the module docs); one warning per key.
fn strip_trust_widening(config: &mut FileConfig, path: &Path) -> Vec<String> {
    let mut warnings = Vec::new();
    if !config.plugin_dirs.is_empty() {
        config.plugin_dirs.clear();
        warnings.push(format!(
            "ignored `plugin_dirs` in {}: a project's gohost.toml may not choose code for gohost to load; set it in your user config ({}), GOHOST_PLUGIN_PATH or --plugin-dir",
            path.display(),
            user_config_hint()
        ));
    }
    if !config.plugins.is_empty() {
        let names: Vec<String> = config
            .plugins
            .keys()
            .map(|n| format!("[plugins.{n}]"))
            .collect();
        config.plugins.clear();
        warnings.push(format!(
            "ignored {} in {}: a project's gohost.toml may not configure plugins (a setting can choose what a plugin runs or reads); set them in your user config ({})",
            names.join(", "),
            path.display(),
            user_config_hint()
        ));
    }
    if config.allow_untrusted == Some(true) {
        config.allow_untrusted = None;
        warnings.push(format!(
            "ignored `allow_untrusted = true` in {}: a project's gohost.toml may not lower trust; pass --allow-untrusted or set it in your user config ({})",
            path.display(),
            user_config_hint()
        ));
    }
    warnings
}

fn user_config_hint() -> String {
    user_config_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "~/.config/gohost/gohost.toml".to_owned())
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
        plugins: merge_plugins(under.plugins, over.plugins),
    }
}

/// Plugin tables merged key by key, `over` winning.
fn merge_plugins(
    mut under: std::collections::BTreeMap<String, toml::Table>,
    over: std::collections::BTreeMap<String, toml::Table>,
) -> std::collections::BTreeMap<String, toml::Table> {
    for (plugin, table) in over {
        under.entry(plugin).or_default().extend(table);
    }
    under
}

/// The run's plugin settings: plugin → key → value as TOML text (what
/// `HostContext::plugin_setting` hands the plugin).
pub fn plugin_settings(config: &FileConfig) -> crate::probes::PluginSettings {
    config
        .plugins
        .iter()
        .map(|(plugin, table)| {
            let values = table
                .iter()
                .map(|(key, value)| (key.clone(), value.to_string()))
                .collect();
            (plugin.clone(), values)
        })
        .collect()
}

/// Load the effective file config: an explicit `--config` file alone (refused if untrusted:
/// the user asked for it by name), or user + project (an untrusted one is skipped with a
/// warning).
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Loaded, ConfigError> {
    if let Some(path) = explicit {
        let text = read_trusted(path)?.map_err(|reason| ConfigError::Untrusted {
            path: path.to_path_buf(),
            reason,
        })?;
        return Ok(Loaded {
            config: parse(&text, path)?,
            used: vec![path.to_path_buf()],
            warnings: Vec::new(),
        });
    }
    let mut loaded = Loaded::default();
    if let Some(user) = user_config_path().filter(|p| p.is_file()) {
        match read_trusted(&user)? {
            Ok(text) => {
                loaded.config = merge(loaded.config, parse(&text, &user)?);
                loaded.used.push(user);
            }
            Err(reason) => loaded
                .warnings
                .push(format!("ignored config file {}: {reason}", user.display())),
        }
    }
    match find_project_config(cwd) {
        ProjectSearch::Found(project) => match read_trusted(&project)? {
            Ok(text) => {
                let mut config = parse(&text, &project)?;
                loaded
                    .warnings
                    .extend(strip_trust_widening(&mut config, &project));
                loaded.config = merge(loaded.config, config);
                loaded.used.push(project);
            }
            Err(reason) => loaded
                .warnings
                .push(format!("ignored config file {}: {reason}", project.display())),
        },
        ProjectSearch::Stopped {
            dir,
            uid,
            ignored: Some(ignored),
        } => loaded.warnings.push(format!(
            "ignored config file {}: {} is owned by uid {uid} (not you, uid {}, nor root), so gohost does not take configuration from it or above it",
            ignored.display(),
            dir.display(),
            crate::sys::euid()
        )),
        ProjectSearch::Stopped { dir, uid, .. } => tracing::debug!(
            dir = %dir.display(),
            uid,
            "the search for gohost.toml stopped at a directory owned by another user"
        ),
        ProjectSearch::NotFound => {}
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chown(path: &Path, uid: u32) {
        let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::chown(name.as_ptr(), uid, u32::MAX) }, 0);
    }

    #[test]
    fn a_project_file_cannot_widen_trust() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gohost.toml");
        std::fs::write(
            &path,
            "plugin_dirs = [\"evil\"]\nallow_untrusted = true\ntimeout = 7\n",
        )
        .expect("write");
        let loaded = load(None, dir.path()).expect("load");
        assert_eq!(loaded.config.plugin_dirs, Vec::<PathBuf>::new());
        assert_eq!(loaded.config.allow_untrusted, None);
        assert_eq!(loaded.config.timeout, Some(7.0), "other keys still apply");
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("ignored `plugin_dirs`"));
        assert!(loaded.warnings[1].contains("ignored `allow_untrusted = true`"));
        // Named explicitly (--config), the same file is the user's own choice.
        let explicit = load(Some(&path), Path::new("/")).expect("explicit");
        assert_eq!(explicit.config.allow_untrusted, Some(true));
        assert_eq!(explicit.config.plugin_dirs, vec![dir.path().join("evil")]);
    }

    #[test]
    fn a_config_in_a_world_writable_directory_is_ignored_or_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).expect("mkdir");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let path = shared.join("gohost.toml");
        std::fs::write(&path, "timeout = 7\n").expect("write");
        let loaded = load(None, &shared).expect("load");
        assert_eq!(loaded.config.timeout, None);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains("world-writable"),
            "{:?}",
            loaded.warnings
        );
        let err = load(Some(&path), Path::new("/")).expect_err("explicit and untrusted");
        assert!(err.to_string().contains("refusing config file"), "{err}");
    }

    #[test]
    fn the_upward_search_stops_at_another_users_directory() {
        if crate::sys::euid() != 0 {
            return; // chown needs root (CI runs as root)
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let theirs = dir.path().join("theirs");
        let project = theirs.join("project");
        std::fs::create_dir_all(&project).expect("mkdir");
        std::fs::write(theirs.join("gohost.toml"), "timeout = 7\n").expect("write");
        chown(&theirs, 65534);
        match find_project_config(&project) {
            ProjectSearch::Stopped { dir, uid, ignored } => {
                assert_eq!(dir, std::fs::canonicalize(&theirs).expect("canonical"));
                assert_eq!(uid, 65534);
                assert!(ignored.is_some());
            }
            other => panic!("expected a stop at {}: {other:?}", theirs.display()),
        }
        // Owned by the user or root: found as before.
        chown(&theirs, 0);
        assert!(matches!(
            find_project_config(&project),
            ProjectSearch::Found(_)
        ));
    }

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
