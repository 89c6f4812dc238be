//! `cgo.enabled`: the effective CGO_ENABLED and the reason cmd/go gives it that value.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::goenv::{cgo_reason, go_env, CgoReason, NoGoEnv};

inventory::submit! { Check {
    id: "cgo.enabled",
    title: "Effective CGO_ENABLED and why",
    explain: "Reads the effective CGO_ENABLED (`go env -json`) and explains it the way cmd/go decides: the environment wins, then the go env file (`go env -w`), otherwise cgo defaults on only for a native build, and since Go 1.20 off when CC is unset and the default compiler (clang on darwin, gcc elsewhere) is not on PATH. Disabled cgo warns with the fix for the actual reason.",
    tags: &["cgo"],
    needs: Needs::NONE,
    run,
} }

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    cgo_enabled: String,
    cc: String,
    goos: String,
    goarch: String,
    reason: CgoReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    os: String,
    go: Result<Seen, NoGoEnv>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let go = go_env(&facts).map(|env| Seen {
        cgo_enabled: env.get("CGO_ENABLED"),
        cc: env.get("CC"),
        goos: env.get("GOOS"),
        goarch: env.get("GOARCH"),
        reason: cgo_reason(ctx, &env),
    });
    Observations {
        os: facts.os.to_string(),
        go,
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let s = match &obs.go {
        Ok(s) => s,
        Err(e) => return vec![e.finding()],
    };
    let macos = obs.os == "macos";
    let value = &s.cgo_enabled;
    let why = match &s.reason {
        CgoReason::Environment(v) => format!("CGO_ENABLED={v} is set in the environment"),
        CgoReason::EnvFile(v, p) => format!("CGO_ENABLED={v} was persisted with `go env -w` ({p})"),
        CgoReason::CrossCompiling { target, host } => format!("cross-compiling ({target} on {host}): cgo defaults to off"),
        CgoReason::NoCompiler(cc) => format!("CC is not set and the default C compiler `{cc}` is not on PATH (Go 1.20+ then defaults cgo to off)"),
        CgoReason::Default => "the default for a native build with a C compiler on PATH".to_owned(),
    };
    let base = |f: Finding| {
        f.evidence("CGO_ENABLED", value, "go env -json")
            .evidence(
                "reason",
                &why,
                "environment, go env file, GOOS/GOARCH vs GOHOSTOS/GOHOSTARCH, PATH",
            )
            .evidence("CC", &s.cc, "go env -json")
            .evidence(
                "GOOS/GOARCH",
                format!("{}/{}", s.goos, s.goarch),
                "go env -json",
            )
    };
    let f = if value == "1" {
        base(Finding::pass(format!("cgo is enabled ({why})")))
    } else {
        let (text, cmds): (&str, Vec<String>) = match &s.reason {
            CgoReason::Environment(_) => (
                "Unset it (and remove it from your shell profile) if you need cgo:",
                vec!["unset CGO_ENABLED".into(), "go env CGO_ENABLED".into()],
            ),
            CgoReason::EnvFile(_, _) => (
                "Remove the persisted value:",
                vec!["go env -u CGO_ENABLED".into(), "go env CGO_ENABLED".into()],
            ),
            CgoReason::CrossCompiling { .. } => (
                "For a cgo cross-build, enable it and name a C compiler for the target:",
                vec![format!(
                    "CGO_ENABLED=1 CC=<{}-C-compiler> go build",
                    s.goarch
                )],
            ),
            CgoReason::NoCompiler(_) => {
                if macos {
                    (
                        "Install Apple's Command Line Tools (they provide clang):",
                        vec![
                            "xcode-select --install".into(),
                            "go env CGO_ENABLED   # expect 1".into(),
                        ],
                    )
                } else {
                    (
                        "Install a C compiler:",
                        vec![
                            "sudo apt-get install gcc   # Debian/Ubuntu".into(),
                            "go env CGO_ENABLED   # expect 1".into(),
                        ],
                    )
                }
            }
            CgoReason::Default => (
                "Check where it comes from:",
                vec!["go env CGO_ENABLED CC".into()],
            ),
        };
        base(Finding::warn(format!("cgo is disabled: {why}")))
            .detail("Without cgo, packages that need C (os/user and net's system resolver on some systems, sqlite drivers, anything with `import \"C\"`) build without it or fail.")
            .remediation(text, cmds)
    };
    vec![f]
}
