//! Finding plugin files: the search order, and refusing files anyone else could have planted.
//!
//! Order: `--plugin-dir` (and `plugin_dirs` from the user's config), `GOHOST_PLUGIN_PATH`, the
//! executable's directory and `<exe>/../lib/gohost/plugins`, the user data dir. Never the
//! current directory: relative entries are ignored. The first file providing a plugin name
//! wins; later ones are reported as shadowed.
//!
//! Trust ([`crate::sys`]): the searched directory, the file's real path (symlinks resolved)
//! and every directory above it must be owned by you or root and writable by nobody else
//! (group-writable only for the owner's private group). The file is then opened once with
//! `O_NOFOLLOW` and its identity (device, inode, size, mtime) kept in the [`Candidate`]: the
//! loader, in this process or a worker, loads only that very file.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::sys::{self, FileIdentity, OpenedFile};

/// Where a plugin file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `--plugin FILE`
    ExplicitFile,
    /// `--plugin-dir` or `plugin_dirs` in the config
    PluginDir,
    /// `GOHOST_PLUGIN_PATH`
    EnvPath,
    /// next to the gohost executable
    ExeDir,
    /// `<exe>/../lib/gohost/plugins`
    InstallPrefix,
    /// the per-user data directory
    UserData,
}

impl Origin {
    /// The machine name, as JSON carries it (`gohost list --format json` and the run report's
    /// `origin`): the serde kebab-case of the variant.
    pub fn name(self) -> &'static str {
        match self {
            Origin::ExplicitFile => "explicit-file",
            Origin::PluginDir => "plugin-dir",
            Origin::EnvPath => "env-path",
            Origin::ExeDir => "exe-dir",
            Origin::InstallPrefix => "install-prefix",
            Origin::UserData => "user-data",
        }
    }

    /// For people: the flag, variable or place that made discovery look there.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::ExplicitFile => "--plugin",
            Origin::PluginDir => "--plugin-dir",
            Origin::EnvPath => "GOHOST_PLUGIN_PATH",
            Origin::ExeDir => "executable dir",
            Origin::InstallPrefix => "install prefix",
            Origin::UserData => "user data dir",
        }
    }
}

/// Inputs of discovery (all resolved by the caller, so this module reads no globals).
#[derive(Debug, Clone, Default)]
pub struct SearchConfig {
    pub plugin_files: Vec<PathBuf>,
    pub plugin_dirs: Vec<PathBuf>,
    pub env_path: Option<OsString>,
    pub exe: Option<PathBuf>,
    pub user_data_dir: Option<PathBuf>,
    /// false: only explicit files/dirs and GOHOST_PLUGIN_PATH (`--no-default-plugin-dirs`).
    pub default_dirs: bool,
    pub allow_untrusted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub path: PathBuf,
    pub origin: Origin,
    /// The plugin name the file name promises (`libgohost_plugin_<name>.so`).
    pub file_stem_name: String,
    /// The file's real path (what was checked, and what the loader opens).
    #[serde(skip)]
    pub canonical: PathBuf,
    /// The file discovery checked; the loader refuses any other.
    #[serde(skip)]
    pub identity: FileIdentity,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Discovered {
    pub candidates: Vec<Candidate>,
    pub refused: Vec<Refused>,
    /// Every directory looked at, with its origin, for `gohost list -v` and bug reports.
    pub searched: Vec<(PathBuf, Origin)>,
}

pub const FILE_PREFIX: &str = "libgohost_plugin_";

/// The plugin name a file name promises, if it looks like a plugin file at all.
pub fn plugin_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix(FILE_PREFIX)?;
    let stem = rest
        .strip_suffix(".so")
        .or_else(|| rest.strip_suffix(".dylib"))?;
    (!stem.is_empty()).then(|| stem.replace('_', "-"))
}

/// Why `path` must not be trusted, if it must not: owned by another user who is not root, or
/// writable by others (world, or a group that is not the owner's private group).
pub fn untrusted_reason(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) => sys::trust_problem(path, &meta).map(with_override_hint),
        Err(e) => Some(format!("cannot stat {}: {e}", path.display())),
    }
}

fn with_override_hint(problem: String) -> String {
    format!("{problem}; or pass --allow-untrusted to load it anyway")
}

/// Resolve, check and open a plugin file once: its real path, every directory above it, and
/// the file itself judged from its descriptor. Returns the real path and the identity the
/// loader must find again.
fn verify_file(path: &Path, allow_untrusted: bool) -> Result<(PathBuf, FileIdentity), String> {
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
    if !allow_untrusted {
        if let Some(problem) = sys::ancestors_problem(&canonical) {
            return Err(with_override_hint(problem));
        }
    }
    let opened = OpenedFile::open(&canonical, None).map_err(|e| e.to_string())?;
    if !allow_untrusted {
        if let Some(problem) = opened.trust_problem() {
            let shown = if canonical == path {
                problem
            } else {
                format!("{} resolves to {problem}", path.display())
            };
            return Err(with_override_hint(shown));
        }
    }
    Ok((canonical, opened.identity))
}

/// The ordered list of directories to search.
pub fn search_dirs(config: &SearchConfig) -> Vec<(PathBuf, Origin)> {
    let mut dirs = Vec::new();
    for dir in &config.plugin_dirs {
        dirs.push((dir.clone(), Origin::PluginDir));
    }
    if let Some(env_path) = &config.env_path {
        for dir in std::env::split_paths(env_path) {
            // Relative entries would resolve against the current directory: never searched.
            if dir.is_absolute() {
                dirs.push((dir, Origin::EnvPath));
            }
        }
    }
    if config.default_dirs {
        if let Some(exe_dir) = config.exe.as_ref().and_then(|e| e.parent()) {
            dirs.push((exe_dir.to_path_buf(), Origin::ExeDir));
            dirs.push((exe_dir.join("../lib/gohost/plugins"), Origin::InstallPrefix));
        }
        if let Some(data) = &config.user_data_dir {
            dirs.push((data.clone(), Origin::UserData));
        }
    }
    dirs
}

/// Find plugin files. Each file is opened (never mapped or run) to judge it from its
/// descriptor and record its identity.
pub fn discover(config: &SearchConfig) -> Discovered {
    let mut found = Discovered::default();
    let mut seen_files = BTreeSet::new();
    let mut push =
        |found: &mut Discovered, path: PathBuf, origin: Origin, dir_problem: Option<&String>| {
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen_files.insert(key) {
                return;
            }
            let verified = match dir_problem.filter(|_| !config.allow_untrusted) {
                Some(problem) => Err(problem.clone()),
                None => verify_file(&path, config.allow_untrusted),
            };
            let (canonical, identity) = match verified {
                Ok(v) => v,
                Err(reason) => {
                    found.refused.push(Refused { path, reason });
                    return;
                }
            };
            let file_stem_name = plugin_file_name(&path).unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            found.candidates.push(Candidate {
                path,
                origin,
                file_stem_name,
                canonical,
                identity,
            });
        };
    for file in &config.plugin_files {
        let dir_problem = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(untrusted_reason);
        push(
            &mut found,
            absolute(file),
            Origin::ExplicitFile,
            dir_problem.as_ref(),
        );
    }
    for (dir, origin) in search_dirs(config) {
        found.searched.push((dir.clone(), origin));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| plugin_file_name(p).is_some())
            .collect();
        files.sort();
        if files.is_empty() {
            continue;
        }
        let dir_problem = untrusted_reason(&dir);
        for file in files {
            push(&mut found, file, origin, dir_problem.as_ref());
        }
    }
    found
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_name_is_its_json_name_everywhere() {
        // One spelling in every JSON gohost writes: the run report uses name(), list serde.
        for o in [
            Origin::ExplicitFile,
            Origin::PluginDir,
            Origin::EnvPath,
            Origin::ExeDir,
            Origin::InstallPrefix,
            Origin::UserData,
        ] {
            assert_eq!(
                serde_json::to_value(o).ok(),
                Some(serde_json::Value::String(o.name().to_owned()))
            );
        }
    }

    use super::*;

    #[test]
    fn plugin_file_names() {
        assert_eq!(
            plugin_file_name(Path::new("/x/libgohost_plugin_arch.so")).as_deref(),
            Some("arch")
        );
        assert_eq!(
            plugin_file_name(Path::new("libgohost_plugin_fault_panic.dylib")).as_deref(),
            Some("fault-panic")
        );
        assert_eq!(plugin_file_name(Path::new("libgohost_plugin_.so")), None);
        assert_eq!(plugin_file_name(Path::new("libother.so")), None);
        assert_eq!(
            plugin_file_name(Path::new("libgohost_plugin_arch.so.1")),
            None
        );
    }

    #[test]
    fn relative_env_entries_are_never_searched() {
        let config = SearchConfig {
            env_path: Some(OsString::from(".:plugins:/abs/dir")),
            ..SearchConfig::default()
        };
        let dirs: Vec<PathBuf> = search_dirs(&config).into_iter().map(|(d, _)| d).collect();
        assert_eq!(dirs, vec![PathBuf::from("/abs/dir")]);
    }
}
