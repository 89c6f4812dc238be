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

pub mod config;
pub mod dirhash;
pub mod goenv;
pub mod gosum;
pub mod http;
pub mod note;
pub mod online;
pub mod tlog;
pub mod verify;

use gohost_plugin_api::{export_plugin, inventory, Check, Needs};

export_plugin! {
    name: "sumdb",
    version: env!("CARGO_PKG_VERSION"),
    description: "Go module proxy/checksum-database settings, go.sum and the module cache re-hashed, and (online) the checksum database's signed tree and proofs.",
}

const OFFLINE: Needs = Needs {
    network: false,
    root: false,
    slow: false,
};
const ONLINE: Needs = Needs {
    network: true,
    root: false,
    slow: false,
};

inventory::submit! {
    Check {
        id: "sumdb.config",
        title: "Module proxy and checksum database settings",
        explain: "Reads GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE and GOFLAGS from `go env -json` (the effective values) and GONOSUMCHECK from the environment. Flags GOSUMDB=off, an invalid GOSUMDB (the go command refuses to download), sum.golang.org with a foreign key, plain-HTTP proxies, GONOSUMDB/GOPRIVATE patterns that match every public module, GOINSECURE, GOFLAGS=-mod=mod (go.sum rewritten silently) and -insecure (rejected by `go get`). GONOSUMCHECK is not a Go variable: it has no effect. sum.golang.google.cn is sum.golang.org's mirror with the same key.",
        tags: &["modules", "security"],
        needs: OFFLINE,
        run: config::check,
    }
}

inventory::submit! {
    Check {
        id: "sumdb.gosum",
        title: "go.sum is well formed",
        explain: "Parses the main module's go.sum (next to GOMOD from `go env -json`). Each line must be `module version[/go.mod] h1:<base64 sha256>`; malformed lines and conflicting duplicate lines are reported with their line numbers. The go command refuses a malformed go.sum.",
        tags: &["modules"],
        needs: OFFLINE,
        run: verify::check_gosum,
    }
}

inventory::submit! {
    Check {
        id: "sumdb.cache",
        title: "Module cache matches go.sum",
        explain: "For every module in the build list (`go list -m all`, run offline), recomputes the h1 dirhash of the cached zip and the extracted directory and the go.mod hash, in parallel, and compares them with go.sum and with the .ziphash the go command wrote at download. Which copies disagree tells what changed: the extracted files, the zip, or go.sum. Also reports build-list modules without a go.sum line and go.sum lines outside the build list. Like `go mod verify`, this is offline; unlike it, it also checks go.sum itself.",
        tags: &["modules", "security"],
        needs: OFFLINE,
        run: verify::check_cache,
    }
}

inventory::submit! {
    Check {
        id: "sumdb.tree-head",
        title: "Checksum database tree head verified and consistent",
        explain: "Fetches the checksum database's signed tree head (`/latest`), verifies the ed25519 signed note with the key from GOSUMDB (or sum.golang.org's built-in key), and proves from the database's tiles that its current tree contains the tree head the go command stored at `<first GOPATH>/pkg/sumdb/<name>/latest`. If the proof fails, the database may have forked: it showed this machine one history and now shows another. Network errors and timeouts are warnings.",
        tags: &["modules", "security", "network"],
        needs: ONLINE,
        run: online::check_tree_head,
    }
}

inventory::submit! {
    Check {
        id: "sumdb.lookup",
        title: "go.sum matches the checksum database",
        explain: "Looks up every go.sum module version in the checksum database (skipping GONOSUMDB/GOPRIVATE matches), verifies the signed tree in each answer and the record's inclusion proof from tiles (height 8, authenticated against the signed tree hash), then compares the database's hashes with go.sum. A module version the database never saw, a different hash, a bad signature or malformed answers are failures; network errors and timeouts are warnings.",
        tags: &["modules", "security", "network"],
        needs: ONLINE,
        run: online::check_lookup,
    }
}
