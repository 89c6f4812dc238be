//! The `h1:` hash (golang.org/x/mod/sumdb/dirhash.Hash1): for each file, sorted by name, the
//! line `<hex sha256(file)>  <name>\n`; h1 = base64(sha256(all those lines)). File names are
//! `<module>@<version>/<path>` for module trees and zips, `go.mod` for the go.mod hash.
//!
//! All file access goes through the host context. Memory per worker thread is bounded by one
//! file (trees alone), or one zip plus one extracted file (a zip and its tree hashed together
//! by [`hash_zip_and_dir`]: entries stream through the hasher).

use std::io::Read as _;

use base64::Engine as _;
use gohost_plugin_api::{Ctx, FileKind, ProbeError, ProbeErrorKind};
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub enum HashError {
    Io {
        path: String,
        message: String,
    },
    /// The probe gave no answer (not recorded in a replay, or timed out): could not tell.
    Unanswered {
        path: String,
        message: String,
    },
    Zip {
        path: String,
        message: String,
    },
    BadName {
        name: String,
    },
}

impl HashError {
    /// A probe error on `path`: a missing answer (not recorded, timed out) is `Unanswered`,
    /// never presented as a fact about the file.
    pub fn probe(path: &str, e: &ProbeError) -> HashError {
        let (path, message) = (path.to_owned(), e.to_string());
        match e.kind {
            ProbeErrorKind::NotRecorded | ProbeErrorKind::Timeout => {
                HashError::Unanswered { path, message }
            }
            _ => HashError::Io { path, message },
        }
    }
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::Io { path, message } => write!(f, "{path}: {message}"),
            HashError::Unanswered { path, message } => {
                write!(f, "{path}: no answer ({message}): could not tell")
            }
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

/// The files of an extracted module tree as dirhash.HashDir sees them: `(name, absolute
/// path)` with names `<prefix>/<relative path>` (regular files, and symlinks, which are read
/// through: a symlink to a directory then fails to read, as in Go). Nothing is read yet.
fn dir_files(ctx: &Ctx<'_>, dir: &str, prefix: &str) -> Result<Vec<(String, String)>, HashError> {
    let mut files = Vec::new();
    let mut stack = vec![(dir.to_owned(), prefix.to_owned())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = ctx.read_dir(&abs).map_err(|e| HashError::probe(&abs, &e))?;
        for entry in entries {
            let child_abs = format!("{abs}/{}", entry.name);
            let child_rel = format!("{rel}/{}", entry.name);
            // filepath.Walk in DirFiles uses Lstat, so only real directories are walked; a
            // symlink (to a file or a directory) is opened, i.e. hashed as a file.
            if entry.kind == FileKind::Dir {
                stack.push((child_abs, child_rel));
            } else {
                files.push((child_rel, child_abs));
            }
        }
    }
    Ok(files)
}

fn read_file(ctx: &Ctx<'_>, path: &str) -> Result<Vec<u8>, HashError> {
    ctx.read_file(path).map_err(|e| HashError::probe(path, &e))
}

/// h1 of an extracted module tree `dir`, naming files `<prefix>/<relative path>` like
/// dirhash.HashDir (regular files and symlinks to files; directories walked).
pub fn hash_dir(ctx: &Ctx<'_>, dir: &str, prefix: &str) -> Result<String, HashError> {
    let mut digests = Vec::new();
    for (name, abs) in dir_files(ctx, dir, prefix)? {
        let data = read_file(ctx, &abs)?;
        digests.push((name, Sha256::digest(&data).into()));
    }
    hash1_from_digests(digests)
}

/// The h1 of a module zip and of its extracted tree, like [`hash_zip_bytes`] and
/// [`hash_dir`] but hashing each file once: an extracted file whose bytes equal its zip
/// entry's has that entry's digest, so only files that differ (or exist on one side only) are
/// hashed twice. Comparing is far cheaper than SHA-256, and in a healthy cache every file
/// matches. The results are exactly those of the two separate functions.
pub fn hash_zip_and_dir(
    ctx: &Ctx<'_>,
    zip_path: &str,
    zip_data: &[u8],
    dir: &str,
    prefix: &str,
) -> (Result<String, HashError>, Result<String, HashError>) {
    let listed = match dir_files(ctx, dir, prefix) {
        Ok(files) => files,
        Err(e) => return (hash_zip_bytes(zip_path, zip_data), Err(e)),
    };
    let zerr = |e: zip::result::ZipError| HashError::Zip {
        path: zip_path.to_owned(),
        message: e.to_string(),
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(zip_data)) {
        Ok(a) => a,
        Err(e) => return (Err(zerr(e)), hash_dir(ctx, dir, prefix)),
    };
    let index: std::collections::HashMap<&str, usize> = listed
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    let mut dir_digests: Vec<Option<[u8; 32]>> = vec![None; listed.len()];
    let mut dir_error: Option<HashError> = None;
    let mut zip_digests = Vec::with_capacity(archive.len());
    let mut zip_result: Result<(), HashError> = Ok(());
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                zip_result = Err(zerr(e));
                break;
            }
        };
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if name.ends_with('/') {
            continue;
        }
        // The extracted twin of this entry, read first so the entry can be compared while it
        // streams through the hasher: only one of the two is ever held whole.
        let twin = match index.get(name.as_str()) {
            Some(&at) if dir_digests[at].is_none() && dir_error.is_none() => {
                match read_file(ctx, &listed[at].1) {
                    Ok(data) => Some((at, data)),
                    Err(e) => {
                        dir_error = Some(e);
                        None
                    }
                }
            }
            _ => None,
        };
        let mut hasher = Sha256::new();
        let mut offset = 0usize;
        let mut same = true;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    zip_result = Err(HashError::Zip {
                        path: zip_path.to_owned(),
                        message: format!("{name}: {e}"),
                    });
                    break;
                }
            };
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if let Some((_, data)) = &twin {
                same = same && data.get(offset..offset + n) == Some(&buf[..n]);
            }
            offset += n;
        }
        if zip_result.is_err() {
            break;
        }
        let digest: [u8; 32] = hasher.finalize().into();
        zip_digests.push((name, digest));
        if let Some((at, data)) = twin {
            dir_digests[at] = Some(if same && data.len() == offset {
                digest
            } else {
                Sha256::digest(&data).into()
            });
        }
    }
    let zip_hash = zip_result.and_then(|()| hash1_from_digests(zip_digests));
    let dir_hash = match dir_error {
        Some(e) => Err(e),
        None => listed
            .into_iter()
            .zip(dir_digests)
            .map(|((name, abs), digest)| match digest {
                Some(d) => Ok((name, d)),
                None => read_file(ctx, &abs).map(|data| (name, Sha256::digest(&data).into())),
            })
            .collect::<Result<Vec<_>, _>>()
            .and_then(hash1_from_digests),
    };
    (zip_hash, dir_hash)
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
