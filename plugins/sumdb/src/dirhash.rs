//! The `h1:` hash (golang.org/x/mod/sumdb/dirhash.Hash1): for each file, sorted by name, the
//! line `<hex sha256(file)>  <name>\n`; h1 = base64(sha256(all those lines)). File names are
//! `<module>@<version>/<path>` for module trees and zips, `go.mod` for the go.mod hash.
//!
//! All file access goes through the host context, in ranges of at most [`CHUNK`] bytes
//! ([`HostFile`], over `Ctx::read_file_at`, plugin API 1.2.0): a zip streams through the
//! inflater and the hasher while its extracted twin streams beside it for the comparison, so
//! no whole file is held (issue 14 item 4). Memory per worker thread is bounded by
//! [`WORKER_BUFFERS`] plus the zip's central directory entries (names and offsets).

use std::io::{Read, Seek, SeekFrom};

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
    hash1_from_digests(zip_entry_digests(path, std::io::Cursor::new(data))?)
}

/// SHA-256 of every file entry of a zip read from `reader` (names as stored, directories
/// skipped: dirhash.HashZip hashes every entry whose name does not end in "/"), streamed in
/// 64 KiB pieces. `path` names the zip in errors.
pub fn zip_entry_digests<R: Read + Seek>(
    path: &str,
    reader: R,
) -> Result<Vec<(String, [u8; 32])>, HashError> {
    let zerr = |e: zip::result::ZipError| HashError::Zip {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(zerr)?;
    let mut files = Vec::with_capacity(archive.len());
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zerr)?;
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
    Ok(files)
}

/// The files of an extracted module tree as dirhash.HashDir sees them: names
/// `<prefix>/<relative path>` (regular files, and symlinks, which are read through: a symlink
/// to a directory then fails to read, as in Go). Nothing is read yet. Only the names are kept:
/// a file's path is `dir` + its name without the prefix ([`Listed::path`]), so a module's
/// list costs one string per file, not two (the largest module of the benchmark cache has
/// 53,700 files; issue 14's memory item).
struct Listed {
    dir: String,
    prefix_len: usize,
    names: Vec<String>,
}

impl Listed {
    /// The absolute path of file `i`.
    fn path(&self, i: usize) -> String {
        format!("{}{}", self.dir, &self.names[i][self.prefix_len..])
    }
}

fn dir_files(ctx: &Ctx<'_>, dir: &str, prefix: &str) -> Result<Listed, HashError> {
    let mut names = Vec::new();
    let mut stack = vec![(dir.to_owned(), prefix.to_owned())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = ctx.read_dir(&abs).map_err(|e| HashError::probe(&abs, &e))?;
        for entry in entries {
            let child_rel = format!("{rel}/{}", entry.name);
            // filepath.Walk in DirFiles uses Lstat, so only real directories are walked; a
            // symlink (to a file or a directory) is opened, i.e. hashed as a file.
            if entry.kind == FileKind::Dir {
                stack.push((format!("{abs}/{}", entry.name), child_rel));
            } else {
                names.push(child_rel);
            }
        }
    }
    Ok(Listed {
        dir: dir.to_owned(),
        prefix_len: prefix.len(),
        names,
    })
}

/// Bytes asked of the host per read of a module file.
pub const CHUNK: u64 = 256 << 10;
/// What one worker holds for file data at once: the zip's current chunk, its extracted twin's
/// current chunk, and the entry and comparison buffers (64 KiB each). The inflater adds its
/// 32 KiB window and tables; the central directory adds ~100 bytes per entry.
pub const WORKER_BUFFERS: u64 = 2 * CHUNK + 2 * BUF as u64;
/// The entry read / comparison buffer size.
const BUF: usize = 64 * 1024;

/// A file read through the host in [`CHUNK`]-sized ranges, as `Read + Seek`. At most one chunk
/// is held. In a replay of a snapshot recorded before ranged reads (whole-file `read_file`
/// answers), a first range that was not recorded falls back to the whole recorded file, so
/// older snapshots replay unchanged.
pub struct HostFile<'c, 'a> {
    ctx: &'c Ctx<'a>,
    path: String,
    replay: bool,
    /// The file's length, once known (from `file_info`, a short read, or the whole file).
    len: Option<u64>,
    pos: u64,
    chunk: Vec<u8>,
    chunk_at: u64,
    /// The probe error behind the last failed read (a zip error then says what really failed).
    error: Option<ProbeError>,
}

impl<'c, 'a> HostFile<'c, 'a> {
    /// A file to read from the start on (its length is learned as it is read).
    pub fn sequential(ctx: &'c Ctx<'a>, path: &str) -> HostFile<'c, 'a> {
        HostFile {
            ctx,
            path: path.to_owned(),
            replay: ctx.options().replay,
            len: None,
            pos: 0,
            chunk: Vec::new(),
            chunk_at: 0,
            error: None,
        }
    }

    /// A file that will be seeked in (a zip: its directory is at the end); `None` when it does
    /// not exist. Its length comes from `file_info` (or, replaying an older snapshot, from the
    /// whole recorded file).
    pub fn open(ctx: &'c Ctx<'a>, path: &str) -> Option<Result<HostFile<'c, 'a>, HashError>> {
        let mut f = HostFile::sequential(ctx, path);
        match ctx.file_info(path) {
            Ok(info) => f.len = Some(info.size),
            Err(e) if e.kind == ProbeErrorKind::NotFound => return None,
            Err(e) if e.kind == ProbeErrorKind::NotRecorded && f.replay => {
                match ctx.read_file(path) {
                    Ok(data) => {
                        f.len = Some(data.len() as u64);
                        f.chunk = data;
                    }
                    Err(e) if e.kind == ProbeErrorKind::NotFound => return None,
                    Err(e) => return Some(Err(HashError::probe(path, &e))),
                }
            }
            Err(e) => return Some(Err(HashError::probe(path, &e))),
        }
        Some(Ok(f))
    }

    /// The file's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The probe error behind the last failed read, if a read failed.
    pub fn probe_error(&self) -> Option<&ProbeError> {
        self.error.as_ref()
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        if self.len.is_some_and(|len| self.pos >= len) {
            return Ok(false);
        }
        match self.ctx.read_file_at(&self.path, self.pos, CHUNK) {
            Ok(bytes) => {
                if (bytes.len() as u64) < CHUNK {
                    self.len = Some(self.pos + bytes.len() as u64);
                }
                self.chunk = bytes;
                self.chunk_at = self.pos;
                Ok(!self.chunk.is_empty())
            }
            Err(e) if e.kind == ProbeErrorKind::NotRecorded && self.replay && self.pos == 0 => {
                match self.ctx.read_file(&self.path) {
                    Ok(data) => {
                        self.len = Some(data.len() as u64);
                        self.chunk = data;
                        self.chunk_at = 0;
                        Ok(!self.chunk.is_empty())
                    }
                    Err(e) => Err(self.failed(e)),
                }
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    fn failed(&mut self, e: ProbeError) -> std::io::Error {
        let err = std::io::Error::other(format!("{}: {e}", self.path));
        self.error = Some(e);
        err
    }
}

impl Read for HostFile<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let end = self.chunk_at + self.chunk.len() as u64;
        if (self.pos < self.chunk_at || self.pos >= end) && !self.fill()? {
            return Ok(0);
        }
        let off = usize::try_from(self.pos - self.chunk_at).unwrap_or(usize::MAX);
        let Some(rest) = self.chunk.get(off..) else {
            return Ok(0);
        };
        let n = out.len().min(rest.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for HostFile<'_, '_> {
    fn seek(&mut self, from: SeekFrom) -> std::io::Result<u64> {
        let target = match from {
            SeekFrom::Start(o) => i128::from(o),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
            SeekFrom::End(d) => {
                let len = self.len.ok_or_else(|| {
                    std::io::Error::other(format!("{}: length unknown", self.path))
                })?;
                i128::from(len) + i128::from(d)
            }
        };
        self.pos = u64::try_from(target).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// Read until `out` is full or the file ends; the count read.
fn read_full(r: &mut impl Read, out: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The SHA-256 of a file, streamed through the host in chunks.
pub fn hash_file(ctx: &Ctx<'_>, path: &str) -> Result<[u8; 32], HashError> {
    let mut file = HostFile::sequential(ctx, path);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) => {
                return Err(match file.probe_error() {
                    Some(p) => HashError::probe(path, p),
                    None => HashError::Io {
                        path: path.to_owned(),
                        message: e.to_string(),
                    },
                })
            }
        }
    }
    Ok(hasher.finalize().into())
}

/// h1 of an extracted module tree `dir`, naming files `<prefix>/<relative path>` like
/// dirhash.HashDir (regular files and symlinks to files; directories walked). Each file is
/// streamed ([`hash_file`]).
pub fn hash_dir(ctx: &Ctx<'_>, dir: &str, prefix: &str) -> Result<String, HashError> {
    let listed = dir_files(ctx, dir, prefix)?;
    let mut digests = Vec::with_capacity(listed.names.len());
    for i in 0..listed.names.len() {
        digests.push(hash_file(ctx, &listed.path(i))?);
    }
    hash1_from_digests(listed.names.into_iter().zip(digests).collect())
}

/// h1 of a module zip read through the host in chunks ([`HostFile::open`]).
pub fn hash_zip_file(ctx: &Ctx<'_>, zip: &mut HostFile<'_, '_>) -> Result<String, HashError> {
    let path = zip.path().to_owned();
    let (zip_hash, _, _) = stream_zip(ctx, &path, &mut *zip, None);
    blame_probe(zip_hash, zip)
}

/// The h1 of a module zip (streamed through the host in chunks) and of its extracted tree,
/// each file hashed once as in [`hash_zip_and_dir`], with no whole file in memory.
pub fn hash_zip_file_and_dir(
    ctx: &Ctx<'_>,
    zip: &mut HostFile<'_, '_>,
    dir: &str,
    prefix: &str,
) -> (Result<String, HashError>, Result<String, HashError>) {
    let path = zip.path().to_owned();
    let listed = match dir_files(ctx, dir, prefix) {
        Ok(listed) => listed,
        Err(e) => return (hash_zip_file(ctx, zip), Err(e)),
    };
    let (zip_hash, digests, dir_error) = stream_zip(ctx, &path, &mut *zip, Some(&listed));
    if matches!(zip_hash, Err(HashError::Zip { .. })) && digests.iter().all(Option::is_none) {
        // Not a zip at all (or unreadable from the start): the tree on its own.
        let zip_hash = blame_probe(zip_hash, zip);
        return (zip_hash, hash_dir(ctx, dir, prefix));
    }
    (
        blame_probe(zip_hash, zip),
        finish_dir(ctx, listed, digests, dir_error),
    )
}

/// A zip error caused by a failed read is that read's error (a missing answer stays "could
/// not tell", not "not a readable zip").
fn blame_probe(r: Result<String, HashError>, zip: &HostFile<'_, '_>) -> Result<String, HashError> {
    match (r, zip.probe_error()) {
        (Err(HashError::Zip { .. }), Some(e)) => Err(HashError::probe(zip.path(), e)),
        (r, _) => r,
    }
}

/// The tree's h1 from the digests the zip pass found; files it did not cover are streamed.
fn finish_dir(
    ctx: &Ctx<'_>,
    listed: Listed,
    digests: Vec<Option<[u8; 32]>>,
    dir_error: Option<HashError>,
) -> Result<String, HashError> {
    if let Some(e) = dir_error {
        return Err(e);
    }
    let mut files = Vec::with_capacity(listed.names.len());
    for (i, digest) in digests.into_iter().enumerate() {
        files.push(match digest {
            Some(d) => d,
            None => hash_file(ctx, &listed.path(i))?,
        });
    }
    hash1_from_digests(listed.names.into_iter().zip(files).collect())
}

/// What one zip pass found: the zip's h1, the twins' digests, the first twin read error.
type ZipPass = (
    Result<String, HashError>,
    Vec<Option<[u8; 32]>>,
    Option<HashError>,
);

/// The zip pass shared by the in-memory and the streamed forms: every entry streamed through
/// the hasher and, with `twins`, compared chunk by chunk with its extracted twin (streamed
/// beside it); a twin that differs is hashed on its own afterwards. Returns the zip's h1, the
/// twins' digests (by index in `twins`) and the first error reading a twin.
fn stream_zip<R: Read + Seek>(
    ctx: &Ctx<'_>,
    zip_path: &str,
    reader: R,
    twins: Option<&Listed>,
) -> ZipPass {
    let no_twins = Listed {
        dir: String::new(),
        prefix_len: 0,
        names: Vec::new(),
    };
    let listed = twins.unwrap_or(&no_twins);
    let mut dir_digests: Vec<Option<[u8; 32]>> = vec![None; listed.names.len()];
    let zerr = |e: zip::result::ZipError| HashError::Zip {
        path: zip_path.to_owned(),
        message: e.to_string(),
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => return (Err(zerr(e)), dir_digests, None),
    };
    let index: std::collections::HashMap<&str, usize> = listed
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let mut dir_error: Option<HashError> = None;
    let mut zip_digests = Vec::with_capacity(archive.len());
    let mut buf = vec![0u8; BUF];
    let mut twin_buf = vec![0u8; if twins.is_some() { BUF } else { 0 }];
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => return (Err(zerr(e)), dir_digests, dir_error),
        };
        // dirhash.HashZip hashes every entry whose name does not end in "/".
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if name.ends_with('/') {
            continue;
        }
        let mut twin = match index.get(name.as_str()) {
            Some(&at) if dir_digests[at].is_none() && dir_error.is_none() => {
                Some((at, HostFile::sequential(ctx, &listed.path(at))))
            }
            _ => None,
        };
        let mut hasher = Sha256::new();
        let mut same = true;
        let mut twin_failed = false;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    let err = HashError::Zip {
                        path: zip_path.to_owned(),
                        message: format!("{name}: {e}"),
                    };
                    return (Err(err), dir_digests, dir_error);
                }
            };
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if let (Some((at, file)), true) = (&mut twin, same) {
                match read_full(file, &mut twin_buf[..n]) {
                    Ok(m) => same = m == n && twin_buf[..n] == buf[..n],
                    Err(e) => {
                        dir_error = Some(twin_error(&listed.path(*at), file, &e));
                        twin_failed = true;
                        same = false;
                    }
                }
            }
        }
        let digest: [u8; 32] = hasher.finalize().into();
        if let Some((at, mut file)) = twin {
            if !twin_failed {
                // Equal so far: equal only if the twin ends here too.
                if same {
                    match read_full(&mut file, &mut twin_buf[..1]) {
                        Ok(m) => same = m == 0,
                        Err(e) => {
                            dir_error = Some(twin_error(&listed.path(at), &file, &e));
                            twin_failed = true;
                        }
                    }
                }
                if !twin_failed {
                    drop(file);
                    if same {
                        dir_digests[at] = Some(digest);
                    } else {
                        match hash_file(ctx, &listed.path(at)) {
                            Ok(d) => dir_digests[at] = Some(d),
                            Err(e) => dir_error = Some(e),
                        }
                    }
                }
            }
        }
        zip_digests.push((name, digest));
    }
    (hash1_from_digests(zip_digests), dir_digests, dir_error)
}

fn twin_error(path: &str, file: &HostFile<'_, '_>, e: &std::io::Error) -> HashError {
    match file.probe_error() {
        Some(p) => HashError::probe(path, p),
        None => HashError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        },
    }
}

/// The h1 of a module zip and of its extracted tree, like [`hash_zip_bytes`] and
/// [`hash_dir`] but hashing each file once: an extracted file whose bytes equal its zip
/// entry's has that entry's digest, so only files that differ (or exist on one side only) are
/// hashed twice. Comparing is far cheaper than SHA-256, and in a healthy cache every file
/// matches. The results are exactly those of the two separate functions. (The zip is given in
/// memory here; [`hash_zip_file_and_dir`] streams it.)
pub fn hash_zip_and_dir(
    ctx: &Ctx<'_>,
    zip_path: &str,
    zip_data: &[u8],
    dir: &str,
    prefix: &str,
) -> (Result<String, HashError>, Result<String, HashError>) {
    let listed = match dir_files(ctx, dir, prefix) {
        Ok(listed) => listed,
        Err(e) => return (hash_zip_bytes(zip_path, zip_data), Err(e)),
    };
    let (zip_hash, digests, dir_error) =
        stream_zip(ctx, zip_path, std::io::Cursor::new(zip_data), Some(&listed));
    if matches!(zip_hash, Err(HashError::Zip { .. })) && digests.iter().all(Option::is_none) {
        return (zip_hash, hash_dir(ctx, dir, prefix));
    }
    (zip_hash, finish_dir(ctx, listed, digests, dir_error))
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
