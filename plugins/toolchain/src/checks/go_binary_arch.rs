//! `toolchain.go-binary-arch`: the real go binary's architecture against the machine's.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::binary::{BinaryInfo, HEADER_PREFIX};
use crate::discover::{discover_some, GoInstall};
use crate::util::{native_arch, sh_quote, Native, NO_GO};

inventory::submit! { Check {
    id: "toolchain.go-binary-arch",
    title: "The go binary is native",
    explain: "Parses the header of the real go binary behind the first `go` on PATH (Mach-O thin or fat/universal, ELF) and compares its architecture with the machine's native one (on macOS `hw.optional.arm64`, so a translated shell cannot hide Apple Silicon). An x86_64 go on Apple Silicon runs under Rosetta and builds darwin/amd64 by default: fail, with how to replace it — `brew uninstall` only for an Intel Homebrew go (under /usr/local/Cellar), removing /usr/local/go for the go.dev installer, otherwise moving the named binary aside. A foreign ELF on Linux (e.g. arm64 go on x86_64) only runs through emulation: fail. When the binary's header or the machine's architecture cannot be read, it says it could not tell.",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    /// The machine's native architecture (Go names), or why it could not be told.
    pub native: Native,
    /// The first go on PATH, resolved (None: no go).
    pub winner: Option<GoInstall>,
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

/// How to remove an x86_64 go on Apple Silicon, by where it was installed from:
/// - Homebrew's prefix is /usr/local on Intel (and for an x86_64 Homebrew under Rosetta), its
///   kegs under /usr/local/Cellar (FACTS.md, docs.brew.sh/Installation): that brew, run
///   as x86_64, uninstalls it.
/// - The go.dev macOS .pkg installs to /usr/local/go and adds /etc/paths.d/go; uninstalling
///   is deleting both (go.dev/doc/manage-install, "Uninstalling Go"). Homebrew does not own
///   it, so `brew uninstall` would not touch it.
/// - Anything else: move the named binary's install aside (gohost does not guess a manager).
fn removal(real: &str, path: &str) -> String {
    if real.starts_with("/usr/local/Cellar/") || real.starts_with("/usr/local/Homebrew/") {
        "arch -x86_64 /usr/local/bin/brew uninstall go   # the Intel Homebrew go".to_owned()
    } else if real.starts_with("/usr/local/go/") || path.starts_with("/usr/local/go/") {
        "sudo rm -rf /usr/local/go /etc/paths.d/go   # the go.dev installer's x86_64 Go".to_owned()
    } else {
        format!("# move aside the install that provides {}", sh_quote(real))
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(winner) = &obs.winner else {
        return vec![Finding::skip(NO_GO)];
    };
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
                obs.native.describe(),
                obs.native.source(),
            )
            .evidence(
                "go_version",
                winner
                    .version
                    .clone()
                    .unwrap_or_else(|| "unknown".to_owned()),
                "go version",
            )
    };
    if arches.is_empty() {
        return vec![base(Finding::warn(format!(
            "could not tell the architecture of {real}"
        )))
        .remediation("Check it by hand:", [format!("file {}", sh_quote(&real))])];
    }
    let Some(native) = obs.native.arch().map(str::to_owned) else {
        return vec![base(Finding::skip(format!(
            "go is a {} binary; could not tell this machine's native architecture",
            arches.join(", ")
        )))
        .detail(obs.native.describe())];
    };
    let apple_silicon = obs.os == "macos" && native == "arm64";
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
    let arch = arches.join(", ");
    let f = if apple_silicon
        && arches.iter().any(|a| a == "amd64")
        && (real.contains("/.gvm/versions/") || winner.path.contains("/.gvm/versions/"))
    {
        // ~/.gvm/versions/go<version>.<os>.<arch> is andrewkroh/gvm's layout. An amd64 gvm
        // installs Go for its own runtime.GOARCH, so the fix is gvm's own: its darwin/arm64
        // build, or `--arch arm64` / GVM_ARCH=arm64 (https://github.com/andrewkroh/gvm/issues/52,
        // the flag from andrewkroh/gvm#53 as cited there); Homebrew would not replace it.
        base(Finding::fail(
            "go is an x86_64 binary on Apple Silicon, installed by gvm: it runs under Rosetta and builds darwin/amd64 by default",
        ))
        .detail(
            "andrewkroh/gvm installs Go for the architecture gvm itself was built for \
             (runtime.GOARCH), so an amd64 gvm installs and selects darwin/amd64 Go on an M1.",
        )
        .remediation(
            "Have gvm install the arm64 Go (or install gvm's darwin-arm64 build):",
            [
                "eval \"$(gvm --arch arm64 <version>)\"   # or export GVM_ARCH=arm64".to_owned(),
                "file \"$(command -v go)\"   # expect arm64".to_owned(),
                "go env GOARCH   # expect arm64".to_owned(),
            ],
        )
    } else if apple_silicon && arches.iter().any(|a| a == "amd64") {
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
                removal(&real, &winner.path),
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
                format!("file {}", sh_quote(&real)),
                format!("# move aside the install that provides {}", sh_quote(&real)),
                format!("# then install the {} build from https://go.dev/dl/", if obs.os == "macos" { format!("darwin-{native}") } else { format!("linux-{native}") }),
            ],
        )
    };
    vec![f.doc("https://go.dev/dl/")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn install(path: &str, real: &str, arch: &str) -> GoInstall {
        GoInstall {
            path: path.to_owned(),
            canonical: path.to_owned(),
            entry: BinaryInfo::Script {
                interpreter: "/bin/sh".to_owned(),
            },
            goroot: None,
            real: Some(real.to_owned()),
            real_header: Some(BinaryInfo::MachO {
                arch: arch.to_owned(),
            }),
            version: Some("go1.22.1".to_owned()),
            source: "test",
            chain: Vec::new(),
            problem: None,
        }
    }

    fn obs(winner: Option<GoInstall>, native: Native) -> Observations {
        Observations {
            os: "macos".to_owned(),
            native,
            winner,
        }
    }

    fn arm64() -> Native {
        Native::known("arm64", "sysctl hw.optional.arm64 = 1")
    }

    /// Data → findings. Removal commands by install source: Homebrew prefix, FACTS.md
    /// (docs.brew.sh/Installation); the go.dev .pkg at /usr/local/go, go.dev/doc/manage-install.
    #[test]
    fn table() {
        let rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
            ("no go", obs(None, arm64()), Status::Skip, None),
            ("native", obs(Some(install("/opt/homebrew/bin/go", "/opt/homebrew/Cellar/go/1.22.1/libexec/bin/go", "arm64")), arm64()), Status::Pass, None),
            ("intel brew", obs(Some(install("/usr/local/bin/go", "/usr/local/Cellar/go/1.22.1/libexec/bin/go", "amd64")), arm64()), Status::Fail,
                Some("arch -x86_64 /usr/local/bin/brew uninstall go   # the Intel Homebrew go")),
            // The audit: `brew uninstall go` was offered for the go.dev installer.
            ("go.dev pkg", obs(Some(install("/usr/local/go/bin/go", "/usr/local/go/bin/go", "amd64")), arm64()), Status::Fail,
                Some("sudo rm -rf /usr/local/go /etc/paths.d/go   # the go.dev installer's x86_64 Go")),
            ("other", obs(Some(install("/Users/a/sdk/go1.22.1/bin/go", "/Users/a/sdk/go1.22.1/bin/go", "amd64")), arm64()), Status::Fail,
                Some("# move aside the install that provides /Users/a/sdk/go1.22.1/bin/go")),
            // andrewkroh/gvm#52: an amd64 gvm put an amd64 Go in ~/.gvm/versions; gvm's own fix.
            ("andrewkroh gvm", obs(Some(install("/Users/a/.gvm/versions/go1.17.8.darwin.amd64/bin/go", "/Users/a/.gvm/versions/go1.17.8.darwin.amd64/bin/go", "amd64")), arm64()), Status::Fail,
                Some("eval \"$(gvm --arch arm64 <version>)\"   # or export GVM_ARCH=arm64")),
            // Missing machine answer: no verdict either way.
            ("native unknown", obs(Some(install("/usr/local/bin/go", "/usr/local/Cellar/go/1.22.1/libexec/bin/go", "amd64")), Native::Unknown { reason: "not recorded".into() }), Status::Skip, None),
        ];
        assert_eq!(rows.len(), 7);
        for (name, o, want, first_cmd) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
            if let Some(cmd) = first_cmd {
                let fix = got[0].remediation.clone().into_option().expect(name);
                assert_eq!(fix.commands[0].as_str(), cmd, "{name}");
                assert!(
                    fix.commands
                        .iter()
                        .all(|c| !c.contains("brew uninstall") || name == "intel brew"),
                    "{name}"
                );
            }
        }
    }
}
