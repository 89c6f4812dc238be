//! gohost plugin `sumdb`: is this machine's Go module setup trustworthy, and does the module
//! cache hold exactly what go.sum and the checksum database say?
//!
//! Checks:
//! - `sumdb.config` — GOPROXY, GOSUMDB (`off`, names, `name+hash+key [url]`, the
//!   sum.golang.google.cn alias), GONOSUMDB/GOPRIVATE, GOINSECURE, GOFLAGS (`-mod=mod`,
//!   `-insecure`) and the non-variable GONOSUMCHECK.
//! - `sumdb.gosum` — go.sum of the main module (`GOMOD` from `go env -json`) parsed; bad
//!   lines reported with line numbers.
//! - `sumdb.cache` — every build-list module in the module cache re-hashed (`h1:` of the
//!   zip, the extracted tree and go.mod), in parallel, against go.sum and the `.ziphash`
//!   recorded at download; missing, extra and mismatched entries by module@version.
//! - `sumdb.tree-head` (`--online`) — the database's signed tree head (ed25519 note)
//!   verified with its key and proved consistent with the head the go command stored in
//!   `<first GOPATH>/pkg/sumdb/<name>/latest`; a failed proof is a fork.
//! - `sumdb.lookup` (`--online`) — each go.sum module looked up; the record's inclusion in
//!   the signed tree proved from tiles (height 8), and its hashes compared with go.sum.
//! - `sumdb.goroot-authentic` — the installed GOROOT mapped to the toolchain module
//!   `golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>` by cmd/distpack's rules
//!   ([`distpack`]), hashed, and compared with the module cache's `.ziphash` or (`--online`)
//!   the checksum database's proved record.
//!
//! What it is not: it never writes go.sum, the module cache or the stored tree head, and
//! it does not download modules. `go mod verify` re-hashes the cache but never asks the
//! checksum database; the online checks do.
//!
//! I/O: all of it goes through the host context, HTTP to the checksum database included
//! (`Ctx::http_get`, plugin API 1.1, in module [`http`]): the host refuses it unless the run
//! is `--online`, bounds every request by a timeout (`GOHOST_SUMDB_TIMEOUT_MS`, default
//! 10 s) and a body size cap, and records/replays the answers like any probe. Fetched tiles
//! are cached through `ctx.cache_put` only after they authenticate against a signed tree.

// Helpers return the finding a check should report as their error; a Finding is large but
// these are cold paths taken once per check.
#![allow(clippy::result_large_err)]

pub mod checks;
pub mod config;
pub mod dirhash;
pub mod distpack;
pub mod goenv;
pub mod gosum;
pub mod http;
pub mod note;
pub mod online;
pub mod pathmatch;
pub mod shell;
pub mod source;
pub mod tile;
pub mod tlog;
pub mod treecache;
pub mod verify;

use gohost_plugin_api::export_plugin;

export_plugin! {
    name: "sumdb",
    version: env!("CARGO_PKG_VERSION"),
    description: "Go module proxy/checksum-database settings, go.sum and the module cache re-hashed, and (online) the checksum database's signed tree and proofs.",
}
