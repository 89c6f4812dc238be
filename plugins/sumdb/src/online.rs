//! Online checks (`--online` only): `sumdb.tree-head` verifies the database's signed tree
//! head and its consistency with the one the go command stored locally (fork detection);
//! `sumdb.lookup` looks up every go.sum module, compares hashes and verifies each record's
//! inclusion proof from tiles (height 8), authenticated against the signed tree.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use gohost_plugin_api::{Ctx, Finding, ProbeErrorKind};

use crate::config::{match_prefix_patterns, resolve_gosumdb, SumDb};
use crate::goenv::{GoEnv, SOURCE};
use crate::gosum::{escape, parse, ModVer};
use crate::http::{Http, HttpError};
use crate::note::{open, NoteError, VerifierKey};
use crate::tlog::{
    check_record, check_tree, hash_string, parse_record, parse_tree, prove_record, prove_tree,
    record_hash, Tile, TileHashReader, TileReader, TlogError, Tree,
};
use crate::verify::locate;

/// Tile height of sum.golang.org and of x/mod's client (sumdb.Client: tileHeight = 8).
const TILE_HEIGHT: u32 = 8;
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const DOC_SUMDB: &str = "https://go.dev/design/25530-sumdb";

/// Everything needed to talk to the configured database.
pub struct Db<'c, 'a> {
    pub name: String,
    pub key: VerifierKey,
    pub base: String,
    pub http: Http<'c, 'a>,
    pub gosumdb: String,
    /// Where the go command caches tiles: $GOMODCACHE/cache/download/sumdb/<name>.
    pub go_tile_cache: Option<String>,
}

fn timeout(ctx: &Ctx<'_>) -> Duration {
    let ms = ctx
        .env("GOHOST_SUMDB_TIMEOUT_MS")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    Duration::from_millis(ms)
}

/// Resolve the database like the go command: explicit URL, else the first GOPROXY entry
/// that answers `<proxy>/sumdb/<name>/supported`, else `https://<name>`.
pub fn connect<'c, 'a>(ctx: &'c Ctx<'a>, env: &GoEnv) -> Result<Db<'c, 'a>, Finding> {
    let gosumdb = env.get("GOSUMDB").to_owned();
    let (key, name, url) = match resolve_gosumdb(&gosumdb) {
        Ok(SumDb::On { key, name, url, .. }) => (key, name, url),
        Ok(SumDb::Off) => {
            return Err(Finding::skip(
                "GOSUMDB=off: there is no checksum database to verify against",
            )
            .evidence("GOSUMDB", &gosumdb, SOURCE))
        }
        Err(why) => {
            return Err(Finding::skip("GOSUMDB is invalid; see sumdb.config")
                .detail(why)
                .evidence("GOSUMDB", &gosumdb, SOURCE))
        }
    };
    let key = VerifierKey::parse(&key).map_err(|e| Finding::skip(format!("GOSUMDB key: {e}")))?;
    let http = Http::new(ctx, timeout(ctx));
    let base = match url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let mut base = format!("https://{name}");
            for proxy in env.get("GOPROXY").split([',', '|']).map(str::trim) {
                if proxy == "direct" || proxy == "off" {
                    break;
                }
                if !(proxy.starts_with("https://") || proxy.starts_with("http://")) {
                    continue;
                }
                let p = proxy.trim_end_matches('/');
                match http.get(&format!("{p}/sumdb/{name}/supported")) {
                    Ok(_) => {
                        base = format!("{p}/sumdb/{name}");
                        break;
                    }
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(net_warn(&e, &gosumdb)),
                }
            }
            base
        }
    };
    let modcache = env.get("GOMODCACHE");
    Ok(Db {
        go_tile_cache: (!modcache.is_empty())
            .then(|| format!("{modcache}/cache/download/sumdb/{name}")),
        name,
        key,
        base,
        http,
        gosumdb,
    })
}

/// A network problem: the database could not be asked, so nothing was verified — a warn,
/// never a pass or a crash.
fn net_warn(e: &HttpError, gosumdb: &str) -> Finding {
    let title = match e {
        HttpError::Timeout { after, .. } => format!(
            "The checksum database did not answer within {:.1} s",
            after.as_secs_f64()
        ),
        HttpError::Unreachable { .. } => "The checksum database is unreachable".to_owned(),
        HttpError::Status { code, .. } => format!("The checksum database answered HTTP {code}"),
        HttpError::Body { .. } => "The checksum database's answer could not be read".to_owned(),
        HttpError::NotRecorded { .. } => {
            return Finding::skip("The replayed snapshot has no answer from the checksum database")
                .detail(format!(
                    "{e}. Record the snapshot with --online to replay online checks."
                ))
                .evidence("url", e.url(), "GET")
                .evidence("GOSUMDB", gosumdb, SOURCE)
        }
    };
    Finding::warn(title)
        .detail(format!("{e}. Nothing was verified online."))
        .evidence("url", e.url(), "GET")
        .evidence("GOSUMDB", gosumdb, SOURCE)
        .remediation(
            "Check the network path to the database (proxy, firewall), or set GOHOST_SUMDB_TIMEOUT_MS for a slow link; a regional mirror with the same key works too (GOSUMDB=sum.golang.google.cn).",
            [format!("curl -sS --max-time 10 {}", e.url())],
        )
        .doc(DOC_SUMDB)
}

/// Verify a signed tree note with the database key.
fn open_tree(db: &Db<'_, '_>, msg: &[u8], source: &str) -> Result<Tree, Finding> {
    let text = open(msg, &db.key).map_err(|e| {
        let title = match &e {
            NoteError::Malformed(_) => format!("Malformed signed tree head from {source}"),
            NoteError::BadSignature { .. } => format!(
                "The tree head from {source} has an invalid signature: forged or corrupted"
            ),
            NoteError::Unverified { .. } => {
                format!("The tree head from {source} is not signed by the configured key")
            }
        };
        Finding::fail(title)
            .detail(format!("{e}. A checksum database answer that does not verify with its key must not be trusted."))
            .evidence("key", &db.key.text, "GOSUMDB")
            .evidence("response", snippet(msg), source)
            .remediation(
                "Make sure GOSUMDB names the right database and key, and that nothing between you and it rewrites answers (a captive portal or intercepting proxy).",
                ["go env GOSUMDB GOPROXY"],
            )
            .doc(DOC_SUMDB)
    })?;
    parse_tree(text).map_err(|e| {
        Finding::fail(format!("Malformed signed tree head from {source}"))
            .detail(e.to_string())
            .evidence("response", snippet(msg), source)
    })
}

fn snippet(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned();
    s.replace('\n', "\\n")
}

/// Tiles: the go command's cache, gohost's cache, then the network.
pub struct Tiles<'c, 'd, 'a> {
    ctx: &'c Ctx<'a>,
    db: &'c Db<'d, 'a>,
    use_cache: bool,
    fetched: Vec<(Tile, Vec<u8>)>,
    /// Set on network failures so callers can tell an outage from bad data.
    pub net_error: Option<HttpError>,
}

impl<'c, 'd, 'a> Tiles<'c, 'd, 'a> {
    pub fn new(ctx: &'c Ctx<'a>, db: &'c Db<'d, 'a>, use_cache: bool) -> Self {
        Tiles {
            ctx,
            db,
            use_cache,
            fetched: Vec::new(),
            net_error: None,
        }
    }

    fn cache_key(&self, t: &Tile) -> String {
        format!("sumdb-tile/{}/{}", self.db.name, t.path())
    }

    fn cached(&self, t: &Tile) -> Option<Vec<u8>> {
        if !self.use_cache {
            return None;
        }
        let want = usize::try_from(t.w * 32).ok()?;
        if let Some(dir) = &self.db.go_tile_cache {
            if let Ok(d) = self.ctx.read_file(&format!("{dir}/{}", t.path())) {
                if d.len() == want {
                    return Some(d);
                }
            }
        }
        let b64 = self.ctx.cache_get(&self.cache_key(t))?;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .filter(|d| d.len() == want)
    }
}

impl TileReader for Tiles<'_, '_, '_> {
    fn height(&self) -> u32 {
        TILE_HEIGHT
    }

    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        let mut out = Vec::with_capacity(tiles.len());
        for t in tiles {
            if let Some(d) = self.cached(t) {
                out.push(d);
                continue;
            }
            match self.db.http.get(&format!("{}/{}", self.db.base, t.path())) {
                Ok(d) => {
                    self.fetched.push((*t, d.clone()));
                    out.push(d);
                }
                Err(e) => {
                    let msg = e.to_string();
                    self.net_error = Some(e);
                    return Err(TlogError::Fetch(msg));
                }
            }
        }
        Ok(out)
    }

    fn save_tiles(&mut self, _tiles: &[Tile], _data: &[Vec<u8>]) {
        // Only now, authenticated against a signed tree, may fetched tiles be cached.
        for (t, d) in self.fetched.drain(..) {
            self.ctx.cache_put(
                &format!("sumdb-tile/{}/{}", self.db.name, t.path()),
                &base64::engine::general_purpose::STANDARD.encode(d),
            );
        }
    }
}

/// Run `f` with cached tiles first; when the tiles do not authenticate, once more with
/// fresh tiles only (a corrupted cache must not look like a forked database).
fn with_tiles<'a, T>(
    ctx: &Ctx<'a>,
    db: &Db<'_, 'a>,
    mut f: impl FnMut(&mut Tiles<'_, '_, 'a>) -> Result<T, TlogError>,
) -> Result<T, (TlogError, Option<HttpError>)> {
    let mut tiles = Tiles::new(ctx, db, true);
    match f(&mut tiles) {
        Ok(v) => Ok(v),
        Err(TlogError::InconsistentTile(_) | TlogError::Malformed(_)) => {
            let mut fresh = Tiles::new(ctx, db, false);
            f(&mut fresh).map_err(|e| (e, fresh.net_error.take()))
        }
        Err(e) => Err((e, tiles.net_error.take())),
    }
}

fn tile_failure(db: &Db<'_, '_>, e: TlogError, net: Option<HttpError>, what: &str) -> Finding {
    if let Some(net) = net {
        return net_warn(&net, &db.gosumdb);
    }
    Finding::fail(format!("The checksum database served tiles that do not match its signed tree head ({what})"))
        .detail(format!("{e}. Tiles are authenticated against the signed tree hash; these were wrong or malformed, so the database (or something in between) is misbehaving."))
        .evidence("database", &db.base, "GOSUMDB")
        .doc(DOC_SUMDB)
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
                    [format!("cp {stored_path} ./sumdb-latest-evidence"), format!("curl -sS {latest_url}")],
                )
                .doc(DOC_SUMDB),
        )],
        Err((e, net)) => vec![evidence(tile_failure(&db, e, net, "consistency proof"))],
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
        Err(f) => return vec![f],
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
