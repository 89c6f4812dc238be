//! Offline checks: `sumdb.gosum` (go.sum syntax) and `sumdb.cache` (the module cache
//! re-hashed against go.sum and against the `.ziphash` the go command wrote at download).
//!
//! Hashing runs on `available_parallelism()` scoped std threads sharing the host context
//! (`Ctx` is `Sync`); each worker streams its files in chunks, so what it holds is bounded
//! by `dirhash::WORKER_BUFFERS` (plus a zip's central directory), whatever the file sizes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Finding, ProbeErrorKind};

use crate::dirhash::{
    hash_dir, hash_gomod, hash_zip_file, hash_zip_file_and_dir, HashError, HostFile,
};
use crate::goenv::{parent, GoEnv, GoEnvProblem, SOURCE};
use crate::gosum::{escape, GoSum, ModVer};
use crate::shell::quote;

/// The host's read_file cap: a file this long may have been cut.
const READ_CAP: usize = 256 * 1024 * 1024;
pub const MAX_LISTED: usize = 30;

/// Where the main module's go.sum and the module cache are.
#[derive(Debug, Clone)]
pub struct Located {
    pub env: GoEnv,
    pub module_dir: String,
    pub gosum_path: String,
    pub gosum_text: Option<String>,
    pub modcache: String,
}

/// Why the main module's go.sum could not be located or read.
#[derive(Debug, Clone)]
pub enum LocateProblem {
    GoEnv(GoEnvProblem),
    /// `go env GOMOD` is empty or the null device: not inside a module.
    NotInModule {
        gomod: String,
    },
    /// `go env -json` printed no GOMOD at all: could not tell.
    NoGomod,
    GoSumUnreadable {
        path: String,
        error: String,
        /// No answer at all (not recorded in a replay, timed out): could not tell.
        unanswered: bool,
    },
}

impl LocateProblem {
    /// The finding a check reports when it cannot start.
    pub fn finding(&self) -> Finding {
        match self {
            LocateProblem::GoEnv(e) => Finding::skip("Go module settings could not be read")
                .detail(format!(
                    "{e}; GOMOD and GOMODCACHE come from `go env -json`."
                )),
            LocateProblem::NoGomod => Finding::skip("Could not tell which Go module gohost runs in")
                .detail("`go env -json` printed no GOMOD."),
            LocateProblem::NotInModule { gomod } => Finding::skip("Not inside a Go module: no go.sum to verify")
                .detail("`go env GOMOD` is empty or /dev/null for the directory gohost ran in; run gohost from inside your module.")
                .evidence("GOMOD", gomod, SOURCE),
            LocateProblem::GoSumUnreadable { path, error, unanswered: true } => Finding::skip(format!("Could not tell: no answer reading {path}"))
                .detail(error.clone())
                .evidence("go.sum", path, "GOMOD from go env -json"),
            LocateProblem::GoSumUnreadable { path, error, .. } => Finding::error(format!("cannot read {path}"))
                .detail(error.clone())
                .evidence("go.sum", path, "GOMOD from go env -json"),
        }
    }
}

pub fn locate(ctx: &Ctx<'_>) -> Result<Located, LocateProblem> {
    let env = GoEnv::from_ctx(ctx).map_err(LocateProblem::GoEnv)?;
    if !env.knows("GOMOD") {
        return Err(LocateProblem::NoGomod);
    }
    let Some(gomod) = env.gomod().map(str::to_owned) else {
        return Err(LocateProblem::NotInModule {
            gomod: env.get("GOMOD").to_owned(),
        });
    };
    let module_dir = parent(&gomod).to_owned();
    let gosum_path = format!("{module_dir}/go.sum");
    let gosum_text = match ctx.read_to_string(&gosum_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => {
            return Err(LocateProblem::GoSumUnreadable {
                path: gosum_path,
                error: e.to_string(),
                unanswered: matches!(
                    e.kind,
                    ProbeErrorKind::NotRecorded | ProbeErrorKind::Timeout
                ),
            })
        }
    };
    let modcache = env.get("GOMODCACHE").to_owned();
    Ok(Located {
        env,
        module_dir,
        gosum_path,
        gosum_text,
        modcache,
    })
}

/// The build list from `go list -m all` (offline: GOPROXY=off), replacements applied.
/// Err says why it could not be had.
fn build_list(ctx: &Ctx<'_>, loc: &Located) -> Result<BTreeSet<ModVer>, String> {
    let go = if loc.env.go_path.is_empty() {
        "go"
    } else {
        loc.env.go_path.as_str()
    };
    let cmd = Command::new([
        go,
        "list",
        "-m",
        "-f",
        "{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}",
        "all",
    ])
    .cwd(&loc.module_dir)
    .env("GOPROXY", "off")
    .env("GOFLAGS", "-mod=readonly")
    .timeout(Duration::from_secs(120));
    let out = ctx.exec(&cmd).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "`go list -m all` {}: {}",
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    let mut list = BTreeSet::new();
    for line in out.stdout.lines() {
        let effective = line.split(" => ").last().unwrap_or(line);
        let fields: Vec<&str> = effective.split_whitespace().collect();
        // The main module and directory replacements have no version and no cache entry.
        if let [path, version] = fields.as_slice() {
            list.insert(ModVer {
                path: (*path).to_owned(),
                version: (*version).to_owned(),
            });
        }
    }
    Ok(list)
}

/// What hashing one module version found. `None` = that file is not in the cache.
#[derive(Debug, Default)]
pub struct Hashed {
    pub zip: Option<Result<String, HashError>>,
    pub dir: Option<Result<String, HashError>>,
    pub gomod: Option<Result<String, HashError>>,
    /// The `.ziphash` text: None when there is no such file, Err when it could not be read.
    pub ziphash: Option<Result<String, String>>,
}

pub struct Paths {
    pub zip: String,
    pub ziphash: String,
    pub gomod: String,
    pub dir: String,
}

pub fn paths(modcache: &str, mv: &ModVer) -> Paths {
    let (p, v) = (escape(&mv.path), escape(&mv.version));
    let dl = format!("{modcache}/cache/download/{p}/@v/{v}");
    Paths {
        zip: format!("{dl}.zip"),
        ziphash: format!("{dl}.ziphash"),
        gomod: format!("{dl}.mod"),
        dir: format!("{modcache}/{p}@{v}"),
    }
}

fn read_opt(ctx: &Ctx<'_>, path: &str) -> Option<Result<Vec<u8>, HashError>> {
    match ctx.read_file(path) {
        Ok(data) if data.len() >= READ_CAP => Some(Err(HashError::Io {
            path: path.to_owned(),
            message: "larger than the host's 256 MiB read cap; not hashed".to_owned(),
        })),
        Ok(data) => Some(Ok(data)),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => Some(Err(HashError::probe(path, &e))),
    }
}

fn hash_one(ctx: &Ctx<'_>, modcache: &str, mv: &ModVer, want_tree: bool) -> Hashed {
    let p = paths(modcache, mv);
    let mut h = Hashed {
        gomod: read_opt(ctx, &p.gomod).map(|r| r.map(|d| hash_gomod(&d))),
        ..Hashed::default()
    };
    if !want_tree {
        return h;
    }
    h.ziphash = match ctx.read_to_string(&p.ziphash) {
        Ok(s) => Some(Ok(s.trim().to_owned())),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => Some(Err(e.to_string())),
    };
    let prefix = format!("{}@{}", mv.path, mv.version);
    let dir = match ctx.file_info(&p.dir) {
        Ok(_) => Some(Ok(())),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => Some(Err(HashError::probe(&p.dir, &e))),
    };
    // The zip streams through the host in chunks (no whole file held, any size).
    match (HostFile::open(ctx, &p.zip), dir) {
        // Both present, the usual case: each file hashed once (see hash_zip_file_and_dir).
        (Some(Ok(mut zip)), Some(Ok(()))) => {
            let (zip, dir) = hash_zip_file_and_dir(ctx, &mut zip, &p.dir, &prefix);
            h.zip = Some(zip);
            h.dir = Some(dir);
        }
        (zip, dir) => {
            h.zip = zip.map(|r| r.and_then(|mut z| hash_zip_file(ctx, &mut z)));
            h.dir = dir.map(|r| r.and_then(|()| hash_dir(ctx, &p.dir, &prefix)));
        }
    }
    h
}

/// Hash every module in `work` on scoped threads; results in input order.
fn hash_all(ctx: &Ctx<'_>, modcache: &str, work: &[(ModVer, bool)]) -> Vec<Hashed> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Hashed)>> = Mutex::new(Vec::with_capacity(work.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((mv, tree)) = work.get(i) else { break };
                let h = hash_one(ctx, modcache, mv, *tree);
                if let Ok(mut r) = results.lock() {
                    r.push((i, h));
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 50 == 0 {
                    ctx.progress(&format!("sumdb: hashed {d}/{} modules", work.len()));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, h)| h).collect()
}

/// The build list and every module's hashes: `work` lists each module version with whether
/// its tree (zip + extracted dir) is checked, `hashed` what hashing found, in the same order.
pub struct CacheHashes {
    pub list: Result<BTreeSet<ModVer>, String>,
    pub work: Vec<(ModVer, bool)>,
    pub hashed: Vec<Hashed>,
}

pub fn hash_cache(ctx: &Ctx<'_>, loc: &Located, sum: &GoSum) -> CacheHashes {
    // `go list -m all` runs while the go.sum modules (almost always the build list) are
    // hashed; whatever the build list adds is hashed afterwards.
    let guess: Vec<(ModVer, bool)> = sum
        .modules
        .iter()
        .map(|(mv, s)| (mv.clone(), s.zip.is_some()))
        .collect();
    let (list, early) = std::thread::scope(|s| {
        let lister = s.spawn(|| build_list(ctx, loc));
        let early = hash_all(ctx, &loc.modcache, &guess);
        let list = lister
            .join()
            .unwrap_or_else(|_| Err("`go list -m all` helper thread panicked".to_owned()));
        (list, early)
    });
    let mut early: BTreeMap<ModVer, (bool, Hashed)> = guess
        .into_iter()
        .zip(early)
        .map(|((mv, tree), h)| (mv, (tree, h)))
        .collect();
    // Modules whose tree (zip + extracted dir) is checked: the build list, or every go.sum
    // module with a tree hash when the build list is unavailable; go.mod files of every
    // go.sum entry and build-list module.
    let mut work: BTreeMap<ModVer, bool> = BTreeMap::new();
    match &list {
        Ok(l) => {
            for mv in l {
                work.insert(mv.clone(), true);
            }
        }
        Err(_) => {
            // Without the build list: every go.sum module with a tree hash, plus go.mod's own
            // requirements, so a required module missing from go.sum is still caught.
            for (mv, s) in &sum.modules {
                if s.zip.is_some() {
                    work.insert(mv.clone(), true);
                }
            }
            let gomod = loc.env.gomod().and_then(|p| ctx.read_to_string(p).ok());
            for mv in gomod.as_deref().map(gomod_requires).unwrap_or_default() {
                work.insert(mv, true);
            }
        }
    }
    for mv in sum.modules.keys() {
        work.entry(mv.clone()).or_insert(false);
    }
    let work: Vec<(ModVer, bool)> = work.into_iter().collect();
    let late: Vec<(ModVer, bool)> = work
        .iter()
        .filter(|(mv, tree)| {
            !early
                .get(mv)
                .is_some_and(|(had_tree, _)| *had_tree || !*tree)
        })
        .cloned()
        .collect();
    let mut late: BTreeMap<ModVer, Hashed> = late
        .iter()
        .map(|(mv, _)| mv.clone())
        .zip(hash_all(ctx, &loc.modcache, &late))
        .collect();
    let hashed: Vec<Hashed> = work
        .iter()
        .map(|(mv, _)| {
            late.remove(mv)
                .or_else(|| early.remove(mv).map(|(_, h)| h))
                .unwrap_or_default()
        })
        .collect();
    CacheHashes { list, work, hashed }
}

/// Remove one module version's extracted tree and download it again. The go command makes
/// the cache read-only, hence the chmod; every path is shell-quoted.
pub fn fix_dir(loc: &Located, mv: &ModVer) -> Vec<String> {
    let p = paths(&loc.modcache, mv);
    let dir = quote(&p.dir);
    vec![
        format!("chmod -R u+w {dir} && rm -rf {dir}"),
        format!(
            "cd {} && go mod download {}",
            quote(&loc.module_dir),
            quote(&mv.to_string())
        ),
    ]
}

/// Remove one module version from the cache (extracted tree, zip, .ziphash, .mod) and download it
/// again; unlike `go clean -modcache`, which empties the whole module cache.
pub fn fix_zip(loc: &Located, mv: &ModVer) -> Vec<String> {
    let p = paths(&loc.modcache, mv);
    let dir = quote(&p.dir);
    vec![
        // The tree may be absent (a go.mod-only problem): chmod must not stop the line.
        format!(
            "chmod -R u+w {dir} 2>/dev/null || true; rm -rf {dir} {} {} {}",
            quote(&p.zip),
            quote(&p.ziphash),
            quote(&p.gomod)
        ),
        format!(
            "cd {} && go mod download {}",
            quote(&loc.module_dir),
            quote(&mv.to_string())
        ),
    ]
}

/// The `require` lines of a go.mod (single lines and blocks); comments dropped.
pub fn gomod_requires(text: &str) -> Vec<ModVer> {
    let mut out = Vec::new();
    let mut in_block = false;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        let rest = if in_block {
            if line.starts_with(')') {
                in_block = false;
                continue;
            }
            line
        } else if let Some(r) = line.strip_prefix("require") {
            let r = r.trim();
            if r.starts_with('(') {
                in_block = true;
                continue;
            }
            r
        } else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if let [path, version, ..] = f.as_slice() {
            out.push(ModVer {
                path: path.trim_matches('"').to_owned(),
                version: version.trim_matches('"').to_owned(),
            });
        }
    }
    out
}

pub fn list_some(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED {
        s.push_str(&format!(" and {} more", items.len() - MAX_LISTED));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires_single_and_block() {
        let text = "module x\n\ngo 1.21\n\nrequire a.example/one v1.0.0 // indirect\nrequire (\n\tb.example/two v2.1.0\n\t\"c.example/three\" v0.1.0 // indirect\n)\n";
        let got: Vec<String> = gomod_requires(text)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "a.example/one@v1.0.0",
                "b.example/two@v2.1.0",
                "c.example/three@v0.1.0"
            ]
        );
    }
}
