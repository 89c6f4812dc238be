//! `cgo.compiler`: the C compiler `go env CC` names, whether it runs, and whether its target
//! architecture matches GOARCH.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::cc::{resolve_cc, triple_arch, Compiler};
use crate::goenv::{go_env, NoGoEnv};

inventory::submit! { Check {
    id: "cgo.compiler",
    title: "The C compiler and its target",
    explain: "Resolves `go env CC` (with its arguments) on PATH, runs `-dumpmachine` and `--version`, and compares the compiler's target architecture with GOARCH. A missing or broken compiler fails; a compiler for another architecture (e.g. aarch64-linux-gnu-gcc with GOARCH=amd64, or an x86_64 gcc for an arm64 build) fails with the right CC to use. Apple clang is multi-arch (Go passes -arch), so there a different default triple is informational. On macOS without developer tools the /usr/bin stubs are never run.",
    tags: &["cgo"],
    needs: Needs::NONE,
    run,
} }

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    goarch: String,
    cgo_on: bool,
    gogccflags: String,
    cc: Compiler,
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
    let macos = facts.os.as_str() == "macos";
    let go = go_env(&facts).map(|env| Seen {
        goarch: env.get("GOARCH"),
        cgo_on: env.get("CGO_ENABLED") == "1",
        gogccflags: env.get("GOGCCFLAGS"),
        cc: resolve_cc(ctx, macos, &env),
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
    let cc = &s.cc;
    let goarch = &s.goarch;
    let base = |f: Finding| {
        f.evidence("CC", &cc.spec, "go env CC")
            .evidence(
                "path",
                cc.path.clone().unwrap_or_else(|| "not found".into()),
                "PATH lookup",
            )
            .evidence(
                "target",
                cc.triple.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} -dumpmachine", cc.spec),
            )
            .evidence(
                "version",
                cc.version_line.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} --version", cc.spec),
            )
            .evidence("GOARCH", goarch, "go env GOARCH")
    };
    let install = if macos {
        vec!["xcode-select --install".to_owned()]
    } else {
        vec!["sudo apt-get install gcc".to_owned()]
    };
    if let Some(problem) = &cc.problem {
        let status_fail = s.cgo_on || cc.path.is_some();
        let title = if cc.path.is_none() {
            format!("the C compiler `{}` is not available: {problem}", cc.spec)
        } else {
            format!("the C compiler `{}` does not work: {problem}", cc.spec)
        };
        let f = if status_fail {
            Finding::fail(title)
        } else {
            Finding::warn(title)
        };
        return vec![base(f)
            .detail("cgo builds run this compiler for every package with `import \"C\"`; when it is missing or broken those builds fail (or, with CGO_ENABLED unset, cgo is silently off).")
            .remediation(
                "Install a working C compiler, or point CC at one:",
                install.into_iter().chain([
                    "go env -u CC   # if a broken CC was persisted".to_owned(),
                    "unset CC       # if it is set in the environment".to_owned(),
                ]),
            )];
    }
    let Some(triple) = cc.triple.clone() else {
        return vec![base(Finding::skip(
            "could not read the C compiler's target",
        ))];
    };
    let cc_arch = triple_arch(&triple);
    let apple_clang = macos
        && cc
            .version_line
            .as_deref()
            .is_some_and(|v| v.contains("Apple clang") || v.contains("Apple LLVM"));
    let f = if cc_arch == *goarch {
        base(Finding::pass(format!(
            "`{}` targets {triple}, matching GOARCH={goarch}",
            cc.spec
        )))
    } else if apple_clang {
        // Go passes `-arch <GOARCH>` to clang on darwin (GOGCCFLAGS), and Apple clang builds
        // any of its architectures, so the default triple does not decide the output.
        base(Finding::info(format!("Apple clang defaults to {triple}, but Go passes `-arch` for GOARCH={goarch}")))
            .evidence("GOGCCFLAGS", &s.gogccflags, "go env -json")
            .detail("A default x86_64 triple means clang itself runs as x86_64 (a translated shell); cgo.build verifies the output architecture.")
            .remediation("Run from a native arm64 shell:", ["arch -arm64 /bin/zsh -l"])
    } else {
        let suggestion = match goarch.as_str() {
            "arm64" if !macos => "aarch64-linux-gnu-gcc",
            "amd64" if !macos => "x86_64-linux-gnu-gcc",
            _ => "clang",
        };
        base(Finding::fail(format!("`{}` builds for {triple} ({cc_arch}) but GOARCH={goarch}: cgo code would be the wrong architecture", cc.spec)))
            .detail("Go compiles the Go parts for GOARCH but hands the C parts to CC; a compiler for another architecture fails to build or link (the classic \"x86_64 CC with GOARCH=arm64\" trap).")
            .remediation(
                format!("Use a C compiler for {goarch}:"),
                [
                    format!("export CC={suggestion}"),
                    "go env -u CC   # if the wrong CC was persisted".to_owned(),
                    format!("{suggestion} -dumpmachine"),
                ],
            )
    };
    vec![f]
}
