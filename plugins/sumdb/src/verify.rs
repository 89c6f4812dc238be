//! Offline checks: `sumdb.gosum` (go.sum syntax) and `sumdb.cache` (the module cache
//! re-hashed against go.sum and against the `.ziphash` the go command wrote at download).
//!
//! Hashing runs on `available_parallelism()` scoped std threads sharing the host context
//! (`Ctx` is `Sync`); each worker holds at most one zip or one file in memory at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Finding, ProbeErrorKind};

use crate::dirhash::{hash_dir, hash_gomod, hash_zip_and_dir, hash_zip_bytes, HashError};
use crate::goenv::{parent, GoEnv, SOURCE};
use crate::gosum::{escape, parse, GoSum, ModSums, ModVer};

/// The host's read_file cap: a file this long may have been cut.
const READ_CAP: usize = 256 * 1024 * 1024;
/// Zips up to this size are hashed in one pass with their extracted tree (faster, but the zip
/// and one extracted file are in memory together); larger ones one after the other, so a
/// module with a huge zip costs memory for the zip or a file, not both.
const ONE_PASS_MAX_ZIP: usize = 16 * 1024 * 1024;
const MAX_LISTED: usize = 30;

/// Where the main module's go.sum and the module cache are.
pub struct Located {
    pub env: GoEnv,
    pub module_dir: String,
    pub gosum_path: String,
    pub gosum_text: Option<String>,
    pub modcache: String,
}

pub fn locate(ctx: &Ctx<'_>) -> Result<Located, Finding> {
    let env = GoEnv::from_ctx(ctx).map_err(|e| {
        Finding::skip("Go module settings could not be read").detail(format!(
            "{e}; GOMOD and GOMODCACHE come from `go env -json`."
        ))
    })?;
    let Some(gomod) = env.gomod().map(str::to_owned) else {
        return Err(Finding::skip("Not inside a Go module: no go.sum to verify")
            .detail("`go env GOMOD` is empty or /dev/null for the directory gohost ran in; run gohost from inside your module.")
            .evidence("GOMOD", env.get("GOMOD"), SOURCE));
    };
    let module_dir = parent(&gomod).to_owned();
    let gosum_path = format!("{module_dir}/go.sum");
    let gosum_text = match ctx.read_to_string(&gosum_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => {
            return Err(Finding::error(format!("cannot read {gosum_path}"))
                .detail(e.to_string())
                .evidence("go.sum", &gosum_path, "GOMOD from go env -json"))
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

pub fn check_gosum(ctx: &Ctx<'_>) -> Vec<Finding> {
    let loc = match locate(ctx) {
        Ok(l) => l,
        Err(f) => return vec![f],
    };
    let Some(text) = &loc.gosum_text else {
        return vec![Finding::info("The main module has no go.sum")
            .detail("A module without dependencies needs none; otherwise `go mod tidy` writes it.")
            .evidence("go.sum", &loc.gosum_path, "not found")];
    };
    let sum = parse(text);
    let mut out = Vec::new();
    for bad in sum.bad.iter().chain(&sum.conflicts).take(MAX_LISTED) {
        out.push(
            Finding::fail(format!("go.sum line {} is malformed: {}", bad.line, bad.problem))
                .evidence("line", bad.line.to_string(), &loc.gosum_path)
                .evidence("text", &bad.text, format!("{}:{}", loc.gosum_path, bad.line))
                .remediation(
                    "The go command refuses a malformed go.sum. Restore it from version control, or delete the bad line and let `go mod tidy` rewrite it (the checksum database re-verifies what it adds).",
                    [format!("cd {} && git diff go.sum", loc.module_dir), format!("cd {} && go mod tidy", loc.module_dir)],
                ),
        );
    }
    let problems = sum.bad.len() + sum.conflicts.len();
    if problems > MAX_LISTED {
        out.push(Finding::fail(format!(
            "{} more malformed go.sum lines not listed",
            problems - MAX_LISTED
        )));
    }
    if out.is_empty() {
        out.push(
            Finding::pass(format!(
                "go.sum is well formed: {} module versions in {} lines",
                sum.modules.len(),
                sum.lines
            ))
            .evidence("go.sum", &loc.gosum_path, "GOMOD from go env -json"),
        );
    }
    out
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
struct Hashed {
    zip: Option<Result<String, HashError>>,
    dir: Option<Result<String, HashError>>,
    gomod: Option<Result<String, HashError>>,
    ziphash: Option<String>,
}

struct Paths {
    zip: String,
    ziphash: String,
    gomod: String,
    dir: String,
}

fn paths(modcache: &str, mv: &ModVer) -> Paths {
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
        Err(e) => Some(Err(HashError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        })),
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
    h.ziphash = ctx
        .read_to_string(&p.ziphash)
        .ok()
        .map(|s| s.trim().to_owned());
    let prefix = format!("{}@{}", mv.path, mv.version);
    let dir = match ctx.file_info(&p.dir) {
        Ok(_) => Some(Ok(())),
        Err(e) if e.kind == ProbeErrorKind::NotFound => None,
        Err(e) => Some(Err(HashError::Io {
            path: p.dir.clone(),
            message: e.to_string(),
        })),
    };
    match (read_opt(ctx, &p.zip), dir) {
        // Both present, the usual case: each file hashed once (see hash_zip_and_dir).
        (Some(Ok(data)), Some(Ok(()))) if data.len() <= ONE_PASS_MAX_ZIP => {
            let (zip, dir) = hash_zip_and_dir(ctx, &p.zip, &data, &p.dir, &prefix);
            h.zip = Some(zip);
            h.dir = Some(dir);
        }
        (zip, dir) => {
            h.zip = zip.map(|r| r.and_then(|d| hash_zip_bytes(&p.zip, &d)));
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

fn fix_dir(loc: &Located, mv: &ModVer) -> Vec<String> {
    let p = paths(&loc.modcache, mv);
    vec![
        format!("chmod -R u+w '{}' && rm -rf '{}'", p.dir, p.dir),
        format!("cd {} && go mod download {mv}", loc.module_dir),
    ]
}

fn fix_zip(loc: &Located, mv: &ModVer) -> Vec<String> {
    let p = paths(&loc.modcache, mv);
    vec![
        format!(
            "chmod -R u+w '{}' && rm -rf '{}' '{}' '{}'",
            p.dir, p.dir, p.zip, p.ziphash
        ),
        format!("cd {} && go mod download {mv}", loc.module_dir),
    ]
}

pub fn check_cache(ctx: &Ctx<'_>) -> Vec<Finding> {
    let loc = match locate(ctx) {
        Ok(l) => l,
        Err(f) => return vec![f],
    };
    if loc.modcache.is_empty() {
        return vec![
            Finding::skip("GOMODCACHE is not set; no module cache to verify").evidence(
                "GOMODCACHE",
                "",
                SOURCE,
            ),
        ];
    }
    let sum = loc.gosum_text.as_deref().map(parse).unwrap_or_default();
    verify_cache(ctx, &loc, &sum)
}

fn verify_cache(ctx: &Ctx<'_>, loc: &Located, sum: &GoSum) -> Vec<Finding> {
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

    let gs = &loc.gosum_path;
    let empty = ModSums::default();
    let mut out = Vec::new();
    let (mut zips, mut dirs, mut mods) = (0usize, 0usize, 0usize);
    let mut not_cached = Vec::new();
    let mut missing_sum = Vec::new();
    for ((mv, tree), h) in work.iter().zip(&hashed) {
        let sums = sum.modules.get(mv).unwrap_or(&empty);
        let at = |line: usize| format!("{gs}:{line}");
        let p = paths(&loc.modcache, mv);

        if let Some(r) = &h.gomod {
            match (r, &sums.gomod) {
                (Ok(actual), Some(want)) if *actual != want.hash => out.push(
                    Finding::fail(format!(
                        "{mv}: go.mod in the module cache differs from go.sum"
                    ))
                    .evidence("module", mv.to_string(), "go.sum")
                    .evidence("kind", "gomod-mismatch", "sumdb.cache")
                    .evidence("expected", &want.hash, at(want.line))
                    .evidence("actual", actual, format!("h1 of {}", p.gomod))
                    .remediation(
                        "Re-download it; if go.sum was edited, restore it from version control.",
                        fix_zip(loc, mv),
                    ),
                ),
                (Ok(_), _) => mods += 1,
                (Err(e), _) => out.push(
                    Finding::error(format!("{mv}: cannot hash go.mod")).detail(e.to_string()),
                ),
            }
        }
        if !*tree {
            continue;
        }
        let zip = h.zip.as_ref();
        let dir = h.dir.as_ref();
        if zip.is_none() && dir.is_none() {
            not_cached.push(mv.to_string());
            continue;
        }
        let Some(want) = &sums.zip else {
            missing_sum.push(mv.to_string());
            continue;
        };
        let ziphash = h.ziphash.as_deref();
        let zip_ok = match zip {
            Some(Ok(actual)) => Some(actual.as_str()),
            Some(Err(e)) => {
                out.push(
                    Finding::fail(format!("{mv}: module zip cannot be read"))
                        .detail(e.to_string())
                        .evidence("zip", &p.zip, "module cache")
                        .remediation("Re-download it.", fix_zip(loc, mv)),
                );
                None
            }
            None => None,
        };
        let dir_ok = match dir {
            Some(Ok(actual)) => Some(actual.as_str()),
            Some(Err(e)) => {
                out.push(
                    Finding::fail(format!("{mv}: extracted module cannot be hashed"))
                        .detail(e.to_string())
                        .evidence("dir", &p.dir, "module cache")
                        .remediation("Re-download it.", fix_dir(loc, mv)),
                );
                None
            }
            None => None,
        };
        // Who disagrees with whom decides the culprit: the zip and its .ziphash were written
        // together at download, so zip == ziphash != go.sum points at go.sum.
        let zip_matches_record = zip_ok.is_some() && zip_ok == ziphash;
        let mut bad = false;
        if let Some(actual) = zip_ok {
            if actual != want.hash && !zip_matches_record {
                bad = true;
                out.push(
                    Finding::fail(format!("{mv}: module zip was modified after download"))
                        .detail("The zip's h1 hash matches neither go.sum nor the .ziphash the go command wrote when it downloaded it.")
                        .evidence("module", mv.to_string(), "go.sum")
                        .evidence("kind", "zip-modified", "sumdb.cache")
                        .evidence("expected", &want.hash, at(want.line))
                        .evidence("actual", actual, format!("h1 of {}", p.zip))
                        .evidence("ziphash", ziphash.unwrap_or("(none)"), &p.ziphash)
                        .remediation("Delete the cached copy and download it again (the checksum in go.sum is verified on download).", fix_zip(loc, mv)),
                );
            } else if actual != want.hash {
                bad = true;
                out.push(
                    Finding::fail(format!("{mv}: go.sum disagrees with the downloaded module"))
                        .detail("The cached zip still matches the hash recorded when it was downloaded (.ziphash), but go.sum says something else: go.sum was edited, or the module was downloaded from a source that served different content. `gohost run sumdb --online` asks the checksum database which one is right.")
                        .evidence("module", mv.to_string(), "go.sum")
                        .evidence("kind", "gosum-mismatch", "sumdb.cache")
                        .evidence("expected", &want.hash, at(want.line))
                        .evidence("actual", actual, format!("h1 of {}", p.zip))
                        .evidence("ziphash", ziphash.unwrap_or("(none)"), &p.ziphash)
                        .remediation("Check go.sum's history, then verify online.", [format!("cd {} && git log -p -- go.sum", loc.module_dir), "gohost run sumdb --online".to_owned()]),
                );
            }
        }
        if let Some(actual) = dir_ok {
            let reference = zip_ok.unwrap_or(&want.hash);
            if actual != reference && actual != want.hash {
                bad = true;
                out.push(
                    Finding::fail(format!("{mv}: extracted module files were modified"))
                        .detail("The h1 hash of the extracted directory matches neither go.sum nor the module zip: a file in the module cache was changed, added or removed.")
                        .evidence("module", mv.to_string(), "go.sum")
                        .evidence("kind", "dir-modified", "sumdb.cache")
                        .evidence("expected", &want.hash, at(want.line))
                        .evidence("actual", actual, format!("h1 of {}", p.dir))
                        .evidence("ziphash", ziphash.unwrap_or("(none)"), &p.ziphash)
                        .remediation("Delete the extracted copy and let the go command extract it again.", fix_dir(loc, mv)),
                );
            } else if zip_ok.is_none() && actual != want.hash {
                bad = true;
                out.push(
                    Finding::fail(format!("{mv}: go.sum disagrees with the downloaded module"))
                        .evidence("module", mv.to_string(), "go.sum")
                        .evidence("kind", "gosum-mismatch", "sumdb.cache")
                        .evidence("expected", &want.hash, at(want.line))
                        .evidence("actual", actual, format!("h1 of {}", p.dir)),
                );
            }
        }
        if !bad {
            zips += usize::from(zip_ok.is_some());
            dirs += usize::from(dir_ok.is_some());
        }
    }

    if !missing_sum.is_empty() {
        out.push(
            Finding::warn(format!("{} module(s) in the build list have no go.sum line", missing_sum.len()))
                .detail(format!("Missing: {}. Without a go.sum line nothing pins their content; the default -mod=readonly refuses to build.", list_some(&missing_sum)))
                .evidence("go.sum", gs, "GOMOD from go env -json")
                .remediation("Let the go command add (and verify) them.", [format!("cd {} && go mod tidy", loc.module_dir)]),
        );
    }
    let extra: Vec<String> = match &list {
        Ok(l) => sum
            .modules
            .iter()
            .filter(|(mv, s)| s.zip.is_some() && !l.contains(*mv))
            .map(|(mv, _)| mv.to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    if !extra.is_empty() {
        out.push(
            Finding::info(format!(
                "{} go.sum entr(ies) are not in the build list",
                extra.len()
            ))
            .detail(format!(
                "Extra: {}. Harmless, but `go mod tidy` removes what the module no longer needs.",
                list_some(&extra)
            ))
            .evidence("go.sum", gs, "go list -m all"),
        );
    }
    if !not_cached.is_empty() {
        out.push(
            Finding::info(format!(
                "{} module(s) are not in the module cache and were not verified",
                not_cached.len()
            ))
            .detail(format!("Not downloaded: {}.", list_some(&not_cached)))
            .evidence("GOMODCACHE", &loc.modcache, SOURCE),
        );
    }
    let failed = out
        .iter()
        .any(|f| f.status == gohost_plugin_api::Status::Fail);
    let source = match &list {
        Ok(l) => format!("build list of {} modules (`go list -m all`)", l.len()),
        Err(why) => format!("every go.sum entry (build list unavailable: {why})"),
    };
    if !failed {
        out.insert(
            0,
            Finding::pass(format!("Module cache matches go.sum: {zips} zips, {dirs} extracted trees, {mods} go.mod files re-hashed"))
                .evidence("modules", source, "go list -m all")
                .evidence("go.sum", gs, "GOMOD from go env -json")
                .evidence("GOMODCACHE", &loc.modcache, SOURCE),
        );
    }
    out
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

fn list_some(items: &[String]) -> String {
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
