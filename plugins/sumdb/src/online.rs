//! What the online checks (`checks::tree_head`, `checks::lookup`) share: the database
//! resolved like the go command, signed tree notes opened with its key, tiles from the go
//! command's cache, gohost's cache or the network (cached only once authenticated), and the
//! findings for network problems and misbehaving tiles.

use std::time::Duration;

use base64::Engine as _;
use gohost_plugin_api::{Ctx, Finding};

use crate::config::{resolve_gosumdb, SumDb};
use crate::goenv::{GoEnv, SOURCE};
use crate::http::{Http, HttpError};
use crate::note::{open, NoteError, VerifierKey};
use crate::shell::quote;
use crate::tlog::{parse_tree, Tile, TileReader, TlogError, Tree};

/// Tile height of sum.golang.org and of x/mod's client (sumdb.Client: tileHeight = 8).
const TILE_HEIGHT: u32 = 8;
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
pub(crate) const DOC_SUMDB: &str = "https://go.dev/design/25530-sumdb";

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
pub(crate) fn net_warn(e: &HttpError, gosumdb: &str) -> Finding {
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
            [format!("curl -sS --max-time 10 {}", quote(e.url()))],
        )
        .doc(DOC_SUMDB)
}

/// Verify a signed tree note with the database key.
pub(crate) fn open_tree(db: &Db<'_, '_>, msg: &[u8], source: &str) -> Result<Tree, Finding> {
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

pub(crate) fn snippet(b: &[u8]) -> String {
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
pub(crate) fn with_tiles<'a, T>(
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

/// Prove that `record` (the lookup body) is leaf `id` of the signed `tree`, from tiles
/// (cached first, then fresh: [`with_tiles`]); how `sumdb.lookup` and `goroot-authentic`
/// both check a record.
pub(crate) fn prove_inclusion<'a>(
    ctx: &Ctx<'a>,
    db: &Db<'_, 'a>,
    tree: &crate::tlog::Tree,
    id: i64,
    record: &[u8],
) -> Result<(), (TlogError, Option<HttpError>)> {
    let leaf = crate::tlog::record_hash(record);
    with_tiles(ctx, db, |tiles| {
        let mut reader = crate::tlog::TileHashReader {
            tree: *tree,
            reader: tiles,
        };
        let proof = crate::tlog::prove_record(tree.n, id, &mut reader)?;
        crate::tlog::check_record(&proof, tree.n, &tree.hash, id, &leaf)
    })
}

pub(crate) fn tile_failure(
    db: &Db<'_, '_>,
    e: TlogError,
    net: Option<HttpError>,
    what: &str,
) -> Finding {
    if let Some(net) = net {
        return net_warn(&net, &db.gosumdb);
    }
    Finding::fail(format!("The checksum database served tiles that do not match its signed tree head ({what})"))
        .detail(format!("{e}. Tiles are authenticated against the signed tree hash; these were wrong or malformed, so the database (or something in between) is misbehaving."))
        .evidence("database", &db.base, "GOSUMDB")
        .doc(DOC_SUMDB)
}
