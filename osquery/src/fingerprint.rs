//! What a cached answer depends on besides the extension's own flags and environment (fixed
//! for its lifetime): the gohost binary, the directories on PATH (a go installed or removed),
//! the go env file (`go env -w`), and the plugin directories. Each is stat'ed (device, inode,
//! size, modification time); a change of any makes the cached rows stale.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The go env file `go` reads: `$GOENV`, else `os.UserConfigDir()/go/env`
/// (Go's `src/cmd/go/internal/cfg/cfg.go`, `EnvFile`; `UserConfigDir` in `src/os/file.go`:
/// `$HOME/Library/Application Support` on macOS, `$XDG_CONFIG_HOME` or `$HOME/.config`
/// elsewhere). `GOENV=off` means none.
pub fn go_env_file(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if let Some(file) = env("GOENV").filter(|f| !f.is_empty()) {
        return (file != "off").then(|| PathBuf::from(file));
    }
    let home = env("HOME").filter(|h| !h.is_empty());
    let config = if cfg!(target_os = "macos") {
        home.map(|h| PathBuf::from(h).join("Library/Application Support"))
    } else {
        env("XDG_CONFIG_HOME")
            .filter(|x| !x.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(|h| PathBuf::from(h).join(".config")))
    };
    config.map(|c| c.join("go/env"))
}

/// The paths whose state a run depends on, given the gohost binary and extra plugin dirs.
pub fn inputs(gohost: &Path, plugin_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k);
    let mut paths = vec![gohost.to_owned()];
    if let Some(p) = env("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    paths.extend(go_env_file(&env));
    if let Some(p) = env("GOHOST_PLUGIN_PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    paths.extend(plugin_dirs.iter().cloned());
    paths
}

/// A digest of each path's identity; a missing path counts as missing (its appearance later
/// changes the digest too).
pub fn digest(paths: &[PathBuf]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in paths {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update([0]);
        match std::fs::metadata(p) {
            Ok(m) => {
                for n in [
                    m.dev(),
                    m.ino(),
                    m.size(),
                    m.mtime() as u64,
                    m.mtime_nsec() as u64,
                ] {
                    h.update(n.to_le_bytes());
                }
            }
            Err(_) => h.update(b"missing"),
        }
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_env_file_table() {
        type Vars = &'static [(&'static str, &'static str)];
        let cases: &[(Vars, Option<&str>)] = &[
            (&[("GOENV", "/x/env"), ("HOME", "/h")], Some("/x/env")),
            (&[("GOENV", "off"), ("HOME", "/h")], None),
            (&[], None),
            #[cfg(not(target_os = "macos"))]
            (&[("HOME", "/h")], Some("/h/.config/go/env")),
            #[cfg(not(target_os = "macos"))]
            (
                &[("HOME", "/h"), ("XDG_CONFIG_HOME", "/c")],
                Some("/c/go/env"),
            ),
            #[cfg(target_os = "macos")]
            (
                &[("HOME", "/h")],
                Some("/h/Library/Application Support/go/env"),
            ),
        ];
        for (vars, expected) in cases {
            let env = |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            };
            assert_eq!(go_env_file(&env), expected.map(PathBuf::from), "{vars:?}");
        }
    }

    #[test]
    fn digest_changes_with_the_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("env");
        let paths = vec![dir.path().to_owned(), f.clone()];
        let missing = digest(&paths);
        std::fs::write(&f, "GOARCH=amd64\n").expect("write");
        let present = digest(&paths);
        assert_ne!(missing, present, "a new file changes the digest");
        assert_eq!(present, digest(&paths), "nothing changed, same digest");
        std::fs::write(&f, "GOARCH=arm64\nGOAMD64=v1\n").expect("write");
        assert_ne!(present, digest(&paths), "a rewritten file changes it");
    }
}
