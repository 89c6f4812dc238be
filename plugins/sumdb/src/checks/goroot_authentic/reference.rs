//! The references a tree's hash is compared with: the checksum database's record (online,
//! proved from tiles as in `sumdb.lookup`) and what the go command cached when it downloaded
//! the toolchain module (offline: `.ziphash`, the cached lookup, re-verified).

use base64::Engine as _;
use gohost_plugin_api::{Ctx, Finding};

use crate::config::{resolve_gosumdb, SumDb};
use crate::distpack::MOD_PATH;
use crate::goenv::{GoEnv, SOURCE};
use crate::gosum::escape;
use crate::http::Http;
use crate::note::{open, VerifierKey};
use crate::online::{connect, net_warn, open_tree, prove_inclusion, snippet, tile_failure, Db};
use crate::tlog::{parse_record, parse_tree, TlogError};

use super::*;

/// The online lookup: the record for `module@version`, proved in the signed tree.
pub(super) fn lookup(ctx: &Ctx<'_>, env: &GoEnv, modver: &str, obs: &mut Observations) {
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
    let proved = prove_inclusion(ctx, &db, &tree, id, text);
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
pub(super) fn cached_lookup(
    ctx: &Ctx<'_>,
    env: &GoEnv,
    modcache: &str,
    modver: &str,
    obs: &mut Observations,
) {
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
    let proved = prove_inclusion(ctx, &db, &tree, id, text);
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
