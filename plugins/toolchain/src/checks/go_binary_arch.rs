//! `toolchain.go-binary-arch`: the real go binary's architecture against the machine's.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::binary::{BinaryInfo, HEADER_PREFIX};
use crate::discover::{discover_some, GoInstall};
use crate::util::{native_arch, NO_GO};

inventory::submit! { Check {
    id: "toolchain.go-binary-arch",
    title: "The go binary is native",
    explain: "Parses the header of the real go binary behind the first `go` on PATH (Mach-O thin or fat/universal, ELF) and compares its architecture with the machine's native one (on macOS `hw.optional.arm64`, so a translated shell cannot hide Apple Silicon). An x86_64 go on Apple Silicon runs under Rosetta and builds darwin/amd64 by default: fail, with how to install an arm64 Go. A foreign ELF on Linux (e.g. arm64 go on x86_64) only runs through emulation: fail.",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    /// The machine's native architecture (Go names).
    pub native: String,
    /// The first go on PATH, resolved (None: no go).
    pub winner: Option<GoInstall>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let winner = discover_some(ctx, 1, false).into_iter().next();
    Observations {
        os: facts.os.to_string(),
        native: native_arch(ctx, &facts),
        winner,
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(winner) = &obs.winner else {
        return vec![Finding::skip(NO_GO)];
    };
    let native = obs.native.clone();
    let apple_silicon = obs.os == "macos" && native == "arm64";
    let Some(header) = winner.real_header.clone().or_else(|| match &winner.entry {
        BinaryInfo::Script { .. } | BinaryInfo::Unknown { .. } => None,
        other => Some(other.clone()),
    }) else {
        return vec![Finding::skip(format!(
            "could not read the real go binary behind {}",
            winner.path
        ))
        .detail(winner.problem.clone().unwrap_or_default())
        .evidence("entry", winner.entry.describe(), &winner.canonical)];
    };
    let arches = header.arches();
    let real = winner
        .real
        .clone()
        .unwrap_or_else(|| winner.canonical.clone());
    let base = |f: Finding| {
        f.evidence("go", &winner.path, "which go")
            .evidence("real_binary", &real, "realpath / go env GOROOT")
            .evidence(
                "header",
                header.describe(),
                format!("{real} (first {HEADER_PREFIX} bytes)"),
            )
            .evidence(
                "machine_native_arch",
                &native,
                if apple_silicon {
                    "sysctl hw.optional.arm64"
                } else {
                    "uname -m"
                },
            )
            .evidence(
                "go_version",
                winner.version.clone().unwrap_or_default(),
                "go version",
            )
    };
    if arches.contains(&native) {
        let mut f = base(Finding::pass(format!(
            "go is a native {native} binary ({})",
            header.describe()
        )));
        if arches.len() > 1 {
            f = f.detail("A universal binary: macOS runs its native slice.");
        }
        return vec![f];
    }
    if arches.is_empty() {
        return vec![base(Finding::warn(format!(
            "could not tell the architecture of {real}"
        )))
        .remediation("Check it by hand:", [format!("file {real}")])];
    }
    let arch = arches.join(", ");
    let f = if apple_silicon && arches.iter().any(|a| a == "amd64") {
        base(Finding::fail(
            "go is an x86_64 binary on Apple Silicon: it runs under Rosetta and builds darwin/amd64 by default",
        ))
        .detail(
            "An x86_64 go (typically from an Intel Homebrew in /usr/local or an amd64 .pkg) runs \
             translated, defaults GOARCH/GOHOSTARCH to amd64, so everything it builds and tests \
             is x86_64 too — slower, and not what ships on Apple Silicon.",
        )
        .remediation(
            "Replace it with an arm64 Go and make sure it comes first on PATH:",
            [
                if real.starts_with("/usr/local/Cellar/") || winner.path.starts_with("/usr/local/") {
                    "arch -x86_64 /usr/local/bin/brew uninstall go   # remove the Intel Homebrew go".to_owned()
                } else {
                    format!("# remove or move aside {real}")
                },
                "/opt/homebrew/bin/brew install go   # arm64 Homebrew; or the darwin-arm64 .pkg from https://go.dev/dl/".to_owned(),
                "export PATH=\"/opt/homebrew/bin:$PATH\"".to_owned(),
                "file \"$(command -v go)\"   # expect arm64".to_owned(),
                "go env GOARCH   # expect arm64".to_owned(),
            ],
        )
    } else {
        base(Finding::fail(format!(
            "go is a {arch} binary but this machine is {native}: it only runs under emulation, if at all"
        )))
        .detail(
            "A foreign-architecture go either fails to start (exec format error) or runs \
             through a binfmt_misc/qemu or Rosetta interpreter, many times slower, and \
             defaults to building for its own architecture.",
        )
        .remediation(
            format!("Install a {native} Go and put it first on PATH:"),
            [
                format!("file {real}"),
                format!("# remove or move aside {real}"),
                format!("# then install the {} build from https://go.dev/dl/", if obs.os == "macos" { format!("darwin-{native}") } else { format!("linux-{native}") }),
            ],
        )
    };
    vec![f.doc("https://go.dev/dl/")]
}
