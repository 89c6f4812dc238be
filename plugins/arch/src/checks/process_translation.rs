//! `arch.process-translation`: does this process run natively? macOS from
//! `sysctl.proc_translated`, Linux from the ELF header of `/proc/self/exe` against the kernel.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Translation};

use crate::binary::{normalize_arch, BinaryInfo};
use crate::probe::{
    apple_silicon, is_emulator_path, is_linux, is_macos, linux_exe_arch, sysctl, translation_name,
    Host, Sysctl, ROSETTA_DOC,
};

inventory::submit! { Check {
    id: "arch.process-translation",
    title: "Process runs natively",
    explain: "macOS: reads `sysctl.proc_translated` (1 = this process runs under Rosetta 2, 0 = native; the oid does not exist on Intel Macs, which is confirmed with `hw.optional.arm64`). A translated process means the shell or gohost binary is x86_64, so tools it starts prefer x86_64 and Go defaults can end up darwin/amd64: fail, with how to get a native shell. Linux: compares the ELF machine of /proc/self/exe with the kernel's `uname -m` and checks whether the image is a qemu-user or Rosetta interpreter: a mismatch means user-mode emulation.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run,
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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
    let arm = apple_silicon(arm_raw);
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
    match (translated, arm) {
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
        (Sysctl::Value(v), _) if v == "0" => base(Finding::pass(
            "native arm64 process on Apple Silicon (not translated)",
        ))
        .detail("sysctl.proc_translated is 0: this process runs natively."),
        (Sysctl::Missing, Some(false)) => base(Finding::pass(
            "native x86_64 process on an Intel Mac (no translation layer)",
        ))
        .detail(
            "sysctl.proc_translated does not exist (it does not on Intel Macs) and \
             hw.optional.arm64 is not 1: this is an Intel Mac, where every x86_64 process is \
             native.",
        ),
        (Sysctl::Missing, Some(true)) => base(Finding::warn(
            "Apple Silicon, but sysctl.proc_translated does not exist: translation state unknown",
        ))
        .detail(
            "hw.optional.arm64 is 1 yet the kernel has no sysctl.proc_translated oid, which \
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
        (Sysctl::Unreadable(_), _) | (Sysctl::Missing, None) => {
            let reason = match (translated, arm_raw) {
                (Sysctl::Unreadable(e), _) | (_, Sysctl::Unreadable(e)) => e.clone(),
                _ => translated.evidence_value(),
            };
            base(Finding::skip("could not read sysctl.proc_translated")).detail(reason)
        }
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
        Some(p) if p != kernel || emulator || h.translation == Translation::Emulated => {
            base(Finding::fail(format!(
                "this process is a {p} program on a {kernel} kernel: it runs under user-mode emulation"
            )))
            .detail(
                "The executable's ELF machine differs from the kernel's (or its image is a \
                 qemu/Rosetta interpreter): a binfmt_misc handler is emulating it, which is \
                 many times slower and hides the real machine from Go.",
            )
            .remediation(
                "Run a gohost (and Go) built for this machine's architecture:",
                [
                    format!("uname -m   # {}", h.machine),
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
