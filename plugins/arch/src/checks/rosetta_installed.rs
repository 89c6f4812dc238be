//! `arch.rosetta-installed`: on Apple Silicon, whether Rosetta 2's runtime exists (x86_64
//! programs then run translated, silently).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::probe::{apple_silicon, is_macos, sysctl, Host, Sysctl, ROSETTA_DOC, ROSETTA_RUNTIME};

inventory::submit! { Check {
    id: "arch.rosetta-installed",
    title: "Rosetta 2 installed",
    explain: "On Apple Silicon, checks whether Rosetta 2's runtime (/Library/Apple/usr/libexec/oah/libRosettaRuntime) exists. When it does, x86_64 programs (an Intel Homebrew, an x86_64 go) run silently translated; when it does not, they cannot run at all. Informational; skipped on Intel Macs and Linux.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run,
} }

/// What `lstat` of the Rosetta runtime said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Runtime {
    Exists,
    NotFound,
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    /// Only probed on macOS.
    arm64: Option<Sysctl>,
    /// Only probed on Apple Silicon.
    runtime: Option<Runtime>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let host = Host::from_facts(&ctx.facts());
    if !is_macos(&host.os) {
        return Observations {
            host,
            arm64: None,
            runtime: None,
        };
    }
    let arm64 = sysctl(ctx, "hw.optional.arm64");
    let runtime =
        (apple_silicon(&arm64) == Some(true)).then(|| match ctx.file_info(ROSETTA_RUNTIME) {
            Ok(_) => Runtime::Exists,
            Err(e) if e.kind == ProbeErrorKind::NotFound => Runtime::NotFound,
            Err(e) => Runtime::Unreadable(e.to_string()),
        });
    Observations {
        host,
        arm64: Some(arm64),
        runtime,
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(arm_raw) = obs.arm64.as_ref().filter(|_| is_macos(&obs.host.os)) else {
        return vec![Finding::skip(
            "Rosetta 2 is a macOS component (Rosetta for Linux shows up in arch.binfmt-emulation)",
        )];
    };
    match apple_silicon(arm_raw) {
        Some(false) => {
            return vec![
                Finding::skip("Intel Mac: Rosetta 2 does not apply").evidence(
                    "hw.optional.arm64",
                    arm_raw.evidence_value(),
                    "sysctl hw.optional.arm64",
                ),
            ]
        }
        None => {
            return vec![
                Finding::skip("could not tell whether this is Apple Silicon").evidence(
                    "hw.optional.arm64",
                    arm_raw.evidence_value(),
                    "sysctl hw.optional.arm64",
                ),
            ]
        }
        Some(true) => {}
    }
    match &obs.runtime {
        Some(Runtime::Exists) => {
            vec![Finding::info("Rosetta 2 is installed: x86_64 programs run translated, silently")
            .detail(
                "With Rosetta installed an x86_64 `go`, Homebrew or terminal keeps working, just \
                 translated, so nothing tells you it is not native. The other arch and toolchain \
                 checks look for exactly that.",
            )
            .evidence("runtime", ROSETTA_RUNTIME, "file exists (lstat)")
            .evidence("hw.optional.arm64", arm_raw.evidence_value(), "sysctl hw.optional.arm64")
            .doc(ROSETTA_DOC)]
        }
        Some(Runtime::NotFound) => vec![Finding::info(
            "Rosetta 2 is not installed: x86_64 programs cannot run at all",
        )
        .detail(
            "Nothing can run translated by accident. Install Rosetta only if you need an \
             x86_64 tool.",
        )
        .evidence("runtime", format!("{ROSETTA_RUNTIME}: not found"), "lstat")
        .remediation(
            "Only if you need to run x86_64 programs:",
            ["softwareupdate --install-rosetta --agree-to-license"],
        )
        .doc(ROSETTA_DOC)],
        Some(Runtime::Unreadable(e)) => {
            vec![Finding::skip("could not check for the Rosetta runtime")
                .detail(format!("{ROSETTA_RUNTIME}: {e}"))]
        }
        None => vec![Finding::skip("could not check for the Rosetta runtime")],
    }
}
