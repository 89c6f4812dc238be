//! `arch.rosetta-installed`: on Apple Silicon, whether Rosetta 2's runtime exists (x86_64
//! programs then run translated, silently).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::probe::{is_macos, mac_cpu, sysctl, Host, MacCpu, Sysctl, ROSETTA_DOC, ROSETTA_RUNTIME};

inventory::submit! { Check {
    id: "arch.rosetta-installed",
    title: "Rosetta 2 installed",
    explain: "On Apple Silicon, checks whether Rosetta 2's runtime (/Library/Apple/usr/libexec/oah/libRosettaRuntime) exists. When it does, x86_64 programs (an Intel Homebrew, an x86_64 go) run silently translated; when it does not, they cannot run at all. Informational; skipped on Intel Macs and Linux.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
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
    let apple = matches!(mac_cpu(&arm64, &host), MacCpu::AppleSilicon(_));
    let runtime = apple.then(|| match ctx.file_info(ROSETTA_RUNTIME) {
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
    let arm_evidence = |f: Finding| {
        f.evidence(
            "hw.optional.arm64",
            arm_raw.evidence_value(),
            "sysctl hw.optional.arm64",
        )
    };
    match mac_cpu(arm_raw, &obs.host) {
        MacCpu::Intel(why) => {
            return vec![
                arm_evidence(Finding::skip("Intel Mac: Rosetta 2 does not apply")).detail(why),
            ]
        }
        MacCpu::Unknown(why) => {
            return vec![arm_evidence(Finding::skip(
                "could not tell whether this is Apple Silicon",
            ))
            .detail(why)]
        }
        MacCpu::AppleSilicon(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::{Status, Translation};

    fn obs(machine: &str, arm64: Sysctl, runtime: Option<Runtime>) -> Observations {
        Observations {
            host: Host {
                os: "macos".into(),
                machine: machine.into(),
                process_arch: machine.into(),
                translation: Translation::Native,
                translation_evidence: String::new(),
            },
            arm64: Some(arm64),
            runtime,
        }
    }

    /// Data → findings. The runtime path: Apple, "About the Rosetta translation environment"
    /// (Rosetta installs on demand); Intel has no hw.optional.arm64 (fixtures/README.md).
    #[test]
    fn table() {
        let one = Sysctl::Value("1".into());
        let nr = Sysctl::Unreadable("not recorded".into());
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            (
                "installed",
                obs("arm64", one.clone(), Some(Runtime::Exists)),
                Status::Info,
                "is installed",
            ),
            (
                "not installed",
                obs("arm64", one.clone(), Some(Runtime::NotFound)),
                Status::Info,
                "not installed",
            ),
            (
                "runtime unreadable",
                obs(
                    "arm64",
                    one.clone(),
                    Some(Runtime::Unreadable("not recorded".into())),
                ),
                Status::Skip,
                "could not check",
            ),
            (
                "intel",
                obs("x86_64", Sysctl::Missing, None),
                Status::Skip,
                "Intel Mac",
            ),
            // Issue 13 section 2: an unrecorded hw.optional.arm64 on an x86_64 view is unknown.
            (
                "unknown cpu",
                obs("x86_64", nr.clone(), None),
                Status::Skip,
                "could not tell",
            ),
            (
                "arm64 machine, sysctl unrecorded",
                obs("arm64", nr, Some(Runtime::NotFound)),
                Status::Info,
                "not installed",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
        }
        let linux = Observations {
            host: Host {
                os: "linux".into(),
                ..obs("x86_64", Sysctl::Missing, None).host
            },
            arm64: None,
            runtime: None,
        };
        assert_eq!(judge(&linux)[0].status, Status::Skip);
    }
}
