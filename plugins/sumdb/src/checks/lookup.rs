//! `sumdb.lookup` (`--online`): each go.sum module looked up in the checksum database, the
//! record's inclusion in the signed tree proved from tiles (height 8), its hashes compared
//! with go.sum.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Status};

use crate::config::match_prefix_patterns;
use crate::goenv::SOURCE;
use crate::gosum::{escape, parse, ModVer};
use crate::http::HttpError;
use crate::online::{
    connect, net_warn, open_tree, prove_inclusion, snippet, tile_failure, Db, DOC_SUMDB,
};
use crate::shell::quote;
use crate::tlog::{parse_record, TlogError};
use crate::verify::{fix_zip, locate, Located};

inventory::submit! {
    Check {
        id: "sumdb.lookup",
        title: "go.sum matches the checksum database",
        explain: "Looks up every go.sum module version in the checksum database (skipping GONOSUMDB/GOPRIVATE matches), verifies the signed tree in each answer and the record's inclusion proof from tiles (height 8, authenticated against the signed tree hash), then compares the database's hashes with go.sum. A module version the database never saw, a different hash, a bad signature or malformed answers are failures; network errors and timeouts are warnings, and with 0 module versions looked up (no go.sum entries, or all exempted) it reports a skip, never a pass.",
        tags: &["modules", "security", "network"],
        needs: Needs { network: true, root: false, slow: false },
        run: check_lookup,
    }
}

/// The go.sum hashes a database record states (`path version[/go.mod] h1:…` lines).
fn record_hashes(text: &[u8], mv: &ModVer) -> (Option<String>, Option<String>) {
    let (mut zip, mut gomod) = (None, None);
    for line in String::from_utf8_lossy(text).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let [p, v, h] = f.as_slice() {
            if *p != mv.path {
                continue;
            }
            if *v == mv.version {
                zip = Some((*h).to_owned());
            } else if v.strip_suffix("/go.mod") == Some(mv.version.as_str()) {
                gomod = Some((*h).to_owned());
            }
        }
    }
    (zip, gomod)
}

enum Lookup {
    Ok { tree_n: i64 },
    Findings(Vec<Finding>),
    Net(HttpError),
}

fn lookup_one<'a>(
    ctx: &Ctx<'a>,
    db: &Db<'_, 'a>,
    loc: &Located,
    mv: &ModVer,
    sums: &crate::gosum::ModSums,
) -> Lookup {
    let gosum_path = loc.gosum_path.as_str();
    let url = format!(
        "{}/lookup/{}@{}",
        db.base,
        escape(&mv.path),
        escape(&mv.version)
    );
    let body = match db.http.get(&url) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => {
            let line = sums
                .zip
                .as_ref()
                .or(sums.gomod.as_ref())
                .map_or(0, |e| e.line);
            return Lookup::Findings(vec![Finding::fail(format!("{mv}: the checksum database has no record of this module version"))
                .detail("go.sum lists a module version the database never saw: it was added with the database off or skipped, or the version does not exist publicly (a private module needs a GONOSUMDB/GOPRIVATE pattern).")
                .evidence("module", mv.to_string(), format!("{gosum_path}:{line}"))
                .evidence("kind", "unknown-to-database", "sumdb.lookup")
                .evidence("answer", e.to_string(), &url)
                .remediation(format!("Find out where it came from. If it is a private module, exempt its path prefix: go env -w GONOSUMDB={} (or a wider prefix of your private modules).", quote(&mv.path)), [format!("grep -n -F {} {}", quote(&format!("{} {}", mv.path, mv.version)), quote(gosum_path))])]);
        }
        Err(e) => return Lookup::Net(e),
    };
    let malformed = |why: String| {
        Lookup::Findings(vec![Finding::fail(format!(
            "{mv}: malformed lookup response from the checksum database"
        ))
        .detail(why)
        .evidence("kind", "malformed-response", "sumdb.lookup")
        .evidence("response", snippet(&body), &url)])
    };
    let (id, text, rest) = match parse_record(&body) {
        Ok(r) => r,
        Err(e) => return malformed(e.to_string()),
    };
    let tree = match open_tree(db, rest, &url) {
        Ok(t) => t,
        Err(f) => return Lookup::Findings(vec![f]),
    };
    if id < 0 || id >= tree.n {
        return malformed(format!(
            "record id {id} is outside the signed tree of size {}",
            tree.n
        ));
    }
    let proved = prove_inclusion(ctx, db, &tree, id, text);
    if let Err((e, net)) = proved {
        if let Some(net) = net {
            return Lookup::Net(net);
        }
        let f = if e == TlogError::ProofFailed {
            Finding::fail(format!("{mv}: the database's record is not in its signed tree"))
                .detail("The inclusion proof built from the database's tiles does not lead to its signed tree hash: the lookup answer was not logged.")
                .evidence("kind", "inclusion-proof-failed", "sumdb.lookup")
        } else {
            tile_failure(db, e, None, "inclusion proof")
        };
        return Lookup::Findings(vec![f.evidence("module", mv.to_string(), &url)]);
    }
    let (db_zip, db_mod) = record_hashes(text, mv);
    let mut out = Vec::new();
    let pairs = [(&sums.zip, db_zip, ""), (&sums.gomod, db_mod, "/go.mod")];
    for (mine, theirs, suffix) in pairs {
        let Some(mine) = mine else { continue };
        match theirs {
            Some(theirs) if theirs == mine.hash => {}
            theirs => out.push(
                Finding::fail(format!("{mv}{suffix}: go.sum disagrees with the checksum database"))
                    .detail("The database's logged record (inclusion proof verified) has a different hash: the content you have is not what everyone else gets. The go.sum line or the module was altered, or it came from a source that served different bytes.")
                    .evidence("module", format!("{mv}{suffix}"), gosum_path)
                    .evidence("kind", "database-mismatch", "sumdb.lookup")
                    .evidence("expected", theirs.unwrap_or_else(|| "(no such line in the record)".to_owned()), format!("{url} (record {id}, tree {})", tree.n))
                    .evidence("actual", &mine.hash, format!("{gosum_path}:{}", mine.line))
                    .remediation("Restore go.sum from version control (`git checkout -- go.sum` if the diff shows an edit), then remove this one module version from the module cache and download it again (the go command verifies it against go.sum and the database).", [format!("cd {} && git diff -- go.sum", quote(&loc.module_dir))].into_iter().chain(fix_zip(loc, mv)))
                    .doc(DOC_SUMDB),
            ),
        }
    }
    if out.is_empty() {
        Lookup::Ok { tree_n: tree.n }
    } else {
        Lookup::Findings(out)
    }
}

pub fn check_lookup(ctx: &Ctx<'_>) -> Vec<Finding> {
    let loc = match locate(ctx) {
        Ok(l) => l,
        Err(p) => return vec![p.finding()],
    };
    let db = match connect(ctx, &loc.env) {
        Ok(db) => db,
        Err(f) => return vec![f],
    };
    let Some(text) = &loc.gosum_text else {
        return vec![
            Finding::skip("The main module has no go.sum: nothing to look up").evidence(
                "go.sum",
                &loc.gosum_path,
                "not found",
            ),
        ];
    };
    let sum = parse(text);
    let nosumdb = match loc.env.get("GONOSUMDB") {
        "" => loc.env.get("GOPRIVATE").to_owned(),
        v => v.to_owned(),
    };
    let (skipped, todo): (Vec<_>, Vec<_>) = sum
        .modules
        .iter()
        .partition(|(mv, _)| match_prefix_patterns(&nosumdb, &mv.path));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let findings: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::new(Vec::new());
    let net: Mutex<Option<HttpError>> = Mutex::new(None);
    let verified = AtomicUsize::new(0);
    let max_tree = Mutex::new(0i64);
    std::thread::scope(|s| {
        for _ in 0..4.min(todo.len().max(1)) {
            s.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((mv, sums)) = todo.get(i) else { break };
                match lookup_one(ctx, &db, &loc, mv, sums) {
                    Lookup::Ok { tree_n } => {
                        verified.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut m) = max_tree.lock() {
                            *m = (*m).max(tree_n);
                        }
                    }
                    Lookup::Findings(f) => {
                        if let Ok(mut all) = findings.lock() {
                            all.push((i, f));
                        }
                    }
                    Lookup::Net(e) => {
                        // One outage finding, not one per module.
                        stop.store(true, Ordering::Relaxed);
                        if let Ok(mut n) = net.lock() {
                            n.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    let mut found = findings.into_inner().unwrap_or_default();
    found.sort_by_key(|(i, _)| *i);
    judge(&Summary {
        database: db.name.clone(),
        base: db.base.clone(),
        gosumdb: db.gosumdb.clone(),
        gosum_path: loc.gosum_path.clone(),
        nosumdb,
        in_gosum: sum.modules.len(),
        skipped: skipped.len(),
        verified: verified.into_inner(),
        largest_tree: max_tree.into_inner().unwrap_or(0),
        problems: found.into_iter().flat_map(|(_, f)| f).collect(),
        net: net.into_inner().ok().flatten(),
    })
}

/// What looking up every go.sum module found: the observations `judge` turns into findings.
#[derive(Debug)]
pub struct Summary {
    pub database: String,
    pub base: String,
    pub gosumdb: String,
    pub gosum_path: String,
    /// The GONOSUMDB (or GOPRIVATE) patterns in effect.
    pub nosumdb: String,
    /// Module versions in go.sum.
    pub in_gosum: usize,
    /// Of those, matched by GONOSUMDB/GOPRIVATE and not looked up.
    pub skipped: usize,
    /// Looked up, inclusion proved and hashes equal.
    pub verified: usize,
    pub largest_tree: i64,
    /// Per-module failures (mismatches, unknown versions, bad proofs…).
    pub problems: Vec<Finding>,
    /// The network problem that stopped the lookups, if any.
    pub net: Option<HttpError>,
}

pub fn judge(s: &Summary) -> Vec<Finding> {
    let mut out = s.problems.clone();
    if let Some(e) = &s.net {
        out.push(net_warn(e, &s.gosumdb));
    }
    if s.skipped > 0 {
        out.push(
            Finding::info(format!(
                "{} go.sum module(s) not looked up: they match GONOSUMDB/GOPRIVATE",
                s.skipped
            ))
            .evidence("patterns", &s.nosumdb, SOURCE),
        );
    }
    let troubled = out
        .iter()
        .any(|f| !matches!(f.status, Status::Pass | Status::Info));
    if troubled {
        return out;
    }
    if s.verified == 0 {
        // Nothing was compared with the database: never a pass (issue 13, section 2).
        let why = if s.in_gosum == 0 {
            "go.sum lists no module versions".to_owned()
        } else {
            format!(
                "all {} go.sum module version(s) match GONOSUMDB/GOPRIVATE",
                s.in_gosum
            )
        };
        out.insert(
            0,
            Finding::skip("Nothing to look up in the checksum database")
                .detail(format!("0 module versions were looked up: {why}."))
                .evidence("go.sum", &s.gosum_path, "GOMOD from go env -json"),
        );
        return out;
    }
    out.insert(0, Finding::pass(format!("{} go.sum module version(s) match the checksum database {}, each with a verified inclusion proof", s.verified, s.database))
        .evidence("database", &s.base, "GOSUMDB")
        .evidence("largest signed tree", s.largest_tree.to_string(), "lookup responses")
        .evidence("go.sum", &s.gosum_path, "GOMOD from go env -json"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        in_gosum: usize,
        skipped: usize,
        verified: usize,
        net: Option<HttpError>,
    ) -> Summary {
        Summary {
            database: "sum.golang.org".into(),
            base: "https://sum.golang.org".into(),
            gosumdb: "sum.golang.org".into(),
            gosum_path: "/a/go.sum".into(),
            nosumdb: "corp.example".into(),
            in_gosum,
            skipped,
            verified,
            largest_tree: 42,
            problems: Vec::new(),
            net,
        }
    }

    /// Summary → statuses. 0 modules looked up is never a pass (issue 13 section 2); a lookup
    /// stopped by a missing (not recorded) or failed answer is never a pass either.
    #[test]
    fn judge_table() {
        let not_recorded = || {
            Some(HttpError::NotRecorded {
                url: "https://sum.golang.org/lookup/x@v1".into(),
            })
        };
        let rows: Vec<(Summary, Vec<(Status, &str)>)> = vec![
            (summary(3, 0, 3, None), vec![(Status::Pass, "3 go.sum module version(s) match the checksum database sum.golang.org, each with a verified inclusion proof")]),
            (summary(0, 0, 0, None), vec![(Status::Skip, "Nothing to look up in the checksum database")]),
            (summary(2, 2, 0, None), vec![(Status::Skip, "Nothing to look up in the checksum database"), (Status::Info, "2 go.sum module(s) not looked up: they match GONOSUMDB/GOPRIVATE")]),
            (summary(3, 0, 0, not_recorded()), vec![(Status::Skip, "The replayed snapshot has no answer from the checksum database")]),
            (summary(3, 0, 2, not_recorded()), vec![(Status::Skip, "The replayed snapshot has no answer from the checksum database")]),
            (summary(3, 0, 1, Some(HttpError::Timeout { url: "u".into(), after: std::time::Duration::from_secs(10) })), vec![(Status::Warn, "The checksum database did not answer within 10.0 s")]),
        ];
        assert_eq!(rows.len(), 6);
        let mut parsed = 0;
        for (s, want) in &rows {
            parsed += crate::checks::assert_commands_parse(&judge(s));
            let got: Vec<(Status, String)> = judge(s)
                .into_iter()
                .map(|f| (f.status, f.title.to_string()))
                .collect();
            let want: Vec<(Status, String)> =
                want.iter().map(|(st, t)| (*st, (*t).to_owned())).collect();
            assert_eq!(got, want, "{s:?}");
        }
        assert_eq!(parsed, 1, "the timeout's curl");
    }
}
