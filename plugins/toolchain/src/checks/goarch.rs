//! `toolchain.goarch`: the effective GOOS/GOARCH against this machine, and where a
//! difference comes from.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::util::{env_json, env_str, host_goos, native_arch, Native, NO_GO};

inventory::submit! { Check {
    id: "toolchain.goarch",
    title: "go builds for this machine",
    explain: "Compares the effective GOOS/GOARCH (`go env -json`) with this machine's native target and says where a difference comes from: GOARCH/GOOS exported in the environment (warn, with `unset`), a `go env -w` value (see toolchain.go-env-file) or the go binary's own architecture, GOHOSTARCH (see toolchain.go-binary-arch).",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// GOOS, GOARCH, GOHOSTARCH from `go env -json`.
    pub goos: Option<String>,
    pub goarch: Option<String>,
    pub hostarch: Option<String>,
    pub native: Native,
    /// Whether `go env -json` was answered at all.
    pub env_answered: bool,
    pub host_goos: String,
    /// GOARCH / GOOS in this process's environment (non-empty).
    pub env_goarch: Option<String>,
    pub env_goos: Option<String>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    Observations {
        has_go: facts.go.is_some(),
        goos: env_str(&env, "GOOS"),
        goarch: env_str(&env, "GOARCH"),
        hostarch: env_str(&env, "GOHOSTARCH"),
        native: native_arch(ctx, &facts),
        env_answered: env.is_some(),
        host_goos: host_goos(facts.os.as_str()),
        env_goarch: ctx.env("GOARCH").filter(|v| !v.is_empty()),
        env_goos: ctx.env("GOOS").filter(|v| !v.is_empty()),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    if !obs.env_answered {
        return vec![Finding::skip(
            "could not tell what go builds for: `go env -json` gave no answer",
        )];
    }
    let (Some(goos), Some(goarch)) = (obs.goos.clone(), obs.goarch.clone()) else {
        return vec![Finding::skip("`go env -json` has no GOOS/GOARCH")];
    };
    let hostarch = obs.hostarch.clone().unwrap_or_default();
    let Some(native) = obs.native.arch().map(str::to_owned) else {
        return vec![Finding::skip(format!(
            "go builds for {goos}/{goarch}; could not tell this machine's native architecture"
        ))
        .detail(obs.native.describe())
        .evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")];
    };
    let host_os = obs.host_goos.clone();
    let from_env_arch = obs.env_goarch.clone();
    let from_env_os = obs.env_goos.clone();
    let base = |f: Finding| {
        f.evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")
            .evidence("GOHOSTARCH", &hostarch, "go env -json")
            .evidence("machine_native_arch", &native, obs.native.source())
            .evidence(
                "GOARCH (environment)",
                from_env_arch.clone().unwrap_or_else(|| "unset".to_owned()),
                "environment",
            )
    };
    let f = if goarch == native && goos == host_os {
        base(Finding::pass(format!(
            "go builds for {goos}/{goarch}, this machine's native target"
        )))
    } else if from_env_arch.is_some() || from_env_os.is_some() {
        base(Finding::warn(format!(
            "GOOS/GOARCH={goos}/{goarch} from the environment: every build cross-compiles (this machine is {host_os}/{native})"
        )))
        .detail(
            "Fine for a deliberate cross-compile; a GOARCH exported in a shell profile makes \
             every `go test` and `go run` build for another machine.",
        )
        .remediation(
            "Unset them (and remove the export from your shell profile) unless you are cross-compiling on purpose:",
            ["unset GOARCH GOOS", "go env GOARCH"],
        )
    } else if host_os == "linux" && hostarch == "arm" && native == "arm64" {
        // A 32-bit linux/arm Go on an aarch64 kernel runs, but cgo passes `-marm` to the
        // system gcc ($GOROOT/src/cmd/go/internal/work/exec.go, gccArchArgs: `case "arm":
        // return []string{"-marm"}`, Go 1.27.3), and an aarch64 gcc rejects that option
        // ("unrecognized command-line option '-marm'", https://github.com/dundee/gdu/issues/291).
        base(Finding::warn(format!(
            "a 32-bit {goos}/{hostarch} Go on this 64-bit (aarch64) kernel: builds target 32-bit arm and cgo fails with the system's aarch64 gcc"
        )))
        .detail(
            "cmd/go passes `-marm` to gcc for GOARCH=arm; an aarch64 gcc rejects it \
             (\"unrecognized command-line option '-marm'\").",
        )
        .remediation(
            "Install the linux-arm64 Go (go<version>.linux-arm64.tar.gz from https://go.dev/dl/) in place of the linux-armv6l one:",
            ["go version", "uname -m"],
        )
    } else if !hostarch.is_empty() && hostarch != native {
        base(Finding::info(format!(
            "go defaults to {goarch} because the go binary itself is {hostarch} (see toolchain.go-binary-arch)"
        )))
    } else if hostarch.is_empty() {
        base(Finding::warn(format!(
            "go builds for {goos}/{goarch}, not this machine's {host_os}/{native}; could not tell why (no GOHOSTARCH answer)"
        )))
        .remediation("See where it comes from:", ["go env GOOS GOARCH GOHOSTARCH GOENV"])
    } else {
        // Not the environment and not the binary: the go env file is the remaining source
        // of a GOOS/GOARCH (precedence environment > go env file > $GOROOT/go.env, FACTS.md).
        base(Finding::warn(format!(
            "go builds for {goos}/{goarch}, not this machine's {host_os}/{native}: a `go env -w` setting (see toolchain.go-env-file)"
        )))
        .remediation("See and remove the persisted setting:", ["cat \"$(go env GOENV)\"", "go env -u GOARCH", "go env -u GOOS"])
    };
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs() -> Observations {
        Observations {
            has_go: true,
            goos: Some("darwin".into()),
            goarch: Some("arm64".into()),
            hostarch: Some("arm64".into()),
            native: Native::known("arm64", "sysctl hw.optional.arm64 = 1"),
            env_answered: true,
            host_goos: "darwin".into(),
            env_goarch: None,
            env_goos: None,
        }
    }

    /// Data → findings; precedence environment > go env file > go.env from FACTS.md.
    #[test]
    fn table() {
        let mut rows: Vec<(&str, Observations, Status)> = vec![("native", obs(), Status::Pass)];
        let mut o = obs();
        o.goarch = Some("amd64".into());
        o.env_goarch = Some("amd64".into());
        rows.push(("exported", o, Status::Warn));
        let mut o = obs();
        o.goarch = Some("amd64".into());
        o.hostarch = Some("amd64".into());
        rows.push(("rosetta go", o, Status::Info));
        // dundee/gdu#291: go1.21.5 linux/arm on an aarch64 Pi 5 kernel; cgo's `-marm`
        // (cmd/go/internal/work/exec.go gccArchArgs) meets an aarch64 gcc.
        let mut o = obs();
        o.goos = Some("linux".into());
        o.goarch = Some("arm".into());
        o.hostarch = Some("arm".into());
        o.host_goos = "linux".into();
        o.native = Native::known("arm64", "uname -m = aarch64");
        rows.push(("32-bit arm go on aarch64 linux", o, Status::Warn));
        let mut o = obs();
        o.goarch = Some("amd64".into());
        rows.push(("persisted", o, Status::Warn));
        let mut o = obs();
        o.native = Native::Unknown {
            reason: "not recorded".into(),
        };
        rows.push(("native unknown", o, Status::Skip));
        let mut o = obs();
        o.env_answered = false;
        o.goos = None;
        o.goarch = None;
        rows.push(("no go env", o, Status::Skip));
        let mut o = obs();
        o.has_go = false;
        rows.push(("no go", o, Status::Skip));
        assert_eq!(rows.len(), 8);
        for (name, o, want) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
        }
    }
}
