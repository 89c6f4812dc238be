//! `sumdb.cache`: every build-list module in the module cache re-hashed (`verify::hash_cache`,
//! in parallel) and judged against go.sum and the `.ziphash` the go command wrote at download.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::goenv::SOURCE;
use crate::gosum::{parse, GoSum, ModSums};
use crate::verify::{
    fix_dir, fix_zip, hash_cache, list_some, locate, paths, CacheHashes, LocateProblem, Located,
};

inventory::submit! {
    Check {
        id: "sumdb.cache",
        title: "Module cache matches go.sum",
        explain: "For every module in the build list (`go list -m all`, run offline), recomputes the h1 dirhash of the cached zip and the extracted directory and the go.mod hash, in parallel, and compares them with go.sum and with the .ziphash the go command wrote at download. Which copies disagree tells what changed: the extracted files, the zip, or go.sum. Also reports build-list modules without a go.sum line and go.sum lines outside the build list. Like `go mod verify`, this is offline; unlike it, it also checks go.sum itself.",
        tags: &["modules", "security"],
        needs: Needs::NONE,
        run,
    }
}

/// Everything the verdict depends on.
pub enum Observations {
    NotLocated(LocateProblem),
    NoModCache,
    Hashed(Box<Hashed>),
}

/// The main module, its go.sum and what hashing the cache found.
pub struct Hashed {
    pub loc: Located,
    pub sum: GoSum,
    pub hashes: CacheHashes,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let loc = match locate(ctx) {
        Ok(l) => l,
        Err(p) => return Observations::NotLocated(p),
    };
    if loc.modcache.is_empty() {
        return Observations::NoModCache;
    }
    let sum = loc.gosum_text.as_deref().map(parse).unwrap_or_default();
    let hashes = hash_cache(ctx, &loc, &sum);
    Observations::Hashed(Box::new(Hashed { loc, sum, hashes }))
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let (loc, sum, hashes) = match obs {
        Observations::NotLocated(p) => return vec![p.finding()],
        Observations::NoModCache => {
            return vec![
                Finding::skip("GOMODCACHE is not set; no module cache to verify").evidence(
                    "GOMODCACHE",
                    "",
                    SOURCE,
                ),
            ]
        }
        Observations::Hashed(h) => (&h.loc, &h.sum, &h.hashes),
    };
    let CacheHashes { list, work, hashed } = hashes;
    let gs = &loc.gosum_path;
    let empty = ModSums::default();
    let mut out = Vec::new();
    let (mut zips, mut dirs, mut mods) = (0usize, 0usize, 0usize);
    let mut not_cached = Vec::new();
    let mut missing_sum = Vec::new();
    for ((mv, tree), h) in work.iter().zip(hashed) {
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
    let extra: Vec<String> = match list {
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
    let source = match list {
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
