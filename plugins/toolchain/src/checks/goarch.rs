//! `toolchain.goarch`: the effective GOOS/GOARCH against this machine, and where a
//! difference comes from.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::util::{env_json, env_str, host_goos, native_arch, NO_GO};

inventory::submit! { Check {
    id: "toolchain.goarch",
    title: "go builds for this machine",
    explain: "Compares the effective GOOS/GOARCH (`go env -json`) with this machine's native target and says where a difference comes from: GOARCH/GOOS exported in the environment (warn, with `unset`), a `go env -w` value (see toolchain.go-env-file) or the go binary's own architecture, GOHOSTARCH (see toolchain.go-binary-arch).",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// GOOS, GOARCH, GOHOSTARCH from `go env -json`.
    pub goos: Option<String>,
    pub goarch: Option<String>,
    pub hostarch: Option<String>,
    pub native: String,
    pub host_goos: String,
    /// GOARCH / GOOS in this process's environment (non-empty).
    pub env_goarch: Option<String>,
    pub env_goos: Option<String>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
        host_goos: host_goos(facts.os.as_str()),
        env_goarch: ctx.env("GOARCH").filter(|v| !v.is_empty()),
        env_goos: ctx.env("GOOS").filter(|v| !v.is_empty()),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    let (Some(goos), Some(goarch)) = (obs.goos.clone(), obs.goarch.clone()) else {
        return vec![Finding::skip("`go env -json` has no GOOS/GOARCH")];
    };
    let hostarch = obs.hostarch.clone().unwrap_or_default();
    let native = obs.native.clone();
    let host_os = obs.host_goos.clone();
    let from_env_arch = obs.env_goarch.clone();
    let from_env_os = obs.env_goos.clone();
    let base = |f: Finding| {
        f.evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")
            .evidence("GOHOSTARCH", &hostarch, "go env -json")
            .evidence(
                "machine_native_arch",
                &native,
                "uname -m / sysctl hw.optional.arm64",
            )
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
            "Fine for a deliberate cross-compile; a GOARCH exported in a shell profile makes              every `go test` and `go run` build for another machine.",
        )
        .remediation(
            "Unset them (and remove the export from your shell profile) unless you are cross-compiling on purpose:",
            ["unset GOARCH GOOS", "go env GOARCH"],
        )
    } else if hostarch != native {
        base(Finding::info(format!(
            "go defaults to {goarch} because the go binary itself is {hostarch} (see toolchain.go-binary-arch)"
        )))
    } else {
        base(Finding::info(format!(
            "go builds for {goos}/{goarch} because of a persisted setting (see toolchain.go-env-file)"
        )))
    };
    vec![f]
}
