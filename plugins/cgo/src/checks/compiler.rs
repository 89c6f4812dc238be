//! `cgo.compiler`: the C compiler `go env CC` names, whether it runs, and whether its target
//! architecture matches GOARCH.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::cc::{resolve_cc, triple_arch, Compiler};
use crate::goenv::{env_file_read, go_env, NoGoEnv};

/// Where CC's value comes from, which decides the command that changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CcFrom {
    Environment,
    GoEnvFile,
    /// Go's default (clang on darwin, gcc elsewhere: cmd/go/internal/cfg/zdefaultcc.go), or
    /// unknown when the go env file could not be read.
    Default,
}

inventory::submit! { Check {
    id: "cgo.compiler",
    title: "The C compiler and its target",
    explain: "Resolves `go env CC` (with its arguments) on PATH, runs `-dumpmachine` and `--version` (side by side; a working compiler's answers are cached under the cgo.build fingerprint — the content of go, the real go binary and CC, the build-relevant go env, C env vars, the go env file — for at most 24 hours, and a finding that used them is marked cached), and compares the compiler's target architecture with GOARCH. A missing or broken compiler fails; a compiler for another architecture (e.g. aarch64-linux-gnu-gcc with GOARCH=amd64, or an x86_64 gcc for an arm64 build) fails with the right CC to use. Apple clang is multi-arch and on darwin Go passes `-arch arm64` / `-arch x86_64` for GOARCH (cmd/go gccArchArgs), so there a different default triple is informational. On macOS without developer tools the /usr/bin stubs are never run. A compiler answer that was not recorded or could not be read is skip, never a verdict.",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    goarch: String,
    cgo_on: bool,
    gogccflags: String,
    cc: Compiler,
    cc_from: CcFrom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    os: String,
    go: Result<Seen, NoGoEnv>,
}

/// Said in the evidence's source when the answer is an earlier run's.
fn cached_note(cc: &Compiler) -> &'static str {
    if cc.cached {
        " (cached answer of an earlier run, same fingerprint)"
    } else {
        ""
    }
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let macos = facts.os.as_str() == "macos";
    let go = go_env(&facts).map(|env| Seen {
        goarch: env.get("GOARCH"),
        cgo_on: env.get("CGO_ENABLED") == "1",
        gogccflags: env.get("GOGCCFLAGS"),
        cc: resolve_cc(ctx, &facts, macos, &env),
        cc_from: if ctx.env("CC").is_some_and(|v| !v.is_empty()) {
            CcFrom::Environment
        } else if env_file_read(ctx, &env).is_ok_and(|f| f.iter().any(|(k, _)| k == "CC")) {
            CcFrom::GoEnvFile
        } else {
            CcFrom::Default
        },
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
                match (&cc.path, &cc.unknown) {
                    (Some(p), _) => p.clone(),
                    // A missing answer is shown as missing, never as "not found".
                    (None, Some(_)) => "could not tell".into(),
                    (None, None) => "not found".into(),
                },
                "PATH lookup",
            )
            .evidence(
                "target",
                cc.triple.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} -dumpmachine{}", cc.spec, cached_note(cc)),
            )
            .evidence(
                "version",
                cc.version_line.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} --version{}", cc.spec, cached_note(cc)),
            )
            .evidence("GOARCH", goarch, "go env GOARCH")
            // Its identity came from an earlier run's answers under the same fingerprint.
            .cached(cc.cached)
    };
    // Exactly the command for where CC came from (go1.19 `go env -u CC` fails when there is
    // no go env file, so it is never printed "just in case").
    let repair: Vec<String> = match s.cc_from {
        CcFrom::Environment => vec!["unset CC".to_owned()],
        CcFrom::GoEnvFile => vec!["go env -u CC".to_owned()],
        CcFrom::Default if macos => vec!["xcode-select --install".to_owned()],
        CcFrom::Default => vec!["sudo apt-get install gcc   # Debian/Ubuntu".to_owned()],
    };
    if let Some(why) = &cc.unknown {
        return vec![base(Finding::skip(format!(
            "could not tell whether the C compiler `{}` works",
            cc.spec
        )))
        .detail(why)];
    }
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
                match s.cc_from {
                    CcFrom::Environment => "Remove the CC set in the environment (Go then uses its default C compiler):",
                    CcFrom::GoEnvFile => "Remove the CC persisted with `go env -w` (Go then uses its default C compiler):",
                    CcFrom::Default => "Install the default C compiler:",
                },
                repair,
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
    // On macOS a /usr/bin/cc or clang of another default triple is fine when it is Apple
    // clang (Go passes -arch); without its --version that cannot be told.
    if macos && cc_arch != *goarch && cc.version_line.is_none() {
        return vec![base(Finding::skip(format!(
            "could not tell whether `{}` is Apple clang (its --version was not read)",
            cc.spec
        )))];
    }
    let f = if cc_arch == *goarch {
        base(Finding::pass(format!(
            "`{}` targets {triple}, matching GOARCH={goarch}",
            cc.spec
        )))
    } else if apple_clang {
        // Go passes `-arch arm64` (GOARCH=arm64) or `-arch x86_64 -m64` (amd64) to the C
        // compiler on darwin (Go src cmd/go/internal/work/exec.go, gccArchArgs), and Apple
        // clang builds any of its architectures, so the default triple does not decide the
        // output.
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
                    match s.cc_from {
                        CcFrom::GoEnvFile => format!("go env -w CC={suggestion}"),
                        _ => format!("export CC={suggestion}"),
                    },
                    format!("{suggestion} -dumpmachine"),
                ],
            )
    };
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn cc(spec: &str, path: Option<&str>, triple: Option<&str>, version: Option<&str>) -> Compiler {
        Compiler {
            spec: spec.into(),
            path: path.map(str::to_owned),
            triple: triple.map(str::to_owned),
            version_line: version.map(str::to_owned),
            problem: None,
            unknown: None,
            cached: false,
        }
    }

    fn obs(os: &str, goarch: &str, c: Compiler) -> Observations {
        Observations {
            os: os.into(),
            go: Ok(Seen {
                goarch: goarch.into(),
                cgo_on: true,
                gogccflags: "-arch arm64".into(),
                cc: c,
                cc_from: CcFrom::Default,
            }),
        }
    }

    /// Data → findings. Sources: Go src cmd/go/internal/work/exec.go gccArchArgs (`-arch
    /// arm64` on darwin); real `-dumpmachine` answers: x86_64-linux-gnu (gcc here),
    /// aarch64-linux-gnu (gcc-aarch64-linux-gnu here), arm64-apple-darwin23 (fixture
    /// applesilicon-clang-version-clt-arm64-darwin23.txt).
    #[test]
    fn table() {
        let gcc = || {
            cc(
                "gcc",
                Some("/usr/bin/gcc"),
                Some("x86_64-linux-gnu"),
                Some("gcc (Debian 12.2.0-14) 12.2.0"),
            )
        };
        let cross = || {
            cc(
                "aarch64-linux-gnu-gcc",
                Some("/usr/bin/aarch64-linux-gnu-gcc"),
                Some("aarch64-linux-gnu"),
                Some("aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0"),
            )
        };
        let apple = || {
            cc(
                "cc",
                Some("/usr/bin/cc"),
                Some("x86_64-apple-darwin23.0.0"),
                Some("Apple clang version 15.0.0 (clang-1500.0.40.1)"),
            )
        };
        let missing = || Compiler {
            problem: Some("`mycc` is not found".into()),
            ..cc("mycc", None, None, None)
        };
        let broken = || Compiler {
            problem: Some("exit 3".into()),
            ..cc("/x/brokencc", Some("/x/brokencc"), None, None)
        };
        let unrecorded = || Compiler {
            unknown: Some("`/usr/bin/gcc -dumpmachine` was not recorded".into()),
            ..cc("gcc", Some("/usr/bin/gcc"), None, None)
        };
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            ("gcc amd64", obs("linux", "amd64", gcc()), Status::Pass, "matching GOARCH=amd64"),
            ("wrong target", obs("linux", "amd64", cross()), Status::Fail, "but GOARCH=amd64"),
            ("apple clang other default", obs("macos", "arm64", apple()), Status::Info, "Go passes `-arch`"),
            ("missing", obs("linux", "amd64", missing()), Status::Fail, "not available"),
            ("broken", obs("linux", "amd64", broken()), Status::Fail, "does not work"),
            // Section 2: missing answers are never a verdict.
            ("dumpmachine unrecorded", obs("linux", "amd64", unrecorded()), Status::Skip, "could not tell"),
            ("CC file_info unreadable", obs("linux", "amd64", Compiler { unknown: Some("could not look at /x/cc: not recorded".into()), ..cc("/x/cc", None, None, None) }), Status::Skip, "could not tell"),
            ("mac, version unread", obs("macos", "arm64", cc("cc", Some("/usr/bin/cc"), Some("x86_64-apple-darwin23.0.0"), None)), Status::Skip, "could not tell whether"),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
        }
        let u = judge(&obs(
            "linux",
            "amd64",
            Compiler {
                unknown: Some("not recorded".into()),
                ..cc("/x/cc", None, None, None)
            },
        ));
        assert_eq!(u[0].evidence_value("path"), Some("could not tell"));
        // The fix names the source of CC and nothing else.
        let fixes = |from: CcFrom, c: Compiler| -> Vec<String> {
            let mut o = obs("linux", "amd64", c);
            if let Ok(s) = &mut o.go {
                s.cc_from = from;
            }
            judge(&o)[0]
                .remediation
                .as_ref()
                .into_option()
                .map(|r| r.commands.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default()
        };
        assert_eq!(fixes(CcFrom::Environment, missing()), vec!["unset CC"]);
        assert_eq!(fixes(CcFrom::GoEnvFile, broken()), vec!["go env -u CC"]);
        assert_eq!(
            fixes(CcFrom::GoEnvFile, cross())[0],
            "go env -w CC=x86_64-linux-gnu-gcc"
        );
        assert_eq!(
            fixes(CcFrom::Environment, cross())[0],
            "export CC=x86_64-linux-gnu-gcc"
        );
    }
}
