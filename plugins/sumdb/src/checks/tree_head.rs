//! `sumdb.tree-head` (`--online`): the database's signed tree head verified with its key and
//! proved consistent with the head the go command stored (fork detection).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::goenv::GoEnv;
use crate::online::{connect, net_warn, open_tree, tile_failure, with_tiles, DOC_SUMDB};
use crate::shell::quote;
use crate::tlog::{check_tree, hash_string, prove_tree, TileHashReader, TlogError};

inventory::submit! {
    Check {
        id: "sumdb.tree-head",
        title: "Checksum database tree head verified and consistent",
        explain: "Fetches the checksum database's signed tree head (`/latest`), verifies the ed25519 signed note with the key from GOSUMDB (or sum.golang.org's built-in key), and proves from the database's tiles that its current tree contains the tree head the go command stored at `<first GOPATH>/pkg/sumdb/<name>/latest`. If the proof fails, the database may have forked: it showed this machine one history and now shows another. Network errors and timeouts are warnings; a stored tree head that gives no answer leaves the consistency untold (skip).",
        tags: &["modules", "security", "network"],
        needs: Needs { network: true, root: false, slow: false },
        run: check_tree_head,
    }
}

pub fn check_tree_head(ctx: &Ctx<'_>) -> Vec<Finding> {
    let env = match GoEnv::from_ctx(ctx) {
        Ok(e) => e,
        Err(e) => {
            return vec![Finding::skip("Go module settings could not be read").detail(e.to_string())]
        }
    };
    let db = match connect(ctx, &env) {
        Ok(db) => db,
        Err(f) => return vec![f],
    };
    let latest_url = format!("{}/latest", db.base);
    let body = match db.http.get(&latest_url) {
        Ok(b) => b,
        Err(e) => return vec![net_warn(&e, &db.gosumdb)],
    };
    let current = match open_tree(&db, &body, &latest_url) {
        Ok(t) => t,
        Err(f) => return vec![f],
    };
    let Some(sumdb_dir) = env.sumdb_dir() else {
        return vec![Finding::pass(format!(
            "Signed tree head of {} verified (size {})",
            db.name, current.n
        ))
        .detail("GOPATH is unset, so there is no locally stored tree head to compare with.")
        .evidence(
            "tree",
            format!("{} {}", current.n, hash_string(&current.hash)),
            &latest_url,
        )];
    };
    let stored_path = format!("{sumdb_dir}/{}/latest", db.name);
    let stored_msg = match ctx.read_file(&stored_path) {
        Ok(m) => m,
        Err(e) if e.kind == ProbeErrorKind::NotFound => {
            return vec![Finding::pass(format!("Signed tree head of {} verified (size {})", db.name, current.n))
                .detail("The go command has not stored a tree head for this database yet, so there is nothing to check consistency against.")
                .evidence("tree", format!("{} {}", current.n, hash_string(&current.hash)), &latest_url)
                .evidence("stored tree head", "(none)", &stored_path)]
        }
        // No answer (a replay without it, a timeout): the signature was verified, the
        // consistency could not be told; never a pass and never a fork.
        Err(e) if matches!(e.kind, ProbeErrorKind::NotRecorded | ProbeErrorKind::Timeout) => {
            return vec![Finding::skip(format!("Could not tell whether {}'s tree is consistent with the stored tree head", db.name))
                .detail(format!("The current signed tree head (size {}) verified with the database key, but the tree head the go command stored gave no answer: {e}.", current.n))
                .evidence("tree", format!("{} {}", current.n, hash_string(&current.hash)), &latest_url)]
        }
        Err(e) => return vec![Finding::error(format!("cannot read {stored_path}")).detail(e.to_string())],
    };
    let stored = match open_tree(&db, &stored_msg, &stored_path) {
        Ok(t) => t,
        Err(f) => return vec![f],
    };
    let (older, newer) = if stored.n <= current.n {
        (stored, current)
    } else {
        (current, stored)
    };
    let consistent = if older.n == newer.n {
        Ok(older.hash == newer.hash)
    } else if older.n == 0 {
        Ok(true)
    } else {
        with_tiles(ctx, &db, |tiles| {
            let mut reader = TileHashReader {
                tree: newer,
                reader: tiles,
            };
            let proof = prove_tree(newer.n, older.n, &mut reader)?;
            match check_tree(&proof, newer.n, &newer.hash, older.n, &older.hash) {
                Ok(()) => Ok(true),
                Err(TlogError::ProofFailed) => Ok(false),
                Err(e) => Err(e),
            }
        })
    };
    let evidence = |f: Finding| {
        f.evidence(
            "current tree",
            format!("{} {}", current.n, hash_string(&current.hash)),
            &latest_url,
        )
        .evidence(
            "stored tree",
            format!("{} {}", stored.n, hash_string(&stored.hash)),
            &stored_path,
        )
    };
    match consistent {
        Ok(true) => vec![evidence(Finding::pass(format!(
            "Signed tree head of {} verified (size {}) and consistent with the stored one (size {})",
            db.name, current.n, stored.n
        )))],
        Ok(false) => vec![evidence(
            Finding::fail(format!("The checksum database {} may have forked", db.name))
                .detail("The database's current signed tree does not contain the tree head the go command verified earlier (a consistency proof from its own tiles fails). Both heads carry valid signatures by the database key: the database, or whoever holds its key, is showing different histories to different clients.")
                .remediation(
                    "Do not trust new downloads from this database until this is explained; report it to the database operator with both tree heads. Keep the stored tree head as evidence.",
                    [format!("cp {} ./sumdb-latest-evidence", quote(&stored_path)), format!("curl -sS {}", quote(&latest_url))],
                )
                .doc(DOC_SUMDB),
        )],
        Err((e, net)) => vec![evidence(tile_failure(&db, e, net, "consistency proof"))],
    }
}
