//! `cgo.enabled`: the effective CGO_ENABLED and the reason cmd/go gives it that value.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::goenv::{cgo_reason, go_env, CgoReason, NoGoEnv};

inventory::submit! { Check {
    id: "cgo.enabled",
    title: "Effective CGO_ENABLED and why",
    explain: "Reads the effective CGO_ENABLED (`go env -json`) and explains it the way cmd/go decides (cmd/go/internal/cfg/cfg.go): the environment wins, then the go env file (`go env -w`), otherwise cgo defaults on only for a native build, and since Go 1.20 off when CC is unset in the environment (a CC in the go env file does not count) and the default compiler (clang on darwin, gcc elsewhere) is not on PATH. Disabled cgo warns with the fix for the actual reason; what it costs differs per OS (Linux: net and os/user fall back to pure Go without NSS; macOS: they keep using the system libraries).",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
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

/// What CGO_ENABLED=0 changes, per OS (Go 1.27.3 source build tags):
/// - Linux: net uses its pure-Go resolver (net/cgo_stub.go `unix && !cgo && !darwin`) and
///   os/user its pure-Go lookup of /etc/passwd and /etc/group (os/user/lookup_unix.go
///   `(!cgo && !darwin) || osusergo`), so NSS sources (LDAP, SSSD, …) are not consulted.
/// - macOS: net (net/cgo_unix_syscall.go `!netgo && darwin`) and os/user
///   (os/user/cgo_lookup_syscall.go `!osusergo && darwin`) call libSystem without cgo, so
///   both behave the same with CGO_ENABLED=0 (FACTS.md, Go 1.20+).
fn without_cgo(macos: bool) -> &'static str {
    if macos {
        "Without cgo, packages with `import \"C\"` (sqlite drivers, C bindings) are not built \
         (their cgo files are excluded, so builds fail or fall back to pure-Go code). On macOS \
         net's system resolver and os/user keep working: since Go 1.20 they call the system \
         libraries without cgo."
    } else {
        "Without cgo, packages with `import \"C\"` (sqlite drivers, C bindings) are not built \
         (their cgo files are excluded, so builds fail or fall back to pure-Go code). On Linux \
         net's resolver and os/user switch to their pure-Go versions, which read \
         /etc/resolv.conf, /etc/hosts, /etc/passwd and /etc/group themselves and skip NSS \
         modules (LDAP, SSSD, systemd's nss plugins)."
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
        // cmd/go/internal/cfg/cfg.go: not set and not cross-compiling → the platform's
        // default (go1.19 does not look for a C compiler at all, so no PATH claim here).
        CgoReason::Default => "the default for a native build (GOOS/GOARCH are the host's)".to_owned(),
        CgoReason::Unknown(e) => format!("could not tell why: the go env file could not be read ({e})"),
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
                // The placeholder is quoted: unquoted, `<…>` would be shell redirections
                // that run and create a file instead of failing visibly.
                vec![format!(
                    "CGO_ENABLED=1 CC='<C compiler for {}>' go build",
                    s.goarch.replace('\'', "")
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
            CgoReason::Default | CgoReason::Unknown(_) => (
                "Check where it comes from:",
                vec!["go env CGO_ENABLED CC GOENV".into()],
            ),
        };
        base(Finding::warn(format!("cgo is disabled: {why}")))
            .detail(without_cgo(macos))
            .remediation(text, cmds)
    };
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs(os: &str, value: &str, reason: CgoReason) -> Observations {
        Observations {
            os: os.into(),
            go: Ok(Seen {
                cgo_enabled: value.into(),
                cc: "cc".into(),
                goos: if os == "macos" { "darwin" } else { "linux" }.into(),
                goarch: "arm64".into(),
                reason,
            }),
        }
    }

    /// Data → findings. Sources: Go src cmd/go/internal/cfg/cfg.go (CGO_ENABLED default,
    /// "starting in Go 1.20" no-compiler rule), FACTS.md; the per-OS detail: net/cgo_stub.go,
    /// net/cgo_unix_syscall.go, os/user/lookup_unix.go, os/user/cgo_lookup_syscall.go (Go
    /// 1.27.3 build tags).
    #[test]
    fn table() {
        let env = || CgoReason::Environment("0".into());
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str, Option<&str>)> = vec![
            ("on", obs("linux", "1", CgoReason::Default), Status::Pass, "cgo is enabled", None),
            ("env", obs("linux", "0", env()), Status::Warn, "set in the environment", Some("unset CGO_ENABLED")),
            ("file", obs("linux", "0", CgoReason::EnvFile("0".into(), "/h/.config/go/env".into())), Status::Warn, "persisted", Some("go env -u CGO_ENABLED")),
            ("no gcc", obs("linux", "0", CgoReason::NoCompiler("gcc".into())), Status::Warn, "`gcc` is not on PATH", Some("sudo apt-get install gcc   # Debian/Ubuntu")),
            ("no clang", obs("macos", "0", CgoReason::NoCompiler("clang".into())), Status::Warn, "`clang` is not on PATH", Some("xcode-select --install")),
            ("cross", obs("linux", "0", CgoReason::CrossCompiling { target: "linux/arm64".into(), host: "linux/amd64".into() }), Status::Warn, "cross-compiling", Some("CGO_ENABLED=1 CC='<C compiler for arm64>' go build")),
            // Section 2: an unreadable go env file is "could not tell why", not a reason.
            ("file unreadable", obs("linux", "0", CgoReason::Unknown("not recorded".into())), Status::Warn, "could not tell why", Some("go env CGO_ENABLED CC GOENV")),
            ("no go", Observations { os: "linux".into(), go: Err(NoGoEnv::NoGo) }, Status::Skip, "no go on PATH", None),
        ];
        for (name, o, status, title, fix) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
            let first = f[0]
                .remediation
                .as_ref()
                .into_option()
                .map(|r| r.commands[0].to_string());
            assert_eq!(first.as_deref(), fix, "{name}");
        }
        // Issue 13: "CGO_ENABLED=0 breaks net's resolver and os/user" is Linux-only.
        let mac = judge(&obs("macos", "0", env()));
        assert!(mac[0].detail.contains("keep working"), "{}", mac[0].detail);
        assert!(!mac[0]
            .detail
            .contains("os/user and net's system resolver on some systems"));
        let linux = judge(&obs("linux", "0", env()));
        assert!(linux[0].detail.contains("pure-Go"), "{}", linux[0].detail);
    }
}
