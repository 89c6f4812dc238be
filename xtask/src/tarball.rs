//! Deterministic `.tar.gz`: entries sorted, fixed owner, mode and mtime
//! (`SOURCE_DATE_EPOCH`, else 0), gzip header without a timestamp — so the same files always
//! give the same tarball bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

/// Every regular file below `dir`, relative, sorted.
pub fn files_below(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        for entry in
            std::fs::read_dir(&abs).with_context(|| format!("reading {}", abs.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            let child = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                out.push(child);
            } else {
                bail!(
                    "{} is neither a file nor a directory",
                    dir.join(&child).display()
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Pack `dir`'s files under the top-level directory `prefix` into `out`.
pub fn create(dir: &Path, prefix: &str, out: &Path) -> Result<()> {
    let mtime: u64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let gz: GzEncoder<File> = GzBuilder::new().mtime(0).write(file, Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for rel in files_below(dir)? {
        let abs = dir.join(&rel);
        let bytes = std::fs::read(&abs).with_context(|| format!("reading {}", abs.display()))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(if is_executable(&abs) { 0o755 } else { 0o644 });
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let path = Path::new(prefix).join(&rel);
        tar.append_data(&mut header, &path, bytes.as_slice())
            .with_context(|| format!("adding {}", path.display()))?;
    }
    let gz = tar.into_inner().context("finishing tar")?;
    gz.finish().context("finishing gzip")?;
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}

/// Extract a `.tar.gz` into `dest`, refusing entries that escape it.
pub fn extract(archive: &Path, dest: &Path) -> Result<()> {
    let file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    for entry in tar
        .entries()
        .with_context(|| format!("reading {}", archive.display()))?
    {
        let mut entry = entry.with_context(|| format!("reading {}", archive.display()))?;
        // unpack_in refuses `..` and absolute paths.
        if !entry.unpack_in(dest)? {
            bail!("{}: an entry escapes the archive root", archive.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.tar.gz` with raw entries, so a test can write what a hostile archive holds (the
    /// tar crate's `append_path`-style helpers refuse `..`, which is the point).
    fn hostile_archive(
        dir: &Path,
        name: &str,
        build: impl FnOnce(&mut tar::Builder<Vec<u8>>),
    ) -> PathBuf {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        let raw = builder.into_inner().expect("tar");
        let path = dir.join(format!("{name}.tar.gz"));
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).expect("create"),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut gz, &raw).expect("gzip");
        gz.finish().expect("gzip");
        path
    }

    fn entry(
        builder: &mut tar::Builder<Vec<u8>>,
        kind: tar::EntryType,
        name: &str,
        link: Option<&str>,
        data: &[u8],
    ) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        // Raw bytes: `set_path` would refuse `..`.
        let name_field = &mut header.as_old_mut().name;
        name_field[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            let link_field = &mut header.as_old_mut().linkname;
            link_field[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_cksum();
        builder.append(&header, data).expect("append");
    }

    /// The archive must not write outside `dest`, through `..`, a symlink planted by an
    /// earlier entry, or a hard link to a file outside; `extract` errs or skips, never escapes.
    #[test]
    fn extraction_never_escapes_the_destination() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).expect("outside");
        let secret = outside.join("secret");
        std::fs::write(&secret, "untouched").expect("secret");

        let cases: Vec<(&str, PathBuf)> = vec![
            (
                "dot-dot",
                hostile_archive(dir.path(), "dotdot", |b| {
                    entry(b, tar::EntryType::Regular, "../outside/pwned", None, b"x");
                }),
            ),
            (
                "symlink then write through it",
                hostile_archive(dir.path(), "symlink", |b| {
                    let target = outside.to_string_lossy().into_owned();
                    entry(b, tar::EntryType::Symlink, "link", Some(&target), b"");
                    entry(b, tar::EntryType::Regular, "link/pwned", None, b"x");
                }),
            ),
            (
                "hard link to a file outside",
                hostile_archive(dir.path(), "hardlink", |b| {
                    let target = secret.to_string_lossy().into_owned();
                    entry(b, tar::EntryType::Link, "hl", Some(&target), b"");
                }),
            ),
            (
                "hard link by ..",
                hostile_archive(dir.path(), "hardlink-dotdot", |b| {
                    entry(
                        b,
                        tar::EntryType::Link,
                        "hl2",
                        Some("../outside/secret"),
                        b"",
                    );
                }),
            ),
        ];
        for (what, archive) in cases {
            let dest = tempfile::tempdir_in(dir.path()).expect("dest");
            let result = extract(&archive, dest.path());
            assert!(
                !outside.join("pwned").exists(),
                "{what}: a file was written outside the destination"
            );
            assert_eq!(
                std::fs::read_to_string(&secret).ok().as_deref(),
                Some("untouched"),
                "{what}"
            );
            // A hard link that did get made would share the outside file's inode.
            for name in ["hl", "hl2"] {
                let made = dest.path().join(name);
                if made.exists() {
                    std::fs::write(&made, "changed through the link").expect("write");
                    assert_eq!(
                        std::fs::read_to_string(&secret).ok().as_deref(),
                        Some("untouched"),
                        "{what}: {name} is a hard link to a file outside"
                    );
                }
            }
            assert!(
                result.is_err(),
                "{what}: an escaping entry must be an error, got {result:?}"
            );
        }
    }
}
