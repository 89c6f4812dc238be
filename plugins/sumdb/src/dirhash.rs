//! The `h1:` hash (golang.org/x/mod/sumdb/dirhash.Hash1): for each file, sorted by name, the
//! line `<hex sha256(file)>  <name>\n`; h1 = base64(sha256(all those lines)). File names are
//! `<module>@<version>/<path>` for module trees and zips, `go.mod` for the go.mod hash.
//!
//! All file access goes through the host context; memory is bounded by one file (extracted
//! trees) or one zip (zips) per worker thread.

use std::io::Read as _;

use base64::Engine as _;
use gohost_plugin_api::{Ctx, FileKind};
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub enum HashError {
    Io { path: String, message: String },
    Zip { path: String, message: String },
    BadName { name: String },
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::Io { path, message } => write!(f, "{path}: {message}"),
            HashError::Zip { path, message } => write!(f, "{path}: not a readable zip: {message}"),
            HashError::BadName { name } => {
                write!(
                    f,
                    "file name {name:?} contains a newline; dirhash refuses it"
                )
            }
        }
    }
}

/// h1 over (name, sha256) pairs; sorts them.
pub fn hash1_from_digests(mut files: Vec<(String, [u8; 32])>) -> Result<String, HashError> {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Sha256::new();
    for (name, digest) in &files {
        if name.contains('\n') {
            return Err(HashError::BadName { name: name.clone() });
        }
        summary.update(hex(digest).as_bytes());
        summary.update(b"  ");
        summary.update(name.as_bytes());
        summary.update(b"\n");
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    ))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The go.mod hash go.sum records as `<path> <version>/go.mod h1:…`.
pub fn hash_gomod(contents: &[u8]) -> String {
    let digest: [u8; 32] = Sha256::digest(contents).into();
    // A single fixed name cannot contain a newline.
    hash1_from_digests(vec![("go.mod".to_owned(), digest)]).unwrap_or_default()
}

/// h1 of a module zip (names as stored in the zip, directories skipped), like
/// dirhash.HashZip.
pub fn hash_zip_bytes(path: &str, data: &[u8]) -> Result<String, HashError> {
    let zerr = |e: zip::result::ZipError| HashError::Zip {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).map_err(zerr)?;
    let mut files = Vec::with_capacity(archive.len());
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zerr)?;
        // dirhash.HashZip hashes every entry whose name does not end in "/".
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if name.ends_with('/') {
            continue;
        }
        let mut hasher = Sha256::new();
        loop {
            let n = entry.read(&mut buf).map_err(|e| HashError::Zip {
                path: path.to_owned(),
                message: format!("{name}: {e}"),
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        files.push((name, hasher.finalize().into()));
    }
    hash1_from_digests(files)
}

/// h1 of an extracted module tree `dir`, naming files `<prefix>/<relative path>` like
/// dirhash.HashDir (regular files and symlinks to files; directories walked).
pub fn hash_dir(ctx: &Ctx<'_>, dir: &str, prefix: &str) -> Result<String, HashError> {
    let mut files = Vec::new();
    let mut stack = vec![(dir.to_owned(), prefix.to_owned())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = ctx.read_dir(&abs).map_err(|e| HashError::Io {
            path: abs.clone(),
            message: e.to_string(),
        })?;
        for entry in entries {
            let child_abs = format!("{abs}/{}", entry.name);
            let child_rel = format!("{rel}/{}", entry.name);
            let kind = if entry.kind == FileKind::Symlink {
                // filepath.Walk in DirFiles uses Lstat but os.Open follows: a symlink to a
                // directory is hashed as a file and fails; a symlink to a file is its target.
                ctx.file_info(&child_abs)
                    .ok()
                    .and_then(|i| i.canonical.into_option())
                    .and_then(|c| ctx.file_info(&c).ok())
                    .map_or(FileKind::Other, |i| i.kind)
            } else {
                entry.kind
            };
            match kind {
                FileKind::Dir if entry.kind == FileKind::Dir => {
                    stack.push((child_abs, child_rel));
                }
                _ => {
                    let data = ctx.read_file(&child_abs).map_err(|e| HashError::Io {
                        path: child_abs.clone(),
                        message: e.to_string(),
                    })?;
                    files.push((child_rel, Sha256::digest(&data).into()));
                }
            }
        }
    }
    hash1_from_digests(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gomod_hash_matches_go() {
        // `module ariga.io/atlas\n` as mkproxy writes it; the hash is what the go command
        // wrote to go.sum for it (captured from a real `go mod download`).
        assert_eq!(
            hash_gomod(b"module ariga.io/atlas\n"),
            "h1:IlYHQbus42lHTgwUcmzfa/iXUvMT6r2Mw/+f11PqvCk="
        );
    }
}
