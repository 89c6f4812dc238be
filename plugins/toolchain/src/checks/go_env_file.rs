//! `toolchain.go-env-file`: every value `go env -w` persisted in the per-user go env file,
//! judged, each with an undo that works on every supported Go.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::util::{
    env_json, host_goos, native_arch, read_env_file, remove_env_line_command, EnvFile, Native,
    NO_GO,
};

inventory::submit! { Check {
    id: "toolchain.go-env-file",
    title: "go env -w leftovers",
    explain: "Reads the per-user go env file that `go env GOENV` names (written by `go env -w`; the environment still wins over it, and it wins over $GOROOT/go.env) the way the go command reads it, and reports every persisted value. A persisted GOARCH/GOOS other than this machine's (a one-off cross-compile left behind) fails; GOFLAGS, CGO_ENABLED=0 and GOROOT warn. Each comes with its exact undo: `go env -u NAME`, except where the go command cannot do it — current Go refuses `go env -u GOROOT` (\"GOROOT cannot be modified\") while still reading a GOROOT line, and `go env -u GOTOOLCHAIN` would first switch to the persisted toolchain — so for those the fix deletes that one line from the file with a portable awk command. If the file's path or contents cannot be read, the check says it could not tell.",
    tags: &["toolchain", "env"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// The go env file.
    pub file: EnvFile,
    pub native: Native,
    /// GOOS of this host.
    pub host_goos: String,
    /// `ctx.facts().os`.
    pub os: String,
    /// Each persisted name's value in this process's environment, if set and not empty.
    pub environment: Vec<(String, String)>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let file = read_env_file(ctx, &env_json(&facts));
    let environment = match &file {
        EnvFile::Read { settings, .. } => settings
            .iter()
            .filter_map(|(k, _)| ctx.env(k).filter(|e| !e.is_empty()).map(|v| (k.clone(), v)))
            .collect(),
        _ => Vec::new(),
    };
    Observations {
        has_go: facts.go.is_some(),
        file,
        native: native_arch(ctx, &facts),
        host_goos: host_goos(facts.os.as_str()),
        os: facts.os.to_string(),
        environment,
    }
}

/// Names `go env -u` cannot remove: the go command refuses to write them (Go src
/// cmd/go/internal/envcmd/env.go, `checkEnvWrite`: "cannot be modified" / "can only be set
/// using the OS environment"), or, for GOTOOLCHAIN, would first switch to the persisted
/// toolchain (cmd/go/internal/toolchain/select.go `Select` exempts only `go env GOTOOLCHAIN`
/// and `go env -w GOTOOLCHAIN=…`).
const NOT_UNSETTABLE: &[&str] = &[
    "GOEXE",
    "GOGCCFLAGS",
    "GOHOSTARCH",
    "GOHOSTOS",
    "GOMOD",
    "GOROOT",
    "GOTELEMETRY",
    "GOTELEMETRYDIR",
    "GOTOOLDIR",
    "GOVERSION",
    "GOWORK",
    "GOENV",
    "GODEBUG",
    "GOTOOLCHAIN",
];

/// The exact commands that remove NAME from the go env file at `path`, then show the result.
pub fn undo(path: &str, name: &str) -> Vec<String> {
    if NOT_UNSETTABLE.contains(&name) {
        match remove_env_line_command(path, name) {
            Some(cmd) => vec![cmd, format!("go env {name}")],
            None => vec![format!("# delete the {name}= line from {path}")],
        }
    } else {
        vec![format!("go env -u {name}"), format!("go env {name}")]
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    let (path, settings) = match &obs.file {
        EnvFile::NoAnswer { reason } => {
            return vec![
                Finding::skip("could not tell which go env file applies").detail(format!(
                    "{reason}, so the file `go env -w` writes to is unknown."
                )),
            ]
        }
        EnvFile::Disabled { goenv } => {
            return vec![Finding::info(format!(
                "GOENV={goenv:?}: the go command reads no go env file"
            ))
            .evidence("GOENV", goenv, "go env -json")]
        }
        EnvFile::Missing { path } => {
            return vec![Finding::pass("no `go env -w` settings persisted")
                .evidence("GOENV", path, "go env GOENV")
                .evidence("file", "does not exist", path)]
        }
        EnvFile::Unreadable { path, error } => {
            return vec![
                Finding::skip(format!("could not read the go env file {path}"))
                    .detail(error.clone())
                    .evidence("GOENV", path, "go env GOENV"),
            ]
        }
        EnvFile::Read { path, settings } => (path, settings),
    };
    if settings.is_empty() {
        return vec![Finding::pass("the go env file sets nothing").evidence(
            "GOENV",
            path,
            "go env GOENV",
        )];
    }
    let host_os = &obs.host_goos;
    let mut findings = Vec::new();
    for (k, v) in settings {
        let overridden = obs
            .environment
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone());
        let base = |f: Finding| {
            let mut f = f
                .evidence(k.as_str(), v.as_str(), format!("{path} (go env -w)"))
                .evidence("GOENV", path, "go env GOENV");
            if let Some(o) = &overridden {
                f = f.evidence(
                    format!("{k} (environment)"),
                    o.as_str(),
                    "environment (wins over the file)",
                );
            }
            f
        };
        let undo = undo(path, k);
        let overridden_note = if overridden.is_some() {
            "; right now the environment overrides it, but any shell without that variable gets it"
        } else {
            ""
        };
        let f = match k.as_str() {
            "GOARCH" => match obs.native.arch() {
                Some(native) if native == v => base(Finding::info(format!(
                    "`go env -w GOARCH={v}` is persisted (this machine's own architecture)"
                )))
                .remediation("Remove it if it is not needed:", undo),
                Some(native) => base(Finding::fail(format!(
                    "`go env -w GOARCH={v}` is persisted: every build targets {v}, not this {native} machine"
                )))
                .detail(format!(
                    "A GOARCH left behind with `go env -w` (often from a one-off cross-compile) \
                     silently makes every `go build`, `go test` and `go run` produce {v} binaries{overridden_note}."
                ))
                .remediation("Remove the persisted value (set GOARCH per command when cross-compiling):", undo),
                None => base(Finding::warn(format!(
                    "`go env -w GOARCH={v}` is persisted: every build targets {v} (could not tell this machine's architecture)"
                )))
                .detail(obs.native.describe())
                .remediation("Remove it unless every build should target it:", undo),
            },
            "GOOS" if v != host_os => base(Finding::fail(format!(
                "`go env -w GOOS={v}` is persisted: every build targets {v}, not {host_os}"
            )))
            .detail(format!("Every `go build`, `go test` and `go run` cross-compiles for {v}{overridden_note}."))
            .remediation("Remove the persisted value:", undo),
            // What needs cgo differs by OS (FACTS.md): on macOS net's system resolver and
            // os/user work without cgo (Go src net/cgo_unix_syscall.go); on Linux they use
            // libc only through cgo.
            "CGO_ENABLED" if v == "0" => base(Finding::warn("`go env -w CGO_ENABLED=0` is persisted: cgo is off for every build"))
                .detail(if obs.os == "macos" {
                    "Packages with C code (sqlite drivers, bindings to system frameworks, …) fail to build or fall back to pure-Go versions. (net's system resolver and os/user do not need cgo on macOS.)"
                } else {
                    "Packages with C code (sqlite drivers, …) fail to build or fall back to pure-Go versions, and net and os/user use their pure-Go implementations instead of the C library's resolver and user lookup."
                })
                .remediation("Remove it unless you mean it:", undo),
            "GOFLAGS" => base(Finding::warn(format!("`go env -w GOFLAGS={v}` is persisted: every go command gets these flags")))
                .detail(format!("GOFLAGS is added to every `go build`, `go test`, `go run`, … (`go help environment`){overridden_note}; a flag left here from one project changes builds in all of them."))
                .remediation("Remove it unless every build should use it:", undo),
            "GOROOT" => base(Finding::warn(format!("`go env -w GOROOT={v}` is persisted")))
                .detail("The go command finds its own GOROOT from where it is installed; a persisted GOROOT overrides that and mixes this release's tools with another's library as soon as another Go is installed (see toolchain.version-goroot). Current Go refuses `go env -u GOROOT` (\"GOROOT cannot be modified\") but still reads the line, so the fix deletes it from the file.")
                .remediation("Delete the GOROOT line from the go env file (works with every Go release):", undo),
            "GOTOOLCHAIN" => base(Finding::info(format!("`go env -w GOTOOLCHAIN={v}` is persisted (see toolchain.gotoolchain)")))
                .remediation("Remove it to get the default from $GOROOT/go.env (GOTOOLCHAIN=auto since Go 1.21):", undo),
            "GOARM64" | "GOAMD64" => base(Finding::info(format!("`go env -w {k}={v}` is persisted (see arch.goarm64)")))
                .remediation("Remove it if it is not meant for every build:", undo),
            _ => base(Finding::info(format!("`go env -w {k}={v}` is persisted")))
                .remediation("Remove it if it is not needed:", undo),
        };
        findings.push(f);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs(file: EnvFile) -> Observations {
        Observations {
            has_go: true,
            file,
            native: Native::known("arm64", "sysctl hw.optional.arm64 = 1"),
            host_goos: "darwin".to_owned(),
            os: "macos".to_owned(),
            environment: Vec::new(),
        }
    }

    const MAC_ENV: &str = "/Users/a/Library/Application Support/go/env";

    fn read(lines: &[(&str, &str)]) -> EnvFile {
        EnvFile::Read {
            path: MAC_ENV.to_owned(),
            settings: lines
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Data → findings. Sources: precedence and file format, FACTS.md and Go src
    /// cmd/go/internal/cfg/cfg.go; GOROOT refusal, FACTS.md and envcmd/env.go checkEnvWrite.
    #[test]
    fn table() {
        let q = "'/Users/a/Library/Application Support/go/env'";
        let tq = "'/Users/a/Library/Application Support/go/env.gohost-tmp'";
        let rows: Vec<(&str, Observations, Vec<Status>, Option<String>)> = vec![
            (
                "no file",
                obs(EnvFile::Missing {
                    path: MAC_ENV.into(),
                }),
                vec![Status::Pass],
                None,
            ),
            ("empty file", obs(read(&[])), vec![Status::Pass], None),
            (
                "foreign GOARCH",
                obs(read(&[("GOARCH", "amd64")])),
                vec![Status::Fail],
                Some("go env -u GOARCH".into()),
            ),
            (
                "own GOARCH",
                obs(read(&[("GOARCH", "arm64")])),
                vec![Status::Info],
                Some("go env -u GOARCH".into()),
            ),
            (
                "foreign GOOS",
                obs(read(&[("GOOS", "linux")])),
                vec![Status::Fail],
                Some("go env -u GOOS".into()),
            ),
            (
                "GOFLAGS",
                obs(read(&[("GOFLAGS", "-mod=mod")])),
                vec![Status::Warn],
                Some("go env -u GOFLAGS".into()),
            ),
            (
                "CGO off",
                obs(read(&[("CGO_ENABLED", "0")])),
                vec![Status::Warn],
                Some("go env -u CGO_ENABLED".into()),
            ),
            // The audit's false fix was `go env -u GOROOT`: Go 1.27 refuses it.
            (
                "GOROOT",
                obs(read(&[("GOROOT", "/usr/local/go")])),
                vec![Status::Warn],
                Some(format!(
                    "awk 'index($0, \"GOROOT=\") != 1' {q} > {tq} && mv {tq} {q}"
                )),
            ),
            (
                "GOTOOLCHAIN",
                obs(read(&[("GOTOOLCHAIN", "go1.22.0")])),
                vec![Status::Info],
                Some(format!(
                    "awk 'index($0, \"GOTOOLCHAIN=\") != 1' {q} > {tq} && mv {tq} {q}"
                )),
            ),
            (
                "two",
                obs(read(&[
                    ("GOARCH", "amd64"),
                    ("GOPROXY", "https://goproxy.cn,direct"),
                ])),
                vec![Status::Fail, Status::Info],
                None,
            ),
            // Missing answers: never pass, never a verdict.
            (
                "no go env answer",
                obs(EnvFile::NoAnswer {
                    reason: "`go env -json` gave no answer".into(),
                }),
                vec![Status::Skip],
                None,
            ),
            (
                "unreadable",
                obs(EnvFile::Unreadable {
                    path: MAC_ENV.into(),
                    error: "not recorded".into(),
                }),
                vec![Status::Skip],
                None,
            ),
            (
                "off",
                obs(EnvFile::Disabled {
                    goenv: "off".into(),
                }),
                vec![Status::Info],
                None,
            ),
        ];
        assert_eq!(rows.len(), 13);
        for (name, o, want, first_cmd) in rows {
            let got = judge(&o);
            assert_eq!(
                got.iter().map(|f| f.status).collect::<Vec<_>>(),
                want,
                "{name}: {got:#?}"
            );
            if let Some(cmd) = first_cmd {
                let fix = got[0].remediation.clone().into_option().expect(name);
                assert_eq!(fix.commands[0].as_str(), cmd, "{name}");
            }
        }
        let mut unknown = obs(read(&[("GOARCH", "amd64")]));
        unknown.native = Native::Unknown {
            reason: "not recorded".into(),
        };
        let got = judge(&unknown);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].status,
            Status::Warn,
            "no definite claim about the machine"
        );
        assert!(!got[0].title.contains("not this"), "{}", got[0].title);
    }

    /// FACTS.md: net's resolver and os/user work without cgo on macOS.
    #[test]
    fn cgo_detail_does_not_claim_linux_behaviour_on_macos() {
        let got = judge(&obs(read(&[("CGO_ENABLED", "0")])));
        assert_eq!(got.len(), 1);
        assert!(
            got[0].detail.contains("do not need cgo on macOS"),
            "{}",
            got[0].detail
        );
    }
}
