//! Finding plugin files: the search order, and refusing files anyone else could have planted.
//!
//! Order: `--plugin-dir` (and `plugin_dirs` from config), `GOHOST_PLUGIN_PATH`, the
//! executable's directory and `<exe>/../lib/gohost/plugins`, the user data dir. Never the
//! current directory: relative entries are ignored. The first file providing a plugin name
//! wins; later ones are reported as shadowed.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

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

/// Why `path` must not be trusted, if it must not: writable by everyone, or owned by
/// another user who is not root.
pub fn untrusted_reason(path: &Path) -> Option<String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return Some(format!("cannot stat {}: {e}", path.display())),
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let sticky_dir = meta.is_dir() && meta.mode() & 0o1000 != 0;
    if meta.mode() & 0o002 != 0 && !sticky_dir {
        return Some(format!(
            "{} is world-writable (mode {:o}): anyone could replace a plugin; fix with `chmod o-w {}` or pass --allow-untrusted",
            path.display(),
            meta.mode() & 0o7777,
            path.display()
        ));
    }
    if meta.uid() != me && meta.uid() != 0 {
        return Some(format!(
            "{} is owned by uid {} (not you, uid {me}, nor root); pass --allow-untrusted to load it anyway",
            path.display(),
            meta.uid()
        ));
    }
    None
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

/// Find plugin files. Nothing is opened beyond `stat` and directory listings.
pub fn discover(config: &SearchConfig) -> Discovered {
    let mut found = Discovered::default();
    let mut seen_files = BTreeSet::new();
    let mut push =
        |found: &mut Discovered, path: PathBuf, origin: Origin, dir_problem: Option<&String>| {
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen_files.insert(key) {
                return;
            }
            let problem = if config.allow_untrusted {
                None
            } else {
                dir_problem.cloned().or_else(|| untrusted_reason(&path))
            };
            if let Some(reason) = problem {
                found.refused.push(Refused { path, reason });
                return;
            }
            let file_stem_name = plugin_file_name(&path).unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            found.candidates.push(Candidate {
                path,
                origin,
                file_stem_name,
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
