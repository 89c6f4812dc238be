//! The first `go`'s environment as the cgo checks need it: `go env -json` (from the host's
//! shared facts), the go env file `go env -w` writes, and why CGO_ENABLED has its value.

use gohost_plugin_api::go::GoEnvJson;
use gohost_plugin_api::{Ctx, Facts, Finding, ProbeErrorKind, Translation};

use crate::binary::normalize_arch;

/// Why there is no usable `go env -json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoGoEnv {
    NoGo,
    DoesNotRun(String),
    NotJson,
}

impl NoGoEnv {
    pub(crate) fn finding(&self) -> Finding {
        match self {
            NoGoEnv::NoGo => Finding::skip("no go on PATH (see toolchain.go-on-path)"),
            NoGoEnv::DoesNotRun(p) => {
                Finding::skip("the go on PATH does not run (see toolchain.version-goroot)")
                    .detail(p)
            }
            NoGoEnv::NotJson => Finding::skip("`go env -json` output is not JSON")
                .detail("the recorded `go env -json` answer is not a JSON object"),
        }
    }
}

/// The first go on PATH and its parsed `go env -json`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GoEnv {
    pub path: String,
    pub env: GoEnvJson,
}

impl GoEnv {
    /// A variable's value, empty when unset or unknown to this Go.
    pub(crate) fn get(&self, key: &str) -> String {
        self.env.get(key).unwrap_or("").to_owned()
    }
}

/// The parsed `go env -json` of the first go on PATH, or why there is none.
pub(crate) fn go_env(facts: &Facts) -> Result<GoEnv, NoGoEnv> {
    let Some(go) = facts.go.clone().into_option() else {
        return Err(NoGoEnv::NoGo);
    };
    if let Some(p) = go.problem.clone().into_option() {
        return Err(NoGoEnv::DoesNotRun(p.to_string()));
    }
    match go.env() {
        Some(env) => Ok(GoEnv {
            path: go.path.to_string(),
            env,
        }),
        None => Err(NoGoEnv::NotJson),
    }
}

/// Values persisted by `go env -w`, from the file `GOENV` names: empty when there is no
/// file (or GOENV=off), Err when it exists but cannot be read (or was not recorded) — then
/// nothing can be said about what it holds.
pub(crate) fn env_file_read(ctx: &Ctx<'_>, env: &GoEnv) -> Result<Vec<(String, String)>, String> {
    let path = env.get("GOENV");
    if path.is_empty() || path == "off" {
        return Ok(Vec::new());
    }
    match ctx.read_to_string(&path) {
        Ok(t) => Ok(t
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{path}: {e}")),
    }
}

/// [`env_file_read`] for the cache key, where an unreadable file is just another input.
pub(crate) fn env_file(ctx: &Ctx<'_>, env: &GoEnv) -> Vec<(String, String)> {
    env_file_read(ctx, env).unwrap_or_else(|e| vec![("(unreadable)".to_owned(), e)])
}

/// Why CGO_ENABLED has its effective value (Go src cmd/go/internal/cfg, FACTS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgoReason {
    Environment(String),
    EnvFile(String, String),
    CrossCompiling {
        target: String,
        host: String,
    },
    NoCompiler(String),
    Default,
    /// The go env file, which could hold the value, could not be read.
    Unknown(String),
}

pub(crate) fn default_cc(goos: &str) -> &'static str {
    match goos {
        "darwin" | "ios" | "freebsd" | "openbsd" => "clang",
        _ => "gcc",
    }
}

pub(crate) fn cgo_reason(ctx: &Ctx<'_>, env: &GoEnv) -> CgoReason {
    if let Some(v) = ctx.env("CGO_ENABLED").filter(|v| !v.is_empty()) {
        return CgoReason::Environment(v);
    }
    let file = match env_file_read(ctx, env) {
        Ok(f) => f,
        Err(e) => return CgoReason::Unknown(e),
    };
    if let Some((_, v)) = file.iter().find(|(k, _)| k == "CGO_ENABLED") {
        return CgoReason::EnvFile(v.clone(), env.get("GOENV"));
    }
    let (goos, goarch) = (env.get("GOOS"), env.get("GOARCH"));
    let (hostos, hostarch) = (env.get("GOHOSTOS"), env.get("GOHOSTARCH"));
    if !hostos.is_empty() && (goos != hostos || goarch != hostarch) {
        return CgoReason::CrossCompiling {
            target: format!("{goos}/{goarch}"),
            host: format!("{hostos}/{hostarch}"),
        };
    }
    if env.get("CGO_ENABLED") == "1" {
        return CgoReason::Default;
    }
    // Go 1.20+ (cmd/go/internal/cfg/cfg.go): `if os.Getenv("CC") == ""` and the default C
    // compiler is not found by LookPath, cgo defaults to off. Only the process environment
    // counts: a CC persisted in the go env file does not keep cgo on.
    let cc_set = ctx.env("CC").is_some_and(|v| !v.is_empty());
    if !cc_set {
        let dflt = default_cc(&goos);
        if ctx.which(dflt).is_none() {
            return CgoReason::NoCompiler(dflt.to_owned());
        }
    }
    CgoReason::Default
}

/// The machine's native architecture in Go's naming (Apple Silicon stays arm64 under Rosetta:
/// hw.optional.arm64 is 1 there, and Rosetta runs only on Apple Silicon).
pub(crate) fn native_arch(ctx: &Ctx<'_>, facts: &Facts) -> String {
    if facts.os.as_str() == "macos" && facts.translation == Translation::Rosetta {
        return "arm64".to_owned();
    }
    if facts.os.as_str() == "macos" {
        if let Ok(v) = ctx.sysctl("hw.optional.arm64") {
            if v.trim() == "1" {
                return "arm64".to_owned();
            }
        }
    }
    normalize_arch(facts.machine.as_str())
}
