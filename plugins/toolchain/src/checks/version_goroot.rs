//! `toolchain.version-goroot`: `go version` against `$GOROOT/VERSION` and the binary's place.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoFacts, Needs};

use crate::discover::{canonical, canonical_go, parse_header_is_script, version_from_output};
use crate::util::{env_json, env_str, NO_GO};

inventory::submit! { Check {
    id: "toolchain.version-goroot",
    title: "go version matches its GOROOT",
    explain: "Compares `go version` with `$GOROOT/VERSION` and where the go binary lives. A GOROOT exported in a shell profile or persisted with `go env -w` that points at another release mixes tools and standard library: fail, with `unset GOROOT` / `go env -u GOROOT`.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    /// The host's facts about the first go (None: no go).
    pub go: Option<GoFacts>,
    /// GOROOT from `go env -json`.
    pub goroot: Option<String>,
    /// GOROOT in this process's environment.
    pub goroot_env: Option<String>,
    /// `$GOROOT/VERSION`.
    pub version_file: String,
    /// Its first line, when readable.
    pub file_version: Option<String>,
    /// `$GOROOT/bin/go`, resolved.
    pub goroot_bin: String,
    /// The go on PATH, resolved.
    pub go_real: String,
    /// Whether the resolved go on PATH is a script.
    pub go_real_is_script: Option<bool>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let go = facts.go.clone().into_option();
    let goroot = env_str(&env_json(&facts), "GOROOT");
    let version_file = goroot
        .as_ref()
        .map(|g| format!("{g}/VERSION"))
        .unwrap_or_default();
    let file_version = goroot.as_ref().and_then(|_| {
        ctx.read_to_string(&version_file)
            .ok()
            .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
    });
    let goroot_bin = goroot
        .as_ref()
        .map(|g| canonical_go(ctx, g))
        .unwrap_or_default();
    let go_real = go
        .as_ref()
        .map(|g| canonical(ctx, g.path.as_str()))
        .unwrap_or_default();
    let go_real_is_script = (goroot.is_some() && !go_real.is_empty() && go_real != goroot_bin)
        .then(|| parse_header_is_script(ctx, &go_real))
        .flatten();
    Observations {
        go,
        goroot,
        goroot_env: ctx.env("GOROOT"),
        version_file,
        file_version,
        goroot_bin,
        go_real,
        go_real_is_script,
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(go) = &obs.go else {
        return vec![Finding::skip(NO_GO)];
    };
    if let Some(p) = go.problem.clone().into_option() {
        return vec![Finding::fail("the go on PATH does not run")
            .detail(p.to_string())
            .evidence("go", go.path.as_str(), "which go")
            .remediation(
                "Run it by hand to see the error, then reinstall Go:",
                [
                    format!("{} version", go.path),
                    format!("{} env GOROOT", go.path),
                ],
            )];
    }
    let version = version_from_output(go.version_output.as_str());
    let goroot_env = obs.goroot_env.clone();
    let Some(goroot) = obs.goroot.clone() else {
        return vec![Finding::skip("`go env -json` gave no GOROOT")];
    };
    let version_file = obs.version_file.clone();
    let file_version = obs.file_version.clone();
    let goroot_bin = obs.goroot_bin.clone();
    let go_real = obs.go_real.clone();
    let mut f;
    let base = |f: Finding| {
        f.evidence(
            "go version",
            go.version_output.as_str(),
            format!("{} version", go.path),
        )
        .evidence("GOROOT", &goroot, "go env -json")
        .evidence(
            "GOROOT/VERSION",
            file_version
                .clone()
                .unwrap_or_else(|| "unreadable".to_owned()),
            &version_file,
        )
        .evidence("GOROOT/bin/go", &goroot_bin, "realpath")
        .evidence("go (resolved)", &go_real, "realpath")
        .evidence(
            "GOROOT env",
            goroot_env.clone().unwrap_or_else(|| "unset".to_owned()),
            "environment",
        )
    };
    let mismatch_version =
        matches!((&version, &file_version), (Some(v), Some(fv)) if fv.starts_with("go") && v != fv);
    if mismatch_version {
        f = base(Finding::fail(format!(
            "`go version` says {} but GOROOT {goroot} holds {}",
            version.clone().unwrap_or_default(),
            file_version.clone().unwrap_or_default()
        )))
        .detail(
            "The go command and its GOROOT are from different releases (usually a GOROOT \
             exported in a shell profile or persisted with `go env -w`): the compiler, standard \
             library and tools will not match and builds fail in confusing ways.",
        )
        .remediation(
            "Let go find its own GOROOT:",
            if goroot_env.is_some() {
                vec![
                    "unset GOROOT   # and remove the export from your shell profile".to_owned(),
                    "go env GOROOT".to_owned(),
                ]
            } else {
                vec!["go env -u GOROOT".to_owned(), "go env GOROOT".to_owned()]
            },
        );
    } else if file_version.is_none() {
        f = base(Finding::info(format!(
            "go {} with GOROOT {goroot} (no VERSION file to compare)",
            version.clone().unwrap_or_default()
        )));
    } else {
        f = base(Finding::pass(format!(
            "go version {} matches GOROOT {goroot}",
            version.clone().unwrap_or_default()
        )));
    }
    if go_real != goroot_bin
        && !go_real.contains("/.pyenv/")
        && obs.go_real_is_script == Some(false)
    {
        f = f.detail(format!(
            "Note: the go on PATH resolves to {go_real}, not {goroot_bin}."
        ));
    }
    vec![f]
}
