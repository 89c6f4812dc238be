//! The extension runs `gohost` (often as root, under osqueryd): only one that nobody else can
//! replace. The binary and every directory above it must be owned by the extension's user or
//! root and be writable by no one else — world-writable only for a sticky directory such as
//! `/tmp` (sticky(7): others cannot rename or delete entries they do not own), never
//! group-writable. The same rules as gohost's own for plugin files (SECURITY.md), kept
//! stricter on groups because this check cannot see which group is private.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// A `gohost` binary the extension will not run.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot resolve {path}: {source}")]
    Resolve {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path} is owned by uid {uid} (not uid {me} nor root): that user could replace the gohost the extension runs")]
    Owner { path: PathBuf, uid: u32, me: u32 },
    #[error("{path} is writable by others (mode {mode:o}): they could replace the gohost the extension runs; fix with `chmod go-w {path}`")]
    Writable { path: PathBuf, mode: u32 },
}

/// Check `path` (through symlinks) and every directory above it.
pub fn check_executable(path: &Path) -> Result<PathBuf, TrustError> {
    let real = std::fs::canonicalize(path).map_err(|source| TrustError::Resolve {
        path: path.to_owned(),
        source,
    })?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let mut first = true;
    for p in real.ancestors() {
        let meta = std::fs::metadata(p).map_err(|source| TrustError::Resolve {
            path: p.to_owned(),
            source,
        })?;
        if first && !meta.is_file() {
            return Err(TrustError::NotAFile { path: p.to_owned() });
        }
        first = false;
        if meta.uid() != me && meta.uid() != 0 {
            return Err(TrustError::Owner {
                path: p.to_owned(),
                uid: meta.uid(),
                me,
            });
        }
        let mode = meta.mode() & 0o7777;
        let sticky_dir = meta.is_dir() && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_dir {
            return Err(TrustError::Writable {
                path: p.to_owned(),
                mode,
            });
        }
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn trust_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        chmod(dir.path(), 0o755);
        let bin = dir.path().join("gohost");
        std::fs::write(&bin, "#!/bin/sh\n").expect("write");
        let cases: &[(u32, u32, bool)] = &[
            // (dir mode, file mode, trusted)
            (0o755, 0o755, true),
            (0o700, 0o700, true),
            (0o755, 0o775, false),
            (0o755, 0o757, false),
            (0o775, 0o755, false),
            (0o777, 0o755, false),
            // a sticky, world-writable directory (like /tmp) is fine
            (0o1777, 0o755, true),
        ];
        for &(dmode, fmode, trusted) in cases {
            chmod(dir.path(), dmode);
            chmod(&bin, fmode);
            let r = check_executable(&bin);
            assert_eq!(r.is_ok(), trusted, "dir {dmode:o} file {fmode:o}: {r:?}");
            if let Err(e) = r {
                assert!(e.to_string().contains("chmod go-w"), "{e}");
            }
        }
        chmod(dir.path(), 0o755);
        assert!(matches!(
            check_executable(dir.path()),
            Err(TrustError::NotAFile { .. })
        ));
        assert!(matches!(
            check_executable(&dir.path().join("missing")),
            Err(TrustError::Resolve { .. })
        ));
        // Through a symlink, the target is what is judged.
        let link = dir.path().join("gohost.ext");
        std::os::unix::fs::symlink(&bin, &link).expect("symlink");
        chmod(&bin, 0o777);
        assert!(check_executable(&link).is_err());
    }
}
