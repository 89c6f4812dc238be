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
