//! `toolchain.go-env-file`: every value `go env -w` persisted in the per-user go env file.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeError, ProbeErrorKind};

use crate::util::{env_json, env_str, host_goos, native_arch, NO_GO};

inventory::submit! { Check {
    id: "toolchain.go-env-file",
    title: "go env -w leftovers",
    explain: "Reads the per-user go env file that `go env GOENV` names (written by `go env -w`; the environment still wins over it) and reports every persisted value. A persisted GOARCH/GOOS other than this machine's (a one-off cross-compile left behind) fails, CGO_ENABLED=0 and GOROOT warn; each comes with its exact undo, `go env -u NAME`.",
    tags: &["toolchain", "env"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// GOENV from `go env -json`.
    pub goenv: Option<String>,
    /// The file's text, or why it could not be read.
    pub text: Option<Result<String, ProbeError>>,
    pub native: String,
    /// GOOS of this host.
    pub host_goos: String,
    /// Each persisted name's value in this process's environment, if set and not empty.
    pub environment: Vec<(String, String)>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let goenv = env_str(&env_json(&facts), "GOENV");
    let text = goenv
        .as_ref()
        .filter(|p| *p != "off")
        .map(|p| ctx.read_to_string(p));
    let environment = match &text {
        Some(Ok(t)) => parse(t)
            .into_iter()
            .filter_map(|(k, _)| ctx.env(&k).filter(|e| !e.is_empty()).map(|v| (k, v)))
            .collect(),
        _ => Vec::new(),
    };
    Observations {
        has_go: facts.go.is_some(),
        goenv,
        text,
        native: native_arch(ctx, &facts),
        host_goos: host_goos(facts.os.as_str()),
        environment,
    }
}

/// `NAME=value` lines of a go env file.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            settings.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    settings
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    let Some(path) = obs.goenv.clone() else {
        return vec![Finding::skip(
            "`go env -json` has no GOENV (Go older than 1.13?)",
        )];
    };
    if path == "off" {
        return vec![
            Finding::info("GOENV=off: the go env file is disabled").evidence(
                "GOENV",
                "off",
                "go env -json",
            ),
        ];
    }
    let text = match &obs.text {
        Some(Ok(t)) => t.clone(),
        Some(Err(e)) if e.kind == ProbeErrorKind::NotFound => {
            return vec![Finding::pass("no `go env -w` settings persisted")
                .evidence("GOENV", &path, "go env GOENV")
                .evidence("file", "does not exist", &path)]
        }
        Some(Err(e)) => {
            return vec![
                Finding::skip(format!("could not read the go env file {path}"))
                    .detail(e.to_string()),
            ]
        }
        None => {
            return vec![Finding::skip(format!(
                "the go env file {path} was not read"
            ))]
        }
    };
    let native = obs.native.clone();
    let settings = parse(&text);
    if settings.is_empty() {
        return vec![Finding::pass("the go env file sets nothing").evidence(
            "GOENV",
            &path,
            "go env GOENV",
        )];
    }
    let host_os = obs.host_goos.clone();
    let mut findings = Vec::new();
    for (k, v) in &settings {
        let overridden = obs
            .environment
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone());
        let base = |f: Finding| {
            let mut f = f
                .evidence(k.as_str(), v.as_str(), format!("{path} (go env -w)"))
                .evidence("GOENV", &path, "go env GOENV");
            if let Some(o) = &overridden {
                f = f.evidence(
                    format!("{k} (environment)"),
                    o.as_str(),
                    "environment (wins over the file)",
                );
            }
            f
        };
        let undo = vec![format!("go env -u {k}"), format!("go env {k}")];
        let f = match k.as_str() {
            "GOARCH" if *v != native => base(Finding::fail(format!(
                "`go env -w GOARCH={v}` is persisted: every build targets {v}, not this {native} machine"
            )))
            .detail(format!(
                "A GOARCH left behind with `go env -w` (often from a one-off cross-compile) \
                 silently makes every `go build`, `go test` and `go run` produce {v} binaries{}.",
                if overridden.is_some() { "; right now the environment overrides it, but any shell without that variable gets it" } else { "" }
            ))
            .remediation("Remove the persisted value (set GOARCH per command when cross-compiling):", undo),
            "GOOS" if *v != host_os => base(Finding::fail(format!(
                "`go env -w GOOS={v}` is persisted: every build targets {v}, not {host_os}"
            )))
            .remediation("Remove the persisted value:", undo),
            "CGO_ENABLED" if v == "0" => base(Finding::warn("`go env -w CGO_ENABLED=0` is persisted: cgo is off for every build"))
                .detail("Packages that need cgo (net with the system resolver, os/user, sqlite drivers, …) build without it or fail.")
                .remediation("Remove it unless you mean it:", undo),
            "GOROOT" => base(Finding::warn(format!("`go env -w GOROOT={v}` is persisted")))
                .detail("A persisted GOROOT breaks as soon as you install another Go release.")
                .remediation("Let go find its own GOROOT:", undo),
            "GOTOOLCHAIN" => base(Finding::info(format!("`go env -w GOTOOLCHAIN={v}` is persisted")))
                .remediation("Remove it to get the default (auto):", undo),
            "GOARM64" | "GOAMD64" => base(Finding::info(format!("`go env -w {k}={v}` is persisted (see arch.goarm64)")))
                .remediation("Remove it if it is not meant for every build:", undo),
            _ => base(Finding::info(format!("`go env -w {k}={v}` is persisted")))
                .remediation("Remove it if it is not needed:", undo),
        };
        findings.push(f);
    }
    findings
}
