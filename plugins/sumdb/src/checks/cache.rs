//! `sumdb.cache`: every build-list module in the module cache re-hashed (`verify::hash_cache`,
//! in parallel) and judged against go.sum and the `.ziphash` the go command wrote at download.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::dirhash::HashError;
use crate::goenv::SOURCE;
use crate::gosum::{parse, GoSum, ModSums};
use crate::shell::quote;
use crate::verify::{
    fix_dir, fix_zip, hash_cache, list_some, locate, paths, CacheHashes, LocateProblem, Located,
};

inventory::submit! {
    Check {
        id: "sumdb.cache",
        title: "Module cache matches go.sum",
        explain: "For every module in the build list (`go list -m all`, run offline), recomputes the h1 dirhash of the cached zip and the extracted directory and the go.mod hash, in parallel, and compares them with go.sum and with the .ziphash the go command wrote at download. Which copies disagree tells what changed: the extracted files, the zip, or go.sum. Also reports build-list modules with no go.sum line at all (a warning) and go.sum lines outside the build list; a module with only a /go.mod hash is normal (`go mod tidy` keeps zip hashes only for modules that provide packages, cmd/go/internal/modload keepSums) and is listed as not checked. When nothing could be compared it says so instead of passing, and a file that gave no answer is 'could not tell'. Fixes remove one module version from the cache, never the whole cache. Like `go mod verify` (which compares with .ziphash only), this is offline; unlike it, it also checks go.sum itself.",
        tags: &["modules", "security"],
        needs: Needs::NONE,
        run: |ctx| judge(&gather(ctx)),
    }
}

/// Everything the verdict depends on.
pub enum Observations {
    NotLocated(LocateProblem),
    /// GOMODCACHE empty; `known` is false when `go env -json` did not print it at all.
    NoModCache {
        known: bool,
    },
    Hashed(Box<Hashed>),
}

/// The main module, its go.sum and what hashing the cache found.
pub struct Hashed {
    pub loc: Located,
    pub sum: GoSum,
    pub hashes: CacheHashes,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let loc = match locate(ctx) {
        Ok(l) => l,
        Err(p) => return Observations::NotLocated(p),
    };
    if loc.modcache.is_empty() {
        return Observations::NoModCache {
            known: loc.env.knows("GOMODCACHE"),
        };
    }
    let sum = loc.gosum_text.as_deref().map(parse).unwrap_or_default();
    let hashes = hash_cache(ctx, &loc, &sum);
    Observations::Hashed(Box::new(Hashed { loc, sum, hashes }))
}

/// A hash the probes answered, or None: a probe that gave no answer is "could not tell" for
/// that file, never a verdict.
fn answered(r: Option<&Result<String, HashError>>) -> Option<&Result<String, HashError>> {
    if missing(r) {
        None
    } else {
        r
    }
}

/// The probes gave no answer for this file (a replay that did not record it).
fn missing(r: Option<&Result<String, HashError>>) -> bool {
    matches!(r, Some(Err(HashError::Unanswered { .. })))
}

/// The hash of a module's zip or extracted tree when there is one; a file that could not be
/// read or hashed is a fail naming it (with the re-download fix) and takes no part in the
/// verdict.
fn hash_or_fail<'h>(
    hash: Option<&'h Result<String, HashError>>,
    out: &mut Vec<Finding>,
    title: impl FnOnce() -> String,
    (what, path): (&str, &str),
    fix: impl FnOnce() -> Vec<String>,
) -> Option<&'h str> {
    match hash {
        Some(Ok(actual)) => Some(actual.as_str()),
        Some(Err(e)) => {
            out.push(
                Finding::fail(title())
                    .detail(e.to_string())
                    .evidence(what, path, "module cache")
                    .remediation("Re-download it.", fix()),
            );
            None
        }
        None => None,
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let (loc, sum, hashes) = match obs {
        Observations::NotLocated(p) => return vec![p.finding()],
        Observations::NoModCache { known: true } => {
            return vec![
                Finding::skip("GOMODCACHE is empty; no module cache to verify").evidence(
                    "GOMODCACHE",
                    "(empty)",
                    SOURCE,
                ),
            ]
        }
        Observations::NoModCache { known: false } => {
            return vec![Finding::skip("Could not tell where the module cache is")
                .detail("`go env -json` printed no GOMODCACHE.")]
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
    let mut gomod_only = Vec::new();
    let mut unanswered = Vec::new();
    for ((mv, tree), h) in work.iter().zip(hashed) {
        let sums = sum.modules.get(mv).unwrap_or(&empty);
        let at = |line: usize| format!("{gs}:{line}");
        let p = paths(&loc.modcache, mv);

        let (gomod_h, zip_h, dir_h) = (
            answered(h.gomod.as_ref()),
            answered(h.zip.as_ref()),
            answered(h.dir.as_ref()),
        );
        let any_missing = missing(h.gomod.as_ref())
            || (*tree && (missing(h.zip.as_ref()) || missing(h.dir.as_ref())));
        if any_missing {
            unanswered.push(mv.to_string());
        }
        if let Some(r) = gomod_h {
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
                (Ok(_), Some(_)) => mods += 1,
                // Hashed but go.sum has no /go.mod line to compare with: nothing verified.
                (Ok(_), None) => {}
                (Err(e), _) => out.push(
                    Finding::error(format!("{mv}: cannot hash go.mod")).detail(e.to_string()),
                ),
            }
        }
        if !*tree {
            continue;
        }
        let zip = zip_h;
        let dir = dir_h;
        if zip.is_none() && dir.is_none() {
            if any_missing {
                continue;
            }
            not_cached.push(mv.to_string());
            continue;
        }
        let Some(want) = &sums.zip else {
            // go mod tidy keeps a zip hash only for modules that provide packages to the
            // build, and go.mod hashes for every module in the graph (keepSums in
            // cmd/go/internal/modload/init.go, go1.27.3): a /go.mod line alone is normal.
            if sums.gomod.is_some() {
                gomod_only.push(mv.to_string());
            } else {
                missing_sum.push(mv.to_string());
            }
            continue;
        };
        // A .ziphash that could not be read is no record at all: never "(none)".
        let (ziphash, ziphash_text) = match &h.ziphash {
            Some(Ok(z)) => (Some(z.as_str()), z.clone()),
            Some(Err(why)) => (None, format!("(could not be read: {why})")),
            None => (None, "(no .ziphash file)".to_owned()),
        };
        let zip_ok = hash_or_fail(
            zip,
            &mut out,
            || format!("{mv}: module zip cannot be read"),
            ("zip", &p.zip),
            || fix_zip(loc, mv),
        );
        let dir_ok = hash_or_fail(
            dir,
            &mut out,
            || format!("{mv}: extracted module cannot be hashed"),
            ("dir", &p.dir),
            || fix_dir(loc, mv),
        );
        // Who disagrees with whom decides the culprit: the zip and its .ziphash were written
        // together at download, so zip == ziphash != go.sum points at go.sum.
        let zip_matches_record = zip_ok.is_some() && zip_ok == ziphash;
        // Every mismatch names the module, its kind, go.sum's hash and the one computed, in
        // that order; the zip's cases add the download record (.ziphash) after them.
        let mismatch = |title: &str, detail: &str, kind: &str, actual: &str, hashed: &str| {
            Finding::fail(format!("{mv}: {title}"))
                .detail(detail)
                .evidence("module", mv.to_string(), "go.sum")
                .evidence("kind", kind, "sumdb.cache")
                .evidence("expected", &want.hash, at(want.line))
                .evidence("actual", actual, format!("h1 of {hashed}"))
        };
        let with_record = |f: Finding| f.evidence("ziphash", &ziphash_text, &p.ziphash);
        let mut bad = false;
        if let Some(actual) = zip_ok {
            if actual != want.hash && ziphash.is_none() {
                // Without the download record gohost cannot tell the zip from go.sum.
                bad = true;
                out.push(
                    with_record(mismatch("module zip does not match go.sum", "The zip's h1 hash differs from go.sum, and there is no readable .ziphash (the hash the go command recorded at download), so gohost cannot tell whether the zip or go.sum changed. `gohost run sumdb --online` asks the checksum database which one is right.", "zip-mismatch", actual, &p.zip))
                        .remediation("Delete the cached copy and download it again (the download is verified against go.sum and the checksum database).", fix_zip(loc, mv)),
                );
            } else if actual != want.hash && !zip_matches_record {
                bad = true;
                out.push(
                    with_record(mismatch("module zip was modified after download", "The zip's h1 hash matches neither go.sum nor the .ziphash the go command wrote when it downloaded it.", "zip-modified", actual, &p.zip))
                        .remediation("Delete the cached copy and download it again (the checksum in go.sum is verified on download).", fix_zip(loc, mv)),
                );
            } else if actual != want.hash {
                bad = true;
                out.push(
                    with_record(mismatch("go.sum disagrees with the downloaded module", "The cached zip still matches the hash recorded when it was downloaded (.ziphash), but go.sum says something else: go.sum was edited, or the module was downloaded from a source that served different content. `gohost run sumdb --online` asks the checksum database which one is right.", "gosum-mismatch", actual, &p.zip))
                        .remediation("Check go.sum's history, then verify online.", [format!("cd {} && git log -p -- go.sum", quote(&loc.module_dir)), "gohost run sumdb --online".to_owned()]),
                );
            }
        }
        if let Some(actual) = dir_ok {
            // Only the tree's own zip can show that the files changed.
            if zip_ok.is_some_and(|z| actual != z) && actual != want.hash {
                bad = true;
                out.push(
                    with_record(mismatch("extracted module files were modified", "The h1 hash of the extracted directory matches neither go.sum nor the module zip: a file in the module cache was changed, added or removed.", "dir-modified", actual, &p.dir))
                        .remediation("Delete the extracted copy and let the go command extract it again.", fix_dir(loc, mv)),
                );
            } else if zip_ok.is_none() && actual != want.hash {
                // No zip to compare with: the files or go.sum changed, gohost cannot tell which.
                bad = true;
                out.push(
                    mismatch("extracted module does not match go.sum", "The h1 hash of the extracted directory differs from go.sum and there is no readable zip in the cache to tell whether the files or go.sum changed.", "dir-mismatch", actual, &p.dir)
                        .remediation("Delete the extracted copy and download it again.", fix_zip(loc, mv)),
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
                .detail(format!("Missing: {}. go.sum has neither a zip nor a /go.mod hash for them, so nothing pins their content, and go commands that need them stop with \"missing go.sum entry\" under the default -mod=readonly.", list_some(&missing_sum)))
                .evidence("go.sum", gs, "GOMOD from go env -json")
                .remediation("Let the go command add (and verify) them.", [format!("cd {} && go mod tidy", quote(&loc.module_dir))]),
        );
    }
    if !gomod_only.is_empty() {
        out.push(
            Finding::info(format!("{} cached module(s) have only a /go.mod hash in go.sum; their files were not checked", gomod_only.len()))
                .detail(format!("Only go.mod hash: {}. This is normal: `go mod tidy` keeps zip hashes only for modules that provide packages to the build, and go.mod hashes for the whole module graph (cmd/go/internal/modload/init.go, keepSums), and builds need no more. There is no go.sum hash to compare their zip or files with.", list_some(&gomod_only)))
                .evidence("go.sum", gs, "GOMOD from go env -json"),
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
    if !unanswered.is_empty() {
        out.push(
            Finding::skip(format!(
                "Could not tell whether {} module(s) match go.sum: a probe gave no answer",
                unanswered.len()
            ))
            .detail(format!("Not checked: {}.", list_some(&unanswered)))
            .evidence("GOMODCACHE", &loc.modcache, SOURCE),
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
        let verified = zips + dirs + mods;
        let summary = if verified == 0 {
            // Passing with nothing compared is not a pass (issue 13, section 2).
            let why = match (list, sum.modules.is_empty()) {
                (Ok(l), true) if l.is_empty() => {
                    "the build list has no dependencies and go.sum is empty or absent".to_owned()
                }
                (_, true) => {
                    "go.sum is empty or absent, so there is no hash to compare with".to_owned()
                }
                _ => "none of the modules with a go.sum hash is in the module cache".to_owned(),
            };
            Finding::info("Nothing in the module cache was verified against go.sum").detail(
                format!("0 zips, 0 extracted trees and 0 go.mod files were compared: {why}."),
            )
        } else {
            Finding::pass(format!("Module cache matches go.sum: {zips} zips, {dirs} extracted trees, {mods} go.mod files re-hashed"))
        };
        out.insert(
            0,
            summary
                .evidence("modules", source, "go list -m all")
                .evidence("go.sum", gs, "GOMOD from go env -json")
                .evidence("GOMODCACHE", &loc.modcache, SOURCE),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use gohost_plugin_api::Status;

    use super::*;
    use crate::goenv::GoEnv;
    use crate::gosum::ModVer;
    use crate::verify::Hashed as H;

    const A: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const B: &str = "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBAA=";
    const G: &str = "h1:GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGAA=";

    fn mv() -> ModVer {
        ModVer {
            path: "example.com/a".into(),
            version: "v1.0.0".into(),
        }
    }

    fn obs(gosum: &str, hashed: H) -> Observations {
        let loc = Located {
            env: GoEnv::default(),
            module_dir: "/src/my app".into(),
            gosum_path: "/src/my app/go.sum".into(),
            gosum_text: Some(gosum.into()),
            modcache: "/m".into(),
        };
        let sum = parse(gosum);
        let list: BTreeSet<ModVer> = [mv()].into_iter().collect();
        Observations::Hashed(Box::new(Hashed {
            loc,
            sum,
            hashes: CacheHashes {
                list: Ok(list),
                work: vec![(mv(), true)],
                hashed: vec![hashed],
            },
        }))
    }

    fn cached(zip: &str, ziphash: Option<Result<&str, &str>>) -> H {
        H {
            zip: Some(Ok(zip.into())),
            dir: Some(Ok(zip.into())),
            gomod: Some(Ok(G.into())),
            ziphash: ziphash.map(|r| r.map(str::to_owned).map_err(str::to_owned)),
        }
    }

    /// Observations → (status, title) of the decisive finding. Facts: go mod tidy keeps zip
    /// hashes only for modules providing packages, go.mod hashes for the whole graph
    /// (cmd/go/internal/modload/init.go keepSums, go1.27.3); 0 hashes compared is not a pass
    /// (issue 13 section 2); an unreadable .ziphash is no download record.
    #[test]
    fn judge_table() {
        let both = format!("example.com/a v1.0.0 {A}\nexample.com/a v1.0.0/go.mod {G}\n");
        let gomod_only = format!("example.com/a v1.0.0/go.mod {G}\n");
        let rows: Vec<(Observations, Status, &str)> = vec![
            (obs(&both, cached(A, Some(Ok(A)))), Status::Pass, "Module cache matches go.sum: 1 zips, 1 extracted trees, 1 go.mod files re-hashed"),
            // The old text warned that -mod=readonly builds break; a /go.mod line alone is normal.
            (obs(&gomod_only, cached(A, Some(Ok(A)))), Status::Info, "1 cached module(s) have only a /go.mod hash in go.sum; their files were not checked"),
            (obs("", cached(A, Some(Ok(A)))), Status::Warn, "1 module(s) in the build list have no go.sum line"),
            (obs(&both, cached(B, Some(Ok(A)))), Status::Fail, "example.com/a@v1.0.0: module zip was modified after download"),
            (obs(&both, cached(B, Some(Ok(B)))), Status::Fail, "example.com/a@v1.0.0: go.sum disagrees with the downloaded module"),
            (obs(&both, cached(B, Some(Err("not recorded")))), Status::Fail, "example.com/a@v1.0.0: module zip does not match go.sum"),
            (obs(&both, cached(B, None)), Status::Fail, "example.com/a@v1.0.0: module zip does not match go.sum"),
            (obs(&both, H { zip: None, dir: Some(Ok(B.into())), gomod: None, ziphash: None }), Status::Fail, "example.com/a@v1.0.0: extracted module does not match go.sum"),
            (obs(&both, H::default()), Status::Info, "Nothing in the module cache was verified against go.sum"),
        ];
        assert_eq!(rows.len(), 9);
        let mut parsed = 0;
        for (o, status, title) in &rows {
            let f = judge(o);
            parsed += crate::checks::assert_commands_parse(&f);
            assert!(!f.is_empty());
            assert!(
                f.iter().any(|x| x.status == *status && x.title == *title),
                "{status:?} {title:?} not in {f:#?}"
            );
            // Only a verified go.mod may pass next to the /go.mod-only note.
            if matches!(status, Status::Fail | Status::Warn) || title.starts_with("Nothing") {
                assert!(f.iter().all(|x| x.status != Status::Pass), "{f:#?}");
            }
        }
        assert!(parsed >= 8, "{parsed}");
    }

    /// A probe that gave no answer (a replay without it) is "could not tell": neither
    /// "not in the module cache" nor "cannot be read" (issue 13 section 2).
    #[test]
    fn unanswered_probes_are_could_not_tell() {
        let both = format!("example.com/a v1.0.0 {A}\nexample.com/a v1.0.0/go.mod {G}\n");
        let none = || {
            Some(Err(HashError::Unanswered {
                path: "/m/x".into(),
                message: "not recorded".into(),
            }))
        };
        let f = judge(&obs(
            &both,
            H {
                zip: none(),
                dir: none(),
                gomod: none(),
                ziphash: None,
            },
        ));
        let got: Vec<(Status, &str)> = f.iter().map(|x| (x.status, x.title.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    Status::Info,
                    "Nothing in the module cache was verified against go.sum"
                ),
                (
                    Status::Skip,
                    "Could not tell whether 1 module(s) match go.sum: a probe gave no answer"
                ),
            ]
        );
        let f = judge(&obs(
            &both,
            H {
                zip: none(),
                dir: Some(Ok(A.into())),
                gomod: Some(Ok(G.into())),
                ziphash: None,
            },
        ));
        assert_eq!(
            f[0].title.as_str(),
            "Module cache matches go.sum: 0 zips, 1 extracted trees, 1 go.mod files re-hashed"
        );
        assert!(f.iter().any(|x| x.status == Status::Skip), "{f:#?}");
        assert!(f.iter().all(|x| x.status != Status::Fail), "{f:#?}");
    }

    #[test]
    fn nothing_verified_is_not_a_pass() {
        let o = Observations::Hashed(Box::new(Hashed {
            loc: Located {
                env: GoEnv::default(),
                module_dir: "/a".into(),
                gosum_path: "/a/go.sum".into(),
                gosum_text: None,
                modcache: "/m".into(),
            },
            sum: parse(""),
            hashes: CacheHashes {
                list: Ok(BTreeSet::new()),
                work: vec![],
                hashed: vec![],
            },
        }));
        let f = judge(&o);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Info);
        assert!(f[0].detail.contains("no dependencies"), "{}", f[0].detail);
    }

    #[test]
    fn unreadable_ziphash_is_not_presented_as_none_and_fixes_are_quoted() {
        let both = format!("example.com/a v1.0.0 {A}\nexample.com/a v1.0.0/go.mod {G}\n");
        let f = judge(&obs(&both, cached(B, Some(Err("permission denied")))));
        let x = f
            .iter()
            .find(|x| x.status == Status::Fail)
            .expect("a failure");
        assert_eq!(
            x.evidence_value("ziphash"),
            Some("(could not be read: permission denied)")
        );
        let cmds: Vec<String> = x
            .remediation
            .clone()
            .into_option()
            .expect("fix")
            .commands
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            cmds[1],
            "cd '/src/my app' && go mod download example.com/a@v1.0.0"
        );
        assert_eq!(cmds[0], "chmod -R u+w /m/example.com/a@v1.0.0 2>/dev/null || true; rm -rf /m/example.com/a@v1.0.0 /m/cache/download/example.com/a/@v/v1.0.0.zip /m/cache/download/example.com/a/@v/v1.0.0.ziphash /m/cache/download/example.com/a/@v/v1.0.0.mod");
        assert!(cmds.iter().all(|c| !c.contains("clean -modcache")));
    }
}
