//! What several `arch` checks read the same way: sysctls as answer/absent/unreadable, the
//! Apple-Silicon question, a Linux process's executable header, emulator interpreters.

use gohost_plugin_api::{Ctx, Facts, ProbeErrorKind, Translation};

use crate::binary::{parse_header, BinaryInfo, HEADER_PREFIX};

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

/// Whether this Mac has an Apple Silicon CPU, from `hw.optional.arm64` (which stays 1 in a
/// translated process, see fixtures/macos m1-rosetta-monterey).
pub(crate) fn apple_silicon(arm64: &Sysctl) -> Option<bool> {
    match arm64 {
        Sysctl::Value(v) => Some(v == "1"),
        Sysctl::Missing => Some(false),
        Sysctl::Unreadable(_) => None,
    }
}

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

/// A Linux interpreter that runs foreign binaries (binfmt_misc targets).
pub(crate) fn is_emulator_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.starts_with("qemu-") || base.contains("rosetta")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_names() {
        assert!(is_emulator_path("/usr/bin/qemu-aarch64-static"));
        assert!(is_emulator_path("/mnt/lima-rosetta/rosetta"));
        assert!(!is_emulator_path("/usr/bin/bash"));
    }
}
