//! `toolchain.gotoolchain`: which toolchain the go command will actually run, from
//! GOTOOLCHAIN and the nearest go.mod.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::discover::version_from_output;
use crate::util::{env_json, env_str, NO_GO};

inventory::submit! { Check {
    id: "toolchain.gotoolchain",
    title: "Which toolchain will actually run",
    explain: "Go 1.21+: evaluates GOTOOLCHAIN (local, auto, path, goX.Y.Z[+auto|+path]) against the `go` and `toolchain` lines of the nearest go.mod (GOMOD). A newer requirement with auto means the go command downloads and runs another toolchain; with local it fails to build: fail, with the fix.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    /// `go version` output of the first go (None: no go).
    pub version_output: Option<String>,
    /// GOVERSION from `go env -json`.
    pub goversion: Option<String>,
    /// GOTOOLCHAIN from `go env -json` (None when empty or absent).
    pub gotoolchain: Option<String>,
    /// GOMOD from `go env -json`, when inside a module.
    pub gomod: Option<String>,
    /// The go.mod's text, when read.
    pub gomod_text: Option<String>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    let gomod = env_str(&env, "GOMOD").filter(|p| p != "/dev/null" && p != "NUL");
    let gomod_text = gomod.as_ref().and_then(|p| ctx.read_to_string(p).ok());
    Observations {
        version_output: facts
            .go
            .as_ref()
            .into_option()
            .map(|g| g.version_output.to_string()),
        goversion: env_str(&env, "GOVERSION"),
        gotoolchain: env_str(&env, "GOTOOLCHAIN"),
        gomod,
        gomod_text,
    }
}

/// `go` and `toolchain` lines of a go.mod.
pub fn mod_versions(gomod: &str) -> (Option<String>, Option<String>) {
    let mut go = None;
    let mut toolchain = None;
    for line in gomod.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(v) = line.strip_prefix("go ") {
            go = Some(format!("go{}", v.trim()));
        } else if let Some(v) = line.strip_prefix("toolchain ") {
            toolchain = Some(v.trim().to_owned());
        }
    }
    (go, toolchain)
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(version_output) = &obs.version_output else {
        return vec![Finding::skip(NO_GO)];
    };
    let local = version_from_output(version_output).or_else(|| obs.goversion.clone());
    let Some(local_v) = local.as_deref().and_then(GoVersion::parse) else {
        return vec![
            Finding::skip("could not parse the local go version").evidence(
                "go version",
                version_output.as_str(),
                "go version",
            ),
        ];
    };
    if local_v < GoVersion::new(1, 21, 0) {
        return vec![Finding::info(format!(
            "{} predates GOTOOLCHAIN (Go 1.21): the local toolchain always runs",
            local.unwrap_or_default()
        ))
        .evidence("go version", version_output.as_str(), "go version")];
    }
    let mode = obs.gotoolchain.clone().unwrap_or_else(|| "auto".to_owned());
    let gomod_path = obs.gomod.clone();
    let (mod_go, mod_tc) = match &obs.gomod_text {
        Some(t) => mod_versions(t),
        None => (None, None),
    };
    let wanted = [mod_tc.clone(), mod_go.clone()]
        .into_iter()
        .flatten()
        .filter_map(|v| GoVersion::parse(&v).map(|p| (p, v)))
        .max_by(|a, b| a.0.cmp(&b.0));
    let base = |f: Finding| {
        f.evidence("GOTOOLCHAIN", &mode, "go env -json")
            .evidence("local", local.clone().unwrap_or_default(), "go version")
            .evidence(
                "GOMOD",
                gomod_path
                    .clone()
                    .unwrap_or_else(|| "none (outside a module)".to_owned()),
                "go env -json",
            )
            .evidence(
                "go.mod go",
                mod_go.clone().unwrap_or_else(|| "-".to_owned()),
                gomod_path.clone().unwrap_or_default(),
            )
            .evidence(
                "go.mod toolchain",
                mod_tc.clone().unwrap_or_else(|| "-".to_owned()),
                gomod_path.clone().unwrap_or_default(),
            )
    };
    let mode_base = mode.split('+').next().unwrap_or("auto");
    let pinned = mode_base.starts_with("go1");
    let f = match wanted {
        _ if pinned => base(Finding::info(format!(
            "GOTOOLCHAIN={mode}: {} runs for every command",
            mode_base
        )))
        .remediation(
            "To use the local toolchain again:",
            ["go env -u GOTOOLCHAIN", "unset GOTOOLCHAIN"],
        ),
        Some((need, need_s)) if need > local_v => {
            if mode_base == "local" {
                base(Finding::fail(format!("go.mod needs {need_s} but GOTOOLCHAIN=local keeps {}: builds in this module fail", local.clone().unwrap_or_default())))
                    .remediation("Allow the switch, or install that release:", ["go env -u GOTOOLCHAIN   # back to auto", "unset GOTOOLCHAIN"])
            } else if mode_base == "path" {
                base(Finding::warn(format!(
                    "go.mod needs {need_s}; GOTOOLCHAIN=path will look for `{need_s}` on PATH"
                )))
                .remediation(
                    "Make it available:",
                    [format!(
                        "go install golang.org/dl/{need_s}@latest && {need_s} download"
                    )],
                )
            } else {
                base(Finding::info(format!("go.mod needs {need_s}: the local {} will download and run {need_s} (GOTOOLCHAIN={mode})", local.clone().unwrap_or_default())))
                    .detail("With GOTOOLCHAIN=auto a newer go/toolchain line makes the go command fetch golang.org/toolchain and re-exec it; its architecture follows the local go's GOHOSTARCH.")
                    .remediation("To avoid the download, install that release locally:", [format!("go install golang.org/dl/{need_s}@latest && {need_s} download")])
            }
        }
        _ => base(Finding::pass(format!(
            "the local {} runs (GOTOOLCHAIN={mode})",
            local.clone().unwrap_or_default()
        ))),
    };
    vec![f.doc("https://go.dev/doc/toolchain")]
}
