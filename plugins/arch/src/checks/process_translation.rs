//! `arch.process-translation`: does this process run natively? macOS from
//! `sysctl.proc_translated`, Linux from the ELF header of `/proc/self/exe` against the kernel.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Translation};

use crate::binary::{normalize_arch, BinaryInfo};
use crate::probe::{
    is_compat_pair, is_emulator_path, is_linux, is_macos, linux_exe_arch, mac_cpu, sysctl,
    translation_name, Host, MacCpu, Sysctl, ROSETTA_DOC,
};

inventory::submit! { Check {
    id: "arch.process-translation",
    title: "Process runs natively",
    explain: "macOS: reads `sysctl.proc_translated` (1 = this process runs under Rosetta 2, 0 = native; the oid does not exist on Intel Macs, which is confirmed with `hw.optional.arm64` or an arm64 `uname -m`). A translated process means the shell or gohost binary is x86_64, so tools it starts prefer x86_64 and an x86_64 go builds darwin/amd64 by default: fail, with how to get a native shell. A sysctl answer that is missing or unreadable gives skip (could not tell), never a verdict. Linux: compares the ELF machine of /proc/self/exe with the kernel's `uname -m` and checks whether the image is a qemu-user, FEX, box64 or Rosetta interpreter: a foreign architecture means user-mode emulation, except a 32-bit program on its 64-bit family (386 on amd64, arm on arm64), which the kernel runs natively in the CPU's 32-bit mode.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

#[derive(Debug, Clone, PartialEq, Eq)]
enum Probed {
    Macos {
        proc_translated: Sysctl,
        arm64: Sysctl,
    },
    Linux {
        /// `(header, readlink)` of /proc/self/exe, or why it could not be read.
        exe: Result<(BinaryInfo, Option<String>), String>,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    probed: Probed,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let host = Host::from_facts(&ctx.facts());
    let probed = if is_macos(&host.os) {
        Probed::Macos {
            proc_translated: sysctl(ctx, "sysctl.proc_translated"),
            arm64: sysctl(ctx, "hw.optional.arm64"),
        }
    } else if is_linux(&host.os) {
        Probed::Linux {
            exe: linux_exe_arch(ctx, "self"),
        }
    } else {
        Probed::Other
    };
    Observations { host, probed }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let h = &obs.host;
    match &obs.probed {
        Probed::Macos {
            proc_translated,
            arm64,
        } => vec![macos(h, proc_translated, arm64)],
        Probed::Linux { exe } => vec![linux(h, exe)],
        Probed::Other => vec![Finding::skip(format!(
            "no translation probe for OS `{}`",
            h.os
        ))],
    }
}

fn macos(h: &Host, translated: &Sysctl, arm_raw: &Sysctl) -> Finding {
    let cpu = mac_cpu(arm_raw, h);
    let base = |finding: Finding| {
        finding
            .evidence(
                "sysctl.proc_translated",
                translated.evidence_value(),
                "sysctl sysctl.proc_translated",
            )
            .evidence(
                "hw.optional.arm64",
                arm_raw.evidence_value(),
                "sysctl hw.optional.arm64",
            )
            .evidence("machine", &h.machine, "uname -m")
            .evidence(
                "process_arch",
                &h.process_arch,
                "gohost binary (as compiled)",
            )
    };
    // Apple, "About the Rosetta translation environment": sysctl.proc_translated is 1 for a
    // translated process, 0 for a native one, and does not exist on Intel Macs (FACTS.md).
    match (translated, &cpu) {
        (Sysctl::Value(v), _) if v == "1" => base(Finding::fail(
            "this process runs under Rosetta 2 (x86_64 translated on Apple Silicon)",
        ))
        .detail(
            "sysctl.proc_translated is 1: the kernel is translating this x86_64 process. \
             Everything it starts prefers x86_64 too, so `uname -m` says x86_64, universal \
             tools (clang, make) run as x86_64 and Go builds target darwin/amd64 unless told \
             otherwise. Either the terminal was opened with \"Open using Rosetta\", the shell \
             was started with `arch -x86_64`, or this gohost binary is x86_64-only.",
        )
        .remediation(
            "Open a native arm64 shell (or untick \"Open using Rosetta\" in the terminal app's \
             Get Info window and restart it), check the gohost binary is arm64, and run again.",
            [
                "arch -arm64 /bin/zsh -l",
                "file \"$(command -v gohost)\"",
                "sysctl -n sysctl.proc_translated   # expect 0",
            ],
        )
        .doc(ROSETTA_DOC),
        (Sysctl::Value(v), MacCpu::AppleSilicon(_)) if v == "0" => base(Finding::pass(
            "native arm64 process on Apple Silicon (not translated)",
        ))
        .detail("sysctl.proc_translated is 0: this process runs natively."),
        (Sysctl::Value(v), _) if v == "0" => base(Finding::pass(
            "native process (not translated)",
        ))
        .detail("sysctl.proc_translated is 0: this process runs natively."),
        (Sysctl::Missing, MacCpu::Intel(_)) => base(Finding::pass(
            "native x86_64 process on an Intel Mac (no translation layer)",
        ))
        .detail(
            "sysctl.proc_translated does not exist (it does not on Intel Macs) and \
             hw.optional.arm64 is not 1: this is an Intel Mac, where every x86_64 process is \
             native.",
        ),
        (Sysctl::Missing, MacCpu::AppleSilicon(_)) => base(Finding::warn(
            "Apple Silicon, but sysctl.proc_translated does not exist: translation state unknown",
        ))
        .detail(
            "This is Apple Silicon, yet the kernel has no sysctl.proc_translated oid, which \
             every Apple Silicon macOS provides. The translation state cannot be decided.",
        )
        .remediation(
            "Check by hand from the same terminal:",
            [
                "sysctl sysctl.proc_translated hw.optional.arm64",
                "uname -m",
                "arch",
            ],
        ),
        (Sysctl::Value(v), _) => base(Finding::warn(format!(
            "unexpected sysctl.proc_translated value `{v}`"
        )))
        .remediation(
            "Check by hand from the same terminal:",
            ["sysctl sysctl.proc_translated", "uname -m"],
        ),
        (Sysctl::Unreadable(e), _) => base(Finding::skip(
            "could not tell whether this process is translated: sysctl.proc_translated is unreadable",
        ))
        .detail(e),
        (Sysctl::Missing, MacCpu::Unknown(why)) => base(Finding::skip(
            "could not tell whether this process is translated: sysctl.proc_translated does not exist and the CPU kind is unknown",
        ))
        .detail(why),
    }
}

fn linux(h: &Host, exe: &Result<(BinaryInfo, Option<String>), String>) -> Finding {
    let kernel = normalize_arch(&h.machine);
    let (info, target) = match exe {
        Ok(v) => v,
        Err(e) => {
            return Finding::skip("could not read this process's executable header")
                .detail(e)
                .evidence("machine", &h.machine, "uname -m");
        }
    };
    let process = info.arches().into_iter().next();
    let base = |finding: Finding| {
        finding
            .evidence("machine", &h.machine, "uname -m")
            .evidence("exe_header", info.describe(), "/proc/self/exe (ELF header)")
            .evidence(
                "exe",
                target.clone().unwrap_or_else(|| "unknown".to_owned()),
                "readlink /proc/self/exe",
            )
            .evidence(
                "host_translation",
                translation_name(h.translation),
                &h.translation_evidence,
            )
    };
    let emulator = target.as_deref().is_some_and(is_emulator_path);
    match process {
        Some(p)
            if is_compat_pair(&p, &kernel)
                && !emulator
                && h.translation != Translation::Emulated =>
        {
            // Not emulation: the kernel runs it in the CPU's 32-bit mode (see is_compat_pair).
            base(Finding::info(format!(
                "this process is a 32-bit {p} program on a {kernel} kernel: it runs natively in 32-bit compatibility mode"
            )))
            .detail(
                "A 32-bit program of the kernel's own family runs natively (386 in x86-64 \
                 compatibility mode, arm in AArch32 on CPUs that implement it; Apple chips do \
                 not), not through a binfmt_misc emulator. It is still not the machine's native \
                 64-bit architecture: Go tools and binaries for GOARCH={kernel} are what a Go \
                 developer wants here.",
            )
            .remediation(
                "Use a 64-bit gohost (and Go) for this machine:",
                ["file \"$(command -v gohost)\"".to_owned(), "uname -m".to_owned()],
            )
        }
        Some(p) if p != kernel || emulator || h.translation == Translation::Emulated => {
            base(Finding::fail(format!(
                "this process is a {p} program on a {kernel} kernel: it runs under user-mode emulation"
            )))
            .detail(
                "The executable's ELF machine differs from the kernel's (or its image is a \
                 qemu/FEX/box64/Rosetta interpreter): a binfmt_misc handler is emulating it, \
                 which is many times slower and hides the real machine from Go.",
            )
            .remediation(
                "Run a gohost (and Go) built for this machine's architecture:",
                [
                    "uname -m".to_owned(),
                    "ls /proc/sys/fs/binfmt_misc/".to_owned(),
                    "file \"$(command -v gohost)\"".to_owned(),
                ],
            )
        }
        Some(p) => base(Finding::pass(format!(
            "native process: its {p} executable matches the {kernel} kernel"
        ))),
        None => base(Finding::warn(format!(
            "could not tell this process's architecture ({})",
            info.describe()
        )))
        .remediation("Check the executable by hand:", ["file /proc/self/exe"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn mac(machine: &str, t: Translation, translated: Sysctl, arm64: Sysctl) -> Observations {
        Observations {
            host: Host {
                os: "macos".into(),
                machine: machine.into(),
                process_arch: if machine == "arm64" {
                    "aarch64"
                } else {
                    "x86_64"
                }
                .into(),
                translation: t,
                translation_evidence: String::new(),
            },
            probed: Probed::Macos {
                proc_translated: translated,
                arm64,
            },
        }
    }

    fn linux(machine: &str, exe: &str, target: &str, t: Translation) -> Observations {
        Observations {
            host: Host {
                os: "linux".into(),
                machine: machine.into(),
                process_arch: machine.into(),
                translation: t,
                translation_evidence: String::new(),
            },
            probed: Probed::Linux {
                exe: Ok((
                    BinaryInfo::Elf { arch: exe.into() },
                    Some(target.to_owned()),
                )),
            },
        }
    }

    /// Data → findings. Sources: Apple "About the Rosetta translation environment"
    /// (sysctl.proc_translated 1/0/absent on Intel), fixtures/macos m1-sysctl-proc-translated-
    /// arch-both.txt and intel-sysctl-proc-translated-unknown-oid.txt; the compat rows: Linux
    /// CONFIG_IA32_EMULATION / arm64 CONFIG_COMPAT (see probe::is_compat_pair).
    #[test]
    fn table() {
        use Sysctl::{Missing, Unreadable, Value};
        let v = |s: &str| Value(s.into());
        let nr = || Unreadable("not recorded in the snapshot".into());
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            (
                "rosetta",
                mac("x86_64", Translation::Rosetta, v("1"), v("1")),
                Status::Fail,
                "under Rosetta 2",
            ),
            (
                "native m1",
                mac("arm64", Translation::Native, v("0"), v("1")),
                Status::Pass,
                "native arm64 process on Apple Silicon",
            ),
            (
                "intel",
                mac("x86_64", Translation::Native, Missing, Missing),
                Status::Pass,
                "Intel Mac",
            ),
            (
                "apple, no oid",
                mac("arm64", Translation::Native, Missing, v("1")),
                Status::Warn,
                "translation state unknown",
            ),
            // Issue 13 section 2: missing answers are never a verdict.
            (
                "translated unrecorded",
                mac("arm64", Translation::Native, nr(), v("1")),
                Status::Skip,
                "could not tell",
            ),
            (
                "intel, arm64 unrecorded",
                mac("x86_64", Translation::Native, Missing, nr()),
                Status::Skip,
                "could not tell",
            ),
            (
                "m1, arm64 unrecorded",
                mac("arm64", Translation::Native, v("0"), nr()),
                Status::Pass,
                "native arm64 process on Apple Silicon",
            ),
            (
                "m1, no oid, arm64 unrecorded",
                mac("arm64", Translation::Native, Missing, nr()),
                Status::Warn,
                "translation state unknown",
            ),
            (
                "odd value",
                mac("arm64", Translation::Native, v("7"), v("1")),
                Status::Warn,
                "unexpected",
            ),
            (
                "linux native",
                linux("x86_64", "amd64", "/usr/bin/gohost", Translation::Native),
                Status::Pass,
                "native process",
            ),
            (
                "linux qemu",
                linux(
                    "aarch64",
                    "amd64",
                    "/usr/bin/qemu-x86_64-static",
                    Translation::Native,
                ),
                Status::Fail,
                "user-mode emulation",
            ),
            (
                "linux foreign",
                linux("x86_64", "arm64", "/usr/bin/gohost", Translation::Native),
                Status::Fail,
                "user-mode emulation",
            ),
            // Issue 13: 32-bit on its own 64-bit family is not emulation.
            (
                "linux 386 on amd64",
                linux("x86_64", "386", "/usr/bin/gohost", Translation::Native),
                Status::Info,
                "32-bit compatibility mode",
            ),
            (
                "linux arm on arm64",
                linux("aarch64", "arm", "/usr/bin/gohost", Translation::Native),
                Status::Info,
                "32-bit compatibility mode",
            ),
            (
                "linux arm under qemu",
                linux("aarch64", "arm", "/usr/bin/qemu-arm", Translation::Native),
                Status::Fail,
                "user-mode emulation",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
            // No evidence presents a missing answer as a value.
            for e in &f[0].evidence {
                if e.value.contains("not recorded") {
                    assert!(e.value.starts_with("unreadable:"), "{name}: {e:?}");
                }
            }
        }
        let unread = judge(&Observations {
            host: linux("x86_64", "amd64", "x", Translation::Native).host,
            probed: Probed::Linux {
                exe: Err("/proc/self/exe: not recorded".into()),
            },
        });
        assert_eq!(unread[0].status, Status::Skip);
    }
}
