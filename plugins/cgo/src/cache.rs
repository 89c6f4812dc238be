//! The result cache of `cgo.build`: the key (a fingerprint of every input of a cgo build)
//! and the stored form of a passing finding.

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

/// Everything a cgo build's result depends on, hashed.
pub(crate) fn fingerprint(ctx: &Ctx<'_>, facts: &Facts, env: &GoEnv, cc: &Compiler) -> String {
    let mut h = Sha256::new();
    let mut add = |k: &str, v: &str| {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    };
    add("plugin", env!("CARGO_PKG_VERSION"));
    add("go", &env.path);
    if let Ok(i) = ctx.file_info(&env.path) {
        add(
            "go.canonical",
            i.canonical.as_ref().map(|s| s.as_str()).unwrap_or(""),
        );
        add("go.size", &i.size.to_string());
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
    add("cc.path", cc.path.as_deref().unwrap_or(""));
    if let Some(p) = &cc.path {
        if let Ok(i) = ctx.file_info(p) {
            add(
                "cc.canonical",
                i.canonical.as_ref().map(|s| s.as_str()).unwrap_or(""),
            );
            add("cc.size", &i.size.to_string());
        }
    }
    add("cc.triple", cc.triple.as_deref().unwrap_or(""));
    add("cc.version", cc.version_line.as_deref().unwrap_or(""));
    add(
        "env.file",
        &env_file(ctx, env)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored in the cache for a passing build.
pub(crate) fn to_cache(f: &Finding) -> String {
    let ev: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| serde_json::json!([e.key.as_str(), e.value.as_str(), e.source.as_str()]))
        .collect();
    serde_json::json!({"title": f.title.as_str(), "detail": f.detail.as_str(), "evidence": ev})
        .to_string()
}

pub(crate) fn from_cache(text: &str) -> Option<Finding> {
    let v: Value = serde_json::from_str(text).ok()?;
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
