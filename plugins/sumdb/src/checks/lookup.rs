//! `sumdb.lookup` (`--online`): each go.sum module looked up in the checksum database, the
//! record's inclusion in the signed tree proved from tiles (height 8), its hashes compared
//! with go.sum.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::config::match_prefix_patterns;
use crate::goenv::SOURCE;
use crate::gosum::{escape, parse, ModVer};
use crate::http::HttpError;
use crate::online::{
    connect, net_warn, open_tree, snippet, tile_failure, with_tiles, Db, DOC_SUMDB,
};
use crate::tlog::{
    check_record, parse_record, prove_record, record_hash, TileHashReader, TlogError,
};
use crate::verify::locate;

inventory::submit! {
    Check {
        id: "sumdb.lookup",
        title: "go.sum matches the checksum database",
        explain: "Looks up every go.sum module version in the checksum database (skipping GONOSUMDB/GOPRIVATE matches), verifies the signed tree in each answer and the record's inclusion proof from tiles (height 8, authenticated against the signed tree hash), then compares the database's hashes with go.sum. A module version the database never saw, a different hash, a bad signature or malformed answers are failures; network errors and timeouts are warnings.",
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
    gosum_path: &str,
    mv: &ModVer,
    sums: &crate::gosum::ModSums,
) -> Lookup {
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
                .remediation("If it is private, exempt it; otherwise find out where it came from.", ["go env -w GONOSUMDB=<its module prefix>".to_owned(), format!("grep -n '{} {}' {gosum_path}", mv.path, mv.version)])]);
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
    let leaf = record_hash(text);
    let proved = with_tiles(ctx, db, |tiles| {
        let mut reader = TileHashReader {
            tree,
            reader: tiles,
        };
        let proof = prove_record(tree.n, id, &mut reader)?;
        check_record(&proof, tree.n, &tree.hash, id, &leaf)
    });
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
                    .remediation("Restore go.sum from version control, remove the module from the cache and download it again (the go command verifies against the database).", [format!("git diff -- {gosum_path}"), format!("go clean -modcache && go mod download {mv}")])
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
                match lookup_one(ctx, &db, &loc.gosum_path, mv, sums) {
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
    let mut out: Vec<Finding> = found.into_iter().flat_map(|(_, f)| f).collect();
    if let Some(e) = net.into_inner().ok().flatten() {
        out.push(net_warn(&e, &db.gosumdb));
    }
    let verified = verified.into_inner();
    if !skipped.is_empty() {
        out.push(
            Finding::info(format!(
                "{} go.sum module(s) not looked up: they match GONOSUMDB/GOPRIVATE",
                skipped.len()
            ))
            .evidence("patterns", &nosumdb, SOURCE),
        );
    }
    if !out.iter().any(|f| {
        matches!(
            f.status,
            gohost_plugin_api::Status::Fail | gohost_plugin_api::Status::Warn
        )
    }) {
        let tree = max_tree.into_inner().unwrap_or(0);
        out.insert(0, Finding::pass(format!("{verified} go.sum module version(s) match the checksum database {}, each with a verified inclusion proof", db.name))
            .evidence("database", &db.base, "GOSUMDB")
            .evidence("largest signed tree", tree.to_string(), "lookup responses")
            .evidence("go.sum", &loc.gosum_path, "GOMOD from go env -json"));
    }
    out
}
