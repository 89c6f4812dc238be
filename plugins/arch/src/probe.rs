//! What several `arch` checks read the same way: sysctls as answer/absent/unreadable, the
//! Apple-Silicon question, a Linux process's executable header, emulator interpreters.

use gohost_plugin_api::{Ctx, Facts, ProbeErrorKind, Translation};

use crate::binary::{normalize_arch, parse_header, BinaryInfo, HEADER_PREFIX};

/// Where Rosetta 2's runtime lives once installed.
pub const ROSETTA_RUNTIME: &str = "/Library/Apple/usr/libexec/oah/libRosettaRuntime";
/// `P_TRANSLATED` in XNU's `<sys/proc.h>`: the process runs translated (shown by `ps -o flags`).
pub const P_TRANSLATED: u64 = 0x0002_0000;

pub(crate) const ROSETTA_DOC: &str = "https://developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment";

pub(crate) fn is_macos(os: &str) -> bool {
    os == "macos"
}

pub(crate) fn is_linux(os: &str) -> bool {
    os == "linux"
}

pub(crate) fn translation_name(t: Translation) -> &'static str {
    match t {
        Translation::Native => "native",
        Translation::Rosetta => "rosetta",
        Translation::Emulated => "emulated",
        Translation::Unknown => "unknown",
    }
}

/// A sysctl read as the three states a check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sysctl {
    Value(String),
    /// The oid does not exist (`unknown oid`).
    Missing,
    /// Could not be read for another reason (replay without a record, permission, …).
    Unreadable(String),
}

pub(crate) fn sysctl(ctx: &Ctx<'_>, name: &str) -> Sysctl {
    match ctx.sysctl(name) {
        Ok(v) => Sysctl::Value(v.trim().to_owned()),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Sysctl::Missing,
        Err(e) => Sysctl::Unreadable(e.to_string()),
    }
}

impl Sysctl {
    pub(crate) fn evidence_value(&self) -> String {
        match self {
            Sysctl::Value(v) => v.clone(),
            Sysctl::Missing => "unknown oid".to_owned(),
            Sysctl::Unreadable(e) => format!("unreadable: {e}"),
        }
    }
}

/// What kind of CPU a Mac has, and what that was decided from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MacCpu {
    AppleSilicon(String),
    Intel(String),
    /// The decisive answers are missing: could not tell.
    Unknown(String),
}

/// Apple Silicon or Intel, from every answer that can tell, never from an absence alone
/// (issue 13 section 2, FACTS.md "A missing or unreadable probe answer is not evidence"):
/// - `uname -m` = arm64 or an arm64 gohost: only an arm64 CPU runs arm64 code;
/// - the host's translation verdict Rosetta: Rosetta 2 runs only on Apple Silicon (Apple,
///   "About the Rosetta translation environment");
/// - `hw.optional.arm64`: 1 on Apple Silicon, also in a translated process (fixture
///   m1-rosetta-monterey-sysctl-hw-machdep.txt); the oid does not exist on Intel Macs
///   (fixtures/README.md: no hw.optional.arm64 on intel-macos12), a real "unknown oid" answer.
///
/// A `hw.optional.arm64` that was not recorded or could not be read decides nothing.
pub(crate) fn mac_cpu(arm64: &Sysctl, host: &Host) -> MacCpu {
    if normalize_arch(&host.machine) == "arm64" {
        return MacCpu::AppleSilicon("uname -m is arm64".to_owned());
    }
    if normalize_arch(&host.process_arch) == "arm64" {
        return MacCpu::AppleSilicon("gohost itself runs as arm64".to_owned());
    }
    if host.translation == Translation::Rosetta {
        return MacCpu::AppleSilicon("this process runs under Rosetta 2".to_owned());
    }
    match arm64 {
        Sysctl::Value(v) if v == "1" => MacCpu::AppleSilicon("hw.optional.arm64 is 1".to_owned()),
        Sysctl::Value(v) if v == "0" => MacCpu::Intel("hw.optional.arm64 is 0".to_owned()),
        Sysctl::Value(v) => MacCpu::Unknown(format!("unexpected hw.optional.arm64 value `{v}`")),
        Sysctl::Missing => MacCpu::Intel(
            "hw.optional.arm64 does not exist (unknown oid), as on Intel Macs".to_owned(),
        ),
        Sysctl::Unreadable(e) => MacCpu::Unknown(format!("hw.optional.arm64: {e}")),
    }
}

/// Shell-quotes a value for a printed command: the plugin API's one quoting.
pub(crate) use gohost_plugin_api::shell::quote as shell_quote;

/// The facts every check shows, copied out of the host's `Facts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    pub os: String,
    pub machine: String,
    pub process_arch: String,
    pub translation: Translation,
    pub translation_evidence: String,
}

impl Host {
    pub(crate) fn from_facts(f: &Facts) -> Host {
        Host {
            os: f.os.to_string(),
            machine: f.machine.to_string(),
            process_arch: f.process_arch.to_string(),
            translation: f.translation,
            translation_evidence: f.translation_evidence.to_string(),
        }
    }
}

/// `(header, link target)` of a Linux process's executable, from `/proc/<pid>/exe`.
pub(crate) fn linux_exe_arch(
    ctx: &Ctx<'_>,
    pid: &str,
) -> Result<(BinaryInfo, Option<String>), String> {
    let exe = format!("/proc/{pid}/exe");
    let target = ctx
        .file_info(&exe)
        .ok()
        .and_then(|i| i.link_target.into_option().map(String::from));
    let bytes = ctx
        .read_file_prefix(&exe, HEADER_PREFIX)
        .map_err(|e| format!("{exe}: {e}"))?;
    Ok((parse_header(&bytes), target))
}

/// A Linux interpreter that runs foreign binaries (binfmt_misc targets): qemu-user, Rosetta
/// for Linux, FEX-Emu, box64/box86.
pub(crate) fn is_emulator_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.starts_with("qemu-")
        || base.contains("rosetta")
        || base.starts_with("FEX")
        || base.starts_with("box64")
        || base.starts_with("box86")
}

/// A 32-bit program on a 64-bit kernel of the same family runs natively in the CPU's 32-bit
/// mode, not under emulation: 386 on amd64 (x86-64 compatibility mode; Linux
/// `CONFIG_IA32_EMULATION`, "run legacy 32-bit programs under a 64-bit kernel", despite its
/// name) and arm on arm64 (AArch32 at EL0; Linux `CONFIG_COMPAT`,
/// arch/arm64/kernel/binfmt_elf32.c "Support for AArch32 Linux ELF binaries"; only CPUs that
/// implement AArch32 EL0 can, and Apple chips implement no AArch32).
pub(crate) fn is_compat_pair(process: &str, kernel: &str) -> bool {
    matches!((process, kernel), ("386", "amd64") | ("arm", "arm64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing hw.optional.arm64 decides nothing; facts that can only be true on Apple
    /// Silicon decide it; a real "unknown oid" on an x86_64 Mac is Intel.
    #[test]
    fn mac_cpu_table() {
        let host = |machine: &str, process: &str, t: Translation| Host {
            os: "macos".into(),
            machine: machine.into(),
            process_arch: process.into(),
            translation: t,
            translation_evidence: String::new(),
        };
        let intel_host = host("x86_64", "x86_64", Translation::Native);
        let unread = Sysctl::Unreadable("not recorded".into());
        let rows = [
            (Sysctl::Value("1".into()), intel_host.clone(), "apple"),
            (Sysctl::Value("0".into()), intel_host.clone(), "intel"),
            (Sysctl::Missing, intel_host.clone(), "intel"),
            (unread.clone(), intel_host.clone(), "unknown"),
            (Sysctl::Value("2".into()), intel_host.clone(), "unknown"),
            (
                unread.clone(),
                host("arm64", "aarch64", Translation::Native),
                "apple",
            ),
            (
                unread.clone(),
                host("x86_64", "x86_64", Translation::Rosetta),
                "apple",
            ),
            (
                Sysctl::Missing,
                host("arm64", "aarch64", Translation::Native),
                "apple",
            ),
        ];
        for (answer, h, want) in rows {
            let got = match mac_cpu(&answer, &h) {
                MacCpu::AppleSilicon(_) => "apple",
                MacCpu::Intel(_) => "intel",
                MacCpu::Unknown(_) => "unknown",
            };
            assert_eq!(got, want, "{answer:?} {h:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("v8.4"), "v8.4");
        assert_eq!(shell_quote("a b|c"), "'a b|c'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn emulator_names() {
        assert!(is_emulator_path("/usr/bin/FEXInterpreter"));
        assert!(is_emulator_path("/usr/bin/qemu-aarch64-static"));
        assert!(is_emulator_path("/mnt/lima-rosetta/rosetta"));
        assert!(!is_emulator_path("/usr/bin/bash"));
    }
}
